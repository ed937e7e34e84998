package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdaurl"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/serve"
)

// functionURL is the serve function as Lambda runs it: the handler run()
// makes, behind lambdaurl and recovered, taking Function URL events
// (payload version 2.0). starts counts the builds it starts.
type functionURL struct {
	invoke func(context.Context, *events.LambdaFunctionURLRequest) (*events.LambdaFunctionURLStreamingResponse, error)
	starts atomic.Int32
	logs   lockedBuffer
}

func newFunctionURL(t *testing.T, feeds, secret string) *functionURL {
	t.Helper()
	f := &functionURL{}
	src := store.NewFolder(feeds)
	log := slog.New(slog.NewTextHandler(&f.logs, nil))
	rb := serve.NewRebuild([]byte(secret), func(context.Context) error { f.starts.Add(1); return nil },
		serve.StoreClaims{Store: src, Prefix: layout.ClaimsDir})
	f.invoke = lambdaurl.Wrap(recovered(serve.New(src, serve.WithRebuild(rb), serve.WithLogger(log))))
	return f
}

// event is a Function URL event as Lambda delivers it, decoded from JSON.
func event(t *testing.T, method, rawPath, rawQuery string, headers map[string]string, body []byte, b64 bool) *events.LambdaFunctionURLRequest {
	t.Helper()
	ev := map[string]any{
		"version": "2.0", "rawPath": rawPath, "rawQueryString": rawQuery, "headers": headers,
		"requestContext": map[string]any{
			"domainName": "abcdefghij.lambda-url.eu-west-1.on.aws", "requestId": "test",
			"http": map[string]any{"method": method, "path": rawPath, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1"},
		},
		"isBase64Encoded": b64,
	}
	if b64 {
		ev["body"] = base64.StdEncoding.EncodeToString(body)
	} else {
		ev["body"] = string(body)
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var req events.LambdaFunctionURLRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		t.Fatal(err)
	}
	return &req
}

type lambdaAnswer struct {
	status  int
	headers map[string]string
	body    []byte
	err     error
	elapsed time.Duration
}

func (f *functionURL) send(t *testing.T, ev *events.LambdaFunctionURLRequest) lambdaAnswer {
	t.Helper()
	began := time.Now()
	resp, err := f.invoke(context.Background(), ev)
	if err != nil {
		return lambdaAnswer{err: err, elapsed: time.Since(began)}
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return lambdaAnswer{status: resp.StatusCode, headers: resp.Headers, body: b, elapsed: time.Since(began)}
}

// TestFunctionURLAttacks sends the attacks that apply to a Function URL
// (whose requests Lambda has read whole, at most 6 MB) through lambdaurl:
// the same refusals as the local server, no build started by any, the key
// in no answer, no error and no log.
func TestFunctionURLAttacks(t *testing.T) {
	t.Parallel()
	_, _, feeds := publishedCopy(t)
	secret := newSecret()
	f := newFunctionURL(t, feeds, secret)
	report, err := os.ReadFile(filepath.Join(feeds, "build-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	forbidden := [][]byte{[]byte(secret), []byte(`"built_at"`), []byte(`"objects"`), []byte("三季度经济形势展望"), []byte("新年贺词")}
	var answers [][]byte
	check := func(name string, a lambdaAnswer, want int) {
		t.Helper()
		if a.err != nil {
			t.Errorf("%s: the function failed: %v", name, a.err)
			return
		}
		if a.status != want {
			t.Errorf("%s: got %d %.80q, want %d", name, a.status, a.body, want)
		}
		if want == http.StatusUnauthorized && string(a.body) != "unauthorized\n" {
			t.Errorf("%s: body %q, want a bare 401", name, a.body)
		}
		if a.elapsed > time.Second {
			t.Errorf("%s: answered in %s", name, a.elapsed)
		}
		for _, b := range forbidden {
			if bytes.Contains(a.body, b) || strings.Contains(fmt.Sprint(a.headers), string(b)) {
				t.Errorf("%s: the answer holds %q", name, b)
			}
		}
		answers = append(answers, a.body)
		t.Logf("%-36s %d in %s", name, a.status, a.elapsed.Round(time.Microsecond))
	}

	now := time.Now()
	stamp := strconv.FormatInt(now.Unix(), 10)
	body := []byte(`{"reason":"function url"}`)
	signed := func(secret, stamp string, signedBody []byte) map[string]string {
		return map[string]string{
			"x-feedpub-timestamp": stamp,
			"x-feedpub-signature": "sha256=" + hex.EncodeToString(serve.Sign([]byte(secret), stamp, signedBody)),
			"content-type":        "application/json",
		}
	}
	stale := strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10)
	future := strconv.FormatInt(now.Add(10*time.Minute).Unix(), 10)
	big := bytes.Repeat([]byte("x"), 6<<20) // a Function URL's largest payload
	for _, tt := range []struct {
		name    string
		headers map[string]string
		body    []byte
		b64     bool
		want    int
	}{
		{"no signature", map[string]string{}, body, false, http.StatusUnauthorized},
		{"wrong secret", signed("not-"+secret, stamp, body), body, false, http.StatusUnauthorized},
		{"stale timestamp", signed(secret, stale, body), body, false, http.StatusUnauthorized},
		{"future timestamp", signed(secret, future, body), body, false, http.StatusUnauthorized},
		{"tampered body", signed(secret, stamp, body), []byte(`{"reason":"tampered"}`), false, http.StatusUnauthorized},
		{"tampered body, base64", signed(secret, stamp, body), []byte(`{"reason":"tampered"}`), true, http.StatusUnauthorized},
		{"6 MB body", signed(secret, stamp, big), big, false, http.StatusRequestEntityTooLarge},
		{"6 MB body, base64", signed(secret, stamp, big), big, true, http.StatusRequestEntityTooLarge},
	} {
		check(tt.name, f.send(t, event(t, http.MethodPost, "/rebuild", "", tt.headers, tt.body, tt.b64)), tt.want)
	}
	if n := f.starts.Load(); n != 0 {
		t.Errorf("builds started by refused requests: %d", n)
	}
	claims, _ := os.ReadDir(filepath.Join(feeds, layout.ClaimsDir))
	if len(claims) != 0 {
		t.Errorf("claims written by refused requests: %d", len(claims))
	}
	// One good request (base64, as a Function URL sends a binary body),
	// then its replays.
	good := event(t, http.MethodPost, "/rebuild", "", signed(secret, stamp, body), body, true)
	check("signed", f.send(t, good), http.StatusAccepted)
	check("replay", f.send(t, event(t, http.MethodPost, "/rebuild", "", signed(secret, stamp, body), body, true)), http.StatusUnauthorized)
	check("replay, not base64", f.send(t, event(t, http.MethodPost, "/rebuild", "", signed(secret, stamp, body), body, false)), http.StatusUnauthorized)
	if n := f.starts.Load(); n != 1 {
		t.Errorf("builds started by a request and its replays: got %d, want 1", n)
	}

	// Paths after what is not published, as Function URLs pass them: the
	// raw path as the client wrote it.
	for _, p := range []string{
		"/build-report.json", "/.feedpub/manifest.json", "/.rebuild/x", "/feeds/index.rss.gz",
		"/feeds/../build-report.json", "/feeds/%2e%2e/build-report.json", "/feeds/..%2fbuild-report.json",
		"/feeds/..%5cbuild-report.json", "/feeds/..\\build-report.json", "/feeds/%252e%252e/build-report.json",
		"/feeds/%c0%ae%c0%ae/build-report.json", "/feeds/index.rss%00", "//build-report.json",
		"/feeds//index.rss", "/./build-report.json", "/articles/draft-q3-economic-outlook.json",
		"/feeds/%e0%80%ae%e0%80%ae/.feedpub/manifest.json",
	} {
		check("GET "+p, f.send(t, event(t, http.MethodGet, p, "", map[string]string{}, nil, false)), http.StatusNotFound)
	}
	// What lambdaurl cannot make a request of fails the invocation (the
	// Function URL answers 502), naming nothing of the site.
	for _, p := range []string{"/feeds/%zz.rss", "/feeds/index.rss%"} {
		a := f.send(t, event(t, http.MethodGet, p, "", map[string]string{}, nil, false))
		if a.err == nil && a.status != http.StatusBadRequest && a.status != http.StatusNotFound {
			t.Errorf("GET %s: got %d, want an error or 400/404", p, a.status)
		}
		if a.err != nil && strings.Contains(a.err.Error(), secret) {
			t.Errorf("GET %s: the error holds the key", p)
		}
	}
	check("64 KB path", f.send(t, event(t, http.MethodGet, "/feeds/"+strings.Repeat("a", 64<<10)+".rss", "", map[string]string{}, nil, false)), http.StatusRequestURITooLong)
	check("64 KB query", f.send(t, event(t, http.MethodGet, "/feeds/index.rss", strings.Repeat("a", 64<<10), map[string]string{}, nil, false)), http.StatusRequestURITooLong)
	var tags []string
	for i := range 3000 {
		tags = append(tags, fmt.Sprintf(`"%032x"`, i))
	}
	cur := f.send(t, event(t, http.MethodGet, "/feeds/index.json", "", map[string]string{}, nil, false))
	etag := cur.headers["Etag"]
	if cur.status != http.StatusOK || etag == "" {
		t.Fatalf("GET /feeds/index.json: %d, ETag %q", cur.status, etag)
	}
	check("If-None-Match of 3,000 tags", f.send(t, event(t, http.MethodGet, "/feeds/index.json", "",
		map[string]string{"if-none-match": strings.Join(tags, ", ")}, nil, false)), http.StatusOK)
	check("If-None-Match: the current, then 3,000 tags", f.send(t, event(t, http.MethodGet, "/feeds/index.json", "",
		map[string]string{"if-none-match": etag + ", " + strings.Join(tags, ", "), "a-im": "feed, " + strings.Repeat("x, ", 10000)}, nil, false)), http.StatusNotModified)
	// Beyond what the server reads of the list: the full feed.
	check("If-None-Match: 3,000 tags, then the current", f.send(t, event(t, http.MethodGet, "/feeds/index.json", "",
		map[string]string{"if-none-match": strings.Join(tags, ", ") + ", " + etag, "a-im": strings.Repeat("x, ", 10000) + "feed"}, nil, false)), http.StatusOK)

	got, err := os.ReadFile(filepath.Join(feeds, "build-report.json"))
	if err != nil || !bytes.Equal(got, report) {
		t.Errorf("build-report.json changed")
	}
	if strings.Contains(f.logs.String(), secret) {
		t.Errorf("the log holds the key")
	}
}

// TestRecovered: a handler that panics under lambdaurl gets a 500 and a
// log line, and the process goes on (lambdaurl does not recover).
func TestRecovered(t *testing.T) {
	var logs lockedBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(prev)
	invoke := lambdaurl.Wrap(recovered(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/late" {
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, "partial")
		}
		var items []string
		_ = items[len(r.URL.Path)] // out of range: panics
	})))
	for _, tt := range []struct {
		path   string
		status int
		body   string
	}{
		{"/early", http.StatusInternalServerError, "internal error\n"},
		{"/late", http.StatusOK, "partial"}, // the head was sent: the body ends there
	} {
		resp, err := invoke(context.Background(), event(t, http.MethodGet, tt.path, "", map[string]string{}, nil, false))
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tt.status || string(b) != tt.body {
			t.Errorf("%s: got %d %q, want %d %q", tt.path, resp.StatusCode, b, tt.status, tt.body)
		}
	}
	if n := strings.Count(logs.String(), "serve: handler panicked"); n != 2 {
		t.Errorf("panics logged: got %d, want 2:\n%s", n, logs.String())
	}
}
