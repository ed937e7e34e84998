package serve_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/serve"
)

func TestAcceptsFeed(t *testing.T) {
	tests := []struct {
		header []string
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"feed"}, true},
		{[]string{"FEED"}, true},
		{[]string{" Feed "}, true},
		{[]string{"vcdiff, feed"}, true},
		{[]string{"vcdiff", "feed"}, true},
		{[]string{"feed;q=0.5"}, true},
		{[]string{"feed ; q=1.0"}, true},
		{[]string{"feed;q=0"}, false},
		{[]string{"feed;q=0.000"}, false},
		{[]string{"feed;q=0, vcdiff"}, false},
		{[]string{"feed;q=0", "feed;q=0.3"}, true}, // the best q-value of the item counts, as for Accept-Encoding
		{[]string{"feed;q=2"}, false},              // malformed: says nothing
		{[]string{"feed;q=abc"}, false},
		{[]string{"feed;x=1"}, true}, // another parameter
		{[]string{"vcdiff"}, false},
		{[]string{"feeds"}, false},
		{[]string{"gzip, diffe"}, false},
		{[]string{"*"}, false}, // RFC 3229 has no wildcard
		{[]string{",,feed,,"}, true},
	}
	for _, tt := range tests {
		if got := serve.AcceptsFeed(tt.header); got != tt.want {
			t.Errorf("A-IM %q: got %v, want %v", tt.header, got, tt.want)
		}
	}
}

// deltaSite is the example site with a clock of its own, built again as
// articles are added and edited, and a handler over it that sees each
// build at its next request.
type deltaSite struct {
	*site
	h     *serve.Handler
	mu    sync.Mutex
	clock time.Time // the handler's
	now   time.Time // the builds'
	n     int
}

func newDeltaSite(t testing.TB) *deltaSite {
	t.Helper()
	s := &deltaSite{site: newSite(t), clock: time.Now(), now: buildTime}
	s.h = serve.New(store.NewFolder(s.out))
	serve.SetClock(s.h, func() time.Time {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.clock
	})
	return s
}

// add writes a new article, published a minute after the last build, and
// returns its id.
func (s *deltaSite) add() string {
	s.t.Helper()
	s.n++
	id := fmt.Sprintf("delta-test-%02d", s.n)
	doc := map[string]any{
		"id":           id,
		"url":          "https://news.example.cn/delta/" + id + ".html",
		"title":        "Delta test article " + id,
		"content_html": "<p>" + strings.Repeat("Body of "+id+" for the deltas test. ", 40) + "</p>",
		"published":    s.now.Add(time.Minute).Format(time.RFC3339),
		"categories":   []string{"World"},
	}
	data, _ := json.Marshal(doc)
	if err := os.WriteFile(filepath.Join(s.articles, id+".json"), data, 0o644); err != nil {
		s.t.Fatal(err)
	}
	return id
}

// rebuild builds the site again, an hour on, and lets the handler see it.
func (s *deltaSite) rebuild() {
	s.t.Helper()
	s.now = s.now.Add(time.Hour)
	s.build(s.now)
	s.mu.Lock()
	s.clock = s.clock.Add(time.Minute)
	s.mu.Unlock()
}

// version is what a reader holds of one feed: its ETag in each coding
// and its items.
type version struct {
	etags map[string]string // by Accept-Encoding asked
	items map[string]string // id -> title and content
}

var deltaCodings = []string{"identity", "gzip", "br"}

// fetchVersion reads key in every coding.
func (s *deltaSite) fetchVersion(t *testing.T, key string) version {
	t.Helper()
	v := version{etags: map[string]string{}}
	for _, c := range deltaCodings {
		resp := get(t, s.h, "/"+escapePath(key), hdr("Accept-Encoding", c))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s (%s): %d", key, c, resp.StatusCode)
		}
		b := body(t, resp)
		if enc := resp.Header.Get("Content-Encoding"); enc != "" {
			b = decode(t, enc, b)
		}
		v.etags[c] = resp.Header.Get("ETag")
		if c == "identity" {
			v.items = itemsOf(t, key, b)
		}
	}
	return v
}

