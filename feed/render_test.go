package feed_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/feed"
)

var exts = []string{"rss", "atom", "json"}

// TestRenderEveryFeed renders every feed the fixture site publishes in every
// format, and the OPML list, through checkFeed.
func TestRenderEveryFeed(t *testing.T) {
	s, articles := fixture(t)
	feeds := planAt(s, articles, now)
	for _, f := range feeds {
		for _, ext := range exts {
			t.Run(f.Name+"."+ext, func(t *testing.T) {
				render(t, ext, f)
			})
		}
	}
	renderOPML(t, s, feeds)
}

// TestFormatsAgree checks that every item has the same id and the same
// title in RSS (guid), Atom (id) and JSON Feed (id), read by encoding/xml
// and encoding/json.
func TestFormatsAgree(t *testing.T) {
	s, articles := fixture(t)
	for _, f := range planAt(s, articles, now) {
		t.Run(f.Name, func(t *testing.T) {
			rss := checkRSS(t, render(t, "rss", f)).Channel.Items
			atom := checkAtom(t, render(t, "atom", f)).Entries
			js := checkJSONFeed(t, render(t, "json", f)).Items
			if len(rss) != len(f.Items) || len(atom) != len(f.Items) || len(js) != len(f.Items) {
				t.Fatalf("got %d RSS, %d Atom and %d JSON items, want %d", len(rss), len(atom), len(js), len(f.Items))
			}
			for i, a := range f.Items {
				id := feed.ItemID(s, a)
				if rss[i].GUID.Value != id || atom[i].ID[0] != id || js[i].ID != id {
					t.Errorf("item %d (%s): got ids %q (RSS), %q (Atom), %v (JSON), want %q in all",
						i, a.ID, rss[i].GUID.Value, atom[i].ID[0], js[i].ID, id)
				}
				if rss[i].Title != a.Title || atom[i].Title[0].Value != a.Title || js[i].Title != a.Title {
					t.Errorf("item %d (%s): got titles %q (RSS), %q (Atom), %q (JSON), want %q in all",
						i, a.ID, rss[i].Title, atom[i].Title[0].Value, js[i].Title, a.Title)
				}
			}
		})
	}
}

var uuidURN = regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestItemIDStable checks that an item's id survives edits to the article
// and differs between articles.
func TestItemIDStable(t *testing.T) {
	s, articles := fixture(t)
	seen := map[string]string{}
	for _, a := range feed.Select(articles, now) {
		id := feed.ItemID(s, a)
		if !uuidURN.MatchString(id) {
			t.Errorf("%s: got id %q, want a version 5 UUID URN", a.ID, id)
		}
		if other, ok := seen[id]; ok {
			t.Errorf("%s and %s share the id %q", a.ID, other, id)
		}
		seen[id] = a.ID
	}

	original := articles[0]
	edits := []struct {
		name string
		edit func(a *content.Article)
	}{
		{"title", func(a *content.Article) { a.Title = "A new headline" }},
		{"content", func(a *content.Article) {
			a.ContentHTML, a.Summary, a.SummaryText = "<p>rewritten</p>", "rewritten", "rewritten"
		}},
		{"updated", func(a *content.Article) { a.Updated = a.Updated.Add(72 * time.Hour) }},
		{"key", func(a *content.Article) { a.Key = "articles/moved.json" }},
		{"authors and labels", func(a *content.Article) { a.Authors, a.Categories, a.Tags = nil, []string{"新栏目"}, nil }},
	}
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			edited := *original
			e.edit(&edited)
			want := feed.ItemID(s, original)
			if got := feed.ItemID(s, &edited); got != want {
				t.Errorf("got id %q after editing the %s, want %q", got, e.name, want)
			}
			f := &feed.Feed{Name: "index", Kind: feed.KindSite, Title: s.Title, Site: s, Items: []*content.Article{&edited}, Updated: edited.Updated}
			if got := checkRSS(t, render(t, "rss", f)).Channel.Items[0].GUID.Value; got != want {
				t.Errorf("got guid %q after editing the %s, want %q", got, e.name, want)
			}
		})
	}
}

// renderSite renders what a build publishes: every feed in every format and
// the OPML list, by object key.
func renderSite(t *testing.T, s *feed.Site, feeds []*feed.Feed) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range feeds {
		for _, ext := range exts {
			out[f.Key(ext)] = render(t, ext, f)
		}
	}
	out["feeds.opml"] = renderOPML(t, s, feeds)
	return out
}

