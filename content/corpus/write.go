package corpus

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/feedpub/feedpub/content/store"
)

// Putter is the part of store.Bucket that Write needs.
type Putter interface {
	Put(ctx context.Context, o *store.Object) (changed bool, err error)
}

// Stats counts what Write did.
type Stats struct {
	Docs    int   // documents put
	Changed int   // of which the store did not already hold the same bytes
	Bytes   int64 // total size of the documents
}

// Write generates the corpus opts describe and puts every document in b,
// with opts.Workers goroutines each generating and putting documents. It
// stops at the first error (and returns it); the documents put by then
// stay.
func Write(ctx context.Context, b Putter, opts Options) (Stats, error) {
	g, err := New(opts)
	if err != nil {
		return Stats{}, err
	}
	return g.Write(ctx, b)
}

// Write puts every document in b; see the function Write.
func (g *Generator) Write(ctx context.Context, b Putter) (Stats, error) {
	workers := g.opts.Workers
	if workers == 0 {
		workers = 16
	}
	workers = max(1, min(workers, g.opts.N))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		next          atomic.Int64
		docs, changed atomic.Int64
		bytes         atomic.Int64
		failOnce      sync.Once
		failure       error
		wg            sync.WaitGroup
		n             = int64(g.opts.N)
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= n {
					return
				}
				key, body := g.Doc(int(i))
				ok, err := b.Put(ctx, &store.Object{Key: key, Body: body, ContentType: store.TypeByKey(key)})
				if err != nil {
					failOnce.Do(func() { failure = fmt.Errorf("corpus: put %s: %w", key, err) })
					cancel()
					return
				}
				docs.Add(1)
				bytes.Add(int64(len(body)))
				if ok {
					changed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	st := Stats{Docs: int(docs.Load()), Changed: int(changed.Load()), Bytes: bytes.Load()}
	if failure == nil && ctx.Err() != nil && st.Docs < g.opts.N {
		failure = fmt.Errorf("corpus: write: %w", context.Cause(ctx))
	}
	return st, failure
}
