package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/content/store/s3test"
)

// clientAt is an SDK client for srv's credentials at another endpoint (a
// proxy in front of it).
func clientAt(srv *s3test.Server, endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:       srv.Region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
	})
}

// isGet reports whether r is a GetObject of key (below bucket).
func isGet(r *http.Request, bucket, key string) bool {
	p, _ := url.PathUnescape(r.URL.EscapedPath())
	return r.Method == http.MethodGet && p == "/"+bucket+"/"+key && !r.URL.Query().Has("list-type")
}

// A GET whose body breaks off, comes back short or changed is made again,
// and what Get returns is always the object's bytes; when it never comes
// whole the error says so (ErrIncomplete), after four GETs. The faults
// come from a proxy between the store and a real S3 server.
func TestS3GetChecksBodies(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := srv.Bucket(t)
	direct := store.NewS3(srv.Client(), bucket, "")
	body := bytes.Repeat([]byte("<item>热点 0123456789</item>\n"), 400) // 13 KB
	// One object the store wrote (its sha256 in metadata), one uploaded
	// by someone else (an article: no metadata).
	if _, err := direct.Write(ctx, &store.Object{Key: "feeds/index.rss", Body: body}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("articles/a.json"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	proxy := s3test.StartFaultProxy(t, srv.Endpoint)
	st := store.NewS3(clientAt(srv, proxy.URL), bucket, "")

	for _, tc := range []struct {
		key    string
		fault  s3test.Fault
		faults int64 // the first this many GETs of the key get the fault
		ok     bool
	}{
		{"feeds/index.rss", s3test.Truncate, 1, true},
		{"feeds/index.rss", s3test.Truncate, 3, true},
		{"articles/a.json", s3test.Truncate, 2, true},
		{"feeds/index.rss", s3test.Corrupt, 2, true},
		{"feeds/index.rss", s3test.Truncate, 100, false},
		{"feeds/index.rss", s3test.Corrupt, 100, false},
		{"articles/a.json", s3test.Truncate, 100, false},
		{"feeds/index.rss", s3test.Error500, 2, true},
		{"feeds/index.rss", s3test.SlowDown503, 2, true},
	} {
		t.Run(fmt.Sprintf("%s/%s/%d", tc.key, tc.fault, tc.faults), func(t *testing.T) {
			var gets atomic.Int64
			proxy.SetRule(func(r *http.Request) s3test.Fault {
				if !isGet(r, bucket, tc.key) {
					return s3test.Pass
				}
				if gets.Add(1) <= tc.faults {
					return tc.fault
				}
				return s3test.Pass
			})
			defer proxy.SetRule(nil)
			obj, err := st.Get(ctx, tc.key)
			if !tc.ok {
				if !errors.Is(err, store.ErrIncomplete) {
					t.Fatalf("Get with every body broken: %v (%d GETs), want ErrIncomplete", err, gets.Load())
				}
				if gets.Load() != 4 {
					t.Errorf("%d GETs, want 4 (one and three retries)", gets.Load())
				}
				if !strings.Contains(err.Error(), tc.key) {
					t.Errorf("error %q does not name the key", err)
				}
				t.Logf("%s: %v", tc.fault, err)
				return
			}
			if err != nil {
				t.Fatalf("Get: %v (%d GETs)", err, gets.Load())
			}
			if !bytes.Equal(obj.Body, body) || obj.Hash != store.Hash(body) {
				t.Fatalf("Get returned %d bytes (hash %s), want the object's %d", len(obj.Body), obj.Hash, len(body))
			}
			if gets.Load() != tc.faults+1 {
				t.Errorf("%d GETs, want %d", gets.Load(), tc.faults+1)
			}
		})
	}
	t.Logf("faults injected: %v", proxy.Injected())
}

// A body changed on the way at its own length cannot be told by its
// length: an object the store wrote is checked against the hash it wrote
// with it (above); one uploaded by others (an article) against the CRC the
// server keeps of every upload the SDK makes, which the store asks for.
func TestS3GetChecksCRC(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := srv.Bucket(t)
	body := []byte(`{"id":"a","title":"热点","url":"https://example.cn/a","published":"2026-01-01T00:00:00Z"}`)
	if _, err := srv.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("articles/a.json"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	head, err := srv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("articles/a.json"), ChecksumMode: "ENABLED"})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ChecksumCRC32) == "" && aws.ToString(head.ChecksumCRC64NVME) == "" {
		t.Fatalf("the server keeps no checksum of an SDK upload (HEAD %+v): nothing checks such bodies", head.ResultMetadata)
	}
	proxy := s3test.StartFaultProxy(t, srv.Endpoint)
	var gets atomic.Int64
	proxy.SetRule(func(r *http.Request) s3test.Fault {
		if isGet(r, bucket, "articles/a.json") && gets.Add(1) == 1 {
			return s3test.Corrupt
		}
		return s3test.Pass
	})
	obj, err := store.NewS3(clientAt(srv, proxy.URL), bucket, "").Get(ctx, "articles/a.json")
	if err != nil {
		t.Fatalf("Get with its first body corrupted: %v", err)
	}
	if !bytes.Equal(obj.Body, body) {
		t.Fatalf("Get with its first body corrupted = %q, want the object", obj.Body)
	}
	if gets.Load() != 2 {
		t.Errorf("%d GETs, want 2", gets.Load())
	}
}

