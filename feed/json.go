package feed

import (
	"io"

	"github.com/feedpub/feedpub/content"
)

// JSONFeedVersion is the version URL every JSON feed declares.
const JSONFeedVersion = "https://jsonfeed.org/version/1.1"

// JSON writes f as JSON Feed 1.1: items always present, dates in RFC 3339
// whole seconds, HTML left unescaped, authors with a mailto: URL when only an
// email is known.
func JSON(out io.Writer, f *Feed) error { return render(out, &shapes[2], f) }

func jsonHead(w *writer, f *Feed) {
	s := f.Site
	w.str(`{"version":"` + JSONFeedVersion + `"`)
	w.str(`,"title":`)
	w.jsonString(f.Title)
	w.jsonField("home_page_url", s.URL)
	w.jsonField("feed_url", f.URL("json"))
	if f.Prev != "" { // JSON Feed 1.1's pagination: the next, older, items
		w.jsonField("next_url", f.PageURL(f.Prev, "json"))
	}
	w.jsonField("description", s.Description)
	w.jsonField("icon", s.Image)
	w.jsonField("language", s.Language)
	if len(s.Hubs) > 0 { // WebSub, as JSON Feed 1.1 names it
		w.str(`,"hubs":[`)
		for i, hub := range s.Hubs {
			if i > 0 {
				w.char(',')
			}
			w.str(`{"type":"WebSub","url":`)
			w.jsonString(hub)
			w.char('}')
		}
		w.char(']')
	}
	if u := f.PreviewURL(); u != "" {
		// JSON Feed 1.1 has no field for a page about the feed (home_page_url
		// is the site's): an extension object, which readers that do not
		// know it ignore, as the spec says they must.
		w.str(`,"_feedpub":{"about":"` + GeneratorURI + `","preview_url":`)
		w.jsonString(u)
		w.char('}')
	}
	w.str(`,"authors":[`)
	jsonAuthor(w, s.Author)
	w.str(`],"items":[`)
}

func jsonAuthor(w *writer, a content.Author) {
	w.str(`{"name":`)
	w.jsonString(a.Name)
	url := a.URL
	if url == "" && a.Email != "" {
		url = "mailto:" + a.Email
	}
	w.jsonField("url", url)
	w.char('}')
}

func jsonItem(w *writer, f *Feed, a *content.Article) {
	s := f.Site
	p := f.prepared(a)
	w.str(`{"id":"`)
	w.str(p.id) // a URN of letters, digits, dashes and colons: nothing to escape
	w.char('"')
	w.jsonField("url", a.URL)
	w.jsonFieldOr("title", "", a, a.Title)
	switch {
	case s.FullText && a.ContentHTML != "":
		w.jsonFieldOr("content_html", p.jsonContent, a, a.ContentHTML)
	case a.Summary != "":
		w.jsonFieldOr("content_html", p.jsonSummary, a, a.Summary)
	default: // an item must carry content_html or content_text
		w.str(`,"content_text":""`)
	}
	w.jsonFieldOr("summary", p.jsonText, a, a.SummaryText)
	if a.Image != nil {
		w.jsonField("image", a.Image.URL)
	}
	w.str(`,"date_published":"`)
	w.rfc3339(a.Published)
	w.str(`","date_modified":"`)
	w.rfc3339(a.Updated)
	w.char('"')
	if len(a.Authors) > 0 {
		w.str(`,"authors":[`)
		for i, au := range a.Authors {
			if i > 0 {
				w.char(',')
			}
			jsonAuthor(w, au)
		}
		w.char(']')
	}
	if tags := labels(a); len(tags) > 0 {
		w.str(`,"tags":[`)
		for i, t := range tags {
			if i > 0 {
				w.char(',')
			}
			w.jsonString(t)
		}
		w.char(']')
	}
	if a.Language != "" {
		w.jsonField("language", a.Language)
	}
	if len(a.Enclosures) > 0 {
		w.str(`,"attachments":[`)
		for i, e := range a.Enclosures {
			if i > 0 {
				w.char(',')
			}
			w.str(`{"url":`)
			w.jsonString(e.URL)
			w.jsonField("mime_type", e.Type)
			if e.Length > 0 {
				w.str(`,"size_in_bytes":`)
				w.int(e.Length)
			}
			if e.Duration > 0 {
				w.str(`,"duration_in_seconds":`)
				w.int(e.Duration)
			}
			w.char('}')
		}
		w.char(']')
	}
	w.char('}')
}

// labels is an item's categories then tags, each once: JSON Feed has tags only.
func labels(a *content.Article) []string {
	if len(a.Tags) == 0 {
		return a.Categories
	}
	out := make([]string, 0, len(a.Categories)+len(a.Tags))
	out = append(out, a.Categories...)
	for _, t := range a.Tags {
		if !containsLabel(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func containsLabel(list []string, s string) bool {
	for _, t := range list {
		if t == s {
			return true
		}
	}
	return false
}
