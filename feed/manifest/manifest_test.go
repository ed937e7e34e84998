package manifest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/manifest"
)

// memStore is a store in memory that counts what it is asked.
type memStore struct {
	mu           sync.Mutex
	objs         map[string][]byte
	gets, writes []string
}

func newMemStore() *memStore { return &memStore{objs: map[string][]byte{}} }

func (s *memStore) Get(_ context.Context, key string) (*store.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets = append(s.gets, key)
	b, ok := s.objs[key]
	if !ok {
		return nil, store.ErrNotFound
	}
	return &store.Object{Key: key, Body: slices.Clone(b)}, nil
}

func (s *memStore) Write(_ context.Context, o *store.Object) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, o.Key)
	s.objs[o.Key] = slices.Clone(o.Body)
	return store.Hash(o.Body), nil
}

func (s *memStore) WriteAll(ctx context.Context, objs []*store.Object) ([]string, error) {
	versions := make([]string, len(objs))
	for i, o := range objs {
		versions[i], _ = s.Write(ctx, o)
	}
	return versions, nil
}

func (s *memStore) delete(keys []string) {
	for _, k := range keys {
		delete(s.objs, k)
	}
}

func (s *memStore) reset() { s.gets, s.writes = nil, nil }

func (s *memStore) shardKeys() []string {
	var keys []string
	for k := range s.objs {
		if strings.HasPrefix(k, layout.ManifestDir) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func read(t *testing.T, st *memStore) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Read(context.Background(), st)
	if err != nil || m == nil {
		t.Fatalf("read: %v, %v", m, err)
	}
	return m
}

func commit(t *testing.T, m *manifest.Manifest, st *memStore, now time.Time) []string {
	t.Helper()
	retire, err := m.Commit(context.Background(), st, now)
	if err != nil {
		t.Fatal(err)
	}
	return retire
}

func set(t *testing.T, m *manifest.Manifest, key string, o manifest.Object, now time.Time) {
	t.Helper()
	if err := m.Set(context.Background(), key, o, now); err != nil {
		t.Fatal(err)
	}
}

func object(t *testing.T, m *manifest.Manifest, key string) *manifest.Object {
	t.Helper()
	o, err := m.Object(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestRoundTripOneObjectPerLine(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_750_000_000, 0)
	st := newMemStore()
	m := manifest.New()
	want := map[string]*manifest.Object{
		"feeds/index.rss": {Hash: "aa", Size: 10, Type: "application/rss+xml",
			Variants: manifest.Variants{{Coding: "gzip", Key: "feeds/index.rss.gz", Hash: "bb", Size: 5}}},
		"index.html": {Hash: "cc", Size: 3, Type: "text/html"},
		"feeds/index.atom": {Hash: "ee", Size: 10, Deltas: &manifest.Deltas{Key: ".feedpub/deltas/feeds/index.atom", Hash: "dd", Size: 900, Trailer: 700,
			From: []manifest.Delta{{Hashes: []string{"aa", "bb"}, Offset: 0, Size: 300, Items: 1}, {Hashes: []string{"cc"}, Offset: 300, Size: 400, Items: 2}}}},
		"feeds/tag/x.json": {Hash: "ff", Size: 10, Deltas: &manifest.Deltas{Key: "k", Hash: "11", Size: 40}},
	}
	for k, o := range want {
		o.Modified = now.Unix()
		set(t, m, k, *o, now)
	}
	m.Redirects = map[string]string{"tag/old": "tag/new"}
	commit(t, m, st, now)
	root := st.objs[layout.Manifest]
	if n := bytes.Count(root, []byte("\n")); n != 4 {
		t.Errorf("root: %d lines, want 4 (head, the one shard, its end, the redirects):\n%s", n, root)
	}
	shards := st.shardKeys()
	if len(shards) != 1 {
		t.Fatalf("shards %v, want one for four objects", shards)
	}
	shard := gunzip(t, st.objs[shards[0]])
	if n := bytes.Count(shard, []byte("\n")); n != 6 {
		t.Errorf("shard: %d lines, want 6 (head, one per object, end):\n%s", n, shard)
	}
	if bytes.Contains(shard, []byte(`"from":null`)) || bytes.Contains(shard, []byte(`"from":[]`)) {
		t.Errorf("a pack without deltas names an empty list:\n%s", shard)
	}
	got := read(t, st)
	all, err := got.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(all, want) {
		t.Errorf("decoded %+v, want %+v", all, want)
	}
	if got.Gen != 1 || got.Built != now.Unix() || got.Redirects["tag/old"] != "tag/new" {
		t.Errorf("root %+v", got.Root)
	}
	// Committed again unchanged, the shard is not written again.
	st.reset()
	commit(t, got, st, now)
	if !slices.Equal(st.writes, []string{layout.Manifest}) {
		t.Errorf("an unchanged manifest wrote %v, want the root only", st.writes)
	}
}

// Modified is when the bytes last changed: kept by a build that writes the
// same bytes, never moved backwards by a clock that is behind.
func TestModifiedMovesOnlyForward(t *testing.T) {
	t0 := time.Unix(1_750_000_000, 0)
	st := newMemStore()
	m := manifest.New()
	set(t, m, "feeds/a.rss", manifest.Object{Hash: "1"}, t0)
	commit(t, m, st, t0)
	m = read(t, st)
	set(t, m, "feeds/a.rss", manifest.Object{Hash: "1"}, t0.Add(time.Hour))
	if got := object(t, m, "feeds/a.rss").Modified; got != t0.Unix() {
		t.Errorf("same bytes: modified %d, want %d (unchanged)", got, t0.Unix())
	}
	set(t, m, "feeds/a.rss", manifest.Object{Hash: "2"}, t0.Add(time.Hour))
	if got := object(t, m, "feeds/a.rss").Modified; got != t0.Add(time.Hour).Unix() {
		t.Errorf("new bytes: modified %d, want the build's time", got)
	}
	set(t, m, "feeds/a.rss", manifest.Object{Hash: "3"}, t0) // a clock behind
	if got := object(t, m, "feeds/a.rss").Modified; got != t0.Add(time.Hour).Unix()+1 {
		t.Errorf("clock behind: modified %d, want one second past the last change", got)
	}
	commit(t, m, st, t0.Add(time.Hour))
	if m = read(t, st); m.Gen != 2 {
		t.Errorf("gen %d, want 2", m.Gen)
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, in := range []string{``, `{`, `{"format":1,"objects":{"a":null}}`, `{"format":1,"objects":{"a":{}}}`,
		`{"format":2,"shards":[{"name":"0001-00"}]}`} {
		if _, err := manifest.DecodeRoot([]byte(in)); err == nil {
			t.Errorf("%q: decoded", in)
		}
	}
	if _, err := manifest.DecodeRoot([]byte(`{"format":9}`)); !errors.Is(err, manifest.ErrFormat) {
		t.Errorf("format 9: %v, want ErrFormat", err)
	}
	body := gzipped(`{"objects":{"feeds/a.rss":{"hash":"1"}}}`)
	name := "0000-" + store.Hash(body)[:16]
	if _, err := manifest.DecodeShard(name, body); err != nil {
		t.Errorf("a shard its name describes: %v", err)
	}
	for _, c := range []struct{ name, body string }{
		{"0000-" + store.Hash([]byte("other"))[:16], string(body)},                                            // not the bytes named
		{"0000-" + store.Hash(gzipped("{"))[:16], string(gzipped("{"))},                                       // torn
		{"0000-" + store.Hash([]byte("{"))[:16], "{"},                                                         // not gzip
		{"0000-" + store.Hash(gzipped(`{"objects":{"a":{}}}`))[:16], string(gzipped(`{"objects":{"a":{}}}`))}, // no hash
	} {
		if _, err := manifest.DecodeShard(c.name, []byte(c.body)); !errors.Is(err, manifest.ErrCorrupt) {
			t.Errorf("%s %q: %v, want ErrCorrupt", c.name, c.body, err)
		}
	}
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

// feedKeys are the keys of n feeds, each in three formats with a preview
// page and two archive pages: six objects of one owner each.
func feedKeys(n int) [][]string {
	var feeds [][]string
	for i := range n {
		name := fmt.Sprintf("tag/t%04d", i)
		feeds = append(feeds, []string{layout.FeedKey(name, "rss"), layout.FeedKey(name, "atom"), layout.FeedKey(name, "json"),
			layout.PreviewKey(name), layout.ArchiveKey(name, "2026-01", "rss"), layout.ArchiveKey(name, "2026-02", "atom")})
	}
	return feeds
}

// A change reads and writes the shards of the feeds it touches and the
// root, whatever the size of the site; a feed's objects share a shard.
func TestAChangeTouchesItsShards(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_750_000_000, 0)
	st := newMemStore()
	m := manifest.New()
	feeds := feedKeys(2000) // 12,000 objects
	for _, keys := range feeds {
		for _, k := range keys {
			set(t, m, k, manifest.Object{Hash: store.Hash([]byte(k))}, now)
		}
	}
	commit(t, m, st, now)
	if n := len(st.shardKeys()); n < 12000/256 || n > 12000/16 {
		t.Fatalf("%d shards for 12,000 objects", n)
	}
	for _, keys := range feeds {
		n := -1
		for _, k := range keys {
			if i := manifest.ShardOf(k, len(m.Shards)); n >= 0 && i != n {
				t.Fatalf("%s in shard %d, the rest of its feed in %d", k, i, n)
			} else {
				n = i
			}
		}
	}

	st.reset()
	m = read(t, st)
	m.Fold() // as a listing build does: the changes go into their shards
	touched := append(slices.Clone(feeds[7]), feeds[1234]...)
	if err := m.Load(ctx, touched); err != nil {
		t.Fatal(err)
	}
	for _, k := range touched {
		set(t, m, k, manifest.Object{Hash: "new"}, now.Add(time.Minute))
	}
	if o, err := m.Remove(ctx, feeds[99][0]); err != nil || o == nil {
		t.Fatalf("remove: %v %v", o, err)
	}
	retire := commit(t, m, st, now.Add(time.Minute))
	if len(st.gets) > 4 || len(st.writes) > 4 {
		t.Errorf("a change to 3 feeds made %d reads %v and %d writes %v, want the root and at most 3 shards each",
			len(st.gets), st.gets, len(st.writes), st.writes)
	}
	if len(retire) != 0 {
		t.Errorf("retire %v, want none: the first root retired nothing", retire)
	}
	retired := read(t, st).Retired
	if len(retired) == 0 || len(retired) > 3 {
		t.Fatalf("retired %v, want the shards replaced", retired)
	}
	// The shards replaced stay for a build: a server reading the last
	// root can still load them. The next build deletes them.
	for _, name := range retired {
		if _, ok := st.objs[manifest.ShardKey(name)]; !ok {
			t.Errorf("%s deleted with its root", name)
		}
	}
	m = read(t, st) // an event: its change goes into the root's Recent
	set(t, m, feeds[5][0], manifest.Object{Hash: "newer"}, now.Add(2*time.Minute))
	retire = commit(t, m, st, now.Add(2*time.Minute))
	want := []string{}
	for _, name := range retired {
		want = append(want, manifest.ShardKey(name))
	}
	if !slices.Equal(retire, want) {
		t.Errorf("retire %v, want %v", retire, want)
	}
	st.delete(retire)

	// What is left is the site as changed, every shard named present.
	all, err := read(t, st).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 12000-1 || all[feeds[7][2]].Hash != "new" || all[feeds[5][0]].Hash != "newer" || all[feeds[99][0]] != nil {
		t.Errorf("%d objects after the changes", len(all))
	}
}

// A build that does not fold (an event) writes its changes into the
// root's Recent and no shard, and an entry set as its shard holds it is
// not one of them; every reader sees them; past maxRecent bytes, or
// when asked to fold, the shards are written and Recent emptied.
func TestRecentEntriesInTheRoot(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_750_000_000, 0)
	st := newMemStore()
	m := manifest.New()
	feeds := feedKeys(2000)
	for _, keys := range feeds {
		for _, k := range keys {
			set(t, m, k, manifest.Object{Hash: store.Hash([]byte(k))}, now)
		}
	}
	commit(t, m, st, now)
	shards := slices.Clone(m.Shards)

	st.reset()
	m = read(t, st)
	set(t, m, feeds[7][0], manifest.Object{Hash: "new"}, now.Add(time.Minute))
	set(t, m, feeds[8][1], manifest.Object{Hash: store.Hash([]byte(feeds[8][1]))}, now.Add(time.Minute)) // as it was
	if _, err := m.Remove(ctx, feeds[9][0]); err != nil {
		t.Fatal(err)
	}
	commit(t, m, st, now.Add(time.Minute))
	if len(st.writes) != 1 || st.writes[0] != layout.Manifest {
		t.Fatalf("an event's commit wrote %v, want the root alone", st.writes)
	}
	r := read(t, st)
	if !slices.Equal(r.Shards, shards) || len(r.Recent) != 2 || r.Recent[feeds[7][0]] == nil || r.Recent[feeds[9][0]] != nil {
		t.Fatalf("root after an event: recent %v, shards changed %v", r.Recent, !slices.Equal(r.Shards, shards))
	}
	if o, _ := r.Object(ctx, feeds[7][0]); o == nil || o.Hash != "new" {
		t.Fatalf("the changed entry reads %+v", o)
	}
	if o, _ := r.Object(ctx, feeds[9][0]); o != nil {
		t.Fatalf("the removed entry reads %+v", o)
	}

	// Past maxRecent bytes: folded.
	m = read(t, st)
	for _, keys := range feeds[100:2000] {
		for _, k := range keys {
			set(t, m, k, manifest.Object{Hash: "bulk"}, now.Add(3*time.Minute))
		}
	}
	commit(t, m, st, now.Add(3*time.Minute))
	if r := read(t, st); len(r.Recent) != 0 || slices.Equal(r.Shards, shards) {
		t.Fatalf("11,400 changes (past 256 KiB): %d recent entries, shards unchanged %v; want them in the shards", len(r.Recent), slices.Equal(r.Shards, shards))
	}
	all, err := read(t, st).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 12000-1 || all[feeds[150][0]].Hash != "bulk" || all[feeds[9][0]] != nil {
		t.Errorf("%d objects after the fold", len(all))
	}

	// Asked to fold: Recent goes into the shards.
	m = read(t, st)
	set(t, m, feeds[3][0], manifest.Object{Hash: "x"}, now.Add(4*time.Minute))
	commit(t, m, st, now.Add(4*time.Minute))
	m = read(t, st)
	if len(m.Recent) != 1 {
		t.Fatalf("recent %v, want one entry", m.Recent)
	}
	m.Fold()
	commit(t, m, st, now.Add(5*time.Minute))
	if r := read(t, st); len(r.Recent) != 0 {
		t.Fatalf("recent after a fold: %v", r.Recent)
	}
	if o, _ := read(t, st).Object(ctx, feeds[3][0]); o == nil || o.Hash != "x" {
		t.Fatalf("the entry folded reads %+v", o)
	}
}

// A site that grows is resharded, so that shards stay small: what a change
// touches grows slower than the site.
func TestGrowthReshards(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_750_000_000, 0)
	st := newMemStore()
	m := manifest.New()
	feeds := feedKeys(3000)
	shards := 0
	for step, n := range []int{10, 100, 1000, 3000} {
		if step > 0 {
			m = read(t, st)
		}
		for _, keys := range feeds[:n] {
			for _, k := range keys {
				set(t, m, k, manifest.Object{Hash: "h" + k}, now)
			}
		}
		commit(t, m, st, now)
		m = read(t, st)
		objects := m.Objects
		if objects != 6*n {
			t.Errorf("%d feeds: the root counts %d objects, want %d", n, objects, 6*n)
		}
		if per := objects / len(m.Shards); per > 256 || len(m.Shards) > 1 && per < 16 {
			t.Errorf("%d feeds: %d shards of %d objects on average", n, len(m.Shards), per)
		}
		if len(m.Shards) < shards {
			t.Errorf("%d feeds: %d shards, fewer than before (%d)", n, len(m.Shards), shards)
		}
		shards = len(m.Shards)
		all, err := m.All(ctx)
		if err != nil || len(all) != 6*n {
			t.Errorf("%d feeds: %d objects read, %v", n, len(all), err)
		}
	}
}

// A manifest of format 1, one object, is read and rewritten as shards.
func TestFormat1IsRead(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	st.objs[layout.Manifest] = []byte(`{"format":1,"gen":7,"built":1750000000,"objects":{
"feeds/index.rss":{"hash":"aa","size":1,"type":"t","cache_control":"c","modified":1750000000},
"index.html":{"hash":"bb","size":1,"type":"t","cache_control":"c","modified":1740000000}
},
"gone":{"feeds/tag/x.rss":1740000000}}
`)
	m := read(t, st)
	if o := object(t, m, "index.html"); o == nil || o.Modified != 1740000000 {
		t.Fatalf("index.html: %+v", o)
	}
	commit(t, m, st, time.Unix(1_760_000_000, 0))
	m = read(t, st)
	all, err := m.All(ctx)
	if err != nil || len(all) != 2 || m.Gen != 8 || m.Gone["feeds/tag/x.rss"] != 1740000000 || len(st.shardKeys()) != 1 {
		t.Errorf("rewritten: %v objects, gen %d, gone %v, shards %v, %v", len(all), m.Gen, m.Gone, st.shardKeys(), err)
	}
	if len(m.Retired) != 0 {
		t.Errorf("retired %v: the format 1 object is the root's own key", m.Retired)
	}
}

// A shard the root names that is missing fails a build that needs it, and
// reads as empty for one that rewrites every entry (Tolerate).
func TestMissingShard(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_750_000_000, 0)
	st := newMemStore()
	m := manifest.New()
	set(t, m, "feeds/index.rss", manifest.Object{Hash: "aa"}, now)
	commit(t, m, st, now)
	st.delete(st.shardKeys())
	if _, err := read(t, st).Object(ctx, "feeds/index.rss"); !errors.Is(err, manifest.ErrCorrupt) {
		t.Errorf("a missing shard: %v, want ErrCorrupt", err)
	}
	m = read(t, st)
	m.Tolerate()
	if o, err := m.Object(ctx, "feeds/index.rss"); o != nil || err != nil {
		t.Errorf("tolerated: %v %v, want nothing", o, err)
	}
	set(t, m, "feeds/index.rss", manifest.Object{Hash: "aa"}, now)
	commit(t, m, st, now)
	if all, err := read(t, st).All(ctx); err != nil || len(all) != 1 {
		t.Errorf("repaired: %v %v", maps.Keys(all), err)
	}
}

