//go:build unix

package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockDir holds a folder's lock files, one per key ever written with PutIf;
// a dot-folder, so List hides it.
const lockDir = ".feedpub/locks"

// lockKey takes the exclusive lock on key that every PutIf of it holds, in
// any process: flock(2) on a lock file named by the key's hash. It waits
// until the lock is free or ctx is done; the returned func releases it.
func lockKey(ctx context.Context, r *os.Root, key string) (unlock func(), err error) {
	if err := r.MkdirAll(lockDir, 0o755); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	file, err := r.OpenFile(lockDir+"/"+Hash([]byte(key))+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	fd := int(file.Fd())
	for wait := time.Millisecond; ; wait = min(2*wait, 16*time.Millisecond) {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(fd, syscall.LOCK_UN)
				_ = file.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = file.Close()
			return nil, fmt.Errorf("lock: %w", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			_ = file.Close()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}
