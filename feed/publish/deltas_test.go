package publish_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/feedcheck"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/publish"
)

// recording is a folder store that records the keys of the delta packs
// it reads and writes.
type recording struct {
	*store.Folder
	mu         sync.Mutex
	gets, puts []string
}

func (r *recording) note(list *[]string, key string) {
	if strings.HasPrefix(key, layout.DeltasDir) {
		r.mu.Lock()
		*list = append(*list, key)
		r.mu.Unlock()
	}
}

func (r *recording) Get(ctx context.Context, key string) (*store.Object, error) {
	r.note(&r.gets, key)
	return r.Folder.Get(ctx, key)
}

func (r *recording) Put(ctx context.Context, o *store.Object) (bool, error) {
	r.note(&r.puts, o.Key)
	return r.Folder.Put(ctx, o)
}

func (r *recording) Write(ctx context.Context, o *store.Object) (string, error) {
	r.note(&r.puts, o.Key)
	return r.Folder.Write(ctx, o)
}

func (r *recording) WriteAll(ctx context.Context, objs []*store.Object) ([]string, error) {
	for _, o := range objs {
		r.note(&r.puts, o.Key)
	}
	return r.Folder.WriteAll(ctx, objs)
}

// reset returns what was recorded since the last reset, sorted.
func (r *recording) reset() (gets, puts []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	gets, puts = sorted(r.gets), sorted(r.puts)
	r.gets, r.puts = nil, nil
	return gets, puts
}

