package feed_test

import (
	"bytes"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/feed"
)

// TestSelect checks which fixture articles may appear at now: no draft, no
// deleted article, no embargoed one, each id once.
func TestSelect(t *testing.T) {
	_, articles := fixture(t)
	got := itemIDs(feed.Select(articles, now))
	for _, id := range hiddenIDs {
		if slices.Contains(got, id) {
			t.Errorf("Select kept %s", id)
		}
	}
	want := []string{"html-like-title", "ar-gulf-desalination", "chang-e-6", "ko-busan-port", "tie-a", "tie-b",
		"secret-visible", "liaoyang-revival", "control-chars", "ja-sakura-2024"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestSelectOrder checks that items come newest first, ties broken by the
// newest change and then by id, whatever the input order.
func TestSelectOrder(t *testing.T) {
	_, articles := fixture(t)
	got := feed.Select(articles, now)
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		switch {
		case a.Published.Before(b.Published):
			t.Errorf("%s (published %v) before the newer %s (%v)", a.ID, a.Published, b.ID, b.Published)
		case a.Published.Equal(b.Published) && a.Updated.Before(b.Updated):
			t.Errorf("%s (updated %v) before the newer %s (%v)", a.ID, a.Updated, b.ID, b.Updated)
		case a.Published.Equal(b.Published) && a.Updated.Equal(b.Updated) && a.ID > b.ID:
			t.Errorf("tie: %s before %s, want id order", a.ID, b.ID)
		}
	}
	// tie-a and tie-b share a publication time, written in two forms.
	ia, ib := slices.Index(itemIDs(got), "tie-a"), slices.Index(itemIDs(got), "tie-b")
	if ia < 0 || ib != ia+1 {
		t.Errorf("got tie-a at %d and tie-b at %d, want them adjacent, tie-a first", ia, ib)
	}

	// The same articles with equal times in every field but the id.
	base := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	var same []*content.Article
	for _, id := range []string{"c", "a", "b"} {
		same = append(same, &content.Article{ID: id, Key: "articles/" + id + ".json", Status: content.StatusPublished, Published: base, Updated: base})
	}
	for range 3 {
		if got := itemIDs(feed.Select(same, now)); !slices.Equal(got, []string{"a", "b", "c"}) {
			t.Errorf("got %q, want [a b c]", got)
		}
		same = append(same[1:], same[0])
	}
}

// TestSelectDuplicateIDs checks that of two documents with one id the one
// changed last wins, in any input order, and that equal changes are broken
// by key.
func TestSelectDuplicateIDs(t *testing.T) {
	_, articles := fixture(t)
	reversed := slices.Clone(articles)
	slices.Reverse(reversed)
	for name, in := range map[string][]*content.Article{"name order": articles, "reversed": reversed} {
		t.Run(name, func(t *testing.T) {
			var found []*content.Article
			for _, a := range feed.Select(in, now) {
				if a.ID == "chang-e-6" {
					found = append(found, a)
				}
			}
			if len(found) != 1 || found[0].Key != "articles/chang-e-6-new.json" {
				t.Fatalf("got %d chang-e-6 items (%v), want the newest, articles/chang-e-6-new.json", len(found), found)
			}
		})
	}

	t.Run("equal updates", func(t *testing.T) {
		at := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
		x := &content.Article{ID: "x", Key: "articles/x-2.json", Title: "two", Status: content.StatusPublished, Published: at, Updated: at}
		y := &content.Article{ID: "x", Key: "articles/x-1.json", Title: "one", Status: content.StatusPublished, Published: at, Updated: at}
		for _, in := range [][]*content.Article{{x, y}, {y, x}} {
			got := feed.Select(in, now)
			if len(got) != 1 || got[0].Key != "articles/x-1.json" {
				t.Errorf("got %v, want the one with the first key", got)
			}
		}
	})
}

// hiddenLabels are the categories, tags and authors that only hidden
// fixture articles carry, or too few visible ones (tag_min_articles is 2).
var hiddenLabels = []string{"草稿栏目", "撤稿栏目", "禁发栏目", "禁发", "草稿作者", "撤稿作者", "禁发作者", "桜", "secret", "航天"}

// TestPlanHidesUnpublished checks that drafts, deleted and embargoed
// articles appear in no feed and no format, that their labels make no feed,
// and that they do not count towards tag_min_articles.
func TestPlanHidesUnpublished(t *testing.T) {
	s, articles := fixture(t)
	feeds := planAt(s, articles, now)
	var hidden []*content.Article
	for _, a := range articles {
		if slices.Contains(hiddenIDs, a.ID) {
			hidden = append(hidden, a)
		}
	}
	if len(hidden) != len(hiddenIDs) {
		t.Fatalf("got %d hidden fixture articles, want %d", len(hidden), len(hiddenIDs))
	}
	var all [][]byte
	for _, f := range feeds {
		for _, a := range f.Items {
			if slices.Contains(hiddenIDs, a.ID) {
				t.Errorf("%s holds %s", f.Name, a.ID)
			}
		}
		for _, l := range hiddenLabels {
			if f.Name == string(f.Kind)+"/"+feed.Slug(l) {
				t.Errorf("got feed %s (%q), which no visible article or too few carry", f.Name, l)
			}
		}
		for _, ext := range exts {
			all = append(all, render(t, ext, f))
		}
	}
	all = append(all, renderOPML(t, s, feeds))
	for _, body := range all {
		for _, a := range hidden {
			for _, needle := range []string{a.Title, a.URL, feed.ItemID(s, a), a.Categories[0], a.Authors[0].Name} {
				if bytes.Contains(body, []byte(needle)) {
					t.Errorf("output holds %q of the %s article %s", needle, a.Status, a.ID)
				}
			}
		}
	}
}

// TestPlanFeeds checks the feed list of the fixture site: one per category,
// tag (used by at least two visible articles) and author, labels folded by
// case and width, names sorted within each set.
func TestPlanFeeds(t *testing.T) {
	s, articles := fixture(t)
	feeds := planAt(s, articles, now)
	want := []struct{ name, label string }{
		{"index", ""},
		{"category/tech-science", "Tech & Science"},
		{"category/文化", "文化"},
		{"category/热点", "热点"},
		{"category/科技", "科技"},
		{"category/경제", "경제"},
		{"tag/ai", "AI"},
		{"tag/" + feed.Slug("🚀"), "🚀"},
		{"tag/振兴", "振兴"},
		{"author/emily-news-example-com", "emily@news.example.com"},
		{"author/ليلى-حسن", "ليلى حسن"},
		{"author/山田花子", "山田花子"},
		{"author/王晓梅", "王晓梅"},
		{"author/许刚", "许刚"},
		{"author/郑有胜", "郑有胜"},
	}
	if len(feeds) != len(want) {
		t.Fatalf("got feeds %q, want %d", names(feeds), len(want))
	}
	for i, w := range want {
		f := feeds[i]
		if f.Name != w.name || f.Label != w.label {
			t.Errorf("feed %d: got %q (label %q), want %q (label %q)", i, f.Name, f.Label, w.name, w.label)
		}
		wantTitle := s.Title
		if w.label != "" {
			wantTitle += " · " + w.label
		}
		if f.Title != wantTitle {
			t.Errorf("%s: got title %q, want %q", f.Name, f.Title, wantTitle)
		}
		if f.Site != s {
			t.Errorf("%s: the feed does not point at its site", f.Name)
		}
	}

	items := map[string][]string{
		"category/tech-science": {"html-like-title", "ko-busan-port"},                      // "Tech & Science" and "Tech&Science"
		"tag/ai":                {"html-like-title", "liaoyang-revival", "ja-sakura-2024"}, // "ＡＩ", "AI", "ai"
		"tag/振兴":                {"tie-a", "liaoyang-revival"},
		"category/科技":           {"ar-gulf-desalination", "chang-e-6", "control-chars"},
		"author/许刚":             {"liaoyang-revival", "control-chars"},
	}
	for name, want := range items {
		if got := itemIDs(byName(t, feeds, name).Items); !slices.Equal(got, want) {
			t.Errorf("%s: got items %q, want %q", name, got, want)
		}
	}
	if got, want := len(byName(t, feeds, "index").Items), len(feed.Select(articles, now)); got != want {
		t.Errorf("index: got %d items, want every visible article, %d", got, want)
	}
}

// TestEmbargoLifts checks that the embargoed article appears, once, in the
// first build at or after its publication time, with its labels' feeds.
func TestEmbargoLifts(t *testing.T) {
	s, articles := fixture(t)
	const id = "embargoed-address"
	for _, tc := range []struct {
		at      time.Time
		visible bool
	}{
		{embargoEnds.Add(-time.Second), false},
		{embargoEnds, true},
		{embargoEnds.Add(24 * time.Hour), true},
	} {
		t.Run(tc.at.Format(time.RFC3339), func(t *testing.T) {
			feeds := planAt(s, articles, tc.at)
			for _, name := range []string{"index", "category/禁发栏目", "tag/桜", "tag/secret", "author/禁发作者"} {
				var f *feed.Feed
				for _, g := range feeds {
					if g.Name == name {
						f = g
					}
				}
				if !tc.visible {
					if f != nil && slices.Contains(itemIDs(f.Items), id) {
						t.Errorf("%s holds %s before its embargo ends", name, id)
					}
					if f != nil && name != "index" {
						t.Errorf("got feed %s before the embargo ends", name)
					}
					continue
				}
				if f == nil {
					t.Errorf("no feed %s after the embargo ends; got %q", name, names(feeds))
					continue
				}
				if n := countID(f.Items, id); n != 1 {
					t.Errorf("%s holds %s %d times, want once", name, id, n)
				}
				for _, ext := range exts {
					if n := bytes.Count(render(t, ext, f), []byte(feed.ItemID(s, byID(t, articles, id)))); n != 1 {
						t.Errorf("%s.%s holds the item's id %d times, want once", name, ext, n)
					}
				}
			}
			if tc.visible {
				if got := byName(t, feeds, "index").Items[0].ID; got != id {
					t.Errorf("index: got %s first, want the newest, %s", got, id)
				}
			}
		})
	}
}

func countID(items []*content.Article, id string) int {
	n := 0
	for _, a := range items {
		if a.ID == id {
			n++
		}
	}
	return n
}

func byID(t *testing.T, articles []*content.Article, id string) *content.Article {
	t.Helper()
	for _, a := range articles {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("no fixture article %s", id)
	return nil
}

// TestPlanLimit checks that every feed keeps its newest items up to the
// site's limit, and that the limit does not change which feeds exist.
func TestPlanLimit(t *testing.T) {
	s, articles := fixture(t)
	full := planAt(s, articles, now)
	limited := *s
	limited.Limit = 2
	cut := planAt(&limited, articles, now)
	if !slices.Equal(names(cut), names(full)) {
		t.Fatalf("got feeds %q, want %q", names(cut), names(full))
	}
	for i, f := range cut {
		want := full[i].Items
		if len(want) > 2 {
			want = want[:2]
		}
		if got := itemIDs(f.Items); !slices.Equal(got, itemIDs(want)) {
			t.Errorf("%s: got %q, want the newest two, %q", f.Name, got, itemIDs(want))
		}
		for _, ext := range exts {
			render(t, ext, f)
		}
	}
	for _, f := range cut {
		var newest time.Time
		for _, a := range f.Items {
			if a.Updated.After(newest) {
				newest = a.Updated
			}
		}
		if !f.Updated.Equal(newest) {
			t.Errorf("%s: got updated %v, want the newest change among the kept items, %v", f.Name, f.Updated, newest)
		}
	}
}

// TestPlanTagMinArticles checks that a tag gets a feed only when at least
// tag_min_articles visible articles carry it.
func TestPlanTagMinArticles(t *testing.T) {
	s, articles := fixture(t)
	for _, tc := range []struct {
		min  int
		want []string
	}{
		{0, []string{"tag/ai", "tag/secret", "tag/" + feed.Slug("🚀"), "tag/数据清洗", "tag/振兴", "tag/航天", "tag/feeds", "tag/طاقة", "tag/桜", "tag/辽阳"}},
		{1, []string{"tag/ai", "tag/secret", "tag/" + feed.Slug("🚀"), "tag/数据清洗", "tag/振兴", "tag/航天", "tag/feeds", "tag/طاقة", "tag/桜", "tag/辽阳"}},
		{2, []string{"tag/ai", "tag/" + feed.Slug("🚀"), "tag/振兴"}},
		{3, []string{"tag/ai"}},
		{4, nil},
	} {
		site := *s
		site.Feeds.TagMinArticles = tc.min
		var got []string
		for _, f := range planAt(&site, articles, now) {
			if f.Kind == feed.KindTag {
				got = append(got, f.Name)
			}
		}
		slices.Sort(got)
		slices.Sort(tc.want)
		if !slices.Equal(got, tc.want) {
			t.Errorf("tag_min_articles %d: got %q, want %q", tc.min, got, tc.want)
		}
	}
}

// TestPlanSets checks that only the sets a site asks for are planned.
func TestPlanSets(t *testing.T) {
	s, articles := fixture(t)
	for _, tc := range []struct {
		sets feed.Sets
		want []feed.Kind
	}{
		{feed.Sets{Site: true}, []feed.Kind{feed.KindSite}},
		{feed.Sets{Categories: true}, []feed.Kind{feed.KindCategory}},
		{feed.Sets{Tags: true, TagMinArticles: 1}, []feed.Kind{feed.KindTag}},
		{feed.Sets{Authors: true}, []feed.Kind{feed.KindAuthor}},
		{feed.Sets{}, nil},
	} {
		site := *s
		site.Feeds = tc.sets
		var got []feed.Kind
		for _, f := range planAt(&site, articles, now) {
			if !slices.Contains(got, f.Kind) {
				got = append(got, f.Kind)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%+v: got sets %v, want %v", tc.sets, got, tc.want)
		}
	}
}

var hashName = regexp.MustCompile(`^x[0-9a-f]{8}$`)

func TestSlug(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"热点", "热点"},
		{"AI", "ai"},
		{"ＡＩ", "ai"}, // full width folds to ASCII
		{"ai", "ai"},
		{"Tech & Science", "tech-science"},
		{"  Tech -- Science!! ", "tech-science"},
		{"Tech&Science", "tech-science"},
		{"Café", "café"},
		{"Cafe\u0301", "café"}, // decomposed, composed by NFKC
		{"ÉCOLE", "école"},
		{"ليلى حسن", "ليلى-حسن"},
		{"हिन्दी", "हिन्दी"}, // virama and vowel signs are marks, kept
		{"Год 2024", "год-2024"},
		{"C++/Go", "c-go"},
		{"ｶﾀｶﾅ", "カタカナ"}, // half-width katakana folds to full width
		{"emily@news.example.com", "emily-news-example-com"},
	} {
		if got := feed.Slug(tc.in); got != tc.want {
			t.Errorf("Slug(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}

	t.Run("no letters", func(t *testing.T) {
		seen := map[string]string{}
		for _, in := range []string{"🚀", "🎉", "🚀🚀", "!!!", "", "   "} {
			got := feed.Slug(in)
			if !hashName.MatchString(got) {
				t.Errorf("Slug(%q): got %q, want x and 8 hex digits", in, got)
			}
			if again := feed.Slug(in); again != got {
				t.Errorf("Slug(%q): got %q, then %q", in, got, again)
			}
			if other, ok := seen[got]; ok {
				t.Errorf("Slug(%q) and Slug(%q) are both %q", in, other, got)
			}
			seen[got] = in
		}
	})

	t.Run("long", func(t *testing.T) {
		for _, in := range []string{
			strings.Repeat("a", 79) + " b",
			strings.Repeat("a", 200),
			strings.Repeat("热点 ", 40),
			strings.Repeat("ab ", 40),
			strings.Repeat("é", 100),
		} {
			got := feed.Slug(in)
			if len(got) == 0 || len(got) > 80 || !utf8.ValidString(got) || strings.HasSuffix(got, "-") || strings.HasPrefix(got, "-") {
				t.Errorf("Slug(%q): got %q (%d bytes), want 1 to 80 bytes of whole characters, no dash at either end", in, got, len(got))
			}
		}
	})
}

// TestFeedURL checks that feed URLs percent-encode every path segment and
// lead back to the feed's object key.
func TestFeedURL(t *testing.T) {
	s := loadSite(t)
	for _, tc := range []struct{ name, ext, want string }{
		{"index", "rss", "https://feeds.example.cn/feeds/index.rss"},
		{"category/热点", "rss", "https://feeds.example.cn/feeds/category/%E7%83%AD%E7%82%B9.rss"},
		{"tag/ليلى-حسن", "json", "https://feeds.example.cn/feeds/tag/%D9%84%D9%8A%D9%84%D9%89-%D8%AD%D8%B3%D9%86.json"},
		{"author/café", "atom", "https://feeds.example.cn/feeds/author/caf%C3%A9.atom"},
	} {
		f := &feed.Feed{Name: tc.name, Site: s}
		if got := f.URL(tc.ext); got != tc.want {
			t.Errorf("%s.%s: got URL %q, want %q", tc.name, tc.ext, got, tc.want)
		}
		if got, want := f.Key(tc.ext), "feeds/"+tc.name+"."+tc.ext; got != want {
			t.Errorf("%s.%s: got key %q, want %q", tc.name, tc.ext, got, want)
		}
	}

	_, articles := fixture(t)
	for _, f := range planAt(s, articles, now) {
		for _, ext := range exts {
			u, err := url.Parse(f.URL(ext))
			if err != nil {
				t.Errorf("%s: %v", f.Name, err)
				continue
			}
			if u.Path != "/"+f.Key(ext) {
				t.Errorf("%s: got URL path %q, want %q", f.Name, u.Path, "/"+f.Key(ext))
			}
			if strings.ContainsFunc(u.RawPath+u.EscapedPath(), func(r rune) bool { return r > 0x7e || r <= ' ' }) {
				t.Errorf("%s: got URL %q, want ASCII only", f.Name, f.URL(ext))
			}
		}
	}
}
