// Package publish builds a site: it reads every article document, renders
// every feed in every format with an index page and an OPML list, writes
// only what changed, and reports what it did, including every document it
// rejected and why.
package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
)

// Source is where article documents live.
type Source interface {
	List(ctx context.Context, prefix string) ([]store.Info, error)
	Get(ctx context.Context, key string) (*store.Object, error)
}

// Sink is where the built site is published.
type Sink interface {
	Get(ctx context.Context, key string) (*store.Object, error)
	Put(ctx context.Context, o *store.Object) (changed bool, err error)
}

// ReportKey is where the build report is written; it is never served.
const ReportKey = "build-report.json"

// CacheControl is what published feeds and pages ask caches to do.
const CacheControl = "public, max-age=300"

// Build is one build's inputs.
type Build struct {
	Site     *feed.Site
	Articles Source
	Out      Sink
	Now      time.Time // embargoes are judged against it; zero means time.Now()
	Progress io.Writer // when set, progress lines go there (a terminal)
	Workers  int       // documents read at once; zero means a default
}

// Report says what a build did.
type Report struct {
	BuiltAt     time.Time    `json:"built_at"`
	Articles    Counts       `json:"articles"`
	NextEmbargo *time.Time   `json:"next_embargo,omitempty"`
	Rejected    []Rejection  `json:"rejected"`
	Feeds       []FeedReport `json:"feeds"`
	Written     []string     `json:"written"`
	Unchanged   []string     `json:"unchanged"`
}

// Counts sorts the documents read.
type Counts struct {
	Read      int `json:"read"`
	Accepted  int `json:"accepted"`
	Rejected  int `json:"rejected"`
	Published int `json:"published"` // visible in feeds now
	Embargoed int `json:"embargoed"`
	Drafts    int `json:"drafts"`
	Deleted   int `json:"deleted"`
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

// Run builds and publishes the site. It fails, writing nothing, when the
// articles cannot be listed or read; a document that cannot be parsed is
// rejected alone and reported.
func (b *Build) Run(ctx context.Context) (*Report, error) {
	now := b.Now
	if now.IsZero() {
		now = time.Now()
	}
	rep := &Report{BuiltAt: now.UTC().Truncate(time.Second), Rejected: []Rejection{}, Written: []string{}, Unchanged: []string{}}
	articles, err := b.read(ctx, rep)
	if err != nil {
		return nil, err
	}
	count(rep, articles, now)
	visible := feed.Select(articles, now)
	feeds := feed.Plan(b.Site, visible)
	planned := len(feeds)
	feeds = append(feeds, b.retired(ctx, feeds)...)

	var errs []error
	for i, f := range feeds {
		fr, err := b.publishFeed(ctx, f, rep)
		if err != nil {
			errs = append(errs, err)
		}
		fr.Retired = i >= planned
		rep.Feeds = append(rep.Feeds, fr)
	}
	listed := make([]*feed.Feed, 0, len(feeds))
	for i, f := range feeds {
		if fr := rep.Feeds[i]; !fr.Retired {
			cut := *f // as published: without the items dropped for size
			cut.Items = f.Items[:min(fr.Items, len(f.Items))]
			listed = append(listed, &cut)
		}
	}
	var opml bytes.Buffer
	if err := feed.OPML(&opml, b.Site, listed); err != nil {
		errs = append(errs, err)
	} else if err := b.put(ctx, rep, "feeds.opml", opml.Bytes()); err != nil {
		errs = append(errs, err)
	}
	var index bytes.Buffer
	if err := feed.Index(&index, b.Site, listed); err != nil {
		errs = append(errs, err)
	} else if err := b.put(ctx, rep, "index.html", index.Bytes()); err != nil {
		errs = append(errs, err)
	}
	report, err := json.MarshalIndent(rep, "", "  ")
	if err == nil {
		_, err = b.Out.Put(ctx, &store.Object{Key: ReportKey, Body: append(report, '\n'), ContentType: store.TypeByKey(ReportKey), CacheControl: "no-store"})
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("publish: report: %w", err))
	}
	return rep, errors.Join(errs...)
}

type parsed struct {
	article *content.Article
	err     error
}

