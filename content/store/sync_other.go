//go:build !linux

package store

import (
	"errors"
	"os"
)

// planSync: without syncfs(2), a WriteAll fsyncs every file and then
// every directory it wrote to.
func planSync(r *os.Root, dirs []string, fsyncEach bool, onSync func(call, name string)) *batchSync {
	b := &batchSync{r: r, fsync: make(map[string]bool, len(dirs)), onSync: onSync}
	for _, dir := range dirs {
		b.fsync[dir] = true
	}
	return b
}

// syncfs is never called where planSync syncs no filesystem whole.
func syncfs(r *os.Root, dir string) error { return errors.ErrUnsupported }
