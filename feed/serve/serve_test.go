package serve_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/publish"
	"github.com/feedpub/feedpub/feed/serve"
)

// buildTime is when the example site is built: after every example article
// but the embargoed one.
var buildTime = time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)

// exampleSite is the example site's definition, with extra lines of YAML
// appended.
func exampleSite(t testing.TB, extra string) *feed.Site {
	t.Helper()
	data, err := os.ReadFile("../../examples/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	site, err := feed.ParseSite(append(data, extra...))
	if err != nil {
		t.Fatal(err)
	}
	return site
}

// published builds the example site into a fresh folder and returns it,
// with an item limit of 20 so that the feeds that hold more have archive
// pages.
func published(t testing.TB) string {
	t.Helper()
	site := exampleSite(t, "")
	site.Limit = 20
	dir := t.TempDir()
	b := &publish.Build{
		Site:     site,
		Articles: store.NewFolder("../../examples/articles"),
		Out:      store.NewFolder(dir),
		Now:      buildTime,
	}
	if _, err := b.Run(context.Background()); err != nil {
		t.Fatalf("publish the example site: %v", err)
	}
	return dir
}

// readKey returns the published bytes under key.
func readKey(t *testing.T, dir, key string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(key)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// do sends one request, built from a raw request target, to h.
func do(t *testing.T, h http.Handler, method, target string, header http.Header) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

// get is do for GET.
func get(t *testing.T, h http.Handler, target string, header http.Header) *http.Response {
	t.Helper()
	return do(t, h, http.MethodGet, target, header)
}

func body(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("body is not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("body is not gzip: %v", err)
	}
	return out
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// checkStrongETag fails unless etag is one strong entity tag.
func checkStrongETag(t *testing.T, etag string) {
	t.Helper()
	if len(etag) < 3 || etag[0] != '"' || etag[len(etag)-1] != '"' || strings.Count(etag, `"`) != 2 {
		t.Errorf("ETag %q: want one strong entity tag, quoted, without W/", etag)
	}
}

// checkAlways fails unless resp carries the headers every answer carries.
func checkAlways(t *testing.T, resp *http.Response) {
	t.Helper()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin: got %q, want %q", got, "*")
	}
	if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options: got %q, want %q", got, "nosniff")
	}
}

// varies reports whether resp says it varies on field.
func varies(resp *http.Response, field string) bool {
	for _, v := range resp.Header.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), field) {
				return true
			}
		}
	}
	return false
}

func TestServesPublished(t *testing.T) {
	dir := published(t)
	h := serve.New(store.NewFolder(dir))
	tests := []struct {
		target, key, contentType string
	}{
		{"/", "index.html", "text/html; charset=utf-8"},
		{"/index.html", "index.html", "text/html; charset=utf-8"},
		{"/feeds.opml", "feeds.opml", "text/x-opml; charset=utf-8"},
		{"/feeds/index.rss", "feeds/index.rss", "application/rss+xml; charset=utf-8"},
		{"/feeds/index.atom", "feeds/index.atom", "application/atom+xml; charset=utf-8"},
		{"/feeds/index.json", "feeds/index.json", "application/feed+json; charset=utf-8"},
		{"/feeds/category/world.rss", "feeds/category/world.rss", "application/rss+xml; charset=utf-8"},
		{"/feeds/category/%E7%A7%91%E6%8A%80.atom", "feeds/category/科技.atom", "application/atom+xml; charset=utf-8"},
		{"/feeds/tag/%C3%A9conomie.json", "feeds/tag/économie.json", "application/feed+json; charset=utf-8"},
		{"/feeds/author/jonas-m%C3%BCller.rss?utm_source=x", "feeds/author/jonas-müller.rss", "application/rss+xml; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			resp := get(t, h, tt.target, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status: got %d, want %d", resp.StatusCode, http.StatusOK)
			}
			checkAlways(t, resp)
			if got := resp.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type: got %q, want %q", got, tt.contentType)
			}
			if got := resp.Header.Get("Cache-Control"); got != cacheControl {
				t.Errorf("Cache-Control: got %q, want %q", got, cacheControl)
			}
			if got := resp.Header.Get("Content-Encoding"); got != "" {
				t.Errorf("Content-Encoding without Accept-Encoding: got %q, want none", got)
			}
			checkStrongETag(t, resp.Header.Get("ETag"))
			want := readKey(t, dir, tt.key)
			if got := body(t, resp); !bytes.Equal(got, want) {
				t.Errorf("body: got %d bytes, want the %d published bytes of %s", len(got), len(want), tt.key)
			}
			// When the bytes last changed, as the build recorded it: not
			// the file's time, which a copy or a redeploy changes.
			if got, want := resp.Header.Get("Last-Modified"), buildTime.Format(http.TimeFormat); got != want {
				t.Errorf("Last-Modified: got %q, want %q", got, want)
			}
		})
	}
}

func TestETagsDifferPerObject(t *testing.T) {
	h := serve.New(store.NewFolder(published(t)))
	seen := map[string]string{}
	for _, target := range []string{"/index.html", "/feeds.opml", "/feeds/index.rss", "/feeds/index.atom", "/feeds/index.json", "/feeds/category/world.rss"} {
		etag := get(t, h, target, nil).Header.Get("ETag")
		if other, ok := seen[etag]; ok {
			t.Errorf("%s and %s share the ETag %s", other, target, etag)
		}
		seen[etag] = target
		if again := get(t, h, target, nil).Header.Get("ETag"); again != etag {
			t.Errorf("%s: ETag changed between two requests: got %s, then %s", target, etag, again)
		}
	}
}

