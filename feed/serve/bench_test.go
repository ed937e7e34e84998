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

// The cost of a delta: a 226 for a reader one build behind (one new
// article), warm, identity and gzip (compressed once, then kept).
func BenchmarkServeDelta(b *testing.B) {
	s := newDeltaSite(b)
	const key = "/feeds/index.atom"
	old := httptest.NewRecorder()
	s.h.ServeHTTP(old, httptest.NewRequest(http.MethodGet, key, nil))
	etag := old.Header().Get("ETag")
	s.add()
	s.rebuild()
	for _, coding := range []string{"identity", "gzip"} {
		b.Run("226-"+coding, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, key, nil)
			req.Header.Set("A-IM", "feed")
			req.Header.Set("If-None-Match", etag)
			req.Header.Set("Accept-Encoding", coding)
			first := httptest.NewRecorder()
			s.h.ServeHTTP(first, req)
			if first.Code != http.StatusIMUsed {
				b.Fatalf("%s: %d, want 226", coding, first.Code)
			}
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				s.h.ServeHTTP(w, req)
			}
		})
	}
}
