package serve

import (
	"context"
	"net"
	"net/http"
	"syscall"
)

// corkAbove is the body size past which an answer is corked: net/http
// writes a response's head into a 4 KiB connection buffer, and a body
// that does not fit beside it goes out as a second write, which without a
// cork is a second TCP segment (one more wake-up and read for the reader
// and, on loopback, one more pass through the network stack).
const corkAbove = 4 << 10

type connKey struct{}

// ConnContext is for http.Server's ConnContext: it lets the handler cork
// the connection (TCP_CORK, what nginx's tcp_nopush does) while it writes
// a large body, so that the head and the body leave in full segments
// instead of a 4 KiB one and the rest. On a connection that cannot be
// corked (not TCP, not Linux) answers are written as they are.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return ctx
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return ctx
	}
	return context.WithValue(ctx, connKey{}, raw)
}

// writeBody writes an answer's body, corked when it is large and the
// connection allows it. The cork is lifted before writeBody returns, so
// nothing is held back past the answer (the kernel would send held data
// after 200 ms at the latest in any case).
func writeBody(w http.ResponseWriter, r *http.Request, body []byte) {
	if len(body) > corkAbove {
		if raw, ok := r.Context().Value(connKey{}).(syscall.RawConn); ok && cork(raw, true) {
			defer cork(raw, false)
		}
	}
	_, _ = w.Write(body)
}
