package manifest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/layout"
)

// Getter reads objects from a store.
type Getter interface {
	Get(ctx context.Context, key string) (*store.Object, error)
}

// Writer is a store a manifest is committed to.
type Writer interface {
	Getter
	Write(ctx context.Context, o *store.Object) (version string, err error)
	// WriteAll writes many objects as Write does, each atomically,
	// durable when it returns nil (store.Bucket's contract): a folder
	// syncs once for all of them, S3 uploads several at a time.
	WriteAll(ctx context.Context, objs []*store.Object) (versions []string, err error)
}

// Objects per shard: a site is resharded when its shards hold fewer than
// minPerShard or more than maxPerShard objects on average, into shards of
// perShard. At about 100 bytes an entry gzip-coded (three hashes), a shard
// is some 6 KB, and the root names a shard in 24 bytes: an event that
// touches seven shards at 100,000 articles (~140,000 objects) reads and
// writes some 50 KB of shards and a 50 KB root.
const (
	perShard    = 64
	minPerShard = perShard / 4
	maxPerShard = perShard * 4
	maxShards   = 9999 // the four digits of a shard's name
)

func shardsFor(objects int) int {
	return min(max(1, (objects+perShard-1)/perShard), maxShards)
}

// loaders is how many shards are read at once.
const loaders = 8

// Manifest is the manifest as one build reads and changes it: the root as
// read, and the shards loaded so far. Lookups may run concurrently; the
// changes (Set, Bury, Remove, Commit) come after them.
type Manifest struct {
	Root

	st        Getter
	tolerant  bool
	unsharded bool // a new site's entries, in one shard until the commit

	fold bool // write Recent into the shards (see Fold)

	mu     sync.Mutex
	shards []*shard // by number; nil while not loaded
}

type shard struct {
	objects map[string]*Object
	// stored are the entries its stored bytes hold, before Recent: what
	// a commit that leaves it as it is compares objects with.
	stored map[string]*Object
	read   int // entries when it was read
	dirty  bool
	lost   bool // missing or corrupt when read: written even under the name it had
}

// maxRecent is how many bytes Recent may take in the root: past it a
// commit writes its entries into their shards. Every server reads the
// root again when it changes, and an event build reads and writes it: an
// edit of one article at 10,000 articles changed some 25 entries (its
// feeds' formats and archive pages), 20 KB of them, so that the root
// holds about a dozen edits, as many as come between two scheduled
// builds for a publisher who edits a thousand times a day.
const maxRecent = 256 << 10

// Fold makes the commit write every entry of Recent into its shard: what a
// listing build does, so that the root stays small.
func (m *Manifest) Fold() { m.fold = true }

// New returns the manifest of a site with nothing published yet.
func New() *Manifest { return &Manifest{Root: Root{Format: Format}} }

// Read reads the root of the manifest in st. It returns nil when st has
// none, or one no build could have written (the next commit replaces it).
func Read(ctx context.Context, st Getter) (*Manifest, error) {
	obj, err := st.Get(ctx, layout.Manifest)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("manifest: read %s: %w", layout.Manifest, err)
	}
	r, err := DecodeRoot(obj.Body)
	if err != nil {
		return nil, nil
	}
	m := &Manifest{Root: *r, st: st, shards: make([]*shard, len(r.Shards))}
	if legacy := r.Legacy(); legacy != nil {
		// Rewritten as shards by the next commit.
		m.shards[0] = &shard{objects: legacy, read: len(legacy), dirty: true}
		m.Root.Shards = []string{layout.Manifest}
		m.Root.legacy = nil
	}
	return m, nil
}

// Tolerate makes a shard that is missing or corrupt read as empty, rather
// than fail: for a full build, which rewrites every entry it publishes.
func (m *Manifest) Tolerate() { m.tolerant = true }

// shard returns shard i, reading it when it is not loaded yet.
func (m *Manifest) shard(ctx context.Context, i int) (*shard, error) {
	m.mu.Lock()
	sh := m.shards[i]
	m.mu.Unlock()
	if sh != nil {
		return sh, nil
	}
	sh, err := m.fetch(ctx, i)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.shards[i] == nil {
		m.shards[i] = sh
	}
	return m.shards[i], nil
}

func (m *Manifest) fetch(ctx context.Context, i int) (*shard, error) {
	objects := map[string]*Object{}
	if name := m.Root.Shards[i]; name != "" {
		var err error
		objects, err = m.get(ctx, name)
		if errors.Is(err, ErrCorrupt) && m.tolerant {
			return &shard{objects: map[string]*Object{}, dirty: true, lost: true}, nil
		}
		if err != nil {
			return nil, err
		}
	}
	sh := &shard{objects: objects, stored: maps.Clone(objects)}
	for key, o := range m.Root.Recent {
		if ShardOf(key, len(m.Root.Shards)) != i {
			continue
		}
		if o == nil {
			delete(objects, key)
		} else {
			c := *o
			objects[key] = &c
		}
	}
	sh.read = len(objects)
	return sh, nil
}

