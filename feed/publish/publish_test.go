package publish_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/publish"
)

func TestRunPublishesEveryFeedSet(t *testing.T) {
	site := loadSite(t)
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles,
		article("a1", "2024-01-01T10:00:00Z").with("categories", []string{"News"}).with("tags", []string{"Go", "Rust"}).
			with("authors", []map[string]string{{"name": "Ann"}}),
		article("a2", "2024-01-02T10:00:00Z").with("categories", []string{"Sport"}).with("tags", []string{"Go"}).
			with("authors", []map[string]string{{"name": "Bob"}}),
		article("a3", "2024-01-03T10:00:00Z").with("categories", []string{"News"}).with("tags", []string{"go"}).
			with("authors", []map[string]string{{"name": "Ann"}, {"name": "Bob"}}),
	)
	rep := build(t, site, articles, out, day)

	want := map[string][]string{
		"index":          urlsOf("a3", "a2", "a1"),
		"category/news":  urlsOf("a3", "a1"),
		"category/sport": urlsOf("a2"),
		"tag/go":         urlsOf("a3", "a2", "a1"), // "Go" and "go" are one tag
		"author/ann":     urlsOf("a3", "a1"),
		"author/bob":     urlsOf("a3", "a2"),
		// tag/rust: one article, below tag_min_articles
	}
	var names []string
	for name := range want {
		names = append(names, name)
	}
	if got := feedNames(rep); !slices.Equal(got, sorted(names)) {
		t.Fatalf("feeds: got %v, want %v", got, sorted(names))
	}
	for name, wantURLs := range want {
		t.Run(name, func(t *testing.T) {
			if got := urls(feedItems(t, out, name)); !slices.Equal(got, wantURLs) {
				t.Errorf("items: got %v, want %v", got, wantURLs)
			}
			fr := feedReport(t, rep, name)
			if fr.Items != len(wantURLs) || fr.Retired || fr.Dropped != 0 {
				t.Errorf("report: got items %d retired %v dropped %d, want items %d, not retired, none dropped", fr.Items, fr.Retired, fr.Dropped, len(wantURLs))
			}
			if fr.URL != feedURL(name, "rss") {
				t.Errorf("report url: got %q, want %q", fr.URL, feedURL(name, "rss"))
			}
			if !listed(t, out, name) {
				t.Errorf("index.html and feeds.opml do not list %s", name)
			}
		})
	}

	wantFiles := append(feedFiles(names...), append([]string{"build-report.json"}, pageFiles...)...)
	if got := objectsOf(t, outputs(t, out)); !slices.Equal(got, sorted(wantFiles)) {
		t.Errorf("files: got %v, want %v", got, sorted(wantFiles))
	}
	if got, want := sorted(rep.Written), published(t, out); !slices.Equal(got, want) {
		t.Errorf("written: got %v, want %v", got, want)
	}
	if len(rep.Unchanged) != 0 {
		t.Errorf("first build: unchanged %v, want none", rep.Unchanged)
	}

	alternates, _ := indexLinks(t, out)
	for _, f := range feed.Formats {
		mt, _, _ := strings.Cut(f.ContentType, ";")
		if got, want := alternates[mt], []string{feedURL("index", f.Ext)}; !slices.Equal(got, want) {
			t.Errorf("index.html autodiscovery for %s: got %v, want %v", mt, got, want)
		}
	}
	if got := opmlURLs(t, out); len(got) != len(want) {
		t.Errorf("feeds.opml lists %d feeds, want %d: %v", len(got), len(want), got)
	}

	onDisk := readReport(t, out)
	if onDisk.Articles != rep.Articles || !slices.Equal(feedNames(onDisk), feedNames(rep)) {
		t.Errorf("build-report.json: got %+v %v, want %+v %v", onDisk.Articles, feedNames(onDisk), rep.Articles, feedNames(rep))
	}
	if want := (publish.Counts{Read: 3, Fetched: 3, Accepted: 3, Published: 3}); rep.Articles != want {
		t.Errorf("counts: got %+v, want %+v", rep.Articles, want)
	}
}

func keysOf(m map[string][]byte) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

