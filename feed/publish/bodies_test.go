package publish

import (
	"testing"
	"time"
)

// A body is reused only once every holder has let go of it, and comes
// back empty.
func TestBodyReuse(t *testing.T) {
	b := newBody(5000)
	if cap(b.buf) < 5000 {
		t.Fatalf("room for %d bytes, want 5000", cap(b.buf))
	}
	_, _ = b.WriteString("first output")
	b.hold() // the outbox's
	b.release()
	if c := newBody(5000); c == b {
		t.Fatal("a body still held by the outbox was handed out again")
	}
	b.release()
	c := newBody(6000) // the same class
	if c != b {
		t.Fatal("a body nobody holds was not reused")
	}
	if len(c.buf) != 0 {
		t.Fatalf("a reused body holds %q", c.buf)
	}
	c.release()
}

// A body grown past its class returns to the class it now fills; one
// larger than the largest class is kept for a later large output it holds
// with little to spare, never for a much smaller one.
func TestBodyClasses(t *testing.T) {
	b := newBody(100)
	_, _ = b.Write(make([]byte, 50_000)) // grows from 4 KiB
	b.release()
	if c := newBody(30_000); c != b {
		t.Error("a grown body was not reused for a size it has room for")
	} else {
		c.release()
	}
	big := newBody(3 << 20)
	if cap(big.buf) < 3<<20 {
		t.Fatalf("a large body has room for %d bytes, want 3 MiB", cap(big.buf))
	}
	_, _ = big.WriteString("an archive page")
	big.release()
	if c := newBody(2 << 20); c == big {
		t.Error("a 3 MiB body was handed out for 2 MiB")
		c.release()
	}
	c := newBody(3<<20 + 100)
	if c != big {
		t.Error("a released large body was not reused for an output it holds")
	}
	if len(c.buf) != 0 {
		t.Errorf("a reused large body holds %q", c.buf)
	}
	c.release()
	newBody(3 << 20) // empty the pool again for the other tests
}

// The idle large buffers kept stay within maxIdleLarge.
func TestIdleLargeBodiesBounded(t *testing.T) {
	var bs []*body
	for range 2 * maxIdleLarge / (4 << 20) {
		bs = append(bs, newBody(4<<20))
	}
	for _, b := range bs {
		b.release()
	}
	idle.mu.Lock()
	n, kept := idle.largeBytes, len(idle.large)
	idle.mu.Unlock()
	if n > maxIdleLarge || kept == 0 {
		t.Errorf("idle large bodies: %d kept, %d bytes, want some and at most %d bytes", kept, n, maxIdleLarge)
	}
	for range kept {
		newBody(4 << 20)
	}
}

// The idle buffers kept stay within maxIdleBodies.
func TestIdleBodiesBounded(t *testing.T) {
	var bs []*body
	for range 2 * maxIdleBodies / (1 << maxBodyClass) {
		bs = append(bs, newBody(1<<maxBodyClass))
	}
	for _, b := range bs {
		b.release()
	}
	idle.mu.Lock()
	n := idle.bytes
	idle.mu.Unlock()
	if n > maxIdleBodies {
		t.Errorf("idle bodies hold %d bytes, want at most %d", n, maxIdleBodies)
	}
	for range bs { // empty the pool again for the other tests
		newBody(1 << maxBodyClass)
	}
}

// A budget lets jobs run while their bytes fit, makes the next wait, and
// lets a job larger than the whole budget run alone.
func TestByteBudget(t *testing.T) {
	b := newByteBudget(100)
	a := b.take(60)
	took := make(chan int64)
	go func() { took <- b.take(50) }()
	select {
	case <-took:
		t.Fatal("a job ran past the budget")
	case <-time.After(50 * time.Millisecond):
	}
	b.give(a)
	n := <-took
	if n != 50 {
		t.Fatalf("took %d, want 50", n)
	}
	b.give(n)
	if n := b.take(1000); n != 100 {
		t.Fatalf("a job larger than the budget took %d, want the whole budget (100)", n)
	} else {
		b.give(n)
	}
}
