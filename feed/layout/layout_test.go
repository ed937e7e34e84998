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
	} {
		if got := layout.Served(key); got != want {
			t.Errorf("Served(%q) = %v, want %v", key, got, want)
		}
	}
	for key, want := range map[string]string{
		"feeds/index.rss": "application/rss+xml; charset=utf-8", "feeds/x/y.atom": "application/atom+xml; charset=utf-8",
		"feeds/index.json": "application/feed+json; charset=utf-8", "index.html": "text/html; charset=utf-8",
		"feeds.opml": "text/x-opml; charset=utf-8", "build-report.json": "application/json; charset=utf-8",
	} {
		if got := layout.ContentType(key); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", key, got, want)
		}
	}
}
