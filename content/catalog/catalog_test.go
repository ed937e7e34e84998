package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/content/catalog"
	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/content/store/s3test"
)

func member(key string, published, updated int64) catalog.Member {
	return catalog.Member{Key: key, ID: key, Published: published, Updated: updated, Hash: "h" + key}
}

func keys(ms []catalog.Member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Key)
	}
	return out
}

// A feed's head keeps its newest members in order, at most max of them,
// and never takes a member at its end while members past the end are
// missing (it would skip them).
func TestFeedHead(t *testing.T) {
	f := &catalog.Feed{}
	add := func(m catalog.Member) { f.Insert(m, 3); f.Count++ }
	add(member("b", 20, 20))
	add(member("a", 30, 30))
	add(member("d", 10, 10))
	add(member("c", 20, 25)) // same publication as b, changed later: before it
	if got, want := keys(f.Head), []string{"a", "c", "b"}; !slices.Equal(got, want) {
		t.Fatalf("head: got %v, want %v", got, want)
	}
	f.Remove("c")
	f.Count--
	// d is older than all the head holds and was cut: the head lacks
	// members past its end, so an old member is not appended either.
	add(member("e", 5, 5))
	if got, want := keys(f.Head), []string{"a", "b"}; !slices.Equal(got, want) {
		t.Fatalf("head after remove: got %v, want %v (e must not jump d)", got, want)
	}
	add(member("f", 25, 25)) // newer than b: belongs in the head
	if got, want := keys(f.Head), []string{"a", "f", "b"}; !slices.Equal(got, want) {
		t.Fatalf("head: got %v, want %v", got, want)
	}
	f.Remove("zz") // not there: nothing happens
	if len(f.Head) != 3 {
		t.Fatalf("Remove of a missing key changed the head: %v", keys(f.Head))
	}
}

func TestLabelAndNewer(t *testing.T) {
	f := &catalog.Feed{Spellings: map[string]int{"News": 2, "news": 2, "NEWS": 1}}
	if got := f.Label(); got != "News" { // a tie goes to the smallest spelling
		t.Errorf("Label: got %q, want News", got)
	}
	a := &catalog.Doc{Key: "a.json", Article: &catalog.Facts{Updated: 10}}
	b := &catalog.Doc{Key: "b.json", Article: &catalog.Facts{Updated: 10}}
	c := &catalog.Doc{Key: "c.json", Article: &catalog.Facts{Updated: 11, Status: content.StatusDraft}}
	if !catalog.Newer(a, b) || catalog.Newer(b, a) {
		t.Error("between equal updates the smaller key must win")
	}
	if !catalog.Newer(c, a) {
		t.Error("the later update must win, whatever its status")
	}
	now := time.Unix(100, 0)
	for _, tt := range []struct {
		f    catalog.Facts
		want catalog.Role
	}{
		{catalog.Facts{Status: content.StatusPublished, Published: 100}, catalog.RolePublished},
		{catalog.Facts{Status: content.StatusPublished, Published: 101}, catalog.RoleEmbargoed},
		{catalog.Facts{Status: content.StatusDraft, Published: 1}, catalog.RoleDraft},
		{catalog.Facts{Status: content.StatusDeleted, Published: 1}, catalog.RoleDeleted},
	} {
		if got := tt.f.RoleAt(now); got != tt.want {
			t.Errorf("RoleAt(%+v) = %s, want %s", tt.f, got, tt.want)
		}
	}
}

