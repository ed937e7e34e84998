package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/manifest"
)

// Compression levels of the variants. Feeds are written once and fetched
// many times, so the build spends CPU for bytes: gzip 6 (klauspost's
// default) and brotli 5, which on our CJK feeds give 14% and 11% of the
// original against 18% for gzip 1, at about 60 and 15 MB/s a core. The
// levels are part of the output: changing one changes the published bytes
// (bump feed.RendererVersion).
const (
	gzipLevel   = 6
	brotliLevel = 5
)

// A variant is written only when it is smaller than the object by at
// least minSaving bytes and minSavingShare of its size: a reader gains
// nothing from a coding that saves less.
const (
	minSaving      = 64
	minSavingShare = 0.05
)

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzipLevel) // a valid level: no error
	return w
}}

// A brotli writer holds its window and tables: reused, not made for each
// object, and pooled by window size (see brotliWindow).
var brotliWriters [maxBrotliWindow + 1]sync.Pool

// The window sizes brotli encodes with, as base-2 logarithms: the
// format's smallest, and the encoder's default for our level.
const (
	minBrotliWindow = 10
	maxBrotliWindow = 22
)

// brotliWindow is the window brotli encodes an n-byte body with: the
// smallest that holds it whole (a window is 16 bytes short of its power
// of two), as a larger one finds no more matches. A writer's ring buffer
// is twice its window: with the default window each held 8 MB, whatever
// it encoded, 32 MB of a large build's heap for feeds of a few hundred KB.
func brotliWindow(n int) int {
	return min(max(bits.Len(uint(n+15)), minBrotliWindow), maxBrotliWindow)
}

func brotliWriter(n int) (*brotli.Writer, *sync.Pool) {
	pool := &brotliWriters[brotliWindow(n)]
	if w, ok := pool.Get().(*brotli.Writer); ok {
		return w, pool
	}
	return brotli.NewWriterOptions(nil, brotli.WriterOptions{Quality: brotliLevel, LGWin: brotliWindow(n)}), pool
}

// encode returns body in coding, or nil when that would not save enough.
func encode(coding string, body []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(body) / 4)
	switch coding {
	case "gzip":
		w := gzipWriters.Get().(*gzip.Writer)
		w.Reset(&buf)
		_, _ = w.Write(body) // a bytes.Buffer does not fail
		_ = w.Close()
		gzipWriters.Put(w)
	case "br":
		w, pool := brotliWriter(len(body))
		w.Reset(&buf)
		_, _ = w.Write(body)
		_ = w.Close()
		pool.Put(w)
	default:
		return nil
	}
	if saved := len(body) - buf.Len(); saved < minSaving || float64(saved) < minSavingShare*float64(len(body)) {
		return nil
	}
	return buf.Bytes()
}

// cacheControl is what the answers for a published object ask caches to
// do. Fresh for a minute (or the schedule, when shorter): an edit reaches
// the store within a second through its event, so a cache should ask
// again soon; a cache may serve a stale copy for one schedule period while
// it asks (the scheduled build is the latest any change lands), and for a
// day when the origin fails.
func (b *Build) cacheControl(string) string {
	every := b.Schedule
	if every <= 0 {
		every = DefaultSchedule
	}
	fresh := min(time.Minute, every)
	return fmt.Sprintf("public, max-age=%d, stale-while-revalidate=%d, stale-if-error=86400",
		int(fresh.Seconds()), int(every.Seconds()))
}

// archiveCacheControl is what the answers for an archive page that is not
// its feed's newest ask caches: such a page changes only when an old
// article is edited or deleted, so it is fresh for a day.
const archiveCacheControl = "public, max-age=86400, stale-while-revalidate=86400, stale-if-error=604800"

// cacheControlOf is the Cache-Control of a job's outputs: a feed's, or an
// archive page's; the newest page of a feed gains articles as they are
// published, and is cached as the feed is.
func (b *Build) cacheControlOf(j *job) string {
	if j.page != nil && j.next != "" {
		return archiveCacheControl
	}
	return b.cacheControl(j.key("rss"))
}

// DefaultSchedule is how often a scheduled build is taken to run when
// Build.Schedule is zero (the template's default rate).
const DefaultSchedule = 5 * time.Minute

// codings are the content codings object key is precompressed in: the
// site's, but for archive pages. Those are most of a from-scratch build's
// bytes (every article, in each of its feeds, in three formats: 5 GB for a
// full-text site of 100,000 articles, a few minutes of brotli), and are
// fetched rarely, by readers walking a feed's history; they are served as
// they are (CloudFront compresses them on the way out).
func (b *Build) codings(key string) []string {
	if strings.HasPrefix(key, layout.ArchiveDir) {
		return nil
	}
	return b.Site.Precompress
}

// errManifest says that the last manifest cannot be read although the
// catalog says outputs were published: a build that writes only what
// changed cannot describe the site, and Run builds in full instead.
var errManifest = errors.New("publish: the manifest of the published site is missing or unreadable")

