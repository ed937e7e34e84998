package feed

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/feed/layout"
)

// Kind is the set a feed belongs to.
type Kind string

// The feed sets.
const (
	KindSite     Kind = "site"
	KindCategory Kind = "category"
	KindTag      Kind = "tag"
	KindAuthor   Kind = "author"
)

// Feed is one feed, ready to render in every format.
type Feed struct {
	Name    string // "index", "category/热点": the path under feeds/, without extension
	Kind    Kind
	Label   string // the category, tag or author name the feed is about
	Title   string
	Site    *Site
	Items   []*content.Article // newest first
	Updated time.Time          // newest change among Items
	// Count is how many items the feed publishes when Items is not set: a
	// feed as the pages that list feeds know it.
	Count int
	// Archives (RFC 5005): on an archive page, Page names the page and
	// Prev and Next its older and newer neighbours ("" for none); on a
	// subscription feed, Prev names its newest archive page.
	Page, Prev, Next string

	prep *preparer // shared by the feeds of one Plan
}

// Format is one of the three feed formats.
type Format struct {
	Ext         string // "rss", "atom", "json"
	ContentType string
	Render      func(w io.Writer, f *Feed) error
}

// Key is the object key of the feed in the given format, e.g. "feeds/index.rss".
func (f *Feed) Key(ext string) string { return layout.FeedKey(f.Name, ext) }

// URL is the public URL of the feed in the given format. Every path segment
// is percent-encoded, so names in any script give working URLs.
func (f *Feed) URL(ext string) string { return layout.FeedURL(f.Site.BaseURL, f.Name, ext) }

// SelfURL is the URL of the document in the given format: the feed's, or
// its archive page's.
func (f *Feed) SelfURL(ext string) string {
	if f.Page != "" {
		return f.PageURL(f.Page, ext)
	}
	return f.URL(ext)
}

// PageURL is the URL of the feed's archive page in the given format.
func (f *Feed) PageURL(page, ext string) string {
	return layout.ArchiveURL(f.Site.BaseURL, f.Name, page, ext)
}

// PreviewURL is the URL of the feed's HTML preview page, for people, or ""
// on archive pages and when the site has no previews. The feeds link it as
// "related": RFC 4287 allows one alternate link of a type, and that one is
// the site's.
func (f *Feed) PreviewURL() string {
	if f.Page != "" || !f.Site.HasPreviews() {
		return ""
	}
	return layout.PreviewURL(f.Site.BaseURL, f.Name)
}

// archiveLinks calls link for each RFC 5005 link of f's document in format
// ext: current (an archive page's subscription feed), prev-archive and
// next-archive.
func (f *Feed) archiveLinks(ext string, link func(rel, href string)) {
	if f.Page != "" {
		link("current", f.URL(ext))
	}
	if f.Prev != "" {
		link("prev-archive", f.PageURL(f.Prev, ext))
	}
	if f.Next != "" {
		link("next-archive", f.PageURL(f.Next, ext))
	}
}

// HistoryNS is the namespace of RFC 5005's elements.
const HistoryNS = "http://purl.org/syndication/history/1.0"

// ID is the feed's stable Atom id.
func (f *Feed) ID() string { return uuidURN(f.Site.URL, "feed:"+f.Name) }

// ItemID is the stable id of an article in every format: RSS guid, Atom id
// and JSON Feed id. It derives from the site and the article's id only, so
// editing an article never changes it.
func ItemID(s *Site, a *content.Article) string { return uuidURN(s.URL, "article:"+a.ID) }

// uuidURN returns a name-based (version 5, SHA-1) UUID URN for name within
// the site, as RFC 9562 defines it, with the URL namespace.
func uuidURN(site, name string) string {
	var in [256]byte
	data := append(in[:0], 0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8)
	data = append(append(append(data, site...), '#'), name...)
	u := sha1.Sum(data)
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	out := [45]byte{'u', 'r', 'n', ':', 'u', 'u', 'i', 'd', ':'}
	j := 9
	for i, c := range u[:16] {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexDigits[c>>4], hexDigits[c&0xf]
		j += 2
	}
	return string(out[:])
}

// Select returns the articles that may appear in feeds at time now: published,
// embargo passed, one per id (the latest update wins), newest first.
func Select(articles []*content.Article, now time.Time) []*content.Article {
	byID := make(map[string]*content.Article, len(articles))
	for _, a := range articles {
		if !a.Visible(now) {
			continue
		}
		if b, ok := byID[a.ID]; !ok || newer(a, b) {
			byID[a.ID] = a
		}
	}
	out := make([]*content.Article, 0, len(byID))
	for _, a := range byID {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return before(out[i], out[j]) })
	return out
}

func newer(a, b *content.Article) bool {
	if !a.Updated.Equal(b.Updated) {
		return a.Updated.After(b.Updated)
	}
	return a.Key < b.Key
}

// before orders feed items: newest publication first, then newest change,
// then id, so that the order never depends on the input's.
func before(a, b *content.Article) bool {
	if !a.Published.Equal(b.Published) {
		return a.Published.After(b.Published)
	}
	if !a.Updated.Equal(b.Updated) {
		return a.Updated.After(b.Updated)
	}
	return a.ID < b.ID
}