func TestRunRejectsBadDocuments(t *testing.T) {
	marshal := func(d doc) []byte {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	bad := func() doc { return article("bad", "2024-01-02T10:00:00Z") }
	tests := []struct {
		name  string
		body  []byte
		field string
	}{
		{"not JSON", []byte(`{"id": "bad", "url": "https://example.com/articles/bad", "title": "cut off`), ""},
		{"trailing comma", []byte(`{"id": "bad", "url": "https://example.com/articles/bad", "title": "t", "published": "2024-01-02T10:00:00Z",}`), ""},
		{"not an object", []byte(`["https://example.com/articles/bad"]`), ""},
		{"null", []byte(`null`), ""},
		{"invalid UTF-8", bytes.Replace(marshal(bad()), []byte("Title of"), []byte("Title \xff\xfe of"), 1), ""},
		{"missing id", marshal(bad().without("id")), "id"},
		{"missing url", marshal(bad().without("url")), "url"},
		{"missing published", marshal(bad().without("published")), "published"},
		{"no title or summary", marshal(bad().without("title").without("summary")), "title"},
		{"tags is a string", marshal(bad().with("tags", "a, b")), "tags"},
		{"published is a number", marshal(bad().with("published", 1714521600)), "published"},
		{"published is not a time", marshal(bad().with("published", "yesterday")), "published"},
		{"url is relative", marshal(bad().with("url", "/articles/bad")), "url"},
		{"authors is an object", marshal(bad().with("authors", map[string]string{"name": "Ann"})), "authors"},
		{"unknown status", marshal(bad().with("status", "archived")), "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			articles, out := t.TempDir(), t.TempDir()
			writeDocs(t, articles, article("good", "2024-01-01T10:00:00Z"))
			writeFile(t, articles, "bad.json", tt.body)
			rep := build(t, loadSite(t), articles, out, day)

			if len(rep.Rejected) != 1 || rep.Rejected[0].Key != "bad.json" {
				t.Fatalf("rejected: got %+v, want bad.json alone", rep.Rejected)
			}
			var fields []string
			for _, p := range rep.Rejected[0].Problems {
				fields = append(fields, p.Field)
				if p.Reason == "" {
					t.Errorf("problem with field %q has no reason", p.Field)
				}
			}
			if !slices.Contains(fields, tt.field) {
				t.Errorf("fields: got %q, want one %q", fields, tt.field)
			}
			if want := (publish.Counts{Read: 2, Fetched: 2, Accepted: 1, Rejected: 1, Published: 1}); rep.Articles != want {
				t.Errorf("counts: got %+v, want %+v", rep.Articles, want)
			}
			if got := urls(feedItems(t, out, "index")); !slices.Equal(got, urlsOf("good")) {
				t.Errorf("index: got %v, want %v", got, urlsOf("good"))
			}
			if got := mentioning(t, out, "Title of bad", "Summary of bad"); len(got) != 0 {
				t.Errorf("the rejected document shows in %v", got)
			}
			onDisk := readReport(t, out)
			if len(onDisk.Rejected) != 1 || onDisk.Rejected[0].Key != "bad.json" || len(onDisk.Rejected[0].Problems) != len(fields) {
				t.Errorf("build-report.json rejected: got %+v, want %+v", onDisk.Rejected, rep.Rejected)
			}
		})
	}
}

func TestRunEmbargo(t *testing.T) {
	site := loadSite(t)
	articles, out := t.TempDir(), t.TempDir()
	lift := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	writeDocs(t, articles,
		article("live", "2024-01-01T10:00:00Z").with("categories", []string{"News"}),
		article("future", "2024-06-01T20:00:00+08:00").with("categories", []string{"Embargoed"}).
			with("authors", []map[string]string{{"name": "Eve"}}),
	)
	id := feed.ItemID(site, &content.Article{ID: "future"})

	rep := build(t, site, articles, out, lift.Add(-time.Second))
	if got := mentioning(t, out, articleURL("future"), id, "Title of future", "Embargoed", ">Eve<", `"Eve"`); len(got) != 0 {
		t.Errorf("before its time the embargoed article shows in %v", got)
	}
	if got, want := feedNames(rep), []string{"category/news", "index"}; !slices.Equal(got, want) {
		t.Errorf("feeds before the embargo lifts: got %v, want %v", got, want)
	}
	if rep.Articles.Embargoed != 1 || rep.Articles.Published != 1 {
		t.Errorf("counts: got %+v, want 1 embargoed, 1 published", rep.Articles)
	}
	if rep.NextEmbargo == nil || !rep.NextEmbargo.Equal(lift) {
		t.Errorf("next embargo: got %v, want %v", rep.NextEmbargo, lift)
	}

	rep = build(t, site, articles, out, lift)
	if got, want := urls(feedItems(t, out, "index")), urlsOf("future", "live"); !slices.Equal(got, want) {
		t.Errorf("index once the embargo lifts: got %v, want %v", got, want)
	}
	for _, name := range []string{"category/embargoed", "author/eve"} {
		if got, want := urls(feedItems(t, out, name)), urlsOf("future"); !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
		if !listed(t, out, name) {
			t.Errorf("%s is not listed in index.html and feeds.opml", name)
		}
	}
	if rep.Articles.Embargoed != 0 || rep.Articles.Published != 2 || rep.NextEmbargo != nil {
		t.Errorf("counts: got %+v next %v, want 2 published, none embargoed", rep.Articles, rep.NextEmbargo)
	}
}

func TestRunDraftsAndDeletedAppearNowhere(t *testing.T) {
	site := loadSite(t)
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles,
		article("live", "2024-01-01T10:00:00Z").with("tags", []string{"Shared"}),
		article("draft", "2024-01-02T10:00:00Z").with("status", "draft").with("categories", []string{"Drafts"}).
			with("tags", []string{"Shared"}).with("authors", []map[string]string{{"name": "Dan"}}),
		article("deleted", "2024-01-03T10:00:00Z").with("status", "deleted").with("categories", []string{"Gone"}).
			with("tags", []string{"Shared"}).with("authors", []map[string]string{{"name": "Del"}}),
	)
	rep := build(t, site, articles, out, day)

	for _, id := range []string{"draft", "deleted"} {
		if got := mentioning(t, out, articleURL(id), feed.ItemID(site, &content.Article{ID: id}), "Title of "+id); len(got) != 0 {
			t.Errorf("%s shows in %v", id, got)
		}
	}
	// Only one published article is tagged Shared: below tag_min_articles.
	if got, want := feedNames(rep), []string{"index"}; !slices.Equal(got, want) {
		t.Errorf("feeds: got %v, want %v", got, want)
	}
	if got, want := urls(feedItems(t, out, "index")), urlsOf("live"); !slices.Equal(got, want) {
		t.Errorf("index: got %v, want %v", got, want)
	}
	if want := (publish.Counts{Read: 3, Fetched: 3, Accepted: 3, Published: 1, Drafts: 1, Deleted: 1}); rep.Articles != want {
		t.Errorf("counts: got %+v, want %+v", rep.Articles, want)
	}
}

