package publish

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
)

// slowSink writes a batch only after a pause, as a busy disk would, and
// records the most bytes its outbox held meanwhile.
type slowSink struct {
	Sink // only WriteAll is called
	o    *outbox
	mu   sync.Mutex
	most int
	n    int
}

func (s *slowSink) WriteAll(_ context.Context, objs []*store.Object) ([]string, error) {
	time.Sleep(20 * time.Millisecond)
	s.o.mu.Lock()
	held := s.o.writing + s.o.size
	s.o.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.most = max(s.most, held)
	s.n += len(objs)
	versions := make([]string, len(objs))
	for i := range versions {
		versions[i] = "v"
	}
	return versions, nil
}

// Renderers that make outputs faster than the store takes them wait: the
// outbox holds at most maxHeld bytes and the object that crossed it,
// pending and being written, and writes every one.
func TestOutboxHoldsBoundedBytes(t *testing.T) {
	sink := &slowSink{}
	o := newOutbox(&Build{Out: sink}, false, nil)
	sink.o = o
	const size, renderers, each = 5 << 20, 4, 8
	ctx := context.Background()
	var wg sync.WaitGroup
	for r := range renderers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				b := newBody(size)
				b.buf = b.buf[:size]
				// Under a dot-folder: not served, so no variants.
				o.addBody(ctx, fmt.Sprintf("x/.page-%d-%d", r, i), b, "", "")
				b.release()
			}
		}()
	}
	wg.Wait()
	o.flush(ctx)
	if sink.n != renderers*each {
		t.Errorf("%d objects written, want %d", sink.n, renderers*each)
	}
	if limit := maxHeld + size; sink.most > limit {
		t.Errorf("the outbox held %d MiB while writing, want at most %d MiB", sink.most>>20, limit>>20)
	}
	if o.writing != 0 || o.size != 0 {
		t.Errorf("after the last write the outbox holds %d bytes writing and %d pending, want none", o.writing, o.size)
	}
}
