package feed

import (
	"io"
	"time"

	"github.com/feedpub/feedpub/content"
)

// Generator names feedpub in every feed it writes.
const (
	Generator    = "feedpub"
	GeneratorURI = "https://github.com/feedpub/feedpub"
)

const rssDate = time.RFC1123Z // RFC 822 with a four-digit year, as RSS readers expect

// RSS writes f as RSS 2.0, following the RSS Advisory Board's best practices:
// an atom:link to itself, content:encoded for the full text, dc:creator for
// author names, guid isPermaLink="false" (the id is a URN, not the link).
func RSS(out io.Writer, f *Feed) error {
	w := newWriter(out)
	s := f.Site
	w.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/"` +
		` xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/"><channel>`)
	w.elem("title", f.Title)
	w.elem("link", s.URL)
	w.elem("description", firstOf(s.Description, f.Title))
	w.WriteString(`<atom:link rel="self" type="application/rss+xml"`)
	w.attrs("href", f.URL("rss"))
	w.WriteString("/>")
	w.elem("language", s.Language)
	w.elem("copyright", s.Rights)
	if s.Author.Email != "" {
		w.WriteString("<managingEditor>")
		rssPerson(w, s.Author)
		w.WriteString("</managingEditor>")
	}
	w.elem("generator", Generator)
	w.elem("docs", "https://www.rssboard.org/rss-specification")
	w.WriteString("<lastBuildDate>")
	w.time(f.Updated, rssDate)
	w.WriteString("</lastBuildDate><ttl>")
	w.int(int64(s.TTL))
	w.WriteString("</ttl>")
	if s.Image != "" {
		w.WriteString("<image>")
		w.elem("url", s.Image)
		w.elem("title", f.Title)
		w.elem("link", s.URL)
		w.WriteString("</image>")
	}
	for _, a := range f.Items {
		rssItem(w, f, a)
	}
	w.WriteString("</channel></rss>\n")
	return w.flush()
}

func rssItem(w *writer, f *Feed, a *content.Article) {
	s := f.Site
	w.WriteString("<item>")
	w.elem("title", a.Title)
	w.elem("link", a.URL)
	w.elem("description", a.Summary)
	if s.FullText {
		w.elem("content:encoded", a.ContentHTML)
	}
	for _, au := range a.Authors {
		w.elem("dc:creator", au.Name)
	}
	for _, au := range a.Authors {
		if au.Email != "" { // RSS <author> is an email address
			w.WriteString("<author>")
			rssPerson(w, au)
			w.WriteString("</author>")
			break
		}
	}
	for _, c := range a.Categories {
		w.WriteString("<category")
		w.attrs("domain", s.BaseURL+"/feeds/category/")
		w.WriteByte('>')
		w.text(c)
		w.WriteString("</category>")
	}
	for _, t := range a.Tags {
		w.WriteString("<category")
		w.attrs("domain", s.BaseURL+"/feeds/tag/")
		w.WriteByte('>')
		w.text(t)
		w.WriteString("</category>")
	}
	w.WriteString(`<guid isPermaLink="false">`)
	w.text(ItemID(s, a))
	w.WriteString("</guid><pubDate>")
	w.time(a.Published, rssDate)
	w.WriteString("</pubDate>")
	if a.Source != nil && a.Source.URL != "" { // RSS requires the url attribute
		w.WriteString("<source")
		w.attrs("url", a.Source.URL)
		w.WriteByte('>')
		w.text(a.Source.Name)
		w.WriteString("</source>")
	}
	if len(a.Enclosures) > 0 { // one enclosure per item, as readers expect
		e := a.Enclosures[0]
		w.WriteString("<enclosure")
		w.attrs("url", e.URL)
		w.WriteString(` length="`)
		w.int(e.Length) // 0 when unknown, as the RSS Advisory Board advises
		w.WriteByte('"')
		w.attrs("type", e.Type)
		w.WriteString("/>")
	}
	if a.Image != nil {
		mediaContent(w, a.Image)
	}
	if a.Language != "" && a.Language != s.Language {
		w.elem("dc:language", a.Language)
	}
	w.elem("dc:rights", a.Rights)
	w.WriteString("</item>")
}

// rssPerson writes a person as RSS wants one, "email (name)", or the email
// alone when the name is the email (an author known only by email).
func rssPerson(w *writer, a content.Author) {
	w.text(a.Email)
	if a.Name != "" && a.Name != a.Email {
		w.WriteString(" (")
		w.text(a.Name)
		w.WriteByte(')')
	}
}

// mediaContent writes the lead image as Media RSS, which RSS and Atom
// readers both understand.
func mediaContent(w *writer, img *content.Image) {
	w.WriteString("<media:content")
	w.attrs("url", img.URL, "type", img.Type, "medium", "image")
	if img.Length > 0 {
		w.WriteString(` fileSize="`)
		w.int(img.Length)
		w.WriteByte('"')
	}
	if img.Alt == "" {
		w.WriteString("/>")
		return
	}
	w.WriteString(`><media:description type="plain">`)
	w.text(img.Alt)
	w.WriteString("</media:description></media:content>")
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
