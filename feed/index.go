package feed

import (
	"io"
	"strconv"
	"strings"
)

// Index writes the human page of a site's feeds: every feed with its
// subscribe links in the three formats, and <link rel="alternate">
// autodiscovery for the site-wide feed (the first feed when there is none).
// It is written by hand rather than with html/template, which would keep
// every method of every type in the Lambda binaries.
func Index(out io.Writer, s *Site, feeds []*Feed) error {
	w := newWriter(out)
	w.str("<!doctype html>\n<html")
	w.attrs("lang", s.Language)
	w.str(">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
	w.text(s.Title + " — feeds")
	w.str("</title>\n")
	var discover []*Feed
	for _, f := range feeds {
		if f.Kind == KindSite {
			discover = append(discover, f)
		}
	}
	if len(discover) == 0 && len(feeds) > 0 {
		discover = feeds[:1]
	}
	for _, f := range discover {
		for _, format := range Formats {
			w.str(`<link rel="alternate"`)
			w.attrs("type", mediaType(format.ContentType), "title", f.Title+" ("+format.Ext+")", "href", f.URL(format.Ext))
			w.str(">\n")
		}
	}
	w.str("<style>\nbody{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#222}\n" +
		"li{margin:.3rem 0} a{margin-right:.5rem} .n{color:#777;font-size:.9em}\n</style>\n</head>\n<body>\n<h1>")
	w.text(s.Title)
	w.str("</h1>\n")
	if s.Description != "" {
		w.str("<p>")
		w.text(s.Description)
		w.str("</p>\n")
	}
	w.str("<p>Subscribe in any feed reader: RSS 2.0, Atom 1.0 or JSON Feed 1.1. " +
		"All feeds at once: <a href=\"feeds.opml\">feeds.opml</a>.</p>\n<ul>\n")
	for _, f := range feeds {
		w.str("<li><strong>")
		w.text(f.Title)
		w.str(`</strong> <span class="n">`)
		w.text(string(f.Kind) + ", " + strconv.Itoa(f.Len()) + " items")
		w.str("</span><br>")
		for _, format := range Formats {
			w.str("<a")
			w.attrs("href", f.URL(format.Ext), "type", mediaType(format.ContentType))
			w.char('>')
			w.text(format.Ext)
			w.str("</a>")
		}
		w.str("</li>\n")
	}
	w.str("</ul>\n<p><a")
	w.attrs("href", s.URL)
	w.char('>')
	w.text(s.URL)
	w.str("</a></p>\n</body>\n</html>\n")
	return w.flush()
}

// mediaType is a Content-Type without its parameters.
func mediaType(contentType string) string {
	t, _, _ := strings.Cut(contentType, ";")
	return strings.TrimSpace(t)
}
