package feed

import (
	"io"
	"time"
)

// OPML writes an OPML 2.0 subscription list of feeds, grouped by set, for
// readers and partner sites. Each feed is listed once, by its RSS URL.
func OPML(out io.Writer, s *Site, feeds []*Feed) error {
	w := newWriter(out)
	var newest time.Time
	for _, f := range feeds {
		if f.Updated.After(newest) {
			newest = f.Updated
		}
	}
	w.str(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<opml version="2.0"><head>`)
	w.elem("title", s.Title)
	if !newest.IsZero() {
		w.str("<dateModified>")
		w.rfc822(newest)
		w.str("</dateModified>")
	}
	w.elem("ownerName", s.Author.Name)
	w.elem("ownerEmail", s.Author.Email)
	w.str("</head><body>")
	var open Kind
	for _, f := range feeds {
		if f.Kind != open {
			if open != "" {
				w.str("</outline>")
			}
			open = f.Kind
			w.str("<outline")
			w.attrs("text", setTitles[f.Kind])
			w.char('>')
		}
		w.str(`<outline type="rss"`)
		w.attrs("text", f.Title, "title", f.Title, "xmlUrl", f.URL("rss"), "htmlUrl", s.URL, "language", s.Language)
		w.str("/>")
	}
	if open != "" {
		w.str("</outline>")
	}
	w.str("</body></opml>\n")
	return w.flush()
}

var setTitles = map[Kind]string{
	KindSite:     "Site",
	KindCategory: "Categories",
	KindTag:      "Tags",
	KindAuthor:   "Authors",
}
