package main

// The serve command as a process: this test binary, started again with
// runMainEnv set, runs main() (built with -race when the tests are), listens
// on loopback and builds in place from a copy of the example site. The
// tests talk to it over TCP as readers and attackers would.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/feedpub/feedpub/feed/publish"
	"github.com/feedpub/feedpub/feed/serve"
)

// runMainEnv makes this test binary run the serve command instead of the
// tests.
const runMainEnv = "FEEDPUB_TEST_RUN_SERVE_MAIN"

func TestMain(m *testing.M) {
	// An in-place build child of such a server is this binary too; main
	// tells the two apart (childEnv).
	if os.Getenv(runMainEnv) == "1" || os.Getenv(childEnv) != "" {
		main()
		os.Exit(0)
	}
	code := m.Run()
	if template.dir != "" {
		os.RemoveAll(template.dir)
	}
	os.Exit(code)
}

// template is the example site published once for every test that
// serves it (a build under -race takes seconds), copied for each.
var template struct {
	once sync.Once
	dir  string // articles/, site.yaml, feeds/
	err  error
}

// publishedCopy returns a fresh copy of the example site (its articles
// and site file, the base URL http://feeds.example) and of the site
// published from it.
func publishedCopy(t *testing.T) (articles, site, feeds string) {
	t.Helper()
	template.once.Do(func() {
		if template.dir, template.err = os.MkdirTemp("", "feedpub-serve-test-"); template.err != nil {
			return
		}
		d := template.dir
		if template.err = os.CopyFS(filepath.Join(d, "articles"), os.DirFS("../../examples/articles")); template.err != nil {
			return
		}
		data, err := os.ReadFile("../../examples/site.yaml")
		if err != nil {
			template.err = err
			return
		}
		data = regexp.MustCompile(`(?m)^base_url:.*$`).ReplaceAll(data, []byte("base_url: http://feeds.example"))
		if template.err = os.WriteFile(filepath.Join(d, "site.yaml"), data, 0o644); template.err != nil {
			return
		}
		b, err := publish.Open(context.Background(), filepath.Join(d, "articles"), filepath.Join(d, "site.yaml"), filepath.Join(d, "feeds"), "")
		if err != nil {
			template.err = err
			return
		}
		_, template.err = b.Run(context.Background())
	})
	if template.err != nil {
		t.Fatalf("publish the example site: %v", template.err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(template.dir)); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "articles"), filepath.Join(dir, "site.yaml"), filepath.Join(dir, "feeds")
}

// buildSiteHere builds articles and site into feeds in this process.
func buildSiteHere(t *testing.T, articles, site, feeds string) {
	t.Helper()
	b, err := publish.Open(context.Background(), articles, site, feeds, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Run(context.Background()); err != nil {
		t.Fatalf("build: %v", err)
	}
}

// newSecret returns a rebuild key no test output could hold by chance.
func newSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "rebuild-key-" + hex.EncodeToString(b)
}

// server is one serve process.
type server struct {
	cmd            *exec.Cmd
	addr           string // host:port
	url            string // http://host:port
	stdout, stderr *lockedBuffer
	exited         chan struct{}
	waitErr        error
}

// startServer runs the serve command with args (-addr is added) and env
// (on top of this process's, without any rebuild key or build function of
// its own), and returns once it listens. It is stopped when the test ends,
// and must then exit cleanly, with no data race reported.
func startServer(t *testing.T, args []string, env ...string) *server {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append(args, "-addr", "127.0.0.1:0")...)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "FEEDPUB_REBUILD_SECRET", "FEEDPUB_REBUILD_SECRET_PARAMETER", "FEEDPUB_BUILD_FUNCTION",
			"FEEDPUB_ADDR", "FEEDPUB_FEEDS", "FEEDPUB_ARTICLES", "FEEDPUB_SITE", "AWS_LAMBDA_RUNTIME_API", childEnv:
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, runMainEnv+"=1")
	cmd.Env = append(cmd.Env, env...)
	s := &server{cmd: cmd, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() { s.stop(t) })
	listening := regexp.MustCompile(`url=http://(127\.0\.0\.1:\d+)/`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listening.FindStringSubmatch(s.stderr.String()); m != nil {
			s.addr, s.url = m[1], "http://"+m[1]
			return s
		}
		select {
		case <-s.exited:
			t.Fatalf("the server exited before listening: %v\nstderr:\n%s", s.waitErr, s.stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not listen within 30 s; stderr:\n%s", s.stderr)
		}
	}
}

