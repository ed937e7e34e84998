// Package e2e runs the Lambda functions as built bootstrap binaries under the
// AWS Lambda Runtime Interface Emulator, against a real S3-compatible server
// (versitygw) on loopback, with real event JSON.
package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/mmcdole/gofeed"

	"github.com/feedpub/feedpub/content/store/s3test"
	"github.com/feedpub/feedpub/feed/feedcheck"
)

// bootstraps holds the two functions built once for every test, as SAM
// builds them: static, -tags lambda.norpc, for this machine's architecture.
var bootstraps = map[string]string{}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "feedpub-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		for _, fn := range []string{"build", "serve"} {
			out := filepath.Join(dir, fn, "bootstrap")
			cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, "../"+fn)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
			if b, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "build %s bootstrap: %v\n%s", fn, err, b)
				return 1
			}
			bootstraps[fn] = out
		}
		return m.Run()
	}()
	os.Exit(code)
}

// function is one bootstrap running under the emulator.
type function struct {
	url string
	cmd *exec.Cmd // the emulator
	mu  sync.Mutex
	log bytes.Buffer
}

func (f *function) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.log.Write(p)
}

func (f *function) logs() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.log.String()
}

// startFunction runs bootstrap under aws-lambda-rie with env added to this
// process's environment. Both emulator addresses are set: their defaults
// clash with each other and with other tests.
func startFunction(t testing.TB, bootstrap string, env []string) *function {
	t.Helper()
	rie := s3test.Binary(t, "aws-lambda-rie")
	addr := "127.0.0.1:" + s3test.FreePort(t)
	f := &function{url: "http://" + addr + "/2015-03-31/functions/function/invocations"}
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr,
		"--runtime-api-address", "127.0.0.1:"+s3test.FreePort(t), bootstrap)
	cmd.Env = append(cleanEnv(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	f.cmd = cmd
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("emulator log of %s:\n%s", filepath.Base(filepath.Dir(bootstrap)), f.logs())
		}
	})
	s3test.WaitHTTP(t, "http://"+addr+"/", 10*time.Second)
	return f
}

// cleanEnv is this process's environment without anything that would steer
// the functions elsewhere.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "FEEDPUB_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// invoke posts an event and returns the raw answer: the handler's JSON, an
// {"errorMessage":…} document for a handler error, or a streamed Function URL
// response.
func (f *function) invoke(t testing.TB, event []byte) []byte {
	t.Helper()
	resp, err := http.Post(f.url, "application/json", bytes.NewReader(event))
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("invoke: read: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke: emulator status %d: %s", resp.StatusCode, body)
	}
	return body
}

func fixture(t *testing.T, name string, vars map[string]string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for k, v := range vars {
		s = strings.ReplaceAll(s, "{{"+k+"}}", v)
	}
	return []byte(s)
}

// env is one deployment: a content bucket with articles and the site file, a
// feeds bucket, and the S3 server both are on.
type env struct {
	srv     *s3test.Server
	s3      *s3.Client
	content string
	feeds   string
}

const siteYAML = `title: E2E 新闻
description: end-to-end test site
url: https://news.example.cn/
base_url: https://feeds.example.cn
language: zh-CN
time_zone: Asia/Shanghai
author: {name: 编辑部, email: desk@example.cn}
limit: 50
full_text: true
feeds: {site: true, categories: true, tags: false, authors: false}
`

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := s3test.Start(t)
	e := &env{srv: srv, s3: srv.Client(), content: srv.Bucket(t), feeds: srv.Bucket(t)}
	e.put(t, e.content, "config/site.yaml", []byte(siteYAML))
	return e
}

