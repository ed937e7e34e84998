package feed_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/feedcheck"
)

// The fuzz targets put arbitrary strings straight into an article, with no
// content.Parse to clean them, plan every feed set from it and check that
// each rendering is well formed and carries the titles as the reader must
// see them: characters XML 1.0 forbids dropped, invalid UTF-8 replaced.

var fuzzSite = feed.Site{
	Title:    "Fuzz <&> site",
	URL:      "https://example.org/",
	BaseURL:  "https://feeds.example.org",
	Language: "en",
	TimeZone: "UTC",
	Author:   content.Author{Name: "Desk", Email: "desk@example.org"},
	Limit:    50,
	TTL:      60,
	FullText: true,
	Feeds:    feed.Sets{Site: true, Categories: true, Tags: true, TagMinArticles: 1, Authors: true},
	Location: time.UTC,
}

func fuzzSeeds(f *testing.F) {
	for _, seed := range [][6]string{
		{"title", "summary", "<p>content</p>", "热点", "郑有胜", "https://example.org/a"},
		{bad, bad, bad, bad, bad, bad},
		{"<b>Q&A</b>: 5 < 6 & \"quotes\" ]]>", "<![CDATA[x]]>", "&#0;&#xFFFE;&bogus;", "Tech & Science", "a@b (c)", "https://e.org/?a=1&b=2\"'<>"},
		{"", "", "", "", "", ""},
		{"\x00", "\uFFFF", "\xed\xa0\x80", "🚀", "\u2028\u2029", "\r\n\t"},
		{"\\u003c\"\\\\", "</title>", "</item></channel>", "ＡＩ", "\U0010FFFF", "javascript:alert(1)"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3], seed[4], seed[5])
	}
}

// fuzzFeeds plans every feed of fuzzSite from one article built directly
// from the fuzzed strings, and one plain article.
func fuzzFeeds(title, summary, body, category, author, link string) []*feed.Feed {
	published := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	a := &content.Article{
		Key:         "articles/fuzz.json",
		ID:          "fuzz",
		URL:         link,
		Title:       title,
		Summary:     summary,
		SummaryText: summary,
		ContentHTML: body,
		Authors:     []content.Author{{Name: author, Email: author, URL: link}},
		Categories:  []string{category},
		Tags:        []string{category, title},
		Language:    author,
		Published:   published,
		Updated:     published.Add(time.Hour),
		Image:       &content.Image{URL: link, Type: summary, Length: 1, Alt: title},
		Enclosures:  []content.Enclosure{{URL: link, Type: category, Length: 2, Duration: 3}},
		Source:      &content.Source{Name: author, URL: link},
		Rights:      summary,
		Status:      content.StatusPublished,
	}
	plain := &content.Article{
		Key: "articles/plain.json", ID: "plain", URL: "https://example.org/plain", Title: "Plain",
		Categories: []string{category}, Published: published, Updated: published, Status: content.StatusPublished,
	}
	s := fuzzSite
	return feed.Plan(&s, []*content.Article{a, plain})
}

// fuzzRender renders f with render and fails on an error.
func fuzzRender(t *testing.T, render func(*bytes.Buffer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func FuzzRSS(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, title, summary, body, category, author, link string) {
		for _, fd := range fuzzFeeds(title, summary, body, category, author, link) {
			out := fuzzRender(t, func(b *bytes.Buffer) error { return feed.RSS(b, fd) })
			if err := feedcheck.WellFormed(out); err != nil {
				t.Fatalf("%s: %v\n%q", fd.Name, err, out)
			}
			var doc rssDoc
			if err := xml.Unmarshal(out, &doc); err != nil {
				t.Fatalf("%s: %v", fd.Name, err)
			}
			if got, want := doc.Channel.Title, []string{clean(fd.Title)}; !equal(got, want) {
				t.Errorf("%s: got channel title %q, want %q", fd.Name, got, want)
			}
			if len(doc.Channel.Items) != len(fd.Items) {
				t.Fatalf("%s: got %d items, want %d", fd.Name, len(doc.Channel.Items), len(fd.Items))
			}
			for i, a := range fd.Items {
				if got, want := doc.Channel.Items[i].Title, clean(a.Title); got != want {
					t.Errorf("%s: got item title %q, want %q", fd.Name, got, want)
				}
			}
		}
	})
}

