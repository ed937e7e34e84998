package page

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/layout"
)

// jsonFeed is what a preview page shows of a JSON Feed 1.1 document.
type jsonFeed struct {
	Title       string     `json:"title"`
	HomePageURL string     `json:"home_page_url"`
	FeedURL     string     `json:"feed_url"`
	Description string     `json:"description"`
	Items       []jsonItem `json:"items"`
}

type jsonItem struct {
	ID            string `json:"id"`
	URL           string `json:"url"`
	Title         string `json:"title"`
	ContentHTML   string `json:"content_html"`
	ContentText   string `json:"content_text"`
	Summary       string `json:"summary"`
	Image         string `json:"image"`
	DatePublished string `json:"date_published"`
	DateModified  string `json:"date_modified"`
	Authors       []struct {
		Name string `json:"name"`
		URL  string `json:"url"`
	} `json:"authors"`
	Tags        []string `json:"tags"`
	Language    string   `json:"language"`
	Attachments []struct {
		URL      string `json:"url"`
		MimeType string `json:"mime_type"`
	} `json:"attachments"`
}

// Preview writes the preview page of feed f (layout.PreviewKey) from its
// JSON Feed bytes: the feed's title, description and subscribe links (and
// its URL to copy), a link back to the index page, and each item with its
// title linking to the article, date, authors, image and content, the
// HTML sanitised by c.
func Preview(out io.Writer, f *feed.Feed, jsonBytes []byte, c *Cleaner) error {
	var jf jsonFeed
	if err := json.Unmarshal(jsonBytes, &jf); err != nil {
		return fmt.Errorf("page: preview %s: read the JSON feed: %w", f.Name, err)
	}
	s := f.Site
	m := language(s.Language)
	up := root(layout.PreviewKey(f.Name))
	name := label(f, m)
	w := &writer{out: out, buf: make([]byte, 0, 8192+len(jsonBytes)+len(jsonBytes)/4)}
	w.head(s, up, name+" — "+s.Title, s.Description)
	w.alternates(s, f.Name, f.Title)
	w.str(`<link rel="icon" href="data:,">` + "\n</head>\n<body class=\"preview\">\n<header>\n<p class=\"nav\"><a")
	w.attrs("href", up+layout.Index)
	w.str(">")
	w.text(m.back)
	w.str("</a> · ")
	if home := httpURL(jf.HomePageURL); home != "" {
		w.str("<a")
		w.attrs("href", home)
		w.str(">")
		w.text(s.Title)
		w.str("</a>")
	} else {
		w.text(s.Title)
	}
	w.str("</p>\n")
	w.elem("h1", name)
	w.str("\n")
	if jf.Description != "" {
		w.elem("p", jf.Description, "class", "lead")
		w.str("\n")
	}
	w.str(`<p class="sub">`)
	w.text(m.subscribe)
	w.str(" ")
	w.subscribe(s, f.Name, true)
	w.str("</p>\n<p class=\"url\"><label for=\"u\">")
	w.text(m.feedURL)
	w.str(`</label> <input id="u" type="url" readonly`)
	w.attrs("value", layout.FeedURL(s.BaseURL, f.Name, "rss"))
	w.str(`> <button type="button" data-copy="u" hidden`)
	w.attrs("data-done", m.copied)
	w.str(">")
	w.text(m.copy)
	w.str("</button></p>\n</header>\n<main>\n")
	if len(jf.Items) == 0 {
		w.elem("p", m.empty)
		w.str("\n")
	}
	for i := range jf.Items {
		item(w, s, m, &jf.Items[i], c)
	}
	w.str("</main>\n</body>\n</html>\n")
	return w.flush()
}

// item writes one item of a preview page.
func item(w *writer, s *feed.Site, m *messages, it *jsonItem, c *Cleaner) {
	w.str("<article")
	if it.Language != "" && it.Language != s.Language {
		w.attrs("lang", it.Language, "dir", itemDirection(it.Language, s.Language))
	}
	w.str(">\n<h2>")
	title := it.Title
	if title == "" {
		title = it.URL
	}
	if u := httpURL(it.URL); u != "" {
		w.str("<a")
		w.attrs("href", u)
		w.str(">")
		w.text(title)
		w.str("</a>")
	} else {
		w.text(title)
	}
	w.str("</h2>\n<p class=\"m\">")
	sep := ""
	if t, err := time.Parse(time.RFC3339, it.DatePublished); err == nil {
		w.time(t, s.Location, "2006-01-02 15:04")
		sep = " · "
	}
	for _, a := range it.Authors {
		if a.Name == "" {
			continue
		}
		w.str(sep)
		w.text(a.Name)
		sep = ", "
	}
	w.str("</p>\n")
	if img := httpURL(it.Image); img != "" {
		w.str(`<p><img loading="lazy" alt=""`)
		w.attrs("src", img)
		w.str("></p>\n")
	}
	w.str(`<div class="c">`)
	switch {
	case it.ContentHTML != "":
		w.str(c.HTML(it.ID, it.URL, it.ContentHTML))
	case it.Summary != "":
		w.elem("p", it.Summary)
	case it.ContentText != "":
		w.elem("p", it.ContentText)
	}
	w.str("</div>\n")
	for _, a := range it.Attachments {
		if u := httpURL(a.URL); u != "" {
			w.str(`<p class="tags"><a`)
			w.attrs("href", u, "type", a.MimeType)
			w.str(">")
			w.text(m.file)
			if a.MimeType != "" {
				w.text(" (" + a.MimeType + ")")
			}
			w.str("</a></p>\n")
		}
	}
	if len(it.Tags) > 0 {
		w.str(`<p class="tags">`)
		w.text("# " + strings.Join(it.Tags, " · # "))
		w.str("</p>\n")
	}
	w.str("</article>\n")
}

// itemDirection is the direction of an item in language tag on a site in
// language site: set when they differ.
func itemDirection(tag, site string) string {
	d, sd := direction(tag), direction(site)
	switch {
	case d == sd:
		return ""
	case d == "":
		return "ltr"
	}
	return d
}

// httpURL returns u when it is an absolute http or https URL, "" else: a
// link from a feed must not become a javascript: one on a page.
func httpURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return u
}
