// Package catalog is what a build knows of every article document and of
// every feed it published, persisted in the output store so that the next
// build reads only what changed.
//
// The catalog is a head (small: the feed list, counts, rejections,
// embargoes, where every shard is) and four families of shards, each
// family split by a hash into the same number of shards:
//
//	docs   one entry per document key: its store version and hash, and the
//	       facts selection needs (id, status, dates, labels) or why it
//	       was rejected
//	ids    article id -> the keys of the documents that carry it, so that
//	       duplicates are found without a listing
//	feeds  one entry per feed: how many visible articles hold it, how
//	       they spell its label, its newest members, what was published
//	pages  one entry per archive page of a feed (RFC 5005): every member
//	       published in its period, and what was published of it
//
// A build reads the head and the journal beside it (what builds committed
// since the shards were written; see MaxJournal), then only the shards of
// the keys, ids, feeds and pages it touches. Shards alternate between two slots, and the head names the
// slot in use, so a build that stops half-way never changes the state the
// committed head describes; only the holder of the head's claim writes
// (see Claim).
package catalog

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/content/store"
)

// FormatVersion is the version of the persisted format; a catalog of
// another version is not read (the build starts afresh).
const FormatVersion = 5

// Store is where the catalog is persisted: the output store.
type Store interface {
	Get(ctx context.Context, key string) (*store.Object, error)
	Write(ctx context.Context, o *store.Object) (version string, err error)
	// WriteAll writes many objects as Write does, each atomically,
	// durable when it returns nil (store.Bucket's contract).
	WriteAll(ctx context.Context, objs []*store.Object) (versions []string, err error)
	PutIf(ctx context.Context, o *store.Object, ifMatch string) (version string, err error)
}

// Doc is what the catalog knows of one article document.
type Doc struct {
	Key      string            `json:"key"`
	Size     int64             `json:"size"`
	ModTime  int64             `json:"mtime,omitempty"`   // Unix nanoseconds, as the store listed it
	Version  string            `json:"version,omitempty"` // the store's version (an S3 ETag), when it lists one
	Hash     string            `json:"hash"`              // SHA-256 of the document's bytes
	Article  *Facts            `json:"article,omitempty"` // set when the document was accepted
	Problems []content.Problem `json:"problems,omitempty"`
	// Role is what the document counts as: "" (rejected, or a duplicate
	// that lost), or its article's state as the last build judged it.
	Role Role `json:"role,omitempty"`
}

// Role is what an accepted document counts as.
type Role string

// The roles; only RolePublished documents are in feeds.
const (
	RoleNone      Role = ""
	RolePublished Role = "published"
	RoleEmbargoed Role = "embargoed"
	RoleDraft     Role = "draft"
	RoleDeleted   Role = "deleted"
)

// RoleAt is the role of the winning document of an id at time now.
func (f *Facts) RoleAt(now time.Time) Role {
	switch {
	case f.Status == content.StatusDraft:
		return RoleDraft
	case f.Status == content.StatusDeleted:
		return RoleDeleted
	case f.Published > now.Unix():
		return RoleEmbargoed
	}
	return RolePublished
}

// Add counts one document of role r (n = 1) or takes one away (n = -1).
func (c *Counts) Add(r Role, n int) {
	switch r {
	case RolePublished:
		c.Published += n
	case RoleEmbargoed:
		c.Embargoed += n
	case RoleDraft:
		c.Drafts += n
	case RoleDeleted:
		c.Deleted += n
	default:
		return
	}
	c.Accepted += n
}

// Facts are an accepted document's facts that selection needs.
type Facts struct {
	ID         string         `json:"id"`
	Status     content.Status `json:"status"`
	Published  int64          `json:"published"` // Unix seconds
	Updated    int64          `json:"updated"`
	Categories []string       `json:"categories,omitempty"`
	Tags       []string       `json:"tags,omitempty"`
	Authors    []string       `json:"authors,omitempty"` // names
}

// FactsOf returns a's facts.
func FactsOf(a *content.Article) *Facts {
	f := &Facts{ID: a.ID, Status: a.Status, Published: a.Published.Unix(), Updated: a.Updated.Unix(),
		Categories: a.Categories, Tags: a.Tags}
	for _, au := range a.Authors {
		f.Authors = append(f.Authors, au.Name)
	}
	return f
}

// Visible reports whether the article may appear in feeds at time now.
func (f *Facts) Visible(now time.Time) bool {
	return f.Status == content.StatusPublished && f.Published <= now.Unix()
}

// Newer reports whether document a wins over document b, both carrying the
// same id: the one updated last wins, and between equals the one with the
// smaller key. This is the one rule for duplicate ids, whatever either
// document's status: a newer copy marked draft or deleted hides the article.
func Newer(a, b *Doc) bool {
	if a.Article.Updated != b.Article.Updated {
		return a.Article.Updated > b.Article.Updated
	}
	return a.Key < b.Key
}

