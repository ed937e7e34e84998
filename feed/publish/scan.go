package publish

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/feedpub/feedpub/content/catalog"
	"github.com/feedpub/feedpub/content/store"
)

// scanned is what the scan stage found: the documents to read, with what
// the listing said of them, and the keys the catalog knows that are gone.
type scanned struct {
	read    []store.Info
	removed []string
	racy    int // of read, those listed as the catalog has them but too close to its listing to trust
}

// racyWindow is how close to the catalog's last listing a modification time
// may be before size and time no longer prove a file unchanged: a file
// written again within the clock's granularity of the listing keeps both
// (git's "racily clean" entries), so such files are read again.
const racyWindow = 2e9 // nanoseconds

// scan finds what changed. An event build takes its keys as they are; a
// full build lists every document; any other build lists them and keeps
// those whose listed version, or size and modification time, the catalog
// already has.
func (b *Build) scan(ctx context.Context, st *catalog.State, mode string) (*scanned, error) {
	if mode == "event" {
		sc := &scanned{}
		seen := map[string]bool{}
		for _, k := range b.Keys {
			if strings.HasSuffix(k, ".json") && !seen[k] {
				seen[k] = true
				sc.read = append(sc.read, store.Info{Key: k})
			}
		}
		return sc, nil
	}
	listedAt := time.Now().UnixNano()
	// The catalog's documents are read while the store lists: a build
	// that finds nothing changed costs the longer of the two.
	loaded := make(chan error, 1)
	if mode != "full" {
		go func() { loaded <- st.LoadAll(ctx) }()
	} else {
		loaded <- nil
	}
	infos, err := b.Articles.List(ctx, "")
	if lerr := <-loaded; err == nil && lerr != nil {
		return nil, fmt.Errorf("publish: %w", lerr)
	}
	if err != nil {
		return nil, fmt.Errorf("publish: list articles: %w", err)
	}
	var listed []store.Info
	for _, in := range infos {
		if strings.HasSuffix(in.Key, ".json") {
			listed = append(listed, in)
		}
	}
	prevListed := st.Head.Listed
	if mode == "full" {
		st.Reset(st.Head.Site, st.Head.Renderer, len(listed))
		st.Head.Listed = listedAt
		return &scanned{read: listed}, nil
	}
	st.Head.Listed = listedAt
	sc := &scanned{}
	present := make(map[string]bool, len(listed))
	for _, in := range listed {
		present[in.Key] = true
		d, err := st.Doc(ctx, in.Key)
		if err != nil {
			return nil, fmt.Errorf("publish: %w", err)
		}
		if d == nil || !same(d, in, prevListed) {
			sc.read = append(sc.read, in)
			if d != nil && d.Size == in.Size && d.ModTime == in.ModTime.UnixNano() {
				sc.racy++
			}
		}
	}
	err = st.Docs(func(d *catalog.Doc) {
		if !present[d.Key] {
			sc.removed = append(sc.removed, d.Key)
		}
	})
	return sc, wrap(err)
}

// same reports whether the listing shows the document the catalog has.
func same(d *catalog.Doc, in store.Info, listedAt int64) bool {
	if in.Version != "" { // a store that lists versions (S3)
		return in.Version == d.Version && in.Size == d.Size
	}
	mtime := in.ModTime.UnixNano()
	return in.Size == d.Size && mtime == d.ModTime && mtime < listedAt-racyWindow
}
