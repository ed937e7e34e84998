package publish

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/page"
)

// cleaned remembers the sanitised HTML of the items the preview pages
// show, for every build this process runs: an article is in many feeds
// (the site's, its category's, each of its tags'), and is sanitised once.
// What it remembers depends only on the item's HTML and URL, so it stays
// right from one build to the next; it holds at most 16 MiB.
var cleaned = page.NewCleaner(16 << 20)

// preview writes the preview page of feed f, made from its JSON Feed
// bytes, when its bytes changed.
func (r *renderer) preview(ctx context.Context, f *feed.Feed, jsonFeed []byte, out *outbox) error {
	key := layout.PreviewKey(f.Name)
	buf := bytes.NewBuffer(make([]byte, 0, len(jsonFeed)+len(jsonFeed)/4+8192))
	if err := page.Preview(buf, f, jsonFeed, cleaned); err != nil {
		return fmt.Errorf("publish: render %s: %w", key, err)
	}
	hash := store.Hash(buf.Bytes())
	if out.compare || !out.current(ctx, key, hash) {
		out.add(ctx, key, buf.Bytes(), hash)
	}
	return nil
}

// csp is the Content-Security-Policy the answers for key carry: the pages'
// own, for the pages for people; none for feeds.
func (b *Build) csp(key string) string {
	if key == layout.Index || (strings.HasPrefix(key, layout.FeedsDir) && strings.HasSuffix(key, ".html")) {
		return page.CSP
	}
	return ""
}
