// Package corpus generates article documents for benchmarks and tests: any
// number, deterministic from a seed, shaped like a real newsroom's export.
//
// Every document follows the interchange format (the README's "The input")
// and is accepted by content.Parse, except the deliberately malformed ones
// that Options.Malformed asks for. The mix, by default: 20 categories, 2,000
// tags and 300 authors, tags and authors used as Zipf's law says (s = 1.1,
// a few very common, a long tail), categories less unevenly; one category
// (sometimes two), 2–6 tags and 1–2 authors an article; two thirds English,
// a third Chinese or Japanese, names in all three; 2–6 KB HTML bodies with
// paragraphs, links, an image, a list, sometimes entities, sometimes a
// character XML forbids (as old CMS exports carry them); summaries, lead
// images, audio enclosures, sources, rights and unknown fields on some;
// published times over the three years before Now, a fifth of them naive
// local times; about 3% drafts, 1% deleted and 1% embargoed (published
// after Now).
//
// Keys are flat: "articles/<id>.json" (Options.Prefix changes "articles/"),
// the layout the build reads from S3. Ids are unique: "<lang>-<yyyymmdd>-<n>"
// with n the document's index in base 36.
//
// Document i depends only on the options and i: Doc regenerates one alone
// (to edit it in a test), Generate emits them all in index order, Write
// puts them in a store, in parallel.
package corpus

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/feedpub/feedpub/content"
)

// Defaults for the zero values of Options.
const (
	DefaultCategories = 20
	DefaultTags       = 2000
	DefaultAuthors    = 300
	DefaultPrefix     = "articles/"
)

// DefaultNow is the Now of options that give none: a fixed instant, so that
// the zero options give the same corpus forever.
var DefaultNow = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// DefaultLocation is the zone naive local times are written in when the
// options give none: UTC+8, as Asia/Shanghai has been since 1991 (the
// example site's time_zone).
var DefaultLocation = time.FixedZone("UTC+8", 8*3600)

// Options say what to generate. The zero value of each field but N means
// its default.
type Options struct {
	N    int   // documents
	Seed int64 // the same seed and options give the same bytes

	// Now is the instant the corpus is made for: published times fall in
	// the three years before it, embargoes after it. Zero: DefaultNow.
	Now time.Time
	// Location is the zone whose wall clock naive local times are written
	// in; a build should read them in the same zone (the site's time_zone).
	// Nil: DefaultLocation.
	Location *time.Location

	Categories, Tags, Authors int // how many distinct names; 0: the defaults

	// ShortBodies makes bodies one paragraph and an image (about half a
	// kilobyte) instead of 2–6 KB, for tests that want many documents fast.
	ShortBodies bool

	// Malformed is the share (0 to 1) of documents made invalid on purpose:
	// a bad published time, no id, broken JSON, a value of the wrong kind or
	// bytes that are not UTF-8, in turn. Meta says which.
	Malformed float64

	// Prefix starts every key; "": DefaultPrefix.
	Prefix string

	// Workers is how many goroutines make documents: Generate's (0:
	// GOMAXPROCS; 1 makes them on the calling goroutine) and Write's, each
	// making and putting documents (0: 16).
	Workers int
}

// Malformation kinds, as Meta.Malformed names them.
const (
	BadPublished = "bad-published"
	MissingID    = "missing-id"
	BrokenSyntax = "broken-syntax"
	WrongKind    = "wrong-kind"
	InvalidUTF8  = "invalid-utf8"
)

var malformations = []string{BadPublished, MissingID, BrokenSyntax, WrongKind, InvalidUTF8}

type lang uint8

const (
	langEN lang = iota
	langZH
	langJA
)

var langNames = [...]string{langEN: "en", langZH: "zh", langJA: "ja"}

// Generator makes the documents of one set of options. It is safe for
// concurrent use.
type Generator struct {
	opts    Options
	now     time.Time
	loc     *time.Location
	prefix  string
	cats    []string
	tags    []string
	authors []author

	catZipf, tagZipf, authorZipf zipf
}

