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
	List(ctx context.Context, prefix string) ([]Info, error)
	Get(ctx context.Context, key string) (*Object, error)
	GetIfChanged(ctx context.Context, key, version string) (*Object, error)
	Put(ctx context.Context, o *Object) (changed bool, err error)
	Delete(ctx context.Context, key string) error
	PutIfAbsent(ctx context.Context, key string, body []byte) (created bool, err error)
}

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
