package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/content/catalog"
	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/gate"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/manifest"
)

// outbox writes outputs a batch at a time when the store can (one sync for
// many files), one at a time otherwise.
type outbox struct {
	b       *Build
	compare bool // ask the store whether each output is already the same
	// flushing holds a token for each flush that runs: two at a time, and
	// a renderer that fills a batch meanwhile waits, so that at most three
	// batches are in memory, not one per renderer (one at a time cost 6%
	// of a 10,000-article build's wall time).
	flushing chan struct{} // of capacity flushes
	mu       sync.Mutex
	pending  []*store.Object
	held     []heldBody // bodies of pending objects, given back once written
	size     int        // bytes pending
	// writing is the bytes of the batches being written. A renderer
	// that would add to an outbox already holding maxHeld bytes waits
	// until a write ends (drained): the store, not the renderers, sets
	// the pace, and the outputs waiting for it stay bounded.
	writing int
	drained sync.Cond
	written []string
	failed  []string
	errs    []error
	// check, when set, is asked before each write: a fan-out worker
	// writes only while its build holds the catalog.
	check func(ctx context.Context) error
	// last is the manifest the last build wrote (nil: none); entries are
	// the manifest entries of the published objects this build wrote, and
	// stale the variants they no longer have.
	last    *manifest.Manifest
	entries map[string]manifest.Object
	stale   []string
	// withheld are the outputs the publish gate refused.
	withheld []Withholding
}

// testHookFeed and testHookItems, when a test sets them, may change what
// the renderers made, before the gate sees it: tests make them break an
// output, as no renderer is known to.
var (
	testHookFeed  func(key string, doc *bytes.Buffer)
	testHookItems func(key string, items *feed.Items)
)

// withhold records an output the publish gate refused.
func (o *outbox) withhold(key string, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.withheld = append(o.withheld, Withholding{Output: key, Reason: err.Error()})
}

// checkFeed passes feed f in format i, assembled as doc from items (each
// checked when it was made), through the publish gate: its envelope, the
// feed without items, is rendered again and checked, and doc must be that
// envelope with the items.
func checkFeed(i int, f *feed.Feed, doc []byte, items [][]byte) error {
	var env bytes.Buffer
	if err := feed.Assemble(&env, i, f, nil); err != nil {
		return err
	}
	return gate.Feed(layout.Exts[i], env.Bytes(), doc, items)
}

func (o *outbox) add(ctx context.Context, key string, body []byte, hash string) {
	o.addWith(ctx, key, body, hash, o.b.cacheControl(key))
}

// flushes is how many of an outbox's batches are written at once, and
// batchBytes how large a batch grows before it is written (a folder's
// batch ends with one sync of its filesystem).
const (
	flushes    = 2
	batchBytes = 8 << 20
	// maxHeld bounds the bytes an outbox holds, pending and being
	// written, before a renderer waits to add more. Unbounded, the four
	// renderers of a from-scratch build of 100,000 articles kept adding
	// archive pages (up to 9 MB a format) faster than a folder took them:
	// at its peak the build held 100 MB of outputs waiting to be written,
	// a fifth of its memory.
	maxHeld = 3 * batchBytes
)

// newOutbox returns b's outbox, which compares each output with the
// store's first when compare is set; last is the manifest the last build
// wrote (nil: none).
func newOutbox(b *Build, compare bool, last *manifest.Manifest) *outbox {
	o := &outbox{b: b, compare: compare, last: last, flushing: make(chan struct{}, flushes)}
	o.drained.L = &o.mu
	return o
}

// heldBody is a pooled body the outbox holds until its object is written.
type heldBody struct {
	obj *store.Object
	b   *body
}

// addWith is add for an output served with the given Cache-Control.
func (o *outbox) addWith(ctx context.Context, key string, body []byte, hash, cacheControl string) {
	o.addHeld(ctx, key, body, nil, hash, cacheControl)
}

// addBody is addWith for an output rendered into a pooled body: the
// outbox holds it until it is written (a write that fails keeps it, as a
// store may still be sending it).
func (o *outbox) addBody(ctx context.Context, key string, b *body, hash, cacheControl string) {
	b.hold()
	o.addHeld(ctx, key, b.buf, b, hash, cacheControl)
}