// itemsOf parses a feed with gofeed and returns each item's id with what
// a reader shows of it.
func itemsOf(t *testing.T, key string, b []byte) map[string]string {
	t.Helper()
	f, err := gofeed.NewParser().Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: gofeed: %v", key, err)
	}
	out := map[string]string{}
	for _, it := range f.Items {
		out[it.GUID] = it.Title + "\x00" + it.Description + "\x00" + it.Content + "\x00" + it.Updated
	}
	return out
}

// changedSince is the oracle: the ids of the items of now that are not in
// then, or differ there.
func changedSince(then, now version) []string {
	var ids []string
	for id, it := range now.items {
		if old, ok := then.items[id]; !ok || old != it {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// deltaKeys are the feeds the tests follow: the whole site's, in every
// format, and a category's.
var deltaKeys = []string{"feeds/index.rss", "feeds/index.atom", "feeds/index.json", "feeds/category/world.rss"}

// A reader that takes deltas, polling with the ETag of a recent version,
// gets 226 IM Used and a complete feed of only the items new or changed
// since; with the current ETag (in any coding), 304; with one the site no
// longer keeps, or without A-IM, the full feed as before.
func TestDeltas(t *testing.T) {
	s := newDeltaSite(t)
	v1 := map[string]version{}
	for _, key := range deltaKeys {
		v1[key] = s.fetchVersion(t, key)
	}
	// v2: one new article; v3: another, and an edit of the first.
	first := s.add()
	s.rebuild()
	v2 := map[string]version{}
	for _, key := range deltaKeys {
		v2[key] = s.fetchVersion(t, key)
	}
	s.add()
	s.retitle(first+".json", "Delta test article, retitled")
	s.rebuild()
	v3 := map[string]version{}
	for _, key := range deltaKeys {
		v3[key] = s.fetchVersion(t, key)
	}

	for _, key := range deltaKeys {
		url := "/" + escapePath(key)
		for name, from := range map[string]version{"v1": v1[key], "v2": v2[key]} {
			want := changedSince(from, v3[key])
			if len(want) == 0 || len(want) == len(v3[key].items) {
				t.Fatalf("%s from %s: the oracle says %d items changed of %d: not a delta test", key, name, len(want), len(v3[key].items))
			}
			for _, held := range deltaCodings { // the coding the reader's ETag is of
				for _, asks := range []string{"identity", "gzip", "br", ""} {
					what := fmt.Sprintf("%s from %s (ETag of %s, Accept-Encoding %q)", key, name, held, asks)
					h := hdr("A-IM", "feed", "If-None-Match", from.etags[held])
					if asks != "" {
						h.Set("Accept-Encoding", asks)
					}
					resp := get(t, s.h, url, h)
					if resp.StatusCode != http.StatusIMUsed {
						t.Fatalf("%s: status %d, want 226", what, resp.StatusCode)
					}
					checkDeltaHeaders(t, what, resp)
					if got, want := resp.Header.Get("ETag"), s.full(t, key, asks).Header.Get("ETag"); got != want {
						t.Errorf("%s: ETag %q, want the one a 200 to this request carries, %q", what, got, want)
					}
					b := body(t, resp)
					switch enc := resp.Header.Get("Content-Encoding"); enc {
					case "":
						if asks == "gzip" {
							t.Errorf("%s: identity, though gzip is asked for and saves", what)
						}
					case "gzip":
						if asks != "gzip" {
							t.Errorf("%s: gzip, not asked for", what)
						}
						b = gunzip(t, b)
					default:
						t.Errorf("%s: Content-Encoding %q", what, enc)
					}
					if n := checkFeed(t, key, b); n != len(want) {
						t.Errorf("%s: %d items, want %d", what, n, len(want))
					}
					got := itemsOf(t, key, b)
					if ids := sorted(keysOf(got)); !slices.Equal(ids, want) {
						t.Errorf("%s: items %v, want the new and changed %v", what, ids, want)
					}
					for id, it := range got {
						if it != v3[key].items[id] {
							t.Errorf("%s: item %s is not as in the current feed", what, id)
						}
					}
				}
			}
		}
		// HEAD: as the GET, without the body.
		resp := do(t, s.h, http.MethodHead, url, hdr("A-IM", "feed", "If-None-Match", v2[key].etags["identity"]))
		if resp.StatusCode != http.StatusIMUsed || len(body(t, resp)) != 0 {
			t.Errorf("%s: HEAD with A-IM: %d, want 226 without a body", key, resp.StatusCode)
		}
		checkDeltaHeaders(t, key+" HEAD", resp)
		if resp.Header.Get("Content-Length") == "" {
			t.Errorf("%s: HEAD 226 without Content-Length", key)
		}

		// The current version, in whatever coding the reader holds it: 304.
		for _, held := range deltaCodings {
			for _, asks := range deltaCodings {
				resp := get(t, s.h, url, hdr("A-IM", "feed", "If-None-Match", v3[key].etags[held], "Accept-Encoding", asks))
				if resp.StatusCode != http.StatusNotModified {
					t.Errorf("%s: A-IM with the current ETag of %s, asking %s: %d, want 304", key, held, asks, resp.StatusCode)
				}
				if varies(resp, "A-IM") || resp.Header.Get("IM") != "" {
					t.Errorf("%s: 304 with IM %q, Vary %q", key, resp.Header.Get("IM"), resp.Header.Values("Vary"))
				}
			}
		}
		// Not asking for deltas, refusing them, or naming no version kept:
		// the full feed, as without deltas.
		for _, h := range []http.Header{
			hdr("If-None-Match", v1[key].etags["gzip"], "Accept-Encoding", "gzip"),
			hdr("A-IM", "feed;q=0", "If-None-Match", v1[key].etags["gzip"], "Accept-Encoding", "gzip"),
			hdr("A-IM", "vcdiff", "If-None-Match", v1[key].etags["gzip"], "Accept-Encoding", "gzip"),
			hdr("A-IM", "feed", "Accept-Encoding", "gzip"),
			hdr("A-IM", "feed", "If-None-Match", `"0123456789abcdef0123456789abcdef"`, "Accept-Encoding", "gzip"),
			hdr("A-IM", "feed", "If-None-Match", v1[key].etags["gzip"][:10]+`"`, "Accept-Encoding", "gzip"),
		} {
			resp := get(t, s.h, url, h)
			checkFull(t, fmt.Sprintf("%s %v", key, h), resp, s.full(t, key, "gzip"))
		}
	}
}

// full is the answer for key without A-IM, asking for coding ("" for no
// Accept-Encoding).
func (s *deltaSite) full(t *testing.T, key, coding string) *http.Response {
	t.Helper()
	var h http.Header
	if coding != "" {
		h = hdr("Accept-Encoding", coding)
	}
	return get(t, s.h, "/"+escapePath(key), h)
}

// checkDeltaHeaders fails unless a 226 carries what RFC 3229 and caches
// need.
func checkDeltaHeaders(t *testing.T, what string, resp *http.Response) {
	t.Helper()
	checkAlways(t, resp)
	checkStrongETag(t, resp.Header.Get("ETag"))
	if got := resp.Header.Get("IM"); got != "feed" {
		t.Errorf("%s: IM %q, want feed", what, got)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store, im" {
		t.Errorf("%s: Cache-Control %q, want %q", what, got, "no-store, im")
	}
	for _, f := range []string{"A-IM", "If-None-Match", "Accept-Encoding"} {
		if !varies(resp, f) {
			t.Errorf("%s: Vary %q does not name %s", what, resp.Header.Values("Vary"), f)
		}
	}
	if resp.Header.Get("Last-Modified") == "" || !strings.Contains(resp.Header.Get("Content-Type"), "; charset=utf-8") {
		t.Errorf("%s: Last-Modified %q, Content-Type %q", what, resp.Header.Get("Last-Modified"), resp.Header.Get("Content-Type"))
	}
}

// checkFull fails unless resp is the full feed want is, with its headers,
// and nothing of a delta.
func checkFull(t *testing.T, what string, resp, want *http.Response) {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("%s: status %d, want the full 200", what, resp.StatusCode)
		return
	}
	if !bytes.Equal(body(t, resp), body(t, want)) {
		t.Errorf("%s: not the full feed", what)
	}
	for _, h := range []string{"ETag", "Cache-Control", "Vary", "Content-Encoding"} {
		if resp.Header.Get(h) != want.Header.Get(h) {
			t.Errorf("%s: %s %q, want %q", what, h, resp.Header.Get(h), want.Header.Get(h))
		}
	}
	if varies(resp, "A-IM") || varies(resp, "If-None-Match") || resp.Header.Get("IM") != "" {
		t.Errorf("%s: a 200 with IM %q, Vary %q", what, resp.Header.Get("IM"), resp.Header.Values("Vary"))
	}
}

// A version older than the site keeps gets the full feed; the recent ones
// still get deltas. A pack that is not the bytes the manifest names (or
// is gone) gives the full feed, never a wrong delta.
func TestDeltasExpireAndFallBack(t *testing.T) {
	s := newDeltaSite(t)
	const key = "feeds/index.atom"
	var versions []version
	versions = append(versions, s.fetchVersion(t, key))
	for range 10 {
		s.add()
		s.rebuild()
		versions = append(versions, s.fetchVersion(t, key))
	}
	cur := versions[len(versions)-1]
	url := "/" + escapePath(key)
	kept := 0
	for i, v := range versions[:len(versions)-1] {
		resp := get(t, s.h, url, hdr("A-IM", "feed", "If-None-Match", v.etags["identity"]))
		switch resp.StatusCode {
		case http.StatusIMUsed:
			kept++
			if n := checkFeed(t, key, body(t, resp)); n != len(changedSince(v, cur)) {
				t.Errorf("version %d: %d items, want %d", i, n, len(changedSince(v, cur)))
			}
		case http.StatusOK:
			if kept > 0 {
				t.Errorf("version %d: a full feed, but an older version got a delta", i)
			}
		default:
			t.Errorf("version %d: %d", i, resp.StatusCode)
		}
	}
	if kept != 8 {
		t.Errorf("%d of the 10 earlier versions get deltas, want the most recent 8", kept)
	}
	if r := get(t, s.h, url, hdr("A-IM", "feed", "If-None-Match", versions[0].etags["identity"])); r.StatusCode != http.StatusOK {
		t.Errorf("the oldest version: %d, want the full 200", r.StatusCode)
	}

	// The pack changed under the manifest (a build that died half-way), or
	// gone: a fresh handler reads it, and answers with the full feed.
	pack := filepath.Join(s.out, filepath.FromSlash(layout.DeltaKey(key)))
	data, err := os.ReadFile(pack)
	if err != nil {
		t.Fatal(err)
	}
	prev := versions[len(versions)-2].etags["identity"]
	for name, change := range map[string]func(){
		"changed": func() { writeFile(t, pack, bytes.ToUpper(data)) },
		"gone":    func() { _ = os.Remove(pack) },
	} {
		change()
		h := serve.New(store.NewFolder(s.out), serve.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
		resp := get(t, h, url, hdr("A-IM", "feed", "If-None-Match", prev))
		if resp.StatusCode != http.StatusOK {
			t.Errorf("pack %s: %d, want the full 200", name, resp.StatusCode)
		}
		if !bytes.Equal(body(t, resp), readKey(t, s.out, key)) {
			t.Errorf("pack %s: not the full feed", name)
		}
	}
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

// Debian's python3-feedparser, which sends A-IM: feed with every request,
// polls with the ETag it got: after a build that added one article it
// reports 226 and that article alone; then, with the ETag of the 226, 304.
func TestDeltasFeedparser(t *testing.T) {
	s := newDeltaSite(t)
	srv := httptest.NewServer(s.h)
	defer srv.Close()
	keys := []string{"feeds/index.rss", "feeds/index.atom"} // feedparser reads no JSON Feed
	first := map[string]feedparserPoll{}
	v1 := map[string]version{}
	for _, key := range keys {
		first[key] = runFeedparser(t, srv.URL+"/"+key, "")
		v1[key] = s.fetchVersion(t, key)
		if p := first[key]; p.Status != http.StatusOK || p.Bozo || p.ETag == "" || len(p.IDs) != len(v1[key].items) {
			t.Fatalf("%s: feedparser's first fetch: %+v", key, p)
		}
	}
	s.add()
	s.rebuild()
	for _, key := range keys {
		want := changedSince(v1[key], s.fetchVersion(t, key))
		if len(want) != 1 {
			t.Fatalf("%s: %d items changed, want the new one", key, len(want))
		}
		p := runFeedparser(t, srv.URL+"/"+key, first[key].ETag)
		if p.Status != http.StatusIMUsed || p.IM != "feed" || p.Bozo || p.Version == "" {
			t.Errorf("%s: feedparser polled with its ETag: status %d, IM %q, bozo %v (%s), version %q; want 226 IM: feed, parsed",
				key, p.Status, p.IM, p.Bozo, p.BozoException, p.Version)
		}
		if !slices.Equal(p.IDs, want) {
			t.Errorf("%s: feedparser's entries %v, want only the new one %v", key, p.IDs, want)
		}
		if p.Encoding != "gzip" {
			t.Errorf("%s: feedparser takes gzip, the delta came %q", key, p.Encoding)
		}
		if again := runFeedparser(t, srv.URL+"/"+key, p.ETag); again.Status != http.StatusNotModified {
			t.Errorf("%s: feedparser polled with the 226's ETag %s: %d, want 304", key, p.ETag, again.Status)
		}
	}
}

type feedparserPoll struct {
	Status        int
	ETag          string `json:"etag"`
	Bozo          bool
	BozoException string `json:"bozo_exception"`
	Version       string
	IM            string `json:"im"`
	Encoding      string
	IDs           []string `json:"ids"`
}

func runFeedparser(t *testing.T, url, etag string) feedparserPoll {
	t.Helper()
	args := []string{"testdata/deltas.py", url}
	if etag != "" {
		args = append(args, etag)
	}
	out, err := exec.Command(debianPython, args...).Output()
	if err != nil {
		t.Fatalf("python3-feedparser (%s, Debian's python3-feedparser; make test installs it): %v", debianPython, err)
	}
	var p feedparserPoll
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("feedparser: %v: %s", err, out)
	}
	return p
}

// Varnish in front, with the VCL of testdata/deltas.vcl (requests with
// A-IM pass): a reader that asks for deltas gets them through the cache;
// a reader that does not, with or without If-None-Match, on a hit or a
// miss, before and after a delta went through, only ever gets full feeds
// and 304s. Without the VCL, a reader that asks for deltas gets full
// feeds: safe, but no deltas.
func TestDeltasThroughVarnish(t *testing.T) {
	s := newDeltaSite(t)
	origin := httptest.NewServer(s.h)
	defer origin.Close()
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(origin.URL, "http://"))
	vcl, err := os.ReadFile("testdata/deltas.vcl")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// varnishd reads the VCL as its own unprivileged user.
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	vclFile := filepath.Join(dir, "deltas.vcl")
	vcl = bytes.ReplaceAll(bytes.ReplaceAll(vcl, []byte("ORIGIN_HOST"), []byte(host)), []byte("ORIGIN_PORT"), []byte(port))
	if err := os.WriteFile(vclFile, vcl, 0o644); err != nil {
		t.Fatal(err)
	}
	cache := startVarnish(t, "-f", vclFile)
	plainCache := startVarnish(t, "-b", host+":"+port)

	keys := []string{"feeds/index.rss", "feeds/index.atom", "feeds/index.json"}
	v1 := map[string]version{}
	full := map[string][][]byte{} // every full version of each feed, identity
	for _, key := range keys {
		v1[key] = s.fetchVersion(t, key)
		full[key] = append(full[key], readKey(t, s.out, key))
	}
	// The RSS feed is in both caches before the build; the others are not.
	for _, c := range []string{cache, plainCache} {
		for range 2 {
			if r, _ := fetch(t, c+"/feeds/index.rss", hdr("Accept-Encoding", "gzip")); r.StatusCode != http.StatusOK {
				t.Fatalf("through Varnish: %d", r.StatusCode)
			}
		}
	}
	s.add()
	s.rebuild()
	for _, key := range keys {
		full[key] = append(full[key], readKey(t, s.out, key))
	}
	// A reader that does not ask for deltas; h is what it sends.
	plain := func(c, key string, h http.Header) {
		t.Helper()
		resp, raw := fetch(t, c+"/"+key, h)
		what := fmt.Sprintf("%s without A-IM %v", key, h)
		switch resp.StatusCode {
		case http.StatusNotModified:
			if len(raw) != 0 {
				t.Errorf("%s: a 304 with a body", what)
			}
		case http.StatusOK:
			b := raw
			if enc := resp.Header.Get("Content-Encoding"); enc != "" {
				b = decode(t, enc, raw)
			}
			if !slices.ContainsFunc(full[key], func(f []byte) bool { return bytes.Equal(f, b) }) {
				t.Errorf("%s: 200 with %d bytes, not a full version of the feed", what, len(b))
			}
		default:
			t.Errorf("%s: status %d, want 200 or 304", what, resp.StatusCode)
		}
		if resp.Header.Get("IM") != "" || varies(resp, "A-IM") {
			t.Errorf("%s: IM %q, Vary %q", what, resp.Header.Get("IM"), resp.Header.Values("Vary"))
		}
	}
	for _, key := range keys {
		old := v1[key].etags["gzip"]
		plain(cache, key, hdr("Accept-Encoding", "gzip", "If-None-Match", old)) // the RSS a hit, the others a miss
		plain(cache, key, hdr("Accept-Encoding", "gzip"))
		plain(cache, key, nil)

		resp, raw := fetch(t, cache+"/"+key, hdr("A-IM", "feed", "Accept-Encoding", "gzip", "If-None-Match", old))
		if resp.StatusCode != http.StatusIMUsed || resp.Header.Get("IM") != "feed" {
			t.Fatalf("%s with A-IM through Varnish: %d, IM %q; want 226", key, resp.StatusCode, resp.Header.Get("IM"))
		}
		b := raw
		if resp.Header.Get("Content-Encoding") == "gzip" {
			b = gunzip(t, raw)
		}
		if n := checkFeed(t, key, b); n != 1 {
			t.Errorf("%s with A-IM through Varnish: %d items, want the new one", key, n)
		}

		// After the delta went through: still only full feeds for the others.
		plain(cache, key, hdr("Accept-Encoding", "gzip", "If-None-Match", old))
		plain(cache, key, hdr("Accept-Encoding", "gzip", "If-None-Match", resp.Header.Get("ETag")))
		plain(cache, key, hdr("Accept-Encoding", "gzip"))
		plain(cache, key, nil)

		// Varnish as it comes: a reader asking for deltas gets the full feed.
		for range 2 {
			r, _ := fetch(t, plainCache+"/"+key, hdr("A-IM", "feed", "Accept-Encoding", "gzip", "If-None-Match", old))
			if r.StatusCode == http.StatusIMUsed {
				t.Errorf("%s: a 226 through Varnish's built-in VCL", key)
			}
			plain(plainCache, key, hdr("Accept-Encoding", "gzip", "If-None-Match", old))
			plain(plainCache, key, nil)
		}
	}
}