func TestConditional(t *testing.T) {
	dir := published(t)
	h := serve.New(store.NewFolder(dir))
	const target = "/feeds/index.atom"
	first := get(t, h, target, nil)
	etag := first.Header.Get("ETag")
	lastMod := first.Header.Get("Last-Modified")
	modtime, err := http.ParseTime(lastMod)
	if err != nil {
		t.Fatalf("Last-Modified %q: %v", lastMod, err)
	}
	before := modtime.Add(-time.Hour).Format(http.TimeFormat)
	after := modtime.Add(time.Hour).Format(http.TimeFormat)
	other := `"0000000000000000"`

	tests := []struct {
		name   string
		header http.Header
		want   int
	}{
		{"no validators", nil, http.StatusOK},
		{"If-None-Match same", hdr("If-None-Match", etag), http.StatusNotModified},
		{"If-None-Match weak form matches weakly", hdr("If-None-Match", "W/"+etag), http.StatusNotModified},
		{"If-None-Match list", hdr("If-None-Match", other+", "+etag), http.StatusNotModified},
		{"If-None-Match list without spaces", hdr("If-None-Match", other+","+etag), http.StatusNotModified},
		{"If-None-Match star", hdr("If-None-Match", "*"), http.StatusNotModified},
		{"If-None-Match other", hdr("If-None-Match", other), http.StatusOK},
		{"If-None-Match unquoted", hdr("If-None-Match", strings.Trim(etag, `"`)), http.StatusOK},
		{"If-Modified-Since at Last-Modified", hdr("If-Modified-Since", lastMod), http.StatusNotModified},
		{"If-Modified-Since later", hdr("If-Modified-Since", after), http.StatusNotModified},
		{"If-Modified-Since earlier", hdr("If-Modified-Since", before), http.StatusOK},
		{"If-None-Match other wins over If-Modified-Since", hdr("If-None-Match", other, "If-Modified-Since", after), http.StatusOK},
		{"If-None-Match same wins over If-Modified-Since", hdr("If-None-Match", etag, "If-Modified-Since", before), http.StatusNotModified},
		{"If-Match other", hdr("If-Match", other), http.StatusPreconditionFailed},
		{"If-Match same", hdr("If-Match", etag), http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, h, target, tt.header)
			if resp.StatusCode != tt.want {
				t.Fatalf("status: got %d, want %d", resp.StatusCode, tt.want)
			}
			checkAlways(t, resp)
			b := body(t, resp)
			if tt.want != http.StatusNotModified {
				return
			}
			if len(b) != 0 {
				t.Errorf("304 body: got %d bytes, want none", len(b))
			}
			if got := resp.Header.Get("ETag"); got != etag {
				t.Errorf("304 ETag: got %q, want %q", got, etag)
			}
			if got := resp.Header.Get("Cache-Control"); got != cacheControl {
				t.Errorf("304 Cache-Control: got %q, want %q", got, cacheControl)
			}
			if !varies(resp, "Accept-Encoding") {
				t.Errorf("304 Vary: got %q, want Accept-Encoding", resp.Header.Values("Vary"))
			}
		})
	}
	if want := readKey(t, dir, "feeds/index.atom"); !bytes.Equal(body(t, first), want) {
		t.Errorf("unconditional body differs from the published file")
	}
}

func TestHead(t *testing.T) {
	h := serve.New(store.NewFolder(published(t)))
	for _, enc := range []string{"", "gzip"} {
		for _, target := range []string{"/", "/feeds.opml", "/feeds/index.rss", "/feeds/index.json"} {
			t.Run(target+" "+enc, func(t *testing.T) {
				g := get(t, h, target, hdr("Accept-Encoding", enc))
				getBody := body(t, g)
				head := do(t, h, http.MethodHead, target, hdr("Accept-Encoding", enc))
				if head.StatusCode != http.StatusOK {
					t.Fatalf("status: got %d, want %d", head.StatusCode, http.StatusOK)
				}
				if b := body(t, head); len(b) != 0 {
					t.Errorf("HEAD body: got %d bytes, want none", len(b))
				}
				for _, k := range []string{"Content-Type", "Content-Encoding", "ETag", "Last-Modified", "Cache-Control", "Vary", "Access-Control-Allow-Origin", "X-Content-Type-Options"} {
					if got, want := head.Header.Values(k), g.Header.Values(k); !slices.Equal(got, want) {
						t.Errorf("HEAD %s: got %q, want %q as for GET", k, got, want)
					}
				}
				// http.ServeContent leaves Content-Length out of encoded
				// answers; where GET has one, HEAD must have the same.
				if got, want := head.ContentLength, g.ContentLength; got != want {
					t.Errorf("HEAD Content-Length: got %d, want %d as for GET", got, want)
				}
				if enc == "" && g.ContentLength != int64(len(getBody)) {
					t.Errorf("GET Content-Length: got %d, want %d, the length of its body", g.ContentLength, len(getBody))
				}
				etag := head.Header.Get("ETag")
				if got := do(t, h, http.MethodHead, target, hdr("Accept-Encoding", enc, "If-None-Match", etag)).StatusCode; got != http.StatusNotModified {
					t.Errorf("conditional HEAD: got %d, want %d", got, http.StatusNotModified)
				}
			})
		}
	}
}