func TestShardsFor(t *testing.T) {
	for _, tt := range []struct{ n, want int }{{0, 1}, {500, 1}, {501, 2}, {100000, 256}, {10000000, 4096}} {
		if got := catalog.ShardsFor(tt.n); got != tt.want {
			t.Errorf("ShardsFor(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
}

// stores runs f against a folder and against S3 on versitygw.
func stores(t *testing.T, f func(t *testing.T, st catalog.Store)) {
	t.Run("folder", func(t *testing.T) { f(t, store.NewFolder(t.TempDir())) })
	t.Run("s3", func(t *testing.T) {
		srv := s3test.Start(t)
		f(t, store.NewS3(srv.Client(), srv.Bucket(t), "site"))
	})
}

const dir = ".feedpub/"

func open(t *testing.T, st catalog.Store) *catalog.State {
	t.Helper()
	s, err := catalog.Open(context.Background(), st, dir, "site-hash", "renderer-1")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fill(t *testing.T, s *catalog.State, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		key := fmt.Sprintf("%03d.json", i)
		d := &catalog.Doc{Key: key, Size: int64(i), Hash: fmt.Sprintf("%064d", i), Role: catalog.RolePublished,
			Article: &catalog.Facts{ID: fmt.Sprintf("id%d", i%7), Status: content.StatusPublished, Published: int64(i), Updated: int64(i), Tags: []string{"热点"}}}
		if err := s.SetDoc(ctx, d); err != nil {
			t.Fatal(err)
		}
		if err := s.AddKey(ctx, d.Article.ID, key); err != nil {
			t.Fatal(err)
		}
	}
	f := &catalog.Feed{Name: "tag/热点", Kind: "tag", Spellings: map[string]int{"热点": n}}
	f.Insert(member("000.json", 1, 1), 5)
	f.Count = n
	if err := s.SetFeed(ctx, f); err != nil {
		t.Fatal(err)
	}
	s.Head.Counts.Documents = n
}

// What one build commits, the next reads back, shard by shard.
func TestCommitAndReopen(t *testing.T) {
	stores(t, func(t *testing.T, st catalog.Store) {
		ctx := context.Background()
		s := open(t, st)
		if !s.Fresh() || s.Existed() {
			t.Fatalf("a store without a catalog: Fresh %v Existed %v, want true, false", s.Fresh(), s.Existed())
		}
		s.Reset("site-hash", "renderer-1", 2000) // four shards a family
		fill(t, s, 40)
		if err := s.Claim(ctx, "b1", time.Now(), time.Now().Add(time.Minute), []string{"feeds/index.rss"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx, true); err != nil {
			t.Fatal(err)
		}
		if s.Dirty() {
			t.Error("dirty after commit")
		}
		r := open(t, st)
		if r.Fresh() || r.Head.Claim != nil || r.Head.Shards != 4 || r.Head.Gen != 1 {
			t.Fatalf("reopened: fresh %v claim %+v shards %d gen %d", r.Fresh(), r.Head.Claim, r.Head.Shards, r.Head.Gen)
		}
		for i := range 40 {
			key := fmt.Sprintf("%03d.json", i)
			want, _ := s.Doc(ctx, key)
			got, err := r.Doc(ctx, key)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("Doc(%s): got %+v, %v, want %+v", key, got, err, want)
			}
		}
		if ks, _ := r.Keys(ctx, "id3"); !slices.Equal(ks, []string{"003.json", "010.json", "017.json", "024.json", "031.json", "038.json"}) {
			t.Errorf("Keys(id3) = %v", ks)
		}
		if f, _ := r.Feed(ctx, "tag/热点"); f == nil || f.Count != 40 || f.Label() != "热点" || len(f.Head) != 1 {
			t.Errorf("Feed: %+v", f)
		}
		if d, _ := r.Doc(ctx, "missing.json"); d != nil {
			t.Errorf("Doc of a key never recorded: %+v", d)
		}
		// Another renderer version: the catalog is of no use.
		other, err := catalog.Open(ctx, st, dir, "site-hash", "renderer-2")
		if err != nil || !other.Fresh() || !other.Existed() {
			t.Fatalf("another renderer: fresh %v existed %v err %v", other.Fresh(), other.Existed(), err)
		}
	})
}

// failingHead makes the commit of the head fail, as if the build died
// after writing its shards.
type failingHead struct{ catalog.Store }

var errDied = errors.New("the build died")

func (f failingHead) PutIf(ctx context.Context, o *store.Object, ifMatch string) (string, error) {
	if o.Key == dir+"catalog/head.json" && ifMatch != "" {
		return "", errDied
	}
	return f.Store.PutIf(ctx, o, ifMatch)
}

// Shards are written into the slot the head does not name: a build that
// stops before its head is committed leaves the committed state whole.
func TestUncommittedShardsChangeNothing(t *testing.T) {
	stores(t, func(t *testing.T, st catalog.Store) {
		ctx := context.Background()
		s := open(t, st)
		fill(t, s, 10)
		if err := s.Claim(ctx, "b1", time.Now(), time.Now().Add(time.Minute), nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx, true); err != nil {
			t.Fatal(err)
		}
		s2, err := catalog.Open(ctx, failingHead{st}, dir, "site-hash", "renderer-1")
		if err != nil {
			t.Fatal(err)
		}
		d, _ := s2.Doc(ctx, "003.json")
		changed := *d
		changed.Size = 999
		if err := s2.SetDoc(ctx, &changed); err != nil {
			t.Fatal(err)
		}
		if err := s2.Claim(ctx, "b2", time.Now(), time.Now().Add(time.Minute), nil); !errors.Is(err, errDied) {
			t.Fatalf("claim through the failing store: %v", err)
		}
		// Write the shards by hand-committing through the store that
		// works for shards and fails for the head.
		if err := s2.Commit(ctx, true); !errors.Is(err, errDied) && !errors.Is(err, catalog.ErrLost) {
			t.Fatalf("commit: got %v, want the head's failure", err)
		}
		r := open(t, st)
		if got, _ := r.Doc(ctx, "003.json"); got == nil || got.Size != 3 {
			t.Fatalf("after a build that died: %+v, want the committed size 3", got)
		}
	})
}

// Of two builds that read the same head, one claims it; the other is told
// so and writes nothing. A live claim keeps others out until it expires;
// an expired one is taken over; a released one at once.
func TestClaims(t *testing.T) {
	stores(t, func(t *testing.T, st catalog.Store) {
		ctx := context.Background()
		now := time.Now()
		s := open(t, st)
		fill(t, s, 5)
		if err := s.Claim(ctx, "seed", now, now.Add(time.Minute), nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx, true); err != nil {
			t.Fatal(err)
		}

		var wg sync.WaitGroup
		results := make([]error, 8)
		racers := make([]*catalog.State, len(results))
		for i := range racers {
			racers[i] = open(t, st) // all read the same head
		}
		for i, r := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = r.Claim(ctx, fmt.Sprintf("b%d", i), now, now.Add(time.Minute), []string{"feeds/index.rss"})
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range results {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, catalog.ErrLost):
				t.Errorf("losing claim: %v, want ErrLost", err)
			}
		}
		if won != 1 {
			t.Fatalf("claims won: %d of %d, want 1", won, len(results))
		}

		late := open(t, st)
		if late.Head.Claim == nil || !slices.Equal(late.Head.Claim.Outputs, []string{"feeds/index.rss"}) {
			t.Fatalf("the claim does not name its outputs: %+v", late.Head.Claim)
		}
		if err := late.Claim(ctx, "late", now, now.Add(time.Minute), nil); !errors.Is(err, catalog.ErrBusy) {
			t.Fatalf("claim while another is held: %v, want ErrBusy", err)
		}
		// The holder died: once its claim expires, the catalog is taken over.
		if err := late.Claim(ctx, "late", now.Add(2*time.Minute), now.Add(3*time.Minute), nil); err != nil {
			t.Fatalf("taking over an expired claim: %v", err)
		}
		if err := late.Release(ctx); err != nil {
			t.Fatal(err)
		}
		next := open(t, st)
		if next.Head.Claim == nil || next.Head.Claim.Expires.After(now) {
			t.Fatalf("released claim: %+v, want one expired", next.Head.Claim)
		}
		if err := next.Claim(ctx, "next", now, now.Add(time.Minute), nil); err != nil {
			t.Fatalf("claim after a release: %v", err)
		}
		if err := late.Commit(ctx, true); !errors.Is(err, catalog.ErrLost) {
			t.Fatalf("commit by a build whose claim was taken: %v, want ErrLost", err)
		}
	})
}

// Builds that change a few entries append them to the head's journal and
// write nothing else; a reader applies the journal to the shards it reads;
// a compacting commit writes the shards and empties the journal.
func TestJournal(t *testing.T) {
	stores(t, func(t *testing.T, st catalog.Store) {
		ctx, now := context.Background(), time.Now()
		s := filled(t, st)
		commit := func(s *catalog.State, compact bool) { t.Helper(); claimAndCommit(t, s, now, compact) }
		commit(s, false) // a reset catalog writes its shards whatever it is asked
		if s.Head.Journal.Len() != 0 || s.Head.JournalKey != "" {
			t.Fatalf("journal after the first commit: %d entries at %q", s.Head.Journal.Len(), s.Head.JournalKey)
		}
		slots := fmt.Sprint(s.Head.Slots)
		for i := range 5 {
			e := open(t, st)
			d, _ := e.Doc(ctx, "003.json")
			c := *d
			c.Size = int64(100 + i)
			if err := e.SetDoc(ctx, &c); err != nil {
				t.Fatal(err)
			}
			if err := e.DeleteDoc(ctx, fmt.Sprintf("%03d.json", 10+i)); err != nil {
				t.Fatal(err)
			}
			if err := e.RemoveKey(ctx, fmt.Sprintf("id%d", (10+i)%7), fmt.Sprintf("%03d.json", 10+i)); err != nil {
				t.Fatal(err)
			}
			f, _ := e.Feed(ctx, "tag/热点")
			f.Count--
			if err := e.Touch(ctx, f.Name); err != nil {
				t.Fatal(err)
			}
			commit(e, false)
			if got := fmt.Sprint(e.Head.Slots); got != slots {
				t.Fatalf("an event commit wrote shards: slots %s, were %s", got, slots)
			}
		}
		check := func(r *catalog.State, when string) {
			t.Helper()
			if d, _ := r.Doc(ctx, "003.json"); d == nil || d.Size != 104 {
				t.Fatalf("%s: 003.json %+v, want size 104", when, d)
			}
			for i := range 5 {
				if d, _ := r.Doc(ctx, fmt.Sprintf("%03d.json", 10+i)); d != nil {
					t.Fatalf("%s: a deleted document is back: %+v", when, d)
				}
			}
			if ks, _ := r.Keys(ctx, "id3"); slices.Contains(ks, "010.json") {
				t.Fatalf("%s: Keys(id3) = %v still holds 010.json", when, ks)
			}
			if f, _ := r.Feed(ctx, "tag/热点"); f == nil || f.Count != 35 {
				t.Fatalf("%s: feed %+v, want count 35", when, f)
			}
		}
		r := open(t, st)
		// Five builds, merged: 003.json once, the five documents gone,
		// the feed once, as a patch of its shard's entry.
		if j := r.Head.Journal; len(j.Docs) != 6 || len(j.FeedPatches) != 1 || len(j.Feeds) != 0 {
			t.Fatalf("journal: %d documents, %d feed patches, %d feeds whole; want 6, 1, 0", len(j.Docs), len(j.FeedPatches), len(j.Feeds))
		}
		check(r, "through the journal")
		if err := r.LoadAll(ctx); err != nil {
			t.Fatal(err)
		}
		commit(r, true)
		if r.Head.Journal.Len() != 0 || r.Head.JournalKey != "" || fmt.Sprint(r.Head.Slots) == slots {
			t.Fatalf("compaction: journal %d entries at %q, slots %v (were %s)", r.Head.Journal.Len(), r.Head.JournalKey, r.Head.Slots, slots)
		}
		check(open(t, st), "after compaction")
	})
}

// filled opens a fresh catalog in st with four shards a family and
// fills it with 40 documents.
func filled(t *testing.T, st catalog.Store) *catalog.State {
	t.Helper()
	s := open(t, st)
	s.Reset("site-hash", "renderer-1", 2000)
	fill(t, s, 40)
	return s
}

// claimAndCommit claims s at now and commits it.
func claimAndCommit(t *testing.T, s *catalog.State, now time.Time, compact bool) {
	t.Helper()
	ctx := context.Background()
	if err := s.Claim(ctx, "b", now, now.Add(time.Minute), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, compact); err != nil {
		t.Fatal(err)
	}
}

// A commit that changed more entries than a journal holds writes its
// shards, though not asked to compact: every change is there when the
// catalog is read again, and the next small change is journaled again.
func TestCommitOfManyChangesWritesShards(t *testing.T) {
	stores(t, func(t *testing.T, st catalog.Store) {
		ctx, now := context.Background(), time.Now()
		s := filled(t, st)
		commit := func(s *catalog.State) { t.Helper(); claimAndCommit(t, s, now, false) }
		commit(s)
		e := open(t, st)
		const n = catalog.MaxJournal/8 + 100 // more than any journal could hold
		for i := range n {
			d := &catalog.Doc{Key: fmt.Sprintf("many/%05d.json", i), Size: int64(i), Hash: fmt.Sprintf("%064d", i)}
			if err := e.SetDoc(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		slots := fmt.Sprint(e.Head.Slots)
		commit(e)
		if e.Head.Journal.Len() != 0 || fmt.Sprint(e.Head.Slots) == slots {
			t.Fatalf("%d changes: journal %d entries, slots %v (were %s), want the shards written", n, e.Head.Journal.Len(), e.Head.Slots, slots)
		}
		r := open(t, st)
		for _, i := range []int{0, n / 2, n - 1} {
			if d, _ := r.Doc(ctx, fmt.Sprintf("many/%05d.json", i)); d == nil || d.Size != int64(i) {
				t.Fatalf("many/%05d.json after the commit: %+v", i, d)
			}
		}
		d, _ := r.Doc(ctx, "003.json")
		c := *d
		c.Size = 333
		if err := r.SetDoc(ctx, &c); err != nil {
			t.Fatal(err)
		}
		commit(r)
		if r.Head.Journal.Len() != 1 {
			t.Fatalf("one change after many: journal %d entries, want 1", r.Head.Journal.Len())
		}
		if d, _ := open(t, st).Doc(ctx, "003.json"); d == nil || d.Size != 333 {
			t.Fatalf("003.json through the journal: %+v", d)
		}
	})
}

// recordingStore records the bytes written under each key.
type recordingStore struct {
	catalog.Store
	written map[string]int
}

func (r *recordingStore) Write(ctx context.Context, o *store.Object) (string, error) {
	r.written[o.Key] += len(o.Body)
	return r.Store.Write(ctx, o)
}

func (r *recordingStore) WriteAll(ctx context.Context, objs []*store.Object) ([]string, error) {
	for _, o := range objs {
		r.written[o.Key] += len(o.Body)
	}
	return r.Store.WriteAll(ctx, objs)
}

func (r *recordingStore) PutIf(ctx context.Context, o *store.Object, ifMatch string) (string, error) {
	r.written[o.Key] += len(o.Body)
	return r.Store.PutIf(ctx, o, ifMatch)
}

// The lists (feeds, embargoes, rejections) live beside the head, written only by a commit that
// changes it: a claim rewrites a head that does not carry it, and it is
// read back whole. A feed list lost makes a fresh catalog, which a full
// build fills again.
func TestListsBesideTheHead(t *testing.T) {
	stores(t, func(t *testing.T, st catalog.Store) {
		ctx := context.Background()
		rec := &recordingStore{Store: st, written: map[string]int{}}
		s := open(t, rec)
		s.Reset("site-hash", "renderer-1", 100)
		for i := range 3000 {
			s.Head.Feeds = append(s.Head.Feeds, catalog.FeedRef{Name: fmt.Sprintf("tag/t%04d", i), Kind: "tag", Title: "标签 " + strconv.Itoa(i), Items: i % 50, Updated: 1_750_000_000})
		}
		if err := s.Claim(ctx, "b1", time.Now(), time.Now().Add(time.Minute), nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx, true); err != nil {
			t.Fatal(err)
		}
		headKey := dir + "catalog/head.json"
		r := open(t, rec)
		if len(r.Head.Feeds) != 3000 || r.Head.Feeds[2999].Title != "标签 2999" {
			t.Fatalf("read back %d feeds", len(r.Head.Feeds))
		}
		clear(rec.written)
		if err := r.Claim(ctx, "b2", time.Now(), time.Now().Add(time.Minute), nil); err != nil {
			t.Fatal(err)
		}
		if n := rec.written[headKey]; n > 4096 {
			t.Errorf("a claim wrote a head of %d bytes for 3,000 feeds: the feed list is in it", n)
		}
		if err := r.Commit(ctx, false); err != nil { // the list unchanged: not written
			t.Fatal(err)
		}
		for k := range rec.written {
			if k != headKey {
				t.Errorf("a commit that changed nothing wrote %s", k)
			}
		}
		r = open(t, rec)
		r.Head.Feeds[0].Items = 49
		if err := r.Claim(ctx, "b3", time.Now(), time.Now().Add(time.Minute), nil); err != nil {
			t.Fatal(err)
		}
		if err := r.Commit(ctx, false); err != nil {
			t.Fatal(err)
		}
		list := dir + r.Head.ListsKey
		if n := rec.written[list]; n == 0 || n > 30000 {
			t.Errorf("the changed feed list: %d bytes written to %s, want it gzip-coded", n, list)
		}
		if got := open(t, rec); got.Head.Feeds[0].Items != 49 || got.Fresh() {
			t.Errorf("after the change: items %d, fresh %v", got.Head.Feeds[0].Items, got.Fresh())
		}
		type deleter interface {
			Delete(ctx context.Context, key string) error
		}
		if err := st.(deleter).Delete(ctx, list); err != nil {
			t.Fatal(err)
		}
		if lost := open(t, rec); !lost.Fresh() || len(lost.Head.Feeds) != 0 {
			t.Errorf("the feed list lost: fresh %v, %d feeds; want a fresh catalog", lost.Fresh(), len(lost.Head.Feeds))
		}
	})
}

// Prefetch reads the shards of the entries it is told of, each once; the
// lookups that follow read nothing more, and one of an entry not told of
// still reads its shard.
func TestPrefetch(t *testing.T) {
	stores(t, func(t *testing.T, st catalog.Store) {
		ctx := context.Background()
		s := open(t, st)
		s.Reset("site-hash", "renderer-1", 2000) // four shards a family
		fill(t, s, 40)
		if err := s.Commit(ctx, true); err != nil {
			t.Fatal(err)
		}
		counter, ok := st.(interface{ Count(*store.Ops) })
		if !ok {
			t.Skip("the store counts no operations")
		}
		var ops store.Ops
		counter.Count(&ops)
		defer counter.Count(nil)
		r := open(t, st)
		opened := ops.Snapshot()
		keys := []string{"000.json", "001.json", "002.json", "003.json", "004.json", "005.json", "006.json", "007.json"}
		if err := r.Prefetch(ctx, map[string][]string{
			catalog.FamilyDocs:  keys,
			catalog.FamilyIDs:   {"id3"},
			catalog.FamilyFeeds: {"tag/热点"},
		}); err != nil {
			t.Fatal(err)
		}
		prefetched := ops.Snapshot().Sub(opened)
		if prefetched.Get == 0 || prefetched.Get > 4+1+1 {
			t.Errorf("Prefetch read %d objects, want one for each shard named (at most 6)", prefetched.Get)
		}
		again := ops.Snapshot()
		if err := r.Prefetch(ctx, map[string][]string{catalog.FamilyDocs: keys}); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if d, err := r.Doc(ctx, k); err != nil || d == nil {
				t.Fatalf("Doc(%s): %v, %v", k, d, err)
			}
		}
		if ks, _ := r.Keys(ctx, "id3"); len(ks) != 6 {
			t.Errorf("Keys(id3) = %v", ks)
		}
		if f, _ := r.Feed(ctx, "tag/热点"); f == nil || f.Count != 40 {
			t.Errorf("Feed: %+v", f)
		}
		if got := ops.Snapshot().Sub(again).Get; got != 0 {
			t.Errorf("lookups after Prefetch read %d objects, want 0", got)
		}
		before := ops.Snapshot()
		if _, err := r.Keys(ctx, "id5"); err != nil {
			t.Fatal(err)
		}
		if ids, _ := r.Keys(ctx, "id5"); len(ids) == 0 {
			t.Error("Keys(id5) found nothing")
		}
		if got := ops.Snapshot().Sub(before).Get; got > 1 {
			t.Errorf("a lookup not prefetched read %d objects, want at most 1", got)
		}
	})
}

// A sealed shard is committed as it would have been unsealed, byte for
// byte, and a lookup after the seal sees (and may change) its entries.
func TestSealedShards(t *testing.T) {
	ctx, now := context.Background(), time.Now()
	sealed, plain := store.NewFolder(t.TempDir()), store.NewFolder(t.TempDir())
	s, p := filled(t, sealed), filled(t, plain)
	for _, st := range []*catalog.State{s, p} {
		// More changes than a journal holds: the shards are written whole.
		for i := range catalog.MaxJournal / 8 {
			d, _ := st.Doc(ctx, fmt.Sprintf("%03d.json", i%40))
			if err := st.SetDoc(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Seal(catalog.FamilyDocs, catalog.FamilyIDs); err != nil {
		t.Fatal(err)
	}
	if n := catalog.SealedShards(s, catalog.FamilyDocs); n != s.Head.Shards {
		t.Fatalf("%d of %d document shards sealed", n, s.Head.Shards)
	}
	if n := catalog.SealedShards(s, catalog.FamilyFeeds); n != 0 {
		t.Fatalf("%d feed shards sealed, want none (not asked)", n)
	}
	n := 0
	if err := s.Docs(func(*catalog.Doc) { n++ }); err != nil || n != 40 {
		t.Fatalf("Docs after the seal: %d documents, %v; want 40", n, err)
	}
	if err := s.Seal(catalog.FamilyDocs, catalog.FamilyIDs); err != nil { // sealed again
		t.Fatal(err)
	}
	for _, st := range []*catalog.State{s, p} {
		d, err := st.Doc(ctx, "005.json")
		if err != nil || d == nil || d.Size != 5 {
			t.Fatalf("005.json: got %+v, %v", d, err)
		}
		d.Size = 555
		if err := st.SetDoc(ctx, d); err != nil {
			t.Fatal(err)
		}
		if ks, err := st.Keys(ctx, "id3"); err != nil || len(ks) != 6 {
			t.Fatalf("Keys(id3): %v, %v", ks, err)
		}
	}
	if err := s.Seal(catalog.FamilyDocs, catalog.FamilyIDs); err != nil {
		t.Fatal(err)
	}
	claimAndCommit(t, s, now, true)
	claimAndCommit(t, p, now, true)
	for _, fam := range []string{catalog.FamilyDocs, catalog.FamilyIDs} {
		for i, slot := range s.Head.Slots[fam] {
			if slot != p.Head.Slots[fam][i] {
				t.Fatalf("%s shard %d: slot %d, unsealed %d", fam, i, slot, p.Head.Slots[fam][i])
			}
			if slot < 0 {
				continue
			}
			key := dir + catalog.ShardKey(fam, i, slot)
			a, errA := sealed.Get(ctx, key)
			b, errB := plain.Get(ctx, key)
			if errA != nil || errB != nil || !bytes.Equal(a.Body, b.Body) {
				t.Errorf("%s: sealed and unsealed commits differ (%v, %v)", key, errA, errB)
			}
		}
	}
	if d, _ := open(t, sealed).Doc(ctx, "005.json"); d == nil || d.Size != 555 {
		t.Errorf("005.json changed after the seal, read back: %+v", d)
	}
}
