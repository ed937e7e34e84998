package publish

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strings"
	"time"

	"github.com/feedpub/feedpub/content/catalog"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/layout"
)

// plan is what the plan stage decided: the feeds to render, and the feed
// list as it will be committed.
type plan struct {
	jobs []*job                     // the feeds to render
	refs map[string]catalog.FeedRef // every feed, as the pages will list it
	// A build that failed or died left a claim: the pages it may have
	// written are written again, and the outputs of feeds it made that
	// were never committed are removed.
	repairPages bool
	orphans     []string
	// gone are the outputs of feeds retired longer than the site's grace
	// period, and of archive pages that no longer exist, removed in this
	// build: readers get 410 Gone for them.
	gone []string
	// archived are the archive pages of every feed the plan looked at, by
	// feed name, oldest first.
	archived map[string][]string
	// fold is set for a build that lists the corpus (or reads all of
	// it): it writes the catalog's journal and the manifest's recent
	// entries into their shards. An event build adds to them instead,
	// so that its writes follow what it changed.
	fold bool
}

// job is one feed, or one archive page of a feed, to render.
type job struct {
	f       *catalog.Feed
	ref     catalog.FeedRef
	shown   []catalog.Member
	trusted bool // the previous outputs may be spliced
	// page is set for an archive page of f; prev and next name its
	// neighbours (a feed's prev: its newest page), "" for none.
	page       *catalog.Page
	prev, next string
}

// key is the key of the job's output in format ext.
func (j *job) key(ext string) string {
	if j.page != nil {
		return layout.ArchiveKey(j.f.Name, j.page.Name, ext)
	}
	return layout.FeedKey(j.f.Name, ext)
}

// links are what the job's outputs say of archive pages, as inputHash
// names them: a page's own name, and its neighbours (a feed's prev: its
// newest page).
func (j *job) links() []string {
	var l []string
	if j.page != nil {
		l = append(l, "page "+j.page.Name)
	}
	if j.prev != "" {
		l = append(l, "prev-archive "+j.prev)
	}
	if j.next != "" {
		l = append(l, "next-archive "+j.next)
	}
	return l
}

// pub is what the last build published of the job's feed or page.
func (j *job) pub() *catalog.Published {
	if j.page != nil {
		return &j.page.Published
	}
	return &j.f.Published
}

