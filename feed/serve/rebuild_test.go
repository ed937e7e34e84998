package serve

// An internal test: it sets the Rebuild's clock (the unexported now field)
// to check the edges of the timestamp window.

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
)

var testSecret = []byte("publisher's secret")

// rebuildAt returns a Rebuild whose clock stands at now, and the number of
// times it started a build. start fails with startErr when that is not nil;
// logs go to logs when that is not nil.
func rebuildAt(t *testing.T, secret []byte, now time.Time, claims Claimer, startErr error, logs io.Writer) (*Rebuild, *atomic.Int32) {
	t.Helper()
	starts := new(atomic.Int32)
	rb := NewRebuild(secret, func(context.Context) error {
		starts.Add(1)
		return startErr
	}, claims)
	rb.now = func() time.Time { return now }
	if logs == nil {
		logs = io.Discard
	}
	rb.log = slog.New(slog.NewTextHandler(logs, nil))
	return rb, starts
}

// signed returns a POST /rebuild of body with the given timestamp header,
// signed under secret over signedBody.
func signed(secret []byte, ts string, signedBody, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/rebuild", bytes.NewReader(body))
	r.Header.Set(TimestampHeader, ts)
	r.Header.Set(SignatureHeader, "sha256="+hex.EncodeToString(Sign(secret, ts, signedBody)))
	return r
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// clock is the time the tests' Rebuilds read: a whole second, near the real
// time so that MemoryClaims (which expires claims by the real clock) keeps
// them.
func clock() time.Time { return time.Now().Truncate(time.Second) }

// serveRebuild sends r to h and returns the status and body.
func serveRebuild(t *testing.T, h http.Handler, r *http.Request) (*http.Response, string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	resp := w.Result()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// via are the two ways a Rebuild is reached: directly and as the route
// POST /rebuild of the site handler.
var via = []struct {
	name string
	wrap func(rb *Rebuild, t *testing.T) http.Handler
}{
	{"direct", func(rb *Rebuild, _ *testing.T) http.Handler { return rb }},
	{"New", func(rb *Rebuild, t *testing.T) http.Handler {
		return New(store.NewFolder(t.TempDir()), WithRebuild(rb), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	}},
}

func TestRebuildAuthentication(t *testing.T) {
	now := clock()
	ts := unix(now)
	body := []byte(`{"reason":"corrected headline"}`)
	sig := hex.EncodeToString(Sign(testSecret, ts, body))
	big := bytes.Repeat([]byte("x"), 64<<10+1)
	limit := bytes.Repeat([]byte("x"), 64<<10)

	tests := []struct {
		name string
		req  func() *http.Request
		want int
	}{
		{"valid", func() *http.Request { return signed(testSecret, ts, body, body) }, http.StatusAccepted},
		{"valid, empty body", func() *http.Request { return signed(testSecret, ts, nil, nil) }, http.StatusAccepted},
		{"valid, body of exactly 64 KiB", func() *http.Request { return signed(testSecret, ts, limit, limit) }, http.StatusAccepted},
		{"no headers", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/rebuild", bytes.NewReader(body))
		}, http.StatusUnauthorized},
		{"no timestamp", func() *http.Request {
			r := signed(testSecret, ts, body, body)
			r.Header.Del(TimestampHeader)
			return r
		}, http.StatusUnauthorized},
		{"no signature", func() *http.Request {
			r := signed(testSecret, ts, body, body)
			r.Header.Del(SignatureHeader)
			return r
		}, http.StatusUnauthorized},
		{"timestamp not a number", func() *http.Request { return signed(testSecret, "soon", body, body) }, http.StatusUnauthorized},
		{"timestamp with a fraction", func() *http.Request { return signed(testSecret, ts+".5", body, body) }, http.StatusUnauthorized},
		{"timestamp in exponent form", func() *http.Request {
			return signed(testSecret, strconv.FormatFloat(float64(now.Unix()), 'e', -1, 64), body, body)
		}, http.StatusUnauthorized},
		{"timestamp in milliseconds", func() *http.Request {
			return signed(testSecret, strconv.FormatInt(now.UnixMilli(), 10), body, body)
		}, http.StatusUnauthorized},
		{"timestamp beyond int64", func() *http.Request {
			return signed(testSecret, "99999999999999999999", body, body)
		}, http.StatusUnauthorized},
		{"timestamp 5m ahead", func() *http.Request { return signed(testSecret, unix(now.Add(Window)), body, body) }, http.StatusAccepted},
		{"timestamp 5m1s ahead", func() *http.Request {
			return signed(testSecret, unix(now.Add(Window+time.Second)), body, body)
		}, http.StatusUnauthorized},
		{"timestamp 5m behind", func() *http.Request { return signed(testSecret, unix(now.Add(-Window)), body, body) }, http.StatusAccepted},
		{"timestamp 5m1s behind", func() *http.Request {
			return signed(testSecret, unix(now.Add(-Window-time.Second)), body, body)
		}, http.StatusUnauthorized},
		{"signed with another timestamp", func() *http.Request {
			r := signed(testSecret, unix(now.Add(-time.Second)), body, body)
			r.Header.Set(TimestampHeader, ts)
			return r
		}, http.StatusUnauthorized},
		{"wrong secret", func() *http.Request { return signed([]byte("guess"), ts, body, body) }, http.StatusUnauthorized},
		{"signature over another body", func() *http.Request {
			return signed(testSecret, ts, []byte(`{"reason":"other"}`), body)
		}, http.StatusUnauthorized},
		{"body with a trailing newline added", func() *http.Request {
			return signed(testSecret, ts, body, append(bytes.Clone(body), '\n'))
		}, http.StatusUnauthorized},
		// Hex digits are case-insensitive (RFC 4648 §8 writes them in upper
		// case): accepted, and claimed in lower case (see TestRebuildReplay).
		{"signature hex in upper case", func() *http.Request {
			r := signed(testSecret, ts, body, body)
			r.Header.Set(SignatureHeader, "sha256="+strings.ToUpper(sig))
			return r
		}, http.StatusAccepted},
		{"signature without sha256=", func() *http.Request {
			r := signed(testSecret, ts, body, body)
			r.Header.Set(SignatureHeader, sig)
			return r
		}, http.StatusUnauthorized},
		{"signature with sha1=", func() *http.Request {
			r := signed(testSecret, ts, body, body)
			r.Header.Set(SignatureHeader, "sha1="+sig)
			return r
		}, http.StatusUnauthorized},
		{"signature truncated to 16 bytes", func() *http.Request {
			r := signed(testSecret, ts, body, body)
			r.Header.Set(SignatureHeader, "sha256="+sig[:32])
			return r
		}, http.StatusUnauthorized},
		{"signature empty", func() *http.Request {
			r := signed(testSecret, ts, body, body)
			r.Header.Set(SignatureHeader, "sha256=")
			return r
		}, http.StatusUnauthorized},
		{"signature not hex", func() *http.Request {
			r := signed(testSecret, ts, body, body)
			r.Header.Set(SignatureHeader, "sha256="+sig[:63]+"g")
			return r
		}, http.StatusUnauthorized},
		{"signature of odd length", func() *http.Request {
			r := signed(testSecret, ts, body, body)
			r.Header.Set(SignatureHeader, "sha256="+sig+"0")
			return r
		}, http.StatusUnauthorized},
		// Too large to authenticate: 413 tells a publisher why, and
		// nothing a stranger could use; the build does not start.
		{"signed body over 64 KiB", func() *http.Request { return signed(testSecret, ts, big, big) }, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		for _, v := range via {
			t.Run(tt.name+"/"+v.name, func(t *testing.T) {
				rb, starts := rebuildAt(t, testSecret, now, nil, nil, nil)
				resp, got := serveRebuild(t, v.wrap(rb, t), tt.req())
				if resp.StatusCode != tt.want {
					t.Fatalf("status: got %d, want %d (body %q)", resp.StatusCode, tt.want, got)
				}
				wantStarts := int32(0)
				if tt.want == http.StatusAccepted {
					wantStarts = 1
				}
				if n := starts.Load(); n != wantStarts {
					t.Errorf("builds started: got %d, want %d", n, wantStarts)
				}
				if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control: got %q, want no-store", cc)
				}
				switch tt.want {
				case http.StatusAccepted:
					if got != `{"status":"accepted"}`+"\n" {
						t.Errorf("body: got %q, want the accepted status", got)
					}
					if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
						t.Errorf("Content-Type: got %q, want application/json", ct)
					}
				case http.StatusUnauthorized:
					// One answer for every fault: nothing tells a prober
					// which check failed.
					if got != "unauthorized\n" {
						t.Errorf("body: got %q, want %q", got, "unauthorized\n")
					}
				}
			})
		}
	}
}

// TestRebuildEmptySecret: a server configured with no secret refuses
// everything, even requests signed with the empty key.
func TestRebuildEmptySecret(t *testing.T) {
	now := clock()
	ts := unix(now)
	body := []byte(`{}`)
	for name, secret := range map[string][]byte{"nil": nil, "empty": {}} {
		for _, v := range via {
			t.Run(name+"/"+v.name, func(t *testing.T) {
				rb, starts := rebuildAt(t, secret, now, nil, nil, nil)
				for _, key := range [][]byte{nil, testSecret} {
					resp, got := serveRebuild(t, v.wrap(rb, t), signed(key, ts, body, body))
					if resp.StatusCode != http.StatusUnauthorized || got != "unauthorized\n" {
						t.Errorf("signed with %q: got %d %q, want 401 %q", key, resp.StatusCode, got, "unauthorized\n")
					}
				}
				if starts.Load() != 0 {
					t.Errorf("builds started: got %d, want 0", starts.Load())
				}
			})
		}
	}
}

func TestRebuildReplay(t *testing.T) {
	now := clock()
	ts := unix(now)
	body := []byte(`{}`)
	for _, v := range via {
		t.Run(v.name, func(t *testing.T) {
			rb, starts := rebuildAt(t, testSecret, now, nil, nil, nil)
			h := v.wrap(rb, t)
			steps := []struct {
				name string
				req  *http.Request
				want int
			}{
				{"first", signed(testSecret, ts, body, body), http.StatusAccepted},
				{"replay", signed(testSecret, ts, body, body), http.StatusUnauthorized},
				{"replay in upper-case hex", upper(signed(testSecret, ts, body, body)), http.StatusUnauthorized},
				{"replay a minute later", signed(testSecret, ts, body, body), http.StatusUnauthorized},
				{"same body, next second", signed(testSecret, unix(now.Add(time.Second)), body, body), http.StatusAccepted},
			}
			for _, s := range steps {
				if s.name == "replay a minute later" {
					rb.now = func() time.Time { return now.Add(time.Minute) }
				}
				resp, got := serveRebuild(t, h, s.req)
				if resp.StatusCode != s.want {
					t.Errorf("%s: status: got %d, want %d (body %q)", s.name, resp.StatusCode, s.want, got)
				}
			}
			if n := starts.Load(); n != 2 {
				t.Errorf("builds started: got %d, want 2", n)
			}
		})
	}
}

func upper(r *http.Request) *http.Request {
	r.Header.Set(SignatureHeader, "sha256="+strings.ToUpper(strings.TrimPrefix(r.Header.Get(SignatureHeader), "sha256=")))
	return r
}

// TestRebuildStoreClaims has two handlers share one store, as two instances
// of the serve function share the bucket: a request accepted by one is a
// replay to the other.
func TestRebuildStoreClaims(t *testing.T) {
	now := clock()
	ts := unix(now)
	body := []byte(`{"x":1}`)
	dir := t.TempDir()
	claims := StoreClaims{Store: store.NewFolder(dir), Prefix: ".rebuild/"}
	a, startsA := rebuildAt(t, testSecret, now, claims, nil, nil)
	b, startsB := rebuildAt(t, testSecret, now, claims, nil, nil)

	if resp, got := serveRebuild(t, a, signed(testSecret, ts, body, body)); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("first instance: status: got %d, want 202 (body %q)", resp.StatusCode, got)
	}
	if resp, got := serveRebuild(t, b, signed(testSecret, ts, body, body)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("replay to the second instance: status: got %d, want 401 (body %q)", resp.StatusCode, got)
	}
	if resp, got := serveRebuild(t, b, upper(signed(testSecret, ts, body, body))); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("upper-case replay to the second instance: status: got %d, want 401 (body %q)", resp.StatusCode, got)
	}
	if got, want := startsA.Load()+startsB.Load(), int32(1); got != want {
		t.Errorf("builds started: got %d, want %d", got, want)
	}
	claim := filepath.Join(dir, ".rebuild", hex.EncodeToString(Sign(testSecret, ts, body)))
	if _, err := os.Stat(claim); err != nil {
		t.Errorf("claim object: %v", err)
	}

	// A fresh signature still goes through the other instance.
	next := unix(now.Add(time.Second))
	if resp, got := serveRebuild(t, b, signed(testSecret, next, body, body)); resp.StatusCode != http.StatusAccepted {
		t.Errorf("new request to the second instance: status: got %d, want 202 (body %q)", resp.StatusCode, got)
	}
}

