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

// TestHugeConditionalLists: the work an If-None-Match (with A-IM: feed, so
// that every delta's versions are compared too) costs grows with the
// list's length, not faster: a list 16 times longer may cost at most about
// 16 times more (the bound allows 40; a quadratic parse would cost 256).
// Lists as one field and as one field per tag; the answer is right at the
// end of each list.
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
	request := func(n int, split bool, last string) *http.Request {
		r := httptest.NewRequest(http.MethodHead, key, nil)
		list := append(tags(n), last)
		if split {
			r.Header["If-None-Match"] = list
		} else {
			r.Header["If-None-Match"] = []string{strings.Join(list, ", ")}
		}
		r.Header["A-Im"] = []string{strings.Repeat("vcdiff, ", n/8) + "feed"}
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
		// Right at the end of a long list: 226 for an earlier version,
		// 304 for the current one, 200 for none.
		for _, tt := range []struct {
			last string
			want int
		}{{oldTag, http.StatusIMUsed}, {curTag, http.StatusNotModified}, {`"nothing"`, http.StatusOK}} {
			w := httptest.NewRecorder()
			s.h.ServeHTTP(w, request(4096, split, tt.last))
			if w.Code != tt.want {
				t.Errorf("%s, 4,096 tags then %s: got %d, want %d", name, tt.last, w.Code, tt.want)
			}
		}
		small, large := cost(request(256, split, `"nothing"`)), cost(request(4096, split, `"nothing"`))
		ratio := float64(large) / float64(small)
		t.Logf("%s: 256 tags (%d KB) %s, 4,096 tags (%d KB) %s a request: %.1f times", name, 256*36>>10, small, 4096*36>>10, large, ratio)
		if ratio > 40 {
			t.Errorf("%s: a list 16 times longer costs %.1f times more, want at most 40 (linear)", name, ratio)
		}
		if large > 50*time.Millisecond {
			t.Errorf("%s: a 4,096-tag list costs %s a request", name, large)
		}
	}
}
