package publish

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/feedpub/feedpub/content/catalog"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/manifest"
)

// archive plans the archive pages (RFC 5005) of feed job j, given the
// pages of it whose members changed: which pages it has now, which of them
// to render, which to remove. A feed has an archive while it holds more
// articles than its item limit shows, in a set whose period is not none;
// its pages are the periods its articles were published in, each holding
// all of them. A page is rendered when its members, its neighbours or the
// feed's title changed, so a change to one article renders the page that
// holds it, and a new period also the page before it.
func (b *Build) archive(ctx context.Context, st *catalog.State, pl *plan, j *job, changed []*catalog.Page, full bool, distrust map[string]bool) error {
	f := j.f
	var now []string
	if j.ref.Retired == 0 && b.live(f) && f.Count > b.Site.Limit && b.Site.Archives[feed.Kind(f.Kind)] != feed.PeriodNone {
		for p, n := range f.Pages {
			if n > 0 {
				now = append(now, p)
			}
		}
		sort.Strings(now) // each period's names sort as time does
	}
	pl.archived[f.Name] = now
	j.prev = ""
	if len(now) > 0 {
		j.prev = now[len(now)-1]
	}
	was := f.Published.Pages
	published := map[string]bool{}
	for _, p := range was {
		published[p] = true
	}
	at := map[string]int{}
	for i, p := range now {
		at[p] = i
	}
	look := map[string]bool{}
	neighbours := func(p string) { // of a page added or removed
		i := sort.SearchStrings(now, p)
		if i > 0 {
			look[now[i-1]] = true
		}
		if _, ok := at[p]; ok {
			i++
		}
		if i < len(now) {
			look[now[i]] = true
		}
	}
	for _, p := range was {
		if _, ok := at[p]; !ok {
			for _, ext := range layout.Exts {
				pl.orphans = append(pl.orphans, layout.ArchiveKey(f.Name, p, ext))
				pl.gone = append(pl.gone, layout.ArchiveKey(f.Name, p, ext))
			}
			neighbours(p)
		}
	}
	if full || len(was) == 0 || j.ref.Title != f.Published.Title {
		for _, p := range now {
			look[p] = true
		}
	} else {
		for _, p := range changed {
			look[p.Name] = true
		}
		for _, p := range now {
			if !published[p] {
				look[p] = true
				neighbours(p)
			}
			if distrust[catalog.PageKey(f.Name, p)] {
				look[p] = true
			}
		}
	}
	for _, p := range changed {
		if len(p.Members) == 0 {
			if err := st.DeletePage(ctx, f.Name, p.Name); err != nil {
				return wrap(err)
			}
		}
	}
	names := make([]string, 0, len(look))
	for p := range look {
		if _, ok := at[p]; ok {
			names = append(names, p)
		}
	}
	sort.Strings(names)
	for _, p := range names {
		i := at[p]
		pg, err := st.Page(ctx, f.Name, p)
		if err != nil {
			return wrap(err)
		}
		if pg == nil { // counted in the feed, not in the catalog: made again by a full build
			return wrap(catalog.ErrCorrupt)
		}
		// A page not published before is written whatever the catalog
		// remembers of it (it may have been published, then removed).
		pj := &job{f: f, page: pg, shown: pg.Members,
			trusted: !full && !distrust[catalog.PageKey(f.Name, p)] && published[p]}
		if i > 0 {
			pj.prev = now[i-1]
		}
		if i < len(now)-1 {
			pj.next = now[i+1]
		}
		pj.ref = catalog.FeedRef{Name: f.Name, Kind: f.Kind, Title: j.ref.Title, Updated: newest(pg.Members)}
		input := inputHash(pj.ref, pj.shown, pj.links()...)
		if input == pg.Published.Input && pj.trusted && pg.Published.Hashes[0] != "" {
			continue
		}
		pg.Published.Input = input
		if err := st.SetPage(ctx, pg); err != nil {
			return wrap(err)
		}
		pl.jobs = append(pl.jobs, pj)
	}
	if !slices.Equal(was, now) {
		f.Published.Pages = now
		if err := st.Touch(ctx, f.Name); err != nil {
			return wrap(err)
		}
	}
	return nil
}

// unlisted adds to the plan's orphans the archive pages the last manifest
// names of feeds the plan looked at that no longer have them: those the
// catalog did not remember (a full build starts from an empty one).
func (pl *plan) unlisted(ctx context.Context, last *manifest.Manifest) error {
	if last == nil {
		return nil
	}
	known := map[string]bool{}
	for _, k := range pl.orphans {
		known[k] = true
	}
	var keys []string
	err := last.Each(ctx, func(key string, _ *manifest.Object) {
		name, page, _, ok := layout.ArchiveName(key)
		if !ok || known[key] {
			return
		}
		if pages, looked := pl.archived[name]; looked && !slices.Contains(pages, page) {
			keys = append(keys, key)
		}
	})
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	sort.Strings(keys)
	pl.orphans = append(pl.orphans, keys...)
	pl.gone = append(pl.gone, keys...)
	return nil
}