func (o *outbox) addHeld(ctx context.Context, key string, body []byte, held *body, hash, cacheControl string) {
	obj := &store.Object{Key: key, Body: body, ContentType: layout.ContentType(key), Hash: hash, CacheControl: cacheControl}
	objs := []*store.Object{obj}
	var entry manifest.Object
	var stale []string
	served := layout.Served(key)
	if served {
		var vs []*store.Object
		vs, entry = o.variants(key, body, hash, cacheControl) // compressed here, by the caller's goroutine
		objs = append(objs, vs...)
		if last := o.lastEntry(ctx, key); last != nil {
			for _, v := range last.Variants {
				if _, ok := entry.Variants.Get(v.Coding); !ok {
					stale = append(stale, v.Key)
				}
			}
		}
	}
	o.mu.Lock()
	// Wait only while a write runs, which ends and signals: with none
	// running, what is pending is written by whoever fills the batch.
	for o.writing > 0 && o.writing+o.size >= maxHeld {
		o.drained.Wait()
	}
	if served {
		if o.entries == nil {
			o.entries = map[string]manifest.Object{}
		}
		o.entries[key] = entry
		o.stale = append(o.stale, stale...)
	}
	o.pending = append(o.pending, objs...)
	if held != nil {
		o.held = append(o.held, heldBody{obj, held})
	}
	for _, x := range objs {
		o.size += len(x.Body)
	}
	full := len(o.pending) >= 256 || o.size >= batchBytes
	o.mu.Unlock()
	if full {
		o.flush(ctx)
	}
}

func (o *outbox) flush(ctx context.Context) {
	o.flushing <- struct{}{}
	defer func() { <-o.flushing }()
	o.mu.Lock()
	objs, held, size := o.pending, o.held, o.size
	o.pending, o.held, o.size = nil, nil, 0
	o.writing += size
	o.mu.Unlock()
	if len(objs) == 0 {
		return
	}
	var written, failed []string
	var errs []error
	defer func() {
		for _, h := range held {
			if !slices.Contains(failed, h.obj.Key) {
				h.b.release()
			}
		}
		o.mu.Lock()
		o.writing -= size
		o.mu.Unlock()
		o.drained.Broadcast()
	}()
	if o.check != nil {
		if err := o.check(ctx); err != nil {
			o.mu.Lock()
			for _, obj := range objs {
				o.failed = append(o.failed, obj.Key)
			}
			o.errs = append(o.errs, err)
			o.mu.Unlock()
			return
		}
	}
	if !o.compare {
		versions, err := o.b.Out.WriteAll(ctx, objs)
		for i, obj := range objs {
			// What a failed batch wrote is not committed: the claim makes
			// the next build render those outputs again.
			if err != nil && (i >= len(versions) || versions[i] == "") {
				failed = append(failed, obj.Key)
			} else {
				written = append(written, obj.Key)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("publish: write: %w", err))
		}
	} else {
		for _, obj := range objs {
			changed := true
			var err error
			if o.compare {
				changed, err = o.b.Out.Put(ctx, obj)
			} else {
				_, err = o.b.Out.Write(ctx, obj)
			}
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("publish: write %s: %w", obj.Key, err))
				failed = append(failed, obj.Key)
			case changed:
				written = append(written, obj.Key)
			}
		}
	}
	// The report names objects, not their variants: an object is
	// written when it or a variant was, and failed when any of them did.
	failed = outputsOf(failed, nil)
	written = outputsOf(written, failed)
	o.mu.Lock()
	o.written = append(o.written, written...)
	o.failed = append(o.failed, failed...)
	o.errs = append(o.errs, errs...)
	o.mu.Unlock()
}

// fail records an error that fails the build.
func (o *outbox) fail(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.errs = append(o.errs, err)
}