// lastManifest reads the root of the manifest the last build wrote; nil
// when there is none. Its shards are read as they are needed: a full
// build (tolerant) takes a shard that is missing or corrupt for an empty
// one, as it rewrites every entry it publishes.
func (b *Build) lastManifest(ctx context.Context, tolerant bool) (*manifest.Manifest, error) {
	m, err := manifest.Read(ctx, b.Out)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	if m != nil && tolerant {
		m.Tolerate()
	}
	return m, nil
}

// manifestErr wraps an error of the last manifest: a shard gone or
// corrupt is errManifest too, which sends the build to a full one.
func manifestErr(err error) error {
	if errors.Is(err, manifest.ErrCorrupt) {
		err = fmt.Errorf("%w: %w", errManifest, err)
	}
	return fmt.Errorf("publish: %w", err)
}

// lastEntry is the last manifest's entry for key, nil when it has none. A
// shard that cannot be read fails the build (its error is the outbox's),
// or sends it to a full build when the shard is gone.
func (o *outbox) lastEntry(ctx context.Context, key string) *manifest.Object {
	if o.last == nil {
		return nil
	}
	e, err := o.last.Object(ctx, key)
	if err != nil {
		o.fail(manifestErr(err))
		return nil
	}
	return e
}

// current reports whether the last manifest already describes key with
// these bytes, variants and headers included.
func (o *outbox) current(ctx context.Context, key, hash string) bool {
	return o.currentWith(ctx, key, hash, o.b.cacheControl(key))
}

// currentWith is current for an output served with the given
// Cache-Control.
func (o *outbox) currentWith(ctx context.Context, key, hash, cacheControl string) bool {
	e := o.lastEntry(ctx, key)
	if e == nil || e.Hash != hash {
		return false
	}
	// Written with the codings the site asks for now (a coding without
	// a variant saved too little, and would again: the bytes are the same).
	// The headers it is served with may have changed with the schedule.
	return e.Codings == strings.Join(o.b.codings(key), ",") &&
		e.CacheControl == cacheControl && e.Link == o.b.link(key) && e.CSP == o.b.csp(key)
}

// variants returns the objects that go with a published object: its
// precompressed copies, and its manifest entry.
func (o *outbox) variants(key string, body []byte, hash, cacheControl string) ([]*store.Object, manifest.Object) {
	e := manifest.Object{Hash: hash, Size: len(body), Type: layout.ContentType(key), CacheControl: cacheControl,
		Link: o.b.link(key), CSP: o.b.csp(key), Codings: strings.Join(o.b.codings(key), ",")}
	var objs []*store.Object
	for _, c := range o.b.codings(key) {
		z := encode(c, body)
		if z == nil {
			continue
		}
		v := manifest.Variant{Coding: c, Key: layout.VariantKey(key, c), Hash: store.Hash(z), Size: len(z)}
		e.Variants.Set(v)
		objs = append(objs, &store.Object{Key: v.Key, Body: z, ContentType: e.Type, ContentEncoding: c,
			CacheControl: e.CacheControl, Hash: v.Hash})
	}
	return objs, e
}

// writeManifest records what the build wrote and removed in the manifest
// and writes it: after every object it names, before the commit. It
// returns what may be deleted once it is written: the orphans' variants
// and the shards the last build retired.
func (b *Build) writeManifest(ctx context.Context, out *outbox, pl *plan, now time.Time) ([]string, error) {
	m := out.last
	if m == nil {
		m = manifest.New()
	}
	wrap := manifestErr
	keys := make([]string, 0, len(out.entries))
	for key := range out.entries {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if err := m.Set(ctx, key, out.entries[key], now); err != nil {
			return nil, wrap(err)
		}
	}
	out.entries = nil // in the manifest now: not held twice while it is encoded
	var gone []string
	for _, key := range pl.orphans {
		e, err := m.Remove(ctx, key)
		if err != nil {
			return nil, wrap(err)
		}
		if e != nil {
			for _, v := range e.Variants {
				gone = append(gone, v.Key)
			}
		}
	}
	for _, key := range pl.gone {
		if err := m.Bury(ctx, key, now); err != nil {
			return nil, wrap(err)
		}
	}
	m.Redirects = nil
	if len(b.Site.Redirects) > 0 {
		m.Redirects = b.Site.Redirects
	}
	if pl.fold {
		m.Fold()
	}
	retire, err := m.Commit(ctx, b.Out, now)
	if err != nil {
		return nil, wrap(err)
	}
	sort.Strings(gone)
	return append(gone, retire...), nil
}

// link is the Link header of a published object: for a feed of a site
// with WebSub hubs, each hub and the feed itself (RFC 8288; WebSub §4),
// so that a subscriber finds them without parsing the feed.
func (b *Build) link(key string) string {
	name, ext, ok := layout.FeedName(key)
	if !ok || len(b.Site.Hubs) == 0 {
		return ""
	}
	var parts []string
	for _, hub := range b.Site.Hubs {
		parts = append(parts, "<"+hub+">; rel=\"hub\"")
	}
	parts = append(parts, "<"+layout.FeedURL(b.Site.BaseURL, name, ext)+">; rel=\"self\"")
	return strings.Join(parts, ", ")
}