// New checks opts and prepares the name tables.
func New(opts Options) (*Generator, error) {
	switch {
	case opts.N < 0:
		return nil, fmt.Errorf("corpus: N must not be negative, got %d", opts.N)
	case opts.Categories < 0 || opts.Tags < 0 || opts.Authors < 0:
		return nil, errors.New("corpus: Categories, Tags and Authors must not be negative")
	case !(opts.Malformed >= 0 && opts.Malformed <= 1):
		return nil, fmt.Errorf("corpus: Malformed must be between 0 and 1, got %v", opts.Malformed)
	case opts.Workers < 0:
		return nil, fmt.Errorf("corpus: Workers must not be negative, got %d", opts.Workers)
	}
	g := &Generator{opts: opts, now: opts.Now.Truncate(time.Second), loc: opts.Location, prefix: opts.Prefix}
	if g.now.IsZero() {
		g.now = DefaultNow
	}
	if g.loc == nil {
		g.loc = DefaultLocation
	}
	if g.prefix == "" {
		g.prefix = DefaultPrefix
	}
	nc, nt, na := orDefault(opts.Categories, DefaultCategories), orDefault(opts.Tags, DefaultTags), orDefault(opts.Authors, DefaultAuthors)
	if nt < 6 {
		return nil, fmt.Errorf("corpus: Tags must be at least 6 (articles have up to 6 distinct tags), got %d", nt)
	}
	g.cats, g.tags, g.authors = categoryTable(nc), tagTable(nt), authorTable(na)
	g.catZipf, g.tagZipf, g.authorZipf = newZipf(nc, 0.6), newZipf(nt, 1.1), newZipf(na, 1.1)
	return g, nil
}

func orDefault(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}

// N is the number of documents.
func (g *Generator) N() int { return g.opts.N }

// Now is the instant the corpus is made for.
func (g *Generator) Now() time.Time { return g.now }

// Categories, Tags and Authors return the names, most used first (Tags and
// Authors by Zipf rank). The slices are the generator's: do not modify them.
func (g *Generator) Categories() []string { return g.cats }

// Tags returns the tag names by rank; see Categories.
func (g *Generator) Tags() []string { return g.tags }

// Authors returns the author names by rank; see Categories.
func (g *Generator) Authors() []string {
	out := make([]string, len(g.authors))
	for i, a := range g.authors {
		out[i] = a.name
	}
	return out
}

// Generate emits every document in index order. The body passed to emit is
// emit's to keep. It stops at the first error emit returns.
func Generate(opts Options, emit func(key string, body []byte) error) error {
	g, err := New(opts)
	if err != nil {
		return err
	}
	return g.Generate(emit)
}

// Generate emits every document in index order; see the function Generate.
// Documents are made by Options.Workers goroutines (default GOMAXPROCS) a
// batch at a time, ahead of emit, and emitted in order from the calling
// goroutine.
func (g *Generator) Generate(emit func(key string, body []byte) error) error {
	workers := g.opts.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers <= 1 || g.opts.N <= batchSize {
		for i := range g.opts.N {
			key, body := g.Doc(i)
			if err := emit(key, body); err != nil {
				return err
			}
		}
		return nil
	}

	type batch struct {
		start int
		keys  []string
		docs  [][]byte
		done  chan struct{}
	}
	jobs := make(chan *batch)
	order := make(chan *batch, 2*workers) // the batches under way, in order
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop)
	wg.Add(1)
	go func() { // hands out batches, in order
		defer wg.Done()
		defer close(jobs)
		defer close(order)
		for start := 0; start < g.opts.N; start += batchSize {
			b := &batch{start: start, done: make(chan struct{})}
			select {
			case order <- b:
			case <-stop:
				return
			}
			select {
			case jobs <- b:
			case <-stop:
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				end := min(b.start+batchSize, g.opts.N)
				b.keys, b.docs = make([]string, 0, end-b.start), make([][]byte, 0, end-b.start)
				for i := b.start; i < end; i++ {
					key, body := g.Doc(i)
					b.keys, b.docs = append(b.keys, key), append(b.docs, body)
				}
				close(b.done)
			}
		}()
	}
	for b := range order {
		<-b.done
		for j, key := range b.keys {
			if err := emit(key, b.docs[j]); err != nil {
				return err
			}
		}
	}
	return nil
}

// batchSize is how many documents a worker of Generate makes at a time.
const batchSize = 64

// Doc returns document i (0 <= i < N) of the corpus opts describe. It
// builds the name tables each time: to make many, use New and its Doc.
func Doc(opts Options, i int) (key string, body []byte, err error) {
	g, err := New(opts)
	if err != nil {
		return "", nil, err
	}
	key, body = g.Doc(i)
	return key, body, nil
}

// Doc returns document i. Any i >= 0 gives a document, also past N.
func (g *Generator) Doc(i int) (key string, body []byte) {
	p := g.plan(i)
	return p.key, g.render(&p)
}