func TestRunRetiresFeedsNoArticleHolds(t *testing.T) {
	keep := article("keep", "2024-01-01T10:00:00Z").with("categories", []string{"Stay"}).with("tags", []string{"Common"}).
		with("authors", []map[string]string{{"name": "Ann"}})
	leaving := func() doc {
		return article("leaving", "2024-01-02T10:00:00Z").with("categories", []string{"Leaving"}).
			with("tags", []string{"Common"}).with("authors", []map[string]string{{"name": "Zed"}})
	}
	retired := []string{"author/zed", "category/leaving", "tag/common"}
	tests := []struct {
		name   string
		change func(t *testing.T, articles string)
	}{
		{"deleted", func(t *testing.T, dir string) { writeDocs(t, dir, leaving().with("status", "deleted")) }},
		{"back to draft", func(t *testing.T, dir string) { writeDocs(t, dir, leaving().with("status", "draft")) }},
		{"file removed", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "leaving.json")); err != nil {
				t.Fatal(err)
			}
		}},
		{"embargoed again", func(t *testing.T, dir string) {
			writeDocs(t, dir, leaving().with("published", "2030-01-01T00:00:00Z"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := loadSite(t)
			articles, out := t.TempDir(), t.TempDir()
			writeDocs(t, articles, keep, leaving())
			rep := build(t, site, articles, out, day)
			for _, name := range retired {
				if got := len(feedItems(t, out, name)); got == 0 {
					t.Fatalf("first build: %s has no item", name)
				}
			}
			if n := len(rep.Feeds); n != 6 {
				t.Fatalf("first build: got feeds %v, want 6", feedNames(rep))
			}

			tt.change(t, articles)
			for i := range 2 { // the build after the change, then one more
				rep = build(t, site, articles, out, day)
				if got := mentioning(t, out, articleURL("leaving"), "Title of leaving"); len(got) != 0 {
					t.Errorf("build %d: the article that left shows in %v", i+2, got)
				}
				if got, want := urls(feedItems(t, out, "index")), urlsOf("keep"); !slices.Equal(got, want) {
					t.Errorf("build %d: index: got %v, want %v", i+2, got, want)
				}
				for _, name := range retired {
					if got := feedItems(t, out, name); len(got) != 0 {
						t.Errorf("build %d: retired feed %s: got items %v, want none", i+2, name, got)
					}
					if fr := feedReport(t, rep, name); !fr.Retired || fr.Items != 0 {
						t.Errorf("build %d: report for %s: got retired %v items %d, want retired, 0 items", i+2, name, fr.Retired, fr.Items)
					}
					if listed(t, out, name) {
						t.Errorf("build %d: retired feed %s is listed in index.html and feeds.opml", i+2, name)
					}
				}
				for _, name := range []string{"index", "category/stay", "author/ann"} {
					if fr := feedReport(t, rep, name); fr.Retired || !listed(t, out, name) {
						t.Errorf("build %d: live feed %s: retired %v, listed %v; want listed", i+2, name, fr.Retired, listed(t, out, name))
					}
				}
				wantIn, in := rep.Written, "written"
				if i == 1 {
					wantIn, in = rep.Unchanged, "unchanged"
				}
				for _, key := range feedKeys(retired...) {
					if !slices.Contains(wantIn, key) {
						t.Errorf("build %d: %s is not reported %s (written %v)", i+2, key, in, rep.Written)
					}
				}
			}
		})
	}
}

func TestRunDuplicateIDs(t *testing.T) {
	tests := []struct {
		name           string
		aUpdated       string
		bUpdated       string
		kept, rejected string
	}{
		{"the newer update wins", "2024-01-01T11:00:00Z", "2024-01-01T12:00:00Z", "b", "a"},
		{"on a tie the first key wins", "2024-01-01T12:00:00Z", "2024-01-01T12:00:00Z", "a", "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			articles, out := t.TempDir(), t.TempDir()
			for _, f := range []struct{ name, updated string }{{"a", tt.aUpdated}, {"b", tt.bUpdated}} {
				d := article("same", "2024-01-01T10:00:00Z").with("url", articleURL(f.name)).with("title", "copy "+f.name).
					with("updated", f.updated).with("categories", []string{"News"})
				body, err := json.Marshal(d)
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, articles, f.name+".json", body)
			}
			writeDocs(t, articles, article("other", "2024-01-02T10:00:00Z"))
			rep := build(t, loadSite(t), articles, out, day)

			for _, name := range []string{"index", "category/news"} {
				var ids []string
				for _, it := range feedItems(t, out, name) {
					if it.URL == articleURL("a") || it.URL == articleURL("b") {
						ids = append(ids, it.URL)
					}
				}
				if want := urlsOf(tt.kept); !slices.Equal(ids, want) {
					t.Errorf("%s: copies of the article: got %v, want %v", name, ids, want)
				}
			}
			if got := mentioning(t, out, articleURL(tt.rejected), "copy "+tt.rejected); len(got) != 0 {
				t.Errorf("the rejected copy shows in %v", got)
			}
			if len(rep.Rejected) != 1 || rep.Rejected[0].Key != tt.rejected+".json" ||
				len(rep.Rejected[0].Problems) != 1 || rep.Rejected[0].Problems[0].Field != "id" {
				t.Fatalf("rejected: got %+v, want %s.json, field id", rep.Rejected, tt.rejected)
			}
			if reason := rep.Rejected[0].Problems[0].Reason; !strings.Contains(reason, tt.kept+".json") {
				t.Errorf("reason %q does not name the copy that is published, %s.json", reason, tt.kept)
			}
		})
	}
}

