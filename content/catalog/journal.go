package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"sort"

	"github.com/klauspost/compress/gzip"

	"github.com/feedpub/feedpub/content/store"
)

// The journal holds what builds committed since the shards were last
// written: a build that changes a few entries (an event) merges them into
// the journal and writes the journal and the head, not the shards of its
// entries; a build that reads a shard applies the journal to it. A listing
// build (the schedule) folds the journal into the shards, and so does any
// build once the journal would grow past MaxJournal.
//
// Each entry is held against the shard that holds it, not against the
// journal before it: a feed or archive page as a patch of the entry its
// shard holds (the members in and out, the page counts and published
// lists that changed), a document or an id whole. So the journal grows
// with the entries changed since the last fold, and with how much each
// changed, never with the number of builds: the site feed that every
// edit changes is one patch, of the members that changed since.

// MaxJournal is how large the journal may grow, gzip-coded as it is
// stored, before a commit writes the shards it touches instead: a build
// reads the journal, and an event writes it, whole.
const MaxJournal = 128 << 10

// journalKeys are the two slots of the journal: a commit writes the one
// the head does not name.
var journalKeys = [2]string{"catalog/journal.a.json.gz", "catalog/journal.b.json.gz"}

// Delta is a change of the catalog: each entry as it now is, nil (or, for
// ids, empty) where the entry is gone; a feed or page its shard holds as
// a patch of that entry, when one says it exactly.
type Delta struct {
	Docs        map[string]*Doc       `json:"docs,omitempty"`
	IDs         map[string][]string   `json:"ids,omitempty"`
	Feeds       map[string]*Feed      `json:"feeds,omitempty"`
	FeedPatches map[string]*FeedPatch `json:"feed_patches,omitempty"`
	Pages       map[string]*Page      `json:"pages,omitempty"` // by PageKey
	PagePatches map[string]*PagePatch `json:"page_patches,omitempty"`
}

func newDelta() Delta {
	return Delta{Docs: map[string]*Doc{}, IDs: map[string][]string{}, Feeds: map[string]*Feed{},
		FeedPatches: map[string]*FeedPatch{}, Pages: map[string]*Page{}, PagePatches: map[string]*PagePatch{}}
}

// Len is how many entries d changes.
func (d *Delta) Len() int {
	return len(d.Docs) + len(d.IDs) + len(d.Feeds) + len(d.FeedPatches) + len(d.Pages) + len(d.PagePatches)
}

// merged returns d with the entries of later put in, each replacing what
// d held of it: both are held against the same shards.
func (d *Delta) merged(later Delta) Delta {
	m := newDelta()
	maps.Copy(m.Docs, d.Docs)
	maps.Copy(m.IDs, d.IDs)
	maps.Copy(m.Docs, later.Docs)
	maps.Copy(m.IDs, later.IDs)
	mergeEntries(m.Feeds, m.FeedPatches, d.Feeds, d.FeedPatches)
	mergeEntries(m.Feeds, m.FeedPatches, later.Feeds, later.FeedPatches)
	mergeEntries(m.Pages, m.PagePatches, d.Pages, d.PagePatches)
	mergeEntries(m.Pages, m.PagePatches, later.Pages, later.PagePatches)
	return m
}

// mergeEntries puts the entries of a family that journals patches, whole
// or patched, into whole and patches, each replacing what they held of it.
func mergeEntries[T, P any](whole map[string]*T, patches map[string]*P, fromWhole map[string]*T, fromPatches map[string]*P) {
	for k, v := range fromWhole {
		whole[k] = v
		delete(patches, k)
	}
	for k, p := range fromPatches {
		patches[k] = p
		delete(whole, k)
	}
}

