package publish_test

import (
	"bytes"
	"github.com/feedpub/feedpub/feed/feedcheck"
	"strings"
	"testing"
	"time"
)

// A site file can turn the preview pages and the deltas off: no preview is
// written or linked, no delta pack is written, and a second build after an
// edit still writes none.
func TestNoPreviewsNoDeltas(t *testing.T) {
	site := loadSite(t)
	off, zero := false, 0
	site.Previews, site.Deltas = &off, &zero
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles, article("a1", "2024-01-01T10:00:00Z").with("categories", []string{"News"}),
		article("a2", "2024-01-02T10:00:00Z").with("categories", []string{"News"}))
	build(t, site, articles, out, day)
	writeDocs(t, articles, article("a3", "2024-01-03T10:00:00Z").with("categories", []string{"News"}))
	rep := build(t, site, articles, out, day.Add(time.Minute))
	if len(rep.Written) == 0 {
		t.Fatal("the second build wrote nothing")
	}
	files := everything(t, out)
	for key := range files {
		if strings.HasSuffix(key, ".html") && key != "index.html" || strings.HasPrefix(key, ".feedpub/deltas/") {
			t.Errorf("%s written by a site without previews and deltas", key)
		}
	}
	if bytes.Contains(files["index.html"], []byte(".html\"")) {
		t.Errorf("index.html links a preview page")
	}
	m, err := feedcheck.ReadManifest(files)
	if err != nil {
		t.Fatal(err)
	}
	for key, o := range m.Objects {
		if o.Deltas != nil {
			t.Errorf("the manifest names a delta pack for %s", key)
		}
	}
	for _, want := range []string{"feeds/index.rss", "feeds/category/news.atom"} {
		if _, ok := files[want]; !ok {
			t.Errorf("%s missing", want)
		}
	}
}
