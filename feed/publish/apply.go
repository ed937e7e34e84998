package publish

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/content/catalog"
	"github.com/feedpub/feedpub/feed"
)

// apply brings the catalog up to date with the documents read and removed:
// it forgets each changed document's old facts, records the new ones,
// settles every id they touch (which copy wins, its role now) and moves
// articles in and out of the feeds that hold them.
type apply struct {
	site *feed.Site
	st   *catalog.State
	now  time.Time

	touched map[string]bool          // article ids to settle
	changed map[string]*catalog.Feed // feeds whose members changed, by name
	pages   map[string]*catalog.Page // archive pages whose members changed, by catalog.PageKey
	items   *items                   // of the documents read by this build
	before  int                      // visible articles before
	cap     int                      // members kept in a feed's head
}

func newApply(s *feed.Site, st *catalog.State, now time.Time, margin int) *apply {
	if margin <= 0 {
		margin = max(10, s.Limit/5)
	}
	return &apply{site: s, st: st, now: now, touched: map[string]bool{}, changed: map[string]*catalog.Feed{},
		pages: map[string]*catalog.Page{}, before: st.VisibleBefore(), cap: s.Limit + margin}
}

func (ap *apply) run(ctx context.Context, docs []*fetched, removed []string) error {
	h := &ap.st.Head
	if h.Rejected == nil {
		h.Rejected = map[string][]content.Problem{}
	}
	if err := ap.prefetch(ctx, docs, removed); err != nil {
		return err
	}
	docs, err := ap.unchanged(ctx, docs)
	if err != nil {
		return err
	}
	for _, f := range docs {
		if err := ap.forget(ctx, f.info.Key); err != nil {
			return err
		}
	}
	for _, k := range removed {
		if err := ap.forget(ctx, k); err != nil {
			return err
		}
	}
	for _, f := range docs {
		if !f.gone {
			if err := ap.record(ctx, f); err != nil {
				return err
			}
		}
	}
	for _, m := range h.Embargoed {
		if m.Published <= ap.now.Unix() {
			ap.touched[m.ID] = true
		}
	}
	ids := make([]string, 0, len(ap.touched))
	for id := range ap.touched {
		ids = append(ids, id)
	}
	sort.Strings(ids) // the same order every time: feeds' heads do not depend on it, but errors do
	for _, id := range ids {
		if err := ap.settle(ctx, id); err != nil {
			return err
		}
	}
	// The pages grew a member at a time, up to twice the room they
	// need, and are held until the commit: from scratch at 100,000
	// articles their spare room was 25 MB of the heap while rendering.
	for _, p := range ap.pages {
		if cap(p.Members)-len(p.Members) > len(p.Members)/8 {
			p.Members = slices.Clone(p.Members)
		}
	}
	return nil
}

// prefetchMost is the most documents whose catalog entries a build reads
// ahead: a build of more reads most shards anyway.
const prefetchMost = 64

// prefetch reads ahead the catalog shards that the lookups of a build of a
// few documents (an event's) will need, in two rounds of parallel reads:
// those of the documents and their ids (the ones read, the ones deleted,
// the embargoed ones whose time has come), then those of the other
// documents of those ids and of the feeds and archive pages that hold
// either version of each document, the catalog's and the new one. Left
// to the lookups, an edit at 100,000 articles read some sixty shards one
// after another.
func (ap *apply) prefetch(ctx context.Context, docs []*fetched, removed []string) error {
	var due []catalog.Member
	for _, m := range ap.st.Head.Embargoed {
		if m.Published <= ap.now.Unix() {
			due = append(due, m)
		}
	}
	if len(docs)+len(removed)+len(due) > prefetchMost {
		return nil
	}
	first := map[string][]string{}
	var facts []*catalog.Facts
	for _, f := range docs {
		first[catalog.FamilyDocs] = append(first[catalog.FamilyDocs], f.info.Key)
		if f.facts != nil {
			first[catalog.FamilyIDs] = append(first[catalog.FamilyIDs], f.facts.ID)
			facts = append(facts, f.facts)
		}
	}
	first[catalog.FamilyDocs] = append(first[catalog.FamilyDocs], removed...)
	for _, m := range due {
		first[catalog.FamilyDocs] = append(first[catalog.FamilyDocs], m.Key)
		first[catalog.FamilyIDs] = append(first[catalog.FamilyIDs], m.ID)
	}
	if err := ap.st.Prefetch(ctx, first); err != nil {
		return wrap(err)
	}
	second := map[string][]string{}
	for _, k := range first[catalog.FamilyDocs] {
		d, err := ap.st.Doc(ctx, k)
		if err != nil {
			return wrap(err)
		}
		if d != nil && d.Article != nil {
			second[catalog.FamilyIDs] = append(second[catalog.FamilyIDs], d.Article.ID)
			facts = append(facts, d.Article)
		}
	}
	for _, id := range first[catalog.FamilyIDs] {
		keys, err := ap.st.Keys(ctx, id)
		if err != nil {
			return wrap(err)
		}
		second[catalog.FamilyDocs] = append(second[catalog.FamilyDocs], keys...)
	}
	for _, a := range facts {
		for _, ref := range feedsOf(ap.site, a) {
			second[catalog.FamilyFeeds] = append(second[catalog.FamilyFeeds], ref.name)
			if page := ap.site.PageOf(ref.kind, a.Published); page != "" {
				second[catalog.FamilyPages] = append(second[catalog.FamilyPages], catalog.PageKey(ref.name, page))
			}
		}
	}
	return wrap(ap.st.Prefetch(ctx, second))
}

