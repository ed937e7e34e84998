package publish

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/feedpub/feedpub/content/catalog"
	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/layout"
)

// claimFor is how long a build may hold the catalog: longer than the build
// function's timeout, so that a claim outlives only a build that died.
const claimFor = 20 * time.Minute

// pages renders the index page and the OPML list from the feed list, and
// adds those whose bytes changed to the plan.
func (b *Build) pages(st *catalog.State, pl *plan) error {
	var listed []*feed.Feed
	for _, r := range st.Head.Feeds {
		if r.Retired == 0 {
			listed = append(listed, &feed.Feed{Name: r.Name, Kind: feed.Kind(r.Kind), Title: r.Title, Site: b.Site,
				Updated: time.Unix(r.Updated, 0).UTC(), Count: r.Items})
		}
	}
	if st.Head.Pages == nil {
		st.Head.Pages = map[string]string{}
	}
	for _, p := range []struct {
		key    string
		render func(*bytes.Buffer) error
	}{
		{layout.OPML, func(w *bytes.Buffer) error { return feed.OPML(w, b.Site, listed) }},
		{layout.Index, func(w *bytes.Buffer) error { return feed.Index(w, b.Site, listed) }},
	} {
		var buf bytes.Buffer
		if err := p.render(&buf); err != nil {
			return fmt.Errorf("publish: render %s: %w", p.key, err)
		}
		hash := store.Hash(buf.Bytes())
		if st.Head.Pages[p.key] != hash {
			pl.outputs = append(pl.outputs, output{key: p.key, body: buf.Bytes(), hash: hash})
		}
	}
	return nil
}

// put claims the catalog, naming the outputs it will write, then writes
// them. A full build asks the store whether each output is already the
// same; any other build knows from the catalog that it is not.
func (b *Build) put(ctx context.Context, st *catalog.State, pl *plan, rep *Report, now time.Time, full bool) error {
	id := b.ID
	if id == "" {
		var r [8]byte
		_, _ = rand.Read(r[:])
		id = hex.EncodeToString(r[:])
	}
	keys := make([]string, len(pl.outputs))
	for i, o := range pl.outputs {
		keys[i] = o.key
	}
	if err := st.Claim(ctx, id, time.Now(), time.Now().Add(claimFor), keys); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	var errs []error
	for _, o := range pl.outputs {
		obj := &store.Object{Key: o.key, Body: o.body, ContentType: store.TypeByKey(o.key), CacheControl: CacheControl, Hash: o.hash}
		changed := true
		var err error
		if full {
			changed, err = b.Out.Put(ctx, obj)
		} else {
			_, err = b.Out.Write(ctx, obj)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("publish: write %s: %w", o.key, err))
			pl.failed = append(pl.failed, o.key)
			continue
		}
		if _, ok := st.Head.Pages[o.key]; ok || o.key == layout.Index || o.key == layout.OPML {
			st.Head.Pages[o.key] = o.hash
		}
		if changed {
			rep.Written = append(rep.Written, o.key)
		}
	}
	if err := errors.Join(errs...); err != nil {
		// What was written is not committed: the next build renders those
		// outputs again rather than trusting them.
		if rerr := st.Release(ctx); rerr != nil {
			err = errors.Join(err, fmt.Errorf("publish: %w", rerr))
		}
		return err
	}
	return nil
}

// legacyFeeds returns the feeds a store holds that has no catalog yet (one
// published by an earlier feedpub): from its report, or, when there is none
// to read, from the feed files themselves, so that no feed is left stale.
func legacyFeeds(ctx context.Context, out Sink, s *feed.Site) []catalog.FeedRef {
	var refs []catalog.FeedRef
	if obj, err := out.Get(ctx, ReportKey); err == nil {
		var last Report
		if json.Unmarshal(obj.Body, &last) == nil {
			for _, fr := range last.Feeds {
				if validName(fr.Name) {
					refs = append(refs, catalog.FeedRef{Name: fr.Name, Kind: string(fr.Kind), Title: fr.Title})
				}
			}
			return refs
		}
	}
	lister, ok := out.(interface {
		List(ctx context.Context, prefix string) ([]store.Info, error)
	})
	if !ok {
		return nil
	}
	infos, err := lister.List(ctx, layout.FeedsDir)
	if err != nil {
		return nil
	}
	for _, in := range infos {
		name, ext, ok := layout.FeedName(in.Key)
		if !ok || ext != "rss" || !validName(name) {
			continue
		}
		kind, label, found := strings.Cut(name, "/")
		ref := catalog.FeedRef{Name: name, Kind: string(feed.KindSite), Title: s.Title}
		if found {
			ref.Kind, ref.Title = kind, s.Title+" · "+label
		}
		refs = append(refs, ref)
	}
	return refs
}

func validName(name string) bool {
	if store.CheckKey(layout.FeedKey(name, "rss")) != nil {
		return false
	}
	kind, _, found := strings.Cut(name, "/")
	if !found {
		return name == "index"
	}
	_, known := kindOrder[kind]
	return known && kind != string(feed.KindSite)
}