// apply puts the journal's entries of shard i of fam (of n) into sh, as
// read from its shard.
func (d *Delta) apply(fam string, i, n int, sh *shard) error {
	in := func(k string) bool { return shardOf(k, n) == i }
	switch fam {
	case FamilyDocs:
		for k, v := range d.Docs {
			if in(k) {
				if v == nil {
					delete(sh.docs, k)
				} else {
					c := *v
					sh.docs[k] = &c
				}
			}
		}
	case FamilyIDs:
		for k, v := range d.IDs {
			if in(k) {
				if len(v) == 0 {
					delete(sh.ids, k)
				} else {
					sh.ids[k] = append([]string(nil), v...)
				}
			}
		}
	case FamilyFeeds:
		return applyEntries(in, sh.feeds, d.Feeds, d.FeedPatches, (*Feed).clone)
	case FamilyPages:
		return applyEntries(in, sh.pages, d.Pages, d.PagePatches, (*Page).clone)
	}
	return nil
}

// applyEntries puts the entries named in (of a family that journals
// patches) into entries, as read from their shard: a whole one copied,
// nil ones removed, patches applied to the shard's.
func applyEntries[T any, P interface{ apply(*T) error }](in func(string) bool, entries, whole map[string]*T, patches map[string]P, clone func(*T) *T) error {
	for k, v := range whole {
		if in(k) {
			if v == nil {
				delete(entries, k)
			} else {
				entries[k] = clone(v)
			}
		}
	}
	for k, p := range patches {
		if !in(k) {
			continue
		}
		e := entries[k]
		if e == nil {
			return fmt.Errorf("%w: the journal patches %q, which its shard lacks", ErrCorrupt, k)
		}
		if err := p.apply(e); err != nil {
			return err
		}
	}
	return nil
}

// noteEntry records entry name of a family that journals patches, as it
// now is (cur), against its shard's (was): as a patch when one says it
// exactly (diff), else whole.
func noteEntry[T, P any](name string, cur, was *T, diff func(was, cur *T) *P, whole map[string]*T, patches map[string]*P) {
	if cur != nil && was != nil {
		if p := diff(was, cur); p != nil {
			patches[name] = p
			return
		}
	}
	whole[name] = cur
}

// shards lists, per family, the shards the journal touches (of the
// counts count gives).
func (d *Delta) shards(count func(fam string) int) map[string]map[int]bool {
	out := map[string]map[int]bool{FamilyDocs: {}, FamilyIDs: {}, FamilyFeeds: {}, FamilyPages: {}}
	touch := func(fam, k string) { out[fam][shardOf(k, count(fam))] = true }
	for k := range d.Docs {
		touch(FamilyDocs, k)
	}
	for k := range d.IDs {
		touch(FamilyIDs, k)
	}
	for k := range d.Feeds {
		touch(FamilyFeeds, k)
	}
	for k := range d.FeedPatches {
		touch(FamilyFeeds, k)
	}
	for k := range d.Pages {
		touch(FamilyPages, k)
	}
	for k := range d.PagePatches {
		touch(FamilyPages, k)
	}
	return out
}

// readJournal reads the journal the head names.
func (s *State) readJournal(ctx context.Context) error {
	var j Delta
	if _, err := s.readGzipJSON(ctx, s.Head.JournalKey, &j); err != nil {
		return err
	}
	s.Head.Journal = j.merged(Delta{}) // every map made
	return nil
}

// encodeJournal is j as stored.
func encodeJournal(j *Delta) ([]byte, error) {
	body, err := json.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("catalog: journal: %w", err)
	}
	return gzipped(body, gzip.DefaultCompression), nil
}

// writeJournal writes the journal coded as stored into the slot head does
// not name, and names it in head.
func (s *State) writeJournal(ctx context.Context, head *Head, stored []byte) error {
	key := journalKeys[0]
	if head.JournalKey == key {
		key = journalKeys[1]
	}
	if _, err := s.st.Write(ctx, &store.Object{Key: s.dir + key, Body: stored,
		ContentType: "application/json", ContentEncoding: "gzip", CacheControl: "no-store"}); err != nil {
		return fmt.Errorf("catalog: write %s: %w", s.dir+key, err)
	}
	head.JournalKey = key
	return nil
}

