package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hostileArticles are documents with the URLs that once made Parse panic
// in a build goroutine, which killed a server building in place
// (http://b%C3%BCcher.de/x: slice bounds out of range in checkURL), and
// forms that are refused: each is either published with its host in
// punycode or rejected with a reason.
var hostileArticles = map[string]struct {
	url      string
	accepted string // the URL published; "" when the document is rejected
	reason   string // what the report says of a rejected one
}{
	"hostile-idn.json":          {"http://b%C3%BCcher.de/x", "http://xn--bcher-kva.de/x", ""},
	"hostile-idn-mixed.json":    {"http://b%C3%BCcher.例子.cn:81", "http://xn--bcher-kva.xn--fsqu00a.cn:81", ""},
	"hostile-not-utf8.json":     {"http://%FF.de/", "", "not UTF-8"},
	"hostile-punycode.json":     {"http://xn--/", "", "not valid punycode"},
	"hostile-ipv6.json":         {"http://[::1/", "", "IPv6"},
	"hostile-userinfo.json":     {"http://user:pass@example.com/", "", "user name or password"},
	"hostile-port.json":         {"http://example.com:99999/", "", "outside 1-65535"},
	"hostile-backslash.json":    {"http://a\\b.com/", "", `"\\" in host`},
	"hostile-javascript.json":   {"javascript:alert(1)", "", "absolute http or https URL"},
	"hostile-overlong-idn.json": {"http://%C0%AE.de/", "", "host"},
}

