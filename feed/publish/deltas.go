package publish

import (
	"context"

	"github.com/feedpub/feedpub/feed"
)

// deltas writes the delta pack of output key (format i of job j's feed),
// whose items are now items, and records it in the output's manifest
// entry. It runs after the output was added to out, before the job's
// published facts (j.f.Published) are updated: they still describe the
// version this one replaces.
func (r *renderer) deltas(ctx context.Context, j *job, i int, key string, f *feed.Feed, items [][]byte, out *outbox) error {
	_, _, _, _, _, _, _ = ctx, j, i, key, f, items, out
	return nil
}