// outputsOf returns the objects keys name, once each (a precompressed
// variant stands for the object it encodes), leaving out those in except.
func outputsOf(keys, except []string) []string {
	var out []string
	for _, k := range keys {
		if c := store.EncodingByKey(k); c != "" {
			k = strings.TrimSuffix(k, layout.Codings[c])
		}
		k = strings.TrimPrefix(k, layout.DeltasDir) // a delta pack goes with its feed
		if !slices.Contains(out, k) && !slices.Contains(except, k) {
			out = append(out, k)
		}
	}
	return out
}

// publish claims the catalog, naming every output it may write, then
// renders the planned feeds a few at a time and writes those whose bytes
// changed, then the pages that list them.
func (b *Build) publish(ctx context.Context, st *catalog.State, ap *apply, pl *plan, rep *Report, compare bool) error {
	// A claim outlives its build only if the build died: in Lambda, just
	// past the invocation's deadline.
	expires := time.Now().Add(claimFor)
	if dl, ok := ctx.Deadline(); ok {
		expires = dl.Add(30 * time.Second)
	}
	if b.claimFor > 0 {
		expires = time.Now().Add(b.claimFor)
	}
	// What the site holds now: a build that writes only what changed
	// must have it to describe the rest.
	last, err := b.lastManifest(ctx, compare)
	if err != nil {
		return err
	}
	if last == nil && !compare && len(st.Head.Feeds) > 0 && !st.Fresh() {
		return errManifest
	}
	if compare { // a full build: its catalog does not remember the pages published
		if err := pl.unlisted(ctx, last); err != nil {
			return err
		}
	}
	keys := make([]string, 0, 3*len(pl.jobs)+2)
	for _, j := range pl.jobs {
		for _, ext := range layout.Exts {
			keys = append(keys, j.key(ext))
		}
		if j.page == nil && b.Site.HasPreviews() {
			keys = append(keys, layout.PreviewKey(j.f.Name))
		}
	}
	keys = append(keys, layout.OPML, layout.Index, layout.StyleSheet, layout.Script)
	keys = append(keys, pl.orphans...)
	if last != nil {
		// The shards of every output it may write, read at once.
		if err := last.Load(ctx, keys); err != nil {
			return manifestErr(err)
		}
	}
	b.watch.lap("read manifest")
	id := b.buildID()
	if err := st.Claim(ctx, id, time.Now(), expires, keys); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	b.watch.lap("claim")
	out := newOutbox(b, compare, last)
	var errs []error
	if b.FanOut != nil && b.FanOut.Send != nil && len(pl.jobs) > b.FanOut.Above {
		if err := b.fanOut(ctx, id, pl, out); err != nil {
			errs = append(errs, err)
		}
	} else if err := b.renderAll(ctx, ap, pl, out); err != nil {
		errs = append(errs, err)
	}
	h := &st.Head
	if len(errs) == 0 {
		for _, j := range pl.jobs {
			if j.page == nil {
				pl.refs[j.f.Name] = j.ref
			}
		}
		h.Feeds = h.Feeds[:0]
		for _, r := range pl.refs {
			h.Feeds = append(h.Feeds, r)
		}
		sort.Slice(h.Feeds, func(i, j int) bool { return feedOrder(h.Feeds[i], h.Feeds[j]) })
		b.watch.lap("render")
		if err := b.pages(ctx, st, out, pl.repairPages); err != nil {
			errs = append(errs, err)
		}
	}
	out.flush(ctx)
	b.watch.lap("pages, last writes")
	rep.Written = append(rep.Written, out.written...)
	rep.Withheld = append(rep.Withheld, out.withheld...)
	errs = append(errs, out.errs...)
	var gone []string
	if len(errs) == 0 {
		var err error
		if gone, err = b.writeManifest(ctx, out, pl, ap.now); err != nil {
			errs = append(errs, err)
		}
		b.watch.lap("commit manifest")
	}
	// Only once the manifest no longer names them are the orphans (the
	// outputs of feeds gone), their variants, the variants no longer made
	// and the shards the last build retired removed: a build that dies
	// before leaves the served site whole.
	if len(errs) == 0 {
		gone = append(append(gone, pl.orphans...), out.stale...)
		for _, key := range gone {
			if err := b.Out.Delete(ctx, key); err != nil {
				errs = append(errs, fmt.Errorf("publish: remove %s: %w", key, err))
			}
		}
		if len(gone) > 0 {
			b.watch.lap("remove")
		}
	}
	if err := errors.Join(errs...); err != nil {
		rep.failed = out.failed
		// What was written is not committed: the next build renders those
		// outputs again rather than trusting them.
		err = errors.Join(err, release(ctx, st))
		return err
	}
	return nil
}

