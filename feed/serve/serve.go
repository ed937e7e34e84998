// Package serve answers feed readers and partner sites from the published
// site: strong ETags and Last-Modified with 304s (through http.ServeContent),
// gzip, CORS, caching headers; nothing that was not published, and never
// the build report.
package serve

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/layout"
)

// Source is where the published site is read from. GetIfChanged returns
// store.ErrNotModified when the object still has the given version, and
// store.ErrNotFound when there is no such object.
type Source interface {
	GetIfChanged(ctx context.Context, key, version string) (*store.Object, error)
}

// DefaultCacheControl applies to objects stored without one.
const DefaultCacheControl = "public, max-age=300"

// minGzipBytes is the size below which gzip saves too little to be worth it.
const minGzipBytes = 512

// Handler serves the published site. Create it with New.
type Handler struct {
	src     Source
	mux     *http.ServeMux
	rebuild bool // POST /rebuild is served
	log     *slog.Logger
	mu      sync.Mutex
	objects map[string]*entry // warm copies, revalidated on every request
}

type entry struct {
	obj  *store.Object
	etag string
	once sync.Once
	gz   []byte // gzip of obj.Body, made on first demand
}

// Option changes a Handler.
type Option func(*Handler)

// WithRebuild serves POST /rebuild with h.
func WithRebuild(h http.Handler) Option {
	return func(s *Handler) {
		s.mux.Handle("POST /rebuild", h)
		s.rebuild = true
	}
}

// WithLogger logs failures to l instead of slog.Default().
func WithLogger(l *slog.Logger) Option { return func(s *Handler) { s.log = l } }

// New returns a handler over src.
func New(src Source, opts ...Option) *Handler {
	h := &Handler{src: src, mux: http.NewServeMux(), log: slog.Default(), objects: map[string]*entry{}}
	h.mux.HandleFunc("GET /{$}", h.object(layout.Index))
	h.mux.HandleFunc("GET /"+layout.Index, h.object(layout.Index))
	h.mux.HandleFunc("GET /"+layout.OPML, h.object(layout.OPML))
	h.mux.HandleFunc("GET /feeds/{path...}", h.feed)
	h.mux.HandleFunc("GET /feeds", http.NotFound) // not a redirect to a listing
	for _, o := range opts {
		o(h)
	}
	return h
}

// ServeHTTP sets the headers every answer carries, refuses what cannot be a
// published object, and routes the rest.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Access-Control-Allow-Origin", "*")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Access-Control-Expose-Headers", "ETag, Last-Modified")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions: // CORS preflight, e.g. for a fetch with If-None-Match
		hdr.Set("Access-Control-Allow-Methods", "GET, HEAD")
		hdr.Set("Access-Control-Allow-Headers", "If-None-Match, If-Modified-Since, Range")
		hdr.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
		if h.rebuild && r.URL.Path == "/rebuild" {
			h.mux.ServeHTTP(w, r)
			return
		}
		fallthrough
	default:
		if h.rebuild && r.URL.Path == "/rebuild" {
			hdr.Set("Allow", "POST, OPTIONS")
		} else {
			hdr.Set("Allow", "GET, HEAD, OPTIONS")
		}
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !servable(r.URL) {
		http.NotFound(w, r)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// servable reports whether u could name a published object: a clean path
// (no dot segments, no doubled or trailing slashes) with no element that
// starts with a dot (dot-files, unfinished writes), no backslash or NUL,
// and no slash that arrived encoded as %2F.
func servable(u *url.URL) bool {
	p := u.Path
	return p == path.Clean(p) &&
		!strings.Contains(p, "/.") &&
		!strings.ContainsAny(p, "\\\x00") &&
		!strings.Contains(strings.ToLower(u.EscapedPath()), "%2f")
}

func (h *Handler) feed(w http.ResponseWriter, r *http.Request) {
	key := layout.FeedsDir + r.PathValue("path")
	if !layout.Served(key) {
		http.NotFound(w, r)
		return
	}
	h.serve(w, r, key)
}

func (h *Handler) object(key string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { h.serve(w, r, key) }
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, key string) {
	e, err := h.get(r.Context(), key)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInvalidKey):
		http.NotFound(w, r)
		return
	case err != nil:
		h.log.ErrorContext(r.Context(), "serve: read object", "key", key, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", layout.ContentType(key))
	hdr.Set("Cache-Control", firstOf(e.obj.CacheControl, DefaultCacheControl))
	body, etag := e.obj.Body, e.etag
	if len(body) >= minGzipBytes {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body = e.gzip()
			etag = strings.TrimSuffix(etag, `"`) + `-gz"`
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", etag)
	http.ServeContent(w, r, "", e.obj.ModTime, bytes.NewReader(body))
}

// get returns the object under key, from memory when the source says it has
// not changed since.
func (h *Handler) get(ctx context.Context, key string) (*entry, error) {
	h.mu.Lock()
	e := h.objects[key]
	h.mu.Unlock()
	version := ""
	if e != nil {
		version = e.obj.Version
	}
	obj, err := h.src.GetIfChanged(ctx, key, version)
	switch {
	case errors.Is(err, store.ErrNotModified) && e != nil:
		return e, nil
	case err != nil:
		if errors.Is(err, store.ErrNotFound) {
			h.mu.Lock()
			delete(h.objects, key)
			h.mu.Unlock()
		}
		return nil, err
	}
	hash := obj.Hash
	if hash == "" {
		hash = store.Hash(obj.Body)
	}
	e = &entry{obj: obj, etag: `"` + hash[:min(32, len(hash))] + `"`}
	h.mu.Lock()
	h.objects[key] = e
	h.mu.Unlock()
	return e, nil
}

func (e *entry) gzip() []byte {
	e.once.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(e.obj.Body)
		zw.Close()
		e.gz = buf.Bytes()
	})
	return e.gz
}

// acceptsGzip reads an Accept-Encoding header (RFC 9110 §12.5.3): gzip (or
// x-gzip, or *) with a q-value above zero.
func acceptsGzip(header string) bool {
	star := false
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		switch coding {
		case "gzip", "x-gzip":
			return q > 0
		case "*":
			star = q > 0
		}
	}
	return star
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