// read lists and parses every *.json document, a few at a time.
func (b *Build) read(ctx context.Context, rep *Report) ([]*content.Article, error) {
	infos, err := b.Articles.List(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("publish: list articles: %w", err)
	}
	var keys []string
	for _, in := range infos {
		if strings.HasSuffix(in.Key, ".json") {
			keys = append(keys, in.Key)
		}
	}
	workers := b.Workers
	if workers <= 0 {
		workers = max(4*runtime.GOMAXPROCS(0), 16)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]parsed, len(keys))
	next := make(chan int)
	var wg sync.WaitGroup
	// The first read error stops the others; it is the one reported, not
	// the cancellations it causes in reads still under way.
	var failOnce sync.Once
	var failure error
	var progress progressLine
	progress.w = b.Progress
	for range min(workers, len(keys)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				obj, err := b.Articles.Get(ctx, keys[i])
				if err != nil {
					failOnce.Do(func() { failure = fmt.Errorf("publish: read %s: %w", keys[i], err) })
					cancel()
					continue
				}
				results[i].article, results[i].err = content.Parse(keys[i], obj.Body, b.Site.Location)
				progress.tick(len(keys))
			}
		}()
	}
feed:
	for i := range keys {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	progress.finish()

	if failure != nil {
		return nil, failure
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("publish: read articles: %w", err)
	}
	rep.Articles.Read = len(keys)
	var articles []*content.Article
	for _, r := range results {
		var invalid *content.InvalidError
		switch {
		case errors.As(r.err, &invalid):
			rep.Rejected = append(rep.Rejected, Rejection{Key: invalid.Key, Problems: invalid.Problems})
		case r.err != nil:
			return nil, r.err
		case r.article != nil:
			articles = append(articles, r.article)
		}
	}
	return rejectDuplicates(articles, rep), nil
}

// rejectDuplicates keeps one document per article id, the most recently
// updated, and reports the others, so that no reader sees an item twice.
func rejectDuplicates(articles []*content.Article, rep *Report) []*content.Article {
	sort.Slice(articles, func(i, j int) bool {
		a, b := articles[i], articles[j]
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		if !a.Updated.Equal(b.Updated) {
			return a.Updated.After(b.Updated)
		}
		return a.Key < b.Key
	})
	out := articles[:0]
	for i, a := range articles {
		if i > 0 && a.ID == out[len(out)-1].ID {
			keep := out[len(out)-1]
			rep.Rejected = append(rep.Rejected, Rejection{Key: a.Key, Problems: []content.Problem{{
				Field:  "id",
				Reason: fmt.Sprintf("%q is also the id of %s, which is newer or comes first; that one is published", a.ID, keep.Key),
			}}})
			continue
		}
		out = append(out, a)
	}
	sort.Slice(rep.Rejected, func(i, j int) bool { return rep.Rejected[i].Key < rep.Rejected[j].Key })
	return out
}

func count(rep *Report, articles []*content.Article, now time.Time) {
	c := &rep.Articles
	c.Accepted = len(articles)
	c.Rejected = len(rep.Rejected)
	for _, a := range articles {
		switch {
		case a.Status == content.StatusDraft:
			c.Drafts++
		case a.Status == content.StatusDeleted:
			c.Deleted++
		case a.Published.After(now):
			c.Embargoed++
			if rep.NextEmbargo == nil || a.Published.Before(*rep.NextEmbargo) {
				t := a.Published.UTC()
				rep.NextEmbargo = &t
			}
		default:
			c.Published++
		}
	}
}

// retired returns, empty, the feeds the last build published that no
// article holds any more, so that their subscribers see the items leave
// rather than a feed frozen with them.
func (b *Build) retired(ctx context.Context, current []*feed.Feed) []*feed.Feed {
	names := make(map[string]bool, len(current))
	var newest time.Time
	for _, f := range current {
		names[f.Name] = true
		if f.Updated.After(newest) {
			newest = f.Updated
		}
	}
	if newest.IsZero() {
		newest = time.Unix(0, 0).UTC()
	}
	var out []*feed.Feed
	for _, fr := range b.published(ctx) {
		if names[fr.Name] || !validName(fr.Name) {
			continue
		}
		names[fr.Name] = true
		out = append(out, &feed.Feed{Name: fr.Name, Kind: fr.Kind, Title: fr.Title, Site: b.Site, Updated: newest})
	}
	return out
}