// unchanged drops the documents read again with the bytes the catalog
// has (a file touched, or listed too close to the last listing to trust
// its time), noting only what the store now says of them.
func (ap *apply) unchanged(ctx context.Context, docs []*fetched) ([]*fetched, error) {
	out := docs[:0]
	for _, f := range docs {
		d, err := ap.st.Doc(ctx, f.info.Key)
		if err != nil {
			return nil, wrap(err)
		}
		if f.gone || d == nil || d.Hash != f.hash {
			out = append(out, f)
			continue
		}
		mtime := int64(0)
		if !f.info.ModTime.IsZero() {
			mtime = f.info.ModTime.UnixNano()
		}
		if d.Size != f.info.Size || d.ModTime != mtime || d.Version != f.info.Version {
			d.Size, d.ModTime, d.Version = f.info.Size, mtime, f.info.Version
			if err := ap.st.SetDoc(ctx, d); err != nil {
				return nil, wrap(err)
			}
		}
	}
	return out, nil
}

// retracted is how many visible articles this build takes out of feeds.
func (ap *apply) retracted() int { return max(0, ap.before-ap.st.Head.Counts.Published) }

// forget takes out what the catalog knows of the document at key.
func (ap *apply) forget(ctx context.Context, key string) error {
	d, err := ap.st.Doc(ctx, key)
	if err != nil || d == nil {
		return wrap(err)
	}
	h := &ap.st.Head
	delete(h.Rejected, key)
	if d.Article != nil {
		ap.touched[d.Article.ID] = true
		if err := ap.unrole(ctx, d); err != nil {
			return err
		}
		if err := ap.st.RemoveKey(ctx, d.Article.ID, key); err != nil {
			return wrap(err)
		}
	}
	h.Counts.Documents--
	return wrap(ap.st.DeleteDoc(ctx, key))
}

// record adds what the read stage found of one document.
func (ap *apply) record(ctx context.Context, f *fetched) error {
	d := &catalog.Doc{Key: f.info.Key, Size: f.info.Size, Version: f.info.Version, Hash: f.hash}
	if !f.info.ModTime.IsZero() {
		d.ModTime = f.info.ModTime.UnixNano()
	}
	h := &ap.st.Head
	h.Counts.Documents++
	if f.facts == nil {
		d.Problems = f.problems
		h.Rejected[d.Key] = f.problems
		return wrap(ap.st.SetDoc(ctx, d))
	}
	d.Article = f.facts
	ap.touched[d.Article.ID] = true
	if err := ap.st.AddKey(ctx, d.Article.ID, d.Key); err != nil {
		return wrap(err)
	}
	return wrap(ap.st.SetDoc(ctx, d))
}

// settle decides which document of id wins and what it counts as now.
func (ap *apply) settle(ctx context.Context, id string) error {
	keys, err := ap.st.Keys(ctx, id)
	if err != nil {
		return wrap(err)
	}
	var docs []*catalog.Doc
	var winner *catalog.Doc
	for _, k := range keys {
		d, err := ap.st.Doc(ctx, k)
		if err != nil {
			return wrap(err)
		}
		if d == nil || d.Article == nil || d.Article.ID != id {
			continue
		}
		docs = append(docs, d)
		if winner == nil || catalog.Newer(d, winner) {
			winner = d
		}
	}
	h := &ap.st.Head
	for _, d := range docs {
		if d == winner {
			continue
		}
		if err := ap.unrole(ctx, d); err != nil {
			return err
		}
		h.Rejected[d.Key] = []content.Problem{{Field: "id", Reason: fmt.Sprintf(
			"%q is also the id of %s, which is newer or comes first; that one is published", id, winner.Key)}}
	}
	if winner == nil {
		return nil
	}
	delete(h.Rejected, winner.Key)
	role := winner.Article.RoleAt(ap.now)
	if role == winner.Role {
		return nil
	}
	if err := ap.unrole(ctx, winner); err != nil {
		return err
	}
	winner.Role = role
	h.Counts.Add(role, 1)
	switch role {
	case catalog.RolePublished:
		if err := ap.join(ctx, winner, 1); err != nil {
			return err
		}
	case catalog.RoleEmbargoed:
		h.Embargoed = append(h.Embargoed, member(winner))
		sort.Slice(h.Embargoed, func(i, j int) bool { return h.Embargoed[i].Published < h.Embargoed[j].Published })
	}
	return wrap(ap.st.SetDoc(ctx, winner))
}

