package main

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/serve"
)

// attackSite is a published copy of the example site served by a server
// process that builds in place and takes signed rebuilds.
type attackSite struct {
	s                *server
	secret           string
	articles, feeds  string
	report, manifest []byte // as published before the attacks
	// forbidden are byte strings no answer may hold: internal files,
	// drafts and articles that are not published, the key.
	forbidden map[string][]byte

	mu      sync.Mutex
	answers [][]byte // every answer's head and body, for the key check
}

func newAttackSite(t *testing.T) *attackSite {
	t.Helper()
	articles, site, feeds := publishedCopy(t)
	// Internal state that must never be served, beside the published site.
	writeTestFile(t, filepath.Join(feeds, ".rebuild", "planted"), "PLANTED-CLAIM")
	writeTestFile(t, filepath.Join(feeds, "feeds", ".hidden.rss"), "PLANTED-DOTFILE")
	writeTestFile(t, filepath.Join(filepath.Dir(feeds), "outside.rss"), "PLANTED-OUTSIDE")
	a := &attackSite{secret: newSecret(), articles: articles, feeds: feeds}
	a.report = readTestFile(t, filepath.Join(feeds, "build-report.json"))
	a.manifest = readTestFile(t, filepath.Join(feeds, ".feedpub", "manifest.json"))
	a.forbidden = map[string][]byte{
		"the build report":     []byte(`"built_at"`),
		"the manifest":         []byte(`"objects"`),
		"a planted claim":      []byte("PLANTED-CLAIM"),
		"a dot-file":           []byte("PLANTED-DOTFILE"),
		"a file outside":       []byte("PLANTED-OUTSIDE"),
		"the rebuild key":      []byte(a.secret),
		"a draft":              []byte("编委会会议纪要"),
		"another draft":        []byte("三季度经济形势展望"),
		"an embargoed article": []byte("新年贺词"),
		"a deleted article":    []byte("某工厂违规排污调查"),
		"an article document":  []byte(`"content_html"`),
	}
	a.s = startServer(t, []string{"-feeds", feeds, "-articles", articles, "-site", site},
		"FEEDPUB_REBUILD_SECRET="+a.secret)
	return a
}

func writeTestFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readTestFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// send writes a raw request, records the answer for the key check and
// returns it.
func (a *attackSite) send(t *testing.T, request string, limit time.Duration) answer {
	t.Helper()
	ans := rawRequest(t, a.s.addr, request, limit)
	a.record(ans)
	return ans
}

func (a *attackSite) record(ans answer) {
	var b bytes.Buffer
	_ = ans.header.Write(&b)
	b.Write(ans.body)
	a.mu.Lock()
	a.answers = append(a.answers, b.Bytes())
	a.mu.Unlock()
}

// leaks fails the test when an answer holds something forbidden.
func (a *attackSite) leaks(t *testing.T, what string, ans answer) {
	t.Helper()
	for name, b := range a.forbidden {
		if bytes.Contains(ans.body, b) || bytes.Contains([]byte(fmt.Sprint(ans.header)), b) {
			t.Errorf("%s: the answer holds %s (%q)", what, name, b)
		}
	}
}

// untouched fails the test when a build ran: no build started, the report
// and manifest as published, no claim written.
func (a *attackSite) untouched(t *testing.T) {
	t.Helper()
	if n := a.s.count(logStarted); n != 0 {
		t.Errorf("builds started: got %d, want none", n)
	}
	if !bytes.Equal(readTestFile(t, filepath.Join(a.feeds, "build-report.json")), a.report) {
		t.Errorf("build-report.json changed: a build ran")
	}
	if !bytes.Equal(readTestFile(t, filepath.Join(a.feeds, ".feedpub", "manifest.json")), a.manifest) {
		t.Errorf("the manifest changed: a build ran")
	}
	claims, _ := os.ReadDir(filepath.Join(a.feeds, ".rebuild"))
	if len(claims) != 1 { // the planted one
		t.Errorf("claims written: got %d, want none", len(claims)-1)
	}
}

