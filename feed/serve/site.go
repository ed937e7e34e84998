package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/manifest"
)

// snapshot is the published site as one manifest's root described it:
// its shards are read as requests first need them.
type snapshot struct {
	version string    // of the manifest's root, as the store named it
	checked time.Time // when the store was last asked
	shards  []*slot
	// recent are the objects the root holds beyond its shards, which
	// replace what the shards say of them; nil for one removed.
	recent    map[string]*object
	gone      map[string]int64  // keys of feeds removed: 410
	redirects map[string]string // feed name -> the name it moved to: 301
}

// slot is one shard of the manifest. A shard's name is made from its
// bytes: a new root that names it again shares the slot, and the bodies
// in memory with it.
type slot struct {
	name    string
	loading sync.Mutex // one read of the shard at a time
	objects atomic.Pointer[map[string]*object]
	// prev is the slot of the same number in the site before, while this
	// one is not read yet: the bodies that did not change are taken over
	// from it when it is.
	prev atomic.Pointer[slot]
}

// Codings the handler serves, in the order it prefers them when a request
// accepts several equally.
var codings = [...]string{"br", "gzip", ""}

type object struct {
	reps         [len(codings)]*rep // by codings' index; nil when not published
	modified     time.Time
	lastModified []string
	cacheControl []string
	contentType  []string
	vary         []string // nil when there is one representation
	link         []string // nil for none
	csp          []string // Content-Security-Policy; nil for none
	// pack holds the deltas (RFC 3229) of a feed, and deltas where each
	// is in it, newest earlier version first; nil for none.
	pack   *rep
	deltas []delta
}

// delta is one delta document in an object's pack: the current items new
// or changed since an earlier version, whose representations' ETags are
// etags.
type delta struct {
	etags     []string
	off, size int
	items     int
}

// rep is one representation of an object: its bytes in one coding.
type rep struct {
	key      string
	hash     string
	size     int
	etag     []string
	length   []string
	encoding []string // nil for identity
	body     atomic.Pointer[cached]
	slots    int // for a delta pack, its deltas
}

// all are o's representations and its delta pack, nil where it has none.
func (o *object) all() (all [len(codings) + 1]*rep) {
	copy(all[:], o.reps[:])
	all[len(codings)] = o.pack
	return all
}

type cached struct {
	b    []byte
	used atomic.Bool // since the last sweep
	// gz, for a delta pack, are its deltas gzip-coded, by index, as they
	// are first asked for; an empty slice when gzip saves too little.
	gz []atomic.Pointer[[]byte]
}

// size is how many bytes c keeps in memory.
func (c *cached) size() int64 {
	n := int64(len(c.b))
	for i := range c.gz {
		if z := c.gz[i].Load(); z != nil {
			n += int64(len(*z))
		}
	}
	return n
}

var varyAcceptEncoding = []string{"Accept-Encoding"}

func newSnapshot(root *manifest.Root, version string, checked time.Time, last *snapshot) *snapshot {
	s := &snapshot{version: version, checked: checked, shards: make([]*slot, len(root.Shards)),
		gone: root.Gone, redirects: root.Redirects}
	if len(root.Recent) > 0 {
		// Bodies in memory are taken over from the recent objects
		// before, not from the shards': a body is counted once.
		entries := make(map[string]*manifest.Object, len(root.Recent))
		for key, e := range root.Recent {
			if e != nil {
				entries[key] = e
			}
		}
		s.recent = newObjects(entries, func(key string) *object {
			if last == nil {
				return nil
			}
			return last.recent[key]
		})
		for key, e := range root.Recent {
			if e == nil {
				s.recent[key] = nil
			}
		}
	}
	if legacy := root.Legacy(); legacy != nil {
		// A manifest of format 1 is one object: all of it is in hand.
		sl := &slot{name: layout.Manifest}
		objs := newObjects(legacy, lastObjects(last))
		sl.objects.Store(&objs)
		s.shards[0] = sl
		return s
	}
	for i, name := range root.Shards {
		if last != nil && len(last.shards) == len(root.Shards) {
			if ls := last.shards[i]; ls.name == name {
				s.shards[i] = ls
				continue
			}
		}
		sl := &slot{name: name}
		if last != nil && len(last.shards) == len(root.Shards) {
			ls := last.shards[i]
			if ls.objects.Load() == nil {
				ls = ls.prev.Load()
			}
			if ls != nil && name != "" {
				sl.prev.Store(ls)
			}
		}
		s.shards[i] = sl
	}
	return s
}

