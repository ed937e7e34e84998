// Package publish builds a site in stages, with plain data between them:
//
//	scan    which documents changed since the catalog (a listing, or the
//	        keys an event names)
//	read    those documents, parsed; a bad one is a rejection, a store
//	        error fails the build
//	apply   the catalog brought up to date: documents, duplicate ids,
//	        embargoes, which feeds hold which articles
//	render  the feeds whose items changed, assembled from the items of
//	        the documents read and of the feeds as published
//	put     the outputs whose bytes changed
//	commit  the catalog, conditionally, then the report
//
// Every build is incremental when the output store holds a catalog; a full
// build reads every document again.
package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/content/catalog"
	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/layout"
)

// Source is where article documents live.
type Source interface {
	List(ctx context.Context, prefix string) ([]store.Info, error)
	Get(ctx context.Context, key string) (*store.Object, error)
}

// Sink is where the built site and the catalog are published.
type Sink interface {
	Get(ctx context.Context, key string) (*store.Object, error)
	Put(ctx context.Context, o *store.Object) (changed bool, err error)
	Write(ctx context.Context, o *store.Object) (version string, err error)
	// WriteAll writes many objects as Write does (store.Bucket's
	// contract): a folder syncs once for all of them.
	WriteAll(ctx context.Context, objs []*store.Object) (versions []string, err error)
	PutIf(ctx context.Context, o *store.Object, ifMatch string) (version string, err error)
	Delete(ctx context.Context, key string) error
}

// ReportKey is where the build report is written; it is never served.
const ReportKey = layout.Report

// DefaultMaxRetraction is the share of the visible articles a build may
// take out of the feeds before it refuses to publish (see Build).
const DefaultMaxRetraction = 0.2

// minRetraction is the number of articles a build may always take out:
// below it the guard never trips, so that small sites can delete freely.
const minRetraction = 10

// ErrRetraction is returned by a build that would take more articles out
// of the feeds than Build.MaxRetraction allows; it published nothing.
var ErrRetraction = errors.New("publish: the build would retract too many articles")

// Build is one build's inputs.
type Build struct {
	Site     *feed.Site
	Articles Source
	Out      Sink
	Now      time.Time // embargoes are judged against it; zero means time.Now()
	Progress io.Writer // when set, progress lines go there (a terminal)
	Workers  int       // documents read at once; zero means a default

	// Full reads every document again and renders every feed, ignoring
	// the catalog's facts but keeping what the published site must
	// remember (the feeds it published).
	Full bool
	// Keys, when set, are the only documents that changed (an S3 event):
	// the build reads them and the catalog parts it needs, and lists
	// nothing. A key that is gone was deleted.
	Keys []string
	// MaxRetraction is the largest share of the visible articles one build
	// may take out of the feeds (more than minRetraction of them); zero
	// means DefaultMaxRetraction, a negative value no limit.
	MaxRetraction float64
	// ID names this build in the catalog's claim; empty means a random one.
	ID string

	// FanOut, when set, renders builds with many feeds to render on
	// workers (see FanOut).
	FanOut *FanOut
	// Schedule is how often the scheduled build runs (zero:
	// DefaultSchedule); published objects' Cache-Control derives from it.
	Schedule time.Duration
	// HubDelay is how long after its commit a build announces its changed
	// feeds to the site's WebSub hubs (zero: DefaultHubDelay; negative:
	// at once); HubClient sends the pings (nil: a default client).
	HubDelay  time.Duration
	HubClient *http.Client
	// Trace, when set, is told how long each stage of the build took, in
	// order, as each ends (for developers: where an event's time goes).
	Trace func(stage string, took time.Duration)

	watch    stopwatch
	margin   int           // members a feed's head keeps beyond the item limit; 0: a default
	claimFor time.Duration // how long a claim holds; 0: claimFor
}

// Report says what a build did.
type Report struct {
	BuiltAt     time.Time    `json:"built_at"`
	Mode        string       `json:"mode"` // "full", "incremental" (a listing) or "event" (named keys)
	Articles    Counts       `json:"articles"`
	NextEmbargo *time.Time   `json:"next_embargo,omitempty"`
	Rejected    []Rejection  `json:"rejected"`
	Feeds       []FeedReport `json:"feeds"`
	Written     []string     `json:"written"`
	Unchanged   []string     `json:"unchanged"`
	Hubs        []HubReport  `json:"hubs,omitempty"` // the WebSub announcements of the changed feeds
	// Withheld are the outputs the publish gate refused: not written, so
	// readers keep their last good version.
	Withheld []Withholding `json:"withheld,omitempty"`

	failed []string // outputs the build could not write
}

// Withholding is one output the publish gate refused, and why.
type Withholding struct {
	Output string `json:"output"`
	Reason string `json:"reason"`
}

// Counts sorts the documents.
type Counts struct {
	Read      int `json:"read"`    // documents the site has
	Fetched   int `json:"fetched"` // documents this build read
	Accepted  int `json:"accepted"`
	Rejected  int `json:"rejected"`
	Published int `json:"published"` // visible in feeds now
	Embargoed int `json:"embargoed"`
	Drafts    int `json:"drafts"`
	Deleted   int `json:"deleted"`
	Retracted int `json:"retracted"` // visible before this build, not after
}