func TestStoreClaimsRefusesBadIDs(t *testing.T) {
	claims := StoreClaims{Store: store.NewFolder(t.TempDir()), Prefix: ".rebuild/"}
	for _, id := range []string{"", "../escape", "a/b", ".", "ab.cd"} {
		t.Run(id, func(t *testing.T) {
			ok, err := claims.Claim(context.Background(), id, time.Now().Add(time.Minute))
			if err == nil || ok {
				t.Errorf("Claim(%q): got %v, %v; want false and an error", id, ok, err)
			}
		})
	}
}

// TestRebuildConcurrentReplays sends one request many times at once: exactly
// one is accepted, whichever claims memory is in use.
func TestRebuildConcurrentReplays(t *testing.T) {
	const n = 32
	now := clock()
	ts := unix(now)
	body := []byte(`{"rebuild":"all"}`)
	for _, tt := range []struct {
		name   string
		claims func(t *testing.T) Claimer
	}{
		{"memory", func(*testing.T) Claimer { return NewMemoryClaims() }},
		{"store", func(t *testing.T) Claimer {
			return StoreClaims{Store: store.NewFolder(t.TempDir()), Prefix: ".rebuild/"}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			claims := tt.claims(t)
			// Two handlers over the same claims, as two function instances.
			a, startsA := rebuildAt(t, testSecret, now, claims, nil, nil)
			b, startsB := rebuildAt(t, testSecret, now, claims, nil, nil)
			handlers := []http.Handler{a, New(store.NewFolder(t.TempDir()), WithRebuild(b))}
			var accepted, refused atomic.Int32
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					w := httptest.NewRecorder()
					handlers[i%2].ServeHTTP(w, signed(testSecret, ts, body, body))
					switch w.Code {
					case http.StatusAccepted:
						accepted.Add(1)
					case http.StatusUnauthorized:
						refused.Add(1)
					}
				})
			}
			wg.Wait()
			if got := accepted.Load(); got != 1 {
				t.Errorf("202 answers: got %d, want 1", got)
			}
			if got := refused.Load(); got != n-1 {
				t.Errorf("401 answers: got %d, want %d", got, n-1)
			}
			if got := startsA.Load() + startsB.Load(); got != 1 {
				t.Errorf("builds started: got %d, want 1", got)
			}
		})
	}
}