// TestAttacks tries the attacks of issue 9 against the serve process over
// TCP: forged, stale, replayed, tampered, oversized and trickled rebuild
// requests; paths and request targets after internal files; malformed and
// oversized request lines and headers; huge If-None-Match and A-IM
// lists. Each is refused quickly, none starts a build, no answer holds
// what is not published, and the key appears in no answer and no log.
func TestAttacks(t *testing.T) {
	t.Parallel()
	a := newAttackSite(t)
	t.Run("rebuild refusals", func(t *testing.T) { a.rebuildRefusals(t) })
	t.Run("slow and large bodies", func(t *testing.T) { a.slowAndLarge(t) })
	t.Run("paths", func(t *testing.T) { a.paths(t) })
	t.Run("request lines and headers", func(t *testing.T) { a.malformed(t) })
	t.Run("conditional lists", func(t *testing.T) { a.lists(t) })
	a.s.alive(t)
	a.untouched(t)

	// Last, one good request and its replay: one build, exactly.
	good := signedRebuild(a.secret, time.Now(), `{"reason":"attacks done"}`)
	if ans := a.send(t, good, 10*time.Second); ans.status != http.StatusAccepted {
		t.Fatalf("signed rebuild: got %d %q, want 202", ans.status, ans.body)
	}
	for i := range 3 {
		if ans := a.send(t, good, 10*time.Second); ans.status != http.StatusUnauthorized || string(ans.body) != "unauthorized\n" {
			t.Errorf("replay %d: got %d %q, want a bare 401", i+1, ans.status, ans.body)
		}
	}
	a.s.waitLog(t, logBuilt, 1, 90*time.Second)
	time.Sleep(300 * time.Millisecond) // would a replay have started another?
	if n := a.s.count(logStarted); n != 1 {
		t.Errorf("builds started by a request and its replays: got %d, want 1", n)
	}
	a.s.alive(t)

	// The key in no answer, no log line, no output.
	key := []byte(a.secret)
	for _, b := range a.answers {
		if bytes.Contains(b, key) {
			t.Errorf("an answer holds the rebuild key: %.200q", b)
		}
	}
	if strings.Contains(a.s.stderr.String(), a.secret) || strings.Contains(a.s.stdout.String(), a.secret) {
		t.Errorf("the server's output holds the rebuild key")
	}
	t.Logf("%d answers checked for the key", len(a.answers))
}

func (a *attackSite) rebuildRefusals(t *testing.T) {
	now := time.Now()
	body := `{"reason":"corrected headline"}`
	stamp := strconv.FormatInt(now.Unix(), 10)
	sig := func(secret, stamp, body string) string {
		return "sha256=" + hex.EncodeToString(serve.Sign([]byte(secret), stamp, []byte(body)))
	}
	huge := strings.Repeat("f", 60<<10)
	for _, tt := range []struct{ name, request string }{
		{"no signature", rebuildRequest("", "", body)},
		{"no timestamp", rebuildRequest("", sig(a.secret, stamp, body), body)},
		{"wrong secret", rebuildRequest(stamp, sig("not-"+a.secret, stamp, body), body)},
		{"empty secret", rebuildRequest(stamp, sig("", stamp, body), body)},
		{"stale timestamp", signedRebuild(a.secret, now.Add(-10*time.Minute), body)},
		{"future timestamp", signedRebuild(a.secret, now.Add(10*time.Minute), body)},
		{"timestamp of another signature", rebuildRequest(strconv.FormatInt(now.Unix()-1, 10), sig(a.secret, stamp, body), body)},
		{"tampered body", rebuildRequest(stamp, sig(a.secret, stamp, body), `{"reason":"tampered"}`)},
		{"body with a byte added", rebuildRequest(stamp, sig(a.secret, stamp, body), body+" ")},
		{"signature of another body", rebuildRequest(stamp, sig(a.secret, stamp, "{}"), body)},
		{"signature truncated", rebuildRequest(stamp, sig(a.secret, stamp, body)[:40], body)},
		{"signature without sha256=", rebuildRequest(stamp, strings.TrimPrefix(sig(a.secret, stamp, body), "sha256="), body)},
		{"signature of 60 KB", rebuildRequest(stamp, "sha256="+huge, body)},
		{"the key as the signature", rebuildRequest(stamp, "sha256="+a.secret, body)},
		{"the key as the timestamp", rebuildRequest(a.secret, sig(a.secret, a.secret, body), body)},
		{"GET /rebuild signed", strings.Replace(signedRebuild(a.secret, now, ""), "POST", "GET", 1)},
	} {
		ans := a.send(t, tt.request, 10*time.Second)
		want := http.StatusUnauthorized
		if strings.HasPrefix(tt.name, "GET") {
			want = http.StatusMethodNotAllowed
		}
		if ans.status != want || want == http.StatusUnauthorized && string(ans.body) != "unauthorized\n" {
			t.Errorf("%s: got %d %q, want %d (a bare 401 for a signature)", tt.name, ans.status, ans.body, want)
		}
		if ans.elapsed > time.Second {
			t.Errorf("%s: answered in %s, want under a second", tt.name, ans.elapsed)
		}
		a.leaks(t, tt.name, ans)
		t.Logf("%-32s %d in %s", tt.name, ans.status, ans.elapsed.Round(time.Microsecond))
	}
	a.untouched(t)
}