// stop asks the server to stop (SIGTERM, as a terminal's Ctrl-C or a
// service manager would) and checks that it did, cleanly.
func (s *server) stop(t *testing.T) {
	t.Helper()
	select {
	case <-s.exited:
	default:
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
			t.Errorf("the server did not stop within 30 s of SIGTERM")
		}
	}
	if s.waitErr != nil {
		t.Errorf("the server exited with %v; stderr:\n%s", s.waitErr, s.stderr)
	}
	s.checkLogs(t)
}

// checkLogs fails the test if the server reported a data race or a panic.
func (s *server) checkLogs(t *testing.T) {
	t.Helper()
	out := s.stderr.String()
	for _, bad := range []string{"WARNING: DATA RACE", "panic:", "fatal error:"} {
		if strings.Contains(out, bad) {
			t.Errorf("the server's stderr reports %q:\n%s", bad, out)
		}
	}
}

// alive fails the test unless the server process runs and answers.
func (s *server) alive(t *testing.T) {
	t.Helper()
	select {
	case <-s.exited:
		t.Fatalf("the server exited: %v\nstderr:\n%s", s.waitErr, s.stderr)
	default:
	}
	resp, err := http.Get(s.url + "/feeds/index.rss")
	if err != nil {
		t.Fatalf("the server does not answer: %v\nstderr:\n%s", err, s.stderr)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /feeds/index.rss: got %d, want 200", resp.StatusCode)
	}
}

// count returns how many lines of the server's stderr contain s.
func (s *server) count(what string) int { return strings.Count(s.stderr.String(), what) }

// waitLog waits until the server's stderr holds n lines containing what.
func (s *server) waitLog(t *testing.T, what string, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for s.count(what) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the server's log does not show %q %d times within %s; stderr:\n%s", what, n, within, s.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Log lines of an in-place build (invoke.go).
const (
	logStarted = "rebuild: build started"
	logBuilt   = "rebuild: built"
	logFailed  = "rebuild: build failed"
)

// signedRebuild returns the raw HTTP/1.1 request of a POST /rebuild of
// body, signed under secret at ts, that closes its connection.
func signedRebuild(secret string, ts time.Time, body string) string {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	sig := hex.EncodeToString(serve.Sign([]byte(secret), stamp, []byte(body)))
	return rebuildRequest(stamp, "sha256="+sig, body)
}

func rebuildRequest(stamp, sig, body string) string {
	var b strings.Builder
	b.WriteString("POST /rebuild HTTP/1.1\r\nHost: feeds.example\r\nConnection: close\r\n")
	if stamp != "" {
		fmt.Fprintf(&b, "%s: %s\r\n", serve.TimestampHeader, stamp)
	}
	if sig != "" {
		fmt.Fprintf(&b, "%s: %s\r\n", serve.SignatureHeader, sig)
	}
	fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	return b.String()
}

// answer is what a raw request got.
type answer struct {
	status  int // 0: the server closed the connection without an answer
	header  http.Header
	body    []byte
	elapsed time.Duration // from the first byte sent to the end of the answer
}

// rawRequest writes request to addr byte for byte and reads one answer,
// within limit.
func rawRequest(t *testing.T, addr, request string, limit time.Duration) answer {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(limit))
	began := time.Now()
	// Written as the answer is read: the server may answer (and stop
	// reading) before it has all of a large request.
	go func() { _, _ = io.WriteString(conn, request) }()
	return readAnswer(t, conn, began, request)
}

func readAnswer(t *testing.T, conn net.Conn, began time.Time, request string) answer {
	t.Helper()
	method, _, _ := strings.Cut(request, " ")
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("no answer within the limit to %.80q", request)
		}
		return answer{elapsed: time.Since(began)} // closed without an answer
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && len(b) == 0 && resp.ContentLength > 0 {
		t.Logf("reading the answer to %.80q: %v", request, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b, elapsed: time.Since(began)}
}

// lockedBuffer is a bytes.Buffer that a process and the test can share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