// lastObjects returns every object of the site before that is in memory.
func lastObjects(last *snapshot) func(key string) *object {
	return func(key string) *object {
		if last == nil || len(last.shards) == 0 {
			return nil
		}
		if objs := last.shards[manifest.ShardOf(key, len(last.shards))].objects.Load(); objs != nil {
			return (*objs)[key]
		}
		return nil
	}
}

// newObjects makes the objects of a shard's entries, with every header
// value made once, taking over the bodies of the objects before (by
// last) whose bytes are the same.
func newObjects(entries map[string]*manifest.Object, last func(key string) *object) map[string]*object {
	objects := make(map[string]*object, len(entries))
	// Most objects share their header values (a build's time, a few
	// policies and types): one slice each, for every object that has it.
	values := map[string][]string{}
	value := func(v string) []string {
		if vs, ok := values[v]; ok {
			return vs
		}
		vs := []string{v}
		values[v] = vs
		return vs
	}
	for key, e := range entries {
		if !layout.Served(key) {
			continue
		}
		lo := last(key)
		modified := time.Unix(e.Modified, 0).UTC()
		o := &object{
			modified:     modified,
			lastModified: value(modified.Format(http.TimeFormat)),
			cacheControl: value(e.CacheControl),
			contentType:  value(e.Type),
		}
		if e.Link != "" {
			o.link = value(e.Link)
		}
		if e.CSP != "" {
			o.csp = value(e.CSP)
		}
		for i, c := range codings {
			r := &rep{key: key, hash: e.Hash, size: e.Size}
			if c != "" {
				v, ok := e.Variants.Get(c)
				if !ok {
					continue
				}
				r = &rep{key: v.Key, hash: v.Hash, size: v.Size, encoding: []string{c}}
				o.vary = varyAcceptEncoding
			}
			r.etag = []string{`"` + r.hash[:min(32, len(r.hash))] + `"`}
			r.length = []string{strconv.Itoa(r.size)}
			if lo != nil && lo.reps[i] != nil && lo.reps[i].hash == r.hash { // bodies already in memory stay
				r.body.Store(lo.reps[i].body.Load())
			}
			o.reps[i] = r
		}
		if d := e.Deltas; d != nil && len(d.From) > 0 && validDeltas(d) {
			o.pack = &rep{key: d.Key, hash: d.Hash, size: d.Size, slots: len(d.From)}
			for _, f := range d.From {
				dl := delta{off: f.Offset, size: f.Size, items: f.Items}
				for _, h := range f.Hashes {
					dl.etags = append(dl.etags, `"`+h[:min(32, len(h))]+`"`)
				}
				o.deltas = append(o.deltas, dl)
			}
			if lo != nil && lo.pack != nil && lo.pack.hash == d.Hash && len(lo.deltas) == len(o.deltas) {
				o.pack.body.Store(lo.pack.body.Load())
			}
		}
		objects[key] = o
	}
	return objects
}

// resident is how many bytes of bodies the objects keep in memory.
func resident(objects map[string]*object) int64 {
	var n int64
	for _, o := range objects {
		if o == nil { // removed (a recent entry)
			continue
		}
		for _, rp := range o.all() {
			if rp != nil {
				if c := rp.body.Load(); c != nil {
					n += c.size()
				}
			}
		}
	}
	return n
}

// errShardGone says that a shard the site in memory names is no longer in
// the store: a newer root retired it, and the site must be read again.
var errShardGone = errors.New("serve: a shard of the manifest is gone")

// lookup returns the object the site publishes under key, nil for none,
// reading its shard when no request needed it before.
func (h *Handler) lookup(ctx context.Context, site *snapshot, key string) (*object, error) {
	if o, ok := site.recent[key]; ok {
		return o, nil
	}
	if len(site.shards) == 0 {
		return nil, nil
	}
	sl := site.shards[manifest.ShardOf(key, len(site.shards))]
	if sl.name == "" {
		return nil, nil
	}
	objs := sl.objects.Load()
	if objs == nil {
		var err error
		if objs, err = h.readShard(ctx, sl); err != nil {
			return nil, err
		}
	}
	return (*objs)[key], nil
}

