package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/content/store/s3test"
	"github.com/feedpub/feedpub/content/store/storetest"
)

func newS3(t *testing.T, srv *s3test.Server, prefix string) (*store.S3, string) {
	t.Helper()
	bucket := srv.Bucket(t)
	return store.NewS3(srv.Client(), bucket, prefix), bucket
}

func TestS3Conformance(t *testing.T) {
	srv := s3test.Start(t)
	storetest.Run(t, func(t *testing.T) store.Bucket {
		st, _ := newS3(t, srv, "prefix/")
		return st
	})
}

func TestS3WritesMetadataAndSkipsUnchanged(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	st, bucket := newS3(t, srv, "site/")
	body := []byte(`<?xml version="1.0"?><rss version="2.0"></rss>`)
	o := &store.Object{Key: "feeds/category/热点.rss", Body: body, ContentType: store.TypeByKey("feeds/x.rss"), CacheControl: "public, max-age=300"}
	changed, err := st.Put(ctx, o)
	if err != nil || !changed {
		t.Fatalf("first Put = %v, %v; want true, nil", changed, err)
	}
	head, err := srv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("site/feeds/category/热点.rss")})
	if err != nil {
		t.Fatalf("head under the prefix: %v", err)
	}
	if got, want := aws.ToString(head.ContentType), "application/rss+xml; charset=utf-8"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	if got, want := aws.ToString(head.CacheControl), "public, max-age=300"; got != want {
		t.Errorf("Cache-Control = %q, want %q", got, want)
	}
	if got, want := head.Metadata["sha256"], store.Hash(body); got != want {
		t.Errorf("sha256 metadata = %q, want %q", got, want)
	}
	etag := aws.ToString(head.ETag)

	time.Sleep(1100 * time.Millisecond) // a re-upload would change LastModified
	changed, err = st.Put(ctx, o)
	if err != nil || changed {
		t.Fatalf("unchanged Put = %v, %v; want false, nil", changed, err)
	}
	again, err := srv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("site/feeds/category/热点.rss")})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToTime(again.LastModified).Equal(aws.ToTime(head.LastModified)) || aws.ToString(again.ETag) != etag {
		t.Errorf("unchanged object was uploaded again: LastModified %v -> %v", head.LastModified, again.LastModified)
	}
}

func TestS3ConditionalGet(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	st, _ := newS3(t, srv, "")
	if _, err := st.Put(ctx, &store.Object{Key: "feeds/index.json", Body: []byte(`{"v":1}`)}); err != nil {
		t.Fatal(err)
	}
	first, err := st.Get(ctx, "feeds/index.json")
	if err != nil {
		t.Fatal(err)
	}
	if first.Version == "" {
		t.Fatal("Get returned no Version (ETag)")
	}
	if _, err := st.GetIfChanged(ctx, "feeds/index.json", first.Version); !errors.Is(err, store.ErrNotModified) {
		t.Fatalf("GetIfChanged(current version) error = %v, want ErrNotModified", err)
	}
	if _, err := st.Put(ctx, &store.Object{Key: "feeds/index.json", Body: []byte(`{"v":2}`)}); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetIfChanged(ctx, "feeds/index.json", first.Version)
	if err != nil {
		t.Fatalf("GetIfChanged(stale version): %v", err)
	}
	if string(got.Body) != `{"v":2}` {
		t.Errorf("body = %s, want the new one", got.Body)
	}
	if _, err := st.Get(ctx, "feeds/missing.json"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(missing) error = %v, want ErrNotFound", err)
	}
}

func TestS3PrefixIsolation(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := srv.Bucket(t)
	a := store.NewS3(srv.Client(), bucket, "articles")
	b := store.NewS3(srv.Client(), bucket, "site/")
	for _, st := range []*store.S3{a, b} {
		if _, err := st.Put(ctx, &store.Object{Key: "x.json", Body: []byte(st.String())}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := a.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Key != "x.json" {
		t.Fatalf("List under articles/ = %+v, want only x.json", list)
	}
	got, err := a.Get(ctx, "x.json")
	if err != nil || string(got.Body) != a.String() {
		t.Fatalf("Get = %v, %v; want the articles/ object", got, err)
	}
}

func TestPutIfAbsent(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	s3store, _ := newS3(t, srv, "out")
	stores := map[string]interface {
		PutIfAbsent(ctx context.Context, key string, body []byte) (bool, error)
	}{"folder": store.NewFolder(t.TempDir()), "s3": s3store}
	for name, st := range stores {
		t.Run(name, func(t *testing.T) {
			created, err := st.PutIfAbsent(ctx, ".rebuild/abc", []byte("1"))
			if err != nil || !created {
				t.Fatalf("first PutIfAbsent = %v, %v; want true, nil", created, err)
			}
			created, err = st.PutIfAbsent(ctx, ".rebuild/abc", []byte("2"))
			if err != nil || created {
				t.Fatalf("second PutIfAbsent = %v, %v; want false, nil", created, err)
			}
			if _, err := st.PutIfAbsent(ctx, "../escape", nil); !errors.Is(err, store.ErrInvalidKey) {
				t.Errorf("PutIfAbsent(../escape) error = %v, want ErrInvalidKey", err)
			}
		})
	}
}