// Plan returns every feed the site publishes from the visible articles
// (as returned by Select), each cut to the site's item limit.
func Plan(s *Site, visible []*content.Article) []*Feed {
	var feeds []*Feed
	if s.Feeds.Site {
		feeds = append(feeds, &Feed{Name: "index", Kind: KindSite, Title: s.Title, Items: visible})
	}
	if s.Feeds.Categories {
		feeds = append(feeds, group(KindCategory, visible, 1, func(a *content.Article) []string { return a.Categories })...)
	}
	if s.Feeds.Tags {
		feeds = append(feeds, group(KindTag, visible, s.Feeds.TagMinArticles, func(a *content.Article) []string { return a.Tags })...)
	}
	if s.Feeds.Authors {
		feeds = append(feeds, group(KindAuthor, visible, 1, func(a *content.Article) []string {
			names := make([]string, len(a.Authors))
			for i, au := range a.Authors {
				names[i] = au.Name
			}
			return names
		})...)
	}
	var newest time.Time
	for _, a := range visible {
		if a.Updated.After(newest) {
			newest = a.Updated
		}
	}
	prep := newPreparer(s)
	for _, f := range feeds {
		f.Site = s
		f.prep = prep
		if f.Kind != KindSite {
			f.Title = s.Title + " · " + f.Label
		}
		if len(f.Items) > s.Limit {
			f.Items = f.Items[:s.Limit]
		}
		f.Updated = updated(f.Items, newest)
	}
	return feeds
}

// updated is the newest change among items; an empty feed takes the site's
// newest change, so that it too depends on the content and never on the clock.
func updated(items []*content.Article, fallback time.Time) time.Time {
	var t time.Time
	for _, a := range items {
		if a.Updated.After(t) {
			t = a.Updated
		}
	}
	if t.IsZero() {
		t = fallback
	}
	if t.IsZero() {
		t = time.Unix(0, 0).UTC()
	}
	return t
}

// group makes one feed per distinct label (labels that differ only in case,
// width or Unicode form are one), in the order of their names.
func group(kind Kind, visible []*content.Article, min int, labels func(*content.Article) []string) []*Feed {
	type bucket struct {
		items    []*content.Article
		spelling map[string]int
	}
	buckets := map[string]*bucket{}
	for _, a := range visible { // newest first, so each bucket stays in order
		seen := map[string]bool{}
		for _, l := range labels(a) {
			slug := Slug(l)
			if seen[slug] {
				continue
			}
			seen[slug] = true
			b := buckets[slug]
			if b == nil {
				b = &bucket{spelling: map[string]int{}}
				buckets[slug] = b
			}
			b.items = append(b.items, a)
			b.spelling[l]++
		}
	}
	var feeds []*Feed
	for slug, b := range buckets {
		if len(b.items) < min {
			continue
		}
		feeds = append(feeds, &Feed{Name: string(kind) + "/" + slug, Kind: kind, Label: commonest(b.spelling), Items: b.items})
	}
	sort.Slice(feeds, func(i, j int) bool { return feeds[i].Name < feeds[j].Name })
	return feeds
}

func commonest(counts map[string]int) string {
	best, n := "", 0
	for s, c := range counts {
		if c > n || (c == n && s < best) {
			best, n = s, c
		}
	}
	return best
}

const maxSlugBytes = 80

// Slug turns a category, tag or author name into a stable feed name in any
// script: Unicode compatibility-normalised, lower-cased, letters, marks and
// digits kept, every other run folded to one '-'. "热点" stays "热点",
// "Tech & Science" becomes "tech-science". A name with no letter or digit at
// all (an emoji) gets a name from its hash.
func Slug(label string) string {
	if s, ok := slugs.Load(label); ok {
		return s.(string)
	}
	s := slug(label)
	if slugCount.Add(1) <= maxSlugs {
		slugs.Store(label, s)
	}
	return s
}

// Slugs already made, by label: a site has few distinct labels, named by
// many articles, and normalising them is most of what selection costs.
// The memo stops growing at maxSlugs labels (hostile input has many).
var (
	slugs     sync.Map
	slugCount atomic.Int64
)

const maxSlugs = 1 << 16

func slug(label string) string {
	folded := strings.ToLower(norm.NFKC.String(label))
	var b strings.Builder
	dash := false
	for _, r := range folded {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc) {
			sep := dash && b.Len() > 0
			dash = false
			n := utf8.RuneLen(r)
			if sep {
				n++
			}
			if b.Len()+n > maxSlugBytes { // cut whole, never leaving a trailing '-'
				break
			}
			if sep {
				b.WriteByte('-')
			}
			b.WriteRune(r)
		} else {
			dash = true
		}
	}
	if b.Len() == 0 {
		sum := sha256.Sum256([]byte(folded))
		return "x" + hex.EncodeToString(sum[:4])
	}
	return b.String()
}

// Formats are the three formats every feed is published in.
var Formats = []Format{
	{Ext: "rss", ContentType: "application/rss+xml; charset=utf-8", Render: RSS},
	{Ext: "atom", ContentType: "application/atom+xml; charset=utf-8", Render: Atom},
	{Ext: "json", ContentType: "application/feed+json; charset=utf-8", Render: JSON},
}

func (k Kind) String() string { return string(k) }

// Len is the number of items the feed publishes.
func (f *Feed) Len() int {
	if f.Items == nil {
		return f.Count
	}
	return len(f.Items)
}
