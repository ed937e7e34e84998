package feed

import (
	"io"

	"github.com/feedpub/feedpub/content"
)

// Atom writes f as Atom 1.0 (RFC 4287): stable URN ids, a feed-level author
// so that every entry has one, self and alternate links, HTML summaries and
// content as escaped type="html" text.
func Atom(out io.Writer, f *Feed) error { return render(out, &shapes[1], f) }

func atomHead(w *writer, f *Feed) {
	s := f.Site
	w.str(`<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"`)
	w.attrs("xml:lang", s.Language)
	if f.Page != "" {
		w.str(` xmlns:fh="` + HistoryNS + `"`)
	}
	w.char('>')
	w.str("<id>")
	w.text(f.ID())
	w.str("</id><title>")
	w.text(f.Title)
	w.str("</title>")
	w.elem("subtitle", s.Description)
	w.str("<updated>")
	w.rfc3339(f.Updated)
	w.str(`</updated>`)
	w.link("link", "self", "application/atom+xml", f.SelfURL("atom"))
	w.link("link", "alternate", "text/html", s.URL)
	if u := f.PreviewURL(); u != "" {
		w.link("link", "related", "text/html", u)
	}
	if f.Page != "" {
		w.str("<fh:archive/>")
	}
	f.archiveLinks("atom", func(rel, href string) { w.link("link", rel, "application/atom+xml", href) })
	for _, hub := range s.Hubs { // WebSub
		w.link("link", "hub", "", hub)
	}
	atomAuthor(w, s.Author)
	w.str("<generator")
	w.attrs("uri", GeneratorURI)
	w.str(">" + Generator + "</generator>")
	w.elem("logo", s.Image)
	w.elem("rights", s.Rights)
}

func atomAuthor(w *writer, a content.Author) {
	w.str("<author><name>")
	w.text(a.Name)
	w.str("</name>")
	w.elem("email", a.Email)
	w.elem("uri", a.URL)
	w.str("</author>")
}

func atomEntry(w *writer, f *Feed, a *content.Article) {
	s := f.Site
	p := f.prepared(a)
	w.str("<entry")
	if a.Language != "" && a.Language != s.Language {
		w.attrs("xml:lang", a.Language)
	}
	w.str("><id>")
	w.str(p.id) // a URN of letters, digits, dashes and colons: nothing to escape
	w.str(`</id><title type="text">`)
	w.textOf(a, a.Title)
	w.str("</title><updated>")
	w.rfc3339(a.Updated)
	w.str("</updated><published>")
	w.rfc3339(a.Published)
	w.str(`</published><link rel="alternate" type="text/html"`)
	w.attrs("href", a.URL)
	w.str("/>")
	for _, e := range a.Enclosures {
		w.str(`<link rel="enclosure"`)
		w.attrs("type", e.Type, "href", e.URL)
		if e.Length > 0 {
			w.str(` length="`)
			w.int(e.Length)
			w.char('"')
		}
		w.str("/>")
	}
	for _, au := range a.Authors {
		atomAuthor(w, au)
	}
	for i, labels := range [2][]string{a.Categories, a.Tags} {
		for _, l := range labels {
			w.str("<category")
			w.attrs("term", l)
			w.str(` scheme="`)
			w.str(w.schemes[i])
			w.str(`"/>`)
		}
	}
	if a.Summary != "" {
		w.str(`<summary type="html">`)
		w.textOr(p.xmlSummary, a, a.Summary)
		w.str("</summary>")
	}
	if s.FullText && a.ContentHTML != "" {
		w.str(`<content type="html">`)
		w.textOr(p.xmlContent, a, a.ContentHTML)
		w.str("</content>")
	}
	if a.Source != nil {
		w.str("<source>")
		w.elem("title", a.Source.Name)
		if a.Source.URL != "" {
			w.str(`<link rel="alternate"`)
			w.attrs("href", a.Source.URL)
			w.str("/>")
		}
		w.str("</source>")
	}
	if a.Rights != "" {
		w.elem("rights", a.Rights)
	}
	if a.Image != nil {
		mediaContent(w, a.Image)
	}
	w.str("</entry>")
}