func TestNegotiation(t *testing.T) {
	h := serve.New(store.NewFolder(published(t)))
	tests := []struct {
		accept string
		want   string // the coding chosen; "406" for none acceptable
	}{
		{"", ""},
		{"gzip", "gzip"},
		{"GZIP", "gzip"},
		{"x-gzip", "gzip"},
		{"br", "br"},
		{"gzip, deflate, br", "br"}, // a tie: the smaller
		{"br;q=1.0, gzip;q=0.5", "br"},
		{"br;q=0.5, gzip;q=1.0", "gzip"},
		{"br;q=0, gzip", "gzip"},
		{"gzip;q=0.001", "gzip"},
		{"gzip;q=0", ""},
		{"gzip; q=0.0", ""},
		{"gzip;q=0.000", ""},
		{"gzip;q=2", ""}, // not a weight: the item is ignored
		{"*", "br"},
		{"*;q=0", "406"},
		{"*;q=0, gzip", "gzip"},
		{"*;q=0, identity", ""},
		{"gzip;q=0, *", "br"},
		{"*, gzip;q=0", "br"},
		{"*, br;q=0", "gzip"},
		{"identity", ""},
		{"identity;q=1", ""},
		{"identity;q=0", "406"},
		{"identity;q=0, gzip", "gzip"},
		{"identity;q=0, deflate", "406"},
		{"identity;q=0.5, gzip;q=0.4", ""},
		{"deflate", ""},
		{" , ,gzip ,", "gzip"},
	}
	plain := get(t, h, "/feeds/index.rss", nil)
	plainBody := body(t, plain)
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			resp := get(t, h, "/feeds/index.rss", hdr("Accept-Encoding", tt.accept))
			if !varies(resp, "Accept-Encoding") {
				t.Errorf("Vary: got %q, want Accept-Encoding", resp.Header.Values("Vary"))
			}
			b := body(t, resp)
			if tt.want == "406" {
				if resp.StatusCode != http.StatusNotAcceptable {
					t.Fatalf("status: got %d, want %d", resp.StatusCode, http.StatusNotAcceptable)
				}
				return
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status: got %d, want %d", resp.StatusCode, http.StatusOK)
			}
			enc := resp.Header.Get("Content-Encoding")
			if enc != tt.want {
				t.Fatalf("Content-Encoding: got %q, want %q", enc, tt.want)
			}
			if got := resp.ContentLength; got != int64(len(b)) {
				t.Errorf("Content-Length: got %d, want %d", got, len(b))
			}
			if got := resp.Header.Get("Content-Type"); got != "application/rss+xml; charset=utf-8" {
				t.Errorf("Content-Type: got %q, want the feed's type", got)
			}
			etag := resp.Header.Get("ETag")
			checkStrongETag(t, etag)
			if enc == "" {
				if !bytes.Equal(b, plainBody) || etag != plain.Header.Get("ETag") {
					t.Errorf("identity: got %d bytes, ETag %s, want the %d identity bytes and ETag %s", len(b), etag, len(plainBody), plain.Header.Get("ETag"))
				}
				return
			}
			if got := decode(t, enc, b); !bytes.Equal(got, plainBody) {
				t.Errorf("decoded body: got %d bytes, want the %d identity bytes", len(got), len(plainBody))
			}
			if len(b) >= len(plainBody) {
				t.Errorf("%s body: got %d bytes, want fewer than the %d identity bytes", enc, len(b), len(plainBody))
			}
			if etag == plain.Header.Get("ETag") {
				t.Errorf("%s ETag %s: want it to differ from the identity ETag", enc, etag)
			}
		})
	}
}

// decode undoes a content coding with decoders other than the build's.
func decode(t *testing.T, coding string, b []byte) []byte {
	t.Helper()
	switch coding {
	case "gzip":
		return gunzip(t, b)
	case "br":
		out, err := io.ReadAll(brotli.NewReader(bytes.NewReader(b)))
		if err != nil {
			t.Fatalf("body is not brotli: %v", err)
		}
		return out
	}
	t.Fatalf("unknown coding %q", coding)
	return nil
}

// TestGzipConditional checks that each representation is validated by its
// own ETag.
func TestGzipConditional(t *testing.T) {
	h := serve.New(store.NewFolder(published(t)))
	const target = "/feeds/index.json"
	identity := get(t, h, target, nil).Header.Get("ETag")
	gz := get(t, h, target, hdr("Accept-Encoding", "gzip")).Header.Get("ETag")
	tests := []struct {
		name, accept, ifNoneMatch string
		want                      int
		wantETag                  string
	}{
		{"gzip ETag, gzip accepted", "gzip", gz, http.StatusNotModified, gz},
		{"identity ETag, gzip accepted", "gzip", identity, http.StatusOK, gz},
		{"gzip ETag, gzip not accepted", "", gz, http.StatusOK, identity},
		{"identity ETag, gzip not accepted", "", identity, http.StatusNotModified, identity},
		{"both ETags, gzip accepted", "gzip", identity + ", " + gz, http.StatusNotModified, gz},
		{"both ETags, gzip not accepted", "identity", identity + ", " + gz, http.StatusNotModified, identity},
		{"weak gzip ETag, gzip accepted", "gzip", "W/" + gz, http.StatusNotModified, gz},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, h, target, hdr("Accept-Encoding", tt.accept, "If-None-Match", tt.ifNoneMatch))
			if resp.StatusCode != tt.want {
				t.Fatalf("status: got %d, want %d", resp.StatusCode, tt.want)
			}
			if got := resp.Header.Get("ETag"); got != tt.wantETag {
				t.Errorf("ETag: got %q, want %q", got, tt.wantETag)
			}
			if !varies(resp, "Accept-Encoding") {
				t.Errorf("Vary: got %q, want Accept-Encoding", resp.Header.Values("Vary"))
			}
			checkAlways(t, resp)
			if tt.want == http.StatusNotModified {
				if b := body(t, resp); len(b) != 0 {
					t.Errorf("304 body: got %d bytes, want none", len(b))
				}
			}
		})
	}
}

