package publish

import (
	"context"

	"github.com/feedpub/feedpub/feed"
)

// preview writes the preview page of feed f, made from its JSON Feed
// bytes, when its bytes changed.
func (r *renderer) preview(ctx context.Context, f *feed.Feed, jsonFeed []byte, out *outbox) error {
	_, _, _, _ = ctx, f, jsonFeed, out
	return nil
}

// csp is the Content-Security-Policy the answers for key carry: the pages'
// own, for the pages for people; none for feeds.
func (b *Build) csp(key string) string {
	_ = key
	return ""
}
