package publish

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/manifest"
)

// Feed deltas (RFC 3229, A-IM: feed). Each changed feed output gets a
// pack (layout.DeltaKey): one complete feed document per recent earlier
// version, holding the current items new or changed since that version,
// then a trailer that lets the next build do the same without any other
// state. The pack is one object whatever the number of versions kept, so
// a change costs one GET (the last pack) and one PUT (the new one) per
// changed output.
//
// Site.DeltaVersions is how many earlier versions a pack serves deltas
// from (feed.DefaultDeltas, 8, unless the site file says). A
// reader polling every few minutes is at most a few builds behind on a
// busy site (builds follow events, seconds apart); eight covers a reader
// polling every 15 minutes through a burst of an edit every two minutes.
// Each kept version costs only bytes in the one pack: its delta document
// (never larger than the feed: a delta that would be the whole feed is
// not kept) and 17 bytes of trailer per item.

// packFormat is the version of the pack's trailer; a build that finds
// another starts the history again.
const packFormat = 1

// trailer is the end of a pack: the current version, then the earlier
// versions its deltas are from, in the pack's order.
type trailer struct {
	Format   int           `json:"format"`
	Versions []packVersion `json:"versions"`
}

// packVersion is one version of a feed output: the hashes of its
// representations (its bytes first, then each variant's, by coding) and
// a fingerprint of each of its items.
type packVersion struct {
	Hashes []string `json:"hashes"`
	Items  []string `json:"items"`
}

// fingerprint names an item's bytes: an item that is new, or changed in
// any way (an edit, a new rendering of the same document after a change
// of the site or of the renderers), has another. 64 bits: a feed holds
// tens of items, so a collision, which would leave a changed item out of
// a delta, is out of reach.
func fingerprint(item []byte) string {
	sum := sha256.Sum256(item)
	return hex.EncodeToString(sum[:8])
}

// deltas writes the delta pack of output key (format i of job j's feed),
// whose items are now items, and records it in the output's manifest
// entry. It runs after the output was added to out, before the job's
// published facts (j.f.Published) are updated: they still describe the
// version this one replaces.
//
// The version this one replaces is the one the last manifest names (what
// readers were served); its item fingerprints come from the last pack's
// trailer. Without a readable pack that describes it (the first build of
// a feed, a pack lost or not the one the manifest names) the new pack has
// no deltas, only its trailer: readers get the full feed once, and deltas
// from the next build on.
//
// A delta is kept only when it has items and is not the whole feed: an
// earlier version from which the feed changed only by losing items (a
// retraction, an article that left the feed) or by its title gets the
// full feed, which shows the change, rather than an empty delta, which
// would not.
func (r *renderer) deltas(ctx context.Context, j *job, i int, key string, f *feed.Feed, items [][]byte, out *outbox) error {
	cur, ok := out.entry(key)
	if !ok || r.b.Site.DeltaVersions() == 0 {
		return nil // not a published object, or a site without deltas
	}
	last := out.lastEntry(ctx, key)
	var prev *trailer
	if last != nil && last.Deltas != nil {
		if last.Hash == cur.Hash && j.trusted {
			// The same bytes written again (new headers or codings): the
			// pack the manifest names still describes them.
			out.setDeltas(key, last.Deltas)
			return nil
		}
		prev = r.readPack(ctx, last.Deltas)
		if last.Hash == cur.Hash && prev != nil && prev.Versions[0].Hashes[0] == cur.Hash {
			out.setDeltas(key, last.Deltas) // checked, for outputs a dead build may have touched
			return nil
		}
	}
	fps := make([]string, len(items))
	for k, it := range items {
		fps[k] = fingerprint(it)
	}
	kept := []packVersion{{Hashes: repHashes(&cur), Items: fps}}
	var earlier []packVersion
	if last != nil && last.Hash != cur.Hash && prev != nil && prev.Versions[0].Hashes[0] == last.Hash {
		earlier = append(earlier, packVersion{Hashes: repHashes(last), Items: prev.Versions[0].Items})
		earlier = append(earlier, prev.Versions[1:]...)
	}
	d := &manifest.Deltas{Key: layout.DeltaKey(key)}
	var pack, one bytes.Buffer
	seen := map[string]bool{cur.Hash: true}
	var sel [][]byte
	for _, v := range earlier {
		if len(d.From) == r.b.Site.DeltaVersions() {
			break
		}
		if len(v.Hashes) == 0 || seen[v.Hashes[0]] {
			continue // the feed came back to a version already kept
		}
		seen[v.Hashes[0]] = true
		had := make(map[string]bool, len(v.Items))
		for _, fp := range v.Items {
			had[fp] = true
		}
		sel = sel[:0]
		for k, it := range items {
			if !had[fps[k]] {
				sel = append(sel, it)
			}
		}
		if len(sel) == 0 || len(sel) == len(items) {
			continue
		}
		one.Reset()
		if err := feed.Assemble(&one, i, f, sel); err != nil {
			return fmt.Errorf("publish: deltas of %s: %w", key, err)
		}
		if testHookFeed != nil {
			testHookFeed(d.Key, &one)
		}
		if err := checkFeed(i, f, one.Bytes(), sel); err != nil {
			// Through the publish gate like the feed: a reader of that
			// version gets the whole feed instead.
			out.withhold(d.Key, fmt.Errorf("the delta from version %s: %w", v.Hashes[0], err))
			continue
		}
		off := pack.Len()
		pack.Write(one.Bytes())
		d.From = append(d.From, manifest.Delta{Hashes: v.Hashes, Offset: off, Size: pack.Len() - off, Items: len(sel)})
		kept = append(kept, v)
	}
	d.Trailer = pack.Len()
	t, _ := json.Marshal(trailer{Format: packFormat, Versions: kept}) // plain data: cannot fail
	pack.Write(t)
	pack.WriteByte('\n')
	d.Hash, d.Size = store.Hash(pack.Bytes()), pack.Len()
	out.add(ctx, d.Key, pack.Bytes(), d.Hash)
	out.setDeltas(key, d)
	return nil
}

// readPack reads the pack d names and returns its trailer; nil when it is
// missing, unreadable or not the bytes d names: the history starts again.
func (r *renderer) readPack(ctx context.Context, d *manifest.Deltas) *trailer {
	obj, err := r.b.Out.Get(ctx, d.Key)
	if err != nil {
		return nil
	}
	hash := obj.Hash // stores hash what they read
	if hash == "" {
		hash = store.Hash(obj.Body)
	}
	if hash != d.Hash || d.Trailer < 0 || d.Trailer > len(obj.Body) {
		return nil
	}
	var t trailer
	if err := json.Unmarshal(obj.Body[d.Trailer:], &t); err != nil || t.Format != packFormat ||
		len(t.Versions) == 0 || len(t.Versions[0].Hashes) == 0 {
		return nil
	}
	return &t
}

// repHashes are the hashes of an object's representations: its bytes,
// then its variants', by coding.
func repHashes(o *manifest.Object) []string {
	hashes := []string{o.Hash}
	for _, v := range o.Variants { // in the order of their codings
		hashes = append(hashes, v.Hash)
	}
	return hashes
}

// entry returns the manifest entry this build made for key.
func (o *outbox) entry(key string) (manifest.Object, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.entries[key]
	return e, ok
}

// setDeltas records the deltas of the published object key in the entry
// this build made for it.
func (o *outbox) setDeltas(key string, d *manifest.Deltas) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if e, ok := o.entries[key]; ok {
		e.Deltas = d
		o.entries[key] = e
	}
}
