package serve_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/serve"
)

// TestConcurrent has many readers, with and without gzip, ask for feeds
// while a rebuild keeps replacing one of them. Run with -race. Every answer
// must be whole, and the same bytes must always carry the same ETag, and
// different bytes (or encodings) different ones.
func TestConcurrent(t *testing.T) {
	dir := published(t)
	out := store.NewFolder(dir)
	h := serve.New(out)
	const changing = "feeds/index.json"
	stable := []string{"feeds/index.rss", "feeds/index.atom", "feeds.opml", "index.html"}
	want := map[string][][]byte{} // key -> the bodies it may have
	for _, key := range stable {
		want[key] = [][]byte{readKey(t, dir, key)}
	}
	v1 := readKey(t, dir, changing)
	v2 := bytes.Replace(v1, []byte(`"items"`), []byte(`"_rebuilt": true, "items"`), 1)
	if bytes.Equal(v1, v2) {
		t.Fatal("the test could not change the feed")
	}
	want[changing] = [][]byte{v1, v2}
	keys := append([]string{changing}, stable...)

	var (
		mu    sync.Mutex
		etags = map[string]string{} // ETag -> what it stands for
		tags  = map[string]string{} // what it stands for -> ETag
	)
	record := func(etag, key, encoding string, b []byte) {
		what := fmt.Sprintf("%s %s %s", key, encoding, store.Hash(b))
		mu.Lock()
		defer mu.Unlock()
		if other, ok := etags[etag]; ok && other != what {
			t.Errorf("ETag %s stands for both %q and %q", etag, other, what)
		}
		if other, ok := tags[what]; ok && other != etag {
			t.Errorf("%q has two ETags: %s and %s", what, other, etag)
		}
		etags[etag] = what
		tags[what] = etag
	}

	done := make(chan struct{})
	var writer sync.WaitGroup
	writer.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			b := v1
			if i%2 == 0 {
				b = v2
			}
			if _, err := out.Put(context.Background(), &store.Object{Key: changing, Body: b}); err != nil {
				t.Errorf("rebuild: %v", err)
				return
			}
			time.Sleep(time.Millisecond)
		}
	})

	var readers sync.WaitGroup
	for g := range 16 {
		readers.Go(func() {
			lastETag := map[string]string{}
			for i := range 30 {
				key := keys[(g+i)%len(keys)]
				gz := (g+i)%3 != 0
				header := http.Header{}
				if gz {
					header.Set("Accept-Encoding", "gzip")
				}
				if i%4 == 3 && lastETag[key] != "" {
					header.Set("If-None-Match", lastETag[key])
				}
				r := httptest.NewRequest(http.MethodGet, "/"+key, nil)
				r.Header = header
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				resp := w.Result()
				etag := resp.Header.Get("ETag")
				switch resp.StatusCode {
				case http.StatusNotModified:
					if w.Body.Len() != 0 {
						t.Errorf("%s: 304 with a %d-byte body", key, w.Body.Len())
					}
					continue
				case http.StatusOK:
				default:
					t.Errorf("%s (gzip %v): status: got %d, want %d", key, gz, resp.StatusCode, http.StatusOK)
					continue
				}
				b := w.Body.Bytes()
				encoding := resp.Header.Get("Content-Encoding")
				if gz != (encoding == "gzip") {
					t.Errorf("%s (gzip %v): Content-Encoding: got %q", key, gz, encoding)
					continue
				}
				if gz {
					b = gunzip(t, b)
				}
				found := false
				for _, v := range want[key] {
					found = found || bytes.Equal(b, v)
				}
				if !found {
					t.Errorf("%s (gzip %v): got a %d-byte body that was never published", key, gz, len(b))
				}
				record(etag, key, encoding, b)
				lastETag[key] = etag
			}
		})
	}
	readers.Wait()
	close(done)
	writer.Wait()
	if t.Failed() {
		return
	}
	if len(etags) < 2*len(stable) {
		t.Errorf("distinct ETags: got %d, want at least %d (two encodings of each stable key)", len(etags), 2*len(stable))
	}
}