func (m *Manifest) get(ctx context.Context, name string) (map[string]*Object, error) {
	key := ShardKey(name)
	obj, err := m.st.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s: not found", ErrCorrupt, key)
	}
	if err != nil {
		return nil, fmt.Errorf("manifest: read %s: %w", key, err)
	}
	return DecodeShard(name, obj.Body)
}

// Load reads, a few at a time, the shards that hold the entries of keys.
func (m *Manifest) Load(ctx context.Context, keys []string) error {
	if len(m.shards) == 0 {
		return nil
	}
	want := map[int]bool{}
	for _, k := range keys {
		want[ShardOf(k, len(m.shards))] = true
	}
	var is []int
	for i := range want {
		is = append(is, i)
	}
	return m.load(ctx, is)
}

// LoadAll reads every shard not loaded yet.
func (m *Manifest) LoadAll(ctx context.Context) error {
	is := make([]int, len(m.shards))
	for i := range is {
		is[i] = i
	}
	return m.load(ctx, is)
}

func (m *Manifest) load(ctx context.Context, is []int) error {
	slices.Sort(is)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(loaders)
	for _, i := range is {
		g.Go(func() error {
			_, err := m.shard(gctx, i)
			return err
		})
	}
	return g.Wait()
}

// Object returns the entry of key, nil when the site publishes none.
func (m *Manifest) Object(ctx context.Context, key string) (*Object, error) {
	if len(m.shards) == 0 {
		return nil, nil
	}
	sh, err := m.shard(ctx, ShardOf(key, len(m.shards)))
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return sh.objects[key], nil
}

// Each calls visit for every entry, reading every shard first.
func (m *Manifest) Each(ctx context.Context, visit func(key string, o *Object)) error {
	if err := m.LoadAll(ctx); err != nil {
		return err
	}
	for _, sh := range m.shards {
		for k, o := range sh.objects {
			visit(k, o)
		}
	}
	return nil
}

// edit changes the shard that holds key.
func (m *Manifest) edit(ctx context.Context, key string, change func(objects map[string]*Object) bool) error {
	if len(m.shards) == 0 {
		// No shard yet: one until the commit shards the site.
		m.shards = []*shard{{objects: map[string]*Object{}}}
		m.Root.Shards = []string{""}
		m.unsharded = true
	}
	sh, err := m.shard(ctx, ShardOf(key, len(m.shards)))
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if change(sh.objects) {
		sh.dirty = true
	}
	return nil
}

// Set records o under key, written by a build at now. Modified stays when
// the bytes are the ones already recorded; otherwise it becomes now, or
// one second past the last change when the clock says otherwise, so that
// a reader who saw the last version never takes the new one for it.
func (m *Manifest) Set(ctx context.Context, key string, o Object, now time.Time) error {
	err := m.edit(ctx, key, func(objects map[string]*Object) bool {
		o.Modified = now.Unix()
		last := objects[key]
		if last != nil {
			switch {
			case last.Hash == o.Hash:
				o.Modified = last.Modified
			case o.Modified <= last.Modified:
				o.Modified = last.Modified + 1
			}
		}
		objects[key] = &o
		return true
	})
	if err != nil {
		return err
	}
	delete(m.Gone, key) // published again
	return nil
}

// Bury removes the object under key and records that it is gone since now.
func (m *Manifest) Bury(ctx context.Context, key string, now time.Time) error {
	if _, err := m.Remove(ctx, key); err != nil {
		return err
	}
	if m.Gone == nil {
		m.Gone = map[string]int64{}
	}
	m.Gone[key] = now.Unix()
	return nil
}

// Remove forgets the object under key and returns it (nil when none).
func (m *Manifest) Remove(ctx context.Context, key string) (*Object, error) {
	var o *Object
	err := m.edit(ctx, key, func(objects map[string]*Object) bool {
		o = objects[key]
		delete(objects, key)
		return o != nil
	})
	return o, err
}

