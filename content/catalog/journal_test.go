package catalog_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/catalog"
	"github.com/feedpub/feedpub/content/store"
)

// bigFeed is a feed of 60 members and an archive page of 200, as a
// site's feed is after a few months.
func bigFeed(t *testing.T, s *catalog.State) {
	t.Helper()
	ctx := context.Background()
	f := &catalog.Feed{Name: "index/site", Kind: "site", Pages: map[string]int{"2026-01": 200}}
	pg := &catalog.Page{Feed: f.Name, Name: "2026-01"}
	for i := range 200 {
		m := member(fmt.Sprintf("a/%04d.json", i), int64(1000+i), int64(1000+i))
		m.Hash = fmt.Sprintf("%016x", i)
		f.Insert(m, 60)
		pg.Insert(m)
	}
	f.Count = 200
	f.Published = catalog.Published{Title: "Site", Updated: 1199, Hashes: [3]string{"r", "a", "j"}, Pages: []string{"2026-01"}}
	for _, m := range f.Head {
		f.Published.Shown = append(f.Published.Shown, m.Hash)
	}
	if err := s.SetFeed(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPage(ctx, pg); err != nil {
		t.Fatal(err)
	}
}

// sizes records the bytes last written under each key.
type sizes struct {
	catalog.Store
	last map[string]int
}

func (s *sizes) Write(ctx context.Context, o *store.Object) (string, error) {
	s.last[o.Key] = len(o.Body)
	return s.Store.Write(ctx, o)
}

func (s *sizes) WriteAll(ctx context.Context, objs []*store.Object) ([]string, error) {
	for _, o := range objs {
		s.last[o.Key] = len(o.Body)
	}
	return s.Store.WriteAll(ctx, objs)
}

// Edits of a feed and an archive page that their shards hold are
// journaled as patches of those entries, merged: twenty builds that each
// change one member leave a journal of about what twenty member changes
// take, not twenty copies of the feed, and never write a shard; every
// build reads the entries as the last one left them; the fold writes them
// whole.
func TestJournalHoldsPatchesOfTheShards(t *testing.T) {
	ctx, now := context.Background(), time.Now()
	st := &sizes{Store: store.NewFolder(t.TempDir()), last: map[string]int{}}
	s := filled(t, st)
	bigFeed(t, s)
	claimAndCommit(t, s, now, true)
	slots := fmt.Sprint(s.Head.Slots)
	journal := func() int {
		t.Helper()
		s := open(t, st)
		return st.last[dir+s.Head.JournalKey]
	}
	var first int
	want := map[string]catalog.Member{}
	for i := range 20 {
		e := open(t, st)
		f, err := e.Feed(ctx, "index/site")
		if err != nil || f == nil {
			t.Fatalf("edit %d: feed %v, %v", i, f, err)
		}
		pg, err := e.Page(ctx, "index/site", "2026-01")
		if err != nil || pg == nil {
			t.Fatalf("edit %d: page %v, %v", i, pg, err)
		}
		// An edit of the i-th newest member: its hash changes in the
		// head, the page and the published list.
		m := f.Head[i]
		m.Hash = fmt.Sprintf("edited-%02d", i)
		f.Head[i] = m
		f.Published.Shown[i] = m.Hash
		f.Published.Updated++
		for j := range pg.Members {
			if pg.Members[j].Key == m.Key {
				pg.Members[j] = m
			}
		}
		want[m.Key] = m
		if err := e.SetFeed(ctx, f); err != nil {
			t.Fatal(err)
		}
		if err := e.SetPage(ctx, pg); err != nil {
			t.Fatal(err)
		}
		claimAndCommit(t, e, now, false)
		if got := fmt.Sprint(e.Head.Slots); got != slots {
			t.Fatalf("edit %d wrote shards: slots %s, were %s", i, got, slots)
		}
		if j := e.Head.Journal; len(j.FeedPatches) != 1 || len(j.PagePatches) != 1 || len(j.Feeds)+len(j.Pages) != 0 {
			t.Fatalf("edit %d: journal of %d feed and %d page patches, %d entries whole; want 1, 1, 0",
				i, len(j.FeedPatches), len(j.PagePatches), len(j.Feeds)+len(j.Pages))
		}
		if i == 0 {
			first = journal()
		}
	}
	// Each edit adds a member and a hash to each patch: some 150 bytes
	// coded. A journal of whole entries would be the feed and page each
	// time, past 10 KB.
	if last := journal(); last > first+20*250 || last > 8<<10 {
		t.Errorf("journal after 20 edits: %d bytes (after one: %d), want it to grow by the members changed only", last, first)
	}
	check := func(r *catalog.State, when string) {
		t.Helper()
		f, _ := r.Feed(ctx, "index/site")
		pg, _ := r.Page(ctx, "index/site", "2026-01")
		if f == nil || pg == nil || len(f.Head) != 60 || len(pg.Members) != 200 || f.Published.Updated != 1199+20 {
			t.Fatalf("%s: feed %v, page %v", when, f, pg)
		}
		for i, m := range f.Head {
			if w, ok := want[m.Key]; ok && m != w || f.Published.Shown[i] != m.Hash {
				t.Fatalf("%s: head member %d is %+v, shown %q; want %+v", when, i, m, f.Published.Shown[i], w)
			}
		}
		n := 0
		for _, m := range pg.Members {
			if w, ok := want[m.Key]; ok {
				n++
				if m != w {
					t.Fatalf("%s: page member %+v, want %+v", when, m, w)
				}
			}
		}
		if n != 20 {
			t.Fatalf("%s: %d edited members on the page, want 20", when, n)
		}
	}
	r := open(t, st)
	check(r, "through the journal")
	f, _ := r.Feed(ctx, "index/site")
	before := *f
	claimAndCommit(t, r, now, true) // the fold
	if r.Head.JournalKey != "" || fmt.Sprint(r.Head.Slots) == slots {
		t.Fatalf("fold: journal %q, slots %v (were %s)", r.Head.JournalKey, r.Head.Slots, slots)
	}
	after := open(t, st)
	check(after, "after the fold")
	if f, _ := after.Feed(ctx, "index/site"); !reflect.DeepEqual(f.Head, before.Head) {
		t.Fatal("the fold changed the feed's members")
	}
}

// A journal that would grow past MaxJournal is folded by the commit that
// would grow it, though not asked to.
func TestJournalPastItsBoundIsFolded(t *testing.T) {
	ctx, now := context.Background(), time.Now()
	st := store.NewFolder(t.TempDir())
	s := filled(t, st)
	claimAndCommit(t, s, now, true)
	folded := false
	for i := 0; i < 200 && !folded; i++ {
		e := open(t, st)
		// 200 new documents a build, of hashes that do not compress.
		for j := range 200 {
			d := &catalog.Doc{Key: fmt.Sprintf("b%03d/%03d.json", i, j), Hash: fmt.Sprintf("%x", sha(i*1000+j))}
			if err := e.SetDoc(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		slots := fmt.Sprint(e.Head.Slots)
		claimAndCommit(t, e, now, false)
		folded = e.Head.JournalKey == "" && fmt.Sprint(e.Head.Slots) != slots
		if !folded && i > 60 {
			t.Fatalf("build %d: still journaling, past any bound", i)
		}
	}
	if !folded {
		t.Fatal("the journal was never folded")
	}
	if d, _ := open(t, st).Doc(ctx, "b000/007.json"); d == nil {
		t.Fatal("a document journaled before the fold is lost")
	}
}

// A journal the head names that is gone makes a fresh catalog, which a
// full build fills again, rather than one missing the last builds'
// changes.
func TestLostJournal(t *testing.T) {
	ctx, now := context.Background(), time.Now()
	root := t.TempDir()
	st := store.NewFolder(root)
	s := filled(t, st)
	claimAndCommit(t, s, now, true)
	e := open(t, st)
	d, _ := e.Doc(ctx, "003.json")
	c := *d
	c.Size = 333
	if err := e.SetDoc(ctx, &c); err != nil {
		t.Fatal(err)
	}
	claimAndCommit(t, e, now, false)
	if e.Head.JournalKey == "" {
		t.Fatal("a one-document change was not journaled")
	}
	if err := st.Delete(ctx, dir+e.Head.JournalKey); err != nil {
		t.Fatal(err)
	}
	if r := open(t, st); !r.Fresh() {
		t.Fatal("a catalog whose journal is lost opened as if whole")
	}
}

func sha(i int) [32]byte { return sha256.Sum256([]byte(fmt.Sprint(i))) }
