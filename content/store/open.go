package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Bucket is every store's contract, which storetest checks.
type Bucket interface {
	// List returns the objects below prefix, sorted by key; Info.Version
	// is the Version Get would return, or "" when the store's listings
	// carry none (a folder).
	List(ctx context.Context, prefix string) ([]Info, error)
	Get(ctx context.Context, key string) (*Object, error)
	GetIfChanged(ctx context.Context, key, version string) (*Object, error)
	// Put writes o unless the stored object is already the same, which it
	// asks first (S3: a HEAD; a folder: a read).
	Put(ctx context.Context, o *Object) (changed bool, err error)
	// Write writes o without asking first, and returns its new version.
	Write(ctx context.Context, o *Object) (version string, err error)
	// WriteAll writes every object as Write does, without asking first,
	// and returns each new version in order. Each object is replaced
	// atomically (a reader sees the old bytes or the new, never a part);
	// when WriteAll returns nil every object is durable. Objects fail
	// alone: on an error some objects may be written and others not, and
	// the error (one per failed object, joined with errors.Join) names
	// the keys that failed, each as Write would ("folder store: write
	// KEY: ..."); a failed object's version is "" and it holds its old
	// bytes (or, when only making it durable failed, its new ones), never
	// a part. An invalid key among valid ones fails alone, and the valid
	// ones are written. A cancelled context fails the objects not yet
	// written. A key given twice ends with the last of its objects. The
	// stores save what one Write per object costs: a folder syncs the
	// batch at once, S3 uploads in parallel.
	WriteAll(ctx context.Context, objs []*Object) (versions []string, err error)
	// PutIf writes o only if the stored object's version is ifMatch, or,
	// when ifMatch is "", only if there is none; otherwise it writes
	// nothing and fails with an error wrapping ErrPrecondition. It
	// returns the new version.
	PutIf(ctx context.Context, o *Object, ifMatch string) (version string, err error)
	Delete(ctx context.Context, key string) error
	PutIfAbsent(ctx context.Context, key string, body []byte) (created bool, err error)
	// Count makes the store count its operations in ops (nil: none).
	Count(ops *Ops)
}

var (
	_ Bucket = (*Folder)(nil)
	_ Bucket = (*S3)(nil)
)

// Open returns the store at location: "s3://bucket/prefix" or a local folder.
// S3 clients take the SDK's standard configuration (AWS_ENDPOINT_URL_S3 or
// AWS_ENDPOINT_URL, AWS_REGION, the credential chain);
// FEEDPUB_S3_PATH_STYLE=1 switches on path-style addressing for
// S3-compatible servers.
func Open(ctx context.Context, location string) (Bucket, error) {
	if location == "" {
		return nil, fmt.Errorf("store: no location given")
	}
	bucket, prefix, isS3, err := splitS3(location)
	if err != nil {
		return nil, err
	}
	if !isS3 {
		return NewFolder(location), nil
	}
	client, err := NewS3Client(ctx)
	if err != nil {
		return nil, err
	}
	return NewS3(client, bucket, prefix), nil
}

// NewS3Client returns an S3 client from the SDK's standard configuration.
func NewS3Client(ctx context.Context) (*s3.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: aws config: %w", err)
	}
	pathStyle := os.Getenv("FEEDPUB_S3_PATH_STYLE") == "1"
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle }), nil
}

// ReadFile reads one file named by location: "s3://bucket/key" or a local path.
func ReadFile(ctx context.Context, location string) ([]byte, error) {
	bucket, key, isS3, err := splitS3(location)
	if err != nil {
		return nil, err
	}
	if !isS3 {
		b, err := os.ReadFile(filepath.Clean(location))
		if err != nil {
			return nil, fmt.Errorf("store: read %s: %w", location, err)
		}
		return b, nil
	}
	client, err := NewS3Client(ctx)
	if err != nil {
		return nil, err
	}
	obj, err := NewS3(client, bucket, "").Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", location, err)
	}
	return obj.Body, nil
}

func splitS3(location string) (bucket, rest string, isS3 bool, err error) {
	after, ok := strings.CutPrefix(location, "s3://")
	if !ok {
		if strings.Contains(location, "://") {
			return "", "", false, fmt.Errorf("store: %s: unsupported location (a folder or s3://bucket/prefix)", location)
		}
		return "", "", false, nil
	}
	bucket, rest, _ = strings.Cut(after, "/")
	if bucket == "" {
		return "", "", false, fmt.Errorf("store: %s: no bucket", location)
	}
	return bucket, rest, true, nil
}
