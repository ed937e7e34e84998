//go:build !unix

package store

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// lockKey: PutIf on a folder needs flock(2), which this system lacks.
func lockKey(ctx context.Context, r *os.Root, key string) (unlock func(), err error) {
	return nil, fmt.Errorf("lock: %w", errors.ErrUnsupported)
}
