package publish_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/page"
	"github.com/feedpub/feedpub/feed/publish"
)

// TestPreviewPages checks that a build writes a preview page for every
// feed, with the pages' assets, that the manifest gives the html pages the
// pages' Content-Security-Policy and nothing else one, and that a build
// that changes nothing writes none of them again.
func TestPreviewPages(t *testing.T) {
	site := loadSite(t)
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles,
		article("a", "2024-04-01T10:00:00Z").with("categories", []string{"热点"}).with("content_html", `<p onclick="x()">Hi <script>alert(1)</script><a href="/rel">rel</a></p>`),
		article("b", "2024-04-02T10:00:00Z").with("title", `<script>alert("t")</script> & "q"`))
	rep := build(t, site, articles, out, day)
	if !slices.ContainsFunc(rep.Feeds, func(f publish.FeedReport) bool { return f.Name == "category/热点" }) {
		t.Fatalf("no feed category/热点 among %v", rep.Feeds)
	}
	for _, f := range rep.Feeds {
		body, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(layout.PreviewKey(f.Name))))
		if err != nil {
			t.Errorf("feed %s: no preview page: %v", f.Name, err)
			continue
		}
		html := string(body)
		for _, bad := range []string{"<script>alert", "onclick", `href="/rel"`} {
			if strings.Contains(html, bad) {
				t.Errorf("%s holds %q", layout.PreviewKey(f.Name), bad)
			}
		}
		if f.Name == "category/热点" && !strings.Contains(html, `<a href="https://example.com/rel" rel="nofollow">rel</a>`) {
			t.Errorf("%s: the article's relative link is not made absolute:\n%s", layout.PreviewKey(f.Name), html)
		}
	}
	for key, want := range page.Assets() {
		got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(key)))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s: not the asset's bytes (%v)", key, err)
		}
	}
	m := readManifest(t, out)
	htmlKeys := 0
	for key, o := range m.Objects {
		want := ""
		if strings.HasSuffix(key, ".html") {
			want = page.CSP
			htmlKeys++
		}
		if o.CSP != want {
			t.Errorf("manifest: %s has policy %q, want %q", key, o.CSP, want)
		}
	}
	if htmlKeys != len(rep.Feeds)+1 {
		t.Errorf("manifest: %d html pages, want %d (the index and one a feed)", htmlKeys, len(rep.Feeds)+1)
	}
	for _, key := range []string{layout.StyleSheet, layout.Script} {
		if m.Objects[key] == nil {
			t.Errorf("manifest: no %s", key)
		}
	}

	again := build(t, site, articles, out, day)
	for _, key := range again.Written {
		if strings.HasSuffix(key, ".html") || strings.HasPrefix(key, layout.AssetsDir) {
			t.Errorf("a build that changes nothing wrote %s", key)
		}
	}
	if !slices.Contains(rep.Written, layout.StyleSheet) || !slices.Contains(rep.Written, layout.PreviewKey("index")) {
		t.Errorf("the first build's report does not name the assets and previews it wrote: %v", rep.Written)
	}
}
