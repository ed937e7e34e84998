package layout_test

import (
	"testing"

	"github.com/feedpub/feedpub/feed/layout"
)

func TestFeedKeysAndURLs(t *testing.T) {
	for _, tt := range []struct{ name, ext, key, url string }{
		{"index", "rss", "feeds/index.rss", "https://f.example/feeds/index.rss"},
		{"category/热点", "json", "feeds/category/热点.json", "https://f.example/feeds/category/%E7%83%AD%E7%82%B9.json"},
		{"tag/a b?c", "atom", "feeds/tag/a b?c.atom", "https://f.example/feeds/tag/a%20b%3Fc.atom"},
	} {
		if got := layout.FeedKey(tt.name, tt.ext); got != tt.key {
			t.Errorf("FeedKey(%q, %q) = %q, want %q", tt.name, tt.ext, got, tt.key)
		}
		if got := layout.FeedURL("https://f.example", tt.name, tt.ext); got != tt.url {
			t.Errorf("FeedURL(%q, %q) = %q, want %q", tt.name, tt.ext, got, tt.url)
		}
		name, ext, ok := layout.FeedName(tt.key)
		if !ok || name != tt.name || ext != tt.ext {
			t.Errorf("FeedName(%q) = %q, %q, %v", tt.key, name, ext, ok)
		}
	}
}

// Readers get the pages and the feeds, never internal state.
func TestServed(t *testing.T) {
	for key, want := range map[string]bool{
		"index.html": true, "feeds.opml": true, "feeds/index.rss": true, "feeds/tag/x.json": true,
		"build-report.json": false, ".feedpub/catalog/head.json": false, "feeds/.x.rss": false,
		"feeds/a/.hidden/b.rss": false, ".rebuild/abc": false, "feeds/index.xml": false,
		"feeds/.rss": false, "articles/a.json": false, "feeds/index.rss.tmp": false,
		"feeds/index.html": true, "feeds/tag/热点.html": true, "feeds/.html": false, "feeds/.x.html": false,
		"archive/index/2026-01.rss": true, "archive/tag/go/2026-01.json": true, "archive/index.rss": false,
		"archive/index/.x.rss": false, "archive/index/2026-01.html": false,
		"assets/feeds.css": true, "assets/feeds.js": true, "assets/other.js": false,
		".feedpub/deltas/feeds/index.rss": false,
	} {
		if got := layout.Served(key); got != want {
			t.Errorf("Served(%q) = %v, want %v", key, got, want)
		}
	}
	for key, want := range map[string]string{
		"feeds/index.rss": "application/rss+xml; charset=utf-8", "feeds/x/y.atom": "application/atom+xml; charset=utf-8",
		"feeds/index.json": "application/feed+json; charset=utf-8", "index.html": "text/html; charset=utf-8",
		"feeds.opml": "text/x-opml; charset=utf-8", "build-report.json": "application/json; charset=utf-8",
		"feeds/tag/x.html": "text/html; charset=utf-8", "archive/tag/x/2026-01.atom": "application/atom+xml; charset=utf-8",
		"assets/feeds.css": "text/css; charset=utf-8", "assets/feeds.js": "text/javascript; charset=utf-8",
	} {
		if got := layout.ContentType(key); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestArchiveKeys(t *testing.T) {
	key := layout.ArchiveKey("category/热点", "2026-01", "atom")
	if key != "archive/category/热点/2026-01.atom" {
		t.Errorf("ArchiveKey = %q", key)
	}
	if u := layout.ArchiveURL("https://f.example", "category/热点", "2026-01", "atom"); u != "https://f.example/archive/category/%E7%83%AD%E7%82%B9/2026-01.atom" {
		t.Errorf("ArchiveURL = %q", u)
	}
	name, page, ext, ok := layout.ArchiveName(key)
	if !ok || name != "category/热点" || page != "2026-01" || ext != "atom" {
		t.Errorf("ArchiveName(%q) = %q, %q, %q, %v", key, name, page, ext, ok)
	}
	for _, k := range []string{"archive/2026-01.rss", "archive//2026-01.rss", "archive/index/.rss", "feeds/index.rss"} {
		if _, _, _, ok := layout.ArchiveName(k); ok {
			t.Errorf("ArchiveName(%q) is ok", k)
		}
	}
}

// A feed's formats, preview page and archive pages have the feed for
// owner; the site's own objects none.
func TestOwner(t *testing.T) {
	for key, want := range map[string]string{
		"feeds/index.rss": "index", "feeds/category/热点.json": "category/热点", "feeds/tag/x.html": "tag/x",
		"archive/tag/x/2026-01.atom": "tag/x", "archive/index/2026-W05.rss": "index",
		"index.html": "", "feeds.opml": "", "assets/feeds.css": "", "feeds/.html": "",
	} {
		if got := layout.Owner(key); got != want {
			t.Errorf("Owner(%q) = %q, want %q", key, got, want)
		}
	}
}

// State is what a build keeps for the next one; the delta packs, below
// the same folder, are served.
func TestState(t *testing.T) {
	for key, want := range map[string]bool{
		layout.CatalogHead: true, layout.Manifest: true, layout.ManifestDir + "0001-ab.json.gz": true,
		layout.FanOutDir + "b/1": true, layout.ClaimsDir + "sig": true,
		layout.DeltaKey("feeds/index.rss"): false, "feeds/index.rss": false, layout.Report: false,
	} {
		if got := layout.State(key); got != want {
			t.Errorf("State(%q) = %v, want %v", key, got, want)
		}
	}
}