// renderAll renders the plan's feeds here, a few at a time.
func (b *Build) renderAll(ctx context.Context, ap *apply, pl *plan, out *outbox) error {
	r := &renderer{b: b, items: ap.items, entrants: newItems(memItems)}
	defer r.entrants.close()
	room := newByteBudget(renderBudget)
	work := make(chan *job)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				n := room.take(r.weight(j))
				err := r.render(ctx, j, out)
				room.give(n)
				if err != nil {
					select {
					case errc <- err:
					default:
					}
				}
			}
		}()
	}
	for _, j := range pl.jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// previewItems is how many of a feed's newest items its preview page
// shows. Each item's HTML is sanitised for the page (bluemonday, ~30 MB/s
// a core): with every item of 2,300 feeds a from-scratch build of a
// full-text site would spend a minute on it; the newest ten show people
// what they subscribe to.
const previewItems = 10

// renderer renders feeds from items: those of the documents read, those
// of the feeds as published, and those of members that entered a feed
// without changing, read now.
type renderer struct {
	b        *Build
	items    *items
	mu       sync.Mutex
	entrants *items // spilled to a file past memItems, as items are
}

func (r *renderer) render(ctx context.Context, j *job, out *outbox) error {
	b := r.b
	var prev [3]map[string]prevItem
	var missing []catalog.Member
	for _, m := range j.shown {
		if r.items.has(m.Key) {
			continue
		}
		if prev[0] == nil && j.trusted && j.pub().Hashes[0] != "" {
			prev = b.published(ctx, j)
		}
		id := feed.ItemID(b.Site, &content.Article{ID: m.ID})
		for i := range prev {
			if p, ok := prev[i][id]; !ok || p.hash != m.Hash {
				missing = append(missing, m)
				break
			}
		}
	}
	if err := r.enter(ctx, missing); err != nil {
		return err
	}
	f := &feed.Feed{Name: j.f.Name, Kind: feed.Kind(j.f.Kind), Title: j.ref.Title, Site: b.Site, Updated: time.Unix(j.ref.Updated, 0).UTC(),
		Prev: j.prev, Next: j.next}
	maxBytes := b.Site.MaxBytes
	if j.page != nil {
		f.Page = j.page.Name
		maxBytes = 0 // an archive page holds its period whole
	}
	pub := j.pub()
	var counts [3]int
	var every [3][][]byte // the items in every format, when read at once
	together := together(r.itemBytes(j))
	if together {
		frags, held, err := r.fragments(j, everyFormat, &prev)
		if err != nil {
			return err
		}
		if held != nil {
			defer held.release()
		}
		every = frags
	}
	for i, ext := range layout.Exts {
		frags, held := every[i], (*body)(nil)
		if !together {
			some, h, err := r.fragments(j, []int{i}, &prev)
			if err != nil {
				return err
			}
			frags, held = some[i], h
		}
		cut := budget(maxBytes, i, f, frags)
		counts[i] = cut
		buf := newBody(feed.Size(i, f, frags[:cut]))
		err := r.output(ctx, j, i, ext, f, frags[:cut], buf, out)
		buf.release()
		if held != nil {
			held.release()
		}
		if err != nil {
			return err
		}
	}
	shown := min(counts[0], counts[1], counts[2])
	if j.ref.Retired == 0 && j.page == nil {
		j.ref.Items = shown
		j.ref.Dropped = len(j.shown) - shown
	}
	pub.Title, pub.Updated, pub.Retired = j.ref.Title, j.ref.Updated, j.ref.Retired
	pub.Shown = pub.Shown[:0]
	for _, m := range j.shown {
		pub.Shown = append(pub.Shown, m.Hash)
	}
	return nil
}