// Rejection is one document left out of every feed, and why.
type Rejection struct {
	Key      string            `json:"key"`
	Problems []content.Problem `json:"problems"`
}

// FeedReport describes one published feed.
type FeedReport struct {
	Name    string    `json:"name"`
	Kind    feed.Kind `json:"kind"`
	Title   string    `json:"title"`
	Items   int       `json:"items"`
	Dropped int       `json:"dropped_for_size,omitempty"`
	Retired bool      `json:"retired,omitempty"` // no article holds it any more: published empty
	URL     string    `json:"url"`
}

// Run builds and publishes the site. It fails, publishing nothing, when
// the articles cannot be listed or read; a document that cannot be parsed
// is rejected alone and reported. When another build changed the catalog
// first, Run starts again from what that build committed.
func (b *Build) Run(ctx context.Context) (*Report, error) {
	for attempt := 0; ; attempt++ {
		rep, err := b.run(ctx)
		var changed *changedError
		switch {
		case errors.Is(err, catalog.ErrLost) && attempt < 4:
			continue
		case errors.As(err, &changed) && attempt < 4:
			// The corpus changed under the build: again, reading those
			// documents too (a listing build lists them anew).
			if b.Keys != nil {
				again := *b
				again.Keys = append(append([]string(nil), b.Keys...), changed.keys...)
				b = &again
			}
			continue
		case (errors.Is(err, catalog.ErrCorrupt) || errors.Is(err, errManifest)) && !b.Full:
			// The catalog cannot be read, or the manifest of what it
			// published: make them again from the documents.
			full := *b
			full.Full = true
			return full.Run(ctx)
		}
		return rep, err
	}
}

func (b *Build) run(ctx context.Context) (*Report, error) {
	now := b.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.Truncate(time.Second)
	b.watch = stopwatch{trace: b.Trace, last: time.Now()}
	st, err := catalog.Open(ctx, b.Out, layout.StateDir, b.siteHash(), feed.RendererVersion)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	if st.Head.Claim.Held(time.Now()) { // claims live in real time, whatever the build's clock
		return nil, fmt.Errorf("publish: %w", catalog.ErrBusy)
	}
	legacy := false
	if len(st.Head.Feeds) == 0 {
		st.Head.Feeds = legacyFeeds(ctx, b.Out, b.Site)
		legacy = len(st.Head.Feeds) > 0
	}
	mode := "incremental"
	switch {
	case b.Full || st.Fresh():
		mode = "full"
	case b.Keys != nil:
		mode = "event"
	}

	b.watch.lap("open")
	sc, err := b.scan(ctx, st, mode)
	if err != nil {
		return nil, err
	}
	b.watch.lap("scan")
	cache := newItems(memItems)
	defer cache.close()
	docs, err := b.read(ctx, sc.read, mode == "event", now, cache)
	if err != nil {
		return nil, err
	}
	b.watch.lap("read")
	ap := newApply(b.Site, st, now, b.margin)
	ap.items = cache
	if err := ap.run(ctx, docs, sc.removed); err != nil {
		return nil, err
	}
	if err := b.guard(st, ap); err != nil {
		return nil, err
	}
	b.watch.lap("apply")
	pl, err := b.plan(ctx, st, ap, mode == "full")
	if err != nil {
		return nil, err
	}
	pl.fold = mode != "event"
	// Rendering reads no document's facts: those the commit writes whole
	// wait for it encoded.
	if err := st.Seal(catalog.FamilyDocs, catalog.FamilyIDs); err != nil {
		return nil, wrap(err)
	}
	b.watch.lap("plan")
	rep := b.report(st, now, mode, len(docs))
	rep.Articles.Retracted = ap.retracted()
	// A build that changes nothing commits nothing: the store sees the
	// report's write alone.
	// A dead build's claim is cleared; a listing that had to read files
	// again for their times is recorded, so that the next one need not.
	headChanged := st.Head.Claim != nil || mode == "full" || sc.racy > 0 || len(pl.orphans) > 0
	if len(pl.jobs) > 0 || st.Dirty() || headChanged {
		// Outputs of a store whose catalog tells nothing of them are
		// compared with what the store holds; all others are known.
		compare := mode == "full" && (b.Full || st.Existed() || legacy)
		if err := b.publish(ctx, st, ap, pl, rep, compare); err != nil {
			b.finish(st, rep)
			return rep, err
		}
		// An event build merges its changes into the catalog's journal;
		// a listing build, which reads every document shard anyway, folds
		// the journal into the shards.
		if err := st.Commit(ctx, pl.fold); err != nil {
			err = fmt.Errorf("publish: commit: %w", err)
			if !errors.Is(err, catalog.ErrLost) {
				err = errors.Join(err, release(ctx, st))
			}
			return nil, err
		}
		b.watch.lap("commit catalog")
	}
	b.finish(st, rep)
	// Committed: the changed feeds are what readers get (after the
	// server's revalidation, which HubDelay waits for).
	rep.Hubs = b.announce(ctx, rep.Written)
	if len(rep.Hubs) > 0 {
		b.watch.lap("announce")
	}
	body, err := json.MarshalIndent(rep, "", "  ")
	if err == nil {
		_, err = b.Out.Write(ctx, &store.Object{Key: ReportKey, Body: append(body, '\n'), ContentType: layout.ContentType(ReportKey), CacheControl: "no-store"})
	}
	if err != nil {
		return rep, fmt.Errorf("publish: report: %w", err)
	}
	b.watch.lap("report")
	return rep, nil
}

