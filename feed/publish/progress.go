package publish

import (
	"fmt"
	"io"
	"sync"
)

// progressLine rewrites one terminal line as documents are read.
type progressLine struct {
	w     io.Writer
	mu    sync.Mutex
	done  int
	shown bool // a line was written and not yet ended
}

func (p *progressLine) tick(total int) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if p.done%500 == 0 || p.done == total {
		fmt.Fprintf(p.w, "\rread %d/%d articles", p.done, total)
		p.shown = true
	}
}

// finish ends the progress line, so that what is printed next starts on a
// line of its own.
func (p *progressLine) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w != nil && p.shown {
		fmt.Fprintln(p.w)
		p.shown = false
	}
}
