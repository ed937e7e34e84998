// Package serve answers feed readers and partner sites from the published
// site, from memory: the build's manifest (feed/manifest) says what is
// published, with its hashes, variants and Last-Modified, and the handler
// asks the store whether it changed at most once per revalidation interval,
// not once per request. Bodies are read once and kept within a memory
// budget, the most used first. The HTTP is RFC 9110's: strong ETags per
// representation, If-None-Match before If-Modified-Since, content codings
// negotiated with q-values, HEAD, 304s that repeat what caches need, 405
// with Allow, CORS; nothing that was not published, never internal state.
package serve

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/layout"
)

// Source is where the published site is read from. GetIfChanged returns
// store.ErrNotModified when the object still has the given version, and
// store.ErrNotFound when there is no such object. A Source that can also
// Stat (a folder) is asked that instead, to revalidate the manifest
// without reading it.
type Source interface {
	GetIfChanged(ctx context.Context, key, version string) (*store.Object, error)
}

type statter interface {
	Stat(ctx context.Context, key string) (store.Info, error)
}

// Defaults of a Handler.
const (
	// DefaultRevalidate is how often the handler asks whether the site
	// changed.
	DefaultRevalidate = 2 * time.Second
	// DefaultMemory is how many bytes of bodies the handler keeps: room
	// for the hot feeds of a large site in a 256 MB function.
	DefaultMemory = 64 << 20
)

// MaxTarget is the longest request target (path and query) the handler
// reads; a longer one gets 414. The longest published URL, a feed named by
// a label of 200 characters percent-encoded, is under 2.5 KB.
const MaxTarget = 8 << 10