// A stopwatch tells Build.Trace how long each stage took.
type stopwatch struct {
	trace func(string, time.Duration)
	last  time.Time
}

// lap ends stage: the time since the last lap is its.
func (w *stopwatch) lap(stage string) {
	if w.trace == nil {
		return
	}
	now := time.Now()
	w.trace(stage, now.Sub(w.last))
	w.last = now
}

// release ends the build's claim after a failure, so that the next build
// goes ahead at once and renders again what this one wrote. It runs even
// when the build's context is done (a deadline is a common failure).
func release(ctx context.Context, st *catalog.State) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	// Tried again as reads are: a build that failed in a short outage
	// of the store must not leave its claim behind it.
	for attempt := 0; ; attempt++ {
		err := st.Release(ctx)
		if err == nil {
			return nil
		}
		if attempt == len(readBackoff) {
			return fmt.Errorf("publish: %w", err)
		}
		select {
		case <-time.After(readBackoff[attempt]):
		case <-ctx.Done():
			return fmt.Errorf("publish: %w", err)
		}
	}
}

// siteHash names the site definition: a change of any setting renders
// every feed again.
func (b *Build) siteHash() string {
	data, _ := json.Marshal(b.Site)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// guard refuses a build that would take too many visible articles out of
// the feeds at once: a wrong prefix, an empty bucket or a broken export
// looks like a mass deletion.
func (b *Build) guard(st *catalog.State, ap *apply) error {
	share := b.MaxRetraction
	if share == 0 {
		share = DefaultMaxRetraction
	}
	n := ap.retracted()
	if share < 0 || n <= minRetraction {
		return nil
	}
	if float64(n) > share*float64(ap.before) {
		return fmt.Errorf("%w: %d of %d visible articles would leave the feeds (more than %.0f%%); nothing was published (check the articles location, or allow it with -allow-retraction)",
			ErrRetraction, n, ap.before, share*100)
	}
	return nil
}

// report is the build's report as the catalog has it after apply.
func (b *Build) report(st *catalog.State, now time.Time, mode string, fetched int) *Report {
	h := &st.Head
	rep := &Report{BuiltAt: now.UTC(), Mode: mode, Rejected: []Rejection{}, Written: []string{}, Unchanged: []string{}}
	c := h.Counts
	rep.Articles = Counts{Read: c.Documents, Fetched: fetched, Accepted: c.Accepted, Published: c.Published,
		Embargoed: c.Embargoed, Drafts: c.Drafts, Deleted: c.Deleted}
	for key, problems := range h.Rejected {
		rep.Rejected = append(rep.Rejected, Rejection{Key: key, Problems: problems})
	}
	sort.Slice(rep.Rejected, func(i, j int) bool { return rep.Rejected[i].Key < rep.Rejected[j].Key })
	rep.Articles.Rejected = len(rep.Rejected)
	for _, m := range h.Embargoed {
		if m.Published > now.Unix() {
			t := time.Unix(m.Published, 0).UTC()
			rep.NextEmbargo = &t
			break
		}
	}
	return rep
}

// finish fills the report's feed list from the committed head.
func (b *Build) finish(st *catalog.State, rep *Report) {
	for _, fr := range st.Head.Feeds {
		rep.Feeds = append(rep.Feeds, FeedReport{Name: fr.Name, Kind: feed.Kind(fr.Kind), Title: fr.Title,
			Items: fr.Items, Dropped: fr.Dropped, Retired: fr.Retired != 0, URL: layout.FeedURL(b.Site.BaseURL, fr.Name, "rss")})
	}
	sort.Strings(rep.Written)
	// Once each: an output and its delta pack may be written in
	// different batches.
	rep.Written = slices.Compact(rep.Written)
	written := map[string]bool{} // or failed: neither is unchanged
	for _, k := range append(rep.Written, rep.failed...) {
		written[k] = true
	}
	for _, w := range rep.Withheld {
		written[w.Output] = true
	}
	// Feeds and their preview pages, and the pages that list them (not
	// every archive page, which would make the report as long as the
	// archive).
	for _, fr := range st.Head.Feeds {
		for _, k := range b.feedOutputs(fr.Name) {
			if !written[k] {
				rep.Unchanged = append(rep.Unchanged, k)
			}
		}
	}
	for _, k := range []string{layout.OPML, layout.Index, layout.StyleSheet, layout.Script} {
		if _, ok := st.Head.Pages[k]; ok && !written[k] {
			rep.Unchanged = append(rep.Unchanged, k)
		}
	}
	sort.Strings(rep.Unchanged)
}