func TestNotPublished(t *testing.T) {
	dir := published(t)
	secret := []byte("SECRET-must-never-be-served\n")
	// What lies in the published folder, or next to it, but was never
	// published.
	for _, name := range []string{
		"feeds/.secret.rss",
		"feeds/.index.rss.0a1b2c3d4e5f.tmp",
		"feeds/index.rss.tmp",
		"feeds/notes.txt",
		"feeds/index.xml",
		"feeds/nowhere.html",
		"feeds/category/.hidden.atom",
		"feeds/.git/config.json",
		".env",
		".hidden.html",
	} {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), secret)
	}
	writeFile(t, filepath.Join(filepath.Dir(dir), "outside.rss"), secret)
	writeFile(t, filepath.Join(filepath.Dir(dir), "outside.json"), secret)
	if err := os.Mkdir(filepath.Join(dir, "feeds", "dir.rss"), 0o755); err != nil {
		t.Fatal(err)
	}
	report := readKey(t, dir, publish.ReportKey)
	h := serve.New(store.NewFolder(dir))

	targets := []string{
		// the build report, however it is asked for
		"/build-report.json",
		"/feeds/../build-report.json",
		"/feeds/%2e%2e/build-report.json",
		"/feeds/%2E%2E/build-report.json",
		"/feeds/..%2fbuild-report.json",
		"/feeds/%2e%2e%2fbuild-report.json",
		"/feeds/%252e%252e/build-report.json",
		"/feeds/%252e%252e%252fbuild-report.json",
		"/feeds/..%5cbuild-report.json",
		"/feeds/..\\build-report.json",
		"/feeds\\..\\build-report.json",
		"/feeds/./../build-report.json",
		"/feeds/x/../../build-report.json",
		"/./build-report.json",
		"//build-report.json",
		"/feeds/index.rss/../../build-report.json",
		"/feeds/%00/../../build-report.json",
		"/build-report.json%00.rss",
		"/feeds/build-report.json",
		"/BUILD-REPORT.JSON",
		// out of the folder
		"/feeds/../../outside.rss",
		"/feeds/%2e%2e/%2e%2e/outside.rss",
		"/feeds/..%2f..%2foutside.rss",
		"/feeds/%2e%2e%2f%2e%2e%2foutside.json",
		"/feeds/..%5c..%5coutside.rss",
		"/feeds/%2Fetc%2Fpasswd.rss",
		"/feeds//etc/passwd.rss",
		"//etc/passwd",
		"/etc/passwd",
		"http://feeds.example/feeds/../build-report.json",
		"http://feeds.example//etc/passwd",
		"/feeds/C:%5cWindows%5cwin.ini.rss",
		"/feeds/%2F..%2Foutside.json",
		"/feeds/index.rss%00",
		"/feeds/index%00.rss",
		// directories: no listings
		"/feeds",
		"/feeds/",
		"/feeds/category",
		"/feeds/category/",
		"/feeds/tag/",
		"/feeds/dir.rss",
		"/feeds/dir.rss/",
		"/index.html/",
		"/feeds.opml/",
		"/feeds/index.rss/",
		// aliases of published feeds
		"/feeds/category%2Fworld.rss",
		"/feeds%2Findex.rss",
		"/feeds/./index.rss",
		"/feeds//index.rss",
		"/feeds/category/../index.rss",
		"/feeds/INDEX.RSS",
		"/feeds/index.RSS",
		// variants and internal state: served only under the object's
		// own URL, by Accept-Encoding
		"/feeds/index.rss.gz",
		"/feeds/index.atom.br",
		"/feeds.opml.gz",
		"/index.html.br",
		"/.feedpub/manifest.json",
		"/.feedpub/catalog/head.json",
		"/.feedpub/deltas/feeds/index.rss", // a feed's delta pack: only through its feed's URL, with A-IM
		"/%2efeedpub/deltas/feeds/index.rss",
		"/%2efeedpub/manifest.json",
		// dot-files and temporary files
		"/feeds/.secret.rss",
		"/feeds/%2esecret.rss",
		"/feeds/.index.rss.0a1b2c3d4e5f.tmp",
		"/feeds/index.rss.tmp",
		"/feeds/category/.hidden.atom",
		"/feeds/.git/config.json",
		"/.env",
		"/.hidden.html",
		// other extensions under feeds/, other names at the root
		"/feeds/notes.txt",
		"/feeds/index.xml",
		"/feeds/nowhere.html",
		"/feeds/index",
		"/index.rss",
		"/feeds.rss",
		"/nonexistent.html",
		"/feeds/nonexistent.rss",
		"/feeds/category/nonexistent.atom",
		"/favicon.ico",
		"/rebuild",
	}
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		for _, target := range targets {
			t.Run(method+" "+target, func(t *testing.T) {
				resp := do(t, h, method, target, hdr("Accept-Encoding", "gzip"))
				if resp.StatusCode != http.StatusNotFound {
					t.Fatalf("status: got %d, want %d", resp.StatusCode, http.StatusNotFound)
				}
				checkAlways(t, resp)
				b := body(t, resp)
				if bytes.Contains(b, secret) || bytes.Contains(b, []byte("built_at")) || bytes.Equal(b, report) {
					t.Errorf("404 body leaks a file: %q", b)
				}
				if loc := resp.Header.Get("Location"); loc != "" {
					t.Errorf("Location: got %q, want none", loc)
				}
			})
		}
	}
}

func writeFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMethods(t *testing.T) {
	dir := published(t)
	rebuilt := 0
	rebuild := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rebuilt++
		w.WriteHeader(http.StatusAccepted)
	})
	plain := serve.New(store.NewFolder(dir))
	withRebuild := serve.New(store.NewFolder(dir), serve.WithRebuild(rebuild))

	tests := []struct {
		name        string
		h           http.Handler
		method      string
		target      string
		want        int
		wantRebuilt int
		wantAllow   []string // for a 405
	}{
		{"PUT a feed", plain, http.MethodPut, "/feeds/index.rss", http.StatusMethodNotAllowed, 0, []string{"GET", "HEAD"}},
		{"DELETE a feed", plain, http.MethodDelete, "/feeds/index.rss", http.StatusMethodNotAllowed, 0, []string{"GET", "HEAD"}},
		{"PATCH a feed", plain, http.MethodPatch, "/feeds/index.rss", http.StatusMethodNotAllowed, 0, []string{"GET", "HEAD"}},
		{"POST a feed", plain, http.MethodPost, "/feeds/index.rss", http.StatusMethodNotAllowed, 0, []string{"GET", "HEAD"}},
		{"POST the index", plain, http.MethodPost, "/", http.StatusMethodNotAllowed, 0, []string{"GET", "HEAD"}},
		{"PUT an unpublished key", plain, http.MethodPut, "/build-report.json", http.StatusMethodNotAllowed, 0, []string{"GET", "HEAD"}},
		{"TRACE", plain, http.MethodTrace, "/feeds/index.rss", http.StatusMethodNotAllowed, 0, []string{"GET", "HEAD"}},
		{"POST /rebuild without WithRebuild", plain, http.MethodPost, "/rebuild", http.StatusMethodNotAllowed, 0, []string{"GET", "HEAD"}},
		{"POST /rebuild with WithRebuild", withRebuild, http.MethodPost, "/rebuild", http.StatusAccepted, 1, nil},
		{"POST a feed with WithRebuild", withRebuild, http.MethodPost, "/feeds/index.rss", http.StatusMethodNotAllowed, 0, []string{"GET", "HEAD"}},
		{"PUT /rebuild with WithRebuild", withRebuild, http.MethodPut, "/rebuild", http.StatusMethodNotAllowed, 0, []string{"POST"}},
		{"POST /rebuild/ with WithRebuild", withRebuild, http.MethodPost, "/rebuild/", http.StatusMethodNotAllowed, 0, []string{"GET", "HEAD"}},
		{"POST /feeds/../rebuild with WithRebuild", withRebuild, http.MethodPost, "/feeds/../rebuild", http.StatusMethodNotAllowed, 0, []string{"GET", "HEAD"}},
		{"GET /rebuild with WithRebuild", withRebuild, http.MethodGet, "/rebuild", http.StatusMethodNotAllowed, 0, []string{"POST"}},
		{"GET with WithRebuild", withRebuild, http.MethodGet, "/feeds/index.rss", http.StatusOK, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rebuilt = 0
			resp := do(t, tt.h, tt.method, tt.target, nil)
			if resp.StatusCode != tt.want {
				t.Fatalf("status: got %d, want %d", resp.StatusCode, tt.want)
			}
			if rebuilt != tt.wantRebuilt {
				t.Errorf("rebuild handler calls: got %d, want %d", rebuilt, tt.wantRebuilt)
			}
			checkAlways(t, resp)
			if tt.want != http.StatusMethodNotAllowed {
				return
			}
			allow := resp.Header.Get("Allow")
			for _, m := range tt.wantAllow {
				if !slices.Contains(splitList(allow), m) {
					t.Errorf("Allow: got %q, want it to list %s", allow, m)
				}
			}
			if slices.Contains(splitList(allow), tt.method) {
				t.Errorf("Allow: got %q, want it not to list %s", allow, tt.method)
			}
		})
	}
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(v))
	}
	return out
}