func TestRunByteBudget(t *testing.T) {
	site := loadSite(t)
	articles, full, out := t.TempDir(), t.TempDir(), t.TempDir()
	const n = 20
	for i := range n {
		id := fmt.Sprintf("a%02d", i)
		body := strings.Repeat(fmt.Sprintf("<p>Paragraph of %s. </p>", id), 30)
		writeDocs(t, articles, article(id, day.Add(-time.Duration(n-i)*time.Hour).Format(time.RFC3339)).
			with("content_html", body).with("categories", []string{"News"}))
	}
	build(t, site, articles, full, day)
	all := urls(feedItems(t, full, "index"))
	if len(all) != n {
		t.Fatalf("unbudgeted index: got %d items, want %d", len(all), n)
	}

	site.MaxBytes = 8000
	for key, body := range outputs(t, full) {
		if strings.HasPrefix(key, "feeds/") && store.EncodingByKey(key) == "" && len(body) <= site.MaxBytes {
			t.Fatalf("unbudgeted %s is %d bytes: the budget %d would not cut it", key, len(body), site.MaxBytes)
		}
	}
	rep := build(t, site, articles, out, day)
	for _, name := range []string{"index", "category/news"} {
		kept := n
		for _, ext := range exts {
			key := "feeds/" + name + "." + ext
			info, err := os.Stat(filepath.Join(out, filepath.FromSlash(key)))
			if err != nil {
				t.Fatal(err)
			}
			if info.Size() > int64(site.MaxBytes) {
				t.Errorf("%s: got %d bytes, want at most %d", key, info.Size(), site.MaxBytes)
			}
			got := urls(formatItems(t, out, name, ext))
			if len(got) == 0 || len(got) == n {
				t.Errorf("%s: got %d items, want some but not all %d", key, len(got), n)
			}
			if !slices.Equal(got, all[:len(got)]) {
				t.Errorf("%s: got items %v, want the newest %d: %v", key, got, len(got), all[:len(got)])
			}
			kept = min(kept, len(got))
		}
		fr := feedReport(t, rep, name)
		if fr.Dropped != n-kept || fr.Items != kept {
			t.Errorf("report for %s: got %d items, %d dropped; want %d items, %d dropped", name, fr.Items, fr.Dropped, kept, n-kept)
		}
		if fr := feedReport(t, readReport(t, out), name); fr.Dropped != n-kept {
			t.Errorf("build-report.json for %s: got %d dropped, want %d", name, fr.Dropped, n-kept)
		}
		page, err := os.ReadFile(filepath.Join(out, "index.html"))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%d items", kept); !bytes.Contains(page, []byte(want)) {
			t.Errorf("index.html does not say %q for %s", want, name)
		}
	}
}

func TestRunSkipsUnchangedFiles(t *testing.T) {
	site := loadSite(t)
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles,
		article("a1", "2024-01-01T10:00:00Z").with("categories", []string{"Stay"}).with("authors", []map[string]string{{"name": "Ann"}}),
		article("a2", "2024-01-02T10:00:00Z").with("categories", []string{"Stay"}),
	)
	build(t, site, articles, out, day)
	before := outputs(t, out)
	old := backdate(t, out)

	rep := build(t, site, articles, out, day)
	if len(rep.Written) != 0 {
		t.Errorf("second build wrote %v, want nothing", rep.Written)
	}
	if got, want := sorted(rep.Unchanged), published(t, out); !slices.Equal(got, want) {
		t.Errorf("unchanged: got %v, want %v", got, want)
	}
	for key, mt := range mtimes(t, out) {
		if key != publish.ReportKey && !mt.Equal(old) {
			t.Errorf("%s was rewritten (modified %v) with the same bytes", key, mt)
		}
	}
	for key, body := range outputs(t, out) {
		if key != publish.ReportKey && !bytes.Equal(body, before[key]) {
			t.Errorf("%s changed between two builds of the same articles", key)
		}
	}

	// A new article in a category of its own changes the site-wide files
	// and adds a feed; the other feeds stay as they were.
	writeDocs(t, articles, article("a3", "2024-01-03T10:00:00Z").with("categories", []string{"Fresh"}))
	rep = build(t, site, articles, out, day)
	wantWritten := append(feedFiles("index", "category/fresh"), "feeds.opml", "index.html")
	if got := sorted(rep.Written); !slices.Equal(got, sorted(wantWritten)) {
		t.Errorf("written: got %v, want %v", got, sorted(wantWritten))
	}
	wantUnchanged := append(feedFiles("category/stay", "author/ann"), "assets/feeds.css", "assets/feeds.js")
	wantUnchanged = sorted(wantUnchanged)
	if got := sorted(rep.Unchanged); !slices.Equal(got, wantUnchanged) {
		t.Errorf("unchanged: got %v, want %v", got, wantUnchanged)
	}
	mt := mtimes(t, out)
	for _, key := range wantWritten {
		if mt[key].Equal(old) {
			t.Errorf("%s: reported written, but its modification time is still %v", key, old)
		}
	}
	for _, key := range wantUnchanged {
		if !mt[key].Equal(old) {
			t.Errorf("%s: reported unchanged, but it was rewritten at %v", key, mt[key])
		}
	}
	for key := range outputs(t, out) {
		if strings.HasPrefix(filepath.Base(key), ".") {
			t.Errorf("temporary file %s left behind", key)
		}
	}
}