// Member is one article of a feed, as the feed orders them.
type Member struct {
	Key       string `json:"key"`
	ID        string `json:"id"`
	Published int64  `json:"published"`
	Updated   int64  `json:"updated"`
	Hash      string `json:"hash"` // of the document, shortened: a change of it is a change of the item
}

// Before orders feed items: newest publication first, then newest change,
// then id, so that the order never depends on the input's.
func Before(a, b Member) bool {
	if a.Published != b.Published {
		return a.Published > b.Published
	}
	if a.Updated != b.Updated {
		return a.Updated > b.Updated
	}
	return a.ID < b.ID
}

// Feed is what the catalog keeps of one feed.
type Feed struct {
	Name      string         `json:"name"`
	Kind      string         `json:"kind"`
	Count     int            `json:"count"`               // visible articles that hold it
	Spellings map[string]int `json:"spellings,omitempty"` // its label as those articles spell it
	// Head is its newest members, at most the site's item limit plus a
	// margin, so that an article leaving the feed lets the next one in
	// without a look at the others. When Count exceeds len(Head) there are
	// members beyond it.
	Head []Member `json:"head"`
	// Published is what the last build published of it.
	Published Published `json:"published"`
	// Pages counts its members by archive page (see Page): every page
	// with members is one the feed's archive holds.
	Pages map[string]int `json:"pages,omitempty"`
}

// Page is one archive page of a feed: all its members published in one
// period ("2026-01", as the site's archive periods name it), newest first.
// An article's page follows from the article alone, so a change to it
// changes only the page that holds it.
type Page struct {
	Feed    string   `json:"feed"`
	Name    string   `json:"name"`
	Members []Member `json:"members"`
	// Published is what the last build published of it.
	Published Published `json:"published"`
}

// PageKey names page of feed in the pages family.
func PageKey(feed, page string) string { return feed + "\n" + page }

// Insert adds m to the page in order.
func (p *Page) Insert(m Member) {
	i := sort.Search(len(p.Members), func(i int) bool { return !Before(p.Members[i], m) })
	p.Members = append(p.Members, Member{})
	copy(p.Members[i+1:], p.Members[i:])
	p.Members[i] = m
}

// Remove takes the member with key out of the page, if it is there.
func (p *Page) Remove(key string) {
	for i, m := range p.Members {
		if m.Key == key {
			p.Members = append(p.Members[:i], p.Members[i+1:]...)
			return
		}
	}
}

// Published is what a build wrote of one feed.
type Published struct {
	Title   string    `json:"title,omitempty"`
	Updated int64     `json:"updated"`
	Items   [3]int    `json:"items"`  // items in each format (fewer than the members shown when the byte budget cut some)
	Hashes  [3]string `json:"hashes"` // SHA-256 of each format's bytes
	Input   string    `json:"input"`  // hash of what they were rendered from: title, dates, members
	// Shown is the Hash of each member shown, in order: an item of the
	// published outputs may be reused only for the same document version.
	Shown   []string `json:"shown,omitempty"`
	Retired int64    `json:"retired,omitempty"` // when it lost its last item (Unix seconds); 0 while it has items
	// Pages are the feed's archive pages published, oldest first.
	Pages []string `json:"pages,omitempty"`
}

// Insert adds m to the head in order, keeping at most max members. Call
// it before counting m in Count: a head that lacks members beyond its end
// (Count > len(Head)) stays the newest members only if m lands before
// its end.
func (f *Feed) Insert(m Member, max int) {
	i := sort.Search(len(f.Head), func(i int) bool { return !Before(f.Head[i], m) })
	if i >= max || i == len(f.Head) && f.Count > len(f.Head) {
		return
	}
	f.Head = append(f.Head, Member{})
	copy(f.Head[i+1:], f.Head[i:])
	f.Head[i] = m
	if len(f.Head) > max {
		f.Head = f.Head[:max]
	}
}

// Remove takes the member with key out of the head, if it is there.
func (f *Feed) Remove(key string) {
	for i, m := range f.Head {
		if m.Key == key {
			f.Head = append(f.Head[:i], f.Head[i+1:]...)
			return
		}
	}
}

// Label is the feed's label as most of its articles spell it (ties: the
// smallest spelling).
func (f *Feed) Label() string {
	best, n := "", 0
	for s, c := range f.Spellings {
		if c > n || (c == n && s < best) {
			best, n = s, c
		}
	}
	return best
}

