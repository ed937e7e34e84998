package publish_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/feedcheck"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/publish"
)

// corpus is a folder of article documents changed at random, step by step,
// as publishers change theirs: creates, edits of every field selection and
// rendering read, deletes, duplicate ids, malformed documents, and a clock
// that moves on so that embargoes lift.
type corpus struct {
	t     *testing.T
	rng   *rand.Rand
	dir   string
	files map[string]bool // names of the documents in dir
	next  int
	now   time.Time
}

var (
	poolCategories = []string{"News", "Sport", "热点", "Économie", "news"} // "News" and "news" are one feed
	poolTags       = []string{"go", "rust", "人工智能", "Go", "space", "climate", "探月"}
	poolAuthors    = []string{"Ann", "Bob", "佐藤 美咲", "Zoë"}
)

func (c *corpus) pick(pool []string, most int) []string {
	n := c.rng.IntN(most + 1)
	out := make([]string, 0, n)
	for range n {
		out = append(out, pool[c.rng.IntN(len(pool))])
	}
	return out
}

// document returns a random valid document; ids repeat now and then, so
// that some documents are duplicates of others.
func (c *corpus) document() doc {
	id := fmt.Sprintf("a%02d", c.rng.IntN(40))
	published := c.now.Add(-time.Duration(c.rng.IntN(30*24)) * time.Hour)
	if c.rng.IntN(8) == 0 { // embargoed: lifts a few steps later
		published = c.now.Add(time.Duration(1+c.rng.IntN(12)) * time.Hour)
	}
	d := article(id, published.Format(time.RFC3339)).
		with("title", fmt.Sprintf("Title %d of %s 标题", c.rng.IntN(1000), id)).
		with("content_html", fmt.Sprintf("<p>Body %d of %s &amp; more</p>", c.rng.IntN(1000), id)).
		with("categories", c.pick(poolCategories, 2)).
		with("tags", c.pick(poolTags, 3))
	var authors []map[string]string
	for _, a := range c.pick(poolAuthors, 2) {
		authors = append(authors, map[string]string{"name": a})
	}
	d = d.with("authors", authors)
	if c.rng.IntN(3) == 0 {
		d = d.with("updated", published.Add(time.Duration(c.rng.IntN(48))*time.Hour).Format(time.RFC3339))
	}
	switch c.rng.IntN(12) {
	case 0:
		d = d.with("status", "draft")
	case 1:
		d = d.with("status", "deleted")
	}
	return d
}

func (c *corpus) write(name string, body []byte) {
	c.t.Helper()
	if err := os.WriteFile(filepath.Join(c.dir, name), body, 0o644); err != nil {
		c.t.Fatal(err)
	}
	c.files[name] = true
}

