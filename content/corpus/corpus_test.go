package corpus_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/content/corpus"
	"github.com/feedpub/feedpub/content/store"
)

var shanghai = time.FixedZone("CST", 8*3600)

// all generates every document of opts.
func all(t testing.TB, opts corpus.Options) (keys []string, bodies [][]byte) {
	t.Helper()
	err := corpus.Generate(opts, func(key string, body []byte) error {
		keys = append(keys, key)
		bodies = append(bodies, body)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys, bodies
}

func digest(keys []string, bodies [][]byte) [32]byte {
	h := sha256.New()
	for i := range keys {
		h.Write([]byte(keys[i]))
		h.Write([]byte{0})
		h.Write(bodies[i])
		h.Write([]byte{0})
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

func TestDeterministic(t *testing.T) {
	opts := corpus.Options{N: 500, Seed: 7, Malformed: 0.02}
	k1, b1 := all(t, opts)
	k2, b2 := all(t, opts)
	if digest(k1, b1) != digest(k2, b2) {
		t.Fatal("the same options gave different documents")
	}
	other := opts
	other.Seed = 8
	k3, b3 := all(t, other)
	if digest(k1, b1) == digest(k3, b3) {
		t.Fatal("another seed gave the same documents")
	}
	same := 0
	for i := range b1 {
		if bytes.Equal(b1[i], b3[i]) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("%d documents are the same for seeds 7 and 8", same)
	}

	// Doc makes document i alone, as Generate made it; so does a
	// generator for a larger corpus (document i does not depend on N).
	bigger := opts
	bigger.N = 5000
	g, err := corpus.New(bigger)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, 17, 250, 499} {
		key, body, err := corpus.Doc(opts, i)
		if err != nil {
			t.Fatal(err)
		}
		if key != k1[i] || !bytes.Equal(body, b1[i]) {
			t.Errorf("Doc(%d) differs from Generate's document %d", i, i)
		}
		key, body = g.Doc(i)
		if key != k1[i] || !bytes.Equal(body, b1[i]) {
			t.Errorf("document %d depends on N", i)
		}
		if m := g.Meta(i); m.Key != key {
			t.Errorf("Meta(%d).Key = %q, Doc gave %q", i, m.Key, key)
		}
	}
}

// TestGolden pins the corpus of the zero options but N and Seed: a change
// to the generator that changes documents should be deliberate, since
// benchmark results are compared across runs. Update the digest then.
func TestGolden(t *testing.T) {
	keys, bodies := all(t, corpus.Options{N: 2000, Seed: 1})
	const want = "0e62289f52036d5a61691257c28a034d9f6f6abd510d8030fa1ee87ece4a2b46"
	if got := fmt.Sprintf("%x", digest(keys, bodies)); got != want {
		t.Errorf("corpus digest = %s, want %s", got, want)
	}
}

// TestParse: every document is valid JSON and accepted by content.Parse,
// with the values Meta says, except the malformed ones, which are rejected.
func TestParse(t *testing.T) {
	opts := corpus.Options{N: 2000, Seed: 1, Malformed: 0.01, Location: shanghai}
	g, err := corpus.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	keys, bodies := all(t, opts)
	if len(keys) != opts.N {
		t.Fatalf("%d documents, want %d", len(keys), opts.N)
	}
	now := g.Now()
	seenKeys := map[string]bool{}
	seenIDs := map[string]bool{}
	malformed := map[string]int{}
	stray := 0
	for i, key := range keys {
		m := g.Meta(i)
		if seenKeys[key] {
			t.Fatalf("key %s twice", key)
		}
		seenKeys[key] = true
		if !strings.HasPrefix(key, "articles/") || strings.Count(key, "/") != 1 || !strings.HasSuffix(key, ".json") {
			t.Errorf("key %q is not articles/<id>.json", key)
		}
		a, err := content.Parse(key, bodies[i], shanghai)
		if m.Malformed != "" {
			malformed[m.Malformed]++
			var inv *content.InvalidError
			if !errors.As(err, &inv) {
				t.Errorf("%s (%s) was accepted, err %v", key, m.Malformed, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v\n%s", err, bodies[i])
			continue
		}
		if !json.Valid(bodies[i]) {
			t.Errorf("%s: not valid JSON", key)
		}
		if key != "articles/"+a.ID+".json" || a.ID != m.ID {
			t.Errorf("%s: id %q, Meta says %q", key, a.ID, m.ID)
		}
		if seenIDs[a.ID] {
			t.Errorf("id %s twice", a.ID)
		}
		seenIDs[a.ID] = true
		if a.Status != m.Status {
			t.Errorf("%s: status %s, Meta says %s", key, a.Status, m.Status)
		}
		if !a.Published.Equal(m.Published) {
			t.Errorf("%s: published %v, Meta says %v", key, a.Published, m.Published)
		}
		if a.Visible(now) != m.Visible(now) {
			t.Errorf("%s: visible %v, Meta says %v", key, a.Visible(now), m.Visible(now))
		}
		if !slices.Equal(a.Categories, m.Categories) || !slices.Equal(a.Tags, m.Tags) {
			t.Errorf("%s: categories %q tags %q, Meta says %q %q", key, a.Categories, a.Tags, m.Categories, m.Tags)
		}
		var names []string
		for _, au := range a.Authors {
			names = append(names, au.Name)
		}
		if !slices.Equal(names, m.Authors) {
			t.Errorf("%s: authors %q, Meta says %q", key, names, m.Authors)
		}
		if n := len(a.Categories); n < 1 || n > 2 {
			t.Errorf("%s: %d categories", key, n)
		}
		if n := len(a.Tags); n < 2 || n > 6 {
			t.Errorf("%s: %d tags", key, n)
		}
		if n := len(a.Authors); n < 1 || n > 2 {
			t.Errorf("%s: %d authors", key, n)
		}
		if (a.Image != nil) != m.Image || (len(a.Enclosures) > 0) != m.Audio {
			t.Errorf("%s: image %v, enclosures %d; Meta says %v, %v", key, a.Image != nil, len(a.Enclosures), m.Image, m.Audio)
		}
		if n := len(a.ContentHTML); n < 2000 || n > 9000 {
			t.Errorf("%s: body of %d bytes, want 2-6 KB", key, n)
		}
		for _, tag := range []string{"<p>", "<img ", "<a href=", "<li>"} {
			if !strings.Contains(a.ContentHTML, tag) {
				t.Errorf("%s: no %s in the body", key, tag)
			}
		}
		if m.Stray {
			// The document holds a character XML forbids (or a lone
			// surrogate, which JSON decoding makes U+FFFD); Parse drops it.
			stray++
			var doc struct {
				Title   string `json:"title"`
				Summary string `json:"summary"`
				HTML    string `json:"content_html"`
			}
			if err := json.Unmarshal(bodies[i], &doc); err != nil {
				t.Fatal(err)
			}
			if !strings.ContainsFunc(doc.Title+doc.Summary+doc.HTML, func(r rune) bool { return !content.Allowed(r) || r == utf8.RuneError }) {
				t.Errorf("%s: Meta says it has a stray character, but it has none", key)
			}
		}
		for _, s := range []string{a.Title, a.Summary, a.ContentHTML} {
			if i := strings.IndexFunc(s, func(r rune) bool { return !content.Allowed(r) }); i >= 0 {
				t.Errorf("%s: a forbidden character survived parsing: %q", key, s[max(0, i-10):min(len(s), i+10)])
			}
		}
		if a.Title == "" {
			t.Errorf("%s: no title", key)
		}
	}
	if stray < 20 {
		t.Errorf("%d documents with stray characters, want about 4%%", stray)
	}
	total := 0
	for _, n := range malformed {
		total += n
	}
	if total < 5 || total > 40 || len(malformed) < 3 {
		t.Errorf("malformed documents: %v, want about 1%% of %d, of several kinds", malformed, opts.N)
	}
}

// TestMix checks the shares the package documents, over Meta of 20,000
// documents (and the bodies of 2,000).
func TestMix(t *testing.T) {
	const n = 20000
	g, err := corpus.New(corpus.Options{N: n, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	now := g.Now()
	var drafts, deleted, embargoed, cjk, zh, ja, naive, summary, image, audio, updated, stray, twoCats, twoAuthors, malformed int
	tagUse := map[string]int{}
	authorUse := map[string]int{}
	catUse := map[string]int{}
	oldest := now
	for i := range n {
		m := g.Meta(i)
		switch {
		case m.Status == content.StatusDraft:
			drafts++
		case m.Status == content.StatusDeleted:
			deleted++
		case m.Embargoed(now):
			embargoed++
		}
		if m.CJK {
			cjk++
		}
		switch m.Language {
		case "zh":
			zh++
		case "ja":
			ja++
		}
		count(&naive, m.Naive)
		count(&summary, m.Summary)
		count(&image, m.Image)
		count(&audio, m.Audio)
		count(&updated, m.Updated)
		count(&stray, m.Stray)
		count(&twoCats, len(m.Categories) == 2)
		count(&twoAuthors, len(m.Authors) == 2)
		count(&malformed, m.Malformed != "")
		for _, s := range m.Tags {
			tagUse[s]++
		}
		for _, s := range m.Authors {
			authorUse[s]++
		}
		for _, s := range m.Categories {
			catUse[s]++
		}
		if m.Published.Before(oldest) {
			oldest = m.Published
		}
		if m.Published.After(now) && (m.Status != content.StatusPublished || m.Published.Before(now.Add(24*time.Hour))) {
			t.Errorf("%s: published %v: only embargoes are in the future, and at least a day", m.Key, m.Published)
		}
		if !m.Published.After(now) && m.Published.After(now.Add(-24*time.Hour)) {
			t.Errorf("%s: published %v, less than a day before now", m.Key, m.Published)
		}
	}
	share := func(name string, got int, want float64) {
		t.Helper()
		if f := float64(got) / n; f < want*0.75 || f > want*1.25 {
			t.Errorf("%s: %.2f%%, want about %.2f%%", name, 100*f, 100*want)
		}
	}
	t.Logf("of %d: drafts %d, deleted %d, embargoed %d, CJK %d (zh %d, ja %d), naive %d, summaries %d, images %d, audio %d, updated %d, stray %d",
		n, drafts, deleted, embargoed, cjk, zh, ja, naive, summary, image, audio, updated, stray)
	share("drafts", drafts, 0.03)
	share("deleted", deleted, 0.01)
	share("embargoed", embargoed, 0.01)
	share("CJK", cjk, 1.0/3)
	share("Chinese", zh, 0.2)
	share("Japanese", ja, 1.0/3-0.2)
	share("naive times", naive, 0.2)
	share("summaries", summary, 0.5)
	share("lead images", image, 0.6)
	share("audio", audio, 0.08)
	share("updated", updated, 0.25)
	share("stray characters", stray, 0.04)
	share("two categories", twoCats, 0.15)
	share("two authors", twoAuthors, 0.2)
	if malformed != 0 {
		t.Errorf("%d malformed documents by default", malformed)
	}
	if span := now.Sub(oldest); span < 3*365*24*time.Hour-30*24*time.Hour || span > 3*365*24*time.Hour {
		t.Errorf("published times span %v, want about 3 years", span)
	}

	// Zipf: the top tag is used far more than the median one, and use
	// falls with rank.
	tags := g.Tags()
	if len(tags) != corpus.DefaultTags || len(catUse) != corpus.DefaultCategories {
		t.Errorf("%d tags, %d categories used", len(tags), len(catUse))
	}
	uses := make([]int, len(tags))
	for i, s := range tags {
		uses[i] = tagUse[s]
	}
	sorted := slices.Clone(uses)
	sort.Sort(sort.Reverse(sort.IntSlice(sorted)))
	median := sorted[len(sorted)/2]
	if sorted[0] < 50*max(median, 1) {
		t.Errorf("top tag used %d times, median %d: not Zipf-like", sorted[0], median)
	}
	if uses[0] != sorted[0] || sum(uses[:10]) < 5*sum(uses[100:110]) || sum(uses[100:200]) < 5*sum(uses[1900:2000]) {
		t.Errorf("tag use does not fall with rank: %v ... %v ... %v", uses[:10], uses[100:110], uses[1900:1910])
	}
	// Zipf with s = 1.1 over 2,000 ranks gives rank 1 about 17% of draws.
	tagDraws := sum(uses)
	if f := float64(uses[0]) / float64(tagDraws); f < 0.10 || f > 0.22 {
		t.Errorf("top tag takes %.1f%% of tag uses, want about 15%%", 100*f)
	}
	t.Logf("tag uses by rank: %v ... median %d; top category %d, last %d", uses[:8], median, catUse[g.Categories()[0]], catUse[g.Categories()[len(g.Categories())-1]])
	authors := g.Authors()
	if authorUse[authors[0]] < 10*max(authorUse[authors[150]], 1) {
		t.Errorf("top author %d articles, rank 150 %d: not Zipf-like", authorUse[authors[0]], authorUse[authors[150]])
	}

	// Names partly CJK.
	cjkNames := func(names []string) int {
		k := 0
		for _, s := range names {
			if strings.ContainsFunc(s, func(r rune) bool { return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) }) {
				k++
			}
		}
		return k
	}
	for what, names := range map[string][]string{"categories": g.Categories(), "tags": tags, "authors": authors} {
		if k := cjkNames(names); k < len(names)/4 || k > len(names)*3/4 {
			t.Errorf("%d of %d %s are CJK, want a good share", k, len(names), what)
		}
		if len(slices.Compact(slices.Sorted(slices.Values(names)))) != len(names) {
			t.Errorf("%s are not distinct", what)
		}
	}
	if !slices.Contains(g.Categories(), "热点") || !slices.Contains(g.Categories(), "経済") {
		t.Errorf("categories %q", g.Categories())
	}
}

func count(n *int, b bool) {
	if b {
		*n++
	}
}

func sum(list []int) int {
	s := 0
	for _, x := range list {
		s += x
	}
	return s
}

// TestBodies checks the bodies' sizes and what they are made of.
func TestBodies(t *testing.T) {
	_, bodies := all(t, corpus.Options{N: 2000, Seed: 5})
	var total int
	var entities, naive, ascii, indented int
	for _, b := range bodies {
		var doc struct {
			ContentHTML string `json:"content_html"`
			Published   string `json:"published"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		total += len(doc.ContentHTML)
		count(&entities, strings.Contains(doc.ContentHTML, "&amp;") || strings.Contains(doc.ContentHTML, "&ldquo;"))
		count(&naive, !strings.ContainsAny(doc.Published[10:], "Z+-"))
		count(&ascii, !bytes.ContainsFunc(b, func(r rune) bool { return r >= utf8.RuneSelf }))
		count(&indented, bytes.HasPrefix(b, []byte("{\n  ")))
	}
	if avg := total / len(bodies); avg < 3500 || avg > 5500 {
		t.Errorf("average body %d bytes, want about 4 KB", avg)
	}
	for name, got := range map[string]int{"with entities": entities, "naive": naive, "all ASCII (\\u escapes)": ascii, "indented": indented} {
		if got < 100 || got > 1200 {
			t.Errorf("%d of 2000 documents %s", got, name)
		}
	}

	_, short := all(t, corpus.Options{N: 200, Seed: 5, ShortBodies: true})
	total = 0
	for _, b := range short {
		total += len(b)
	}
	if avg := total / len(short); avg > 2000 {
		t.Errorf("short bodies: documents of %d bytes on average", avg)
	}
}

func TestOptions(t *testing.T) {
	for _, opts := range []corpus.Options{
		{N: -1},
		{N: 10, Malformed: 1.5},
		{N: 10, Tags: 3},
		{N: 10, Authors: -1},
	} {
		if _, err := corpus.New(opts); err == nil {
			t.Errorf("New(%+v) accepted", opts)
		}
	}
	// Few names: articles still get distinct ones.
	opts := corpus.Options{N: 300, Seed: 2, Categories: 2, Tags: 6, Authors: 1, Prefix: "in/"}
	g, err := corpus.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range opts.N {
		key, body := g.Doc(i)
		if !strings.HasPrefix(key, "in/") {
			t.Fatalf("key %s", key)
		}
		if _, err := content.Parse(key, body, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Many names.
	g, err = corpus.New(corpus.Options{N: 1, Categories: 60, Tags: 20000, Authors: 3000})
	if err != nil {
		t.Fatal(err)
	}
	for what, names := range map[string][]string{"categories": g.Categories(), "tags": g.Tags(), "authors": g.Authors()} {
		if len(slices.Compact(slices.Sorted(slices.Values(names)))) != len(names) {
			t.Errorf("%d %s are not distinct", len(names), what)
		}
	}
	if !g.Now().Equal(corpus.DefaultNow) {
		t.Errorf("Now %v, want DefaultNow", g.Now())
	}

	stop := errors.New("stop")
	calls := 0
	err = corpus.Generate(corpus.Options{N: 10}, func(string, []byte) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 3 {
		t.Errorf("Generate went on after emit failed: %v, %d calls", err, calls)
	}
	// The same with workers making batches ahead.
	calls = 0
	err = corpus.Generate(corpus.Options{N: 5000, Workers: 3}, func(key string, _ []byte) error {
		calls++
		if calls == 700 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 700 {
		t.Errorf("Generate with workers went on after emit failed: %v, %d calls", err, calls)
	}
	// Workers change nothing but speed.
	k1, b1 := all(t, corpus.Options{N: 1000, Seed: 6, Workers: 1})
	k2, b2 := all(t, corpus.Options{N: 1000, Seed: 6, Workers: 5})
	if digest(k1, b1) != digest(k2, b2) {
		t.Error("Workers changed the documents or their order")
	}
}

// TestNow: the corpus follows Now, and a naive time reads as Meta says in
// the options' zone.
func TestNow(t *testing.T) {
	now := time.Date(2030, 1, 15, 12, 0, 0, 0, time.UTC)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	g, err := corpus.New(corpus.Options{N: 3000, Seed: 9, Now: now, Location: ny})
	if err != nil {
		t.Fatal(err)
	}
	naive := 0
	for i := range 3000 {
		m := g.Meta(i)
		if m.Published.After(now.Add(90*24*time.Hour)) || m.Published.Before(now.AddDate(-3, 0, -2)) {
			t.Fatalf("%s published %v, now %v", m.Key, m.Published, now)
		}
		if !m.Naive {
			continue
		}
		naive++
		key, body := g.Doc(i)
		a, err := content.Parse(key, body, ny)
		if err != nil {
			t.Fatal(err)
		}
		if !a.Published.Equal(m.Published) {
			t.Errorf("%s: published %v, Meta says %v", key, a.Published, m.Published)
		}
	}
	if naive == 0 {
		t.Error("no naive times")
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	folder := store.NewFolder(dir)
	opts := corpus.Options{N: 300, Seed: 4, Workers: 4}
	st, err := corpus.Write(context.Background(), folder, opts)
	if err != nil {
		t.Fatal(err)
	}
	keys, bodies := all(t, opts)
	var size int64
	for _, b := range bodies {
		size += int64(len(b))
	}
	if st.Docs != 300 || st.Changed != 300 || st.Bytes != size {
		t.Errorf("stats %+v, want 300 documents of %d bytes", st, size)
	}
	for i, key := range keys {
		got, err := os.ReadFile(filepath.Join(dir, key))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, bodies[i]) {
			t.Fatalf("%s differs from the generated document", key)
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, "articles"))
	if err != nil || len(entries) != 300 {
		t.Fatalf("%d entries in articles/, %v", len(entries), err)
	}
	// Again: nothing changes.
	st, err = corpus.Write(context.Background(), folder, opts)
	if err != nil || st.Changed != 0 || st.Docs != 300 {
		t.Errorf("rewrite: %+v, %v", st, err)
	}

	// A store that fails: Write stops and says why.
	boom := errors.New("boom")
	st, err = corpus.Write(context.Background(), &failing{after: 10, err: boom}, corpus.Options{N: 1000, Workers: 3})
	if !errors.Is(err, boom) || st.Docs >= 1000 {
		t.Errorf("failing store: %+v, %v", st, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := corpus.Write(ctx, folder, opts); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

type failing struct {
	after int64
	err   error
	n     atomic.Int64
}

func (f *failing) Put(ctx context.Context, o *store.Object) (bool, error) {
	if f.n.Add(1) > f.after {
		return false, f.err
	}
	return true, nil
}

// BenchmarkGenerate generates 100,000 documents in memory, in order: on
// the calling goroutine alone, and with the default workers (GOMAXPROCS).
func BenchmarkGenerate(b *testing.B) {
	for _, workers := range []int{1, 0} {
		name := "workers=" + fmt.Sprint(workers)
		if workers == 0 {
			name = "workers=default"
		}
		b.Run(name, func(b *testing.B) {
			opts := corpus.Options{N: 100_000, Seed: 1, Workers: workers}
			var size int64
			for b.Loop() {
				size = 0
				if err := corpus.Generate(opts, func(_ string, body []byte) error {
					size += int64(len(body))
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(size)
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/100k")
		})
	}
}

// BenchmarkDoc makes one document.
func BenchmarkDoc(b *testing.B) {
	g, err := corpus.New(corpus.Options{N: 1 << 30, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	var size int64
	for b.Loop() {
		_, body := g.Doc(i)
		size += int64(len(body))
		i++
	}
	b.SetBytes(size / int64(max(i, 1)))
}