func TestPreflight(t *testing.T) {
	h := serve.New(store.NewFolder(published(t)))
	for _, target := range []string{"/feeds/index.json", "/feeds.opml", "/"} {
		t.Run(target, func(t *testing.T) {
			resp := do(t, h, http.MethodOptions, target, hdr(
				"Origin", "https://partner.example",
				"Access-Control-Request-Method", "GET",
				"Access-Control-Request-Headers", "if-none-match",
			))
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("status: got %d, want %d", resp.StatusCode, http.StatusNoContent)
			}
			checkAlways(t, resp)
			methods := splitList(resp.Header.Get("Access-Control-Allow-Methods"))
			for _, m := range []string{"GET", "HEAD"} {
				if !slices.Contains(methods, m) {
					t.Errorf("Access-Control-Allow-Methods: got %q, want it to list %s", methods, m)
				}
			}
			headers := splitList(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")))
			for _, k := range []string{"if-none-match", "if-modified-since"} {
				if !slices.Contains(headers, k) {
					t.Errorf("Access-Control-Allow-Headers: got %q, want it to list %s", headers, k)
				}
			}
			if b := body(t, resp); len(b) != 0 {
				t.Errorf("body: got %q, want none", b)
			}
		})
	}
}

// failing is a Source whose every read fails with an error that must stay
// in the server's log.
type failing struct{ err error }

func (f failing) GetIfChanged(context.Context, string, string) (*store.Object, error) {
	return nil, f.err
}

type secretError struct{}

func (secretError) Error() string {
	return "open /srv/feedpub/private/tok_SECRET123: permission denied"
}

func TestInternalError(t *testing.T) {
	const secret = "tok_SECRET123"
	tests := []struct {
		name string
		err  error
	}{
		{"custom error", secretError{}},
		{"wrapped error", fmt.Errorf("s3: get %s: %w", secret, context.DeadlineExceeded)},
		{"not modified without a copy", store.ErrNotModified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := serve.New(failing{tt.err}, serve.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			for _, target := range []string{"/", "/feeds.opml", "/feeds/index.rss"} {
				resp := get(t, h, target, hdr("Accept-Encoding", "gzip"))
				// 503: the store failed, not the request; caches may
				// serve a stale copy (stale-if-error).
				if resp.StatusCode != http.StatusServiceUnavailable {
					t.Fatalf("%s: status: got %d, want %d", target, resp.StatusCode, http.StatusServiceUnavailable)
				}
				checkAlways(t, resp)
				b := body(t, resp)
				for _, leak := range []string{secret, "/srv/", "permission denied", "deadline", "not modified"} {
					if bytes.Contains(b, []byte(leak)) {
						t.Errorf("%s: body %q echoes the internal error (%q)", target, b, leak)
					}
				}
				for _, k := range []string{"ETag", "Last-Modified", "Content-Encoding"} {
					if v := resp.Header.Get(k); v != "" {
						t.Errorf("%s: %s on a 503: got %q, want none", target, k, v)
					}
				}
				if got := resp.Header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("%s: Cache-Control on a 503: %q, want no-store (no cache may keep the failure)", target, got)
				}
			}
			if want := tt.err.Error(); !strings.Contains(logs.String(), want) {
				t.Errorf("log: got %q, want it to hold the error %q", logs.String(), want)
			}
		})
	}
}

// site is the example site in folders of its own, so that a test can
// change articles and build again.
type site struct {
	t        testing.TB
	articles string
	out      string
	extra    string // appended to the site file
}

func newSite(t testing.TB) *site {
	t.Helper()
	s := &site{t: t, articles: t.TempDir(), out: t.TempDir()}
	if err := os.CopyFS(s.articles, os.DirFS("../../examples/articles")); err != nil {
		t.Fatal(err)
	}
	s.build(buildTime)
	return s
}

// build publishes the site as at now.
func (s *site) build(now time.Time) {
	s.t.Helper()
	b := &publish.Build{Site: exampleSite(s.t, s.extra), Articles: store.NewFolder(s.articles), Out: store.NewFolder(s.out), Now: now}
	if _, err := b.Run(context.Background()); err != nil {
		s.t.Fatalf("build: %v", err)
	}
}