func sameSite(t *testing.T, got, want map[string][]byte) {
	t.Helper()
	for key, w := range want {
		g, ok := got[key]
		switch {
		case !ok:
			t.Errorf("%s: missing", key)
		case !bytes.Equal(g, w):
			t.Errorf("%s: output differs:\ngot  %s\nwant %s", key, g, w)
		}
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("%s: unexpected", key)
		}
	}
}

// TestDeterministic checks that the same articles give byte-identical feeds:
// rendered twice, read in any order, and built at any time before the next
// embargo ends.
func TestDeterministic(t *testing.T) {
	s, articles := fixture(t)
	want := renderSite(t, s, planAt(s, articles, now))
	if len(want) < 4*3 {
		t.Fatalf("got %d objects, want a site with several feeds", len(want))
	}

	t.Run("again", func(t *testing.T) {
		sameSite(t, renderSite(t, s, planAt(s, articles, now)), want)
	})
	t.Run("reversed", func(t *testing.T) {
		reversed := make([]*content.Article, len(articles))
		for i, a := range articles {
			reversed[len(articles)-1-i] = a
		}
		sameSite(t, renderSite(t, s, planAt(s, reversed, now)), want)
	})
	t.Run("shuffled", func(t *testing.T) {
		rng := rand.New(rand.NewSource(1))
		for range 5 {
			shuffled := append([]*content.Article(nil), articles...)
			rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			sameSite(t, renderSite(t, s, planAt(s, shuffled, now)), want)
		}
	})
	t.Run("later build", func(t *testing.T) {
		sameSite(t, renderSite(t, s, planAt(s, articles, embargoEnds.Add(-time.Second))), want)
	})
}

// TestUpdatedIsNewestItem checks that a feed's date (RSS lastBuildDate, Atom
// updated) is the newest change among its items, never the clock; an empty
// feed has a fixed date.
func TestUpdatedIsNewestItem(t *testing.T) {
	s, articles := fixture(t)
	for _, f := range planAt(s, articles, now) {
		var newest time.Time
		for _, a := range f.Items {
			if a.Updated.After(newest) {
				newest = a.Updated
			}
		}
		if !f.Updated.Equal(newest) {
			t.Errorf("%s: got updated %v, want the newest item's %v", f.Name, f.Updated, newest)
		}
		for _, ext := range []string{"rss", "atom"} {
			parsed, err := gofeed.NewParser().Parse(bytes.NewReader(render(t, ext, f)))
			if err != nil {
				t.Fatal(err)
			}
			if parsed.UpdatedParsed == nil || !parsed.UpdatedParsed.Equal(newest) {
				t.Errorf("%s.%s: got feed date %v, want %v", f.Name, ext, parsed.UpdatedParsed, newest)
			}
		}
	}

	t.Run("empty", func(t *testing.T) {
		var first map[string][]byte
		for _, at := range []time.Time{now, now.Add(1000 * time.Hour)} {
			feeds := planAt(s, nil, at)
			if len(feeds) != 1 || len(feeds[0].Items) != 0 {
				t.Fatalf("got feeds %v, want the empty index only", names(feeds))
			}
			if got, want := feeds[0].Updated, time.Unix(0, 0); !got.Equal(want) {
				t.Errorf("got updated %v, want %v", got, want)
			}
			got := renderSite(t, s, feeds)
			if first == nil {
				first = got
				continue
			}
			sameSite(t, got, first)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(first["feeds/index.json"], &doc); err != nil {
			t.Fatal(err)
		}
		if got := string(doc["items"]); got != "[]" {
			t.Errorf("got items %s, want []", got)
		}
	})
}

// TestFullText checks the full_text switch: content:encoded, Atom content
// and JSON content_html carry the body when it is on, the summary only when
// it is off.
func TestFullText(t *testing.T) {
	s, articles := fixture(t)
	for _, fullText := range []bool{true, false} {
		site := *s
		site.FullText = fullText
		f := byName(t, planAt(&site, articles, now), "index")
		for _, ext := range exts {
			parsed := checkFeed(t, ext, render(t, ext, f))
			for i, a := range f.Items {
				got := parsed.Items[i].Content
				want := ""
				switch {
				case fullText && a.ContentHTML != "":
					want = a.ContentHTML
				case ext == "json" && a.Summary != "":
					want = a.Summary // content_html is required, so the summary stands in
				}
				if got != want {
					t.Errorf("full_text %v, %s, %s: got content %q, want %q", fullText, ext, a.ID, got, want)
				}
				if ext != "json" && parsed.Items[i].Description != a.Summary {
					t.Errorf("full_text %v, %s, %s: got description %q, want the summary %q", fullText, ext, a.ID, parsed.Items[i].Description, a.Summary)
				}
			}
		}
	}
}

// TestGolden compares the fixture site's index feed in every format, and its
// OPML list, with reviewed files in testdata/golden (go test ./feed -update
// rewrites them).
func TestGolden(t *testing.T) {
	s, articles := fixture(t)
	feeds := planAt(s, articles, now)
	outputs := map[string][]byte{"site.opml": renderOPML(t, s, feeds)}
	for _, ext := range exts {
		outputs["site."+ext] = render(t, ext, byName(t, feeds, "index"))
	}
	for name, got := range outputs {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "golden", name)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test ./feed -update writes it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file (go test ./feed -update rewrites it; review the diff):\ngot  %s\nwant %s", name, got, want)
			}
		})
	}
}