// readShard reads the shard of sl, once however many requests ask.
func (h *Handler) readShard(ctx context.Context, sl *slot) (*map[string]*object, error) {
	sl.loading.Lock()
	defer sl.loading.Unlock()
	if objs := sl.objects.Load(); objs != nil {
		return objs, nil
	}
	key := manifest.ShardKey(sl.name)
	obj, err := h.src.GetIfChanged(ctx, key, "")
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", errShardGone, key)
	}
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	entries, err := manifest.DecodeShard(sl.name, obj.Body)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	prev := sl.prev.Load()
	last := func(string) *object { return nil }
	var before int64 // the bodies the slot before holds
	if prev != nil {
		if pobjs := prev.objects.Load(); pobjs != nil {
			last = func(key string) *object { return (*pobjs)[key] }
			before = resident(*pobjs)
		}
	}
	objs := newObjects(entries, last)
	sl.objects.Store(&objs)
	sl.prev.Store(nil)
	h.resident.Add(resident(objs) - before)
	return &objs, nil
}

// validDeltas reports whether every delta d lists lies in its pack,
// before the trailer, and names an earlier version.
func validDeltas(d *manifest.Deltas) bool {
	if d.Key == "" || d.Hash == "" || d.Trailer > d.Size {
		return false
	}
	for _, f := range d.From {
		if f.Offset < 0 || f.Size <= 0 || f.Offset+f.Size > d.Trailer || len(f.Hashes) == 0 {
			return false
		}
		for _, h := range f.Hashes {
			if h == "" {
				return false
			}
		}
	}
	return true
}

// maxWait is how long a request waits for a revalidation another request
// is making before it answers from the site in memory.
const maxWait = time.Second

// loadTimeout bounds one revalidation of the manifest.
const loadTimeout = 10 * time.Second

// current returns the site to answer from: the one in memory, asking the
// store first when the last time is more than one interval ago. Only one
// request asks; the others that need to wait for its answer, up to
// maxWait, so that once the interval after a build has passed no reader
// gets the old version (a WebSub hub fetching as it is pinged relies on
// it); a store slower than that is answered from memory. A store that
// fails is asked again at the next interval, and the site in memory is
// served until then (stale-if-error).
func (h *Handler) current(ctx context.Context) (*snapshot, error) {
	s := h.site.Load()
	if s == nil {
		h.loading.Lock()
		defer h.loading.Unlock()
		if s = h.site.Load(); s != nil {
			return s, nil
		}
		s, err := h.load(ctx, nil)
		if err != nil {
			return nil, err
		}
		h.site.Store(s)
		return s, nil
	}
	if h.now().Sub(s.checked) < h.revalidate {
		return s, nil
	}
	h.waitMu.Lock()
	done, leader := h.refreshed, false
	if done == nil {
		done, leader = make(chan struct{}), true
		h.refreshed = done
	}
	h.waitMu.Unlock()
	if !leader {
		select {
		case <-done:
			return h.site.Load(), nil
		case <-time.After(maxWait):
			return s, nil
		case <-ctx.Done():
			return s, nil
		}
	}
	defer func() {
		h.waitMu.Lock()
		h.refreshed = nil
		h.waitMu.Unlock()
		close(done)
	}()
	h.loading.Lock()
	defer h.loading.Unlock()
	if s = h.site.Load(); h.now().Sub(s.checked) < h.revalidate {
		return s, nil // revalidated meanwhile
	}
	// For every request waiting, not only this one: a reader that goes
	// away does not cut the revalidation short.
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
	defer cancel()
	next, err := h.load(lctx, s)
	if err != nil {
		h.log.ErrorContext(ctx, "serve: revalidate the manifest", "err", err)
		retry := *s
		retry.checked = h.now()
		h.site.Store(&retry)
		return s, nil
	}
	h.site.Store(next)
	return next, nil
}

// reread reads the manifest's root again at once, whatever the interval,
// for a site in memory that names a shard a newer build has removed.
func (h *Handler) reread(ctx context.Context, s *snapshot) (*snapshot, error) {
	h.loading.Lock()
	defer h.loading.Unlock()
	if cur := h.site.Load(); cur != s && cur != nil && cur.version != s.version {
		return cur, nil // read again meanwhile
	}
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
	defer cancel()
	next, err := h.load(lctx, s)
	if err != nil {
		return nil, err
	}
	h.site.Store(next)
	return next, nil
}

