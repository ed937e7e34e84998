package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/feedcheck"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/serve"
)

// loadDuration is how long wrk runs.
const loadDuration = 8 * time.Second

// TestUnderLoad runs wrk (two threads, 16 connections, for loadDuration)
// against the serve process while an article keeps changing and signed
// in-place rebuilds publish each change. Every answer must be a 200 whose
// body is as long as its Content-Length says (wrk's Lua checks each);
// sampled answers must be complete, valid feeds once decoded (strict
// encoding/xml, JSON Feed 1.1 fields) whose ETag is the hash of their
// bytes; wrk must see no socket error; and the server must report no data
// race (it is built with -race when the tests are).
func TestUnderLoad(t *testing.T) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Fatal("wrk not found: apt-get install wrk")
	}
	t.Parallel()
	articles, site, feeds := publishedCopy(t)
	secret := newSecret()
	s := startServer(t, []string{"-feeds", feeds, "-articles", articles, "-site", site},
		"FEEDPUB_REBUILD_SECRET="+secret, "FEEDPUB_REVALIDATE=200ms")

	// Every published feed and archive page; the site-wide feeds, which
	// every change rewrites, several times over.
	served, err := feedcheck.Site(context.Background(), store.NewFolder(feeds))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for key := range served {
		_, _, isFeed := layout.FeedName(key)
		_, _, _, isPage := layout.ArchiveName(key)
		if isFeed || isPage {
			paths = append(paths, escapeKey(key))
		}
	}
	sort.Strings(paths)
	for range 10 {
		paths = append(paths, "/feeds/index.rss", "/feeds/index.atom", "/feeds/index.json")
	}
	dir := t.TempDir()
	pathsFile := filepath.Join(dir, "paths.txt")
	if err := os.WriteFile(pathsFile, []byte(strings.Join(paths, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	samples := filepath.Join(dir, "samples")
	if err := os.Mkdir(samples, 0o755); err != nil {
		t.Fatal(err)
	}
	before := etagOf(t, s.url+"/feeds/index.rss")

	// The changes: one article edited, then a signed rebuild, waiting for
	// each build to end before the next edit.
	stop := make(chan struct{})
	var changer sync.WaitGroup
	var edits, accepted int
	changer.Go(func() {
		doc := filepath.Join(articles, "ai-in-agriculture-drones.json")
		orig, err := os.ReadFile(doc)
		if err != nil {
			t.Error(err)
			return
		}
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			var m map[string]any
			if err := json.Unmarshal(orig, &m); err != nil {
				t.Error(err)
				return
			}
			m["title"] = fmt.Sprintf("%s (edit %d)", m["title"], i)
			m["updated"] = time.Now().UTC().Format(time.RFC3339)
			b, _ := json.Marshal(m)
			if err := os.WriteFile(doc, b, 0o644); err != nil {
				t.Error(err)
				return
			}
			edits++
			built := s.count(logBuilt) + s.count(logFailed)
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			body := fmt.Sprintf(`{"edit":%d}`, i)
			req, _ := http.NewRequest(http.MethodPost, s.url+"/rebuild", strings.NewReader(body))
			req.Header.Set(serve.TimestampHeader, ts)
			req.Header.Set(serve.SignatureHeader, "sha256="+fmt.Sprintf("%x", serve.Sign([]byte(secret), ts, []byte(body))))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("rebuild %d: %v", i, err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				t.Errorf("rebuild %d: got %d, want 202", i, resp.StatusCode)
				return
			}
			accepted++
			for deadline := time.Now().Add(30 * time.Second); s.count(logBuilt)+s.count(logFailed) <= built && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
		}
	})

	script, err := filepath.Abs("testdata/load.lua")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(wrk, "-t2", "-c16", "-d"+loadDuration.String(), "--timeout", "10s",
		"-s", script, s.url+"/", "--", pathsFile, samples)
	var wrkOut, wrkErr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &wrkOut, &wrkErr
	runErr := cmd.Run()
	builtUnderLoad := s.count(logBuilt)
	close(stop)
	changer.Wait()
	if runErr != nil {
		t.Fatalf("wrk: %v\n%s%s", runErr, wrkOut.String(), wrkErr.String())
	}
	t.Logf("wrk:\n%s", wrkOut.String())
	m := regexp.MustCompile(`CHECKED requests=(\d+) responses=(\d+) failures=(\d+) samples=(\d+) connect=(\d+) read=(\d+) write=(\d+) status=(\d+) timeout=(\d+)`).FindStringSubmatch(wrkOut.String())
	if m == nil {
		t.Fatalf("wrk printed no summary of the script's checks")
	}
	n := make([]int, len(m))
	for i := 1; i < len(m); i++ {
		n[i], _ = strconv.Atoi(m[i])
	}
	requests, responses, failures, sampled := n[1], n[2], n[3], n[4]
	socketErrors := n[5] + n[6] + n[7] + n[9]
	t.Logf("under load: %d requests, %d answers checked, %d failures, %d socket errors (connect %d, read %d, write %d, timeout %d), %d non-2xx/3xx; %d edits, %d rebuilds accepted, %d published during the load, %d in all, %d failed",
		requests, responses, failures, socketErrors, n[5], n[6], n[7], n[9], n[8], edits, accepted, builtUnderLoad, s.count(logBuilt), s.count(logFailed))
	if failures != 0 || socketErrors != 0 || n[8] != 0 {
		var why []string
		files, _ := filepath.Glob(filepath.Join(samples, "failures-*.txt"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			why = append(why, strings.Split(strings.TrimSpace(string(b)), "\n")[:min(5, strings.Count(string(b), "\n"))]...)
		}
		t.Errorf("failed answers: %d, socket errors: %d, non-2xx/3xx: %d; first failures: %q", failures, socketErrors, n[8], why)
	}
	if responses < 1000 {
		t.Errorf("only %d answers in %s", responses, loadDuration)
	}
	// Builds under -race on a busy machine take seconds: one published
	// while wrk runs is the least asked for.
	if builtUnderLoad < 1 {
		t.Errorf("in-place builds published during the load: got none")
	}
	if n := s.count(logFailed); n != 0 {
		t.Errorf("in-place builds failed: %d; stderr:\n%s", n, s.stderr)
	}
	if after := etagOf(t, s.url+"/feeds/index.rss"); after == before {
		t.Errorf("feeds/index.rss has the ETag it had before the edits (%s): the changes were not served", after)
	}

	// The saved answers, parsed strictly and hashed.
	checked, etags := checkSamples(t, samples)
	if checked != sampled || checked < 100 {
		t.Errorf("samples checked: %d of the %d saved (want at least 100)", checked, sampled)
	}
	t.Logf("%d sampled answers: complete, valid feeds, each ETag the hash of its bytes; %d distinct ETags", checked, etags)
	s.checkLogs(t)
}

// escapeKey is the path of key in a request: each segment percent-encoded.
func escapeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "/" + strings.Join(segs, "/")
}

func etagOf(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.Header.Get("ETag")
}

// checkSamples checks every answer wrk saved in dir: its ETag is the hash
// of its bytes as sent, and decoded they are a feed that strict parsers
// read whole. It returns how many it checked and how many distinct ETags
// they had.
func checkSamples(t *testing.T, dir string) (checked, etags int) {
	t.Helper()
	heads, err := filepath.Glob(filepath.Join(dir, "sample-*.head"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, h := range heads {
		head, err := os.ReadFile(h)
		if err != nil {
			t.Fatal(err)
		}
		body, err := os.ReadFile(strings.TrimSuffix(h, ".head") + ".body")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(head), "\n")
		if len(lines) < 4 {
			t.Errorf("%s: %q", h, head)
			continue
		}
		status, etag, coding, ctype := lines[0], lines[1], lines[2], lines[3]
		name := filepath.Base(h)
		if status != "200" {
			t.Errorf("%s: status %s", name, status)
			continue
		}
		if want := `"` + store.Hash(body)[:32] + `"`; etag != want {
			t.Errorf("%s: ETag %s, but its %d bytes hash to %s", name, etag, len(body), want)
		}
		seen[etag] = true
		doc := body
		switch coding {
		case "gzip":
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err == nil {
				doc, err = io.ReadAll(zr)
			}
			if err != nil {
				t.Errorf("%s: gzip: %v", name, err)
				continue
			}
		case "br":
			if doc, err = io.ReadAll(brotli.NewReader(bytes.NewReader(body))); err != nil {
				t.Errorf("%s: brotli: %v", name, err)
				continue
			}
		case "identity":
		default:
			t.Errorf("%s: Content-Encoding %q", name, coding)
			continue
		}
		switch {
		case strings.Contains(ctype, "json"):
			var jf struct {
				Version string            `json:"version"`
				Title   string            `json:"title"`
				Items   []json.RawMessage `json:"items"`
			}
			if err := json.Unmarshal(doc, &jf); err != nil {
				t.Errorf("%s: JSON: %v", name, err)
			} else if jf.Version != "https://jsonfeed.org/version/1.1" || jf.Title == "" || jf.Items == nil {
				t.Errorf("%s: not a JSON Feed 1.1 (version %q, title %q)", name, jf.Version, jf.Title)
			}
		case strings.Contains(ctype, "xml"):
			if err := feedcheck.WellFormed(doc); err != nil {
				t.Errorf("%s: %v", name, err)
			} else if !bytes.Contains(doc, []byte("<rss")) && !bytes.Contains(doc, []byte("<feed")) {
				t.Errorf("%s: XML that is neither RSS nor Atom", name)
			}
		default:
			t.Errorf("%s: Content-Type %q is no feed's", name, ctype)
		}
		checked++
	}
	return checked, len(seen)
}
