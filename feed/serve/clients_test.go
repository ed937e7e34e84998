package serve_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/feedcheck"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/serve"
)

// Real readers, over HTTP on loopback: python3-feedparser (Debian's, as
// readers run it) and Varnish as a cache; make test installs both.
const (
	debianPython = "/usr/bin/python3"
	varnishd     = "/usr/sbin/varnishd"
)

// rawClient asks for codings itself and sees bodies as sent.
var rawClient = &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}

// fetch GETs url with rawClient.
func fetch(t *testing.T, url string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	return ask(t, rawClient, http.MethodGet, url, header)
}

// publishedFeeds lists the keys of the feeds and archive pages the site's
// manifest names, read as plain JSON (not through the package that wrote
// it).
func publishedFeeds(t *testing.T, dir string) []string {
	t.Helper()
	readJSON := func(key string, v any) {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(key)))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(key, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
	}
	var root struct {
		Shards []string `json:"shards"`
	}
	readJSON(layout.Manifest, &root)
	objects := map[string]json.RawMessage{}
	for _, name := range root.Shards {
		if name == "" {
			continue
		}
		var m struct {
			Objects map[string]json.RawMessage `json:"objects"`
		}
		readJSON(layout.ManifestDir+name+".json.gz", &m)
		for k, o := range m.Objects {
			objects[k] = o
		}
	}
	var keys []string
	archives := 0
	for k := range objects {
		if _, _, ok := layout.FeedName(k); ok {
			keys = append(keys, k)
		}
		if _, _, _, ok := layout.ArchiveName(k); ok {
			keys = append(keys, k)
			archives++
		}
	}
	sort.Strings(keys)
	if len(keys) < 30 || archives < 6 {
		t.Fatalf("the manifest names %d feeds and archive pages (%d archive pages), want the example site's", len(keys), archives)
	}
	return keys
}