// failingSource reads a folder, except that it fails to list (failKey
// empty) or to read one key.
type failingSource struct {
	publish.Source
	failKey string
	err     error
}

func (s failingSource) List(ctx context.Context, prefix string) ([]store.Info, error) {
	if s.failKey == "" {
		return nil, s.err
	}
	return s.Source.List(ctx, prefix)
}

func (s failingSource) Get(ctx context.Context, key string) (*store.Object, error) {
	if key == s.failKey {
		return nil, s.err
	}
	return s.Source.Get(ctx, key)
}

func TestRunReadErrorWritesNothing(t *testing.T) {
	errDisk := errors.New("input/output error")
	tests := []struct {
		name    string
		failKey string
		err     error
	}{
		{"list fails", "", errDisk},
		{"one read fails", "b.json", errDisk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := loadSite(t)
			articles, out := t.TempDir(), t.TempDir()
			writeDocs(t, articles, article("a", "2024-01-01T10:00:00Z").with("categories", []string{"News"}), article("b", "2024-01-02T10:00:00Z"))
			build(t, site, articles, out, day)
			// The next corpus would change every file if it were published.
			writeDocs(t, articles,
				article("a", "2024-01-01T10:00:00Z").with("status", "deleted"),
				article("c", "2024-01-03T10:00:00Z").with("categories", []string{"Other"}))
			for i := range 40 { // enough documents for the reads to overlap
				writeDocs(t, articles, article(fmt.Sprintf("z%02d", i), "2024-01-04T10:00:00Z"))
			}
			before := everything(t, out) // the catalog too: a failed build commits nothing
			old := backdate(t, out)

			b := &publish.Build{
				Site:     site,
				Articles: failingSource{Source: store.NewFolder(articles), failKey: tt.failKey, err: tt.err},
				Out:      store.NewFolder(out),
				Now:      day,
				Workers:  4,
			}
			rep, err := b.Run(context.Background())
			if !errors.Is(err, tt.err) {
				t.Fatalf("Run: got error %v, want one wrapping %v", err, tt.err)
			}
			if tt.failKey != "" && !strings.Contains(err.Error(), tt.failKey) {
				t.Errorf("error %q does not name %s", err, tt.failKey)
			}
			if rep != nil {
				t.Errorf("Run returned a report with its error: %+v", rep)
			}
			after := everything(t, out)
			if got, want := sorted(keysOf(after)), sorted(keysOf(before)); !slices.Equal(got, want) {
				t.Errorf("files: got %v, want %v", got, want)
			}
			for key, body := range before {
				if !bytes.Equal(after[key], body) {
					t.Errorf("%s changed", key)
				}
			}
			for key, mt := range mtimes(t, out) {
				if !mt.Equal(old) {
					t.Errorf("%s was written at %v", key, mt)
				}
			}
		})
	}
}

// A document deleted between the listing and its read is gone: the build
// publishes without it (its deletion's own event would say the same),
// rather than failing while the corpus changes under it.
func TestRunDocumentGoneBeforeItsRead(t *testing.T) {
	site := loadSite(t)
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles, article("a", "2024-01-01T10:00:00Z"), article("b", "2024-01-02T10:00:00Z"))
	build(t, site, articles, out, day)
	writeDocs(t, articles, article("b", "2024-01-02T10:00:00Z").with("title", "changed"))
	b := &publish.Build{Site: site, Articles: failingSource{Source: store.NewFolder(articles), failKey: "b.json", err: store.ErrNotFound}, Out: store.NewFolder(out), Now: day}
	rep, err := b.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := urls(feedItems(t, out, "index")); !slices.Equal(got, urlsOf("a")) {
		t.Errorf("index: got %v, want only a", got)
	}
	if rep.Articles.Read != 1 || rep.Articles.Published != 1 {
		t.Errorf("counts: %+v, want 1 document, 1 published", rep.Articles)
	}
}

// failingSink writes to a folder, except one key.
type failingSink struct {
	publish.Sink
	failKey string
}

var errFull = errors.New("no space left on device")

func (s failingSink) Put(ctx context.Context, o *store.Object) (bool, error) {
	if o.Key == s.failKey {
		return false, errFull
	}
	return s.Sink.Put(ctx, o)
}

func (s failingSink) Write(ctx context.Context, o *store.Object) (string, error) {
	if o.Key == s.failKey {
		return "", errFull
	}
	return s.Sink.Write(ctx, o)
}

func (s failingSink) WriteAll(ctx context.Context, objs []*store.Object) ([]string, error) {
	return writeAllBut(ctx, s.Sink, objs, func(o *store.Object) error {
		if o.Key == s.failKey {
			return errFull
		}
		return nil
	})
}

// writeAllBut is WriteAll on sink for the objects refuse lets through;
// those it refuses fail alone, as the contract of WriteAll has it (their
// version "", one error each naming the key, joined).
func writeAllBut(ctx context.Context, sink publish.Sink, objs []*store.Object, refuse func(*store.Object) error) ([]string, error) {
	versions := make([]string, len(objs))
	var errs []error
	var pass []*store.Object
	var at []int
	for i, o := range objs {
		if err := refuse(o); err != nil {
			errs = append(errs, fmt.Errorf("test store: write %s: %w", o.Key, err))
			continue
		}
		pass = append(pass, o)
		at = append(at, i)
	}
	vs, err := sink.WriteAll(ctx, pass)
	for n, v := range vs {
		versions[at[n]] = v
	}
	return versions, errors.Join(append(errs, err)...)
}