// retitle gives the article in file name a new title.
func (s *site) retitle(name, title string) {
	s.t.Helper()
	path := filepath.Join(s.articles, name)
	data, err := os.ReadFile(path)
	if err != nil {
		s.t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		s.t.Fatal(err)
	}
	doc["title"] = title
	data, _ = json.Marshal(doc)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// counting counts the store requests a handler makes.
type counting struct {
	serve.Source
	n atomic.Int64
}

func (c *counting) GetIfChanged(ctx context.Context, key, version string) (*store.Object, error) {
	c.n.Add(1)
	return c.Source.GetIfChanged(ctx, key, version)
}

// The handler answers from memory and asks the store whether the site
// changed at most once per revalidation interval; a rebuild reaches
// readers at the first request after it. Run on a source without Stat
// (as S3 is: conditional GETs) and on a folder (a stat).
func TestRevalidation(t *testing.T) {
	for _, withStat := range []bool{false, true} {
		t.Run(fmt.Sprintf("stat=%v", withStat), func(t *testing.T) {
			s := newSite(t)
			clock := buildTime.Add(time.Hour)
			var src serve.Source = store.NewFolder(s.out)
			counted := &counting{Source: src}
			if !withStat {
				src = counted
			}
			h := serve.New(src, serve.WithRevalidate(2*time.Second))
			serve.SetClock(h, func() time.Time { return clock })
			const target = "/feeds/index.rss"
			old := get(t, h, target, nil)
			oldBody, oldETag := body(t, old), old.Header.Get("ETag")
			oldGzipETag := get(t, h, target, hdr("Accept-Encoding", "gzip")).Header.Get("ETag")
			if got := old.Header.Get("Last-Modified"); got != buildTime.Format(http.TimeFormat) {
				t.Errorf("Last-Modified: got %q, want the first build's time", got)
			}

			// Polls within the interval: answered from memory.
			before := counted.n.Load()
			for range 1000 {
				if got := get(t, h, target, hdr("If-None-Match", oldETag)).StatusCode; got != http.StatusNotModified {
					t.Fatalf("poll: got %d, want %d", got, http.StatusNotModified)
				}
			}
			if n := counted.n.Load() - before; n != 0 {
				t.Errorf("1,000 polls within the interval made %d store requests, want none", n)
			}

			// A build that changes nothing changes nothing served.
			s.build(buildTime.Add(2 * time.Hour))
			clock = clock.Add(3 * time.Second)
			if got := get(t, h, target, hdr("If-None-Match", oldETag)).StatusCode; got != http.StatusNotModified {
				t.Errorf("after a no-change build: got %d, want %d", got, http.StatusNotModified)
			}
			if !withStat {
				if n := counted.n.Load() - before; n != 1 {
					t.Errorf("one revalidation made %d store requests, want 1 (a conditional GET of the manifest)", n)
				}
			}

			// An edit: served once the interval is over, not before.
			s.retitle("chang-e-6-launch.json", "嫦娥六号 更新")
			edited := buildTime.Add(3 * time.Hour)
			s.build(edited)
			clock = clock.Add(time.Second)
			if got := get(t, h, target, hdr("If-None-Match", oldETag)).StatusCode; got != http.StatusNotModified {
				t.Errorf("within the interval after the edit: got %d, want %d (from memory)", got, http.StatusNotModified)
			}
			clock = clock.Add(2 * time.Second)
			resp := get(t, h, target, hdr("If-None-Match", oldETag))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("old If-None-Match after the edit: got %d, want %d", resp.StatusCode, http.StatusOK)
			}
			newBody, newETag := body(t, resp), resp.Header.Get("ETag")
			if bytes.Equal(newBody, oldBody) || !bytes.Contains(newBody, []byte("嫦娥六号 更新")) {
				t.Errorf("body after the edit: want the new title")
			}
			if want := readKey(t, s.out, "feeds/index.rss"); !bytes.Equal(newBody, want) {
				t.Errorf("body after the edit: got %d bytes, want the %d published", len(newBody), len(want))
			}
			checkStrongETag(t, newETag)
			if newETag == oldETag {
				t.Errorf("ETag after the edit: still %q", newETag)
			}
			if got, want := resp.Header.Get("Last-Modified"), edited.Format(http.TimeFormat); got != want {
				t.Errorf("Last-Modified after the edit: got %q, want %q", got, want)
			}
			if got := get(t, h, target, hdr("If-Modified-Since", buildTime.Add(2*time.Hour).Format(http.TimeFormat))).StatusCode; got != http.StatusOK {
				t.Errorf("If-Modified-Since before the edit: got %d, want %d", got, http.StatusOK)
			}
			if got := get(t, h, target, hdr("If-Modified-Since", edited.Format(http.TimeFormat))).StatusCode; got != http.StatusNotModified {
				t.Errorf("If-Modified-Since at the edit: got %d, want %d", got, http.StatusNotModified)
			}
			if got := get(t, h, target, hdr("If-None-Match", newETag)).StatusCode; got != http.StatusNotModified {
				t.Errorf("new If-None-Match: got %d, want %d", got, http.StatusNotModified)
			}
			gz := get(t, h, target, hdr("Accept-Encoding", "gzip", "If-None-Match", oldGzipETag))
			if gz.StatusCode != http.StatusOK || !bytes.Equal(gunzip(t, body(t, gz)), newBody) {
				t.Errorf("gzip after the edit: got %d, want 200 with the new bytes", gz.StatusCode)
			}
			if e := gz.Header.Get("ETag"); e == oldGzipETag || e == newETag {
				t.Errorf("gzip ETag after the edit: %q, want a new one of its own", e)
			}

			// The edit undone: the old bytes and ETag again, and a
			// Last-Modified that does not go back.
			s.retitle("chang-e-6-launch.json", "嫦娥六号发射成功 将首次从月球背面采样返回")
			undone := buildTime.Add(4 * time.Hour)
			s.build(undone)
			clock = clock.Add(3 * time.Second)
			resp = get(t, h, target, nil)
			if got := resp.Header.Get("ETag"); got != oldETag {
				t.Errorf("edit undone: ETag %q, want %q as for the same bytes before", got, oldETag)
			}
			if got, want := resp.Header.Get("Last-Modified"), undone.Format(http.TimeFormat); got != want {
				t.Errorf("edit undone: Last-Modified %q, want %q (the bytes changed then)", got, want)
			}

			// The site's manifest gone: nothing is published.
			if err := os.Remove(filepath.Join(s.out, ".feedpub", "manifest.json")); err != nil {
				t.Fatal(err)
			}
			clock = clock.Add(3 * time.Second)
			if got := get(t, h, target, nil).StatusCode; got != http.StatusNotFound {
				t.Errorf("no manifest: got %d, want %d", got, http.StatusNotFound)
			}
		})
	}
}

