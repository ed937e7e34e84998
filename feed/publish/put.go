package publish

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/feedpub/feedpub/content/catalog"
	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/gate"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/page"
)

// claimFor is how long a build without a deadline may hold the catalog
// (one with a deadline, as in Lambda, holds it until just past that):
// longer than any build runs, so that a claim outlives only a build that
// died.
const claimFor = 20 * time.Minute

// pages renders the index page and the OPML list from the feed list, and
// writes those whose bytes changed, with the style sheet and script the
// pages share.
func (b *Build) pages(ctx context.Context, st *catalog.State, out *outbox, repair bool) error {
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
	asset := func(body []byte) func(*bytes.Buffer) error {
		return func(w *bytes.Buffer) error { _, err := w.Write(body); return err }
	}
	for _, p := range []struct {
		key    string
		render func(*bytes.Buffer) error
	}{
		{layout.OPML, func(w *bytes.Buffer) error { return feed.OPML(w, b.Site, listed) }},
		{layout.Index, func(w *bytes.Buffer) error { return page.Index(w, b.Site, listed) }},
		{layout.StyleSheet, asset(page.StyleSheet)},
		{layout.Script, asset(page.Script)},
	} {
		var buf bytes.Buffer
		if err := p.render(&buf); err != nil {
			return fmt.Errorf("publish: render %s: %w", p.key, err)
		}
		if p.key == layout.OPML {
			if err := gate.XML(buf.Bytes()); err != nil {
				out.withhold(p.key, err)
				continue
			}
		}
		hash := store.Hash(buf.Bytes())
		if st.Head.Pages[p.key] != hash || out.compare || repair || !out.current(ctx, p.key, hash) {
			out.add(ctx, p.key, buf.Bytes(), hash)
			st.Head.Pages[p.key] = hash
		}
	}
	return nil
}

func (b *Build) buildID() string {
	if b.ID != "" {
		return b.ID
	}
	var r [8]byte
	_, _ = rand.Read(r[:])
	return hex.EncodeToString(r[:])
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