func FuzzAtom(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, title, summary, body, category, author, link string) {
		for _, fd := range fuzzFeeds(title, summary, body, category, author, link) {
			out := fuzzRender(t, func(b *bytes.Buffer) error { return feed.Atom(b, fd) })
			if err := feedcheck.WellFormed(out); err != nil {
				t.Fatalf("%s: %v\n%q", fd.Name, err, out)
			}
			var doc atomFeed
			if err := xml.Unmarshal(out, &doc); err != nil {
				t.Fatalf("%s: %v", fd.Name, err)
			}
			if got, want := doc.Title, []string{clean(fd.Title)}; !equal(got, want) {
				t.Errorf("%s: got feed title %q, want %q", fd.Name, got, want)
			}
			if len(doc.Entries) != len(fd.Items) {
				t.Fatalf("%s: got %d entries, want %d", fd.Name, len(doc.Entries), len(fd.Items))
			}
			for i, a := range fd.Items {
				e := doc.Entries[i]
				if len(e.Title) != 1 || e.Title[0].Value != clean(a.Title) {
					t.Errorf("%s: got entry title %q, want %q", fd.Name, e.Title, clean(a.Title))
				}
				if a.ContentHTML != "" && (len(e.Content) != 1 || e.Content[0].Value != clean(a.ContentHTML)) {
					t.Errorf("%s: got content %q, want %q", fd.Name, e.Content, clean(a.ContentHTML))
				}
			}
		}
	})
}

func FuzzJSON(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, title, summary, body, category, author, link string) {
		for _, fd := range fuzzFeeds(title, summary, body, category, author, link) {
			out := fuzzRender(t, func(b *bytes.Buffer) error { return feed.JSON(b, fd) })
			if !json.Valid(out) {
				t.Fatalf("%s: not valid JSON\n%q", fd.Name, out)
			}
			var doc struct {
				Title string `json:"title"`
				Items []struct {
					ID          string `json:"id"`
					Title       string `json:"title"`
					ContentHTML string `json:"content_html"`
				} `json:"items"`
			}
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatalf("%s: %v", fd.Name, err)
			}
			var all any
			if err := json.Unmarshal(out, &all); err != nil {
				t.Fatalf("%s: %v", fd.Name, err)
			}
			walkStrings(all, func(s string) {
				if r, ok := forbidden(s); ok {
					t.Errorf("%s: string %q holds %U", fd.Name, s, r)
				}
			})
			if got, want := doc.Title, clean(fd.Title); got != want {
				t.Errorf("%s: got feed title %q, want %q", fd.Name, got, want)
			}
			if len(doc.Items) != len(fd.Items) {
				t.Fatalf("%s: got %d items, want %d", fd.Name, len(doc.Items), len(fd.Items))
			}
			for i, a := range fd.Items {
				if got, want := doc.Items[i].Title, clean(a.Title); got != want {
					t.Errorf("%s: got item title %q, want %q", fd.Name, got, want)
				}
				if got, want := doc.Items[i].ID, feed.ItemID(fd.Site, a); got != want {
					t.Errorf("%s: got id %q, want %q", fd.Name, got, want)
				}
				if a.ContentHTML != "" {
					if got, want := doc.Items[i].ContentHTML, clean(a.ContentHTML); got != want {
						t.Errorf("%s: got content_html %q, want %q", fd.Name, got, want)
					}
				}
			}
		}
	})
}

func FuzzOPML(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, title, summary, body, category, author, link string) {
		feeds := fuzzFeeds(title, summary, body, category, author, link)
		s := fuzzSite
		out := fuzzRender(t, func(b *bytes.Buffer) error { return feed.OPML(b, &s, feeds) })
		if err := feedcheck.WellFormed(out); err != nil {
			t.Fatalf("%v\n%q", err, out)
		}
		var doc opmlDoc
		if err := xml.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		var got []opmlOutline
		for _, g := range doc.Body.Groups {
			got = append(got, g.Outlines...)
		}
		if len(got) != len(feeds) {
			t.Fatalf("got %d outlines, want %d", len(got), len(feeds))
		}
		for i, fd := range feeds {
			if got[i].Text != clean(fd.Title) || got[i].Title != clean(fd.Title) || got[i].XMLURL != fd.URL("rss") {
				t.Errorf("outline %d: got %q %q %q, want %q %q", i, got[i].Text, got[i].Title, got[i].XMLURL, clean(fd.Title), fd.URL("rss"))
			}
		}
	})
}