func writeHostile(t *testing.T, articles string) {
	t.Helper()
	for name, h := range hostileArticles {
		doc, err := json.Marshal(map[string]any{
			"id": strings.TrimSuffix(name, ".json"), "url": h.url, "title": "hostile " + name,
			"summary": "a document with a hostile URL", "published": "2024-06-30T10:00:00Z",
			"content_html": `<p><a href="rel/x?y=1">relative</a> <img src="../i.png"></p>`,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(articles, name), doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestInPlaceRebuildHostileURLs: a signed in-place rebuild over a corpus
// with hostile URLs is answered at once (202), the server stays up, the
// build publishes what it accepts and reports every rejection, in
// build-report.json and in the server's log.
func TestInPlaceRebuildHostileURLs(t *testing.T) {
	t.Parallel()
	articles, site, feeds := publishedCopy(t)
	writeHostile(t, articles)
	secret := newSecret()
	s := startServer(t, []string{"-feeds", feeds, "-articles", articles, "-site", site},
		"FEEDPUB_REBUILD_SECRET="+secret, "FEEDPUB_REVALIDATE=100ms")

	a := rawRequest(t, s.addr, signedRebuild(secret, time.Now(), `{"reason":"hostile urls"}`), 10*time.Second)
	if a.status != http.StatusAccepted {
		t.Fatalf("signed rebuild: got %d %q, want 202", a.status, a.body)
	}
	t.Logf("signed rebuild answered 202 in %s", a.elapsed.Round(time.Millisecond))
	if a.elapsed > 2*time.Second {
		t.Errorf("signed rebuild took %s to answer: the build must not run in the request", a.elapsed)
	}
	s.waitLog(t, logBuilt, 1, 90*time.Second)
	s.alive(t)
	if n := s.count(logFailed); n != 0 {
		t.Fatalf("the build failed; stderr:\n%s", s.stderr)
	}

	var rep struct {
		Rejected []struct {
			Key      string `json:"key"`
			Problems []struct{ Field, Reason string }
		} `json:"rejected"`
	}
	data, err := os.ReadFile(filepath.Join(feeds, "build-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, r := range rep.Rejected {
		for _, p := range r.Problems {
			reasons[r.Key] += p.Field + ": " + p.Reason + "; "
		}
	}
	// The served feed, once the server has revalidated.
	var rss string
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(rss, "hostile ") && time.Now().Before(deadline) {
		resp, err := http.Get(s.url + "/feeds/index.rss")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		rss = string(b)
		time.Sleep(100 * time.Millisecond)
	}
	logs := s.stderr.String()
	for name, h := range hostileArticles {
		why, rejected := reasons[name]
		switch {
		case h.accepted != "":
			if rejected {
				t.Errorf("%s (%s): rejected (%s), want it published", name, h.url, why)
			}
			if !strings.Contains(rss, "<link>"+h.accepted+"</link>") {
				t.Errorf("%s: the served feed lacks <link>%s</link>", name, h.accepted)
			}
		case !rejected:
			t.Errorf("%s (%q): not in the report's rejections, want it rejected (%s)", name, h.url, h.reason)
		default:
			if !strings.Contains(why, h.reason) {
				t.Errorf("%s: rejected for %q, want a reason with %q", name, why, h.reason)
			}
			if !strings.Contains(logs, "rebuild: rejected article key="+name) {
				t.Errorf("%s: the server's log does not name the rejected document", name)
			}
		}
	}
	if strings.Contains(logs, secret) {
		t.Errorf("the server's log holds the rebuild key")
	}
}

// TestInPlaceBuildCrash: an in-place build that crashes (here a SIGQUIT,
// which makes the Go runtime dump its goroutines and exit 2, as a panic
// in one of the build's goroutines does) does not take the server with
// it: the failure and the crash's trace go to the log, the server answers,
// and the next signed rebuild is accepted. The child process never holds
// the rebuild key.
func TestInPlaceBuildCrash(t *testing.T) {
	t.Parallel()
	articles, site, feeds := publishedCopy(t)
	secret := newSecret()
	s := startServer(t, []string{"-feeds", feeds, "-articles", articles, "-site", site},
		"FEEDPUB_REBUILD_SECRET="+secret)
	release := holdSite(t, site, "Crashed") // the build waits, caught running

	if a := rawRequest(t, s.addr, signedRebuild(secret, time.Now(), `{"n":1}`), 10*time.Second); a.status != http.StatusAccepted {
		t.Fatalf("signed rebuild: got %d %q, want 202", a.status, a.body)
	}
	child, env := findChild(t, s.cmd.Process.Pid, 20*time.Second)
	if strings.Contains(string(env), secret) || strings.Contains(string(env), "FEEDPUB_REBUILD_SECRET=") {
		t.Errorf("the build child's environment holds the rebuild key")
	}
	// Once its runtime is up (more than one thread: signals are handled
	// by then), not while it is still being exec'd.
	for deadline := time.Now().Add(10 * time.Second); threads(child) < 2 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if err := syscall.Kill(child, syscall.SIGQUIT); err != nil {
		t.Fatalf("crash the build child %d: %v", child, err)
	}
	s.waitLog(t, logFailed, 1, 30*time.Second)
	release() // no reader now: the site file is back, retitled
	s.alive(t)
	logs := s.stderr.String()
	if !strings.Contains(logs, "exit status 2") || !strings.Contains(logs, "goroutine") {
		t.Errorf("the failure's log lacks the exit status or the crash's trace:\n%s", logs)
	}

	// The server goes on taking rebuilds; the next build runs (whether it
	// can publish depends on how far the crashed one got: a catalog it
	// claimed stays claimed until the claim expires).
	if a := rawRequest(t, s.addr, signedRebuild(secret, time.Now(), `{"n":2}`), 10*time.Second); a.status != http.StatusAccepted {
		t.Fatalf("signed rebuild after the crash: got %d %q, want 202", a.status, a.body)
	}
	s.waitLog(t, logStarted, 2, 20*time.Second)
	deadline := time.Now().Add(90 * time.Second)
	for s.count(logBuilt)+s.count(logFailed) < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	s.alive(t)
	// A crash's trace is the child's, in the log, once.
	if n := s.count("SIGQUIT"); n != 1 {
		t.Errorf("SIGQUIT traces in the log: got %d, want 1", n)
	}
}

// findChild returns the pid and the environment of a build child of
// parent, waiting for one to appear.
func findChild(t *testing.T, parent int, within time.Duration) (pid int, env string) {
	t.Helper()
	return findChildWith(t, parent, "", within)
}

// findChildWith returns the pid and the environment of a build child of
// parent whose command line holds arg, waiting for one to appear. A build
// child is one that runs with childEnv set: a child between fork and exec
// shows its parent's environment, and the first exec of a Go process
// forks a probe child (syscall's check for CLONE_PIDFD) that exits at once.
func findChildWith(t *testing.T, parent int, arg string, within time.Duration) (pid int, env string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		entries, err := os.ReadDir("/proc")
		if err != nil {
			t.Fatalf("this test reads /proc (Linux): %v", err)
		}
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
			if err != nil {
				continue
			}
			// pid (comm) state ppid ...: comm may hold spaces, so from the last ')'.
			rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
			if f := strings.Fields(rest); len(f) < 2 || f[1] != strconv.Itoa(parent) {
				continue
			}
			cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			environ, _ := os.ReadFile("/proc/" + e.Name() + "/environ")
			if strings.Contains(string(cmdline), arg) && slices.Contains(strings.Split(string(environ), "\x00"), childEnv+"=1") {
				return pid, string(environ)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no child process of %d within %s", parent, within)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// threads returns how many threads process pid has (0 when it is gone).
func threads(pid int) int {
	tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	return len(tasks)
}

// TestInPlaceQueue: requests that arrive while a build runs share one more
// build after it; stopping the builder stops a build that runs (SIGTERM:
// the child ends its build cleanly, leaving the catalog free for the
// next) and waits for it.
func TestInPlaceQueue(t *testing.T) {
	t.Parallel()
	articles, site, feeds := publishedCopy(t)
	p, err := newInPlace(feeds, articles, site)
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	p.log = slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.loop(ctx)
	count := func(what string) int { return strings.Count(logs.String(), what) }
	settle := func() {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for count(logStarted) == 0 || count(logStarted) != count(logBuilt)+count(logFailed) || len(p.kick) > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("the builds did not end within 90 s:\n%s", logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for range 10 {
		if err := p.start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	settle()
	if n := count(logStarted); n < 1 || n > 2 {
		t.Errorf("builds for 10 requests in a row: got %d, want 1 or 2 (one running, one after it)", n)
	}
	if n := count(logFailed); n != 0 {
		t.Errorf("builds failed:\n%s", logs.String())
	}

	// A build stopped half-way by the server's shutdown: a full one (the
	// site file changed), held until it is caught running.
	release := holdSite(t, site, "Stopped")
	_ = p.start(ctx)
	child, _ := findChildWith(t, os.Getpid(), feeds, 20*time.Second)
	for deadline := time.Now().Add(10 * time.Second); threads(child) < 2 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	release()
	time.Sleep(100 * time.Millisecond) // into the build
	began := time.Now()
	cancel()
	p.wait()
	t.Logf("a build asked to stop ended in %s: %s", time.Since(began).Round(time.Millisecond), lastLine(logs.String()))
	if time.Since(began) > childGrace+2*time.Second {
		t.Errorf("stopping took %s, want at most the grace of %s", time.Since(began), childGrace)
	}
	if count(logBuilt)+count(logFailed) != count(logStarted) {
		t.Errorf("the stopped build logged no outcome:\n%s", logs.String())
	}
	// Whether it stopped before or after committing, the catalog is free.
	buildSiteHere(t, articles, site, feeds)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	last := lines[len(lines)-1]
	return last[:min(len(last), 300)]
}

// holdSite replaces the site file with a named pipe, so that the next
// build blocks reading it for as long as the test needs (a build of the
// example site is over in a few milliseconds, too soon to be caught
// running). release feeds the waiting build the site file with prefix
// before its title (every feed changes: a full build), or, when no build
// is waiting any more, skips that; either way it puts the regular file
// back. It runs at cleanup if the test has not called it.
func holdSite(t *testing.T, site, prefix string) (release func()) {
	t.Helper()
	retitle(t, site, prefix)
	data, err := os.ReadFile(site)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(site); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(site, 0o644); err != nil {
		t.Fatalf("a named pipe for the site file: %v", err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			// Without a reader, a non-blocking open for writing fails (ENXIO).
			if w, err := os.OpenFile(site, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				if _, err := w.Write(data); err != nil {
					t.Errorf("feed the site file to the build: %v", err)
				}
				w.Close()
			}
			tmp := site + ".tmp"
			if err := os.WriteFile(tmp, data, 0o644); err != nil {
				t.Error(err)
			}
			if err := os.Rename(tmp, site); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// retitle puts prefix before the title in the site file: every feed
// changes, and the next build is a full one.
func retitle(t *testing.T, site, prefix string) {
	t.Helper()
	data, err := os.ReadFile(site)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(data), "\ntitle: ", "\ntitle: "+prefix+" ", 1)
	if changed == string(data) {
		t.Fatal("the site file has no title line")
	}
	if err := os.WriteFile(site, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
}