func (e *env) put(t *testing.T, bucket, key string, body []byte) {
	t.Helper()
	_, err := e.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

func (e *env) get(t *testing.T, key string) (*s3.GetObjectOutput, []byte) {
	t.Helper()
	out, err := e.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(e.feeds), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get feeds/%s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return out, b
}

func (e *env) article(t *testing.T, id, title string, published time.Time) {
	t.Helper()
	doc := map[string]any{
		"id": id, "url": "https://news.example.cn/" + id + ".html", "title": title,
		"content_html": "<p>" + title + "</p>", "categories": []string{"热点"},
		"published": published.Format(time.RFC3339),
	}
	b, _ := json.Marshal(doc)
	e.put(t, e.content, "articles/"+id+".json", b)
}

func (e *env) buildEnv() []string {
	return append(e.srv.Env(),
		"FEEDPUB_ARTICLES=s3://"+e.content+"/articles",
		"FEEDPUB_SITE=s3://"+e.content+"/config/site.yaml",
		"FEEDPUB_OUT=s3://"+e.feeds+"/",
		"FEEDPUB_SCHEDULE=rate(10 minutes)", // as the template passes its ScheduleRate
	)
}

// titles parses a published feed with gofeed and returns its item titles,
// after checking it with parsers of its format: encoding/xml in strict mode
// and xmllint for XML, encoding/json and the JSON Feed version for JSON.
func (e *env) titles(t *testing.T, key string) []string {
	t.Helper()
	_, body := e.get(t, key)
	wellFormed(t, key, body)
	f, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("gofeed: %s: %v", key, err)
	}
	var out []string
	for _, it := range f.Items {
		out = append(out, it.Title)
	}
	return out
}

