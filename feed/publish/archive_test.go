package publish_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/feedcheck"
	"github.com/feedpub/feedpub/feed/layout"
)

// archiveSite is the test site with a small item limit, so that feeds have
// archives, and no variants, so that files are few.
func archiveSite(t *testing.T) *feed.Site {
	site := loadSite(t)
	site.Limit = 4
	site.Precompress = []string{}
	return site
}

// archiveCorpus writes n articles, one every three days back from day, in
// categories "a" and "b" by turn; returns the ids by category ("" for all).
func archiveCorpus(t *testing.T, dir string, n int) map[string][]string {
	ids := map[string][]string{}
	for i := range n {
		id := fmt.Sprintf("a%02d", i)
		cat := []string{"a", "b"}[i%2]
		published := day.Add(-time.Duration(i) * 72 * time.Hour).Format(time.RFC3339)
		writeDocs(t, dir, article(id, published).with("categories", []string{cat}))
		ids[""] = append(ids[""], id)
		ids["category/"+cat] = append(ids["category/"+cat], id)
	}
	return ids
}

type xmlLink struct {
	Rel  string `xml:"rel,attr"`
	Href string `xml:"href,attr"`
}

// archiveDoc is what a reader walking a feed's history reads of one RSS or
// Atom document: its RFC 5005 links and marker, and its items' ids.
type archiveDoc struct {
	links   map[string]string
	archive bool
	ids     []string
}

func readArchiveDoc(t *testing.T, key string, body []byte, ext string) archiveDoc {
	t.Helper()
	if err := feedcheck.WellFormed(body); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	if err := feedcheck.Lint(body); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	d := archiveDoc{links: map[string]string{}}
	var links []xmlLink
	var marker *struct{}
	switch ext {
	case "rss":
		var v struct {
			Channel struct {
				Links   []xmlLink `xml:"http://www.w3.org/2005/Atom link"`
				Archive *struct{} `xml:"http://purl.org/syndication/history/1.0 archive"`
				Items   []struct {
					GUID string `xml:"guid"`
				} `xml:"item"`
			} `xml:"channel"`
		}
		decodeXML(t, key, body, &v)
		links, marker = v.Channel.Links, v.Channel.Archive
		for _, it := range v.Channel.Items {
			d.ids = append(d.ids, it.GUID)
		}
	case "atom":
		var v struct {
			Links   []xmlLink `xml:"http://www.w3.org/2005/Atom link"`
			Archive *struct{} `xml:"http://purl.org/syndication/history/1.0 archive"`
			Entries []struct {
				ID string `xml:"http://www.w3.org/2005/Atom id"`
			} `xml:"http://www.w3.org/2005/Atom entry"`
		}
		decodeXML(t, key, body, &v)
		links, marker = v.Links, v.Archive
		for _, e := range v.Entries {
			d.ids = append(d.ids, e.ID)
		}
	}
	for _, l := range links {
		if _, dup := d.links[l.Rel]; dup && l.Rel != "hub" {
			t.Errorf("%s: two %s links", key, l.Rel)
		}
		d.links[l.Rel] = l.Href
	}
	d.archive = marker != nil
	return d
}