// Commit writes the shards that changed, then the root naming them, one
// generation on, as a build at now, resharding first when the shards hold
// too few or too many objects. It returns the keys of the shards the last
// root retired and this one does not name again: the caller deletes them
// once the root is written.
func (m *Manifest) Commit(ctx context.Context, st Writer, now time.Time) (retire []string, err error) {
	total, exact, all := m.Root.Objects, 0, true
	for _, sh := range m.shards {
		if sh != nil {
			total += len(sh.objects) - sh.read
			exact += len(sh.objects)
		} else {
			all = false
		}
	}
	if all {
		total = exact // what a shard lost had is not counted
	}
	was := m.Root.Shards
	resharded := false
	if n := len(m.shards); m.format1() || m.unsharded || n == 0 || total > maxPerShard*n || n > 1 && total < minPerShard*n {
		if err := m.reshard(ctx, shardsFor(total)); err != nil {
			return nil, err
		}
		resharded = true
	}
	recent, ok := m.recent()
	if !ok || resharded || m.fold {
		// Every entry of Recent goes into its shard: those not read
		// yet are read (Recent applied) and written.
		var is []int
		for key := range m.Root.Recent {
			is = append(is, ShardOf(key, len(m.shards)))
		}
		if err := m.load(ctx, is); err != nil {
			return nil, err
		}
		for _, i := range is {
			m.shards[i].dirty = true
		}
		recent = nil
	}
	next := make([]string, len(m.shards))
	var writes []*store.Object
	for i, sh := range m.shards {
		if sh == nil || !sh.dirty || recent != nil {
			next[i] = m.Root.Shards[i]
			continue
		}
		if len(sh.objects) == 0 {
			continue
		}
		body := encodeShard(sh.objects)
		next[i] = shardName(i, body)
		if next[i] != m.Root.Shards[i] || sh.lost {
			writes = append(writes, &store.Object{Key: ShardKey(next[i]), Body: body,
				ContentType: "application/json", ContentEncoding: "gzip", CacheControl: "no-store"})
		}
	}
	if err := writeAll(ctx, st, writes); err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, name := range next {
		names[name] = true
	}
	root := Root{Format: Format, Gen: m.Gen + 1, Built: now.Unix(), Objects: total, Shards: next,
		Redirects: m.Redirects, Gone: m.Gone, Recent: recent}
	for _, name := range was {
		if name != "" && name != layout.Manifest && !names[name] {
			root.Retired = append(root.Retired, name)
		}
	}
	slices.Sort(root.Retired)
	root.Retired = slices.Compact(root.Retired)
	if _, err := st.Write(ctx, &store.Object{Key: layout.Manifest, Body: root.Encode(),
		ContentType: "application/json", CacheControl: "no-store"}); err != nil {
		return nil, fmt.Errorf("manifest: write %s: %w", layout.Manifest, err)
	}
	for _, name := range m.Root.Retired {
		if !names[name] && !slices.Contains(root.Retired, name) {
			retire = append(retire, ShardKey(name))
		}
	}
	m.Root, m.unsharded, m.fold = root, false, false
	for _, sh := range m.shards {
		if sh != nil {
			if recent == nil && sh.dirty {
				sh.stored = maps.Clone(sh.objects)
			}
			sh.dirty, sh.lost, sh.read = false, false, len(sh.objects)
		}
	}
	return retire, nil
}

// recent returns Recent as this build leaves it, when the shards it
// changed may stay as they are stored: their entries that differ from
// the stored ones, with those of Recent in shards this build did not
// change. ok is false when they may not: a shard was lost, or Recent
// would grow past maxRecent.
func (m *Manifest) recent() (recent map[string]*Object, ok bool) {
	recent = maps.Clone(m.Root.Recent)
	if recent == nil {
		recent = map[string]*Object{}
	}
	n := len(m.shards)
	for i, sh := range m.shards {
		if sh == nil || !sh.dirty {
			continue
		}
		if sh.lost || sh.stored == nil {
			return nil, false
		}
		for key := range recent {
			if ShardOf(key, n) == i {
				delete(recent, key)
			}
		}
		for key, o := range sh.objects {
			if was := sh.stored[key]; was == nil || !reflect.DeepEqual(was, o) {
				recent[key] = o
			}
		}
		for key := range sh.stored {
			if _, ok := sh.objects[key]; !ok {
				recent[key] = nil
			}
		}
	}
	size := 0
	for key, o := range recent {
		b, _ := json.Marshal(o) // plain data: cannot fail
		if size += len(key) + len(b) + 5; size > maxRecent {
			return nil, false
		}
	}
	return recent, true
}

// format1 reports whether the manifest was read from a format 1 object.
func (m *Manifest) format1() bool {
	return len(m.Root.Shards) == 1 && m.Root.Shards[0] == layout.Manifest
}

// reshard spreads every entry over n shards, reading the shards not
// loaded yet.
func (m *Manifest) reshard(ctx context.Context, n int) error {
	if err := m.LoadAll(ctx); err != nil {
		return err
	}
	shards := make([]*shard, n)
	for i := range shards {
		shards[i] = &shard{objects: map[string]*Object{}, dirty: true}
	}
	for _, sh := range m.shards {
		for k, o := range sh.objects {
			shards[ShardOf(k, n)].objects[k] = o
		}
	}
	m.shards = shards
	m.Root.Shards = make([]string, n) // none of the old names: all written
	return nil
}

func writeAll(ctx context.Context, st Writer, objs []*store.Object) error {
	if len(objs) == 0 {
		return nil
	}
	if _, err := st.WriteAll(ctx, objs); err != nil {
		return fmt.Errorf("manifest: write shards: %w", err)
	}
	return nil
}

// All returns every entry, reading every shard first: for tools and tests
// that look at a site as a whole.
func (m *Manifest) All(ctx context.Context) (map[string]*Object, error) {
	all := map[string]*Object{}
	err := m.Each(ctx, func(key string, o *Object) { all[key] = o })
	return all, err
}