// Through toxiproxy: a connection cut after a few kilobytes of every
// answer (limit_data) fails every GET of a larger object, loudly; once
// the fault is gone the same store reads it whole.
func TestS3GetCutConnections(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := srv.Bucket(t)
	body := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KB
	if _, err := store.NewS3(srv.Client(), bucket, "").Write(ctx, &store.Object{Key: "feeds/big.atom", Body: body}); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(srv.Endpoint)
	tp := s3test.StartToxiproxy(t)
	p := tp.Proxy(t, "s3", u.Host)
	st := store.NewS3(clientAt(srv, p.Endpoint()), bucket, "")
	p.Add(t, s3test.Toxic{Type: "limit_data", Stream: "downstream", Attributes: map[string]int{"bytes": 8 << 10}})
	if _, err := st.Get(ctx, "feeds/big.atom"); !errors.Is(err, store.ErrIncomplete) {
		t.Fatalf("Get through connections cut at 8 KiB: %v, want ErrIncomplete", err)
	} else {
		t.Logf("cut at 8 KiB: %v", err)
	}
	p.Clear(t)
	obj, err := st.Get(ctx, "feeds/big.atom")
	if err != nil {
		t.Fatalf("Get after the fault: %v", err)
	}
	if !bytes.Equal(obj.Body, body) {
		t.Fatalf("Get after the fault: %d bytes, want %d", len(obj.Body), len(body))
	}
}

// A conditional write that S3 applies but whose answer is lost (here a
// 500 in its place) is retried by the SDK, and the retry finds the
// condition broken by the write itself: PutIf tells its own upload, and
// succeeds with its version, creating and replacing alike; a condition
// that another writer broke still fails.
func TestS3PutIfLostAnswer(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := srv.Bucket(t)
	proxy := s3test.StartFaultProxy(t, srv.Endpoint)
	st := store.NewS3(clientAt(srv, proxy.URL), bucket, "")
	direct := store.NewS3(srv.Client(), bucket, "")
	var puts atomic.Int64
	proxy.SetRule(func(r *http.Request) s3test.Fault {
		if r.Method == http.MethodPut && puts.Add(1)%2 == 1 {
			return s3test.Error500After // every first try
		}
		return s3test.Pass
	})
	key := ".feedpub/catalog/head.json"
	v1, err := st.PutIf(ctx, &store.Object{Key: key, Body: []byte(`{"gen":1}`)}, "")
	if err != nil {
		t.Fatalf("PutIf create, its answer lost: %v", err)
	}
	v2, err := st.PutIf(ctx, &store.Object{Key: key, Body: []byte(`{"gen":2}`)}, v1)
	if err != nil {
		t.Fatalf("PutIf replace, its answer lost: %v", err)
	}
	got, err := direct.Get(ctx, key)
	if err != nil || string(got.Body) != `{"gen":2}` || got.Version != v2 {
		t.Fatalf("after two lost answers: %+v, %v; want gen 2 at version %s", got, err, v2)
	}
	if n := puts.Load(); n != 4 {
		t.Errorf("%d PUTs, want 4 (each write tried twice)", n)
	}
	// Another writer's change breaks the condition for real.
	if _, err := direct.Write(ctx, &store.Object{Key: key, Body: []byte(`{"gen":"other"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutIf(ctx, &store.Object{Key: key, Body: []byte(`{"gen":3}`)}, v2); !errors.Is(err, store.ErrPrecondition) {
		t.Fatalf("PutIf over another writer's change: %v, want ErrPrecondition", err)
	}
	if _, err := st.PutIf(ctx, &store.Object{Key: key, Body: []byte(`{"gen":"other"}`)}, ""); !errors.Is(err, store.ErrPrecondition) {
		t.Fatalf("PutIf create over an object with the same bytes: %v, want ErrPrecondition", err)
	}
	// PutIfAbsent (the rebuild endpoint's replay claims) alike: its own
	// upload with its answer lost is a creation, another's is not.
	puts.Store(0)
	if created, err := st.PutIfAbsent(ctx, ".rebuild/sig", []byte("1")); err != nil || !created {
		t.Fatalf("PutIfAbsent, its answer lost = %v, %v; want true", created, err)
	}
	if created, err := st.PutIfAbsent(ctx, ".rebuild/sig", []byte("1")); err != nil || created {
		t.Fatalf("PutIfAbsent of a key taken, its answer lost = %v, %v; want false", created, err)
	}
	t.Logf("faults injected: %v", proxy.Injected())
}

// A listing page cut short cannot be decoded, and the SDK does not ask
// for it again: the store does, and lists every object; a listing that
// never comes whole fails with ErrIncomplete.
func TestS3ListRetriesBrokenPages(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := srv.Bucket(t)
	direct := store.NewS3(srv.Client(), bucket, "")
	for i := range 30 {
		if _, err := direct.Write(ctx, &store.Object{Key: fmt.Sprintf("articles/a%02d.json", i), Body: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	proxy := s3test.StartFaultProxy(t, srv.Endpoint)
	st := store.NewS3(clientAt(srv, proxy.URL), bucket, "")
	for _, faults := range []int64{2, 100} {
		var lists atomic.Int64
		proxy.SetRule(func(r *http.Request) s3test.Fault {
			if r.Method == http.MethodGet && r.URL.Query().Has("list-type") && lists.Add(1) <= faults {
				return s3test.Truncate
			}
			return s3test.Pass
		})
		infos, err := st.List(ctx, "articles/")
		if faults == 100 {
			if !errors.Is(err, store.ErrIncomplete) || lists.Load() != 4 {
				t.Errorf("List with every page cut short: %v after %d requests, want ErrIncomplete after 4", err, lists.Load())
			}
			continue
		}
		if err != nil || len(infos) != 30 {
			t.Fatalf("List with its first two pages cut short: %d objects, %v; want 30", len(infos), err)
		}
		if lists.Load() != 3 {
			t.Errorf("%d list requests, want 3", lists.Load())
		}
	}
	proxy.SetRule(nil)
}