// bad holds the characters XML 1.0 forbids, a non-character, invalid UTF-8
// (a stray byte and an encoded surrogate), markup and white space.
const bad = "a\x00b\x0bc\x1fd\uFFFEe\uFFFFf\xffg\xed\xa0\x80h <&>\"' i\r\nj\tk\u2028l"

// TestControlCharacters renders an article whose every string holds bad
// characters, built directly (content.Parse would have cleaned them), and
// checks that every format stays well formed and drops or replaces them.
func TestControlCharacters(t *testing.T) {
	s := loadSite(t)
	s.Feeds.TagMinArticles = 1
	a := &content.Article{
		Key:         "articles/bad.json",
		ID:          "bad",
		URL:         "https://news.example.cn/bad\x00\x0b.html",
		Title:       "Title " + bad,
		Summary:     "<p>Summary " + bad + "</p>",
		SummaryText: "Summary " + bad,
		ContentHTML: "<p>Content " + bad + "</p>",
		Authors:     []content.Author{{Name: "Author " + bad, Email: "au\x01thor@example.cn", URL: "https://news.example.cn/au\x1fthor"}},
		Categories:  []string{"Category " + bad},
		Tags:        []string{"Tag " + bad},
		Language:    "en",
		Published:   time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC),
		Updated:     time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC),
		Image:       &content.Image{URL: "https://img.example.cn/\x00a.jpg", Type: "image/jpeg", Alt: "Alt " + bad},
		Enclosures:  []content.Enclosure{{URL: "https://media.example.cn/\x0ba.mp3", Type: "audio/mpeg\x00", Length: 1}},
		Source:      &content.Source{Name: "Source " + bad, URL: "https://source.example.cn/\x00"},
		Rights:      "Rights " + bad,
		Status:      content.StatusPublished,
	}
	feeds := feed.Plan(s, []*content.Article{a})
	if len(feeds) != 4 {
		t.Fatalf("got feeds %v, want index, a category, a tag and an author", names(feeds))
	}
	for _, f := range feeds {
		for _, ext := range exts {
			t.Run(f.Name+"."+ext, func(t *testing.T) {
				body := render(t, ext, f)
				for _, c := range []string{"\x00", "\x01", "\x0b", "\x1f", "\uFFFE", "\uFFFF", "\xff", "\xed\xa0\x80"} {
					if bytes.Contains(body, []byte(c)) {
						t.Errorf("output holds %q", c)
					}
				}
				var texts []string
				if ext == "json" {
					var doc any
					if err := json.Unmarshal(body, &doc); err != nil {
						t.Fatal(err)
					}
					walkStrings(doc, func(s string) { texts = append(texts, s) })
				} else {
					texts = xmlTexts(t, body)
				}
				all := strings.Join(texts, "\n")
				for _, r := range all {
					if !content.Allowed(r) {
						t.Errorf("decoded text holds %U", r)
					}
				}
				want := "Title " + clean(bad)
				if !strings.Contains(all, want) {
					t.Errorf("no text is the cleaned title %q", want)
				}
				if !strings.Contains(all, "f\uFFFDg\uFFFD\uFFFD\uFFFDh") {
					t.Error("invalid UTF-8 was not replaced with U+FFFD")
				}
			})
		}
	}
	renderOPML(t, s, feeds)
}

// xmlTexts returns every attribute value and run of character data in an
// XML document, read by encoding/xml in strict mode.
func xmlTexts(t *testing.T, body []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	var out []string
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatal(err)
		}
		switch tok := tok.(type) {
		case xml.CharData:
			out = append(out, string(tok))
		case xml.StartElement:
			for _, a := range tok.Attr {
				out = append(out, a.Value)
			}
		}
	}
}
