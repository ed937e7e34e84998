package publish

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// A body is a buffer a feed output is rendered into, shared by the
// renderer that made it and the outbox that writes it: the last of the
// two to let go of it gives it back, for the next output to reuse.
// From scratch at 100,000 articles the outputs are 1.4 GB: made in new
// buffers each time, they were a third of what a build allocated, and
// every collection they brought on scanned the catalog's live heap again
// (the collector was a quarter of the build's CPU).
type body struct {
	buf   []byte
	class int // the pool it returns to; -1: none (too large)
	refs  atomic.Int32
}

// Buffers are pooled by size class, powers of two from 4 KiB to 1 MiB.
// A larger output (an archive page: up to 9 MB a format at 100,000
// articles) gets a buffer a little larger than it, kept once released
// for the next large output it fits with little room to spare: the
// large outputs of a from-scratch build of 100,000 articles are some
// 7 GB, and allocated anew each time they were a third of everything it
// allocated, so that the collector ran one cycle after another.
const (
	minBodyClass = 12
	maxBodyClass = 20
)

// maxIdleBodies bounds the bytes of idle buffers kept for reuse. A
// sync.Pool keeps whatever is put back until its second collection: with
// buffers of many sizes coming and going, what it kept had no bound, and
// the build's peak heap is what has to fit a 512 MB function.
const maxIdleBodies = 8 << 20

// maxIdleLarge bounds the bytes of idle large buffers: room for one
// format of the largest archive page (9 MB at 100,000 articles). At
// 32 MiB the idle buffers were a tenth of a from-scratch build's peak
// heap.
const maxIdleLarge = 12 << 20

// idle holds the buffers free for reuse, by size class, and the large
// ones (class -1).
var idle struct {
	mu         sync.Mutex
	free       [maxBodyClass + 1][]*body
	bytes      int
	large      []*body
	largeBytes int
}

// newBody returns an empty buffer with room for size bytes, held once
// (by its caller).
func newBody(size int) *body {
	class := max(bits.Len(uint(max(size, 1)-1)), minBodyClass)
	var b *body
	if class <= maxBodyClass {
		idle.mu.Lock()
		if n := len(idle.free[class]); n > 0 {
			b = idle.free[class][n-1]
			idle.free[class][n-1] = nil
			idle.free[class] = idle.free[class][:n-1]
			idle.bytes -= cap(b.buf)
		}
		idle.mu.Unlock()
		if b == nil {
			b = &body{buf: make([]byte, 0, 1<<class), class: class}
		}
		b.buf = b.buf[:0]
	} else {
		b = takeLarge(size)
	}
	b.refs.Store(1)
	return b
}

// takeLarge returns an idle large buffer that holds size bytes with at
// most a quarter to spare (the smallest such), or a new one with an
// eighth to spare.
func takeLarge(size int) *body {
	idle.mu.Lock()
	best := -1
	for i, b := range idle.large {
		if c := cap(b.buf); c >= size && c <= size+size/4 && (best < 0 || c < cap(idle.large[best].buf)) {
			best = i
		}
	}
	if best >= 0 {
		b := idle.large[best]
		idle.large[best] = idle.large[len(idle.large)-1]
		idle.large[len(idle.large)-1] = nil
		idle.large = idle.large[:len(idle.large)-1]
		idle.largeBytes -= cap(b.buf)
		idle.mu.Unlock()
		b.buf = b.buf[:0]
		return b
	}
	idle.mu.Unlock()
	return &body{buf: make([]byte, 0, size+size/8), class: -1}
}

// Write appends p, as a bytes.Buffer would (a body that grows past its
// class returns to the class its room now fills).
func (b *body) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// WriteString appends s.
func (b *body) WriteString(s string) (int, error) {
	b.buf = append(b.buf, s...)
	return len(s), nil
}

// hold takes one more hold of b.
func (b *body) hold() { b.refs.Add(1) }

// release lets go of one hold; the last gives b back to its pool. Nothing
// may read b.buf after its holder released it.
func (b *body) release() {
	if b.refs.Add(-1) != 0 {
		return
	}
	if b.class < 0 {
		b.buf = b.buf[:0]
		idle.mu.Lock()
		defer idle.mu.Unlock()
		if idle.largeBytes+cap(b.buf) <= maxIdleLarge {
			idle.large = append(idle.large, b)
			idle.largeBytes += cap(b.buf)
		}
		return // else the collector takes it
	}
	// Grown past its class, it fills a larger one (a buffer is always at
	// least its class's size), unless it is now too large to pool.
	class := bits.Len(uint(cap(b.buf))) - 1
	if class > maxBodyClass {
		return
	}
	b.class = class
	b.buf = b.buf[:0]
	idle.mu.Lock()
	defer idle.mu.Unlock()
	if idle.bytes+cap(b.buf) > maxIdleBodies {
		return // the collector takes it
	}
	idle.free[class] = append(idle.free[class], b)
	idle.bytes += cap(b.buf)
}

// renderBudget bounds the bytes the renderers hold at once: the items of
// the jobs they render and the outputs made of them. A feed's job holds
// its newest items, little; an archive page holds its whole period (a
// month of a busy tag is a thousand full-text items, 15 MB in three
// formats), and four renderers on such pages at once would hold 60 MB
// and their outputs. A job larger than the budget runs alone.
const renderBudget = 16 << 20

// A byteBudget is a count of bytes that jobs take before they run and give
// back after.
type byteBudget struct {
	mu    sync.Mutex
	freed sync.Cond
	total int64
	free  int64
}

func newByteBudget(total int64) *byteBudget {
	b := &byteBudget{total: total, free: total}
	b.freed.L = &b.mu
	return b
}

// take waits until n bytes (at most the whole budget) are free and takes
// them; it returns what it took, for give.
func (b *byteBudget) take(n int64) int64 {
	n = min(n, b.total)
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.free < n {
		b.freed.Wait()
	}
	b.free -= n
	return n
}

// give returns n bytes that take took.
func (b *byteBudget) give(n int64) {
	b.mu.Lock()
	b.free += n
	b.mu.Unlock()
	b.freed.Broadcast()
}