// everyFormat is every format's index, in layout.Exts order.
var everyFormat = []int{0, 1, 2}

// togetherBelow is the size of a job's items in every format up to which
// they are read in every format at once: a spilled article's three items
// are compressed together, and read one format at a time they are decoded
// three times. A feed's job (its newest items: 50 full-text items are
// ~850 KB) is read at once; a large archive page one format at a time, so
// that it holds a third of its items. (A variable: tests read every job
// one format at a time with 0.)
var togetherBelow int64 = 2 << 20

// together reports whether a job whose items take n bytes in every format
// reads them in every format at once.
func together(n int64) bool { return n <= togetherBelow }

// fragments returns the items of j's members in the formats want (the
// others are nil): from the build's items or the entrants, else as
// published (prev). Those spilled to a file are read into one body of
// their exact size, held (nil: none) until the caller releases it.
func (r *renderer) fragments(j *job, want []int, prev *[3]map[string]prevItem) ([3][][]byte, *body, error) {
	type spilled struct {
		from *items
		n    int // index in j.shown
		sp   span
	}
	var frags [3][][]byte
	for _, i := range want {
		frags[i] = make([][]byte, len(j.shown))
	}
	var reads []spilled
	total := 0
	for n, m := range j.shown {
		from := r.items
		it, sp, inFile, ok := from.get(m.Key)
		if !ok {
			from = r.entrants
			it, sp, inFile, ok = from.get(m.Key)
		}
		switch {
		case inFile:
			reads = append(reads, spilled{from, n, sp})
			for _, i := range want {
				total += sp.size[i]
			}
		case ok:
			for _, i := range want {
				frags[i][n] = it[i]
			}
		default:
			id := feed.ItemID(r.b.Site, &content.Article{ID: m.ID})
			for _, i := range want {
				frags[i][n] = prev[i][id].body
			}
		}
	}
	if len(reads) == 0 {
		return frags, nil, nil
	}
	held := newBody(total)
	held.buf = held.buf[:total]
	at := 0
	var scratch *[]byte // one member's items in every format, when some are wanted
	if len(want) < len(layout.Exts) {
		scratch = spillBuffers.Get().(*[]byte)
		defer spillBuffers.Put(scratch)
	}
	for _, s := range reads {
		if scratch == nil { // every format: decoded in place
			p := held.buf[at : at+s.sp.len() : at+s.sp.len()]
			if err := s.from.read(p, s.sp); err != nil {
				held.release()
				return frags, nil, err
			}
			for _, i := range want {
				off, n := s.sp.offset(i), s.sp.size[i]
				frags[i][s.n] = p[off : off+n : off+n]
			}
			at += len(p)
			continue
		}
		*scratch = grow(*scratch, s.sp.len())
		if err := s.from.read(*scratch, s.sp); err != nil {
			held.release()
			return frags, nil, err
		}
		for _, i := range want {
			off, n := s.sp.offset(i), s.sp.size[i]
			p := held.buf[at : at+n : at+n]
			copy(p, (*scratch)[off:off+n])
			frags[i][s.n] = p
			at += n
		}
	}
	return frags, held, nil
}

// itemBytes is the size of j's items in every format. Items not in the
// build's cache (those of documents not read, spliced from the published
// feed or read now) weigh as much as the cache's average.
func (r *renderer) itemBytes(j *job) int64 {
	var n int64
	for _, m := range j.shown {
		n += r.items.size(m.Key)
	}
	return n
}

// weight is what rendering j holds at most, roughly: its items (in every
// format when read together, else in one: a third of them) and the
// output made of them, a third of them again.
func (r *renderer) weight(j *job) int64 {
	n := r.itemBytes(j)
	if together(n) {
		return 4 * n / 3
	}
	return 2 * n / 3
}