// Meta describes a document as generated: what a test expects of it.
type Meta struct {
	Index    int
	Key, ID  string // ID is empty for a MissingID document
	Language string // of the text: "en", "zh" or "ja" (the document's language field may be absent)
	CJK      bool   // Chinese or Japanese

	Status    content.Status
	Published time.Time // the instant, naive times read in Options.Location
	Naive     bool      // published (and updated) written as naive local times
	Updated   bool      // has an updated time

	Categories, Tags, Authors []string

	Title, Summary, Image, Audio bool // which parts the document has
	Stray                        bool // carries characters XML 1.0 forbids

	Malformed string // "" or one of BadPublished, MissingID, ...
}

// Embargoed reports whether the article is published but its time has not
// come at now.
func (m *Meta) Embargoed(now time.Time) bool {
	return m.Malformed == "" && m.Status == content.StatusPublished && m.Published.After(now)
}

// Visible reports whether the article belongs in feeds built at now.
func (m *Meta) Visible(now time.Time) bool {
	return m.Malformed == "" && m.Status == content.StatusPublished && !m.Published.After(now)
}

// Meta describes document i without rendering it.
func (g *Generator) Meta(i int) Meta {
	p := g.plan(i)
	m := Meta{
		Index: i, Key: p.key, ID: p.id, Language: langNames[p.lang], CJK: p.lang != langEN,
		Status: p.status, Published: p.published, Naive: p.naive, Updated: !p.updated.IsZero(),
		Title: p.title, Summary: p.summary, Image: p.image, Audio: p.audio,
		Stray:     p.strayBody || p.strayTitle || p.straySummary,
		Malformed: p.malformed,
	}
	if p.malformed == MissingID {
		m.ID = ""
	}
	for _, c := range p.cats[:p.ncats] {
		m.Categories = append(m.Categories, g.cats[c])
	}
	for _, t := range p.tags[:p.ntags] {
		m.Tags = append(m.Tags, g.tags[t])
	}
	for _, a := range p.authors[:p.nauthors] {
		m.Authors = append(m.Authors, g.authors[a].name)
	}
	return m
}

// plan is everything about a document but its words, drawn from its plan
// stream.
type plan struct {
	index   int
	id, key string
	lang    lang

	status        content.Status
	writeStatus   bool // "status" present although published
	published     time.Time
	updated       time.Time // zero: none
	naive         bool
	layout        string
	zone          *time.Location
	languageField string // "" absent

	cats     [2]int
	ncats    int
	tags     [6]int
	ntags    int
	authors  [2]int
	nauthors int

	title, summary, summaryHTML              bool
	image, audio, rights, extra              bool
	source                                   int // -1: none
	strayBody, strayTitle, straySummary      bool
	entities, asciiOnly, indent, iri, idnURL bool

	malformed string
}

// zones of RFC 3339 times, with their weights in 100.
var zones = []struct {
	loc    *time.Location
	weight int
}{
	{time.FixedZone("", 8*3600), 35},
	{time.UTC, 20},
	{time.FixedZone("", 9*3600), 15},
	{time.FixedZone("", -5*3600), 10},
	{time.FixedZone("", 3600), 10},
	{time.FixedZone("", 19800), 5}, // +05:30
	{time.FixedZone("", -8*3600), 5},
}

const (
	year          = 365 * 24 * time.Hour
	day           = 24 * time.Hour
	rfc3339       = "2006-01-02T15:04:05Z07:00"
	rfc3339Num    = "2006-01-02T15:04:05-07:00" // "+00:00" rather than "Z"
	rfc3339Millis = "2006-01-02T15:04:05.000Z07:00"
	naiveSpace    = "2006-01-02 15:04:05"
	naiveT        = "2006-01-02T15:04:05"
)

