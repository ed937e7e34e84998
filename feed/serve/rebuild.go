package serve

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rebuild request headers. The signature is
//
//	X-Feedpub-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))
//
// over the X-Feedpub-Timestamp header (Unix seconds) and the raw body.
const (
	TimestampHeader = "X-Feedpub-Timestamp"
	SignatureHeader = "X-Feedpub-Signature"
	// Window is how far a request's timestamp may be from the server's clock.
	Window = 5 * time.Minute
	// BodyTimeout is how long a request may take to send its body (at
	// most 64 KiB, sent at once by any honest client) once its headers
	// are in: a body trickled slower is cut off with 408.
	BodyTimeout  = 5 * time.Second
	maxBodyBytes = 64 << 10
)

// Claimer remembers signatures already used, so that a captured request
// cannot be replayed. Claim reports false when id was claimed before.
type Claimer interface {
	Claim(ctx context.Context, id string, expires time.Time) (bool, error)
}

// Rebuild authenticates publishers' rebuild requests and starts a build.
type Rebuild struct {
	secret []byte
	start  func(ctx context.Context) error
	claims Claimer
	now    func() time.Time
	log    *slog.Logger
}

// NewRebuild returns the POST /rebuild handler: requests signed with secret
// within Window, never seen before, call start (202; 502 when start fails);
// a body over 64 KiB gets 413, a body not sent within BodyTimeout 408, and
// anything else 401 with no detail. claims may be nil for a
// single-process memory of signatures.
func NewRebuild(secret []byte, start func(ctx context.Context) error, claims Claimer) *Rebuild {
	if claims == nil {
		claims = NewMemoryClaims()
	}
	return &Rebuild{secret: secret, start: start, claims: claims, now: time.Now, log: slog.Default()}
}

// ServeHTTP checks one request and, when it is authentic, starts a build.
// A body over 64 KiB gets 413 (it cannot be authenticated, and a publisher
// should learn why), before a byte of it is read when Content-Length says
// so; a body that does not arrive within BodyTimeout gets 408 and one
// that breaks off 400; every other fault gets the same 401 with no
// detail. Nothing is claimed or started before the signature is right.
func (rb *Rebuild) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.ContentLength > maxBodyBytes {
		w.Header().Set("Connection", "close") // the rest of the body is not read
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	body, err := rb.readBody(w, r)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		w.Header().Set("Connection", "close")
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	case errors.Is(err, os.ErrDeadlineExceeded):
		w.Header().Set("Connection", "close")
		http.Error(w, "request body not sent in time", http.StatusRequestTimeout)
		return
	case err != nil:
		w.Header().Set("Connection", "close")
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	sig := rb.authentic(r, body)
	if sig == nil {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	// The claim is the signature in canonical (lower-case) hex, so that the
	// same request with its hex in upper case is a replay too.
	fresh, err := rb.claims.Claim(r.Context(), hex.EncodeToString(sig), rb.now().Add(2*Window))
	if err != nil {
		rb.log.ErrorContext(r.Context(), "rebuild: claim signature", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if !fresh {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if err := rb.start(r.Context()); err != nil {
		rb.log.ErrorContext(r.Context(), "rebuild: start build", "err", err)
		http.Error(w, "rebuild could not be started", http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"accepted"}`+"\n")
}

// readBody reads r's body, at most maxBodyBytes of it, within BodyTimeout
// when the connection takes a read deadline (a server's does; a Lambda
// Function URL's request is already in memory).
func (rb *Rebuild) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	rc := http.NewResponseController(w)
	limited := rc.SetReadDeadline(time.Now().Add(BodyTimeout)) == nil
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if limited && err == nil {
		// The body is in: no deadline for the rest of this request, so
		// that the connection's read after the body does not cancel it.
		_ = rc.SetReadDeadline(time.Time{})
	}
	return body, err
}

// authentic returns the request's signature when it is right for body and
// its timestamp is within Window of now, or nil. The signature header must
// read "sha256=" and hex digits (either case); the comparison takes the same
// time wherever the signatures differ (hmac.Equal).
func (rb *Rebuild) authentic(r *http.Request, body []byte) []byte {
	if len(rb.secret) == 0 {
		return nil
	}
	ts := r.Header.Get(TimestampHeader)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil
	}
	if d := rb.now().Sub(time.Unix(sec, 0)); d > Window || d < -Window {
		return nil
	}
	digits, ok := strings.CutPrefix(r.Header.Get(SignatureHeader), "sha256=")
	if !ok {
		return nil
	}
	got, err := hex.DecodeString(digits)
	if err != nil || !hmac.Equal(got, Sign(rb.secret, ts, body)) {
		return nil
	}
	return got
}

// Sign returns the HMAC-SHA256 of timestamp + "." + body under secret.
func Sign(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// MemoryClaims remembers claimed signatures in this process until they
// expire.
type MemoryClaims struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// NewMemoryClaims returns an empty memory.
func NewMemoryClaims() *MemoryClaims { return &MemoryClaims{seen: map[string]time.Time{}} }

// Claim records id until expires; it reports false when id is already held.
func (m *MemoryClaims) Claim(_ context.Context, id string, expires time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if len(m.seen) > 4096 {
		for k, exp := range m.seen {
			if exp.Before(now) {
				delete(m.seen, k)
			}
		}
	}
	if exp, ok := m.seen[id]; ok && exp.After(now) {
		return false, nil
	}
	m.seen[id] = expires
	return true, nil
}

// StoreClaims keeps claimed signatures as objects created only if absent,
// so that every instance of a scaled-out function sees the same claims.
type StoreClaims struct {
	Store interface {
		PutIfAbsent(ctx context.Context, key string, body []byte) (bool, error)
	}
	Prefix string // e.g. ".rebuild/"
}

// Claim creates Prefix+id; it reports false when the object exists already.
func (s StoreClaims) Claim(ctx context.Context, id string, expires time.Time) (bool, error) {
	if id == "" || strings.ContainsAny(id, "/.") {
		return false, errors.New("rebuild: bad signature id")
	}
	return s.Store.PutIfAbsent(ctx, s.Prefix+id, []byte(expires.UTC().Format(time.RFC3339)))
}
