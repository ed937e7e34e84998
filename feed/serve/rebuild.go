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
// within Window, never seen before, call start; anything else gets 401 with
// no detail. claims may be nil for a single-process memory of signatures.
func NewRebuild(secret []byte, start func(ctx context.Context) error, claims Claimer) *Rebuild {
	if claims == nil {
		claims = NewMemoryClaims()
	}
	return &Rebuild{secret: secret, start: start, claims: claims, now: time.Now, log: slog.Default()}
}

// ServeHTTP checks one request and, when it is authentic, starts a build.
func (rb *Rebuild) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil || !rb.authentic(r, body) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	sig := strings.TrimPrefix(r.Header.Get(SignatureHeader), "sha256=")
	fresh, err := rb.claims.Claim(r.Context(), strings.ToLower(sig), rb.now().Add(2*Window))
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

func (rb *Rebuild) authentic(r *http.Request, body []byte) bool {
	if len(rb.secret) == 0 {
		return false
	}
	ts := r.Header.Get(TimestampHeader)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if d := rb.now().Sub(time.Unix(sec, 0)); d > Window || d < -Window {
		return false
	}
	got, err := hex.DecodeString(strings.TrimPrefix(r.Header.Get(SignatureHeader), "sha256="))
	if err != nil {
		return false
	}
	return hmac.Equal(got, Sign(rb.secret, ts, body))
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