func TestRunKeepsLastGoodFileWhenAWriteFails(t *testing.T) {
	site := loadSite(t)
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles, article("a", "2024-01-01T10:00:00Z"))
	build(t, site, articles, out, day)
	good := outputs(t, out)

	writeDocs(t, articles, article("b", "2024-01-02T10:00:00Z"))
	b := &publish.Build{Site: site, Articles: store.NewFolder(articles), Out: failingSink{store.NewFolder(out), "feeds/index.atom"}, Now: day}
	rep, err := b.Run(context.Background())
	if !errors.Is(err, errFull) || !strings.Contains(err.Error(), "feeds/index.atom") {
		t.Fatalf("Run: got error %v, want one naming feeds/index.atom and wrapping %v", err, errFull)
	}
	if rep == nil {
		t.Fatal("Run returned no report")
	}
	if got := outputs(t, out)["feeds/index.atom"]; !bytes.Equal(got, good["feeds/index.atom"]) {
		t.Errorf("feeds/index.atom: the last good file was replaced:\n%s", got)
	}
	if got, want := urls(formatItems(t, out, "index", "atom")), urlsOf("a"); !slices.Equal(got, want) {
		t.Errorf("atom items: got %v, want %v", got, want)
	}
	if got, want := urls(formatItems(t, out, "index", "rss")), urlsOf("b", "a"); !slices.Equal(got, want) {
		t.Errorf("rss items: got %v, want %v", got, want)
	}
	if slices.Contains(rep.Written, "feeds/index.atom") || slices.Contains(rep.Unchanged, "feeds/index.atom") {
		t.Errorf("report lists the failed write: written %v, unchanged %v", rep.Written, rep.Unchanged)
	}
	for key := range outputs(t, out) {
		if strings.HasPrefix(filepath.Base(key), ".") {
			t.Errorf("temporary file %s left behind", key)
		}
	}
}

func TestRunIsDeterministic(t *testing.T) {
	site := loadSite(t)
	articles := t.TempDir()
	for i := range 60 {
		// One publication time for all: the order must come from the ids.
		d := article(fmt.Sprintf("a%02d", i), "2024-01-01T10:00:00Z").
			with("categories", []string{[]string{"News", "Sport", "Tech"}[i%3]}).
			with("tags", []string{fmt.Sprintf("t%d", i%7), "all"})
		writeDocs(t, articles, d)
	}
	var first map[string][]byte
	for _, workers := range []int{1, 3, 64} {
		out := t.TempDir()
		b := &publish.Build{Site: site, Articles: store.NewFolder(articles), Out: store.NewFolder(out), Now: day, Workers: workers}
		if _, err := b.Run(context.Background()); err != nil {
			t.Fatalf("Run with %d workers: %v", workers, err)
		}
		files := outputs(t, out)
		if first == nil {
			first = files
			continue
		}
		if got, want := sorted(keysOf(files)), sorted(keysOf(first)); !slices.Equal(got, want) {
			t.Fatalf("%d workers: files %v, want %v", workers, got, want)
		}
		for key, body := range first {
			if !bytes.Equal(files[key], body) {
				t.Errorf("%d workers: %s differs from the first build's", workers, key)
			}
		}
	}
}

func TestRunProgress(t *testing.T) {
	site := loadSite(t)
	articles := t.TempDir()
	writeDocs(t, articles, article("a", "2024-01-01T10:00:00Z"), article("b", "2024-01-02T10:00:00Z"), article("c", "2024-01-03T10:00:00Z"))
	var progress bytes.Buffer
	b := &publish.Build{Site: site, Articles: store.NewFolder(articles), Out: store.NewFolder(t.TempDir()), Now: day, Progress: &progress}
	if _, err := b.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := progress.String()
	if !strings.Contains(got, "read 3/3 articles") {
		t.Errorf("progress: got %q, want it to say read 3/3 articles", got)
	}
	if !strings.HasSuffix(got, "\n") {
		t.Errorf("progress: got %q, want it to end its line so the summary starts on a new one", got)
	}
}

func TestRunCancelledWritesNothing(t *testing.T) {
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles, article("a", "2024-01-01T10:00:00Z"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := &publish.Build{Site: loadSite(t), Articles: store.NewFolder(articles), Out: store.NewFolder(out), Now: day}
	rep, err := b.Run(ctx)
	if !errors.Is(err, context.Canceled) || rep != nil {
		t.Fatalf("Run: got %v, %v; want no report and an error wrapping %v", rep, err, context.Canceled)
	}
	if got := keysOf(outputs(t, out)); len(got) != 0 {
		t.Errorf("files written: %v", got)
	}
}

// Without a readable report (lost, or written by an older build), feeds
// that no article holds any more are still found, from the feed files, and
// retired.
func TestRetiresWithoutReport(t *testing.T) {
	site := loadSite(t)
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles, article("a", "2024-01-01T10:00:00Z").with("categories", []string{"Gone"}))
	build(t, site, articles, out, day)
	if err := os.Remove(filepath.Join(out, publish.ReportKey)); err != nil {
		t.Fatal(err)
	}
	writeDocs(t, articles, article("a", "2024-01-01T10:00:00Z").with("categories", []string{"Other"}))
	rep := build(t, site, articles, out, day)
	var retired []string
	for _, f := range rep.Feeds {
		if f.Retired {
			retired = append(retired, f.Name)
		}
	}
	if !slices.Equal(retired, []string{"category/gone"}) {
		t.Fatalf("retired = %q, want [category/gone]", retired)
	}
	if got := feedItems(t, out, "category/gone"); len(got) != 0 {
		t.Errorf("retired feed still holds %d items", len(got))
	}
}