func (g *Generator) plan(i int) plan {
	r := newRNG(g.opts.Seed, i, streamPlan)
	p := plan{index: i, source: -1}

	switch x := r.float(); {
	case x < 2.0/3:
		p.lang = langEN
	case x < 2.0/3+0.2:
		p.lang = langZH
	default:
		p.lang = langJA
	}

	// Status and time. Past times end a day before Now and embargoes start
	// a day after it, so that reading naive times in another zone (at most
	// 14 hours away) changes no article's visibility.
	switch x := r.float(); {
	case x < 0.03:
		p.status = content.StatusDraft
	case x < 0.04:
		p.status = content.StatusDeleted
	default:
		p.status = content.StatusPublished
		p.writeStatus = r.chance(0.3)
	}
	if p.status == content.StatusPublished && r.chance(0.0105) { // 1% of all
		p.published = g.now.Add(day + time.Duration(r.intn(int(60*day/time.Second)))*time.Second)
	} else {
		span := 3*year - day
		p.published = g.now.Add(-day - time.Duration(r.intn(int(span/time.Second)))*time.Second)
	}
	if r.chance(0.5) {
		p.published = p.published.Truncate(time.Minute)
	}
	if p.naive = r.chance(0.2); p.naive {
		p.zone = g.loc
		p.layout = naiveSpace
		if r.chance(0.25) {
			p.layout = naiveT
		}
	} else {
		w := r.intn(100)
		for _, z := range zones {
			if w -= z.weight; w < 0 {
				p.zone = z.loc
				break
			}
		}
		p.layout = rfc3339
		switch x := r.float(); {
		case x < 0.05:
			p.layout = rfc3339Millis
		case x < 0.15:
			p.layout = rfc3339Num
		}
	}
	if r.chance(0.25) && !p.published.After(g.now) {
		u := p.published.Add(10*time.Minute + time.Duration(r.intn(int(10*day/time.Second)))*time.Second)
		if u.Before(g.now.Add(-time.Hour)) {
			p.updated = u
		}
	}
	p.published = p.published.In(p.zone)
	p.updated = p.updated.In(p.zone)
	if p.naive {
		// A wall-clock time that occurs twice (when clocks go back) reads
		// as the earlier instant: Meta says what a build reads.
		if t, err := content.ParseTime(p.published.Format(naiveSpace), g.loc); err == nil {
			p.published = t
		}
	}

	switch p.lang {
	case langEN:
		p.languageField = weighted(&r, []string{"en", "en-US", "en-GB", ""}, 50, 20, 10, 20)
	case langZH:
		p.languageField = weighted(&r, []string{"zh-CN", "zh", "zh-Hans", ""}, 60, 10, 10, 20)
	case langJA:
		p.languageField = weighted(&r, []string{"ja", ""}, 80, 20)
	}

	p.id = langNames[p.lang] + "-" + p.published.Format("20060102") + "-" + strconv.FormatInt(int64(i), 36)
	p.key = g.prefix + p.id + ".json"

	// Names: distinct within the article.
	p.ncats = 1
	if r.chance(0.15) && len(g.cats) > 1 {
		p.ncats = 2
	}
	p.ntags = r.between(2, 6)
	p.nauthors = 1
	if r.chance(0.2) && len(g.authors) > 1 {
		p.nauthors = 2
	}
	distinct(&r, g.catZipf, p.cats[:p.ncats])
	distinct(&r, g.tagZipf, p.tags[:p.ntags])
	distinct(&r, g.authorZipf, p.authors[:p.nauthors])

	p.title = !r.chance(0.01)
	p.summary = !p.title || r.chance(0.5)
	p.summaryHTML = p.summary && r.chance(0.1)
	p.image = r.chance(0.6)
	p.audio = r.chance(0.08)
	if r.chance(0.08) {
		p.source = r.intn(len(sources))
	}
	p.rights = r.chance(0.3)
	p.extra = r.chance(0.2)
	p.strayBody = r.chance(0.03)
	p.strayTitle = p.title && r.chance(0.005)
	p.straySummary = p.summary && r.chance(0.005)
	p.entities = r.chance(0.3)
	p.asciiOnly = r.chance(0.1)
	p.indent = r.chance(0.15)
	p.iri = r.chance(0.03)
	p.idnURL = r.chance(0.005)

	if g.opts.Malformed > 0 && r.chance(g.opts.Malformed) {
		p.malformed = pick(&r, malformations)
	}
	return p
}

func weighted(r *rng, values []string, weights ...int) string {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := r.intn(total)
	for i, w := range weights {
		if x -= w; x < 0 {
			return values[i]
		}
	}
	return values[len(values)-1]
}

// distinct fills out with distinct ranks drawn from z. With few ranks left
// to choose from it falls back to the next unused rank.
func distinct(r *rng, z zipf, out []int) {
	for i := range out {
		k := z.draw(r)
		for try := 0; try < 16 && contains(out[:i], k); try++ {
			k = z.draw(r)
		}
		for contains(out[:i], k) {
			k = (k + 1) % len(z.cdf)
		}
		out[i] = k
	}
}

func contains(list []int, k int) bool {
	for _, x := range list {
		if x == k {
			return true
		}
	}
	return false
}