// unrole takes d out of what it counted as: the counts, the embargo list
// and, when it was published, every feed.
func (ap *apply) unrole(ctx context.Context, d *catalog.Doc) error {
	if d.Role == catalog.RoleNone {
		return nil
	}
	h := &ap.st.Head
	h.Counts.Add(d.Role, -1)
	switch d.Role {
	case catalog.RolePublished:
		if err := ap.join(ctx, d, -1); err != nil {
			return err
		}
	case catalog.RoleEmbargoed:
		for i, m := range h.Embargoed {
			if m.Key == d.Key {
				h.Embargoed = append(h.Embargoed[:i], h.Embargoed[i+1:]...)
				break
			}
		}
	}
	d.Role = catalog.RoleNone
	return wrap(ap.st.SetDoc(ctx, d))
}

// member is d as a member of its feeds and pages. Its shortened hash is
// a copy, not a slice of d's: members outlive the document's entry when
// its shard is sealed (see catalog.State.Seal).
func member(d *catalog.Doc) catalog.Member {
	return catalog.Member{Key: d.Key, ID: d.Article.ID, Published: d.Article.Published, Updated: d.Article.Updated, Hash: strings.Clone(d.Hash[:16])}
}

// join adds d to (n = 1) or takes it out of (n = -1) every feed that holds
// it.
func (ap *apply) join(ctx context.Context, d *catalog.Doc, n int) error {
	m := member(d)
	for _, ref := range feedsOf(ap.site, d.Article) {
		f, err := ap.feed(ctx, ref.name, ref.kind)
		if err != nil {
			return err
		}
		if n > 0 {
			f.Insert(m, ap.cap) // before it is counted
		} else {
			f.Remove(m.Key)
		}
		f.Count += n
		if page := ap.site.PageOf(ref.kind, m.Published); page != "" {
			p, err := ap.page(ctx, ref.name, page)
			if err != nil {
				return err
			}
			if n > 0 {
				p.Insert(m)
			} else {
				p.Remove(m.Key)
			}
			if f.Pages == nil {
				f.Pages = map[string]int{}
			}
			if f.Pages[page] += n; f.Pages[page] <= 0 {
				delete(f.Pages, page)
			}
		}
		if ref.label != "" {
			if f.Spellings == nil {
				f.Spellings = map[string]int{}
			}
			f.Spellings[ref.label] += n
			if f.Spellings[ref.label] <= 0 {
				delete(f.Spellings, ref.label)
			}
		}
	}
	return nil
}

// feed returns the catalog's entry of a feed, made when there is none, and
// marks it changed.
func (ap *apply) feed(ctx context.Context, name string, kind feed.Kind) (*catalog.Feed, error) {
	if f := ap.changed[name]; f != nil {
		return f, nil
	}
	f, err := ap.st.Feed(ctx, name)
	if err != nil {
		return nil, wrap(err)
	}
	if f == nil {
		f = &catalog.Feed{Name: name, Kind: string(kind)}
		if err := ap.st.SetFeed(ctx, f); err != nil {
			return nil, wrap(err)
		}
	} else if err := ap.st.Touch(ctx, name); err != nil {
		return nil, wrap(err)
	}
	ap.changed[name] = f
	return f, nil
}

// page returns the catalog's entry of an archive page, made when there is
// none, and marks it changed.
func (ap *apply) page(ctx context.Context, name, page string) (*catalog.Page, error) {
	key := catalog.PageKey(name, page)
	if p := ap.pages[key]; p != nil {
		return p, nil
	}
	p, err := ap.st.Page(ctx, name, page)
	if err != nil {
		return nil, wrap(err)
	}
	if p == nil {
		p = &catalog.Page{Feed: name, Name: page}
	}
	if err := ap.st.SetPage(ctx, p); err != nil {
		return nil, wrap(err)
	}
	ap.pages[key] = p
	return p, nil
}

type feedRef struct {
	name  string
	kind  feed.Kind
	label string // as the article spells it; "" for the site feed
}

// feedsOf names the feeds of s that hold an article with facts a: the site
// feed, and one per distinct category, tag and author name (names that
// differ only in case, width or Unicode form are one), each spelt as the
// article first spells it.
func feedsOf(s *feed.Site, a *catalog.Facts) []feedRef {
	var out []feedRef
	if s.Feeds.Site {
		out = append(out, feedRef{name: "index", kind: feed.KindSite})
	}
	add := func(kind feed.Kind, labels []string) {
		from := len(out)
	next:
		for _, l := range labels {
			name := string(kind) + "/" + feed.Slug(l)
			for _, r := range out[from:] { // an article has few labels
				if r.name == name {
					continue next
				}
			}
			out = append(out, feedRef{name: name, kind: kind, label: l})
		}
	}
	if s.Feeds.Categories {
		add(feed.KindCategory, a.Categories)
	}
	if s.Feeds.Tags {
		add(feed.KindTag, a.Tags)
	}
	if s.Feeds.Authors {
		add(feed.KindAuthor, a.Authors)
	}
	return out
}

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("publish: %w", err)
}