func wellFormed(t *testing.T, key string, body []byte) {
	t.Helper()
	if strings.HasSuffix(key, ".json") {
		var doc struct {
			Version string            `json:"version"`
			Items   []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(body, &doc); err != nil || doc.Version != "https://jsonfeed.org/version/1.1" || doc.Items == nil {
			t.Fatalf("%s: not a JSON Feed 1.1 document (%v): %.200s", key, err, body)
		}
		return
	}
	if err := feedcheck.WellFormed(body); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	if err := feedcheck.Lint(body); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type buildResult struct {
	Trigger string `json:"trigger"`
	Built   bool   `json:"built"`
	Report  *struct {
		Articles struct {
			Published int `json:"published"`
			Embargoed int `json:"embargoed"`
		} `json:"articles"`
		Rejected []struct {
			Key string `json:"key"`
		} `json:"rejected"`
	} `json:"report"`
	ErrorMessage string `json:"errorMessage"`
}

type sqsResponse struct {
	BatchItemFailures []struct {
		ItemIdentifier string `json:"itemIdentifier"`
	} `json:"batchItemFailures"`
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func TestBuildFunction(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	e.article(t, "first", "第一篇", now.Add(-2*time.Hour))
	e.article(t, "second", "第二篇", now.Add(-time.Hour))
	e.put(t, e.content, "articles/broken.json", []byte(`{"id": "broken",`))
	build := startFunction(t, bootstraps["build"], e.buildEnv())

	t.Run("s3 event builds and publishes with content types", func(t *testing.T) {
		r := decode[buildResult](t, build.invoke(t, fixture(t, "s3-put.json", map[string]string{"BUCKET": e.content, "KEY": "articles/second.json"})))
		if !r.Built || r.Trigger != "s3" || r.Report == nil {
			t.Fatalf("result = %+v, want an s3 build with a report", r)
		}
		if r.Report.Articles.Published != 2 || len(r.Report.Rejected) != 1 || r.Report.Rejected[0].Key != "broken.json" {
			t.Errorf("report = %+v, want 2 published and broken.json rejected", r.Report)
		}
		for key, want := range map[string]string{
			"feeds/index.rss":       "application/rss+xml; charset=utf-8",
			"feeds/index.atom":      "application/atom+xml; charset=utf-8",
			"feeds/index.json":      "application/feed+json; charset=utf-8",
			"feeds/category/热点.rss": "application/rss+xml; charset=utf-8",
			"index.html":            "text/html; charset=utf-8",
			"feeds.opml":            "text/x-opml; charset=utf-8",
		} {
			out, _ := e.get(t, key)
			if got := aws.ToString(out.ContentType); got != want {
				t.Errorf("%s Content-Type = %q, want %q", key, got, want)
			}
			const cc = "public, max-age=60, stale-while-revalidate=600, stale-if-error=86400" // from FEEDPUB_SCHEDULE
			if got := aws.ToString(out.CacheControl); got != cc {
				t.Errorf("%s Cache-Control = %q, want %q", key, got, cc)
			}
			// Its precompressed variants, as CloudFront could serve them.
			_, plain := e.get(t, key)
			for ext, coding := range map[string]string{".gz": "gzip", ".br": "br"} {
				v, body := e.get(t, key+ext)
				if got := aws.ToString(v.ContentEncoding); got != coding {
					t.Errorf("%s%s Content-Encoding = %q, want %q", key, ext, got, coding)
				}
				if got := aws.ToString(v.ContentType); got != want {
					t.Errorf("%s%s Content-Type = %q, want %q", key, ext, got, want)
				}
				var r io.Reader = brotli.NewReader(bytes.NewReader(body))
				if coding == "gzip" {
					zr, err := gzip.NewReader(bytes.NewReader(body))
					if err != nil {
						t.Fatalf("%s%s: %v", key, ext, err)
					}
					r = zr
				}
				if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, plain) {
					t.Errorf("%s%s does not decode to %s (%v)", key, ext, key, err)
				}
			}
		}
		for _, key := range []string{"feeds/index.rss", "feeds/index.atom", "feeds/index.json"} {
			if got := e.titles(t, key); len(got) != 2 || got[0] != "第二篇" || got[1] != "第一篇" {
				t.Errorf("%s titles = %q, want [第二篇 第一篇]", key, got)
			}
		}
	})

	t.Run("s3 event outside articles builds nothing", func(t *testing.T) {
		r := decode[buildResult](t, build.invoke(t, fixture(t, "s3-put.json", map[string]string{"BUCKET": e.content, "KEY": "images/photo.jpg"})))
		if r.Built {
			t.Errorf("result = %+v, want no build", r)
		}
	})

	t.Run("scheduled event lifts an embargo once its time has come", func(t *testing.T) {
		at := time.Now().Add(3 * time.Second).Truncate(time.Second)
		e.article(t, "embargoed", "禁发稿件", at)
		r := decode[buildResult](t, build.invoke(t, fixture(t, "scheduled.json", nil)))
		if !r.Built || r.Trigger != "schedule" || r.Report.Articles.Embargoed != 1 {
			t.Fatalf("result = %+v, want a scheduled build with 1 embargoed", r)
		}
		for _, key := range []string{"feeds/index.rss", "feeds/index.atom", "feeds/index.json", "feeds/category/热点.json"} {
			if contains(e.titles(t, key), "禁发稿件") {
				t.Fatalf("%s holds the embargoed article before its time", key)
			}
		}
		time.Sleep(time.Until(at) + 100*time.Millisecond)
		decode[buildResult](t, build.invoke(t, fixture(t, "scheduled.json", nil)))
		for _, key := range []string{"feeds/index.rss", "feeds/index.atom", "feeds/index.json", "feeds/category/热点.json"} {
			if got := e.titles(t, key); len(got) == 0 || got[0] != "禁发稿件" {
				t.Errorf("%s titles = %q, want the lifted article first", key, got)
			}
		}
	})

	t.Run("sqs batch reports only the bad message", func(t *testing.T) {
		s3event := fixture(t, "s3-put.json", map[string]string{"BUCKET": e.content, "KEY": "articles/first.json"})
		quoted, _ := json.Marshal(string(s3event))
		resp := decode[sqsResponse](t, build.invoke(t, fixture(t, "sqs.json", map[string]string{"S3EVENT": string(quoted)})))
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "2e1424d4-f796-459a-8184-9c92662be6da" {
			t.Errorf("batchItemFailures = %+v, want only the message that is not an S3 event", resp.BatchItemFailures)
		}
	})

	t.Run("direct rebuild and unknown events", func(t *testing.T) {
		r := decode[buildResult](t, build.invoke(t, []byte(`{"rebuild":"all"}`)))
		if !r.Built || r.Trigger != "rebuild" {
			t.Errorf("result = %+v, want a rebuild", r)
		}
		r = decode[buildResult](t, build.invoke(t, []byte(`{"hello":"world"}`)))
		if !strings.Contains(r.ErrorMessage, "unknown event") {
			t.Errorf("unknown event answered %+v, want an errorMessage", r)
		}
	})

	t.Run("logs are JSON", func(t *testing.T) {
		if !regexp.MustCompile(`\{"time":"[^"]+","level":"INFO","msg":"built"`).MatchString(build.logs()) {
			t.Errorf("no JSON log line for a build in:\n%s", build.logs())
		}
	})
}

// urlResponse is a Function URL answer as the emulator streams it: a JSON
// prelude, eight NUL bytes, then the body.
type urlResponse struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       []byte            `json:"-"`
}

func (f *function) request(t *testing.T, method, path string, headers map[string]string, body string) urlResponse {
	t.Helper()
	h, _ := json.Marshal(headers)
	b, _ := json.Marshal(body)
	raw := f.invoke(t, fixture(t, "url-request.json", map[string]string{"METHOD": method, "PATH": path, "HEADERS": string(h), "BODY": string(b)}))
	prelude, rest, ok := bytes.Cut(raw, make([]byte, 8))
	if !ok {
		t.Fatalf("%s %s: no streamed response: %s", method, path, raw)
	}
	r := decode[urlResponse](t, prelude)
	r.Body = rest
	return r
}

func sign(secret, ts string, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func TestServeFunction(t *testing.T) {
	e := newEnv(t)
	e.article(t, "one", "一", time.Now().Add(-time.Hour))
	build := startFunction(t, bootstraps["build"], e.buildEnv())
	decode[buildResult](t, build.invoke(t, []byte(`{"rebuild":"all"}`)))
	const secret = "e2e-secret"
	serve := startFunction(t, bootstraps["serve"], append(e.srv.Env(),
		"FEEDPUB_FEEDS=s3://"+e.feeds+"/",
		"FEEDPUB_REBUILD_SECRET="+secret,
		"FEEDPUB_BUILD_FUNCTION=function",
		"AWS_ENDPOINT_URL_LAMBDA="+strings.TrimSuffix(build.url, "/2015-03-31/functions/function/invocations"),
	))

	t.Run("GET, then 304 with If-None-Match", func(t *testing.T) {
		r := serve.request(t, "GET", "/feeds/index.atom", map[string]string{}, "")
		if r.StatusCode != 200 {
			t.Fatalf("status = %d, want 200", r.StatusCode)
		}
		etag := r.Headers["Etag"]
		if etag == "" || !strings.HasPrefix(etag, `"`) {
			t.Fatalf("ETag = %q, want a strong ETag", etag)
		}
		if got := r.Headers["Content-Type"]; got != "application/atom+xml; charset=utf-8" {
			t.Errorf("Content-Type = %q", got)
		}
		if f, err := gofeed.NewParser().Parse(bytes.NewReader(r.Body)); err != nil || len(f.Items) != 1 {
			t.Errorf("body parsed to %v, %v; want a feed with 1 item", f, err)
		}
		r = serve.request(t, "GET", "/feeds/index.atom", map[string]string{"if-none-match": etag}, "")
		if r.StatusCode != 304 || len(r.Body) != 0 {
			t.Errorf("conditional GET = %d with %d bytes, want 304 and no body", r.StatusCode, len(r.Body))
		}
		if r.Headers["Access-Control-Allow-Origin"] != "*" {
			t.Errorf("304 lacks CORS header: %v", r.Headers)
		}
		if r := serve.request(t, "GET", "/build-report.json", map[string]string{}, ""); r.StatusCode != 404 {
			t.Errorf("build report status = %d, want 404", r.StatusCode)
		}
	})

	t.Run("signed rebuild builds; unsigned, wrong, stale and replayed get 401", func(t *testing.T) {
		e.article(t, "two", "二", time.Now().Add(-time.Minute))
		body := `{"reason":"e2e"}`
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		good := map[string]string{"x-feedpub-timestamp": ts, "x-feedpub-signature": sign(secret, ts, body)}
		if r := serve.request(t, "POST", "/rebuild", good, body); r.StatusCode != 202 {
			t.Fatalf("signed rebuild = %d %s, want 202", r.StatusCode, r.Body)
		}
		deadline := time.Now().Add(15 * time.Second)
		for !contains(e.titles(t, "feeds/index.rss"), "二") {
			if time.Now().After(deadline) {
				t.Fatalf("the rebuild did not publish the new article; build log:\n%s", build.logs())
			}
			time.Sleep(200 * time.Millisecond)
		}
		stale := strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)
		for name, h := range map[string]map[string]string{
			"unsigned":     {},
			"wrong secret": {"x-feedpub-timestamp": ts, "x-feedpub-signature": sign("not-the-secret", ts, body)},
			"stale":        {"x-feedpub-timestamp": stale, "x-feedpub-signature": sign(secret, stale, body)},
			"replayed":     good,
			"other body":   {"x-feedpub-timestamp": ts, "x-feedpub-signature": sign(secret, ts, body)},
		} {
			b := body
			if name == "other body" {
				b = `{"reason":"tampered"}`
			}
			r := serve.request(t, "POST", "/rebuild", h, b)
			if r.StatusCode != 401 {
				t.Errorf("%s: status = %d, want 401", name, r.StatusCode)
			}
			if strings.Contains(string(r.Body), "signature") || strings.Contains(string(r.Body), "timestamp") {
				t.Errorf("%s: 401 body gives detail: %q", name, r.Body)
			}
		}
	})
}
