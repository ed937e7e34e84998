package publish

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/content/catalog"
	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/gate"
	"github.com/feedpub/feedpub/feed/layout"
)

// fetched is one document as the read stage found it.
type fetched struct {
	info     store.Info // as listed, completed by the read
	hash     string
	gone     bool           // an event named it and it no longer exists
	facts    *catalog.Facts // of an accepted document: all the build keeps of it
	problems []content.Problem
	rendered *feed.Items // its items, when the article is visible and the build keeps no cache
}

// Read retries: a store error is tried again after these pauses, then the
// build fails; it never becomes a rejection, so that a passing 503 cannot
// retract an article.
var readBackoff = []time.Duration{50 * time.Millisecond, 200 * time.Millisecond, 800 * time.Millisecond}

// read gets and parses the documents, a few at a time. A document that
// cannot be parsed is a rejection; one that cannot be read fails the build,
// unless the build was told the key changed (an event) and it is gone.
//
// The items of each visible article are rendered while its document is at
// hand: into cache when one is given, and then only for an article that
// may be shown (see shortlist); otherwise every visible article's, kept
// with the document.
func (b *Build) read(ctx context.Context, infos []store.Info, event bool, now time.Time, cache *items) ([]*fetched, error) {
	workers := b.Workers
	if workers <= 0 {
		workers = max(4*runtime.GOMAXPROCS(0), 16)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if p, ok := b.Articles.(pinner); ok && len(infos) > 1 {
		// A folder opened once for every document this stage reads.
		if release, err := p.Pin(); err == nil {
			defer release()
		}
	}
	out := make([]*fetched, len(infos))
	var short *shortlist
	if cache != nil && !b.Site.HasArchives() {
		// With archives, every visible article is on some page.
		short = newShortlist(b.Site)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	var failOnce sync.Once
	var failure error
	progress := progressLine{w: b.Progress}
	for range min(workers, len(infos)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch []byte // this reader's items, until the cache has them
			for i := range next {
				f, err := b.fetch(ctx, infos[i], event, now, cache, short, &scratch)
				if err != nil {
					failOnce.Do(func() { failure = err })
					cancel()
					continue
				}
				out[i] = f
				progress.tick(len(infos))
			}
		}()
	}
feed:
	for _, i := range newestFirst(infos) {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	progress.finish()
	if failure != nil {
		return nil, failure
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("publish: read articles: %w", err)
	}
	return out, nil
}

func (b *Build) fetch(ctx context.Context, in store.Info, event bool, now time.Time, cache *items, short *shortlist, scratch *[]byte) (*fetched, error) {
	obj, err := b.get(ctx, in.Key)
	if errors.Is(err, store.ErrNotFound) {
		// Deleted since it was listed, or since the event: it is gone as
		// far as this build can tell (S3 and folders are read after
		// write), and a build of the deletion's own event agrees.
		return &fetched{info: in, gone: true}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("publish: read %s: %w", in.Key, err)
	}
	hash := obj.Hash // stores hash what they read
	if hash == "" {
		hash = store.Hash(obj.Body)
	}
	f := &fetched{info: in, hash: hash}
	f.info.Size = int64(len(obj.Body))
	if f.info.ModTime.IsZero() {
		f.info.ModTime = obj.ModTime
	}
	if f.info.Version == "" && event {
		f.info.Version = obj.Version
	}
	a, err := b.Site.Parser().Parse(in.Key, obj.Body)
	var invalid *content.InvalidError
	switch {
	case errors.As(err, &invalid):
		f.problems = invalid.Problems
	case err != nil:
		f.problems = []content.Problem{{Reason: err.Error()}}
	default:
		f.facts = catalog.FactsOf(a)
		if a.Visible(now) && (short == nil || short.enters(in.Key, f.facts)) {
			var items feed.Items
			if cache == nil {
				items = feed.RenderItems(b.Site, a) // kept with the document
			} else {
				items, *scratch = feed.RenderItemsInto(*scratch, b.Site, a) // copied or spilled by put
			}
			if testHookItems != nil {
				testHookItems(in.Key, &items)
			}
			if p := checkItems(items); p != nil {
				// Never in a feed: rejected, as if it did not parse.
				f.facts, f.problems = nil, []content.Problem{*p}
				return f, nil
			}
			if cache == nil {
				f.rendered = &items
			} else if err := cache.put(in.Key, items); err != nil {
				return nil, err
			}
		}
	}
	return f, nil
}

// get reads one object, trying again after a store error that may pass.
func (b *Build) get(ctx context.Context, key string) (*store.Object, error) {
	for attempt := 0; ; attempt++ {
		obj, err := b.Articles.Get(ctx, key)
		if err == nil || attempt == len(readBackoff) || !transient(ctx, err) {
			return obj, err
		}
		select {
		case <-time.After(readBackoff[attempt]):
		case <-ctx.Done():
			return nil, err
		}
	}
}

// transient reports whether a read that failed with err is worth trying
// again: not when the object is missing or the key invalid, nor once the
// build is cancelled.
func transient(ctx context.Context, err error) bool {
	return ctx.Err() == nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrInvalidKey) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// pinner is a source that can be opened once for many reads (a folder:
// store.Folder.Pin).
type pinner interface {
	Pin() (release func(), err error)
}

// newestFirst returns the indices of infos, the most recently modified
// first (then by key, last first: keys often carry dates). Read in that
// order, an article's feeds are mostly full of newer ones by the time it
// comes, and the shortlist spares rendering it. The order changes only
// the cost of a build, never its output.
func newestFirst(infos []store.Info) []int {
	order := make([]int, len(infos))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool {
		a, b := &infos[order[x]], &infos[order[y]]
		if !a.ModTime.Equal(b.ModTime) {
			return a.ModTime.After(b.ModTime)
		}
		return a.Key > b.Key
	})
	return order
}

// shortlist keeps, for each feed, the best Site.Limit articles the read
// stage has met so far, in feed order. An article that enters none of its
// feeds' lists is beaten in each of them by as many articles as the feed
// shows, so it cannot be shown, and its items are not rendered. One that
// is shown after all (its betters were duplicates, or left the feed) is
// read again by the render stage; nothing but the cost depends on it.
type shortlist struct {
	site  *feed.Site
	mu    sync.Mutex
	heads map[string][]catalog.Member
}

func newShortlist(s *feed.Site) *shortlist {
	return &shortlist{site: s, heads: map[string][]catalog.Member{}}
}

// enters records an article read with facts f and reports whether it is
// among the best of at least one of its feeds.
func (l *shortlist) enters(key string, f *catalog.Facts) bool {
	m := catalog.Member{Key: key, ID: f.ID, Published: f.Published, Updated: f.Updated}
	limit := l.site.Limit
	feeds := feedsOf(l.site, f)
	l.mu.Lock()
	defer l.mu.Unlock()
	in := false
	for _, ref := range feeds {
		h := l.heads[ref.name]
		i := sort.Search(len(h), func(i int) bool { return !catalog.Before(h[i], m) })
		if i >= limit {
			continue
		}
		in = true
		if len(h) < limit {
			h = append(h, catalog.Member{})
		}
		copy(h[i+1:], h[i:])
		h[i] = m
		l.heads[ref.name] = h
	}
	return in
}

// checkItems passes an article's items, as made, through the publish gate:
// a problem when one fails (a renderer's bug, never the document's fault,
// but the article stays out of every feed rather than break them).
func checkItems(items feed.Items) *content.Problem {
	for i, ext := range layout.Exts {
		if err := gate.Item(ext, items[i]); err != nil {
			return &content.Problem{Reason: fmt.Sprintf("its %s item failed the publish check (a feedpub bug: please report it): %v", ext, err)}
		}
	}
	return nil
}