func (c *corpus) names() []string {
	out := make([]string, 0, len(c.files))
	for n := range c.files {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// step changes the corpus at random and returns the names it touched.
func (c *corpus) step() []string {
	c.t.Helper()
	var touched []string
	for range 1 + c.rng.IntN(3) {
		names := c.names()
		switch op := c.rng.IntN(10); {
		case op < 3 || len(names) == 0: // create
			name := fmt.Sprintf("f%03d.json", c.next)
			c.next++
			body, _ := json.Marshal(c.document())
			c.write(name, body)
			touched = append(touched, name)
		case op < 6: // edit: a new version of the same document
			name := names[c.rng.IntN(len(names))]
			var d doc
			if data, err := os.ReadFile(filepath.Join(c.dir, name)); err != nil || json.Unmarshal(data, &d) != nil {
				d = c.document()
			} else {
				fresh := c.document()
				for _, field := range []string{"title", "content_html", "categories", "tags", "authors", "status", "published", "updated"} {
					if c.rng.IntN(3) == 0 {
						if v, ok := fresh[field]; ok {
							d[field] = v
						} else {
							delete(d, field)
						}
					}
				}
			}
			body, _ := json.Marshal(d)
			c.write(name, body)
			touched = append(touched, name)
		case op < 8: // delete
			name := names[c.rng.IntN(len(names))]
			if err := os.Remove(filepath.Join(c.dir, name)); err != nil {
				c.t.Fatal(err)
			}
			delete(c.files, name)
			touched = append(touched, name)
		case op < 9: // malformed
			name := names[c.rng.IntN(len(names))]
			bad := [][]byte{[]byte(`{"id": "x", "url": `), []byte(`{"id":"a01","url":"https://example.com/x","title":"t","published":"yesterday"}`), []byte(`[]`)}
			c.write(name, bad[c.rng.IntN(len(bad))])
			touched = append(touched, name)
		default: // time passes
			c.now = c.now.Add(time.Duration(1+c.rng.IntN(6)) * time.Hour)
		}
	}
	return touched
}

// outputsOf is what a build published below out, the report aside.
func outputsOf(t *testing.T, out string) map[string][]byte {
	t.Helper()
	files, err := feedcheck.Published(out)
	if err != nil {
		t.Fatal(err)
	}
	delete(files, publish.ReportKey)
	return files
}

func run(t *testing.T, b *publish.Build) *publish.Report {
	t.Helper()
	rep, err := b.Run(context.Background())
	if err != nil {
		t.Fatalf("%s build: %v", map[bool]string{true: "full", false: "incremental"}[b.Full], err)
	}
	return rep
}

// sameSite fails unless two builds published the same bytes and reported
// the same documents and feeds.
func sameSite(t *testing.T, step int, what string, got, want string, gotRep, wantRep *publish.Report) {
	t.Helper()
	g, w := outputsOf(t, got), outputsOf(t, want)
	if !slices.Equal(sorted(keysOf(g)), sorted(keysOf(w))) {
		t.Fatalf("step %d: %s: files differ:\n got  %v\n want %v", step, what, sorted(keysOf(g)), sorted(keysOf(w)))
	}
	for key, body := range w {
		if !bytes.Equal(g[key], body) {
			t.Fatalf("step %d: %s: %s differs:\n got  %s\n want %s", step, what, key, g[key], body)
		}
	}
	ga, wa := gotRep.Articles, wantRep.Articles
	ga.Fetched, wa.Fetched = 0, 0
	ga.Retracted, wa.Retracted = 0, 0
	if ga != wa {
		t.Fatalf("step %d: %s: counts %+v, want %+v", step, what, ga, wa)
	}
	gj, _ := json.Marshal([]any{gotRep.Rejected, gotRep.Feeds, gotRep.NextEmbargo})
	wj, _ := json.Marshal([]any{wantRep.Rejected, wantRep.Feeds, wantRep.NextEmbargo})
	if !bytes.Equal(gj, wj) {
		t.Fatalf("step %d: %s: report differs:\n got  %s\n want %s", step, what, gj, wj)
	}
	// What the server serves from: every object's hash, variants, headers
	// and Last-Modified (the same history gives the same times), and the
	// removed feeds. Not its generation: builds that change nothing write
	// no manifest, and a -full build always writes one.
	gm, wm := servedSite(t, got), servedSite(t, want)
	if !bytes.Equal(gm, wm) {
		t.Fatalf("step %d: %s: manifest differs:\n got  %s\n want %s", step, what, gm, wm)
	}
}

// servedSite is the manifest of the site published in out, without its
// generation, build time and the names of its shards (which depend on
// how the site grew): its objects, redirects and gone feeds, as JSON.
func servedSite(t *testing.T, out string) []byte {
	t.Helper()
	m, err := feedcheck.ReadManifest(everything(t, out))
	if err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	b, _ := json.Marshal(map[string]any{"objects": m.Objects, "redirects": m.Redirects, "gone": m.Gone}) // keys sorted
	return b
}

// The oracle of incremental builds: after every step of random changes,
// an incremental build (a listing), an event build (told the keys that
// changed) and a -full build of the same history publish the same bytes;
// a full build into an empty store publishes the same bytes for every
// output that does not depend on history (all but the retired feeds).
func TestIncrementalEqualsFull(t *testing.T) {
	type config struct {
		adjust func(*feed.Site)
		margin int // members a feed's head keeps beyond the limit; 0: the default
	}
	sites := map[string]config{
		"defaults": {adjust: func(*feed.Site) {}},
		"small":    {adjust: func(s *feed.Site) { s.Limit = 3 }}, // articles leave and enter feeds often
		// Heads run short, so feeds are refilled from the whole catalog.
		"tiny heads":  {adjust: func(s *feed.Site) { s.Limit = 2 }, margin: 1},
		"byte budget": {adjust: func(s *feed.Site) { s.Limit = 6; s.MaxBytes = 2600 }},
		"summaries":   {adjust: func(s *feed.Site) { s.FullText = false; s.Feeds.TagMinArticles = 1 }},
	}
	steps := 60
	if testing.Short() {
		steps = 15
	}
	for name, cfg := range sites {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for seed := range uint64(2) {
				site := loadSite(t)
				cfg.adjust(site)
				if name != "defaults" {
					// Variants are compared by the defaults; the others
					// compare what is rendered, four builds a step.
					site.Precompress = []string{}
				}
				c := &corpus{t: t, rng: rand.New(rand.NewPCG(seed, 7)), dir: t.TempDir(), files: map[string]bool{}, now: day}
				incr, event, full := t.TempDir(), t.TempDir(), t.TempDir()
				for step := range steps {
					touched := c.step()
					src := store.NewFolder(c.dir)
					build := func(out string) *publish.Build {
						b := &publish.Build{Site: site, Articles: src, Out: store.NewFolder(out), Now: c.now, MaxRetraction: -1}
						publish.SetHeadMargin(b, cfg.margin)
						return b
					}
					ri := run(t, build(incr))
					be := build(event)
					be.Keys = append([]string{}, touched...)
					if step == 0 {
						be.Keys = nil // the first build of a store lists
					}
					re := run(t, be)
					bf := build(full)
					bf.Full = true
					rf := run(t, bf)
					fresh := t.TempDir()
					rs := run(t, build(fresh))
					if got, want := rs.Articles.Published, rf.Articles.Published; got != want {
						t.Fatalf("step %d: from scratch %d published, -full %d", step, got, want)
					}

					sameSite(t, step, "incremental vs -full", incr, full, ri, rf)
					sameSite(t, step, "event vs -full", event, full, re, rf)
					if ri.Mode != "incremental" && step > 0 || re.Mode != "event" && step > 0 || rf.Mode != "full" {
						t.Fatalf("step %d: modes %s, %s, %s", step, ri.Mode, re.Mode, rf.Mode)
					}
					// Into an empty store: the same bytes, but for feeds retired
					// in this history, which an empty store never published.
					f, s := outputsOf(t, full), outputsOf(t, fresh)
					for key, body := range s {
						if !bytes.Equal(f[key], body) {
							t.Fatalf("step %d: %s: from scratch differs from -full:\n got  %s\n want %s", step, key, body, f[key])
						}
					}
					for _, fr := range rf.Feeds {
						if _, ok := s[feedKeys(fr.Name)[0]]; !ok && !fr.Retired {
							t.Fatalf("step %d: feed %s is live but not built from scratch", step, fr.Name)
						}
					}
					for key := range f {
						if _, ok := s[key]; !ok && !strings.HasPrefix(key, "feeds/") {
							t.Fatalf("step %d: %s is missing from scratch", step, key)
						}
					}
					checkOutputs(t, f)
				}
			}
		})
	}
}

