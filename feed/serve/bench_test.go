package serve_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/serve"
)

// discard is a ResponseWriter that keeps nothing, so that the benchmark
// measures the handler rather than a recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// The handler's cost per request, warm, in memory: a 200 with the gzip
// variant, and a 304.
func BenchmarkServe(b *testing.B) {
	dir := published(b)
	h := serve.New(store.NewFolder(dir))
	warm := httptest.NewRecorder()
	h.ServeHTTP(warm, httptest.NewRequest(http.MethodGet, "/feeds/index.rss", nil))
	r := httptest.NewRequest(http.MethodGet, "/feeds/index.rss", nil)
	r.Header.Set("Accept-Encoding", "gzip, deflate, br")
	first := httptest.NewRecorder()
	h.ServeHTTP(first, r)
	etag := first.Header().Get("ETag")
	for _, c := range []struct {
		name string
		inm  string
	}{{"200-br", ""}, {"304", etag}} {
		b.Run(c.name, func(b *testing.B) {
			req := r.Clone(r.Context())
			if c.inm != "" {
				req.Header.Set("If-None-Match", c.inm)
			}
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, req)
			}
		})
	}
}
