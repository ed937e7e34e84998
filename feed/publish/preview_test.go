package publish_test

import (
	"encoding/json"
	"os"
	"path"
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

// previewLinks returns the preview page a feed document links, read by
// encoding/xml or encoding/json: the Atom or RSS channel's atom:link
// rel="related", or the JSON Feed's _feedpub extension. It fails the test
// for a document that links more than one.
func previewLinks(t *testing.T, key string, body []byte) string {
	t.Helper()
	var hrefs []string
	switch path.Ext(key) {
	case ".json":
		var doc struct {
			Ext *struct {
				About   string `json:"about"`
				Preview string `json:"preview_url"`
			} `json:"_feedpub"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if doc.Ext != nil {
			if doc.Ext.About == "" {
				t.Errorf("%s: the _feedpub extension has no about URL", key)
			}
			hrefs = append(hrefs, doc.Ext.Preview)
		}
	case ".rss", ".atom":
		// As a reader walking the feed reads its links (checked well formed
		// and linted, one link a relation).
		if href, ok := readArchiveDoc(t, key, body, strings.TrimPrefix(path.Ext(key), ".")).links["related"]; ok {
			hrefs = append(hrefs, href)
		}
	default:
		t.Fatalf("%s: not a feed", key)
	}
	if len(hrefs) > 1 {
		t.Errorf("%s links %d preview pages: %q", key, len(hrefs), hrefs)
	}
	if len(hrefs) == 0 {
		return ""
	}
	return hrefs[0]
}

// TestFeedsLinkTheirPreview checks that every subscription feed, in every
// format, links its own preview page, and that the page it links is
// published; archive pages link none (their rel="current" leads to the
// feed), and neither does any feed of a site without previews.
func TestFeedsLinkTheirPreview(t *testing.T) {
	site := loadSite(t)
	site.Limit = 1 // every feed of two articles gets an archive page
	articles := t.TempDir()
	writeDocs(t, articles,
		article("a", "2024-04-01T10:00:00Z").with("categories", []string{"热点"}),
		article("b", "2024-04-02T10:00:00Z").with("categories", []string{"热点"}))
	for _, previews := range []bool{true, false} {
		site.Previews = &previews
		out := t.TempDir()
		rep := build(t, site, articles, out, day)
		files := outputs(t, out)
		feeds, archives := 0, 0
		for key, body := range files {
			name, _, isFeed := layout.FeedName(key)
			switch {
			case isFeed:
				feeds++
				want := ""
				if previews {
					want = layout.PreviewURL(site.BaseURL, name)
					if _, ok := files[layout.PreviewKey(name)]; !ok {
						t.Errorf("%s links %s, which is not published", key, want)
					}
				}
				if got := previewLinks(t, key, body); got != want {
					t.Errorf("previews %v: %s links preview %q, want %q", previews, key, got, want)
				}
			case strings.HasPrefix(key, layout.ArchiveDir) && slices.Contains(layout.Exts[:], strings.TrimPrefix(path.Ext(key), ".")):
				archives++
				if got := previewLinks(t, key, body); got != "" {
					t.Errorf("archive page %s links preview %q, want none", key, got)
				}
			}
		}
		if feeds != 3*len(rep.Feeds) || archives == 0 {
			t.Fatalf("previews %v: checked %d feed documents of %d feeds and %d archive pages", previews, feeds, len(rep.Feeds), archives)
		}
	}
}