// plan decides which feeds change, renders them, and the pages that list
// them.
func (b *Build) plan(ctx context.Context, st *catalog.State, ap *apply, full bool) (*plan, error) {
	s := b.Site
	h := &st.Head
	refs := map[string]catalog.FeedRef{}
	for _, r := range h.Feeds {
		refs[r.Name] = r
	}
	distrust := map[string]bool{} // outputs a build that died may have left half-done
	repairPages := false
	if c := h.Claim; c != nil {
		for _, k := range c.Outputs {
			if name, _, ok := layout.FeedName(k); ok {
				distrust[name] = true
			} else if name, page, _, ok := layout.ArchiveName(k); ok {
				distrust[catalog.PageKey(name, page)] = true // the feed is looked at, not distrusted
			} else if k == layout.Index || k == layout.OPML || k == layout.StyleSheet || k == layout.Script {
				repairPages = true
			}
		}
	}
	var orphans []string
	// Feeds to look at: those whose members changed, those a dead build
	// was writing, and in a full build every feed published before.
	names := map[string]bool{}
	for n := range ap.changed {
		names[n] = true
	}
	for n := range distrust {
		if name, _, ok := strings.Cut(n, "\n"); ok {
			names[name] = true // a page of it
		} else {
			names[n] = true
		}
	}
	for _, p := range ap.pages {
		names[p.Feed] = true
	}
	if full {
		for n := range refs {
			names[n] = true
		}
	}
	var jobs []*job
	var refill []string
	for n := range names {
		f, err := st.Feed(ctx, n)
		if err != nil {
			return nil, wrap(err)
		}
		ref, published := refs[n]
		if f == nil {
			if !published && distrust[n] {
				// Written by a build that never committed: no feed.
				orphans = append(append(orphans, b.feedOutputs(n)...), deltaPacks(n)...)
				continue
			}
			if !published || ref.Retired != 0 && !distrust[n] {
				continue
			}
			f = &catalog.Feed{Name: n, Kind: ref.Kind}
			if err := st.SetFeed(ctx, f); err != nil {
				return nil, wrap(err)
			}
		}
		if b.live(f) && len(f.Head) < min(f.Count, s.Limit) {
			refill = append(refill, n)
		}
		jobs = append(jobs, &job{f: f, ref: ref, trusted: !distrust[n] && !full})
	}
	if len(refill) > 0 {
		if err := b.refill(ctx, st, ap, refill); err != nil {
			return nil, err
		}
	}
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].f.Name < jobs[j].f.Name })

	pl := &plan{refs: refs, repairPages: repairPages, orphans: orphans, archived: map[string][]string{}}
	changedPages := map[string][]*catalog.Page{}
	for _, p := range ap.pages {
		changedPages[p.Feed] = append(changedPages[p.Feed], p)
	}
	for _, j := range jobs {
		f := j.f
		ref, published := refs[f.Name]
		if !b.live(f) {
			if !published {
				if f.Count == 0 {
					if err := st.DeleteFeed(ctx, f.Name); err != nil {
						return nil, wrap(err)
					}
				}
				continue
			}
			if ref.Retired == 0 {
				ref.Retired = ap.now.Unix()
			}
			ref.Items, ref.Dropped, ref.Updated = 0, 0, ref.Retired
			if ref.Title == "" {
				ref.Title = b.title(f)
			}
		} else {
			j.shown = f.Head[:min(s.Limit, len(f.Head))]
			ref = catalog.FeedRef{Name: f.Name, Kind: f.Kind, Title: b.title(f), Updated: newest(j.shown)}
		}
		j.ref = ref
		if err := b.archive(ctx, st, pl, j, changedPages[f.Name], full, distrust); err != nil {
			return nil, err
		}
		if input := inputHash(ref, j.shown, j.links()...); input != f.Published.Input || distrust[f.Name] || f.Published.Hashes[0] == "" {
			f.Published.Input = input
			pl.jobs = append(pl.jobs, j)
			if err := st.Touch(ctx, f.Name); err != nil {
				return nil, wrap(err)
			}
			continue
		}
		j.ref.Items, j.ref.Dropped = refs[f.Name].Items, refs[f.Name].Dropped
		refs[f.Name] = j.ref
	}
	if err := b.retire(ctx, st, pl, ap.now); err != nil {
		return nil, err
	}
	h.Now = ap.now.Unix()
	return pl, nil
}

