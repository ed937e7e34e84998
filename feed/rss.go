package feed

import (
	"io"

	"github.com/feedpub/feedpub/content"
)

// Generator names feedpub in every feed it writes.
const (
	Generator    = "feedpub"
	GeneratorURI = "https://github.com/feedpub/feedpub"
)

// RSS writes f as RSS 2.0, following the RSS Advisory Board's best practices:
// an atom:link to itself, content:encoded for the full text, dc:creator for
// author names, guid isPermaLink="false" (the id is a URN, not the link).
func RSS(out io.Writer, f *Feed) error { return render(out, &shapes[0], f) }

func rssHead(w *writer, f *Feed) {
	s := f.Site
	w.str(`<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/"` +
		` xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/"`)
	if f.Page != "" {
		w.str(` xmlns:fh="` + HistoryNS + `"`)
	}
	w.str("><channel>")
	w.elem("title", f.Title)
	w.elem("link", s.URL)
	w.elem("description", firstOf(s.Description, f.Title))
	w.link("atom:link", "self", "application/rss+xml", f.SelfURL("rss"))
	if u := f.PreviewURL(); u != "" { // the page for people, as in Atom
		w.link("atom:link", "related", "text/html", u)
	}
	if f.Page != "" { // RFC 5005 §4, in RSS as its Appendix B shows
		w.str("<fh:archive/>")
	}
	f.archiveLinks("rss", func(rel, href string) { w.link("atom:link", rel, "application/rss+xml", href) })
	for _, hub := range s.Hubs { // WebSub: where to subscribe for pushes
		w.link("atom:link", "hub", "", hub)
	}
	w.elem("language", s.Language)
	w.elem("copyright", s.Rights)
	if s.Author.Email != "" {
		w.str("<managingEditor>")
		rssPerson(w, s.Author)
		w.str("</managingEditor>")
	}
	w.elem("generator", Generator)
	w.elem("docs", "https://www.rssboard.org/rss-specification")
	w.str("<lastBuildDate>")
	w.rfc822(f.Updated)
	w.str("</lastBuildDate><ttl>")
	w.int(int64(s.TTL))
	w.str("</ttl>")
	if s.Image != "" {
		w.str("<image>")
		w.elem("url", s.Image)
		w.elem("title", f.Title)
		w.elem("link", s.URL)
		w.str("</image>")
	}
}

func rssItem(w *writer, f *Feed, a *content.Article) {
	s := f.Site
	p := f.prepared(a)
	w.str("<item>")
	w.elemOr("title", "", a, a.Title)
	w.elem("link", a.URL)
	w.elemOr("description", p.xmlSummary, a, a.Summary)
	if s.FullText {
		w.elemOr("content:encoded", p.xmlContent, a, a.ContentHTML)
	}
	for _, au := range a.Authors {
		w.elem("dc:creator", au.Name)
	}
	for _, au := range a.Authors {
		if au.Email != "" { // RSS <author> is an email address
			w.str("<author>")
			rssPerson(w, au)
			w.str("</author>")
			break
		}
	}
	for i, labels := range [2][]string{a.Categories, a.Tags} {
		for _, l := range labels {
			w.str(`<category domain="`)
			w.str(w.schemes[i])
			w.str(`">`)
			w.text(l)
			w.str("</category>")
		}
	}
	w.str(`<guid isPermaLink="false">`)
	w.str(p.id) // a URN of letters, digits, dashes and colons: nothing to escape
	w.str("</guid><pubDate>")
	w.rfc822(a.Published)
	w.str("</pubDate>")
	if a.Source != nil && a.Source.URL != "" { // RSS requires the url attribute
		w.str("<source")
		w.attrs("url", a.Source.URL)
		w.char('>')
		w.text(a.Source.Name)
		w.str("</source>")
	}
	if len(a.Enclosures) > 0 { // one enclosure per item, as readers expect
		e := a.Enclosures[0]
		w.str("<enclosure")
		w.attrs("url", e.URL)
		w.str(` length="`)
		w.int(e.Length) // 0 when unknown, as the RSS Advisory Board advises
		w.char('"')
		w.attrs("type", e.Type)
		w.str("/>")
	}
	if a.Image != nil {
		mediaContent(w, a.Image)
	}
	if a.Language != "" && a.Language != s.Language {
		w.elem("dc:language", a.Language)
	}
	w.elem("dc:rights", a.Rights)
	w.str("</item>")
}

// rssPerson writes a person as RSS wants one, "email (name)", or the email
// alone when the name is the email (an author known only by email).
func rssPerson(w *writer, a content.Author) {
	w.text(a.Email)
	if a.Name != "" && a.Name != a.Email {
		w.str(" (")
		w.text(a.Name)
		w.char(')')
	}
}

// mediaContent writes the lead image as Media RSS, which RSS and Atom
// readers both understand.
func mediaContent(w *writer, img *content.Image) {
	w.str("<media:content")
	w.attrs("url", img.URL, "type", img.Type, "medium", "image")
	if img.Length > 0 {
		w.str(` fileSize="`)
		w.int(img.Length)
		w.char('"')
	}
	if img.Alt == "" {
		w.str("/>")
		return
	}
	w.str(`><media:description type="plain">`)
	w.text(img.Alt)
	w.str("</media:description></media:content>")
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