// FuzzParsed goes the way of a build: the fuzzed texts are a publisher's
// document, content.Parse cleans them, and the renderers write the texts it
// cleaned by their fast paths (cleanText, cleanJSONString). Every rendering must be
// well formed and carry the texts unchanged, from a feed made by Plan and
// from one made directly.
func FuzzParsed(f *testing.F) {
	for _, seed := range [][3]string{
		{"辽阳 & 振兴", "<p>摘要 &amp; 要点</p>", "<p>正文 <b>粗体</b> a < b > c\r\n]]></p>"},
		{"\x00\x0b\r", "\ufffe\uffff\xed\xa0\x80\xff", "&#0;&#xFFFE;<![CDATA[x]]>"},
		{"", "", "12345678&<>\r" + "辽阳市坚持把产业数字化"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	site := fuzzSite
	f.Fuzz(func(t *testing.T, title, summary, body string) {
		doc, err := json.Marshal(map[string]any{
			"id": "fuzz", "url": "https://example.org/fuzz", "title": title, "summary": summary,
			"content_html": body, "published": "2024-05-01T08:00:00Z", "categories": []string{title},
		})
		if err != nil {
			t.Fatal(err)
		}
		a, err := content.Parse("articles/fuzz.json", doc, time.UTC)
		if err != nil {
			return // a rejected document is FuzzParse's business
		}
		direct := &feed.Feed{Name: "index", Kind: feed.KindSite, Title: site.Title, Site: &site, Items: []*content.Article{a}, Updated: a.Updated}
		for _, fd := range append(feed.Plan(&site, []*content.Article{a}), direct) {
			out := fuzzRender(t, func(b *bytes.Buffer) error { return feed.RSS(b, fd) })
			if err := feedcheck.WellFormed(out); err != nil {
				t.Fatalf("rss %s: %v\n%q", fd.Name, err, out)
			}
			var rss rssDoc
			if err := xml.Unmarshal(out, &rss); err != nil {
				t.Fatalf("rss %s: %v", fd.Name, err)
			}
			if len(rss.Channel.Items) != 1 || rss.Channel.Items[0].Title != a.Title {
				t.Errorf("rss %s: got items %+v, want one titled %q", fd.Name, rss.Channel.Items, a.Title)
			}
			out = fuzzRender(t, func(b *bytes.Buffer) error { return feed.Atom(b, fd) })
			if err := feedcheck.WellFormed(out); err != nil {
				t.Fatalf("atom %s: %v\n%q", fd.Name, err, out)
			}
			var atom atomFeed
			if err := xml.Unmarshal(out, &atom); err != nil {
				t.Fatalf("atom %s: %v", fd.Name, err)
			}
			if len(atom.Entries) != 1 {
				t.Fatalf("atom %s: got %d entries, want 1", fd.Name, len(atom.Entries))
			}
			e := atom.Entries[0]
			if len(e.Title) != 1 || e.Title[0].Value != a.Title {
				t.Errorf("atom %s: got title %q, want %q", fd.Name, e.Title, a.Title)
			}
			if a.ContentHTML != "" && (len(e.Content) != 1 || e.Content[0].Value != a.ContentHTML) {
				t.Errorf("atom %s: got content %q, want %q", fd.Name, e.Content, a.ContentHTML)
			}
			out = fuzzRender(t, func(b *bytes.Buffer) error { return feed.JSON(b, fd) })
			var jf struct {
				Items []struct {
					Title       string `json:"title"`
					ContentHTML string `json:"content_html"`
					Summary     string `json:"summary"`
				} `json:"items"`
			}
			if err := json.Unmarshal(out, &jf); err != nil {
				t.Fatalf("json %s: %v\n%q", fd.Name, err, out)
			}
			if len(jf.Items) != 1 {
				t.Fatalf("json %s: got %d items, want 1", fd.Name, len(jf.Items))
			}
			if it := jf.Items[0]; it.Title != a.Title || it.Summary != a.SummaryText ||
				(a.ContentHTML != "" && it.ContentHTML != a.ContentHTML) {
				t.Errorf("json %s: got item %+v, want title %q, summary %q, content_html %q", fd.Name, it, a.Title, a.SummaryText, a.ContentHTML)
			}
		}
	})
}
