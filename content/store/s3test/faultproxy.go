package s3test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// Fault is what a FaultProxy does with one request.
type Fault int

const (
	// Pass forwards the request and its answer as they are.
	Pass Fault = iota
	// Error500 answers 500 InternalError without forwarding.
	Error500
	// SlowDown503 answers 503 SlowDown without forwarding.
	SlowDown503
	// Error500After forwards the request, so that the server acts on it,
	// and answers 500 InternalError instead of what the server said: a
	// write the client believes failed.
	Error500After
	// Truncate forwards the request and sends the answer's headers as
	// they are (Content-Length included) and half its body, then closes
	// the connection.
	Truncate
	// Corrupt forwards the request and sends the answer with one byte of
	// its body changed, at its own length.
	Corrupt
	numFaults
)

var faultNames = [numFaults]string{"pass", "500", "503 SlowDown", "500 after the write", "truncated body", "corrupted body"}

func (f Fault) String() string { return faultNames[f] }

// FaultProxy is an HTTP proxy on loopback in front of an S3 server that
// answers the requests its rule picks with faults. Requests keep their
// Host header, so that their signatures still hold.
type FaultProxy struct {
	URL      string // http://127.0.0.1:port, an S3 endpoint
	upstream *url.URL
	rt       http.RoundTripper

	mu     sync.Mutex
	rule   func(r *http.Request) Fault
	counts [numFaults]int
	seen   map[string]int // requests by method
}

// StartFaultProxy starts a proxy in front of endpoint (http://host:port),
// passing everything until SetRule says otherwise; it stops with the test.
func StartFaultProxy(t testing.TB, endpoint string) *FaultProxy {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{upstream: u, rt: &http.Transport{Proxy: nil, DisableCompression: true, MaxIdleConnsPerHost: 64},
		seen: map[string]int{}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// SetRule makes rule decide the fault of every request from now on (nil:
// none).
func (p *FaultProxy) SetRule(rule func(r *http.Request) Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rule = rule
}

// Injected returns how many requests got each fault, Pass excepted.
func (p *FaultProxy) Injected() map[Fault]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[Fault]int{}
	for f := Fault(1); f < numFaults; f++ {
		if p.counts[f] > 0 {
			out[f] = p.counts[f]
		}
	}
	return out
}

// Requests returns how many requests of each method the proxy saw.
func (p *FaultProxy) Requests() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.seen {
		out[k] = v
	}
	return out
}

func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	fault := Pass
	if p.rule != nil {
		fault = p.rule(r)
	}
	p.counts[fault]++
	p.seen[r.Method]++
	p.mu.Unlock()
	switch fault {
	case Error500:
		_, _ = io.Copy(io.Discard, r.Body)
		s3Error(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		return
	case SlowDown503:
		_, _ = io.Copy(io.Discard, r.Body)
		s3Error(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = p.upstream.Scheme, p.upstream.Host
	out.Host = r.Host
	if r.ContentLength == 0 {
		out.Body = nil
	}
	resp, err := p.rt.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if fault == Error500After {
		s3Error(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		return
	}
	if fault == Corrupt && len(body) > 0 {
		body = bytes.Clone(body)
		body[len(body)/2] ^= 0x20
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	if fault != Truncate || len(body) < 2 {
		_, _ = w.Write(body)
		return
	}
	_, _ = w.Write(body[:len(body)/2])
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	if h, ok := w.(http.Hijacker); ok {
		if conn, _, err := h.Hijack(); err == nil {
			_ = conn.Close()
		}
	}
}

// s3Error answers as S3 does when it fails a request.
func s3Error(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Connection", "close")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>`+code+`</Code><Message>`+message+`</Message><RequestId>fault</RequestId></Error>`)
}