// Head is the catalog's root.
type Head struct {
	Format   int    `json:"format"`
	Site     string `json:"site"`     // hash of the site definition the catalog was built for
	Renderer string `json:"renderer"` // the renderers' version
	Shards   int    `json:"shards"`   // of documents; other families have more (spread)
	// Slots names, per family, the slot (0 or 1) each shard is in, or -1
	// for an empty shard.
	Slots map[string][]int8 `json:"slots"`
	// Feeds, Embargoed and Rejected, the lists that grow with the site,
	// are kept in an object of their own (ListsKey), gzip-coded, written
	// only by a commit that changes them: a claim rewrites the head
	// without them. (A head of format 3 or before held them itself.)
	Feeds     []FeedRef                    `json:"feeds,omitempty"` // every feed published, by name
	Embargoed []Member                     `json:"embargoed,omitempty"`
	Rejected  map[string][]content.Problem `json:"rejected,omitempty"` // by key: documents that could not be parsed
	ListsKey  string                       `json:"lists_key,omitempty"`
	Counts    Counts                       `json:"counts"`
	Pages     map[string]string            `json:"pages,omitempty"` // key -> hash of the index page and OPML list written
	Claim     *Claim                       `json:"claim,omitempty"`
	Gen       int64                        `json:"gen"` // commits so far
	// Listed is when the last listing was taken (Unix nanoseconds, the
	// real clock): a file modified that close to it may have changed
	// again unseen, so the next listing reads it again.
	Listed int64 `json:"listed,omitempty"`
	// Now is the clock of the last build (Unix seconds).
	Now int64 `json:"now,omitempty"`
	// JournalKey names the journal (see MaxJournal): what builds committed
	// since the shards were last written, which a build applies to the
	// shards it reads; "" when it is empty. Journal is the journal as
	// read, or as this build changed it.
	JournalKey string `json:"journal_key,omitempty"`
	Journal    Delta  `json:"-"`
}

// FeedRef is one published feed, as the index page, the OPML list and the
// report show it.
type FeedRef struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Title   string `json:"title"`
	Items   int    `json:"items"`
	Dropped int    `json:"dropped,omitempty"`
	Updated int64  `json:"updated"`
	Retired int64  `json:"retired,omitempty"` // when it lost its last item (Unix seconds); 0 while it has items
}

// Counts sorts the documents the catalog knows.
type Counts struct {
	Documents int `json:"documents"`
	Accepted  int `json:"accepted"` // parsed, one per id
	Published int `json:"published"`
	Embargoed int `json:"embargoed"`
	Drafts    int `json:"drafts"`
	Deleted   int `json:"deleted"`
}

// Claim is a build's hold on the catalog while it writes: the head is
// rewritten with it, conditionally, before any shard or output is written,
// so that two builds never write at once. A claim older than its expiry,
// or made on this machine by a process that is gone (see Owner), is a
// build that died: the next build takes the catalog over and renders again
// every output the claim names.
type Claim struct {
	Build   string    `json:"build"`
	Expires time.Time `json:"expires"`
	Outputs []string  `json:"outputs"`         // keys the build meant to write
	Owner   *Owner    `json:"owner,omitempty"` // the process that made it, when the system says
}

// Families of shards.
const (
	FamilyDocs  = "docs"
	FamilyIDs   = "ids"
	FamilyFeeds = "feeds"
	FamilyPages = "pages"
)

var families = [...]string{FamilyDocs, FamilyIDs, FamilyFeeds, FamilyPages}

// ShardsFor is the number of shards for a catalog of n documents: about
// 500 documents a shard, a power of two, at most 4096.
func ShardsFor(n int) int {
	s := 1
	for s < 4096 && n/s > 500 {
		s *= 2
	}
	return s
}

// shardOf is the shard of name among n.
func shardOf(name string, n int) int {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return int(h.Sum64() % uint64(n))
}

// ShardKey is the key of shard i of family in slot.
func ShardKey(family string, i int, slot int8) string {
	return "catalog/" + family + "/" + strconv.Itoa(i) + "." + string('a'+rune(slot)) + ".gob.gz"
}

// Errors of the catalog, checked with errors.Is.
var (
	// ErrBusy: another build holds the catalog.
	ErrBusy = errors.New("catalog: another build holds the catalog")
	// ErrLost: the head changed under this build (another build committed
	// or took over); nothing of it was committed.
	ErrLost = errors.New("catalog: another build changed the catalog first")
	// ErrCorrupt: a shard the head names is missing or unreadable; only a
	// full build can make the catalog again.
	ErrCorrupt = errors.New("catalog: a shard is missing or unreadable")
)

type shardFile[T any] struct {
	Format  int `json:"format"`
	Entries []T `json:"entries"`
}

// Shards are gob streams, gzip-coded (fastest level): a build that lists
// the corpus reads every document shard, and gob decodes them several
// times faster than JSON (the head, which people read, stays JSON); an
// event reads and writes the shards of what it changes, and their keys
// and ids, alike from one entry to the next, take a third of the bytes
// coded.
func decodeShard[T any](key string, stored []byte) ([]T, error) {
	body, err := gunzip(stored)
	if err != nil {
		return nil, fmt.Errorf("catalog: %s: %w", key, err)
	}
	var f shardFile[T]
	if err := gob.NewDecoder(bytes.NewReader(body)).Decode(&f); err != nil {
		return nil, fmt.Errorf("catalog: %s: %w", key, err)
	}
	if f.Format != FormatVersion {
		return nil, fmt.Errorf("catalog: %s: format %d, want %d", key, f.Format, FormatVersion)
	}
	return f.Entries, nil
}

func encodeShard[T any](entries []T) ([]byte, error) {
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(shardFile[T]{Format: FormatVersion, Entries: entries})
	return gzipped(buf.Bytes(), gzip.BestSpeed), err
}
