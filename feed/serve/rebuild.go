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
	Window       = 5 * time.Minute
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
// a body over 64 KiB gets 413 and anything else 401 with no detail. claims
// may be nil for a single-process memory of signatures.
func NewRebuild(secret []byte, start func(ctx context.Context) error, claims Claimer) *Rebuild {
	if claims == nil {
		claims = NewMemoryClaims()
	}
	return &Rebuild{secret: secret, start: start, claims: claims, now: time.Now, log: slog.Default()}
}

// ServeHTTP checks one request and, when it is authentic, starts a build.
// A body over 64 KiB gets 413 (it cannot be authenticated, and a publisher
// should learn why); every other fault gets the same 401 with no detail.
func (rb *Rebuild) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	var sig []byte
	if err == nil {
		sig = rb.authentic(r, body)
	}
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