// A FeedPatch is how the journal holds the change of a feed entry its
// shard holds: the entry without its members and page counts, and those
// as changes. A feed's head is its newest fifty-odd members and a feed of
// the site has hundreds of archive pages, while an edit changes one or
// two of each: whole, the entries one edit touches took some 70 KB of
// journal.
type FeedPatch struct {
	Feed      Feed           `json:"feed"`            // Head, Pages and Published's lists left out
	Drop      []string       `json:"drop,omitempty"`  // keys of the members that left the head, or changed
	Add       []Member       `json:"add,omitempty"`   // the members that entered it, or changed
	Pages     map[string]int `json:"pages,omitempty"` // the page counts that changed; 0 for a page gone
	Published listsPatch     `json:"published_lists"`
}

// A PagePatch is the change of an archive page its shard holds, as the
// journal holds it: the page without its members, and those as changes.
type PagePatch struct {
	Page      Page       `json:"page"` // Members and Published's lists left out
	Drop      []string   `json:"drop,omitempty"`
	Add       []Member   `json:"add,omitempty"`
	Published listsPatch `json:"published_lists"`
}

// listsPatch holds the changes of the lists of a Published: the hashes of
// the members shown (an edit changes one) and the archive pages (a new
// month adds one).
type listsPatch struct {
	Shown listPatch `json:"shown"`
	Pages listPatch `json:"pages"`
}

func publishedPatch(old, new Published) listsPatch {
	return listsPatch{Shown: stringsPatch(old.Shown, new.Shown), Pages: stringsPatch(old.Pages, new.Pages)}
}

// apply sets the lists of pub, from those of base.
func (p listsPatch) apply(pub *Published, base Published) {
	pub.Shown, pub.Pages = p.Shown.apply(base.Shown), p.Pages.apply(base.Pages)
}

// A listPatch turns a list of strings into another: the list cut or
// grown to Len, with the strings at the places At names put in.
type listPatch struct {
	Len int            `json:"len"`
	At  map[int]string `json:"at,omitempty"`
}

func stringsPatch(old, new []string) listPatch {
	p := listPatch{Len: len(new)}
	for i, v := range new {
		if i >= len(old) || old[i] != v {
			if p.At == nil {
				p.At = map[int]string{}
			}
			p.At[i] = v
		}
	}
	return p
}

func (p listPatch) apply(old []string) []string {
	if p.Len == 0 {
		return nil
	}
	out := make([]string, p.Len)
	copy(out, old)
	for i, v := range p.At {
		if i >= 0 && i < p.Len {
			out[i] = v
		}
	}
	return out
}

// feedPatch returns the patch that turns base into f, or nil when none
// does exactly (then the entry is journaled whole).
func feedPatch(base, f *Feed) *FeedPatch {
	p := &FeedPatch{Feed: *f.clone(), Published: publishedPatch(base.Published, f.Published)}
	p.Feed.Head, p.Feed.Pages, p.Feed.Published.Shown, p.Feed.Published.Pages = nil, nil, nil, nil
	p.Drop, p.Add = memberChanges(base.Head, f.Head)
	for k, n := range f.Pages {
		if base.Pages[k] != n {
			if p.Pages == nil {
				p.Pages = map[string]int{}
			}
			p.Pages[k] = n
		}
	}
	for k := range base.Pages {
		if _, ok := f.Pages[k]; !ok {
			if p.Pages == nil {
				p.Pages = map[string]int{}
			}
			p.Pages[k] = 0
		}
	}
	got := base.clone()
	if p.apply(got) != nil || !reflect.DeepEqual(normalFeed(got), normalFeed(f.clone())) {
		return nil
	}
	return p
}

// apply changes f as the patch says.
func (p *FeedPatch) apply(f *Feed) error {
	head, err := applyMembers(f.Head, p.Drop, p.Add)
	if err != nil {
		return fmt.Errorf("feed %s: %w", f.Name, err)
	}
	pages := f.Pages
	if len(p.Pages) > 0 {
		pages = maps.Clone(pages)
		if pages == nil {
			pages = map[string]int{}
		}
		for k, n := range p.Pages {
			if n == 0 {
				delete(pages, k)
			} else {
				pages[k] = n
			}
		}
	}
	pub := f.Published
	*f = *p.Feed.clone()
	f.Head, f.Pages = head, pages
	p.Published.apply(&f.Published, pub)
	return nil
}