// output writes feed f of job j in format i (extension ext), its items
// frags, assembled into buf; the caller releases buf.
func (r *renderer) output(ctx context.Context, j *job, i int, ext string, f *feed.Feed, frags [][]byte, buf *body, out *outbox) error {
	b, pub := r.b, j.pub()
	if err := feed.Assemble(buf, i, f, frags); err != nil {
		return fmt.Errorf("publish: render %s: %w", layout.FeedKey(f.Name, ext), err)
	}
	key := j.key(ext)
	if testHookFeed != nil {
		doc := bytes.NewBuffer(buf.buf)
		testHookFeed(key, doc)
		buf.buf = doc.Bytes()
	}
	if err := checkFeed(i, f, buf.buf, frags); err != nil {
		// Not written: readers keep the last good version, and the
		// catalog what it published.
		out.withhold(key, err)
		return nil
	}
	hash := store.Hash(buf.buf)
	cc := b.cacheControlOf(j)
	if hash != pub.Hashes[i] || !j.trusted || !out.currentWith(ctx, key, hash, cc) {
		out.addBody(ctx, key, buf, hash, cc)
		if j.page == nil {
			if err := r.deltas(ctx, j, i, key, f, frags, out); err != nil {
				return err
			}
		}
	}
	pub.Hashes[i] = hash
	pub.Items[i] = len(frags)
	if ext == "json" && j.page == nil && b.Site.HasPreviews() {
		doc := buf.buf
		if n := min(len(frags), previewItems); n < len(frags) {
			var short bytes.Buffer
			if err := feed.Assemble(&short, i, f, frags[:n]); err != nil {
				return fmt.Errorf("publish: render %s: %w", layout.PreviewKey(f.Name), err)
			}
			doc = short.Bytes()
		}
		if err := r.preview(ctx, f, doc, out); err != nil {
			return err
		}
	}
	return nil
}

// enter reads the documents of members whose items no output holds. A
// document that is no longer the version the catalog has (changed, gone,
// hidden since its facts were recorded, as the corpus changes under a
// build) fails the render with a *changedError: the build starts again
// with that document among those it reads.
func (r *renderer) enter(ctx context.Context, members []catalog.Member) error {
	var infos []store.Info
	want := map[string]string{} // key -> the catalog's version (Member.Hash)
	r.mu.Lock()
	for _, m := range members {
		if !r.entrants.has(m.Key) {
			infos = append(infos, store.Info{Key: m.Key})
			want[m.Key] = m.Hash
		}
	}
	r.mu.Unlock()
	if len(infos) == 0 {
		return nil
	}
	docs, err := r.b.read(ctx, infos, true, time.Unix(1<<40, 0), nil)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := &changedError{}
	for _, d := range docs {
		if d.rendered == nil || !strings.HasPrefix(d.hash, want[d.info.Key]) {
			changed.keys = append(changed.keys, d.info.Key)
			continue
		}
		if err := r.entrants.put(d.info.Key, *d.rendered); err != nil {
			return err
		}
	}
	if len(changed.keys) > 0 {
		return changed
	}
	return nil
}

// changedError names documents that changed while a build ran.
type changedError struct{ keys []string }

func (e *changedError) Error() string {
	return fmt.Sprintf("publish: %s changed during the build", strings.Join(e.keys, ", "))
}

// prevItem is one item of a published output, with the version of the
// document it was rendered from.
type prevItem struct {
	hash string
	body []byte
}

// published returns the items of a job's outputs as the last build wrote
// them, by item id; an output that is missing, or not the bytes the
// catalog recorded, gives none, and its items are read again.
func (b *Build) published(ctx context.Context, j *job) [3]map[string]prevItem {
	var out [3]map[string]prevItem
	pub := j.pub()
	for i, ext := range layout.Exts {
		out[i] = map[string]prevItem{}
		obj, err := b.Out.Get(ctx, j.key(ext))
		if err != nil {
			continue
		}
		hash := obj.Hash // stores hash what they read
		if hash == "" {
			hash = store.Hash(obj.Body)
		}
		if hash != pub.Hashes[i] {
			continue
		}
		items, err := feed.Split(i, obj.Body)
		if err != nil || len(items) > len(pub.Shown) {
			continue
		}
		for k, it := range items {
			out[i][it.ID] = prevItem{hash: pub.Shown[k], body: it.Body}
		}
	}
	return out
}
