package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Bucket is every store's contract, which storetest checks.
type Bucket interface {
	List(ctx context.Context, prefix string) ([]Info, error)
	Get(ctx context.Context, key string) (*Object, error)
	GetIfChanged(ctx context.Context, key, version string) (*Object, error)
	Put(ctx context.Context, o *Object) (changed bool, err error)
	Delete(ctx context.Context, key string) error
}

// Open returns the store at location: a local folder, for now.
func Open(ctx context.Context, location string) (Bucket, error) {
	if location == "" {
		return nil, fmt.Errorf("store: no location given")
	}
	if strings.Contains(location, "://") {
		return nil, fmt.Errorf("store: %s: unsupported location (a folder is expected)", location)
	}
	return NewFolder(location), nil
}

// ReadFile reads a single file named by location, such as a site definition.
func ReadFile(ctx context.Context, location string) ([]byte, error) {
	if strings.Contains(location, "://") {
		return nil, fmt.Errorf("store: %s: unsupported location (a file is expected)", location)
	}
	b, err := os.ReadFile(filepath.Clean(location))
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", location, err)
	}
	return b, nil
}