// Handler serves the published site. Create it with New.
type Handler struct {
	src        Source
	mux        *http.ServeMux
	rebuild    bool // POST /rebuild is served
	log        *slog.Logger
	revalidate time.Duration
	memory     int64
	now        func() time.Time

	site      atomic.Pointer[snapshot]
	loading   sync.Mutex    // the first load, and a refresh
	waitMu    sync.Mutex    // guards refreshed
	refreshed chan struct{} // closed when the revalidation in flight ends; nil when none is
	resident  atomic.Int64
	evicting  sync.Mutex
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

// WithRevalidate makes the handler ask whether the site changed at most
// once per d (zero or less: DefaultRevalidate).
func WithRevalidate(d time.Duration) Option {
	return func(s *Handler) {
		if d > 0 {
			s.revalidate = d
		}
	}
}

// WithMemory keeps at most about n bytes of bodies in memory (zero or
// less: DefaultMemory).
func WithMemory(n int64) Option {
	return func(s *Handler) {
		if n > 0 {
			s.memory = n
		}
	}
}

// New returns a handler over src.
func New(src Source, opts ...Option) *Handler {
	h := &Handler{src: src, mux: http.NewServeMux(), log: slog.Default(), revalidate: DefaultRevalidate,
		memory: DefaultMemory, now: time.Now}
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

// Headers every answer carries, as net/http keys them.
var (
	allowOrigin   = []string{"*"}
	noSniff       = []string{"nosniff"}
	exposeHeaders = []string{"ETag, Last-Modified, Link, IM"}
)

// ServeHTTP sets the headers every answer carries, refuses what cannot be a
// published object, and routes the rest.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr["Access-Control-Allow-Origin"] = allowOrigin
	hdr["X-Content-Type-Options"] = noSniff
	hdr["Access-Control-Expose-Headers"] = exposeHeaders
	if max(len(r.URL.Path), len(r.URL.RawPath))+len(r.URL.RawQuery) > MaxTarget {
		http.Error(w, "request target too long", http.StatusRequestURITooLong)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions: // CORS preflight, e.g. for a fetch with If-None-Match
		hdr.Set("Access-Control-Allow-Methods", "GET, HEAD")
		hdr.Set("Access-Control-Allow-Headers", "If-None-Match, If-Modified-Since, A-IM")
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
	switch p := r.URL.Path; {
	case p == "/" || p == "/"+layout.Index:
		h.serve(w, r, layout.Index)
	case p == "/"+layout.OPML:
		h.serve(w, r, layout.OPML)
	case strings.HasPrefix(p, "/"+layout.FeedsDir), strings.HasPrefix(p, "/"+layout.ArchiveDir),
		strings.HasPrefix(p, "/"+layout.AssetsDir):
		h.feed(w, r) // feeds, their preview and archive pages, the pages' assets
	default:
		h.mux.ServeHTTP(w, r) // 404, or 405 from the patterns
	}
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
		(u.RawPath == "" || !strings.Contains(strings.ToLower(u.RawPath), "%2f"))
}

func (h *Handler) feed(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, "/")
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
	ctx := r.Context()
	site, err := h.current(ctx)
	if err != nil {
		h.log.ErrorContext(ctx, "serve: read the manifest", "err", err)
		w.Header()["Cache-Control"] = noStore
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return
	}
	o, err := h.lookup(ctx, site, key)
	if errors.Is(err, errShardGone) {
		if site, err = h.reread(ctx, site); err == nil {
			o, err = h.lookup(ctx, site, key)
		}
	}
	if err != nil {
		h.log.ErrorContext(ctx, "serve: read the manifest", "key", key, "err", err)
		w.Header()["Cache-Control"] = noStore
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return
	}
	if o == nil || len(site.redirects) > 0 && h.moved(w, site, key) {
		if o == nil {
			h.missing(w, r, site, key)
		}
		return
	}
	hdr := w.Header()
	if o.vary != nil {
		hdr["Vary"] = o.vary
	}
	if o.link != nil {
		hdr["Link"] = o.link
	}
	if o.csp != nil {
		hdr["Content-Security-Policy"] = o.csp
	}
	rp := o.choose(r.Header["Accept-Encoding"])
	if rp == nil {
		hdr["Cache-Control"] = o.cacheControl
		http.Error(w, "not acceptable: no content coding the request accepts", http.StatusNotAcceptable)
		return
	}
	hdr["Cache-Control"] = o.cacheControl
	hdr["Etag"] = rp.etag
	status := preconditions(r, rp.etag[0], o.modified)
	if status == http.StatusOK && o.deltas != nil && len(r.Header["If-None-Match"]) > 0 && acceptsFeed(r.Header["A-Im"]) {
		// A reader that takes deltas holds the feed as the version its
		// If-None-Match names, in whatever coding it came.
		if inm := r.Header["If-None-Match"]; o.matchesCurrent(inm) {
			status = http.StatusNotModified
		} else if k := o.deltaFor(inm); k >= 0 && h.delta(w, r, site, o, rp, k) {
			return
		}
	}
	switch status {
	case http.StatusPreconditionFailed:
		delete(hdr, "Etag")
		http.Error(w, "precondition failed", http.StatusPreconditionFailed)
		return
	case http.StatusNotModified:
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead { // the manifest says all a HEAD answers
		hdr["Content-Type"], hdr["Last-Modified"], hdr["Content-Length"] = o.contentType, o.lastModified, rp.length
		if rp.encoding != nil {
			hdr["Content-Encoding"] = rp.encoding
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	body, etag, err := h.body(ctx, site, rp)
	if err != nil {
		delete(hdr, "Etag")
		hdr["Cache-Control"] = noStore // a cache keeps its last good copy instead
		h.log.ErrorContext(ctx, "serve: read object", "key", rp.key, "err", err)
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return
	}
	if etag != nil { // the store had newer bytes than the manifest: theirs
		hdr["Etag"] = etag
	}
	hdr["Content-Type"] = o.contentType
	hdr["Last-Modified"] = o.lastModified
	if rp.encoding != nil {
		hdr["Content-Encoding"] = rp.encoding
	}
	if etag == nil {
		hdr["Content-Length"] = rp.length
	} else {
		hdr["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	w.WriteHeader(http.StatusOK)
	writeBody(w, r, body)
}

var noStore = []string{"no-store"}

// Headers of a 226 (RFC 3229): the delta is an answer to this request
// alone, which no cache may keep or give another reader.
var (
	imFeed       = []string{"feed"}
	cacheDelta   = []string{"no-store, im"}
	varyDelta    = []string{"A-IM, If-None-Match, Accept-Encoding"}
	encodingGzip = []string{"gzip"}
)

// deltaMinSaving is how many bytes gzip must save for a delta to be sent
// compressed.
const deltaMinSaving = 64

// matchesCurrent reports whether If-None-Match names any representation of o as
// it is now.
func (o *object) matchesCurrent(inm []string) bool {
	for _, rp := range o.reps {
		if rp != nil && anyMatches(inm, rp.etag[0], false) {
			return true
		}
	}
	return false
}

// deltaFor returns the index of the delta from the newest earlier
// version If-None-Match names, -1 for none.
func (o *object) deltaFor(inm []string) int {
	for k := range o.deltas {
		for _, etag := range o.deltas[k].etags {
			if anyMatches(inm, etag, false) {
				return k
			}
		}
	}
	return -1
}

// delta answers 226 IM Used with o's k-th delta: a complete feed of the
// items new or changed since the version the reader has, gzip-coded when
// the request takes it. Its ETag is the one a 200 to the same request
// would carry (rp's): the reader now holds the current version, and its
// next request names it, whether it takes deltas (a 304, or the next
// delta) or not (a 304 from the origin or a cache, for the
// representation it asks for). It reports false, having written nothing,
// when the pack cannot be read or is not the bytes the manifest names,
// or the request accepts neither gzip nor identity: the caller answers
// with the full feed.
func (h *Handler) delta(w http.ResponseWriter, r *http.Request, site *snapshot, o *object, rp *rep, k int) bool {
	useGzip, ok := deltaCoding(r.Header["Accept-Encoding"])
	if !ok {
		return false
	}
	ctx := r.Context()
	pack, etag, err := h.body(ctx, site, o.pack)
	if err != nil || etag != nil {
		if err == nil {
			err = errors.New("not the bytes the manifest names")
		}
		h.log.WarnContext(ctx, "serve: read the deltas; the full feed instead", "key", o.pack.key, "err", err)
		return false
	}
	d := &o.deltas[k]
	doc := pack[d.off : d.off+d.size]
	var coded bool
	if useGzip {
		if z := h.gzipDelta(o.pack, k, doc); z != nil {
			doc, coded = z, true
		}
	}
	hdr := w.Header()
	hdr["Im"] = imFeed
	hdr["Cache-Control"] = cacheDelta
	hdr["Vary"] = varyDelta
	hdr["Content-Type"] = o.contentType
	hdr["Last-Modified"] = o.lastModified
	hdr["Content-Length"] = []string{strconv.Itoa(len(doc))}
	if coded {
		hdr["Content-Encoding"] = encodingGzip
	}
	w.WriteHeader(http.StatusIMUsed)
	if r.Method != http.MethodHead {
		writeBody(w, r, doc)
	}
	return true
}

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression) // a valid level: no error
	return w
}}

// gzipDelta returns doc, the k-th delta in rp (a pack), gzip-coded,
// or nil when that saves too little. The coded bytes stay with the pack
// in memory: each delta is compressed once.
func (h *Handler) gzipDelta(rp *rep, k int, doc []byte) []byte {
	c := rp.body.Load()
	if c == nil || k >= len(c.gz) {
		c = nil // dropped meanwhile: compress for this request alone
	} else if z := c.gz[k].Load(); z != nil {
		if len(*z) == 0 {
			return nil
		}
		return *z
	}
	var buf bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&buf)
	_, _ = zw.Write(doc) // a bytes.Buffer does not fail
	_ = zw.Close()
	gzipWriters.Put(zw)
	z := buf.Bytes()
	if len(doc)-len(z) < deltaMinSaving {
		z = []byte{}
	}
	if c != nil && c.gz[k].CompareAndSwap(nil, &z) {
		h.resident.Add(int64(len(z)))
	}
	if len(z) == 0 {
		return nil
	}
	return z
}

// preconditions evaluates a GET's or HEAD's preconditions in RFC 9110's
// order (§13.2.2) and returns 412, 304, or 200 to go on: If-Match
// (compared strongly) or else If-Unmodified-Since; then If-None-Match
// (compared weakly, "*" matching any current representation) or else
// If-Modified-Since, a valid date not before Last-Modified ("not modified
// since", never an exact match). Invalid dates are ignored.
func preconditions(r *http.Request, etag string, modified time.Time) int {
	if im := r.Header["If-Match"]; len(im) > 0 {
		if !anyMatches(im, etag, true) {
			return http.StatusPreconditionFailed
		}
	} else if ius := r.Header.Get("If-Unmodified-Since"); ius != "" {
		if t, err := http.ParseTime(ius); err == nil && modified.After(t) {
			return http.StatusPreconditionFailed
		}
	}
	if inm := r.Header["If-None-Match"]; len(inm) > 0 {
		if anyMatches(inm, etag, false) {
			return http.StatusNotModified
		}
		return http.StatusOK
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !modified.After(t) {
			return http.StatusNotModified
		}
	}
	return http.StatusOK
}

// MaxListBytes is how much of an If-Match, If-None-Match or A-IM header
// (all its fields) the handler reads: a reader or a cache sends one
// entity tag (34 bytes) or a few. The rest of a longer list is ignored:
// its request gets the full answer, which is always right, and the work
// one request costs stays bounded however large its headers (If-None-Match
// is compared with every representation and delta of a feed).
const MaxListBytes = 4 << 10

// bounded returns the first MaxListBytes of a header's fields, counting a
// separator between fields; a field cut short ends with a partial entity
// tag, which is invalid and so ends it.
func bounded(fields []string) []string {
	left := MaxListBytes
	for i, v := range fields {
		if len(v) >= left {
			if i == 0 {
				return []string{v[:left]}
			}
			return append(fields[:i:i], v[:left])
		}
		left -= len(v) + 1
		if left <= 0 {
			return fields[:i+1]
		}
	}
	return fields
}

func anyMatches(fields []string, etag string, strong bool) bool {
	for _, v := range bounded(fields) {
		if matchesAny(v, etag, strong) {
			return true
		}
	}
	return false
}

// matchesAny reports whether a list of entity tags (or "*") names etag,
// comparing strongly (a weak tag matches nothing) or weakly (W/"x"
// matches "x").
func matchesAny(list, etag string, strong bool) bool {
	for list != "" {
		list = strings.TrimLeft(list, " \t,")
		if list == "" {
			break
		}
		if list[0] == '*' {
			return true
		}
		weak := strings.HasPrefix(list, "W/")
		if weak {
			list = list[2:]
		}
		if list == "" || list[0] != '"' {
			return false // not an entity tag: the field is invalid, ignore the rest
		}
		end := strings.IndexByte(list[1:], '"')
		if end < 0 {
			return false
		}
		if list[:end+2] == etag && !(strong && weak) {
			return true
		}
		list = list[end+2:]
	}
	return false
}

// Caching of the answers for what is not published: a redirect or a
// removal stands for a day; a 404 may be published any moment.
var (
	cacheMoved = []string{"public, max-age=86400"}
	cacheNone  = []string{"public, max-age=60"}
)

// missing answers for a key the site does not publish: 301 to the new
// name of a renamed feed, 410 Gone for a feed removed after its grace
// period (so readers stop polling), 404 otherwise.
func (h *Handler) missing(w http.ResponseWriter, r *http.Request, site *snapshot, key string) {
	hdr := w.Header()
	if h.moved(w, site, key) {
		return
	}
	if _, gone := site.gone[key]; gone {
		hdr["Cache-Control"] = cacheMoved
		http.Error(w, "gone: this feed is no longer published", http.StatusGone)
		return
	}
	hdr["Cache-Control"] = cacheNone
	http.NotFound(w, r)
}

// moved answers 301 for a feed the site file renamed, whether or not the
// old name is still published (it is, empty, until its grace period ends),
// and reports whether it did.
func (h *Handler) moved(w http.ResponseWriter, site *snapshot, key string) bool {
	name, ext, ok := layout.FeedName(key)
	if !ok {
		return false
	}
	to, moved := site.redirects[name]
	if !moved {
		return false
	}
	hdr := w.Header()
	hdr["Cache-Control"] = cacheMoved
	hdr.Set("Location", layout.FeedURL("", to, ext))
	w.WriteHeader(http.StatusMovedPermanently)
	return true
}