// cacheControl is what the build asks of caches for a feed: fresh for a
// minute, stale for a schedule period (5 minutes by default) while a
// cache revalidates, a day when the origin fails.
const cacheControl = "public, max-age=60, stale-while-revalidate=300, stale-if-error=86400"

// A feed renamed in the site file answers 301 to its new name in every
// format; a feed that lost its last article is published empty for the
// grace period, then removed and answered 410 Gone.
func TestRenamedAndGone(t *testing.T) {
	s := newSite(t)
	s.extra = "redirects: {tag/old-news: category/world, author/郭婧: index}\n"
	s.build(buildTime.Add(time.Hour))
	clock := buildTime.Add(time.Hour)
	h := serve.New(store.NewFolder(s.out))
	serve.SetClock(h, func() time.Time { return clock })
	for _, c := range []struct{ target, location string }{
		{"/feeds/tag/old-news.rss", "/feeds/category/world.rss"},
		{"/feeds/tag/old-news.json", "/feeds/category/world.json"},
		{"/feeds/author/%E9%83%AD%E5%A9%A7.atom", "/feeds/index.atom"}, // still published: the redirect wins
	} {
		resp := get(t, h, c.target, nil)
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != c.location {
			t.Errorf("%s: %d to %q, want 301 to %q", c.target, resp.StatusCode, resp.Header.Get("Location"), c.location)
		}
		checkAlways(t, resp)
	}

	// The only article of an author goes.
	if err := os.Remove(filepath.Join(s.articles, "table-tennis-world-championships.json")); err != nil {
		t.Fatal(err)
	}
	s.extra = ""
	s.build(buildTime.Add(2 * time.Hour))
	clock = clock.Add(time.Hour)
	target := "/feeds/author/%E9%83%AD%E5%A9%A7.rss"
	resp := get(t, h, target, nil)
	if resp.StatusCode != http.StatusOK || bytes.Contains(body(t, resp), []byte("<item>")) {
		t.Fatalf("retired feed within the grace period: %d, want 200 with no items", resp.StatusCode)
	}
	s.build(buildTime.Add(2*time.Hour + 29*24*time.Hour))
	clock = clock.Add(time.Hour)
	if got := get(t, h, target, nil).StatusCode; got != http.StatusOK {
		t.Errorf("retired feed after 29 days: %d, want 200", got)
	}
	s.build(buildTime.Add(2*time.Hour + 30*24*time.Hour))
	clock = clock.Add(time.Hour)
	for _, ext := range []string{"rss", "atom", "json"} {
		target := "/feeds/author/%E9%83%AD%E5%A9%A7." + ext
		for _, hd := range []http.Header{nil, hdr("Accept-Encoding", "br, gzip")} {
			if got := get(t, h, target, hd).StatusCode; got != http.StatusGone {
				t.Errorf("%s after 30 days, %v: %d, want 410", target, hd, got)
			}
		}
		for _, suffix := range []string{"", ".gz", ".br"} {
			if _, err := os.Stat(filepath.Join(s.out, "feeds", "author", "郭婧."+ext+suffix)); !os.IsNotExist(err) {
				t.Errorf("%s%s still in the published folder (%v)", ext, suffix, err)
			}
		}
	}
	if bytes.Contains(readKey(t, s.out, "feeds.opml"), []byte("郭婧")) {
		t.Error("feeds.opml still lists the removed feed")
	}
	// An article by the same author brings the feed back.
	writeArticle := filepath.Join(s.articles, "back.json")
	doc := `{"id":"back","url":"https://news.example.cn/back","title":"回来了","published":"2024-08-01T08:00:00+08:00","authors":[{"name":"郭婧"}]}`
	if err := os.WriteFile(writeArticle, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	s.build(buildTime.Add(31 * 24 * time.Hour))
	clock = clock.Add(time.Hour)
	if got := get(t, h, target, nil).StatusCode; got != http.StatusOK {
		t.Errorf("the feed back: %d, want 200", got)
	}
}

// objectsDown reads the manifest (its root and shards) and fails every
// other read.
type objectsDown struct{ serve.Source }

func (s objectsDown) GetIfChanged(ctx context.Context, key, version string) (*store.Object, error) {
	if key != ".feedpub/manifest.json" && !strings.HasPrefix(key, ".feedpub/manifest/") {
		return nil, fmt.Errorf("s3: get %s: %w", key, context.DeadlineExceeded)
	}
	return s.Source.GetIfChanged(ctx, key, version)
}

// A body the store cannot give is a 503 no cache keeps; a HEAD needs no
// body, and is answered from the manifest alone.
func TestObjectUnreadable(t *testing.T) {
	dir := published(t)
	h := serve.New(objectsDown{store.NewFolder(dir)}, serve.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	resp := get(t, h, "/feeds/index.rss", hdr("Accept-Encoding", "gzip"))
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("ETag") != "" {
		t.Errorf("GET: %d, Cache-Control %q, ETag %q; want 503, no-store, none", resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("ETag"))
	}
	head := do(t, h, http.MethodHead, "/feeds/index.rss", hdr("Accept-Encoding", "gzip"))
	if head.StatusCode != http.StatusOK || head.Header.Get("Content-Encoding") != "gzip" || head.ContentLength <= 0 {
		t.Errorf("HEAD: %d, %q, length %d; want 200 with the gzip variant's headers", head.StatusCode, head.Header.Get("Content-Encoding"), head.ContentLength)
	}
}
