// Package page writes the pages for people: the index of every feed
// (index.html) and each feed's preview (feeds/{name}.html), with the style
// sheet and script they share, the Content-Security-Policy they are served
// with, and the policy that sanitises the article HTML a preview embeds.
//
// The pages are written by hand with a small writer, not html/template,
// which would keep every method of every type in the Lambda binaries. They
// hold no inline script or style: the policy (CSP) forbids both.
package page

import (
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/layout"
)

// AppendText appends s to dst as HTML character data: &, < and > escaped,
// control characters HTML forbids dropped (tab, line feed and carriage
// return kept), invalid UTF-8 replaced by U+FFFD.
func AppendText(dst []byte, s string) []byte { return appendEscaped(dst, s, false) }

// AppendAttr appends s to dst as the value of a double-quoted attribute:
// as AppendText, and quotes escaped too.
func AppendAttr(dst []byte, s string) []byte { return appendEscaped(dst, s, true) }

func appendEscaped(dst []byte, s string, attr bool) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			var esc string // a control character is dropped
			switch c {
			case '&':
				esc = "&amp;"
			case '<':
				esc = "&lt;"
			case '>':
				esc = "&gt;"
			case '"':
				if !attr {
					i++
					continue
				}
				esc = "&#34;"
			case '\t', '\n', '\r':
				i++
				continue
			default:
				if c >= 0x20 && c != 0x7F {
					i++
					continue
				}
			}
			dst = append(dst, s[last:i]...)
			dst = append(dst, esc...)
			i++
			last = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[last:i]...)
			dst = append(dst, "\uFFFD"...)
			last = i + size
		case r >= 0x80 && r <= 0x9F: // C1 controls
			dst = append(dst, s[last:i]...)
			last = i + size
		}
		i += size
	}
	return append(dst, s[last:]...)
}

// writer buffers one page; the first write error is kept by flush.
type writer struct {
	out io.Writer
	buf []byte
}

func (w *writer) str(s string)  { w.buf = append(w.buf, s...) }
func (w *writer) text(s string) { w.buf = AppendText(w.buf, s) }

// attrs writes ` key="value"` pairs, skipping empty values.
func (w *writer) attrs(kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		w.buf = append(w.buf, ' ')
		w.buf = append(w.buf, kv[i]...)
		w.buf = append(w.buf, `="`...)
		w.buf = AppendAttr(w.buf, kv[i+1])
		w.buf = append(w.buf, '"')
	}
}

// elem writes <name attrs>text</name>.
func (w *writer) elem(name, text string, kv ...string) {
	w.str("<" + name)
	w.attrs(kv...)
	w.str(">")
	w.text(text)
	w.str("</" + name + ">")
}

func (w *writer) flush() error {
	_, err := w.out.Write(w.buf)
	return err
}

// time writes t as a <time> element: the instant in its datetime
// attribute, and as people read it, in the site's time zone, as text.
func (w *writer) time(t time.Time, loc *time.Location, layout string) {
	if loc == nil {
		loc = time.UTC
	}
	w.str(`<time datetime="`)
	w.buf = t.UTC().AppendFormat(w.buf, time.RFC3339)
	w.str(`">`)
	w.buf = t.In(loc).AppendFormat(w.buf, layout)
	w.str("</time>")
}

// head writes the document up to the end of <head>'s shared part: the
// language and direction, charset, the policy, viewport, title, style
// sheet and script. root is the relative path from the page to the site's
// top ("" or "../../").
func (w *writer) head(s *feed.Site, root, title, description string) {
	w.str("<!doctype html>\n<html")
	w.attrs("lang", s.Language, "dir", direction(s.Language))
	w.str(">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\"")
	w.attrs("content", metaCSP)
	w.str(">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	w.str("<meta name=\"color-scheme\" content=\"light dark\">\n")
	w.elem("title", title)
	w.str("\n")
	if description != "" {
		w.str(`<meta name="description"`)
		w.attrs("content", description)
		w.str(">\n")
	}
	w.str(`<link rel="stylesheet"`)
	w.attrs("href", root+layout.StyleSheet)
	w.str(">\n<script")
	w.attrs("src", root+layout.Script)
	w.str(" defer></script>\n")
}

// alternates writes the autodiscovery links of feed name in every format.
func (w *writer) alternates(s *feed.Site, name, title string) {
	for _, format := range feed.Formats {
		w.str(`<link rel="alternate"`)
		w.attrs("type", mediaType(format.ContentType), "title", title+" ("+formatNames[format.Ext]+")",
			"href", layout.FeedURL(s.BaseURL, name, format.Ext))
		w.str(">\n")
	}
}

// subscribe writes the links to feed name in every format, with their
// media types when typed.
func (w *writer) subscribe(s *feed.Site, name string, typed bool) {
	for i, format := range feed.Formats {
		if i > 0 {
			w.str(" ")
		}
		w.str("<a")
		w.attrs("href", layout.FeedURL(s.BaseURL, name, format.Ext))
		if typed {
			w.attrs("type", mediaType(format.ContentType))
		}
		w.str(">")
		w.text(formatNames[format.Ext])
		w.str("</a>")
	}
}

// formatNames are the formats as people know them.
var formatNames = map[string]string{"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}

// mediaType is a Content-Type without its parameters.
func mediaType(contentType string) string {
	t, _, _ := strings.Cut(contentType, ";")
	return strings.TrimSpace(t)
}

// root is the relative path from the page at key to the site's top: ""
// for index.html, "../" for feeds/index.html, "../../" for
// feeds/tag/go.html. Links between pages are relative, so that the pages
// work under any origin and path the site is served from.
func root(key string) string { return strings.Repeat("../", strings.Count(key, "/")) }

// previewPath is the relative path from the site's top to feed name's
// preview page, every segment percent-encoded.
func previewPath(name string) string { return strings.TrimPrefix(layout.PreviewURL("", name), "/") }

// label is what the pages call a feed: its title without the site's
// ("Site · Label" is "Label"), and the site feed's own name.
func label(f *feed.Feed, m *messages) string {
	if f.Kind == feed.KindSite {
		return m.all
	}
	if l, ok := strings.CutPrefix(f.Title, f.Site.Title+" · "); ok && l != "" {
		return l
	}
	return f.Title
}

func itoa(n int) string { return strconv.Itoa(n) }