func TestRebuildStartFails(t *testing.T) {
	now := clock()
	ts := unix(now)
	body := []byte(`{}`)
	startErr := errors.New("invoke arn:aws:lambda:eu-west-1:123456789012:function:feedpub-build: AccessDenied")
	for _, v := range via {
		t.Run(v.name, func(t *testing.T) {
			var logs syncBuffer
			rb, starts := rebuildAt(t, testSecret, now, nil, startErr, &logs)
			resp, got := serveRebuild(t, v.wrap(rb, t), signed(testSecret, ts, body, body))
			if resp.StatusCode != http.StatusBadGateway {
				t.Fatalf("status: got %d, want 502 (body %q)", resp.StatusCode, got)
			}
			if starts.Load() != 1 {
				t.Errorf("builds started: got %d, want 1", starts.Load())
			}
			for _, secret := range []string{"arn:aws", "AccessDenied", "feedpub-build", startErr.Error()} {
				if strings.Contains(got, secret) {
					t.Errorf("body %q tells the client %q", got, secret)
				}
			}
			if !strings.Contains(logs.String(), "AccessDenied") {
				t.Errorf("logs: got %q, want the start error for the operator", logs.String())
			}
		})
	}
}

type failingClaims struct{}

func (failingClaims) Claim(context.Context, string, time.Time) (bool, error) {
	return false, errors.New("put .rebuild/claim in s3://feedpub-site: AccessDenied")
}

