package serve_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/feedcheck"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/manifest"
	"github.com/feedpub/feedpub/feed/publish"
	"github.com/feedpub/feedpub/feed/serve"
)

// recorder records the keys a handler reads.
type recorder struct {
	serve.Source
	mu   sync.Mutex
	keys []string
}

func (r *recorder) GetIfChanged(ctx context.Context, key, version string) (*store.Object, error) {
	r.mu.Lock()
	r.keys = append(r.keys, key)
	r.mu.Unlock()
	return r.Source.GetIfChanged(ctx, key, version)
}

// shardsRead returns the manifest shards read since the last call.
func (r *recorder) shardsRead() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, k := range r.keys {
		if strings.HasPrefix(k, layout.ManifestDir) {
			out = append(out, k)
		}
	}
	r.keys = nil
	return out
}

// rootOf reads the manifest's root of the site in dir.
func rootOf(t *testing.T, dir string) *manifest.Root {
	t.Helper()
	files, err := feedcheck.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := manifest.DecodeRoot(files[layout.Manifest])
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// feedIn returns a feed key of the site whose entry is in another shard
// than key's, and key's shard.
func feedIn(t *testing.T, dir string, key string) (other string) {
	t.Helper()
	files, err := feedcheck.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := feedcheck.ReadManifest(files)
	if err != nil {
		t.Fatal(err)
	}
	n := len(m.Shards)
	for k := range m.Objects {
		if _, _, ok := layout.FeedName(k); ok && manifest.ShardOf(k, n) != manifest.ShardOf(key, n) {
			return k
		}
	}
	t.Fatalf("no feed outside the shard of %s among %d shards", key, n)
	return ""
}

// A request reads the manifest's root and the one shard that names what
// it asks for, once: a site of many shards is not read whole.
func TestShardsReadAsNeeded(t *testing.T) {
	s := newSite(t)
	root := rootOf(t, s.out)
	if len(root.Shards) < 2 {
		t.Fatalf("the example site has %d shard(s), want several for this test", len(root.Shards))
	}
	rec := &recorder{Source: store.NewFolder(s.out)}
	h := serve.New(rec, serve.WithRevalidate(time.Hour))
	const first = "feeds/index.rss"
	if got := get(t, h, "/"+first, nil).StatusCode; got != http.StatusOK {
		t.Fatalf("%s: %d", first, got)
	}
	want := manifest.ShardKey(root.Shards[manifest.ShardOf(first, len(root.Shards))])
	if got := rec.shardsRead(); len(got) != 1 || got[0] != want {
		t.Errorf("shards read for %s: %v, want [%s]", first, got, want)
	}
	for range 3 {
		get(t, h, "/"+first, hdr("Accept-Encoding", "gzip"))
		get(t, h, "/feeds/index.atom", nil) // the same feed: the same shard
	}
	if got := rec.shardsRead(); len(got) != 0 {
		t.Errorf("shards read again: %v", got)
	}
	other := feedIn(t, s.out, first)
	if got := get(t, h, "/"+other, nil).StatusCode; got != http.StatusOK {
		t.Fatalf("%s: %d", other, got)
	}
	if got := rec.shardsRead(); len(got) != 1 || got[0] == want {
		t.Errorf("shards read for %s: %v, want its own one", other, got)
	}
	// Not published: no shard says so but its own.
	if got := get(t, h, "/feeds/tag/no-such-tag.rss", nil).StatusCode; got != http.StatusNotFound {
		t.Errorf("an unknown feed: %d, want 404", got)
	}
}

// A handler whose root is a revalidation interval old may need a shard
// that two builds since have retired and deleted: it reads the root again
// at once and answers from the new site, rather than fail.
func TestRetiredShardReadsTheRootAgain(t *testing.T) {
	s := newSite(t)
	clock := buildTime.Add(time.Hour)
	h := serve.New(store.NewFolder(s.out), serve.WithRevalidate(time.Hour))
	serve.SetClock(h, func() time.Time { return clock })
	const target = "feeds/index.rss"
	other := feedIn(t, s.out, target)
	if got := get(t, h, "/"+other, nil).StatusCode; got != http.StatusOK { // the root in memory; target's shard not read
		t.Fatalf("%s: %d", other, got)
	}
	was := rootOf(t, s.out).Shards[manifest.ShardOf(target, len(rootOf(t, s.out).Shards))]
	for i, title := range []string{"嫦娥六号 更新", "嫦娥六号 再更新"} {
		s.retitle("chang-e-6-launch.json", title)
		s.build(buildTime.Add(time.Duration(i+2) * time.Hour))
	}
	files, err := feedcheck.Files(s.out)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := files[manifest.ShardKey(was)]; ok {
		t.Fatalf("the shard %s is still stored two builds on: the test needs it gone", was)
	}
	resp := get(t, h, "/"+target, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s with its shard gone: %d, want 200 from the site as read again", target, resp.StatusCode)
	}
	if b := body(t, resp); !strings.Contains(string(b), "嫦娥六号 再更新") {
		t.Errorf("%s: not the newest version", target)
	}
}

// event publishes the site as at now with an event build of the
// documents names.
func (s *site) event(now time.Time, names ...string) {
	s.t.Helper()
	b := &publish.Build{Site: exampleSite(s.t, s.extra), Articles: store.NewFolder(s.articles), Out: store.NewFolder(s.out), Now: now, Keys: names}
	if _, err := b.Run(context.Background()); err != nil {
		s.t.Fatalf("event build: %v", err)
	}
}

// An event build puts the entries it changes into the root's Recent,
// beside shards it leaves as they were: the handler serves those entries,
// not the shards' (which a server had read already), for every
// representation; an article deleted leaves its feeds; the next listing
// build folds Recent into the shards, and the handler serves the same.
func TestRecentEntriesServed(t *testing.T) {
	s := newSite(t)
	clock := buildTime.Add(time.Hour)
	h := serve.New(store.NewFolder(s.out), serve.WithRevalidate(time.Second))
	serve.SetClock(h, func() time.Time { return clock })
	const target = "/feeds/index.rss"
	first := get(t, h, target, hdr("Accept-Encoding", "gzip"))
	etag := first.Header.Get("ETag")
	body(t, first)
	shards := rootOf(t, s.out).Shards

	s.retitle("chang-e-6-launch.json", "嫦娥六号 事件更新")
	s.event(buildTime.Add(2*time.Hour), "chang-e-6-launch.json")
	root := rootOf(t, s.out)
	if len(root.Recent) == 0 || !slices.Equal(root.Shards, shards) {
		t.Fatalf("after an event: %d recent entries, shards rewritten %v; want the changes in the root alone", len(root.Recent), !slices.Equal(root.Shards, shards))
	}
	if root.Recent[strings.TrimPrefix(target, "/")] == nil {
		t.Fatalf("%s is not among the recent entries: %v", target, root.Recent)
	}
	clock = clock.Add(2 * time.Second) // past the revalidation interval
	for _, coding := range []string{"", "gzip", "br"} {
		resp := get(t, h, target, hdr("Accept-Encoding", coding))
		b := body(t, resp)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == etag {
			t.Fatalf("%s (%q) after the event: %d, ETag %s (was %s)", target, coding, resp.StatusCode, resp.Header.Get("ETag"), etag)
		}
		if enc := resp.Header.Get("Content-Encoding"); enc != "" {
			b = decode(t, enc, b)
		}
		if !strings.Contains(string(b), "嫦娥六号 事件更新") {
			t.Fatalf("%s (%q) after the event: not the new version", target, coding)
		}
	}
	if got := get(t, h, target, hdr("If-None-Match", etag)).StatusCode; got != http.StatusOK {
		t.Errorf("the old version's ETag after the event: %d, want 200", got)
	}

	// The fold: the same answers from the shards.
	s.build(buildTime.Add(3 * time.Hour))
	if root := rootOf(t, s.out); len(root.Recent) != 0 {
		t.Fatalf("a listing build left %d recent entries", len(root.Recent))
	}
	clock = clock.Add(2 * time.Second)
	resp := get(t, h, target, nil)
	if b := body(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "嫦娥六号 事件更新") {
		t.Fatalf("%s after the fold: %d, not the new version", target, resp.StatusCode)
	}
}