// checkOutputs parses every feed strictly.
func checkOutputs(t *testing.T, files map[string][]byte) {
	t.Helper()
	for key, body := range files {
		switch filepath.Ext(key) {
		case ".rss", ".atom", ".opml":
			if err := feedcheck.WellFormed(body); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
		case ".json":
			var v struct {
				Version string            `json:"version"`
				Items   []json.RawMessage `json:"items"`
			}
			if err := json.Unmarshal(body, &v); err != nil || v.Version == "" || v.Items == nil {
				t.Fatalf("%s: not a JSON feed: %v", key, err)
			}
		}
	}
}

// An event build writes the objects it changes and four of state (the
// catalog's head twice, its journal, the manifest's root): no shard,
// whatever the site's size, until the journal or the root's recent entries
// pass their bounds. The scheduled build folds them into their shards,
// and the next event writes four again.
func TestEventStateWritesFollowTheChange(t *testing.T) {
	site := loadSite(t)
	dir, outDir := t.TempDir(), t.TempDir()
	c := &corpus{t: t, rng: rand.New(rand.NewPCG(3, 7)), dir: dir, files: map[string]bool{}, now: day}
	for i := range 60 {
		d := c.document().with("id", fmt.Sprintf("e%03d", i)).without("status")
		d["published"] = c.now.Add(-time.Duration(i+1) * time.Hour).Format(time.RFC3339)
		body, _ := json.Marshal(d)
		c.write(fmt.Sprintf("e%03d.json", i), body)
	}
	out := store.NewFolder(outDir)
	ops := &store.Ops{State: layout.State} // the delta packs are served: outputs
	out.Count(ops)
	build := func(keys ...string) (*publish.Report, store.OpCounts) {
		t.Helper()
		before := ops.Snapshot()
		rep := run(t, &publish.Build{Site: site, Articles: store.NewFolder(dir), Out: out, Now: c.now, Keys: keys})
		return rep, ops.Snapshot().Sub(before)
	}
	edit := func(i, n int) string {
		t.Helper()
		name := fmt.Sprintf("e%03d.json", i)
		var d doc
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || json.Unmarshal(data, &d) != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d["title"] = fmt.Sprintf("Edited %d 改稿", n)
		body, _ := json.Marshal(d)
		c.write(name, body)
		return name
	}
	events := func(from int) {
		t.Helper()
		for n := from; n < from+5; n++ {
			rep, got := build(edit(n*7%60, n))
			if rep.Mode != "event" || len(rep.Written) == 0 {
				t.Fatalf("edit %d: a %s build that wrote %v", n, rep.Mode, rep.Written)
			}
			if got.StatePut != 4 || got.Put-got.StatePut < int64(len(rep.Written)) {
				t.Errorf("edit %d: %d puts, %d of them state; want 4 of state and the %d outputs written (and their variants)", n, got.Put, got.StatePut, len(rep.Written))
			}
		}
	}
	build() // from scratch
	events(0)
	rep, got := build() // the schedule: a listing build folds
	if rep.Mode != "incremental" || got.StatePut <= 4 {
		t.Errorf("the listing build after 5 events (%s): %d state writes, want the shards the events touched", rep.Mode, got.StatePut)
	}
	events(5)
}
