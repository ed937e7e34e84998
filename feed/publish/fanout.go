package publish

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/feedpub/feedpub/content/catalog"
	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/manifest"
)

// FanOut spreads the render stage of a large build over workers: the
// build (the coordinator) claims the catalog, writes each batch of feeds to
// render into the output store, sends a message per batch, and waits for
// every batch's result before it writes the pages and commits. Workers are
// the same program (Build.Work), deployed as a function of their own.
type FanOut struct {
	// Above is how many feeds a build must render to fan out; fewer are
	// rendered in place.
	Above int
	// Batch is how many feeds one message asks a worker to render; zero
	// means 100.
	Batch int
	// Send delivers one message to the workers' queue.
	Send func(ctx context.Context, body []byte) error
	// Poll is how often the coordinator looks for results; zero means
	// 200 ms.
	Poll time.Duration
}

// Message is what a fan-out message says: which build, and where its
// batch of feeds is.
type Message struct {
	FanOut *struct {
		Build string `json:"build"`
		Batch string `json:"batch"` // key of the batch in the output store
	} `json:"fanout"`
}

// ErrClaimGone is returned by Work for a batch whose build no longer holds
// the catalog (it died, and another build took over): there is nothing to
// do, and retrying will not change that.
var ErrClaimGone = errors.New("publish: the build that sent this batch no longer holds the catalog")

type batch struct {
	Build   string
	Compare bool
	Jobs    []batchJob
}

type batchJob struct {
	Feed    catalog.Feed
	Ref     catalog.FeedRef
	Shown   []catalog.Member
	Trusted bool
	// An archive page of Feed, and its neighbours.
	Page       *catalog.Page
	Prev, Next string
}

type batchResult struct {
	Jobs    []batchJob // as rendered: the feeds' Published, the refs' counts
	Written []string
	Failed  []string
	Err     string
	// Entries and Stale are what the outputs written mean for the
	// manifest, which the coordinator writes.
	Entries  map[string]manifest.Object
	Stale    []string
	Withheld []Withholding
}

func resultKey(batchKey string) string { return batchKey + ".done" }

// claimMargin is how long before its build's claim expires a worker stops
// writing: longer than one batch of writes takes.
const claimMargin = 30 * time.Second