// pagePatch returns the patch that turns base into pg, or nil.
func pagePatch(base, pg *Page) *PagePatch {
	p := &PagePatch{Page: *pg.clone(), Published: publishedPatch(base.Published, pg.Published)}
	p.Page.Members, p.Page.Published.Shown, p.Page.Published.Pages = nil, nil, nil
	p.Drop, p.Add = memberChanges(base.Members, pg.Members)
	got := base.clone()
	if p.apply(got) != nil || !reflect.DeepEqual(normalPage(got), normalPage(pg.clone())) {
		return nil
	}
	return p
}

func (p *PagePatch) apply(pg *Page) error {
	members, err := applyMembers(pg.Members, p.Drop, p.Add)
	if err != nil {
		return fmt.Errorf("page %s of %s: %w", pg.Name, pg.Feed, err)
	}
	pub := pg.Published
	*pg = *p.Page.clone()
	pg.Members = members
	p.Published.apply(&pg.Published, pub)
	return nil
}

// memberChanges lists what turns the members old into new: the keys to
// take out (gone, or changed) and the members to put in.
func memberChanges(old, new []Member) (drop []string, add []Member) {
	was := make(map[string]Member, len(old))
	for _, m := range old {
		was[m.Key] = m
	}
	now := make(map[string]bool, len(new))
	for _, m := range new {
		now[m.Key] = true
		if w, ok := was[m.Key]; !ok || w != m {
			add = append(add, m)
			if ok {
				drop = append(drop, m.Key)
			}
		}
	}
	for _, m := range old {
		if !now[m.Key] {
			drop = append(drop, m.Key)
		}
	}
	return drop, add
}

// applyMembers takes the members keyed in drop out of ms and puts those
// of add in, in order (Before), into a new slice.
func applyMembers(ms []Member, drop []string, add []Member) ([]Member, error) {
	gone := make(map[string]bool, len(drop))
	for _, k := range drop {
		gone[k] = true
	}
	out := make([]Member, 0, len(ms)+len(add))
	found := 0
	for _, m := range ms {
		if gone[m.Key] {
			found++
			continue
		}
		out = append(out, m)
	}
	if found != len(gone) {
		return nil, fmt.Errorf("%w: the journal drops %d members of which %d are there", ErrCorrupt, len(gone), found)
	}
	for _, m := range add {
		i := sort.Search(len(out), func(i int) bool { return !Before(out[i], m) })
		out = append(out, Member{})
		copy(out[i+1:], out[i:])
		out[i] = m
	}
	return out, nil
}

// normalFeed and normalPage make empty maps and slices nil, which their
// encodings do not tell apart.
func normalFeed(f *Feed) *Feed {
	if len(f.Head) == 0 {
		f.Head = nil
	}
	if len(f.Pages) == 0 {
		f.Pages = nil
	}
	if len(f.Spellings) == 0 {
		f.Spellings = nil
	}
	if len(f.Published.Shown) == 0 {
		f.Published.Shown = nil
	}
	if len(f.Published.Pages) == 0 {
		f.Published.Pages = nil
	}
	return f
}

func normalPage(p *Page) *Page {
	if len(p.Members) == 0 {
		p.Members = nil
	}
	if len(p.Published.Shown) == 0 {
		p.Published.Shown = nil
	}
	if len(p.Published.Pages) == 0 {
		p.Published.Pages = nil
	}
	return p
}

func (p *Page) clone() *Page {
	c := *p
	c.Members = append([]Member(nil), p.Members...)
	c.Published.Shown = append([]string(nil), p.Published.Shown...)
	c.Published.Pages = append([]string(nil), p.Published.Pages...)
	return &c
}
