package feed

import (
	"io"
	"time"

	"github.com/feedpub/feedpub/content"
)

// Atom writes f as Atom 1.0 (RFC 4287): stable URN ids, a feed-level author
// so that every entry has one, self and alternate links, HTML summaries and
// content as escaped type="html" text.
func Atom(out io.Writer, f *Feed) error {
	w := newWriter(out)
	s := f.Site
	w.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"`)
	w.attrs("xml:lang", s.Language)
	w.WriteByte('>')
	w.WriteString("<id>")
	w.text(f.ID())
	w.WriteString("</id><title>")
	w.text(f.Title)
	w.WriteString("</title>")
	w.elem("subtitle", s.Description)
	w.WriteString("<updated>")
	w.time(f.Updated, time.RFC3339)
	w.WriteString(`</updated><link rel="self" type="application/atom+xml"`)
	w.attrs("href", f.URL("atom"))
	w.WriteString(`/><link rel="alternate" type="text/html"`)
	w.attrs("href", s.URL)
	w.WriteString("/>")
	atomAuthor(w, s.Author)
	w.WriteString("<generator")
	w.attrs("uri", GeneratorURI)
	w.WriteString(">" + Generator + "</generator>")
	w.elem("logo", s.Image)
	w.elem("rights", s.Rights)
	for _, a := range f.Items {
		atomEntry(w, f, a)
	}
	w.WriteString("</feed>\n")
	return w.flush()
}

func atomAuthor(w *writer, a content.Author) {
	w.WriteString("<author><name>")
	w.text(a.Name)
	w.WriteString("</name>")
	w.elem("email", a.Email)
	w.elem("uri", a.URL)
	w.WriteString("</author>")
}

func atomEntry(w *writer, f *Feed, a *content.Article) {
	s := f.Site
	w.WriteString("<entry")
	if a.Language != "" && a.Language != s.Language {
		w.attrs("xml:lang", a.Language)
	}
	w.WriteString("><id>")
	w.text(ItemID(s, a))
	w.WriteString(`</id><title type="text">`)
	w.text(a.Title)
	w.WriteString("</title><updated>")
	w.time(a.Updated, time.RFC3339)
	w.WriteString("</updated><published>")
	w.time(a.Published, time.RFC3339)
	w.WriteString(`</published><link rel="alternate" type="text/html"`)
	w.attrs("href", a.URL)
	w.WriteString("/>")
	for _, e := range a.Enclosures {
		w.WriteString(`<link rel="enclosure"`)
		w.attrs("type", e.Type, "href", e.URL)
		if e.Length > 0 {
			w.WriteString(` length="`)
			w.int(e.Length)
			w.WriteByte('"')
		}
		w.WriteString("/>")
	}
	for _, au := range a.Authors {
		atomAuthor(w, au)
	}
	for _, c := range a.Categories {
		w.WriteString("<category")
		w.attrs("term", c, "scheme", s.BaseURL+"/feeds/category/")
		w.WriteString("/>")
	}
	for _, t := range a.Tags {
		w.WriteString("<category")
		w.attrs("term", t, "scheme", s.BaseURL+"/feeds/tag/")
		w.WriteString("/>")
	}
	if a.Summary != "" {
		w.WriteString(`<summary type="html">`)
		w.text(a.Summary)
		w.WriteString("</summary>")
	}
	if s.FullText && a.ContentHTML != "" {
		w.WriteString(`<content type="html">`)
		w.text(a.ContentHTML)
		w.WriteString("</content>")
	}
	if a.Source != nil {
		w.WriteString("<source>")
		w.elem("title", a.Source.Name)
		if a.Source.URL != "" {
			w.WriteString(`<link rel="alternate"`)
			w.attrs("href", a.Source.URL)
			w.WriteString("/>")
		}
		w.WriteString("</source>")
	}
	if a.Rights != "" {
		w.elem("rights", a.Rights)
	}
	if a.Image != nil {
		mediaContent(w, a.Image)
	}
	w.WriteString("</entry>")
}
