package publish

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/klauspost/compress/s2"

	"github.com/feedpub/feedpub/feed"
)

// items keeps the rendered items of the documents a build read, by key:
// in memory up to a size, then in a temporary file, so that a build of
// the whole corpus holds the items of every article without holding their
// bytes. An article's three items go to the file compressed together
// (s2): they carry its body three times, escaped three ways, and take
// about a fifth of their size so (measured on the bench corpus, full
// text: 16.9 MB of items in 3.5 MB), which matters where fresh pages are
// dear: a from-scratch build of 100,000 full-text articles wrote 1.2 GB
// of items to the file, and spent as much time in those writes as in
// parsing every document.
type items struct {
	mu    sync.Mutex
	mem   map[string]feed.Items
	inMem int
	limit int // bytes kept in memory
	file  *os.File
	off   int64 // bytes in the file
	raw   int64 // what they decode to
	spans map[string]span
}

// span is where the items of one article lie in the file: n bytes at at,
// which decode to its items in every format, of sizes size, one after the
// other in layout.Exts order.
type span struct {
	at   int64
	n    int
	size [3]int
}

func (s span) len() int { return s.size[0] + s.size[1] + s.size[2] }

// offset returns where format i starts in the decoded items.
func (s span) offset(i int) int {
	off := 0
	for _, n := range s.size[:i] {
		off += n
	}
	return off
}

func newItems(limit int) *items {
	return &items{mem: map[string]feed.Items{}, spans: map[string]span{}, limit: limit}
}

// spillBuffers are the scratch buffers of put and read: items joined,
// compressed, read back.
var spillBuffers = sync.Pool{New: func() any { return new([]byte) }}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// put keeps the items of key: a copy in memory, or written to the file;
// it keeps no reference to it, whose bytes the caller may reuse.
func (c *items) put(key string, it feed.Items) error {
	n := len(it[0]) + len(it[1]) + len(it[2])
	c.mu.Lock()
	if c.inMem+n <= c.limit {
		// One allocation of the exact size: the renderer's buffers have room to spare.
		buf := make([]byte, 0, n)
		for i, b := range it {
			buf = append(buf, b...)
			it[i] = buf[len(buf)-len(b):]
		}
		c.mem[key] = it
		c.inMem += n
		c.mu.Unlock()
		return nil
	}
	if c.file == nil {
		f, err := os.CreateTemp("", "feedpub-items-")
		if err != nil {
			c.mu.Unlock()
			return fmt.Errorf("publish: items: %w", err)
		}
		_ = os.Remove(f.Name()) // gone when closed, or when the process ends
		c.file = f
	}
	file := c.file
	c.mu.Unlock()

	joined, packed := spillBuffers.Get().(*[]byte), spillBuffers.Get().(*[]byte)
	defer spillBuffers.Put(joined)
	defer spillBuffers.Put(packed)
	*joined = append(append(append((*joined)[:0], it[0]...), it[1]...), it[2]...)
	*packed = grow(*packed, s2.MaxEncodedLen(n))
	enc := s2.Encode(*packed, *joined)

	// Space is taken under the lock and written outside it; the key is
	// known only once its bytes are there, for renderers read entrants
	// while others put them.
	c.mu.Lock()
	sp := span{at: c.off, n: len(enc), size: [3]int{len(it[0]), len(it[1]), len(it[2])}}
	c.off += int64(len(enc))
	c.mu.Unlock()
	if _, err := file.WriteAt(enc, sp.at); err != nil {
		return fmt.Errorf("publish: items: %w", err)
	}
	c.mu.Lock()
	c.raw += int64(n)
	c.spans[key] = sp
	c.mu.Unlock()
	return nil
}

// get returns the items of key: in memory (it), or where they lie in the
// file (spilled, at sp: see read); ok is false when key has no items.
func (c *items) get(key string) (it feed.Items, sp span, spilled, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if it, ok := c.mem[key]; ok {
		return it, span{}, false, true
	}
	if sp, ok := c.spans[key]; ok {
		return feed.Items{}, sp, true, true
	}
	return feed.Items{}, span{}, false, false
}

// errItemsDamaged is a spilled article's items that no longer decode.
var errItemsDamaged = errors.New("publish: items: the spill file is damaged")

// read decodes the items at sp into dst, whose length is sp.len().
func (c *items) read(dst []byte, sp span) error {
	c.mu.Lock()
	file := c.file
	c.mu.Unlock()
	packed := spillBuffers.Get().(*[]byte)
	defer spillBuffers.Put(packed)
	*packed = grow(*packed, sp.n)
	if _, err := file.ReadAt(*packed, sp.at); err != nil {
		return fmt.Errorf("publish: items: %w", err)
	}
	if n, err := s2.DecodedLen(*packed); err != nil || n != len(dst) {
		return errItemsDamaged
	}
	if _, err := s2.Decode(dst, *packed); err != nil {
		return fmt.Errorf("%w: %v", errItemsDamaged, err)
	}
	return nil
}

// size returns how many bytes the items of key take in every format; for
// a key without items, the average of those it has (4 KiB when none).
func (c *items) size(key string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if it, ok := c.mem[key]; ok {
		return int64(len(it[0]) + len(it[1]) + len(it[2]))
	}
	if s, ok := c.spans[key]; ok {
		return int64(s.len())
	}
	if n := len(c.mem) + len(c.spans); n > 0 {
		return (int64(c.inMem) + c.raw) / int64(n)
	}
	return 4 << 10
}

func (c *items) has(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.mem[key]
	_, spilled := c.spans[key]
	return ok || spilled
}

func (c *items) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.file != nil {
		_ = c.file.Close()
		c.file = nil
	}
	c.mem, c.spans = nil, nil
}

// memItems is how many bytes of items a build keeps in memory (a
// variable: tests spill everything with 0).
var memItems = 4 << 20