func TestRebuildClaimFails(t *testing.T) {
	now := clock()
	ts := unix(now)
	rb, starts := rebuildAt(t, testSecret, now, failingClaims{}, nil, nil)
	resp, got := serveRebuild(t, rb, signed(testSecret, ts, nil, nil))
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status: got %d, want 500 (body %q)", resp.StatusCode, got)
	}
	if strings.Contains(got, "AccessDenied") || strings.Contains(got, "s3://") {
		t.Errorf("body %q tells the client the internal error", got)
	}
	if starts.Load() != 0 {
		t.Errorf("builds started: got %d, want 0", starts.Load())
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSignScript runs infra/sign-rebuild.sh, the command publishers use,
// against a server on loopback with the real clock.
func TestSignScript(t *testing.T) {
	bash := "bash"
	for _, tool := range []string{bash, "openssl", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: install openssl curl (and bash)", tool)
		}
	}
	secret := "s3cr\"et $HOME 'quoted'"
	var starts atomic.Int32
	rb := NewRebuild([]byte(secret), func(context.Context) error { starts.Add(1); return nil }, nil)
	rb.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(New(store.NewFolder(t.TempDir()), WithRebuild(rb)))
	defer srv.Close()

	// The script's environment: the secret, no proxy for loopback, no
	// user's .curlrc.
	env := func(secret string) []string {
		var e []string
		for _, kv := range os.Environ() {
			name, _, _ := strings.Cut(kv, "=")
			switch strings.ToLower(name) {
			case "feedpub_rebuild_secret", "http_proxy", "https_proxy", "all_proxy", "no_proxy", "curl_home":
				continue
			}
			e = append(e, kv)
		}
		e = append(e, "NO_PROXY=*", "no_proxy=*", "CURL_HOME="+t.TempDir())
		if secret != "" {
			e = append(e, "FEEDPUB_REBUILD_SECRET="+secret)
		}
		return e
	}
	run := func(t *testing.T, secret string, args ...string) (stdout, stderr string, err error) {
		t.Helper()
		cmd := exec.Command(bash, append([]string{"../../infra/sign-rebuild.sh"}, args...)...)
		cmd.Env = env(secret)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err = cmd.Run()
		return out.String(), errOut.String(), err
	}

	// Each case has its own body: two runs in the same second with the
	// same body make the same signature, and the second is a replay.
	tests := []struct {
		name       string
		secret     string
		args       []string
		wantStatus string // printed by the script; "" when it prints none
		wantOK     bool
		wantStarts int32
	}{
		{"signed body", secret, []string{srv.URL, `{"x":1}`}, "202", true, 1},
		{"default body", secret, []string{srv.URL}, "202", true, 1},
		{"trailing slash on the URL", secret, []string{srv.URL + "/", `{"x":2}`}, "202", true, 1},
		// Sent byte for byte: not read as a file for its @, trailing
		// newline kept, spaces and non-ASCII kept.
		{"body starting with @ and ending in a newline", secret, []string{srv.URL, "@/etc/hostname 热点 \n"}, "202", true, 1},
		{"wrong secret", "not the secret", []string{srv.URL, `{"x":3}`}, "401", false, 0},
		{"no secret", "", []string{srv.URL, `{"x":4}`}, "", false, 0},
		{"no URL", secret, nil, "", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := starts.Load()
			stdout, stderr, err := run(t, tt.secret, tt.args...)
			if (err == nil) != tt.wantOK {
				t.Errorf("exit: got %v, want success %v (stderr %q)", err, tt.wantOK, stderr)
			}
			if got := strings.TrimSpace(stdout); got != tt.wantStatus {
				t.Errorf("printed status: got %q, want %q (stderr %q)", got, tt.wantStatus, stderr)
			}
			if got := starts.Load() - before; got != tt.wantStarts {
				t.Errorf("builds started: got %d, want %d", got, tt.wantStarts)
			}
		})
	}

	t.Run("dry run", func(t *testing.T) {
		before := starts.Load()
		stdout, stderr, err := run(t, secret, "--dry-run", srv.URL, `{"x":"dry"}`)
		if err != nil {
			t.Fatalf("dry run: %v (stderr %q)", err, stderr)
		}
		if starts.Load() != before {
			t.Fatalf("builds started by a dry run: got %d, want 0", starts.Load()-before)
		}
		for _, want := range []string{"curl ", TimestampHeader, SignatureHeader + ":\\ sha256=", srv.URL + "/rebuild"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("dry run printed %q, want it to contain %q", stdout, want)
			}
		}
		// What it prints is the request: run it.
		cmd := exec.Command(bash, "-c", stdout)
		cmd.Env = env("")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("running the printed command: %v", err)
		}
		if got := strings.TrimSpace(string(out)); got != "202" {
			t.Errorf("printed command: status got %q, want 202", got)
		}
		if got := starts.Load() - before; got != 1 {
			t.Errorf("builds started by the printed command: got %d, want 1", got)
		}
	})
}

