package publish_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/feedcheck"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/publish"
)

// TestGateWithholdsBrokenFeed: a feed the renderer got wrong is not
// written; readers keep the last good version, the report names it and
// why, and every other output publishes the change.
func TestGateWithholdsBrokenFeed(t *testing.T) {
	site := loadSite(t)
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles, article("a", "2024-04-01T10:00:00Z"), article("b", "2024-04-02T10:00:00Z"))
	build(t, site, articles, out, day)
	atomKey := layout.FeedKey("index", "atom")
	before, err := os.ReadFile(filepath.Join(out, atomKey))
	if err != nil {
		t.Fatal(err)
	}
	publish.BreakFeeds(t, func(key string, doc *bytes.Buffer) {
		if key == atomKey { // an entity XML does not define
			b := bytes.Replace(doc.Bytes(), []byte("<title>"), []byte("<title>&nbsp;"), 1)
			doc.Reset()
			doc.Write(b)
		}
	})
	writeDocs(t, articles, article("c", "2024-04-03T10:00:00Z"))
	rep := build(t, site, articles, out, day)
	if len(rep.Withheld) != 1 || rep.Withheld[0].Output != atomKey || !strings.Contains(rep.Withheld[0].Reason, "envelope") {
		t.Fatalf("got withheld %+v, want %s, which is not its envelope and items", rep.Withheld, atomKey)
	}
	after, err := os.ReadFile(filepath.Join(out, atomKey))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after, before) {
		t.Errorf("%s changed: the withheld feed replaced the last good one", atomKey)
	}
	if err := feedcheck.WellFormed(after); err != nil {
		t.Errorf("%s: %v", atomKey, err)
	}
	rss, err := os.ReadFile(filepath.Join(out, layout.FeedKey("index", "rss")))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(rss, []byte("Title of c")) {
		t.Error("the RSS feed did not publish the new article")
	}
	if got := readReport(t, out); len(got.Withheld) != 1 {
		t.Errorf("the written report has withheld %+v, want the Atom feed", got.Withheld)
	}
	// The renderer fixed, the next full build publishes the feed.
	publish.BreakFeeds(t, nil)
	b := &publish.Build{Site: site, Articles: store.NewFolder(articles), Out: store.NewFolder(out), Now: day, Full: true}
	if _, err := b.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	fixed, err := os.ReadFile(filepath.Join(out, atomKey))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(fixed, []byte("Title of c")) {
		t.Error("after the fix, the Atom feed still lacks the new article")
	}
}

// TestGateRejectsBrokenItem: an article whose item the renderer got
// wrong is left out of every feed with the reason; the rest publishes.
func TestGateRejectsBrokenItem(t *testing.T) {
	site := loadSite(t)
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles, article("a", "2024-04-01T10:00:00Z"), article("b", "2024-04-02T10:00:00Z"))
	publish.BreakItems(t, func(key string, items *feed.Items) {
		if strings.HasSuffix(key, "b.json") { // a control character in the RSS item
			items[0] = bytes.Replace(items[0], []byte("<title>"), []byte("<title>\x01"), 1)
		}
	})
	rep := build(t, site, articles, out, day)
	if len(rep.Rejected) != 1 || !strings.HasSuffix(rep.Rejected[0].Key, "b.json") ||
		!strings.Contains(rep.Rejected[0].Problems[0].Reason, "publish check") {
		t.Fatalf("got rejected %+v, want b.json, failing the publish check", rep.Rejected)
	}
	for _, ext := range layout.Exts {
		body, err := os.ReadFile(filepath.Join(out, layout.FeedKey("index", ext)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(body, []byte("Title of a")) || bytes.Contains(body, []byte("Title of b")) {
			t.Errorf("index.%s: want a and not b", ext)
		}
		if ext != "json" {
			if err := feedcheck.WellFormed(body); err != nil {
				t.Errorf("index.%s: %v", ext, err)
			}
		}
	}
}

// TestGateWithholdsBrokenDelta: a delta the renderer got wrong is left out
// of its pack (a reader of that version gets the whole feed); the feed
// itself and the other deltas publish.
func TestGateWithholdsBrokenDelta(t *testing.T) {
	site := loadSite(t)
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles, article("a", "2024-04-01T10:00:00Z"))
	build(t, site, articles, out, day)
	writeDocs(t, articles, article("b", "2024-04-02T10:00:00Z"))
	build(t, site, articles, out, day)
	rssPack := layout.DeltasDir + layout.FeedKey("index", "rss")
	publish.BreakFeeds(t, func(key string, doc *bytes.Buffer) {
		if key == rssPack {
			doc.WriteString("<garbage")
		}
	})
	writeDocs(t, articles, article("c", "2024-04-03T10:00:00Z"))
	rep := build(t, site, articles, out, day)
	var withheld []string
	for _, w := range rep.Withheld {
		withheld = append(withheld, w.Output)
	}
	if len(withheld) != 2 || withheld[0] != rssPack || withheld[1] != rssPack {
		t.Fatalf("got withheld %v, want the RSS feed's two deltas", withheld)
	}
	m := readManifest(t, out)
	rss, atom := m.Objects[layout.FeedKey("index", "rss")], m.Objects[layout.FeedKey("index", "atom")]
	if rss == nil || atom == nil || rss.Deltas == nil || atom.Deltas == nil {
		t.Fatal("the feeds or their packs are missing from the manifest")
	}
	if len(rss.Deltas.From) != 0 || len(atom.Deltas.From) != 2 {
		t.Errorf("got %d RSS and %d Atom deltas, want none and 2", len(rss.Deltas.From), len(atom.Deltas.From))
	}
	body, err := os.ReadFile(filepath.Join(out, layout.FeedKey("index", "rss")))
	if err != nil || !bytes.Contains(body, []byte("Title of c")) {
		t.Errorf("the RSS feed did not publish the new article (%v)", err)
	}
}
