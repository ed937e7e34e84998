package serve_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/serve"
)

// TestOverHTTP serves the published site on a loopback listener and asks it
// with real clients: what a feed reader sees on the wire.
func TestOverHTTP(t *testing.T) {
	dir := published(t)
	secret := []byte("SECRET-must-never-be-served\n")
	writeFile(t, filepath.Join(filepath.Dir(dir), "outside.rss"), secret)
	writeFile(t, filepath.Join(dir, "feeds", ".secret.rss"), secret)
	srv := httptest.NewServer(serve.New(store.NewFolder(dir)))
	defer srv.Close()
	identity := readKey(t, dir, "feeds/index.atom")

	// A client that leaves Accept-Encoding and the bodies alone.
	manual := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}
	defer manual.CloseIdleConnections()
	send := func(t *testing.T, c *http.Client, method, target string, header http.Header) (*http.Response, []byte) {
		t.Helper()
		return ask(t, c, method, srv.URL+target, header)
	}

	var identityETag string
	t.Run("identity", func(t *testing.T) {
		resp, b := send(t, manual, http.MethodGet, "/feeds/index.atom", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status: got %d, want %d", resp.StatusCode, http.StatusOK)
		}
		if got := resp.Header.Get("Content-Encoding"); got != "" {
			t.Errorf("Content-Encoding: got %q, want none", got)
		}
		if !bytes.Equal(b, identity) {
			t.Errorf("body: got %d bytes, want the %d published bytes", len(b), len(identity))
		}
		if got, want := resp.ContentLength, int64(len(identity)); got != want {
			t.Errorf("Content-Length: got %d, want %d", got, want)
		}
		if got := resp.Header.Get("Content-Type"); got != "application/atom+xml; charset=utf-8" {
			t.Errorf("Content-Type: got %q, want %q", got, "application/atom+xml; charset=utf-8")
		}
		checkAlways(t, resp)
		identityETag = resp.Header.Get("ETag")
		checkStrongETag(t, identityETag)
	})

	t.Run("gzip by hand", func(t *testing.T) {
		resp, b := send(t, manual, http.MethodGet, "/feeds/index.atom", hdr("Accept-Encoding", "gzip"))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status: got %d, want %d", resp.StatusCode, http.StatusOK)
		}
		if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
			t.Fatalf("Content-Encoding: got %q, want gzip", got)
		}
		if !varies(resp, "Accept-Encoding") {
			t.Errorf("Vary: got %q, want Accept-Encoding", resp.Header.Values("Vary"))
		}
		if got := gunzip(t, b); !bytes.Equal(got, identity) {
			t.Errorf("gunzipped body: got %d bytes, want the %d published bytes", len(got), len(identity))
		}
		etag := resp.Header.Get("ETag")
		checkStrongETag(t, etag)
		if etag == identityETag {
			t.Errorf("gzip ETag %s: want it to differ from the identity ETag", etag)
		}
		resp, b = send(t, manual, http.MethodGet, "/feeds/index.atom", hdr("Accept-Encoding", "gzip", "If-None-Match", etag))
		if resp.StatusCode != http.StatusNotModified {
			t.Fatalf("revalidation: got %d, want %d", resp.StatusCode, http.StatusNotModified)
		}
		if len(b) != 0 {
			t.Errorf("304 body: got %d bytes, want none", len(b))
		}
		if got := resp.Header.Get("ETag"); got != etag {
			t.Errorf("304 ETag: got %q, want %q", got, etag)
		}
		checkAlways(t, resp)
		resp, _ = send(t, manual, http.MethodGet, "/feeds/index.atom", hdr("Accept-Encoding", "gzip;q=0"))
		if got := resp.Header.Get("Content-Encoding"); got != "" {
			t.Errorf("gzip;q=0: Content-Encoding: got %q, want none", got)
		}
	})

	t.Run("transparent gzip", func(t *testing.T) {
		c := srv.Client() // the default transport: asks for gzip, decodes it
		resp, b := send(t, c, http.MethodGet, "/feeds/index.atom", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status: got %d, want %d", resp.StatusCode, http.StatusOK)
		}
		if !resp.Uncompressed {
			t.Errorf("the transport did not decode a gzip answer: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
		}
		if !bytes.Equal(b, identity) {
			t.Errorf("body: got %d bytes, want the %d published bytes", len(b), len(identity))
		}
	})

	t.Run("HEAD", func(t *testing.T) {
		resp, b := send(t, manual, http.MethodHead, "/feeds/index.json", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status: got %d, want %d", resp.StatusCode, http.StatusOK)
		}
		if len(b) != 0 {
			t.Errorf("body: got %d bytes, want none", len(b))
		}
		if got, want := resp.ContentLength, int64(len(readKey(t, dir, "feeds/index.json"))); got != want {
			t.Errorf("Content-Length: got %d, want %d", got, want)
		}
		if got := resp.Header.Get("Content-Type"); got != "application/feed+json; charset=utf-8" {
			t.Errorf("Content-Type: got %q, want %q", got, "application/feed+json; charset=utf-8")
		}
	})

	t.Run("errors carry CORS", func(t *testing.T) {
		for _, tt := range []struct {
			method, target string
			want           int
		}{
			{http.MethodGet, "/build-report.json", http.StatusNotFound},
			{http.MethodGet, "/feeds/", http.StatusNotFound},
			{http.MethodDelete, "/feeds/index.rss", http.StatusMethodNotAllowed},
		} {
			resp, _ := send(t, manual, tt.method, tt.target, nil)
			if resp.StatusCode != tt.want {
				t.Errorf("%s %s: status: got %d, want %d", tt.method, tt.target, resp.StatusCode, tt.want)
			}
			checkAlways(t, resp)
		}
	})

	// Request lines as an attacker writes them: the Go client would clean
	// these paths before sending.
	t.Run("raw request lines", func(t *testing.T) {
		report := readKey(t, dir, "build-report.json")
		for _, target := range []string{
			"/build-report.json",
			"/feeds/../build-report.json",
			"/feeds/%2e%2e/build-report.json",
			"/feeds/..%2Fbuild-report.json",
			"/feeds/%252e%252e/build-report.json",
			"/feeds/..\\build-report.json",
			"/feeds/..%5Cbuild-report.json",
			"/feeds/%00/../../build-report.json",
			"/feeds/../../outside.rss",
			"/feeds/%2e%2e/%2e%2e/outside.rss",
			"//build-report.json",
			"/./build-report.json",
			"/feeds/.secret.rss",
			"/feeds/",
			"/feeds/category/",
			"/feeds",
		} {
			status, b := raw(t, srv.Listener.Addr().String(), "GET "+target+" HTTP/1.1\r\nHost: feeds.example\r\nConnection: close\r\n\r\n")
			if status != http.StatusNotFound {
				t.Errorf("GET %s: status: got %d, want %d", target, status, http.StatusNotFound)
			}
			if bytes.Contains(b, secret) || bytes.Contains(b, []byte("built_at")) || bytes.Contains(b, report) {
				t.Errorf("GET %s: the body leaks a file: %q", target, b)
			}
		}
	})
}

// raw writes request to addr as is and returns the answer's status and body.
func raw(t *testing.T, addr, request string) (int, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	method, _, _ := strings.Cut(request, " ")
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("read the answer to %q: %v", request, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// ask asks a server over the network and reads the whole answer.
func ask(t *testing.T, c *http.Client, method, url string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}