// countingReader counts the bytes read from it; it has n of them, or
// fails with err once it has given them.
type countingReader struct {
	n, read int64
	err     error
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.read >= c.n {
		if c.err != nil {
			return 0, c.err
		}
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), c.n-c.read))
	for i := range p[:k] {
		p[i] = 'x'
	}
	c.read += int64(k)
	return k, nil
}

// TestRebuildBodyLimits: a body declared larger than 64 KiB is refused
// (413) before a byte of it is read; one sent without a length is read no
// further than the limit; one that breaks off is 400. None starts a build
// or claims a signature, and the answers say no more than that.
func TestRebuildBodyLimits(t *testing.T) {
	now := clock()
	ts := unix(now)
	for _, tt := range []struct {
		name     string
		body     *countingReader
		declared int64 // Content-Length; -1 unknown
		want     int
		maxRead  int64
	}{
		{"100 MB declared", &countingReader{n: 100 << 20}, 100 << 20, http.StatusRequestEntityTooLarge, 0},
		{"64 KiB + 1 declared", &countingReader{n: 64<<10 + 1}, 64<<10 + 1, http.StatusRequestEntityTooLarge, 0},
		{"100 MB undeclared", &countingReader{n: 100 << 20}, -1, http.StatusRequestEntityTooLarge, 64<<10 + 1 + 32<<10},
		{"broken off", &countingReader{n: 10, err: io.ErrUnexpectedEOF}, -1, http.StatusBadRequest, 10},
		{"broken off, declared", &countingReader{n: 10, err: io.ErrUnexpectedEOF}, 100, http.StatusBadRequest, 10},
	} {
		for _, v := range via {
			t.Run(tt.name+"/"+v.name, func(t *testing.T) {
				body := *tt.body
				claims := NewMemoryClaims()
				rb, starts := rebuildAt(t, testSecret, now, claims, nil, nil)
				r := httptest.NewRequest(http.MethodPost, "/rebuild", &body)
				r.ContentLength = tt.declared
				r.Header.Set(TimestampHeader, ts)
				r.Header.Set(SignatureHeader, "sha256="+strings.Repeat("00", 32))
				resp, got := serveRebuild(t, v.wrap(rb, t), r)
				if resp.StatusCode != tt.want {
					t.Fatalf("status: got %d %q, want %d", resp.StatusCode, got, tt.want)
				}
				if body.read > tt.maxRead {
					t.Errorf("bytes of the body read: %d, want at most %d", body.read, tt.maxRead)
				}
				if starts.Load() != 0 || len(claims.seen) != 0 {
					t.Errorf("builds started %d, signatures claimed %d: want none", starts.Load(), len(claims.seen))
				}
				if want := map[int]string{413: "request body too large\n", 400: "bad request\n"}[tt.want]; got != want {
					t.Errorf("body: got %q, want %q", got, want)
				}
				if resp.Header.Get("Connection") != "close" {
					t.Errorf("Connection: got %q, want close (the rest of the body is not read)", resp.Header.Get("Connection"))
				}
			})
		}
	}
}