// slowAndLarge sends the bodies that would hold a connection or fill
// memory: 100 MB declared, 100 MB chunked, one byte a second; and headers
// one byte a second. Each is cut off in bounded time and starts nothing.
func (a *attackSite) slowAndLarge(t *testing.T) {
	const hundredMB = 100 << 20
	var wg sync.WaitGroup
	for _, tt := range []struct {
		name string
		run  func(t *testing.T) (answer, int64)
		want int // 0: the connection is closed without an answer
		max  time.Duration
	}{
		{"100 MB body, Content-Length", func(t *testing.T) (answer, int64) {
			head := fmt.Sprintf("POST /rebuild HTTP/1.1\r\nHost: x\r\nX-Feedpub-Timestamp: %d\r\nX-Feedpub-Signature: sha256=00\r\nContent-Length: %d\r\n\r\n", time.Now().Unix(), hundredMB)
			return a.stream(t, head, hundredMB, nil)
		}, http.StatusRequestEntityTooLarge, 2 * time.Second},
		{"100 MB body, chunked", func(t *testing.T) (answer, int64) {
			head := "POST /rebuild HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
			return a.stream(t, head, hundredMB, func(b []byte) []byte {
				return append(append([]byte(strconv.FormatInt(int64(len(b)), 16)+"\r\n"), b...), "\r\n"...)
			})
		}, http.StatusRequestEntityTooLarge, 2 * time.Second},
		{"100 MB body, signed headers", func(t *testing.T) (answer, int64) {
			good := signedRebuild(a.secret, time.Now(), "x")
			head := strings.Replace(good[:strings.Index(good, "\r\n\r\n")+4], "Content-Length: 1", "Content-Length: "+strconv.Itoa(hundredMB), 1)
			return a.stream(t, head, hundredMB, nil)
		}, http.StatusRequestEntityTooLarge, 2 * time.Second},
		{"body one byte a second", func(t *testing.T) (answer, int64) {
			head := fmt.Sprintf("POST /rebuild HTTP/1.1\r\nHost: x\r\nX-Feedpub-Timestamp: %d\r\nX-Feedpub-Signature: sha256=00\r\nContent-Length: 64\r\n\r\n", time.Now().Unix())
			return a.trickle(t, head, strings.Repeat("x", 64))
		}, http.StatusRequestTimeout, serve.BodyTimeout + 2*time.Second},
		// The server's ReadHeaderTimeout (5 s); net/http answers 400.
		{"headers one byte a second", func(t *testing.T) (answer, int64) {
			return a.trickle(t, "", "POST /rebuild HTTP/1.1\r\nHost: x\r\nX-Feedpub-Timestamp: 1\r\n\r\n")
		}, http.StatusBadRequest, 5*time.Second + 2*time.Second},
	} {
		wg.Go(func() {
			ans, sent := tt.run(t)
			a.record(ans)
			if ans.status != tt.want {
				t.Errorf("%s: got %d %q, want %d", tt.name, ans.status, ans.body, tt.want)
			}
			if ans.elapsed > tt.max {
				t.Errorf("%s: cut off after %s, want within %s", tt.name, ans.elapsed, tt.max)
			}
			a.leaks(t, tt.name, ans)
			t.Logf("%-28s %d after %s, %d bytes written after the head (into the socket, not all read)", tt.name, ans.status, ans.elapsed.Round(time.Millisecond), sent)
		})
	}
	wg.Wait()
	a.s.alive(t)
	a.untouched(t)
}