// load asks the store for the manifest, given the site in memory (nil for
// none), and returns the site it describes. A store that has no manifest
// publishes nothing.
func (h *Handler) load(ctx context.Context, last *snapshot) (*snapshot, error) {
	now := h.now()
	version := ""
	if last != nil {
		version = last.version
	}
	if st, ok := h.src.(statter); ok {
		info, err := st.Stat(ctx, layout.Manifest)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return &snapshot{checked: now}, nil
		case err != nil:
			return nil, err
		case last != nil && info.Version == last.version:
			s := *last
			s.checked = now
			return &s, nil
		}
		version = info.Version
		obj, err := h.src.GetIfChanged(ctx, layout.Manifest, "")
		if err != nil {
			return nil, fmt.Errorf("serve: %w", err)
		}
		return h.decode(obj, version, now, last)
	}
	obj, err := h.src.GetIfChanged(ctx, layout.Manifest, version)
	switch {
	case errors.Is(err, store.ErrNotModified) && last != nil:
		s := *last
		s.checked = now
		return &s, nil
	case errors.Is(err, store.ErrNotFound):
		return &snapshot{checked: now}, nil
	case err != nil:
		return nil, fmt.Errorf("serve: %w", err)
	}
	return h.decode(obj, obj.Version, now, last)
}

func (h *Handler) decode(obj *store.Object, version string, now time.Time, last *snapshot) (*snapshot, error) {
	root, err := manifest.DecodeRoot(obj.Body)
	if err != nil {
		return nil, fmt.Errorf("serve: %s: %w", layout.Manifest, err)
	}
	s := newSnapshot(root, version, now, last)
	kept := resident(s.recent) // what the new site keeps; the rest goes with the old one
	for _, sl := range s.shards {
		for _, x := range []*slot{sl, sl.prev.Load()} {
			if x == nil {
				continue
			}
			if objs := x.objects.Load(); objs != nil {
				kept += resident(*objs)
			}
		}
	}
	h.resident.Store(kept)
	return s, nil
}

// body returns the bytes of rp: from memory, or read from the store and
// kept. Bytes that are not the ones the manifest names (a build wrote the
// object and has not yet written its manifest) are served with an ETag of
// their own, returned, and not kept.
func (h *Handler) body(ctx context.Context, site *snapshot, rp *rep) ([]byte, []string, error) {
	if c := rp.body.Load(); c != nil {
		if !c.used.Load() {
			c.used.Store(true)
		}
		return c.b, nil, nil
	}
	obj, err := h.src.GetIfChanged(ctx, rp.key, "")
	if err != nil {
		return nil, nil, err
	}
	if hash := store.Hash(obj.Body); hash != rp.hash {
		return obj.Body, []string{`"` + hash[:32] + `"`}, nil
	}
	c := &cached{b: obj.Body}
	if rp.slots > 0 {
		c.gz = make([]atomic.Pointer[[]byte], rp.slots)
	}
	c.used.Store(true)
	if rp.body.CompareAndSwap(nil, c) {
		if h.resident.Add(int64(len(c.b))) > h.memory {
			h.evict(site)
		}
	}
	return obj.Body, nil, nil
}

// all returns the objects of the shards read so far.
func (s *snapshot) all() func(yield func(*object) bool) {
	return func(yield func(*object) bool) {
		for _, o := range s.recent {
			if o != nil && !yield(o) {
				return
			}
		}
		for _, sl := range s.shards {
			objs := sl.objects.Load()
			if objs == nil {
				continue
			}
			for _, o := range *objs {
				if !yield(o) {
					return
				}
			}
		}
	}
}

// evict drops the bodies not used since the last sweep until the bodies
// in memory fit the budget again, and marks the others unused (the clock
// algorithm: a body used between two sweeps stays).
func (h *Handler) evict(site *snapshot) {
	if !h.evicting.TryLock() {
		return // another request is at it
	}
	defer h.evicting.Unlock()
	// First the bodies kept for shards not read again since a build.
	for _, sl := range site.shards {
		if prev := sl.prev.Swap(nil); prev != nil {
			if objs := prev.objects.Load(); objs != nil {
				h.resident.Add(-resident(*objs))
			}
		}
	}
	for pass := 0; pass < 2 && h.resident.Load() > h.memory; pass++ {
		for o := range site.all() {
			for _, rp := range o.all() {
				if rp == nil {
					continue
				}
				c := rp.body.Load()
				if c == nil {
					continue
				}
				if c.used.Load() {
					c.used.Store(false)
					continue
				}
				if rp.body.CompareAndSwap(c, nil) {
					h.resident.Add(-c.size())
				}
				if h.resident.Load() <= h.memory*3/4 {
					return
				}
			}
		}
	}
}
