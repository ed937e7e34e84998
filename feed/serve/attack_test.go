package serve_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/serve"
)

// TestLongTargets: a request target (path and query) over MaxTarget is 414,
// before anything is looked up or a rebuild read; one of MaxTarget is
// answered as any other.
func TestLongTargets(t *testing.T) {
	t.Parallel()
	started := 0
	h := serve.New(store.NewFolder(t.TempDir()), serve.WithRebuild(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started++
		w.WriteHeader(http.StatusAccepted)
	})))
	fill := func(prefix string, n int) string { return prefix + strings.Repeat("a", n-len(prefix)) }
	for _, tt := range []struct {
		name, method, target string
		want                 int
	}{
		{"path of MaxTarget", http.MethodGet, fill("/feeds/", serve.MaxTarget), http.StatusNotFound},
		{"path over MaxTarget", http.MethodGet, fill("/feeds/", serve.MaxTarget+1), http.StatusRequestURITooLong},
		{"encoded path over MaxTarget", http.MethodGet, "/feeds/" + strings.Repeat("%2e", serve.MaxTarget/3), http.StatusRequestURITooLong},
		{"query over MaxTarget", http.MethodGet, "/feeds/index.rss?" + strings.Repeat("q", serve.MaxTarget), http.StatusRequestURITooLong},
		{"rebuild with a long query", http.MethodPost, "/rebuild?" + strings.Repeat("q", serve.MaxTarget), http.StatusRequestURITooLong},
		{"rebuild", http.MethodPost, "/rebuild", http.StatusAccepted},
	} {
		resp := do(t, h, tt.method, tt.target, nil)
		if resp.StatusCode != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
		if resp.StatusCode == http.StatusRequestURITooLong {
			checkAlways(t, resp)
		}
	}
	if started != 1 {
		t.Errorf("rebuilds reached: got %d, want 1", started)
	}
}

// TestHugeConditionalLists: the handler reads only the first MaxListBytes
// of If-None-Match (compared, with A-IM: feed, with every representation
// and every delta's versions) and A-IM, so that the work a request costs
// is bounded whatever its headers' size: a list of 4,096 tags (144 KB)
// costs about what one of 256 (9 KB) does, as one field or a field a tag.
// A tag within the bound is found; one beyond it is not, and the request
// gets the full feed, which is always a right answer.
func TestHugeConditionalLists(t *testing.T) {
	t.Parallel()
	s := newDeltaSite(t)
	const key = "/feeds/index.atom"
	old := httptest.NewRecorder()
	s.h.ServeHTTP(old, httptest.NewRequest(http.MethodGet, key, nil))
	oldTag := old.Header().Get("ETag")
	s.add()
	s.rebuild()
	cur := httptest.NewRecorder()
	s.h.ServeHTTP(cur, httptest.NewRequest(http.MethodGet, key, nil))
	curTag := cur.Header().Get("ETag")
	if oldTag == "" || curTag == "" || oldTag == curTag {
		t.Fatalf("ETags before and after a build: %q, %q", oldTag, curTag)
	}
	tags := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf(`"%032x"`, i)
		}
		return out
	}
	within := serve.MaxListBytes/36 - 2 // tags that fit before the one asked for
	request := func(list []string, split bool, aim string) *http.Request {
		r := httptest.NewRequest(http.MethodHead, key, nil)
		if split {
			r.Header["If-None-Match"] = list
		} else {
			r.Header["If-None-Match"] = []string{strings.Join(list, ", ")}
		}
		r.Header["A-Im"] = []string{aim}
		return r
	}
	// The cost of one request, the least of five runs.
	cost := func(r *http.Request) time.Duration {
		const runs, per = 5, 20
		best := time.Duration(1 << 62)
		for range runs {
			began := time.Now()
			for range per {
				s.h.ServeHTTP(httptest.NewRecorder(), r)
			}
			best = min(best, time.Since(began)/per)
		}
		return best
	}
	for _, split := range []bool{false, true} {
		name := "one field"
		if split {
			name = "a field a tag"
		}
		for _, tt := range []struct {
			name string
			list []string
			aim  string
			want int
		}{
			{"an earlier version first", append([]string{oldTag}, tags(4096)...), "feed", http.StatusIMUsed},
			{"the current version first", append([]string{curTag}, tags(4096)...), "feed", http.StatusNotModified},
			{"an earlier version within the bound", append(tags(within), oldTag), "feed", http.StatusIMUsed},
			{"the current version within the bound", append(tags(within), curTag), "", http.StatusNotModified},
			{"an earlier version beyond the bound", append(tags(4096), oldTag), "feed", http.StatusOK},
			{"the current version beyond the bound", append(tags(4096), curTag), "feed", http.StatusOK},
			{"feed beyond the bound in A-IM", []string{oldTag}, strings.Repeat("vcdiff, ", 600) + "feed", http.StatusOK},
			{"no match", tags(4096), "feed", http.StatusOK},
		} {
			w := httptest.NewRecorder()
			s.h.ServeHTTP(w, request(tt.list, split, tt.aim))
			if w.Code != tt.want {
				t.Errorf("%s, %s: got %d, want %d", name, tt.name, w.Code, tt.want)
			}
		}
		one := cost(request([]string{`"nothing"`}, split, "feed"))
		small := cost(request(tags(256), split, "feed"))
		large := cost(request(tags(4096), split, strings.Repeat("vcdiff, ", 20000)+"feed"))
		ratio := float64(large) / float64(small)
		t.Logf("%s: a request with 1 tag %s, 256 tags (9 KB) %s, 4,096 tags (144 KB, and 156 KB of A-IM) %s: %.1f times 256", name, one, small, large, ratio)
		if ratio > 3 {
			t.Errorf("%s: a list 16 times longer costs %.1f times more, want about the same (the parse is bounded)", name, ratio)
		}
	}
}
