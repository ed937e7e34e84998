package publish_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/publish"
)

// A build that fans its feeds out to workers (here: goroutines running
// Build.Work, fed by an in-memory queue; functions/e2e runs the real
// thing) publishes what a build in one piece publishes, from scratch and
// incrementally.
func TestFanOutEqualsOneBuild(t *testing.T) {
	site := loadSite(t)
	site.Limit = 3
	c := &corpus{t: t, rng: newRand(11), dir: t.TempDir(), files: map[string]bool{}, now: day}
	for range 12 {
		c.step()
	}
	fanned, single := t.TempDir(), t.TempDir()
	var wg sync.WaitGroup
	workers := 0
	mk := func(out string, fan bool) *publish.Build {
		b := &publish.Build{Site: site, Articles: store.NewFolder(c.dir), Out: store.NewFolder(out), Now: c.now, MaxRetraction: -1}
		if fan {
			b.FanOut = &publish.FanOut{Above: 0, Batch: 2, Send: func(ctx context.Context, body []byte) error {
				workers++
				wg.Add(1)
				go func() { // a worker: the same program, configured the same way
					defer wg.Done()
					w := &publish.Build{Site: site, Articles: store.NewFolder(c.dir), Out: store.NewFolder(out)}
					if err := w.Work(context.Background(), body); err != nil {
						t.Errorf("worker: %v", err)
					}
				}()
				return nil
			}}
		}
		return b
	}
	for step := range 8 {
		rf := run(t, mk(fanned, true))
		rs := run(t, mk(single, false))
		wg.Wait()
		sameSite(t, step, "fanned out vs one build", fanned, single, rf, rs)
		if !slices.Equal(rf.Written, rs.Written) {
			t.Fatalf("step %d: written %v, want %v", step, rf.Written, rs.Written)
		}
		c.step()
	}
	if workers == 0 {
		t.Fatal("no batch was sent to a worker")
	}
	// A batch whose build no longer holds the catalog is dropped.
	w := &publish.Build{Site: site, Articles: store.NewFolder(c.dir), Out: store.NewFolder(fanned)}
	if err := w.Work(context.Background(), []byte(`{"fanout":{"build":"gone","batch":".feedpub/fanout/none/0"}}`)); err == nil || bytes.Contains([]byte(err.Error()), []byte("panic")) {
		t.Fatalf("a batch that does not exist: %v", err)
	}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }

// A worker that gets its batch after its build let go of the catalog (it
// failed, timed out, or another build took over) writes nothing (found in
// review: a late worker overwrote newer feeds).
func TestFanOutLateWorkerWritesNothing(t *testing.T) {
	site := loadSite(t)
	articles, out := t.TempDir(), t.TempDir()
	writeDocs(t, articles, article("a", "2024-01-01T10:00:00Z").with("categories", []string{"News"}))
	build(t, site, articles, out, day)
	writeDocs(t, articles, article("x", "2024-01-02T10:00:00Z").with("categories", []string{"News"}))
	var msgs [][]byte
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	b := &publish.Build{Site: site, Articles: store.NewFolder(articles), Out: store.NewFolder(out), Now: day,
		FanOut: &publish.FanOut{Send: func(_ context.Context, body []byte) error { msgs = append(msgs, body); return nil }}}
	if _, err := b.Run(ctx); err == nil {
		t.Fatal("the coordinator succeeded without workers")
	}
	before := outputs(t, out)
	w := &publish.Build{Site: site, Articles: store.NewFolder(articles), Out: store.NewFolder(out)}
	for _, m := range msgs {
		if err := w.Work(context.Background(), m); !errors.Is(err, publish.ErrClaimGone) {
			t.Fatalf("a late worker: %v, want ErrClaimGone", err)
		}
	}
	if len(msgs) == 0 {
		t.Fatal("no batch was sent")
	}
	after := outputs(t, out)
	for k, body := range before {
		if !bytes.Equal(after[k], body) {
			t.Errorf("%s was written by a late worker", k)
		}
	}
	// The next build repairs what the failed coordinator left.
	build(t, site, articles, out, day)
	if got := urls(feedItems(t, out, "category/news")); !slices.Equal(got, urlsOf("x", "a")) {
		t.Errorf("category/news after the repair: %v", got)
	}
}