// keyOf is the object key a URL of the site names.
func keyOf(t *testing.T, site *feed.Site, u string) string {
	t.Helper()
	p, ok := strings.CutPrefix(u, site.BaseURL+"/")
	if !ok {
		t.Fatalf("%s is not a URL of the site", u)
	}
	key, err := url.PathUnescape(p)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// walk follows a feed's history as an RFC 5005 reader does, from the
// subscription feed through prev-archive links, checking each archive
// page's links back, and returns the archive pages' keys (newest first)
// and the ids of the items they hold.
func walk(t *testing.T, site *feed.Site, files map[string][]byte, name, ext string) (pages, ids []string) {
	t.Helper()
	subKey := layout.FeedKey(name, ext)
	sub := readArchiveDoc(t, subKey, files[subKey], ext)
	if sub.archive {
		t.Errorf("%s: the subscription feed is marked fh:archive", subKey)
	}
	next, u := subKey, sub.links["prev-archive"]
	for u != "" {
		key := keyOf(t, site, u)
		if slices.Contains(pages, key) {
			t.Fatalf("%s: prev-archive links loop at %s", subKey, key)
		}
		body, ok := files[key]
		if !ok {
			t.Fatalf("%s links %s, which is not published", next, key)
		}
		d := readArchiveDoc(t, key, body, ext)
		if !d.archive {
			t.Errorf("%s: no fh:archive", key)
		}
		if got := d.links["current"]; got != layout.FeedURL(site.BaseURL, name, ext) {
			t.Errorf("%s: current link %q", key, got)
		}
		if got := d.links["self"]; keyOf(t, site, got) != key {
			t.Errorf("%s: self link %q", key, got)
		}
		if next == subKey {
			if d.links["next-archive"] != "" {
				t.Errorf("%s: the newest page links a next-archive %s", key, d.links["next-archive"])
			}
		} else if got := d.links["next-archive"]; keyOf(t, site, got) != next {
			t.Errorf("%s: next-archive %q, want the page that linked it, %s", key, got, next)
		}
		pages = append(pages, key)
		ids = append(ids, d.ids...)
		next, u = key, d.links["prev-archive"]
	}
	return pages, ids
}

// walkJSON follows next_url from a JSON Feed, as JSON Feed 1.1 pages.
func walkJSON(t *testing.T, site *feed.Site, files map[string][]byte, name string) (pages, ids []string) {
	t.Helper()
	key := layout.FeedKey(name, "json")
	for first := true; ; first = false {
		var v struct {
			Version string `json:"version"`
			FeedURL string `json:"feed_url"`
			NextURL string `json:"next_url"`
			Items   []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		if err := json.Unmarshal(files[key], &v); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if v.Version != "https://jsonfeed.org/version/1.1" || v.FeedURL != layout.FeedURL(site.BaseURL, name, "json") {
			t.Errorf("%s: version %q, feed_url %q", key, v.Version, v.FeedURL)
		}
		if !first {
			pages = append(pages, key)
			for _, it := range v.Items {
				ids = append(ids, it.ID)
			}
		}
		if v.NextURL == "" {
			return pages, ids
		}
		key = keyOf(t, site, v.NextURL)
		if slices.Contains(pages, key) {
			t.Fatalf("next_url loops at %s", key)
		}
		if _, ok := files[key]; !ok {
			t.Fatalf("next_url %s is not published", key)
		}
	}
}

func archiveItemIDs(site *feed.Site, ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = feed.ItemID(site, &content.Article{ID: id})
	}
	sort.Strings(out)
	return out
}

// A reader can walk every feed's whole history, in every format: the
// archive pages hold each of the feed's articles exactly once, linked both
// ways, and a feed within its item limit has no archive.
func TestArchivesHoldTheWholeHistory(t *testing.T) {
	site := archiveSite(t)
	articles, out := t.TempDir(), t.TempDir()
	want := archiveCorpus(t, articles, 30) // 90 days: 14 weeks of the site, 3 months of each category
	writeDocs(t, articles, article("lone", day.Add(-time.Hour).Format(time.RFC3339)).with("categories", []string{"c"}))
	want[""] = append(want[""], "lone")
	build(t, site, articles, out, day)
	files := outputs(t, out)
	for name, ids := range want {
		if name == "" {
			name = "index"
		}
		for _, ext := range []string{"rss", "atom"} {
			pages, got := walk(t, site, files, name, ext)
			sort.Strings(got)
			if !slices.Equal(got, archiveItemIDs(site, ids)) {
				t.Errorf("%s.%s: the archive holds %d items, want each of the %d articles once", name, ext, len(got), len(ids))
			}
			if len(pages) < 3 {
				t.Errorf("%s.%s: %d archive pages, want one per period", name, ext, len(pages))
			}
		}
		pages, got := walkJSON(t, site, files, name)
		sort.Strings(got)
		if !slices.Equal(got, archiveItemIDs(site, ids)) || len(pages) < 3 {
			t.Errorf("%s.json: %d pages hold %d items, want each of the %d articles once", name, len(pages), len(got), len(ids))
		}
	}
	// Pages are named by period: weeks of the site, months of categories.
	if _, ok := files["archive/index/2024-W18.atom"]; !ok {
		t.Errorf("no week page archive/index/2024-W18.atom")
	}
	if _, ok := files["archive/category/a/2024-04.atom"]; !ok {
		t.Errorf("no month page archive/category/a/2024-04.atom")
	}
	if pages, _ := walk(t, site, files, "category/c", "atom"); len(pages) != 0 {
		t.Errorf("category/c holds one article and has archive pages %v", pages)
	}
	for key := range files {
		if strings.HasPrefix(key, "archive/category/c/") {
			t.Errorf("%s published for a feed within its limit", key)
		}
	}
}

func archiveKeys(keys []string) []string {
	var out []string
	for _, k := range keys {
		if strings.HasPrefix(k, layout.ArchiveDir) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func pageKeys(name, page string) []string {
	var out []string
	for _, ext := range layout.Exts {
		out = append(out, layout.ArchiveKey(name, page, ext))
	}
	sort.Strings(out)
	return out
}

// An edit or a deletion rewrites only the page that holds the article; a
// new article in a new period writes its page and the newest page before
// it (whose next-archive changes); pages a build does not touch keep their
// bytes and their Last-Modified, and all but a feed's newest are cached
// for a day.
func TestArchivesChangeOnlyThePagesTouched(t *testing.T) {
	site := archiveSite(t)
	site.Feeds.Categories, site.Feeds.Tags, site.Feeds.Authors = false, false, false
	articles, out := t.TempDir(), t.TempDir()
	archiveCorpus(t, articles, 30)
	build(t, site, articles, out, day)
	before := outputs(t, out)
	modified := func() map[string]int64 {
		m := readManifest(t, out)
		got := map[string]int64{}
		for k, o := range m.Objects {
			got[k] = o.Modified
			if name, page, _, ok := layout.ArchiveName(k); ok {
				newest := page == "2024-W18"
				if long := strings.Contains(o.CacheControl, "max-age=86400"); long == newest {
					t.Errorf("%s (%s): Cache-Control %q", k, name, o.CacheControl)
				}
			}
		}
		return got
	}
	mod0 := modified()

	// a20 was published 60 days before day: 2024-03-02, in week 9.
	writeDocs(t, articles, article("a20", day.Add(-60*24*time.Hour).Format(time.RFC3339)).with("title", "Edited"))
	rep := build(t, site, articles, out, day.Add(time.Minute))
	if got, want := archiveKeys(rep.Written), pageKeys("index", "2024-W09"); !slices.Equal(got, want) {
		t.Errorf("an edit wrote archive pages %v, want only %v", got, want)
	}
	after := outputs(t, out)
	mod1 := modified()
	for key, body := range before {
		if _, _, _, ok := layout.ArchiveName(key); !ok || slices.Contains(pageKeys("index", "2024-W09"), key) {
			continue
		}
		if string(after[key]) != string(body) || mod1[key] != mod0[key] {
			t.Errorf("%s changed with an edit elsewhere", key)
		}
	}

	if err := os.Remove(filepath.Join(articles, "a25.json")); err != nil { // 2024-02-16, week 7
		t.Fatal(err)
	}
	rep = build(t, site, articles, out, day.Add(2*time.Minute))
	if got, want := archiveKeys(rep.Written), pageKeys("index", "2024-W07"); !slices.Equal(got, want) {
		t.Errorf("a deletion wrote archive pages %v, want only %v", got, want)
	}

	// A new article in the next week: its page appears, and the page
	// before it gains a next-archive link.
	later := day.Add(7 * 24 * time.Hour)
	writeDocs(t, articles, article("new", later.Format(time.RFC3339)))
	rep = build(t, site, articles, out, later)
	want := append(pageKeys("index", "2024-W18"), pageKeys("index", "2024-W19")...)
	sort.Strings(want)
	if got := archiveKeys(rep.Written); !slices.Equal(got, want) {
		t.Errorf("a new week wrote archive pages %v, want %v", got, want)
	}
}
