package s3test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Toxiproxy is a toxiproxy server of the test's own (a TCP proxy that
// injects faults: latency, bandwidth limits, resets, cut connections),
// driven through its HTTP API on loopback.
type Toxiproxy struct {
	API    string // http://127.0.0.1:port
	client *http.Client
}

// ToxiproxyDir is the folder holding toxiproxy's binaries (named server
// and cli, so kept off PATH): FEEDPUB_TEST_TOXIPROXY, or the module's
// .tools/toxiproxy, where `make tools` installs them. A missing server
// fails the test with how to get it.
func ToxiproxyDir(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("FEEDPUB_TEST_TOXIPROXY"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "server")); err == nil {
			return dir
		}
		t.Fatalf("FEEDPUB_TEST_TOXIPROXY=%s holds no toxiproxy server: run `make tools`", dir)
	}
	dir, _ := os.Getwd()
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, ".tools", "toxiproxy")
			if _, err := os.Stat(filepath.Join(p, "server")); err == nil {
				return p
			}
			break
		}
	}
	t.Fatalf("toxiproxy not found: run `make tools` (it installs toxiproxy's server and cli into .tools/toxiproxy), or set FEEDPUB_TEST_TOXIPROXY to their folder")
	return ""
}

// StartToxiproxy starts a toxiproxy server on a free loopback port and
// stops it when the test ends.
func StartToxiproxy(t testing.TB) *Toxiproxy {
	t.Helper()
	bin := filepath.Join(ToxiproxyDir(t), "server")
	port := FreePort(t)
	cmd := exec.Command(bin, "-host", "127.0.0.1", "-port", port)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("s3test: start toxiproxy: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	tp := &Toxiproxy{API: "http://127.0.0.1:" + port, client: &http.Client{Timeout: 10 * time.Second}}
	WaitHTTP(t, tp.API+"/version", 10*time.Second)
	return tp
}

// Proxy is one proxy of a toxiproxy server: Listen forwards to Upstream.
type Proxy struct {
	tp       *Toxiproxy
	Name     string
	Listen   string // 127.0.0.1:port
	Upstream string // host:port
}

// Proxy creates a proxy named name from a free loopback port to upstream
// (host:port).
func (tp *Toxiproxy) Proxy(t testing.TB, name, upstream string) *Proxy {
	t.Helper()
	p := &Proxy{tp: tp, Name: name, Listen: "127.0.0.1:" + FreePort(t), Upstream: upstream}
	tp.call(t, "POST", "/proxies", map[string]any{"name": name, "listen": p.Listen, "upstream": upstream, "enabled": true})
	return p
}

// Endpoint is the proxy as an http:// endpoint.
func (p *Proxy) Endpoint() string { return "http://" + p.Listen }

// Toxic is one fault of a proxy, as toxiproxy's API names them: Type is
// latency, bandwidth, slow_close, timeout, reset_peer, slicer or
// limit_data; Stream is "upstream" (client to server) or "downstream"
// (server to client); Toxicity is the share of connections it applies to
// (0 means 1); Attributes are the type's (e.g. {"latency": 100}).
type Toxic struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream"`
	Toxicity   float64        `json:"toxicity"`
	Attributes map[string]int `json:"attributes"`
}

// Add adds a toxic to the proxy: every connection, open or new, gets it
// (with probability Toxicity).
func (p *Proxy) Add(t testing.TB, x Toxic) {
	t.Helper()
	if x.Toxicity == 0 {
		x.Toxicity = 1
	}
	if x.Name == "" {
		x.Name = x.Type + "_" + x.Stream
	}
	p.tp.call(t, "POST", "/proxies/"+url.PathEscape(p.Name)+"/toxics", x)
}

// Remove takes the toxic named name off the proxy.
func (p *Proxy) Remove(t testing.TB, name string) {
	t.Helper()
	p.tp.call(t, "DELETE", "/proxies/"+url.PathEscape(p.Name)+"/toxics/"+url.PathEscape(name), nil)
}

// Clear takes every toxic off the proxy.
func (p *Proxy) Clear(t testing.TB) {
	t.Helper()
	var toxics []Toxic
	p.tp.get(t, "/proxies/"+url.PathEscape(p.Name)+"/toxics", &toxics)
	for _, x := range toxics {
		p.Remove(t, x.Name)
	}
}

// SetEnabled opens or closes the proxy: a disabled proxy refuses
// connections and drops those it holds. It returns an error rather than
// failing a test, so that a goroutine beside the test may call it.
func (p *Proxy) SetEnabled(on bool) error {
	return p.tp.do("POST", "/proxies/"+url.PathEscape(p.Name), map[string]any{"enabled": on, "listen": p.Listen, "upstream": p.Upstream})
}

func (tp *Toxiproxy) call(t testing.TB, method, path string, body any) {
	t.Helper()
	if err := tp.do(method, path, body); err != nil {
		t.Fatal(err)
	}
}

func (tp *Toxiproxy) do(method, path string, body any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, tp.API+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := tp.client.Do(req)
	if err != nil {
		return fmt.Errorf("toxiproxy %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("toxiproxy %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(answer)))
	}
	return nil
}

func (tp *Toxiproxy) get(t testing.TB, path string, v any) {
	t.Helper()
	resp, err := tp.client.Get(tp.API + path)
	if err != nil {
		t.Fatalf("toxiproxy GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("toxiproxy GET %s: %s: %s", path, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("toxiproxy GET %s: %v", path, fmt.Errorf("decode: %w", err))
	}
}