// Variants are written as the object keyed by coding that a map would
// make, byte for byte, and read back in the order of their codings.
func TestVariantsJSON(t *testing.T) {
	vs := manifest.Variants{}
	vs.Set(manifest.Variant{Coding: "gzip", Key: "a.rss.gz", Hash: "11", Size: 3})
	vs.Set(manifest.Variant{Coding: "br", Key: "a.rss.br", Hash: "22", Size: 2})
	vs.Set(manifest.Variant{Coding: "gzip", Key: "a.rss.gz", Hash: "33", Size: 4}) // replaces
	got, err := json.Marshal(vs)
	if err != nil {
		t.Fatal(err)
	}
	type variant struct { // as format 2 wrote a variant, in a map
		Key  string `json:"key"`
		Hash string `json:"hash"`
		Size int    `json:"size"`
	}
	want, _ := json.Marshal(map[string]variant{
		"gzip": {"a.rss.gz", "33", 4},
		"br":   {"a.rss.br", "22", 2},
	})
	if !bytes.Equal(got, want) {
		t.Fatalf("got %s, want %s", got, want)
	}
	var back manifest.Variants
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 || back[0].Coding != "br" || back[1].Coding != "gzip" || back[1].Hash != "33" {
		t.Fatalf("read back %+v", back)
	}
	if v, ok := back.Get("gzip"); !ok || v.Key != "a.rss.gz" || v.Size != 4 {
		t.Fatalf("Get(gzip) = %+v, %v", v, ok)
	}
	if _, ok := back.Get("zstd"); ok {
		t.Fatal("Get found a coding that has no variant")
	}
}
