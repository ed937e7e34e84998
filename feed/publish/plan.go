package publish

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/content/catalog"
	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/layout"
)

// plan is what the render stage made: the outputs whose bytes changed,
// ready to put, and the feed list as it will be committed.
type plan struct {
	outputs []output
	failed  []string // outputs that could not be written
}

type output struct {
	key  string
	body []byte
	hash string
}

// job is one feed to render.
type job struct {
	f       *catalog.Feed
	ref     catalog.FeedRef
	shown   []catalog.Member
	trusted bool // the previous outputs may be spliced
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
	if c := h.Claim; c != nil {
		for _, k := range c.Outputs {
			if name, _, ok := layout.FeedName(k); ok {
				distrust[name] = true
			}
		}
	}
	// Feeds to look at: those whose members changed, those a dead build
	// was writing, and in a full build every feed published before.
	names := map[string]bool{}
	for n := range ap.changed {
		names[n] = true
	}
	for n := range distrust {
		names[n] = true
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

	pl := &plan{}
	var render []*job
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
		if input := inputHash(ref, j.shown); input != f.Published.Input || distrust[f.Name] || f.Published.Hashes[0] == "" {
			f.Published.Input = input
			render = append(render, j)
		} else {
			j.ref.Items, j.ref.Dropped = refs[f.Name].Items, refs[f.Name].Dropped
		}
		refs[f.Name] = j.ref
		if err := st.Touch(ctx, f.Name); err != nil {
			return nil, wrap(err)
		}
	}
	if err := b.render(ctx, st, ap, render, pl); err != nil {
		return nil, err
	}
	for _, j := range render {
		refs[j.f.Name] = j.ref
	}
	h.Feeds = h.Feeds[:0]
	for _, r := range refs {
		h.Feeds = append(h.Feeds, r)
	}
	sort.Slice(h.Feeds, func(i, j int) bool { return feedOrder(h.Feeds[i], h.Feeds[j]) })
	if err := b.pages(st, pl); err != nil {
		return nil, err
	}
	h.Now = ap.now.Unix()
	return pl, nil
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

// inputHash names what a feed's outputs are rendered from.
func inputHash(ref catalog.FeedRef, shown []catalog.Member) string {
	h := sha256.New()
	var n [8]byte
	write := func(s string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	write(ref.Title)
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
	}
	st.Docs(func(d *catalog.Doc) {
		if d.Role != catalog.RolePublished {
			return
		}
		for _, ref := range feedsOf(b.Site, d.Article) {
			if f := want[ref.name]; f != nil {
				f.Insert(member(d), ap.cap)
				f.Count++
			}
		}
	})
	return nil
}

// render assembles the jobs' feeds from the items of the documents this
// build read, of the feeds as published, and of the documents that entered
// a feed without changing, read now.
func (b *Build) render(ctx context.Context, st *catalog.State, ap *apply, jobs []*job, pl *plan) error {
	items := map[string]*feed.Items{} // by document key
	for k, f := range ap.fresh {
		if f.items != nil {
			items[k] = f.items
		}
	}
	// The published items of each feed that may be spliced.
	spliced := map[string][3]map[string][]byte{}
	var missing []string
	for _, j := range jobs {
		var prev [3]map[string][]byte
		need := false
		for _, m := range j.shown {
			if items[m.Key] == nil {
				need = true
			}
		}
		if need && j.trusted && j.f.Published.Hashes[0] != "" {
			prev = b.published(ctx, j.f)
		}
		spliced[j.f.Name] = prev
		for _, m := range j.shown {
			if items[m.Key] != nil {
				continue
			}
			id := feed.ItemID(b.Site, &content.Article{ID: m.ID})
			if prev[0][id] == nil || prev[1][id] == nil || prev[2][id] == nil {
				missing = append(missing, m.Key)
			}
		}
	}
	if len(missing) > 0 {
		if err := b.entrants(ctx, missing, items); err != nil {
			return err
		}
	}
	for _, j := range jobs {
		prev := spliced[j.f.Name]
		f := &feed.Feed{Name: j.f.Name, Kind: feed.Kind(j.f.Kind), Title: j.ref.Title, Site: b.Site, Updated: time.Unix(j.ref.Updated, 0).UTC()}
		var frags [3][][]byte
		for _, m := range j.shown {
			it := items[m.Key]
			id := feed.ItemID(b.Site, &content.Article{ID: m.ID})
			for i := range frags {
				switch {
				case it != nil:
					frags[i] = append(frags[i], it[i])
				case prev[i][id] != nil:
					frags[i] = append(frags[i], prev[i][id])
				}
			}
		}
		var counts [3]int
		for i, ext := range layout.Exts {
			cut := budget(b.Site.MaxBytes, i, f, frags[i])
			counts[i] = cut
			var buf bytes.Buffer
			if err := feed.Assemble(&buf, i, f, frags[i][:cut]); err != nil {
				return fmt.Errorf("publish: render %s: %w", layout.FeedKey(f.Name, ext), err)
			}
			hash := store.Hash(buf.Bytes())
			if hash != j.f.Published.Hashes[i] || !j.trusted {
				pl.outputs = append(pl.outputs, output{key: layout.FeedKey(f.Name, ext), body: buf.Bytes(), hash: hash})
			}
			j.f.Published.Hashes[i] = hash
			j.f.Published.Items[i] = cut
		}
		shown := min(counts[0], counts[1], counts[2])
		if j.ref.Retired == 0 {
			j.ref.Items = shown
			j.ref.Dropped = len(j.shown) - shown
		}
		j.f.Published.Title, j.f.Published.Updated, j.f.Published.Retired = j.ref.Title, j.ref.Updated, j.ref.Retired
	}
	return nil
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

// published returns the items of a feed's outputs as the last build wrote
// them, by item id; an output that is missing, or not the bytes the
// catalog recorded, gives none, and its items are read again.
func (b *Build) published(ctx context.Context, f *catalog.Feed) [3]map[string][]byte {
	var out [3]map[string][]byte
	for i, ext := range layout.Exts {
		obj, err := b.Out.Get(ctx, layout.FeedKey(f.Name, ext))
		if err != nil || store.Hash(obj.Body) != f.Published.Hashes[i] {
			continue
		}
		items, err := feed.Split(i, obj.Body)
		if err != nil {
			continue
		}
		out[i] = make(map[string][]byte, len(items))
		for _, it := range items {
			out[i][it.ID] = it.Body
		}
	}
	return out
}

// entrants reads the documents of members whose items no output holds.
func (b *Build) entrants(ctx context.Context, keys []string, items map[string]*feed.Items) error {
	sort.Strings(keys)
	keys = compactStrings(keys)
	infos := make([]store.Info, len(keys))
	for i, k := range keys {
		infos[i] = store.Info{Key: k}
	}
	docs, err := b.read(ctx, infos, true, time.Unix(1<<40, 0))
	if err != nil {
		return err
	}
	for _, d := range docs {
		if d.items == nil {
			return fmt.Errorf("publish: %s changed during the build (%w); the next build takes it in", d.info.Key, errChanged)
		}
		items[d.info.Key] = d.items
	}
	return nil
}

var errChanged = errors.New("document changed")

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