// A build that would take most of the visible articles out of the feeds at
// once — a wrong folder, an empty bucket, a broken export — publishes
// nothing and says why, whatever kind of build it is, unless told to go
// ahead; smaller deletions, and any on a small site, go through.
func TestRunRetractionGuard(t *testing.T) {
	site := loadSite(t)
	for _, tt := range []struct {
		name           string
		total, deleted int
		full, allow    bool
		otherSite      bool // the site file changed too: the catalog is of no use
		wantErr        bool
	}{
		{name: "most deleted", total: 30, deleted: 20, wantErr: true},
		{name: "most deleted, -full", total: 30, deleted: 20, full: true, wantErr: true},
		{name: "most deleted with a new site file", total: 30, deleted: 20, otherSite: true, wantErr: true},
		{name: "most deleted, allowed", total: 30, deleted: 20, allow: true},
		{name: "a few deleted", total: 30, deleted: 5},
		{name: "small site", total: 10, deleted: 9},
	} {
		t.Run(tt.name, func(t *testing.T) {
			articles, out := t.TempDir(), t.TempDir()
			for i := range tt.total {
				writeDocs(t, articles, article(fmt.Sprintf("a%02d", i), fmt.Sprintf("2024-01-%02dT10:00:00Z", 1+i%28)))
			}
			build(t, site, articles, out, day)
			before := everything(t, out)
			for i := range tt.deleted {
				if err := os.Remove(filepath.Join(articles, fmt.Sprintf("a%02d.json", i))); err != nil {
					t.Fatal(err)
				}
			}
			s := site
			if tt.otherSite {
				c := *site
				c.Title = "Renamed"
				s = &c
			}
			b := &publish.Build{Site: s, Articles: store.NewFolder(articles), Out: store.NewFolder(out), Now: day, Full: tt.full}
			if tt.allow {
				b.MaxRetraction = -1
			}
			rep, err := b.Run(context.Background())
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				if rep.Articles.Published != tt.total-tt.deleted {
					t.Errorf("published %d, want %d", rep.Articles.Published, tt.total-tt.deleted)
				}
				return
			}
			if !errors.Is(err, publish.ErrRetraction) {
				t.Fatalf("Run: got %v, want ErrRetraction", err)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%d of %d", tt.deleted, tt.total)) {
				t.Errorf("error %q does not say how many would leave", err)
			}
			after := everything(t, out)
			for key, body := range before {
				if !bytes.Equal(after[key], body) {
					t.Errorf("%s changed: the refused build published", key)
				}
			}
		})
	}
}