// stream sends head, then up to n bytes of body (each block framed by
// frame when it is not nil) as fast as the server takes them, and returns
// the answer and how many body bytes were written by then.
func (a *attackSite) stream(t *testing.T, head string, n int64, frame func([]byte) []byte) (answer, int64) {
	conn, err := net.DialTimeout("tcp", a.s.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	began := time.Now()
	var sent atomic.Int64
	go func() {
		if _, err := io.WriteString(conn, head); err != nil {
			return
		}
		block := bytes.Repeat([]byte("x"), 32<<10)
		for sent.Load() < n {
			b := block
			if frame != nil {
				b = frame(block)
			}
			if _, err := conn.Write(b); err != nil {
				return
			}
			sent.Add(int64(len(block)))
		}
	}()
	ans := readAnswer(t, conn, began, head)
	return ans, sent.Load()
}

// trickle sends head at once and then rest one byte a second until the
// server answers or closes the connection.
func (a *attackSite) trickle(t *testing.T, head, rest string) (answer, int64) {
	conn, err := net.DialTimeout("tcp", a.s.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	began := time.Now()
	var sent atomic.Int64
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		if _, err := io.WriteString(conn, head); err != nil {
			return
		}
		for i := 0; i < len(rest); i++ {
			if _, err := conn.Write([]byte{rest[i]}); err != nil {
				return
			}
			sent.Add(1)
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
			}
		}
	}()
	ans := readAnswer(t, conn, began, "POST")
	return ans, sent.Load()
}

