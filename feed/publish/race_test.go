package publish_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/feedpub/feedpub/content/catalog"
	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/content/store/s3test"
	"github.com/feedpub/feedpub/feed/feedcheck"
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
		wait := 5 * time.Millisecond
		for attempt := 0; ; attempt++ {
			_, err := b.Run(ctx)
			// Busy: another build holds the catalog; SQS would deliver the
			// message again later, after a visibility timeout. The waits
			// grow (to 400 ms, with jitter) as SQS's redeliveries spread:
			// 66 builds retrying every few milliseconds starve the one
			// holding the catalog of the machine (two cores, versitygw).
			if errors.Is(err, catalog.ErrBusy) || errors.Is(err, catalog.ErrLost) {
				time.Sleep(wait + time.Duration(rand.Int64N(int64(wait))))
				wait = min(2*wait, 400*time.Millisecond)
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

// bucketObjects returns the published objects of a bucket (feedcheck.Site).
func bucketObjects(t *testing.T, client *s3.Client, bucket string) map[string][]byte {
	t.Helper()
	objs, err := feedcheck.Site(context.Background(), store.NewS3(client, bucket, ""))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// dying stops its build, as a crash would, after n output writes: the
// writes that went through stay, nothing is committed or released.
type dying struct {
	publish.Sink
	mu     sync.Mutex
	n      int
	dead   bool
	cancel context.CancelFunc
}

func (d *dying) allow() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n--
	if d.n < 0 {
		d.dead = true
		d.cancel()
		return false
	}
	return true
}

func (d *dying) isDead() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dead
}

func (d *dying) Write(ctx context.Context, o *store.Object) (string, error) {
	if o.Key != publish.ReportKey && !d.allow() {
		return "", context.Canceled
	}
	return d.Sink.Write(ctx, o)
}

func (d *dying) WriteAll(ctx context.Context, objs []*store.Object) ([]string, error) {
	return writeAllBut(ctx, d.Sink, objs, func(o *store.Object) error {
		if o.Key != publish.ReportKey && !d.allow() {
			return context.Canceled
		}
		return nil
	})
}

func (d *dying) Put(ctx context.Context, o *store.Object) (bool, error) {
	if !d.allow() {
		return false, context.Canceled
	}
	return d.Sink.Put(ctx, o)
}

func (d *dying) PutIf(ctx context.Context, o *store.Object, ifMatch string) (string, error) {
	if d.isDead() { // a dead process releases nothing
		return "", context.Canceled
	}
	return d.Sink.PutIf(ctx, o, ifMatch)
}

// A build that dies half-way through writing leaves its claim: until the
// claim expires other builds are told the catalog is held; then the next
// build takes it over, renders again every output the claim named, and
// publishes what a full build publishes.
func TestDeadBuildIsRepaired(t *testing.T) {
	site := loadSite(t)
	articles, out, fresh := t.TempDir(), t.TempDir(), t.TempDir()
	var docs []doc
	for i := range 12 {
		docs = append(docs, article(fmt.Sprintf("a%02d", i), fmt.Sprintf("2024-01-%02dT10:00:00Z", i+1)).
			with("categories", []string{[]string{"News", "Sport"}[i%2]}).with("tags", []string{"go", "热点"}))
	}
	originals := map[string][]byte{}
	for _, d := range docs {
		body, _ := json.Marshal(d)
		originals[d["id"].(string)+".json"] = body
		writeFile(t, articles, d["id"].(string)+".json", body)
	}
	build(t, site, articles, out, day)
	for i := range 12 { // every feed changes
		writeDocs(t, articles, docs[i].with("title", fmt.Sprintf("second %d", i)))
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := &publish.Build{Site: site, Articles: store.NewFolder(articles), Out: &dying{Sink: store.NewFolder(out), n: 4, cancel: cancel}, Now: day}
	// Long enough for the steps below on a loaded machine (300 ms was
	// not, under CI), short enough to wait out.
	const claimFor = 3 * time.Second
	publish.SetClaimFor(b, claimFor)
	if _, err := b.Run(ctx); err == nil {
		t.Fatal("the dying build succeeded")
	}
	died := time.Now() // its claim was taken, or last renewed, before

	// The publisher takes the change back: the documents are as the
	// catalog knows them, so only the claim tells the next build that the
	// dead one's outputs are not the catalog's.
	for name, body := range originals {
		writeFile(t, articles, name, body)
	}
	next := &publish.Build{Site: site, Articles: store.NewFolder(articles), Out: store.NewFolder(out), Now: day}
	if _, err := next.Run(context.Background()); !errors.Is(err, catalog.ErrBusy) {
		t.Fatalf("a build while the dead build's claim holds: %v, want ErrBusy", err)
	}
	time.Sleep(time.Until(died.Add(claimFor + 100*time.Millisecond)))
	rep, err := next.Run(context.Background())
	if err != nil {
		t.Fatalf("the build after the claim expired: %v", err)
	}
	if len(rep.Written) == 0 {
		t.Fatal("the repairing build wrote nothing")
	}
	build(t, site, articles, fresh, day)
	got, want := outputs(t, out), outputs(t, fresh)
	delete(got, publish.ReportKey)
	delete(want, publish.ReportKey)
	if !slices.Equal(sorted(keysOf(got)), sorted(keysOf(want))) {
		t.Fatalf("files: %v, want %v", sorted(keysOf(got)), sorted(keysOf(want)))
	}
	for k, body := range want {
		if !bytes.Equal(got[k], body) {
			t.Errorf("%s differs from a build from scratch", k)
		}
	}
}

// changingSource changes a document on disk the first time the build reads
// it, as a publisher saving while a build runs.
type changingSource struct {
	publish.Source
	key    string
	change func()
	once   sync.Once
}

func (c *changingSource) Get(ctx context.Context, key string) (*store.Object, error) {
	if key == c.key {
		c.once.Do(c.change)
	}
	return c.Source.Get(ctx, key)
}

// An event build whose render needs a document the catalog knows, only to
// find it changed since (here: made a draft while the build ran), starts
// again reading it too, and publishes what a full build does (found by the
// race test on a clean clone: the build failed instead).
func TestRunDocumentChangesDuringTheBuild(t *testing.T) {
	site := loadSite(t)
	site.Limit = 1
	articles, out, fresh := t.TempDir(), t.TempDir(), t.TempDir()
	writeDocs(t, articles,
		article("a", "2024-01-02T10:00:00Z").with("categories", []string{"News"}),
		article("b", "2024-01-01T10:00:00Z").with("categories", []string{"News"}))
	build(t, site, articles, out, day)
	if err := os.Remove(filepath.Join(articles, "a.json")); err != nil { // b enters the feeds
		t.Fatal(err)
	}
	src := &changingSource{Source: store.NewFolder(articles), key: "b.json", change: func() {
		writeDocs(t, articles, article("b", "2024-01-01T10:00:00Z").with("categories", []string{"News"}).with("status", "draft"))
	}}
	b := &publish.Build{Site: site, Articles: src, Out: store.NewFolder(out), Now: day, Keys: []string{"a.json"}, MaxRetraction: -1}
	if _, err := b.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	build(t, site, articles, fresh, day)
	got, want := outputs(t, out), outputs(t, fresh)
	delete(got, publish.ReportKey)
	delete(want, publish.ReportKey)
	for k, body := range want {
		if !bytes.Equal(got[k], body) {
			t.Errorf("%s differs from a build from scratch:\n got  %s\n want %s", k, got[k], body)
		}
	}
}