// retire removes the feeds that have been published empty for the site's
// grace period: their outputs go, and readers polling them get 410 Gone
// (and stop polling) instead of an empty feed for ever.
func (b *Build) retire(ctx context.Context, st *catalog.State, pl *plan, now time.Time) error {
	rendering := map[string]bool{}
	for _, j := range pl.jobs {
		rendering[j.f.Name] = true
	}
	grace := int64(b.Site.GoneAfterDays) * 24 * 3600
	var names []string
	for n, ref := range pl.refs {
		if ref.Retired != 0 && now.Unix()-ref.Retired >= grace && !rendering[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		delete(pl.refs, n)
		if err := st.DeleteFeed(ctx, n); err != nil {
			return wrap(err)
		}
		pl.orphans = append(pl.orphans, b.feedOutputs(n)...)
		pl.gone = append(pl.gone, b.feedOutputs(n)...)
		pl.orphans = append(pl.orphans, deltaPacks(n)...)
	}
	return nil
}

// feedOutputs are the keys of feed name's published objects: its three
// formats and its preview page.
func (b *Build) feedOutputs(name string) []string {
	keys := make([]string, 0, len(layout.Exts)+1)
	for _, ext := range layout.Exts {
		keys = append(keys, layout.FeedKey(name, ext))
	}
	if b.Site.HasPreviews() {
		keys = append(keys, layout.PreviewKey(name))
	}
	return keys
}

// deltaPacks are the keys of feed name's delta packs, internal state that
// goes with its outputs.
func deltaPacks(name string) []string {
	keys := make([]string, 0, len(layout.Exts))
	for _, ext := range layout.Exts {
		keys = append(keys, layout.DeltaKey(layout.FeedKey(name, ext)))
	}
	return keys
}

// live reports whether a feed is published with items.
func (b *Build) live(f *catalog.Feed) bool {
	if f.Count <= 0 {
		return false
	}
	switch feed.Kind(f.Kind) {
	case feed.KindSite:
		return b.Site.Feeds.Site
	case feed.KindCategory:
		return b.Site.Feeds.Categories
	case feed.KindTag:
		return b.Site.Feeds.Tags && f.Count >= b.Site.Feeds.TagMinArticles
	case feed.KindAuthor:
		return b.Site.Feeds.Authors
	}
	return false
}

func (b *Build) title(f *catalog.Feed) string {
	if feed.Kind(f.Kind) == feed.KindSite {
		return b.Site.Title
	}
	return b.Site.Title + " · " + f.Label()
}

var kindOrder = map[string]int{string(feed.KindSite): 0, string(feed.KindCategory): 1, string(feed.KindTag): 2, string(feed.KindAuthor): 3}

// feedOrder lists feeds as the index page and OPML list show them: by set,
// then by name.
func feedOrder(a, b catalog.FeedRef) bool {
	if kindOrder[a.Kind] != kindOrder[b.Kind] {
		return kindOrder[a.Kind] < kindOrder[b.Kind]
	}
	return a.Name < b.Name
}

// newest is the newest change among members, or the Unix epoch for none,
// so that a feed's date depends on its content and never on the clock.
func newest(members []catalog.Member) int64 {
	var t int64
	for _, m := range members {
		t = max(t, m.Updated)
	}
	return t
}

// inputHash names what the outputs of a feed or an archive page are
// rendered from: its title, its links to archive pages (and, for a page,
// its own name), its date and its members.
func inputHash(ref catalog.FeedRef, shown []catalog.Member, links ...string) string {
	h := sha256.New()
	var n [8]byte
	write := func(s string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	write(ref.Title)
	for _, l := range links {
		write(l)
	}
	binary.LittleEndian.PutUint64(n[:], uint64(ref.Updated))
	h.Write(n[:])
	for _, m := range shown {
		write(m.Key)
		write(m.Hash)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// refill gives feeds whose heads ran short of members all their members
// again, from every document of the catalog: needed only when more
// articles left a feed than its head keeps beyond the item limit.
func (b *Build) refill(ctx context.Context, st *catalog.State, ap *apply, names []string) error {
	if err := st.LoadAll(ctx); err != nil {
		return wrap(err)
	}
	want := map[string]*catalog.Feed{}
	for _, n := range names {
		f, err := st.Feed(ctx, n)
		if err != nil {
			return wrap(err)
		}
		f.Head, f.Count = f.Head[:0], 0 // counted again as members are inserted
		want[n] = f
		if err := st.Touch(ctx, n); err != nil {
			return wrap(err)
		}
	}
	return wrap(st.Docs(func(d *catalog.Doc) {
		if d.Role != catalog.RolePublished {
			return
		}
		for _, ref := range feedsOf(b.Site, d.Article) {
			if f := want[ref.name]; f != nil {
				f.Insert(member(d), ap.cap)
				f.Count++
			}
		}
	}))
}

// budget is how many of items fit feed f in format i within maxBytes (0:
// no limit): the oldest go first.
func budget(maxBytes, i int, f *feed.Feed, items [][]byte) int {
	if maxBytes <= 0 {
		return len(items)
	}
	n := len(items)
	for n > 0 && feed.Size(i, f, items[:n]) > maxBytes {
		n--
	}
	return n
}