// paths asks for what is not published, with every encoding trick of
// issue 9: all 404, nothing internal in any answer.
func (a *attackSite) paths(t *testing.T) {
	targets := []string{
		"/build-report.json",
		"/.feedpub/manifest.json",
		"/.feedpub/",
		"/.feedpub/deltas/feeds/index.rss",
		"/.rebuild/planted",
		"/feeds/.hidden.rss",
		"/feeds/index.rss.gz",
		"/feeds/index.rss.br",
		"/index.html.gz",
		// dot segments, plain and percent-encoded, in every case
		"/feeds/../build-report.json",
		"/feeds/../.feedpub/manifest.json",
		"/feeds/%2e%2e/build-report.json",
		"/feeds/%2E%2E/.feedpub/manifest.json",
		"/feeds/.%2e/build-report.json",
		"/feeds/%2e./build-report.json",
		"/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
		"/feeds/../../outside.rss",
		"/feeds/%2e%2e/%2e%2e/outside.rss",
		"/./build-report.json",
		"/feeds/./index.rss",
		"/%2e/build-report.json",
		// encoded slashes and backslashes
		"/feeds/..%2fbuild-report.json",
		"/feeds/..%2F.feedpub%2Fmanifest.json",
		"/feeds%2f..%2fbuild-report.json",
		"/%2ffeeds/index.rss",
		"/feeds/..%5cbuild-report.json",
		"/feeds/..%5C..%5Coutside.rss",
		"/feeds/..\\build-report.json",
		"/feeds\\..\\build-report.json",
		// double and triple encoding
		"/feeds/%252e%252e/build-report.json",
		"/feeds/%252e%252e%252fbuild-report.json",
		"/feeds/%25252e%25252e/build-report.json",
		"/..%252f..%252fbuild-report.json",
		"/feeds/%%32%65%%32%65/build-report.json",
		// overlong UTF-8 for '.', '/' and '\'
		"/feeds/%c0%ae%c0%ae/build-report.json",
		"/feeds/%c0%ae%c0%ae%c0%afbuild-report.json",
		"/feeds/%e0%80%ae%e0%80%ae/build-report.json",
		"/feeds/%f0%80%80%ae%f0%80%80%ae/build-report.json",
		"/feeds/..%c0%afbuild-report.json",
		"/feeds/..%c1%9cbuild-report.json",
		"/feeds/%c0%2e%c0%2e/build-report.json",
		// NUL and other control characters, encoded
		"/feeds/index.rss%00",
		"/feeds/index.rss%00.html",
		"/feeds/%00/../../build-report.json",
		"/build-report.json%00.rss",
		"/feeds/index%0d%0a.rss",
		// doubled and trailing slashes, listings
		"//build-report.json",
		"/feeds//index.rss",
		"/feeds/index.rss/",
		"/feeds/",
		"/feeds/category/",
		"/archive/",
		"/assets/",
		"/feeds",
		// articles and drafts, which the server never had
		"/articles/draft-q3-economic-outlook.json",
		"/../articles/draft-q3-economic-outlook.json",
		"/feeds/../../articles/draft-editorial-board-notes.json",
		"/draft-q3-economic-outlook.json",
		"/feeds/draft-q3-economic-outlook.rss",
	}
	var forms []string
	for _, p := range targets {
		forms = append(forms, "GET "+p)
	}
	// Absolute-form request targets (RFC 9112 §3.2.2), which proxies use:
	// the path is what counts.
	for _, abs := range []string{
		"http://feeds.example/build-report.json",
		"http://feeds.example/.feedpub/manifest.json",
		"http://feeds.example/feeds/../build-report.json",
		"http://feeds.example/feeds/%2e%2e/build-report.json",
		"http://127.0.0.1/..%2fbuild-report.json",
		"https://evil.example/.rebuild/planted",
		"http://feeds.example//build-report.json",
		"http://user:pass@feeds.example/build-report.json",
		"file:///etc/passwd",
		"file:///build-report.json",
	} {
		forms = append(forms, "GET "+abs)
	}
	for _, p := range []string{"/build-report.json", "/.feedpub/manifest.json", "/feeds/%2e%2e/build-report.json"} {
		forms = append(forms, "HEAD "+p)
	}
	var slowest time.Duration
	for _, f := range forms {
		ans := a.send(t, f+" HTTP/1.1\r\nHost: feeds.example\r\nConnection: close\r\n\r\n", 10*time.Second)
		if ans.status != http.StatusNotFound && ans.status != http.StatusBadRequest {
			t.Errorf("%s: got %d, want 404 (or 400)", f, ans.status)
		}
		a.leaks(t, f, ans)
		slowest = max(slowest, ans.elapsed)
	}
	t.Logf("%d request targets after internal files: all refused, slowest in %s", len(forms), slowest.Round(time.Microsecond))
	if slowest > time.Second {
		t.Errorf("slowest refusal took %s", slowest)
	}

	// The same feed asked for properly, in absolute form and with a query
	// that tries a path, is the feed.
	want := readTestFile(t, filepath.Join(a.feeds, "feeds", "index.rss"))
	for _, f := range []string{"GET /feeds/index.rss", "GET http://feeds.example/feeds/index.rss", "GET /feeds/index.rss?../../build-report.json"} {
		ans := a.send(t, f+" HTTP/1.1\r\nHost: feeds.example\r\nConnection: close\r\n\r\n", 10*time.Second)
		if ans.status != http.StatusOK || !bytes.Equal(ans.body, want) {
			t.Errorf("%s: got %d and %d bytes, want 200 and the %d bytes of the feed", f, ans.status, len(ans.body), len(want))
		}
		if got, wantTag := ans.header.Get("ETag"), `"`+store.Hash(ans.body)[:32]+`"`; got != wantTag {
			t.Errorf("%s: ETag %s, want %s (the hash of the bytes)", f, got, wantTag)
		}
	}
}

