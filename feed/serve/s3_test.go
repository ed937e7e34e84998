package serve_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/content/store/s3test"
	"github.com/feedpub/feedpub/feed/publish"
	"github.com/feedpub/feedpub/feed/serve"
)

// A warm handler over S3 (versitygw) makes one store request per
// revalidation interval however many readers poll, counted by the store:
// a conditional GET of the manifest's root, answered 304 when nothing
// changed; cold, the root, the one shard that names the feed and the one
// object asked for.
func TestS3RequestsPerPoll(t *testing.T) {
	srv := s3test.Start(t)
	client := srv.Client()
	site := exampleSite(t, "")
	bucket := srv.Bucket(t)
	out := store.NewS3(client, bucket, "")
	b := &publish.Build{Site: site, Articles: store.NewFolder("../../examples/articles"), Out: out, Now: buildTime}
	if _, err := b.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	served := store.NewS3(client, bucket, "")
	var ops store.Ops
	served.Count(&ops)
	clock := buildTime
	h := serve.New(served, serve.WithRevalidate(2*time.Second))
	serve.SetClock(h, func() time.Time { return clock })
	const target = "/feeds/index.rss"
	first := get(t, h, target, hdr("Accept-Encoding", "gzip"))
	if first.StatusCode != http.StatusOK || first.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("first poll: %d, %q", first.StatusCode, first.Header.Get("Content-Encoding"))
	}
	if got := gunzip(t, body(t, first)); len(got) == 0 {
		t.Fatal("empty feed")
	}
	etag := first.Header.Get("ETag")
	if c := ops.Snapshot(); c.Get != 3 {
		t.Errorf("cold start: %+v, want 3 GETs (the manifest's root, the feed's shard, the gzip variant)", c)
	}
	t.Logf("cold start: %+v", ops.Snapshot())

	before := ops.Snapshot()
	for i := range 1000 {
		clock = buildTime.Add(time.Duration(i) * 10 * time.Millisecond) // 1,000 polls in 10 s: five intervals
		resp := get(t, h, target, hdr("Accept-Encoding", "gzip", "If-None-Match", etag))
		if resp.StatusCode != http.StatusNotModified {
			t.Fatalf("poll %d: %d, want 304", i, resp.StatusCode)
		}
	}
	c := ops.Snapshot().Sub(before)
	if c.Get > 5 || c.Get != c.NotModified || c.List+c.Head+c.Put+c.Delete != 0 {
		t.Errorf("1,000 polls over 10 s: %+v, want at most 5 GETs (one per 2 s interval), each answered not modified", c)
	}
	t.Logf("1,000 polls over 10 s, 2 s interval: %+v", c)
}