// checkFeed parses a feed document strictly, by its format, and returns
// its item count.
func checkFeed(t *testing.T, key string, body []byte) int {
	t.Helper()
	if strings.HasSuffix(key, ".json") {
		var jf struct {
			Version string `json:"version"`
			Title   string `json:"title"`
			Items   []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		if err := json.Unmarshal(body, &jf); err != nil {
			t.Errorf("%s: JSON: %v", key, err)
		}
		if jf.Version != "https://jsonfeed.org/version/1.1" || jf.Title == "" || jf.Items == nil {
			t.Errorf("%s: JSON Feed 1.1 needs version, title and items: %q %q %v", key, jf.Version, jf.Title, jf.Items == nil)
		}
		for i, it := range jf.Items {
			if it.ID == "" {
				t.Errorf("%s: item %d has no id", key, i)
			}
		}
	} else if err := feedcheck.WellFormed(body); err != nil {
		t.Errorf("%s: encoding/xml: %v", key, err)
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		t.Errorf("%s: gofeed: %v", key, err)
		return -1
	}
	return len(f.Items)
}

// Every published feed, in every coding, fetched over HTTP, decoded by
// other decoders than the build's and parsed strictly; then the polls of
// a reader: If-None-Match, then If-Modified-Since alone.
func TestReadersOverHTTP(t *testing.T) {
	dir := published(t)
	srv := httptest.NewServer(serve.New(store.NewFolder(dir)))
	defer srv.Close()
	items := map[string]int{}
	for _, key := range publishedFeeds(t, dir) {
		want := readKey(t, dir, key)
		url := srv.URL + "/" + escapePath(key)
		for _, coding := range []string{"identity", "gzip", "br"} {
			resp, raw := fetch(t, url, hdr("Accept-Encoding", coding))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s (%s): %d", key, coding, resp.StatusCode)
			}
			got := raw
			if enc := resp.Header.Get("Content-Encoding"); enc != "" {
				if enc != coding {
					t.Errorf("%s: asked %s, got %s", key, coding, enc)
				}
				got = decode(t, enc, raw)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s (%s): %d bytes, want the %d published", key, coding, len(got), len(want))
			}
			n := checkFeed(t, key, got)
			items[key] = n

			etag, lastMod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
			r304, b304 := fetch(t, url, hdr("Accept-Encoding", coding, "If-None-Match", etag))
			if r304.StatusCode != http.StatusNotModified || len(b304) != 0 {
				t.Errorf("%s (%s): If-None-Match: %d with %d bytes, want an empty 304", key, coding, r304.StatusCode, len(b304))
			}
			for _, h := range []string{"ETag", "Cache-Control", "Vary", "Access-Control-Allow-Origin"} {
				if r304.Header.Get(h) != resp.Header.Get(h) {
					t.Errorf("%s (%s): 304 %s %q, want the 200's %q", key, coding, h, r304.Header.Get(h), resp.Header.Get(h))
				}
			}
			if r, _ := fetch(t, url, hdr("Accept-Encoding", coding, "If-Modified-Since", lastMod)); r.StatusCode != http.StatusNotModified {
				t.Errorf("%s (%s): If-Modified-Since: %d, want 304", key, coding, r.StatusCode)
			}
		}
	}

	// python3-feedparser reads the RSS and Atom feeds as a reader would,
	// and polls them with what it was told.
	var urls []string
	for key := range items {
		if !strings.HasSuffix(key, ".json") { // feedparser reads no JSON Feed
			urls = append(urls, srv.URL+"/"+escapePath(key))
		}
	}
	sort.Strings(urls)
	cmd := exec.Command(debianPython, append([]string{"testdata/reader.py"}, urls...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3-feedparser (%s, Debian's python3-feedparser; make test installs it): %v", debianPython, err)
	}
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		var r struct {
			URL                           string
			Status, StatusETag, StatusMod int
			Bozo                          bool
			BozoException                 string `json:"bozo_exception"`
			Entries                       int
			Version                       string
			Encoding                      string
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		var raw map[string]any
		_ = json.Unmarshal(sc.Bytes(), &raw)
		r.StatusETag, _ = toInt(raw["status_etag"])
		r.StatusMod, _ = toInt(raw["status_modified"])
		seen++
		key := strings.TrimPrefix(unescapePath(t, strings.TrimPrefix(r.URL, srv.URL)), "/")
		if r.Status != http.StatusOK || r.Bozo || r.Version == "" {
			t.Errorf("feedparser: %s: status %d, bozo %v (%s), version %q", key, r.Status, r.Bozo, r.BozoException, r.Version)
		}
		if r.Entries != items[key] {
			t.Errorf("feedparser: %s: %d entries, gofeed %d", key, r.Entries, items[key])
		}
		// Archive pages are not precompressed: served as they are.
		_, _, _, archive := layout.ArchiveName(key)
		if r.Encoding == "" && !archive {
			t.Errorf("feedparser: %s: asked for a coding and got none", key)
		}
		if r.StatusETag != http.StatusNotModified || r.StatusMod != http.StatusNotModified {
			t.Errorf("feedparser: %s: polls with its ETag and with its Last-Modified: %d and %d, want 304 and 304", key, r.StatusETag, r.StatusMod)
		}
	}
	if seen != len(urls) {
		t.Errorf("feedparser answered for %d feeds of %d", seen, len(urls))
	}
}

func toInt(v any) (int, bool) {
	f, ok := v.(float64)
	return int(f), ok
}

func escapePath(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = (&urlPath{s}).escaped()
	}
	return strings.Join(segs, "/")
}

type urlPath struct{ s string }

func (p *urlPath) escaped() string {
	var b strings.Builder
	for _, c := range []byte(p.s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func unescapePath(t *testing.T, p string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) {
			var c byte
			if _, err := fmt.Sscanf(p[i+1:i+3], "%02X", &c); err != nil {
				t.Fatal(err)
			}
			b.WriteByte(c)
			i += 2
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// Varnish in front of the server caches the feeds as their headers allow:
// a second request is a hit, revalidation gives 304s, and a reader that
// takes no coding gets the feed's bytes.
func TestCacheableThroughVarnish(t *testing.T) {
	dir := published(t)
	origin := httptest.NewServer(serve.New(store.NewFolder(dir)))
	defer origin.Close()
	cache := startVarnish(t, "-b", strings.TrimPrefix(origin.URL, "http://"))
	hit := regexp.MustCompile(`^\d+ \d+$`) // X-Varnish: this request's id and the cached object's
	for _, key := range []string{"feeds/index.rss", "feeds/index.atom", "feeds/index.json", "feeds.opml", "index.html"} {
		want := readKey(t, dir, key)
		url := cache + "/" + key
		first, _ := fetch(t, url, hdr("Accept-Encoding", "gzip"))
		second, raw := fetch(t, url, hdr("Accept-Encoding", "gzip"))
		if first.StatusCode != http.StatusOK || second.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d then %d", key, first.StatusCode, second.StatusCode)
		}
		if x := second.Header.Get("X-Varnish"); !hit.MatchString(x) {
			t.Errorf("%s: second request not a cache hit (X-Varnish %q, Cache-Control %q)", key, x, first.Header.Get("Cache-Control"))
		}
		if got := decode(t, "gzip", raw); !bytes.Equal(got, want) {
			t.Errorf("%s: cached gzip body does not decode to the published bytes", key)
		}
		if second.Header.Get("ETag") != first.Header.Get("ETag") {
			t.Errorf("%s: ETag changed in the cache: %q, %q", key, first.Header.Get("ETag"), second.Header.Get("ETag"))
		}
		if r, _ := fetch(t, url, hdr("Accept-Encoding", "gzip", "If-None-Match", first.Header.Get("ETag"))); r.StatusCode != http.StatusNotModified {
			t.Errorf("%s: If-None-Match through the cache: %d, want 304", key, r.StatusCode)
		}
		plain, body := fetch(t, url, nil)
		if plain.StatusCode != http.StatusOK || plain.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, want) {
			t.Errorf("%s: without Accept-Encoding through the cache: %d, %q, %d bytes; want the %d published bytes", key,
				plain.StatusCode, plain.Header.Get("Content-Encoding"), len(body), len(want))
		}
	}
}

// startVarnish starts varnishd on a free loopback port with args (-b
// ORIGIN, or -f VCL), waits until it answers, and returns its URL. It is
// stopped when the test ends.
func startVarnish(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := os.Stat(varnishd); err != nil {
		t.Fatalf("varnishd (Debian's varnish; make test installs it): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	work := t.TempDir()
	cmd := exec.Command(varnishd, append([]string{"-F", "-a", addr, "-n", work, "-s", "malloc,32m", "-p", "default_ttl=0"}, args...)...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("varnishd:\n%s", logs.String())
		}
	})
	cache := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := rawClient.Get(cache + "/"); err == nil {
			resp.Body.Close()
			return cache
		}
		if time.Now().After(deadline) {
			t.Fatalf("varnishd did not answer on %s", addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
