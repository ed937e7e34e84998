package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"

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

func TestS3ListVersionsAreETags(t *testing.T) {
	srv := s3test.Start(t)
	ctx := t.Context()
	st, bucket := newS3(t, srv, "site/")
	for _, key := range []string{"feeds/index.rss", "feeds/category/热点.rss", "empty.txt"} {
		if _, err := st.Write(ctx, &store.Object{Key: key, Body: []byte(key)}); err != nil {
			t.Fatal(err)
		}
	}
	infos, err := st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 3 {
		t.Fatalf("List: got %v, want 3 objects", infos)
	}
	for _, in := range infos {
		head, err := srv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("site/" + in.Key)})
		if err != nil {
			t.Fatal(err)
		}
		if in.Version == "" || in.Version != aws.ToString(head.ETag) {
			t.Errorf("List Version of %q: got %q, want the ETag %q", in.Key, in.Version, aws.ToString(head.ETag))
		}
		if o, err := st.Get(ctx, in.Key); err != nil || o.Version != in.Version {
			t.Errorf("Get(%q).Version: got %v (err %v), want the listed %q", in.Key, o, err, in.Version)
		}
	}
}

// TestS3WriteMakesOnePut: Write is one PutObject, no HEAD, with the
// metadata Put writes; an unchanged body is uploaded all the same.
func TestS3WriteMakesOnePut(t *testing.T) {
	srv := s3test.Start(t)
	ctx := t.Context()
	st, bucket := newS3(t, srv, "site/")
	ops := new(store.Ops)
	st.Count(ops)
	body := []byte(`<?xml version="1.0"?><rss version="2.0"></rss>`)
	o := &store.Object{Key: "feeds/index.rss", Body: body, CacheControl: "public, max-age=300"}
	for i := range 2 {
		before := ops.Snapshot()
		v, err := st.Write(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if d := ops.Snapshot().Sub(before); d != (store.OpCounts{Put: 1}) {
			t.Errorf("Write %d: counted %v, want one put and nothing else", i, d)
		}
		head, err := srv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("site/feeds/index.rss")})
		if err != nil {
			t.Fatal(err)
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
		if v != aws.ToString(head.ETag) {
			t.Errorf("Write version = %q, want the ETag %q", v, aws.ToString(head.ETag))
		}
	}
	// Put after Write sees the same metadata: unchanged, one HEAD.
	before := ops.Snapshot()
	if changed, err := st.Put(ctx, o); err != nil || changed {
		t.Errorf("Put after a Write of the same object = %v, %v; want false, nil", changed, err)
	}
	if d := ops.Snapshot().Sub(before); d != (store.OpCounts{Head: 1}) {
		t.Errorf("unchanged Put: counted %v, want one head", d)
	}
}

// TestS3PutIfAnswers pins what the S3 server answers to conditional
// writes, which PutIf relies on, and how PutIf reports each: the original
// answer stays in the chain. Observed with versitygw v1.8.0.
func TestS3PutIfAnswers(t *testing.T) {
	srv := s3test.Start(t)
	ctx := t.Context()
	st, bucket := newS3(t, srv, "")
	ops := new(store.Ops)
	st.Count(ops)
	status := func(err error) int {
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) {
			return re.HTTPStatusCode()
		}
		return 0
	}
	obj := func(body string) *store.Object { return &store.Object{Key: "catalog.json", Body: []byte(body)} }

	_, err := st.PutIf(ctx, obj("1"), `"0123456789abcdef0123456789abcdef"`)
	if !errors.Is(err, store.ErrPrecondition) || errors.Is(err, store.ErrNotFound) || status(err) != 404 {
		t.Errorf("PutIf with If-Match of a missing key: got %v (status %d), want ErrPrecondition from a 404", err, status(err))
	}
	v1, err := st.PutIf(ctx, obj("1"), "")
	if err != nil {
		t.Fatalf("PutIf with If-None-Match of a missing key: %v", err)
	}
	_, err = st.PutIf(ctx, obj("2"), "")
	if !errors.Is(err, store.ErrPrecondition) || status(err) != 412 {
		t.Errorf("PutIf with If-None-Match of a present key: got %v (status %d), want ErrPrecondition from a 412", err, status(err))
	}
	v2, err := st.PutIf(ctx, obj("2"), v1)
	if err != nil {
		t.Fatalf("PutIf with If-Match of the current ETag: %v", err)
	}
	_, err = st.PutIf(ctx, obj("3"), v1)
	if !errors.Is(err, store.ErrPrecondition) || status(err) != 412 {
		t.Errorf("PutIf with If-Match of a stale ETag: got %v (status %d), want ErrPrecondition from a 412", err, status(err))
	}
	if got := ops.Snapshot(); got != (store.OpCounts{Put: 5, Head: 3}) {
		t.Errorf("five PutIfs: counted %v, want five puts, and a head for each of the three that failed (was it its own upload?)", got)
	}
	head, err := srv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("catalog.json")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ETag) != v2 || head.Metadata["sha256"] != store.Hash([]byte("2")) {
		t.Errorf("after PutIf: ETag %q, sha256 %q; want %q and the body's hash", aws.ToString(head.ETag), head.Metadata["sha256"], v2)
	}
	// Both headers at once are not implemented (501), which is why PutIf
	// never sends both.
	_, err = srv.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("catalog.json"),
		Body: strings.NewReader("4"), IfMatch: aws.String(v2), IfNoneMatch: aws.String("*")})
	t.Logf("If-Match and If-None-Match together: status %d", status(err))

	// A missing bucket is not a failed precondition.
	missing := store.NewS3(srv.Client(), "no-such-bucket-feedpub", "")
	for _, ifMatch := range []string{"", v2} {
		_, err := missing.PutIf(ctx, obj("x"), ifMatch)
		if errors.Is(err, store.ErrPrecondition) || !errors.Is(err, store.ErrNotFound) {
			t.Errorf("PutIf(ifMatch %q) into a missing bucket: got %v, want ErrNotFound", ifMatch, err)
		}
	}
}
