package publish_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/feedpub/feedpub/content/catalog"
	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/content/store/s3test"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/publish"
)

// holder watches the claims on one catalog: every conditional write of its
// head goes through it, in the order the store takes them, so it knows
// which build holds the catalog at any moment.
type holder struct {
	t   *testing.T
	mu  sync.Mutex
	who string // the build holding the catalog, "" for none
}

// watched is one build's view of the output store: it writes outputs only
// while its build holds the claim, or the test fails.
type watched struct {
	*store.S3
	h  *holder
	id string
}

func (w watched) PutIf(ctx context.Context, o *store.Object, ifMatch string) (string, error) {
	if o.Key != layout.CatalogHead {
		return w.S3.PutIf(ctx, o, ifMatch)
	}
	w.h.mu.Lock()
	defer w.h.mu.Unlock()
	v, err := w.S3.PutIf(ctx, o, ifMatch)
	if err != nil {
		return v, err
	}
	var head catalog.Head
	if json.Unmarshal(o.Body, &head) != nil {
		w.h.t.Errorf("a head that is not JSON")
	}
	switch c := head.Claim; {
	case c != nil && c.Build == w.id && c.Expires.After(time.Now()):
		if w.h.who != "" {
			w.h.t.Errorf("build %s claimed the catalog while %s held it", w.id, w.h.who)
		}
		w.h.who = w.id
	case w.h.who == w.id: // committed or released
		w.h.who = ""
	}
	return v, nil
}

func (w watched) check(key string) {
	w.h.mu.Lock()
	defer w.h.mu.Unlock()
	if w.h.who != w.id {
		w.h.t.Errorf("build %s wrote %s while %q held the catalog", w.id, key, w.h.who)
	}
}

func (w watched) Write(ctx context.Context, o *store.Object) (string, error) {
	if o.Key != publish.ReportKey {
		w.check(o.Key)
	}
	return w.S3.Write(ctx, o)
}

func (w watched) Put(ctx context.Context, o *store.Object) (bool, error) {
	w.check(o.Key)
	return w.S3.Put(ctx, o)
}

func (w watched) WriteAll(ctx context.Context, objs []*store.Object) ([]string, error) {
	for _, o := range objs {
		w.check(o.Key)
	}
	return w.S3.WriteAll(ctx, objs)
}

// Builds that overlap — event builds for a stream of changes, and listing
// builds beside them, as a schedule and several function instances would
// run them — never write at the same time, never lose a change, and
// leave, once the stream ends and the next scheduled build has run, the
// site a serial -full build publishes.
func TestRacingBuilds(t *testing.T) {
	srv := s3test.Start(t)
	client := srv.Client()
	articles := store.NewS3(client, srv.Bucket(t), "articles")
	outBucket := srv.Bucket(t)
	h := &holder{t: t}
	site := loadSite(t)
	site.Limit = 4
	now := day
	ctx := context.Background()

	var ids sync.Mutex
	next := 0
	build := func(keys []string) error {
		ids.Lock()
		next++
		id := fmt.Sprintf("b%03d", next)
		ids.Unlock()
		b := &publish.Build{Site: site, Articles: articles, Out: watched{store.NewS3(client, outBucket, ""), h, id},
			Now: now, Keys: keys, MaxRetraction: -1, ID: id}
		for attempt := 0; ; attempt++ {
			_, err := b.Run(ctx)
			// Busy: another build holds the catalog; SQS would deliver the
			// message again later.
			if errors.Is(err, catalog.ErrBusy) || errors.Is(err, catalog.ErrLost) {
				time.Sleep(time.Duration(5+rand.IntN(20)) * time.Millisecond)
				continue
			}
			return err
		}
	}
	// The first build of the store.
	if err := build(nil); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(3, 4))
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 60 {
		key := fmt.Sprintf("k%02d.json", rng.IntN(20))
		if rng.IntN(4) == 0 {
			if err := articles.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
		} else {
			d := article(fmt.Sprintf("a%02d", rng.IntN(15)), now.Add(-time.Duration(rng.IntN(500))*time.Hour).Format(time.RFC3339)).
				with("categories", []string{[]string{"News", "Sport", "热点"}[rng.IntN(3)]}).
				with("title", fmt.Sprintf("version %d", i))
			body, _ := json.Marshal(d)
			if _, err := articles.Write(ctx, &store.Object{Key: key, Body: body}); err != nil {
				t.Fatal(err)
			}
		}
		wg.Add(1)
		go func() { // the event of this change
			defer wg.Done()
			errs <- build([]string{key})
		}()
		if i%10 == 0 {
			wg.Add(1)
			go func() { // a scheduled build at the same time
				defer wg.Done()
				errs <- build(nil)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("build: %v", err)
		}
	}
	// Every event was built in turn: already, with no listing, the site is
	// what a full build makes of the corpus.
	fullBucket := srv.Bucket(t)
	full := &publish.Build{Site: site, Articles: articles, Out: store.NewS3(client, fullBucket, ""), Now: now, Full: true, MaxRetraction: -1}
	if _, err := full.Run(ctx); err != nil {
		t.Fatal(err)
	}
	compare := func(when string) {
		got, want := bucketObjects(t, client, outBucket), bucketObjects(t, client, fullBucket)
		for k, body := range want {
			if !bytes.Equal(got[k], body) {
				t.Fatalf("%s: %s differs:\n got  %s\n want %s", when, k, got[k], body)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				if f, _, isFeed := layout.FeedName(k); !isFeed || f == "index" {
					t.Fatalf("%s: %s published but not by the full build", when, k)
				}
			}
		}
	}
	compare("after the events")
	if err := build(nil); err != nil {
		t.Fatal(err)
	}
	compare("after the scheduled build")
	if h.who != "" {
		t.Errorf("a claim is still held by %s", h.who)
	}
}

// bucketObjects returns the published objects of a bucket: feeds and
// pages, neither the report nor internal state.
func bucketObjects(t *testing.T, client *s3.Client, bucket string) map[string][]byte {
	t.Helper()
	b := store.NewS3(client, bucket, "")
	infos, err := b.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, in := range infos {
		if !layout.Served(in.Key) {
			continue
		}
		o, err := b.Get(context.Background(), in.Key)
		if err != nil {
			t.Fatal(err)
		}
		out[in.Key] = o.Body
	}
	return out
}