// published returns the feeds the last build published: from its report, or,
// when there is none to read, from the feed files themselves (named by their
// keys, titled by their names), so that no feed is ever left stale.
func (b *Build) published(ctx context.Context) []FeedReport {
	if obj, err := b.Out.Get(ctx, ReportKey); err == nil {
		var last Report
		if json.Unmarshal(obj.Body, &last) == nil {
			return last.Feeds
		}
	}
	lister, ok := b.Out.(interface {
		List(ctx context.Context, prefix string) ([]store.Info, error)
	})
	if !ok {
		return nil
	}
	infos, err := lister.List(ctx, "feeds/")
	if err != nil {
		return nil
	}
	var out []FeedReport
	seen := map[string]bool{}
	for _, in := range infos {
		name, ok := strings.CutSuffix(strings.TrimPrefix(in.Key, "feeds/"), ".rss")
		if !ok || seen[name] {
			continue
		}
		seen[name] = true
		kind, label, found := strings.Cut(name, "/")
		fr := FeedReport{Name: name, Kind: feed.KindSite, Title: b.Site.Title}
		if found {
			fr.Kind, fr.Title = feed.Kind(kind), b.Site.Title+" · "+label
		}
		out = append(out, fr)
	}
	return out
}

func validName(name string) bool {
	return store.CheckKey("feeds/"+name+".rss") == nil
}

// publishFeed renders f in every format, drops its oldest items while it
// exceeds the site's byte budget, and writes what changed.
func (b *Build) publishFeed(ctx context.Context, f *feed.Feed, rep *Report) (FeedReport, error) {
	fr := FeedReport{Name: f.Name, Kind: f.Kind, Title: f.Title, URL: f.URL("rss")}
	var errs []error
	for _, format := range feed.Formats {
		body, dropped, err := render(format, f, b.Site.MaxBytes)
		if err != nil {
			errs = append(errs, fmt.Errorf("publish: render %s: %w", f.Key(format.Ext), err))
			continue
		}
		fr.Dropped = max(fr.Dropped, dropped)
		if err := b.put(ctx, rep, f.Key(format.Ext), body); err != nil {
			errs = append(errs, err)
		}
	}
	fr.Items = len(f.Items) - fr.Dropped
	return fr, errors.Join(errs...)
}

// render writes f in one format within maxBytes (0: no limit), dropping the
// oldest items as needed, and returns how many it dropped.
func render(format feed.Format, f *feed.Feed, maxBytes int) ([]byte, int, error) {
	var buf bytes.Buffer
	if err := format.Render(&buf, f); err != nil {
		return nil, 0, err
	}
	if maxBytes <= 0 || buf.Len() <= maxBytes {
		return buf.Bytes(), 0, nil
	}
	// The largest prefix of items that fits, by binary search.
	cut := *f
	fits := func(n int) ([]byte, bool, error) {
		cut.Items = f.Items[:n]
		var b bytes.Buffer
		err := format.Render(&b, &cut)
		return b.Bytes(), b.Len() <= maxBytes, err
	}
	lo, hi := 0, len(f.Items)-1 // lo fits (or is 0), hi+1 does not
	for lo < hi {
		mid := (lo + hi + 1) / 2
		_, ok, err := fits(mid)
		if err != nil {
			return nil, 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	body, _, err := fits(lo)
	return body, len(f.Items) - lo, err
}

func (b *Build) put(ctx context.Context, rep *Report, key string, body []byte) error {
	changed, err := b.Out.Put(ctx, &store.Object{
		Key:          key,
		Body:         body,
		ContentType:  store.TypeByKey(key),
		CacheControl: CacheControl,
		Hash:         store.Hash(body),
	})
	if err != nil {
		return fmt.Errorf("publish: write %s: %w", key, err)
	}
	if changed {
		rep.Written = append(rep.Written, key)
	} else {
		rep.Unchanged = append(rep.Unchanged, key)
	}
	return nil
}