// malformed sends request lines and headers no client sends: each gets an
// error status (or the connection closed) at once.
func (a *attackSite) malformed(t *testing.T) {
	long := strings.Repeat("a", 64<<10)
	longer := strings.Repeat("a", 80<<10)
	var many, manySmall strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&many, "X-Header-%d: value-%d\r\n", i, i)
	}
	for i := range 2000 {
		fmt.Fprintf(&manySmall, "X-%d: v\r\n", i)
	}
	for _, tt := range []struct {
		name, request string
		want          []int // acceptable statuses; 0: closed without an answer
	}{
		// Within the server's 64 KB of headers (and its 4 KB of slack) a
		// target longer than serve.MaxTarget is 414; beyond them, 431.
		{"64 KB URL", "GET /feeds/" + long + ".rss HTTP/1.1\r\nHost: x\r\n\r\n", []int{http.StatusRequestURITooLong}},
		{"64 KB URL of dot segments", "GET /feeds" + strings.Repeat("/%2e%2e", 9000) + "/build-report.json HTTP/1.1\r\nHost: x\r\n\r\n", []int{http.StatusRequestURITooLong}},
		{"64 KB query", "GET /feeds/index.rss?" + long + " HTTP/1.1\r\nHost: x\r\n\r\n", []int{http.StatusRequestURITooLong}},
		{"80 KB URL", "GET /feeds/" + longer + ".rss HTTP/1.1\r\nHost: x\r\n\r\n", []int{http.StatusRequestHeaderFieldsTooLarge}},
		{"64 KB header value", "GET /feeds/index.rss HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Long: " + long + "\r\n\r\n", []int{http.StatusOK}},
		{"80 KB header value", "GET /feeds/index.rss HTTP/1.1\r\nHost: x\r\nX-Long: " + longer + "\r\n\r\n", []int{http.StatusRequestHeaderFieldsTooLarge}},
		{"5,000 headers", "GET /feeds/index.rss HTTP/1.1\r\nHost: x\r\n" + many.String() + "\r\n", []int{http.StatusRequestHeaderFieldsTooLarge}},
		{"2,000 small headers", "GET /feeds/index.rss HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + manySmall.String() + "\r\n", []int{http.StatusOK}},
		{"raw NUL in the path", "GET /feeds/\x00index.rss HTTP/1.1\r\nHost: x\r\n\r\n", []int{http.StatusBadRequest, http.StatusNotFound}},
		{"raw NUL in a header", "GET /feeds/index.rss HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", []int{http.StatusBadRequest}},
		{"raw CR in the path", "GET /feeds/\rindex.rss HTTP/1.1\r\nHost: x\r\n\r\n", []int{http.StatusBadRequest}},
		{"space in the path", "GET /feeds/ index.rss HTTP/1.1\r\nHost: x\r\n\r\n", []int{http.StatusBadRequest}},
		{"no version", "GET /feeds/index.rss\r\nHost: x\r\n\r\n", []int{http.StatusBadRequest}},
		{"HTTP/9.9", "GET /feeds/index.rss HTTP/9.9\r\nHost: x\r\n\r\n", []int{http.StatusBadRequest, http.StatusHTTPVersionNotSupported}},
		{"HTTP/0.9 style", "GET /feeds/index.rss\r\n\r\n", []int{http.StatusBadRequest}},
		{"no Host", "GET /feeds/index.rss HTTP/1.1\r\n\r\n", []int{http.StatusBadRequest}},
		{"two Hosts", "GET /feeds/index.rss HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", []int{http.StatusBadRequest}},
		{"binary request line", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 HTTP/1.1\r\n\r\n", []int{http.StatusBadRequest, 0}},
		{"lower-case method", "get /feeds/index.rss HTTP/1.1\r\nHost: x\r\n\r\n", []int{http.StatusMethodNotAllowed, http.StatusBadRequest}},
		{"unknown method", "PROPFIND /feeds/ HTTP/1.1\r\nHost: x\r\n\r\n", []int{http.StatusMethodNotAllowed}},
		{"CONNECT", "CONNECT feeds.example:443 HTTP/1.1\r\nHost: feeds.example:443\r\n\r\n", []int{http.StatusMethodNotAllowed, http.StatusBadRequest}},
		{"header without colon", "GET /feeds/index.rss HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n", []int{http.StatusBadRequest}},
		{"obsolete line folding", "GET /feeds/index.rss HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-A: a\r\n b\r\n\r\n", []int{http.StatusOK, http.StatusBadRequest}},
		{"Content-Length twice", "POST /rebuild HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", []int{http.StatusBadRequest}},
		{"Content-Length and chunked", "POST /rebuild HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", []int{http.StatusBadRequest, http.StatusUnauthorized}},
		{"negative Content-Length", "POST /rebuild HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", []int{http.StatusBadRequest}},
		{"bad chunk size", "POST /rebuild HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n", []int{http.StatusBadRequest}},
		{"unknown transfer coding", "POST /rebuild HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", []int{http.StatusNotImplemented, http.StatusBadRequest}},
		{"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", []int{http.StatusOK, http.StatusNoContent}}, // net/http answers it
	} {
		ans := a.send(t, tt.request, 10*time.Second)
		ok := false
		for _, w := range tt.want {
			ok = ok || ans.status == w
		}
		if !ok {
			t.Errorf("%s: got %d, want one of %v", tt.name, ans.status, tt.want)
		}
		if ans.elapsed > time.Second {
			t.Errorf("%s: answered in %s, want under a second", tt.name, ans.elapsed)
		}
		a.leaks(t, tt.name, ans)
		t.Logf("%-28s %d in %s", tt.name, ans.status, ans.elapsed.Round(time.Microsecond))
	}
	a.s.alive(t)
}

// lists sends If-None-Match and A-IM headers of tens of kilobytes, as one
// field and as thousands: answered in bounded time, as RFC 9110 says for
// what the server reads of them (serve.MaxListBytes).
func (a *attackSite) lists(t *testing.T) {
	first := a.send(t, "GET /feeds/index.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 10*time.Second)
	current := first.header.Get("ETag")
	if first.status != http.StatusOK || current == "" {
		t.Fatalf("GET /feeds/index.json: %d, ETag %q", first.status, current)
	}
	var tags []string
	for i := 0; len(strings.Join(tags, ", ")) < 56<<10; i++ {
		tags = append(tags, fmt.Sprintf(`"%032x"`, i))
	}
	list := strings.Join(tags, ", ")
	half := strings.Join(tags[:len(tags)/2], ", ")
	var lines strings.Builder
	for i := range 1200 {
		fmt.Fprintf(&lines, "If-None-Match: \"%032x\"\r\n", i)
	}
	ims := strings.Repeat("vcdiff, diffe;q=0.5, ", 1400)
	req := func(header string) string {
		return "GET /feeds/index.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + header + "\r\n"
	}
	for _, tt := range []struct {
		name, request string
		want          int
	}{
		// Only the first serve.MaxListBytes of a list are read: a tag
		// beyond them is not, and the request gets the full feed.
		{"If-None-Match of 56 KB, no match", req("If-None-Match: " + list + "\r\n"), http.StatusOK},
		{"If-None-Match of 56 KB, match first", req("If-None-Match: " + current + ", " + list + "\r\n"), http.StatusNotModified},
		{"If-None-Match of 56 KB, match last", req("If-None-Match: " + list + ", " + current + "\r\n"), http.StatusOK},
		{"1,200 If-None-Match fields", req(lines.String()), http.StatusOK},
		{"1,200 If-None-Match fields, match first", req("If-None-Match: " + current + "\r\n" + lines.String()), http.StatusNotModified},
		{"If-None-Match of 56 KB of garbage", req("If-None-Match: " + strings.Repeat(`W/"`, 19<<10) + "\r\n"), http.StatusOK},
		{"If-None-Match of 56 KB of commas", req("If-None-Match: " + strings.Repeat(", ", 28<<10) + current + "\r\n"), http.StatusOK},
		{"A-IM of 29 KB, If-None-Match of 28 KB", req("A-IM: " + ims + "\r\nIf-None-Match: " + half + "\r\n"), http.StatusOK},
		{"A-IM of 29 KB, feed first", req("A-IM: feed, " + ims + "\r\nIf-None-Match: " + current + ", " + half + "\r\n"), http.StatusNotModified},
		{"If-Match of 56 KB", req("If-Match: " + list + "\r\n"), http.StatusPreconditionFailed},
		{"Accept-Encoding of 56 KB", req("Accept-Encoding: " + strings.Repeat("x;q=0.5, ", 6<<10) + "gzip\r\n"), http.StatusOK},
	} {
		ans := a.send(t, tt.request, 10*time.Second)
		if ans.status != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, ans.status, tt.want)
		}
		if ans.elapsed > time.Second {
			t.Errorf("%s: answered in %s, want under a second", tt.name, ans.elapsed)
		}
		t.Logf("%-40s %d in %s", tt.name, ans.status, ans.elapsed.Round(time.Microsecond))
	}
}