func readManifest(t *testing.T, out string) *feedcheck.Manifest {
	t.Helper()
	m, err := feedcheck.ReadManifest(everything(t, out))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// deltaDocs returns the documents of key's pack, as the manifest m
// describes them, after checking the pack is the bytes it names.
func deltaDocs(t *testing.T, out string, m *feedcheck.Manifest, key string) [][]byte {
	t.Helper()
	e := m.Objects[key]
	if e == nil || e.Deltas == nil {
		t.Fatalf("%s: no deltas in the manifest", key)
	}
	d := e.Deltas
	if d.Key != layout.DeltaKey(key) {
		t.Errorf("%s: pack at %s, want %s", key, d.Key, layout.DeltaKey(key))
	}
	pack := everything(t, out)[d.Key]
	if store.Hash(pack) != d.Hash || len(pack) != d.Size {
		t.Fatalf("%s: the pack is not the bytes the manifest names", key)
	}
	var docs [][]byte
	end := 0
	for _, f := range d.From {
		if f.Offset != end {
			t.Errorf("%s: delta at %d, want %d (one after another)", key, f.Offset, end)
		}
		end = f.Offset + f.Size
		docs = append(docs, pack[f.Offset:end])
	}
	if d.Trailer != end {
		t.Errorf("%s: trailer at %d, want %d", key, d.Trailer, end)
	}
	return docs
}

// deltaIDs parses a delta document strictly and returns its items' ids.
func deltaIDs(t *testing.T, key string, doc []byte) []string {
	t.Helper()
	if strings.HasSuffix(key, ".json") {
		var v struct {
			Version string            `json:"version"`
			Items   []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(doc, &v); err != nil || v.Version == "" || v.Items == nil {
			t.Fatalf("%s: a delta that is not a JSON feed: %v", key, err)
		}
	} else if err := feedcheck.WellFormed(doc); err != nil {
		t.Fatalf("%s: delta: %v", key, err)
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("%s: delta: gofeed: %v", key, err)
	}
	var ids []string
	for _, it := range f.Items {
		ids = append(ids, it.GUID)
	}
	return ids
}

func itemIDs(site *feed.Site, ids ...string) []string {
	var out []string
	for _, id := range ids {
		out = append(out, feed.ItemID(site, &content.Article{ID: id}))
	}
	sort.Strings(out)
	return out
}

// Each changed feed output gets a pack of deltas from its recent
// versions, newest first, each a valid feed of the items new or changed
// since; a build reads and writes only the packs of the outputs it
// changes, once each; a version from which only deletions happened gets
// no delta; bytes written again unchanged keep their pack.
func TestDeltaPacks(t *testing.T) {
	site := loadSite(t)
	articles, out := t.TempDir(), t.TempDir()
	rec := &recording{Folder: store.NewFolder(out)}
	run := func(now time.Time, schedule time.Duration, full ...bool) *publish.Report {
		t.Helper()
		b := &publish.Build{Site: site, Articles: store.NewFolder(articles), Out: rec, Now: now, Schedule: schedule, Full: len(full) > 0}
		rep, err := b.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	news := func(id string, at time.Time) doc {
		return article(id, at.Format(time.RFC3339)).with("categories", []string{"News"})
	}
	for i, id := range []string{"a1", "a2", "a3", "a4"} {
		writeDocs(t, articles, news(id, day.Add(time.Duration(i)*time.Hour)))
	}
	writeDocs(t, articles, article("s1", day.Format(time.RFC3339)).with("categories", []string{"Sport"}))
	run(day.Add(24*time.Hour), 0)
	rec.reset()
	v1 := readManifest(t, out)

	// The packs a build reads and writes: one GET of the last pack and one
	// PUT of the new one per feed output it changed, none for the others.
	checkOps := func(step string, before *feedcheck.Manifest) {
		t.Helper()
		gets, puts := rec.reset()
		after := readManifest(t, out)
		var wantGets, wantPuts []string
		for key, o := range after.Objects {
			if _, _, ok := layout.FeedName(key); !ok {
				continue
			}
			if last := before.Objects[key]; last == nil || last.Hash != o.Hash {
				wantPuts = append(wantPuts, layout.DeltaKey(key))
				if last != nil && last.Deltas != nil {
					wantGets = append(wantGets, layout.DeltaKey(key))
				}
			}
		}
		if !slices.Equal(puts, sorted(wantPuts)) {
			t.Errorf("%s: packs written %v, want those of the outputs changed %v", step, puts, sorted(wantPuts))
		}
		if !slices.Equal(gets, sorted(wantGets)) {
			t.Errorf("%s: packs read %v, want %v", step, gets, sorted(wantGets))
		}
	}

	// v2: a new article.
	writeDocs(t, articles, news("a5", day.Add(10*time.Hour)))
	run(day.Add(25*time.Hour), 0)
	checkOps("v2", v1)
	v2 := readManifest(t, out)
	// v3: an edit of it, and another article.
	writeDocs(t, articles, news("a5", day.Add(10*time.Hour)).with("title", "A5 retitled"), news("a6", day.Add(11*time.Hour)))
	run(day.Add(26*time.Hour), 0)
	checkOps("v3", v2)
	v3 := readManifest(t, out)

	for _, key := range feedKeys("index", "category/news") {
		docs := deltaDocs(t, out, v3, key)
		from := v3.Objects[key].Deltas.From
		if len(from) != 2 {
			t.Fatalf("%s: %d deltas, want from v2 and v1", key, len(from))
		}
		for k, v := range []*feedcheck.Manifest{v2, v1} {
			o := v.Objects[key]
			want := []string{o.Hash}
			for _, c := range []string{"br", "gzip"} {
				if vr, ok := o.Variants.Get(c); ok {
					want = append(want, vr.Hash)
				}
			}
			if !slices.Equal(from[k].Hashes, want) {
				t.Errorf("%s: delta %d from %v, want the representations of that version %v", key, k, from[k].Hashes, want)
			}
			ids := deltaIDs(t, key, docs[k])
			if got, want := sorted(ids), itemIDs(site, "a5", "a6"); !slices.Equal(got, want) {
				t.Errorf("%s: delta %d holds %v, want %v", key, k, got, want)
			}
			if from[k].Items != len(ids) {
				t.Errorf("%s: delta %d: %d items in the manifest, %d in the document", key, k, from[k].Items, len(ids))
			}
		}
	}
	for key := range v3.Objects {
		if strings.HasPrefix(key, layout.StateDir) {
			t.Errorf("the manifest publishes %s", key)
		}
	}

	// v4: a6 deleted. From v3 only a deletion: no delta; from v2 and v1,
	// the edit of a5.
	if err := store.NewFolder(articles).Delete(context.Background(), "a6.json"); err != nil {
		t.Fatal(err)
	}
	run(day.Add(27*time.Hour), 0)
	checkOps("v4", v3)
	v4 := readManifest(t, out)
	for _, key := range feedKeys("index") {
		docs := deltaDocs(t, out, v4, key)
		from := v4.Objects[key].Deltas.From
		var got [][]string
		for k := range from {
			got = append(got, from[k].Hashes[:1])
			if ids := deltaIDs(t, key, docs[k]); !slices.Equal(ids, itemIDs(site, "a5")) {
				t.Errorf("%s: delta %d holds %v, want a5's edit", key, k, ids)
			}
		}
		want := [][]string{{v2.Objects[key].Hash}, {v1.Objects[key].Hash}}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%s: deltas from %v, want from v2 and v1 %v (none from v3: only a deletion since)", key, got, want)
		}
	}

	// A -full build with a new schedule: every output written again, the
	// same bytes with new headers; each pack is read to check it is the
	// one the manifest names (a -full build trusts no output), and kept.
	run(day.Add(28*time.Hour), 15*time.Minute, true)
	gets, puts := rec.reset()
	if len(puts) != 0 {
		t.Errorf("new headers: packs written %v, want none", puts)
	}
	v5 := readManifest(t, out)
	var packs []string
	for key, o := range v5.Objects {
		if _, _, ok := layout.FeedName(key); !ok {
			continue
		}
		packs = append(packs, layout.DeltaKey(key))
		if o.CacheControl == v4.Objects[key].CacheControl {
			t.Errorf("%s: the schedule did not change the headers", key)
		}
		if g, w := o.Deltas, v4.Objects[key].Deltas; g == nil || g.Hash != w.Hash || len(g.From) != len(w.From) {
			t.Errorf("%s: deltas %+v, want those of the same bytes %+v", key, g, w)
		}
	}
	if !slices.Equal(gets, sorted(packs)) {
		t.Errorf("-full: packs read %v, want each once %v", gets, sorted(packs))
	}
}

// A pack keeps deltas from the 8 most recent versions at most, and none
// that would be the whole feed.
func TestDeltaPackKeepsRecentVersions(t *testing.T) {
	site := loadSite(t)
	site.Limit = 12
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles, article("first", day.Format(time.RFC3339)))
	build(t, site, articles, out, day)
	var hashes []string // of feeds/index.rss, oldest first
	hashes = append(hashes, readManifest(t, out).Objects["feeds/index.rss"].Hash)
	for i := range 11 {
		id := "n" + string(rune('a'+i))
		writeDocs(t, articles, article(id, day.Add(time.Duration(i+1)*time.Hour).Format(time.RFC3339)))
		build(t, site, articles, out, day.Add(time.Duration(i+1)*time.Hour))
		hashes = append(hashes, readManifest(t, out).Objects["feeds/index.rss"].Hash)
	}
	m := readManifest(t, out)
	from := m.Objects["feeds/index.rss"].Deltas.From
	var got []string
	for _, f := range from {
		got = append(got, f.Hashes[0])
	}
	var want []string
	for i := len(hashes) - 2; i >= 0 && len(want) < 8; i-- {
		want = append(want, hashes[i])
	}
	if !slices.Equal(got, want) {
		t.Errorf("deltas from %d versions, want the 8 before the current one", len(got))
	}
	docs := deltaDocs(t, out, m, "feeds/index.rss")
	for k, doc := range docs {
		if n := len(deltaIDs(t, "feeds/index.rss", doc)); n != k+1 {
			t.Errorf("delta %d: %d items, want %d", k, n, k+1)
		}
	}

	// A feed of one article that changes: its delta would be the whole
	// feed, so there is none.
	writeDocs(t, articles, article("first", day.Format(time.RFC3339)).with("title", "Retitled"))
	build(t, site, articles, out, day.Add(13*time.Hour))
	m = readManifest(t, out)
	for key, o := range m.Objects {
		if _, _, ok := layout.FeedName(key); !ok || o.Deltas == nil {
			continue
		}
		for _, f := range o.Deltas.From {
			if f.Items >= readItems(t, out, key) {
				t.Errorf("%s: a delta of %d items, the whole feed", key, f.Items)
			}
		}
	}
}

// readItems counts the items of a published feed.
func readItems(t *testing.T, out, key string) int {
	t.Helper()
	f, err := gofeed.NewParser().Parse(bytes.NewReader(everything(t, out)[key]))
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return len(f.Items)
}