// fanOut renders the plan's jobs on workers and waits for them.
func (b *Build) fanOut(ctx context.Context, id string, pl *plan, out *outbox) error {
	size := b.FanOut.Batch
	if size <= 0 {
		size = 100
	}
	poll := b.FanOut.Poll
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	type sent struct {
		key  string
		jobs []*job
	}
	var batches []sent
	var nonce [4]byte
	_, _ = rand.Read(nonce[:])
	dir := layout.FanOutDir + id + "-" + hex.EncodeToString(nonce[:]) + "/" // never an earlier attempt's results
	for start := 0; start < len(pl.jobs); start += size {
		jobs := pl.jobs[start:min(start+size, len(pl.jobs))]
		bt := batch{Build: id, Compare: out.compare}
		for _, j := range jobs {
			bt.Jobs = append(bt.Jobs, batchJob{Feed: *j.f, Ref: j.ref, Shown: j.shown, Trusted: j.trusted,
				Page: j.page, Prev: j.prev, Next: j.next})
		}
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(bt); err != nil {
			return fmt.Errorf("publish: fan-out: %w", err)
		}
		key := dir + strconv.Itoa(len(batches))
		if _, err := b.Out.Write(ctx, &store.Object{Key: key, Body: buf.Bytes(), CacheControl: "no-store"}); err != nil {
			return fmt.Errorf("publish: fan-out: %w", err)
		}
		msg, _ := json.Marshal(map[string]any{"fanout": map[string]string{"build": id, "batch": key}})
		if err := b.FanOut.Send(ctx, msg); err != nil {
			return fmt.Errorf("publish: fan-out: send %s: %w", key, err)
		}
		batches = append(batches, sent{key, jobs})
	}
	var errs []error
	for _, s := range batches {
		var res batchResult
		for {
			obj, err := b.Out.Get(ctx, resultKey(s.key))
			if err == nil {
				if err := gob.NewDecoder(bytes.NewReader(obj.Body)).Decode(&res); err != nil {
					return fmt.Errorf("publish: fan-out: %s: %w", resultKey(s.key), err)
				}
				break
			}
			// Not there yet, or a store error that may pass: look again
			// until the build's deadline.
			select {
			case <-ctx.Done():
				return fmt.Errorf("publish: fan-out: waiting for %s: %w", s.key, ctx.Err())
			case <-time.After(poll):
			}
		}
		if res.Err != "" {
			errs = append(errs, fmt.Errorf("publish: fan-out: %s: %s", s.key, res.Err))
		}
		if len(res.Jobs) != len(s.jobs) {
			return fmt.Errorf("publish: fan-out: %s: %d feeds rendered of %d", s.key, len(res.Jobs), len(s.jobs))
		}
		for i, j := range s.jobs {
			if j.page != nil {
				if res.Jobs[i].Page == nil {
					return fmt.Errorf("publish: fan-out: %s: page %s rendered as a feed", s.key, j.page.Name)
				}
				j.page.Published = res.Jobs[i].Page.Published
				continue
			}
			j.f.Published = res.Jobs[i].Feed.Published
			j.ref = res.Jobs[i].Ref
		}
		out.mu.Lock()
		out.written = append(out.written, res.Written...)
		out.failed = append(out.failed, res.Failed...)
		if out.entries == nil {
			out.entries = map[string]manifest.Object{}
		}
		maps.Copy(out.entries, res.Entries)
		out.stale = append(out.stale, res.Stale...)
		out.withheld = append(out.withheld, res.Withheld...)
		out.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Work renders one batch of a build that fanned out (msg as FanOut.Send
// sent it) and writes its result beside it. It checks first that the
// build still holds the catalog: a batch of a build that died is dropped
// (ErrClaimGone).
func (b *Build) Work(ctx context.Context, msg []byte) error {
	var m Message
	if err := json.Unmarshal(msg, &m); err != nil || m.FanOut == nil {
		return fmt.Errorf("publish: work: not a fan-out message")
	}
	obj, err := b.Out.Get(ctx, m.FanOut.Batch)
	if err != nil {
		return fmt.Errorf("publish: work: %w", err)
	}
	var bt batch
	if err := gob.NewDecoder(bytes.NewReader(obj.Body)).Decode(&bt); err != nil {
		return fmt.Errorf("publish: work: %s: %w", m.FanOut.Batch, err)
	}
	if bt.Build != m.FanOut.Build {
		return fmt.Errorf("publish: work: %s belongs to build %s", m.FanOut.Batch, bt.Build)
	}
	// The build must hold the catalog for a while yet, before every write:
	// once its claim is gone or about to expire, another build may take
	// over, and nothing this worker renders may land over its outputs.
	held := func(ctx context.Context) error {
		head, err := b.Out.Get(ctx, layout.CatalogHead)
		if err != nil {
			return fmt.Errorf("publish: work: %w", err)
		}
		var h catalog.Head
		if err := json.Unmarshal(head.Body, &h); err != nil {
			return fmt.Errorf("publish: work: %w", err)
		}
		if h.Claim == nil || h.Claim.Build != bt.Build || !time.Now().Add(claimMargin).Before(h.Claim.Expires) {
			return ErrClaimGone
		}
		return nil
	}
	if err := held(ctx); err != nil {
		return err
	}
	last, err := b.lastManifest(ctx, bt.Compare)
	if err != nil {
		return fmt.Errorf("publish: work: %w", err)
	}
	if last != nil {
		var keys []string
		for i := range bt.Jobs {
			bj := &bt.Jobs[i]
			j := &job{f: &bj.Feed, page: bj.Page}
			for _, ext := range layout.Exts {
				keys = append(keys, j.key(ext))
			}
			keys = append(keys, layout.PreviewKey(bj.Feed.Name))
		}
		if err := last.Load(ctx, keys); err != nil {
			return fmt.Errorf("publish: work: %w", err)
		}
	}
	out := newOutbox(b, bt.Compare, last)
	out.check = held
	r := &renderer{b: b, items: newItems(memItems), entrants: newItems(memItems)}
	defer r.items.close()
	defer r.entrants.close()
	res := batchResult{}
	for i := range bt.Jobs {
		bj := &bt.Jobs[i]
		j := &job{f: &bj.Feed, ref: bj.Ref, shown: bj.Shown, trusted: bj.Trusted, page: bj.Page, prev: bj.Prev, next: bj.Next}
		if err := r.render(ctx, j, out); err != nil {
			res.Err = err.Error()
			break
		}
		bj.Ref = j.ref
	}
	out.flush(ctx)
	for _, err := range out.errs {
		if errors.Is(err, ErrClaimGone) {
			return err // no result: the build is gone
		}
	}
	if res.Err == "" && len(out.errs) > 0 {
		res.Err = errors.Join(out.errs...).Error()
	}
	res.Jobs, res.Written, res.Failed = bt.Jobs, out.written, out.failed
	res.Entries, res.Stale, res.Withheld = out.entries, out.stale, out.withheld
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(res); err != nil {
		return fmt.Errorf("publish: work: %w", err)
	}
	if _, err := b.Out.Write(ctx, &store.Object{Key: resultKey(m.FanOut.Batch), Body: buf.Bytes(), CacheControl: "no-store"}); err != nil {
		return fmt.Errorf("publish: work: %w", err)
	}
	return nil
}