// A catalog someone damaged — a head that is not JSON, a shard gone or
// garbled — never stops publishing: the build makes the catalog again
// from the documents, and publishes what a build from scratch does.
func TestRunRecoversFromADamagedCatalog(t *testing.T) {
	site := loadSite(t)
	for _, damage := range []struct {
		name string
		do   func(t *testing.T, state string)
	}{
		{"head not JSON", func(t *testing.T, state string) {
			writeFile(t, state, "head.json", []byte("{garbage"))
		}},
		{"a shard gone", func(t *testing.T, state string) {
			shards, _ := filepath.Glob(filepath.Join(state, "docs", "*"))
			if len(shards) == 0 {
				t.Fatal("no document shard to remove")
			}
			for _, s := range shards {
				if err := os.Remove(s); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"a shard garbled", func(t *testing.T, state string) {
			shards, _ := filepath.Glob(filepath.Join(state, "feeds", "*"))
			if len(shards) == 0 {
				t.Fatal("no feed shard to garble")
			}
			for _, s := range shards {
				if err := os.WriteFile(s, []byte("not gob"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}},
	} {
		t.Run(damage.name, func(t *testing.T) {
			articles, out, fresh := t.TempDir(), t.TempDir(), t.TempDir()
			writeDocs(t, articles, article("a", "2024-01-01T10:00:00Z").with("categories", []string{"News"}), article("b", "2024-01-02T10:00:00Z"))
			build(t, site, articles, out, day)
			damage.do(t, filepath.Join(out, ".feedpub", "catalog"))
			writeDocs(t, articles, article("c", "2024-01-03T10:00:00Z").with("categories", []string{"News"}))
			build(t, site, articles, out, day)
			build(t, site, articles, fresh, day)
			got, want := outputs(t, out), outputs(t, fresh)
			delete(got, publish.ReportKey)
			delete(want, publish.ReportKey)
			for k, body := range want {
				if !bytes.Equal(got[k], body) {
					t.Errorf("%s differs from a build from scratch", k)
				}
			}
			// And the catalog is whole again: the next build is incremental.
			if rep := build(t, site, articles, out, day); rep.Mode != "incremental" {
				t.Errorf("the build after the repair: mode %s, want incremental", rep.Mode)
			}
		})
	}
}

// A shard gone that only the commit needs (the journal names it) fails
// that commit: the build lets go of the catalog and makes it again from the
// documents, instead of keeping it claimed (found in review).
func TestRunMissingShardAtCommit(t *testing.T) {
	site := loadSite(t)
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles, article("a", "2024-01-01T10:00:00Z").with("categories", []string{"News"}), article("b", "2024-01-02T10:00:00Z"))
	writeFile(t, articles, "bad.json", []byte(`{"id":`))
	build(t, site, articles, out, day)
	writeDocs(t, articles, article("c", "2024-01-03T10:00:00Z").with("categories", []string{"News"}))
	event := &publish.Build{Site: site, Articles: store.NewFolder(articles), Out: store.NewFolder(out), Now: day, Keys: []string{"c.json"}}
	if _, err := event.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	shards, _ := filepath.Glob(filepath.Join(out, ".feedpub", "catalog", "feeds", "*"))
	for _, s := range shards {
		if err := os.Remove(s); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, articles, "bad.json", []byte(`{"id": `))
	for i := range 2 {
		if _, err := (&publish.Build{Site: site, Articles: store.NewFolder(articles), Out: store.NewFolder(out), Now: day}).Run(context.Background()); err != nil {
			t.Fatalf("build %d after the shard went: %v", i+1, err)
		}
	}
	if got := urls(feedItems(t, out, "category/news")); !slices.Equal(got, urlsOf("c", "a")) {
		t.Errorf("category/news: %v", got)
	}
}

// A build whose write failed leaves no trace readers can see once the next
// builds ran: the pages it wrote are written again and the files of a feed
// it made but never committed are removed (found in review).
func TestRunFailedBuildLeavesNoOrphans(t *testing.T) {
	site := loadSite(t)
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles, article("a", "2024-01-01T10:00:00Z").with("categories", []string{"News"}))
	build(t, site, articles, out, day)
	writeDocs(t, articles, article("x", "2024-01-02T10:00:00Z").with("categories", []string{"Extra"}))
	b := &publish.Build{Site: site, Articles: store.NewFolder(articles), Out: failingSink{store.NewFolder(out), "feeds/category/extra.json"}, Now: day}
	if _, err := b.Run(context.Background()); err == nil {
		t.Fatal("the failing build succeeded")
	}
	if err := os.Remove(filepath.Join(articles, "x.json")); err != nil {
		t.Fatal(err)
	}
	build(t, site, articles, out, day)
	build(t, site, articles, out, day)
	if listed(t, out, "category/extra") {
		t.Error("the pages still list category/extra")
	}
	for _, k := range feedKeys("category/extra") {
		if _, ok := outputs(t, out)[k]; ok {
			t.Errorf("%s is left behind", k)
		}
	}
}

// Trace hears of each stage of a build once, in the order they run, and
// an event build that changes a feed passes through every stage that
// writes: the claim, the render, the manifest's commit and the catalog's.
func TestRunTracesItsStages(t *testing.T) {
	site := loadSite(t)
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles, article("a", "2024-01-01T10:00:00Z").with("categories", []string{"News"}))
	build(t, site, articles, out, day)
	writeDocs(t, articles, article("b", "2024-01-02T10:00:00Z").with("categories", []string{"News"}))
	var stages []string
	var total time.Duration
	start := time.Now()
	b := &publish.Build{Site: site, Articles: store.NewFolder(articles), Out: store.NewFolder(out), Now: day, Keys: []string{"b.json"},
		Trace: func(stage string, took time.Duration) {
			if took < 0 {
				t.Errorf("stage %s took %v", stage, took)
			}
			stages = append(stages, stage)
			total += took
		}}
	if _, err := b.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	want := []string{"open", "scan", "read", "apply", "plan", "read manifest", "claim", "render", "pages, last writes", "commit manifest", "commit catalog", "report"}
	if !slices.Equal(stages, want) {
		t.Errorf("stages %q, want %q", stages, want)
	}
	if total > elapsed {
		t.Errorf("the stages took %v, more than the build's %v", total, elapsed)
	}
}

// Items held in memory, spilled to the file and read in every format at
// once, or spilled and read one format at a time: the same outputs, byte
// for byte, with full-text bodies in several scripts.
func TestRunSpilledItemsSameOutputs(t *testing.T) {
	site := loadSite(t)
	articles := t.TempDir()
	for i := range 80 {
		body := strings.Repeat(fmt.Sprintf("<p>第%d段 — paragraph %d of <em>%s</em> &amp; more.</p>", i, i, []string{"東京", "Zürich", "القاهرة"}[i%3]), 3+i%20)
		d := article(fmt.Sprintf("s%02d", i), fmt.Sprintf("2024-01-%02dT10:%02d:00Z", 1+i%28, i%60)).
			with("content_html", body).
			with("categories", []string{[]string{"News", "Sport", "Tech"}[i%3]}).
			with("tags", []string{fmt.Sprintf("t%d", i%5), "all"})
		writeDocs(t, articles, d)
	}
	run := func(name string) map[string][]byte {
		out := t.TempDir()
		b := &publish.Build{Site: site, Articles: store.NewFolder(articles), Out: store.NewFolder(out), Now: day}
		if _, err := b.Run(context.Background()); err != nil {
			t.Fatalf("%s: Run: %v", name, err)
		}
		return outputs(t, out)
	}
	want := run("in memory")
	for _, perFormat := range []bool{false, true} {
		name := fmt.Sprintf("spilled, one format at a time %v", perFormat)
		t.Run(name, func(t *testing.T) {
			publish.SpillItems(t, perFormat)
			got := run(name)
			if g, w := sorted(keysOf(got)), sorted(keysOf(want)); !slices.Equal(g, w) {
				t.Fatalf("files %v, want %v", g, w)
			}
			for key, body := range want {
				if !bytes.Equal(got[key], body) {
					t.Errorf("%s differs from the in-memory build's", key)
				}
			}
		})
	}
}
