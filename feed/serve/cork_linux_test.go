package serve_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/serve"
)

// corkOf reads TCP_CORK of the server's side of a connection.
func corkOf(t *testing.T, c net.Conn) int {
	t.Helper()
	raw, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	v, gerr := 0, error(nil)
	if err := raw.Control(func(fd uintptr) {
		v, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK)
	}); err != nil {
		t.Fatal(err)
	}
	if gerr != nil {
		t.Fatal(gerr)
	}
	return v
}

// corkWatch records, at each body write, whether the connection was
// corked.
type corkWatch struct {
	http.ResponseWriter
	t     *testing.T
	conn  net.Conn
	sizes []int
	corks []int
}

func (w *corkWatch) Write(b []byte) (int, error) {
	w.sizes = append(w.sizes, len(b))
	w.corks = append(w.corks, corkOf(w.t, w.conn))
	return w.ResponseWriter.Write(b)
}

// TestLargeAnswersLeaveCorked serves over a loopback TCP listener with
// serve.ConnContext, as the local server does: a large body is written
// with the connection corked (its head and body leave in full segments),
// a small one is not, and no answer leaves the connection corked, so that
// the next answer on it is not held back.
func TestLargeAnswersLeaveCorked(t *testing.T) {
	dir := published(t)
	h := serve.New(store.NewFolder(dir))
	type watched struct{} // the context key of the server's side of the connection
	var (
		mu      sync.Mutex
		conns   []net.Conn
		watches []*corkWatch
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := r.Context().Value(watched{}).(net.Conn)
		cw := &corkWatch{ResponseWriter: w, t: t, conn: c}
		h.ServeHTTP(cw, r)
		mu.Lock()
		watches = append(watches, cw)
		mu.Unlock()
	}))
	srv.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		return serve.ConnContext(context.WithValue(ctx, watched{}, c), c)
	}
	srv.Start()
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	get := func(target, accept string) []byte {
		t.Helper()
		resp, b := ask(t, client, http.MethodGet, srv.URL+target, http.Header{"Accept-Encoding": {accept}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", target, resp.StatusCode)
		}
		return b
	}

	large := readKey(t, dir, "feeds/index.atom")
	small := readKey(t, dir, "feeds.opml.gz")
	if len(large) <= 4<<10 || len(small) >= 4<<10 {
		t.Fatalf("the fixture needs a body over 4 KiB and one under: %d and %d bytes", len(large), len(small))
	}
	if got := get("/feeds/index.atom", "identity"); !bytes.Equal(got, large) {
		t.Fatalf("/feeds/index.atom: %d bytes, not the %d published", len(got), len(large))
	}
	if got := get("/feeds.opml", "gzip"); !bytes.Equal(got, small) {
		t.Fatalf("/feeds.opml (gzip): %d bytes, not the %d published", len(got), len(small))
	}

	mu.Lock()
	defer mu.Unlock()
	if len(conns) != 1 {
		t.Fatalf("%d connections, want the one the client kept alive", len(conns))
	}
	if len(watches) != 2 {
		t.Fatalf("%d answers watched, want 2", len(watches))
	}
	for i, want := range []int{1, 0} {
		w := watches[i]
		if len(w.corks) != 1 {
			t.Fatalf("answer %d: %d body writes, want one", i, len(w.corks))
		}
		if w.corks[0] != want {
			t.Errorf("answer %d (%d bytes): TCP_CORK %d while the body was written, want %d", i, w.sizes[0], w.corks[0], want)
		}
	}
	if got := corkOf(t, conns[0]); got != 0 {
		t.Errorf("TCP_CORK %d after the answers, want 0: the next answer would wait", got)
	}
}
