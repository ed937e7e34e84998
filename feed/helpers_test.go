package feed_test

// The fixture every test renders (testdata/site.yaml and
// testdata/articles/*.json, read the way a build reads them) and checkFeed,
// which runs independent parsers over every feed a test produces.

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/feedcheck"
)

var update = flag.Bool("update", false, "rewrite golden files")

// now is when the tests build: after every fixture article but
// embargoed.json, which is published at embargoEnds.
var (
	now         = time.Date(2024, 5, 20, 0, 0, 0, 0, time.UTC)
	embargoEnds = time.Date(2024, 6, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
)

// IDs of the fixture articles that must never reach a feed at now.
var hiddenIDs = []string{"draft-outlook", "deleted-report", "embargoed-address"}

// loadSite reads testdata/site.yaml.
func loadSite(t testing.TB) *feed.Site {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "site.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := feed.ParseSite(data)
	if err != nil {
		t.Fatalf("ParseSite(testdata/site.yaml): %v", err)
	}
	return s
}

// loadArticles parses every testdata/articles/*.json in the site's zone, in
// name order, keyed as a build keys them ("articles/<name>").
func loadArticles(t testing.TB, s *feed.Site) []*content.Article {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "articles", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no fixture articles in testdata/articles")
	}
	var out []*content.Article
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		a, err := content.Parse("articles/"+filepath.Base(p), data, s.Location)
		if err != nil {
			t.Fatalf("fixture %s: %v", p, err)
		}
		out = append(out, a)
	}
	return out
}

// fixture is the test site and all its articles, hidden ones included.
func fixture(t testing.TB) (*feed.Site, []*content.Article) {
	t.Helper()
	s := loadSite(t)
	return s, loadArticles(t, s)
}

// planAt is what a build at time at publishes: Select, then Plan.
func planAt(s *feed.Site, articles []*content.Article, at time.Time) []*feed.Feed {
	return feed.Plan(s, feed.Select(articles, at))
}

func byName(t testing.TB, feeds []*feed.Feed, name string) *feed.Feed {
	t.Helper()
	for _, f := range feeds {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no feed %q among %v", name, names(feeds))
	return nil
}

func names(feeds []*feed.Feed) []string {
	out := make([]string, len(feeds))
	for i, f := range feeds {
		out[i] = f.Name
	}
	return out
}

func itemIDs(items []*content.Article) []string {
	out := make([]string, len(items))
	for i, a := range items {
		out[i] = a.ID
	}
	return out
}

// format returns the feed format with extension ext.
func format(t testing.TB, ext string) feed.Format {
	t.Helper()
	for _, f := range feed.Formats {
		if f.Ext == ext {
			return f
		}
	}
	t.Fatalf("no format %q", ext)
	return feed.Format{}
}

// render writes f in the format with extension ext, runs checkFeed on the
// result and checks that it carries f's items (checkItems).
func render(t testing.TB, ext string, f *feed.Feed) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := format(t, ext).Render(&buf, f); err != nil {
		t.Fatalf("render %s.%s: %v", f.Name, ext, err)
	}
	parsed := checkFeed(t, ext, buf.Bytes())
	checkItems(t, ext, parsed, f)
	return buf.Bytes()
}

// renderOPML writes the subscription list of feeds and runs checkFeed on it.
func renderOPML(t testing.TB, s *feed.Site, feeds []*feed.Feed) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := feed.OPML(&buf, s, feeds); err != nil {
		t.Fatalf("OPML: %v", err)
	}
	checkFeed(t, "opml", buf.Bytes())
	checkOPMLFeeds(t, buf.Bytes(), s, feeds)
	return buf.Bytes()
}

// checkFeed runs independent parsers over one document of the given format
// ("rss", "atom", "json" or "opml"): encoding/xml in strict mode to EOF and
// xmllint for XML, the format's structural rules (RSS 2.0, RFC 4287, JSON
// Feed 1.1, OPML 2.0) and, except for OPML, gofeed, whose result it returns.
func checkFeed(t testing.TB, format string, body []byte) *gofeed.Feed {
	t.Helper()
	switch format {
	case "rss", "atom", "opml":
		if err := feedcheck.WellFormed(body); err != nil {
			t.Fatalf("%s: encoding/xml: %v\n%s", format, err, body)
		}
		xmllint(t, format, body)
	}
	switch format {
	case "rss":
		checkRSS(t, body)
	case "atom":
		checkAtom(t, body)
	case "json":
		checkJSONFeed(t, body)
	case "opml":
		checkOPML(t, body)
		return nil
	default:
		t.Fatalf("checkFeed: unknown format %q", format)
	}
	parsed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: gofeed: %v\n%s", format, err, body)
	}
	if parsed.FeedType != format {
		t.Fatalf("%s: gofeed read it as %q", format, parsed.FeedType)
	}
	return parsed
}

// linted holds the SHA-256 of every document xmllint has accepted, so that
// tests that render the same bytes again (determinism) run it once.
var linted sync.Map

// xmllint checks that libxml2 reads body as a well-formed document.
func xmllint(t testing.TB, format string, body []byte) {
	t.Helper()
	sum := sha256.Sum256(body)
	if _, ok := linted.Load(sum); ok {
		return
	}
	if err := feedcheck.Lint(body); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	linted.Store(sum, true)
}

// RSS 2.0, as far as the tests read it.
type rssDoc struct {
	XMLName xml.Name `xml:"rss"`
	Version string   `xml:"version,attr"`
	Channel struct {
		Title         []string  `xml:"title"`
		Links         []xmlLink `xml:"link"` // <link> and <atom:link>
		Description   []string  `xml:"description"`
		LastBuildDate string    `xml:"lastBuildDate"`
		Items         []rssItem `xml:"item"`
	} `xml:"channel"`
}

type rssItem struct {
	Title       string `xml:"title"`
	Link        string `xml:"link"`
	Description string `xml:"description"`
	GUID        struct {
		Value     string `xml:",chardata"`
		PermaLink string `xml:"isPermaLink,attr"`
	} `xml:"guid"`
	PubDate   string `xml:"pubDate"`
	Author    string `xml:"author"`
	Enclosure []struct {
		URL    string `xml:"url,attr"`
		Length string `xml:"length,attr"`
		Type   string `xml:"type,attr"`
	} `xml:"enclosure"`
}

type xmlLink struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
	Rel     string `xml:"rel,attr"`
	Type    string `xml:"type,attr"`
	Href    string `xml:"href,attr"`
	Length  string `xml:"length,attr"`
}

// checkRSS checks RSS 2.0's required elements and the RSS Advisory Board's
// rules that the renderer follows.
func checkRSS(t testing.TB, body []byte) rssDoc {
	t.Helper()
	var doc rssDoc
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("rss: %v", err)
	}
	ch := doc.Channel
	if doc.Version != "2.0" {
		t.Errorf("rss: got version %q, want 2.0", doc.Version)
	}
	var links []string
	var self []xmlLink
	for _, l := range ch.Links {
		switch l.XMLName.Space {
		case "":
			links = append(links, l.Value)
		case atomNS:
			self = append(self, l)
		default:
			t.Errorf("rss: unexpected channel element %v", l.XMLName)
		}
	}
	if len(ch.Title) != 1 || len(links) != 1 || len(ch.Description) != 1 || ch.Title[0] == "" || ch.Description[0] == "" {
		t.Errorf("rss: channel needs one non-empty title, link and description, got %q, %q, %q", ch.Title, links, ch.Description)
	} else {
		absolute(t, "rss: channel link", links[0])
	}
	if _, err := time.Parse(time.RFC1123Z, ch.LastBuildDate); err != nil {
		t.Errorf("rss: lastBuildDate: %v", err)
	}
	var selves int
	for _, l := range self {
		absolute(t, "rss: atom:link "+l.Rel, l.Href)
		if l.Rel == "self" {
			selves++
			if l.Type != "application/rss+xml" {
				t.Errorf("rss: atom:link rel=self has type %q, want application/rss+xml", l.Type)
			}
		}
	}
	if selves != 1 {
		t.Errorf("rss: got atom:link %+v, want one rel=self", self)
	}
	guids := map[string]bool{}
	for i, it := range ch.Items {
		if it.Title == "" && it.Description == "" {
			t.Errorf("rss: item %d has neither title nor description", i)
		}
		if it.GUID.Value == "" || guids[it.GUID.Value] {
			t.Errorf("rss: item %d: got guid %q, want a unique one", i, it.GUID.Value)
		}
		guids[it.GUID.Value] = true
		if it.GUID.PermaLink != "false" {
			t.Errorf("rss: item %d: got isPermaLink %q, want false (the guid is a URN)", i, it.GUID.PermaLink)
		}
		if _, err := time.Parse(time.RFC1123Z, it.PubDate); err != nil {
			t.Errorf("rss: item %d: pubDate: %v", i, err)
		}
		if len(it.Enclosure) > 1 {
			t.Errorf("rss: item %d: got %d enclosures, want at most one", i, len(it.Enclosure))
		}
		for _, e := range it.Enclosure {
			if e.URL == "" || e.Type == "" || e.Length == "" {
				t.Errorf("rss: item %d: enclosure %+v lacks url, length or type", i, e)
			}
		}
	}
	return doc
}

const atomNS = "http://www.w3.org/2005/Atom"

// Atom 1.0, decoded with every element's namespace checked.
type atomFeed struct {
	XMLName  xml.Name     `xml:"http://www.w3.org/2005/Atom feed"`
	ID       []string     `xml:"http://www.w3.org/2005/Atom id"`
	Title    []string     `xml:"http://www.w3.org/2005/Atom title"`
	Updated  []string     `xml:"http://www.w3.org/2005/Atom updated"`
	Links    []xmlLink    `xml:"http://www.w3.org/2005/Atom link"`
	Authors  []atomPerson `xml:"http://www.w3.org/2005/Atom author"`
	Entries  []atomEntry  `xml:"http://www.w3.org/2005/Atom entry"`
	Language string       `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
}

type atomPerson struct {
	Name  []string `xml:"http://www.w3.org/2005/Atom name"`
	Email string   `xml:"http://www.w3.org/2005/Atom email"`
	URI   string   `xml:"http://www.w3.org/2005/Atom uri"`
}

type atomEntry struct {
	ID        []string     `xml:"http://www.w3.org/2005/Atom id"`
	Title     []atomText   `xml:"http://www.w3.org/2005/Atom title"`
	Updated   []string     `xml:"http://www.w3.org/2005/Atom updated"`
	Published []string     `xml:"http://www.w3.org/2005/Atom published"`
	Links     []xmlLink    `xml:"http://www.w3.org/2005/Atom link"`
	Authors   []atomPerson `xml:"http://www.w3.org/2005/Atom author"`
	Summary   []atomText   `xml:"http://www.w3.org/2005/Atom summary"`
	Content   []atomText   `xml:"http://www.w3.org/2005/Atom content"`
}

type atomText struct {
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
}

// checkAtom checks the structure RFC 4287 requires of atom:feed (section
// 4.1.1) and atom:entry (4.1.2).
func checkAtom(t testing.TB, body []byte) atomFeed {
	t.Helper()
	var doc atomFeed
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("atom: %v", err)
	}
	one := func(what string, values []string) {
		t.Helper()
		if len(values) != 1 || values[0] == "" {
			t.Errorf("atom: got %s %q, want exactly one, not empty", what, values)
		}
	}
	date := func(what string, values []string) {
		t.Helper()
		one(what, values)
		for _, v := range values {
			if _, err := time.Parse(time.RFC3339, v); err != nil {
				t.Errorf("atom: %s: %v", what, err)
			}
		}
	}
	iri := func(what string, values []string) {
		t.Helper()
		one(what, values)
		for _, v := range values {
			if u, err := url.Parse(v); err != nil || u.Scheme == "" {
				t.Errorf("atom: %s %q is not an absolute IRI", what, v)
			}
		}
	}
	iri("feed id", doc.ID)
	one("feed title", doc.Title)
	date("feed updated", doc.Updated)
	rels := map[string]int{}
	for _, l := range doc.Links {
		rels[l.Rel]++
		absolute(t, "atom: feed link "+l.Rel, l.Href)
	}
	if rels["self"] != 1 || rels["alternate"] != 1 {
		t.Errorf("atom: got feed links %+v, want one self and one alternate", doc.Links)
	}
	if len(doc.Authors) == 0 {
		t.Error("atom: the feed has no author, so entries without one break RFC 4287 4.1.1")
	}
	for _, a := range doc.Authors {
		one("feed author name", a.Name)
	}
	ids := map[string]bool{}
	for i, e := range doc.Entries {
		what := fmt.Sprintf("entry %d ", i)
		iri(what+"id", e.ID)
		if len(e.ID) == 1 {
			if ids[e.ID[0]] {
				t.Errorf("atom: %sid %q repeats an earlier entry's", what, e.ID[0])
			}
			ids[e.ID[0]] = true
		}
		if len(e.Title) != 1 {
			t.Errorf("atom: %shas %d titles, want 1", what, len(e.Title))
		}
		date(what+"updated", e.Updated)
		date(what+"published", e.Published)
		alternates := 0
		for _, l := range e.Links {
			absolute(t, "atom: "+what+"link "+l.Rel, l.Href)
			if l.Rel == "alternate" {
				alternates++
			}
		}
		if alternates == 0 && len(e.Content) == 0 {
			t.Errorf("atom: %shas neither an alternate link nor content (RFC 4287 4.1.1)", what)
		}
		if alternates > 1 || len(e.Content) > 1 || len(e.Summary) > 1 {
			t.Errorf("atom: %sgot %d alternate links, %d contents, %d summaries, want at most one each", what, alternates, len(e.Content), len(e.Summary))
		}
		for _, a := range e.Authors {
			one(what+"author name", a.Name)
		}
	}
	return doc
}

// JSON Feed 1.1, decoded loosely so that a member of the wrong kind is
// caught by the checks rather than by the decoder.
type jsonFeed struct {
	Version     any            `json:"version"`
	Title       any            `json:"title"`
	HomePageURL string         `json:"home_page_url"`
	FeedURL     string         `json:"feed_url"`
	Authors     []jsonAuthor   `json:"authors"`
	Items       []jsonFeedItem `json:"items"`
}

type jsonAuthor struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

type jsonFeedItem struct {
	ID            any          `json:"id"`
	URL           string       `json:"url"`
	Title         string       `json:"title"`
	ContentHTML   *string      `json:"content_html"`
	ContentText   *string      `json:"content_text"`
	Summary       string       `json:"summary"`
	DatePublished string       `json:"date_published"`
	DateModified  string       `json:"date_modified"`
	Authors       []jsonAuthor `json:"authors"`
	Tags          []string     `json:"tags"`
	Attachments   []struct {
		URL      string `json:"url"`
		MimeType string `json:"mime_type"`
	} `json:"attachments"`
}

// checkJSONFeed checks JSON Feed 1.1's required members, the dates, that no
// HTML was escaped as \u003c, and that no string holds a character XML 1.0
// forbids.
func checkJSONFeed(t testing.TB, body []byte) jsonFeed {
	t.Helper()
	if !json.Valid(body) {
		t.Fatalf("json: not valid JSON\n%s", body)
	}
	if !utf8.Valid(body) {
		t.Fatal("json: not valid UTF-8")
	}
	if bytes.Contains(body, []byte(`\u003c`)) || bytes.Contains(body, []byte(`\u003e`)) || bytes.Contains(body, []byte(`\u0026`)) {
		t.Error(`json: HTML escaped as \u003c, \u003e or \u0026`)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("json: %v", err)
	}
	if items, ok := raw["items"]; !ok || !bytes.HasPrefix(items, []byte("[")) {
		t.Errorf("json: got items %s, want a list (present even when empty)", items)
	}
	var doc jsonFeed
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("json: %v", err)
	}
	if doc.Version != "https://jsonfeed.org/version/1.1" {
		t.Errorf("json: got version %v, want https://jsonfeed.org/version/1.1", doc.Version)
	}
	if title, ok := doc.Title.(string); !ok || title == "" {
		t.Errorf("json: got title %#v, want a non-empty string", doc.Title)
	}
	absolute(t, "json: feed_url", doc.FeedURL)
	ids := map[string]bool{}
	for i, it := range doc.Items {
		id, ok := it.ID.(string)
		if !ok || id == "" || ids[id] {
			t.Errorf("json: item %d: got id %#v, want a unique non-empty string", i, it.ID)
		}
		ids[id] = true
		if it.ContentHTML == nil && it.ContentText == nil {
			t.Errorf("json: item %d has neither content_html nor content_text", i)
		}
		for what, d := range map[string]string{"date_published": it.DatePublished, "date_modified": it.DateModified} {
			if d == "" {
				continue
			}
			if _, err := time.Parse(time.RFC3339, d); err != nil {
				t.Errorf("json: item %d: %s: %v", i, what, err)
			}
		}
		for _, a := range it.Attachments {
			if a.URL == "" || a.MimeType == "" {
				t.Errorf("json: item %d: attachment %+v lacks url or mime_type", i, a)
			}
		}
		for _, a := range it.Authors {
			if a.Name == "" && a.URL == "" {
				t.Errorf("json: item %d: an author has neither name nor url", i)
			}
		}
	}
	var all any
	if err := json.Unmarshal(body, &all); err != nil {
		t.Fatalf("json: %v", err)
	}
	walkStrings(all, func(s string) {
		if r, ok := forbidden(s); ok {
			t.Errorf("json: string %q holds %U, which XML 1.0 forbids", s, r)
		}
	})
	return doc
}

func walkStrings(v any, visit func(string)) {
	switch v := v.(type) {
	case string:
		visit(v)
	case []any:
		for _, e := range v {
			walkStrings(e, visit)
		}
	case map[string]any:
		for k, e := range v {
			visit(k)
			walkStrings(e, visit)
		}
	}
}

// forbidden returns the first character of s that XML 1.0 forbids.
func forbidden(s string) (rune, bool) {
	for _, r := range s {
		if !content.Allowed(r) {
			return r, true
		}
	}
	return 0, false
}

// OPML 2.0, as far as the tests read it.
type opmlDoc struct {
	XMLName xml.Name `xml:"opml"`
	Version string   `xml:"version,attr"`
	Head    struct {
		Title        string `xml:"title"`
		DateModified string `xml:"dateModified"`
		OwnerName    string `xml:"ownerName"`
	} `xml:"head"`
	Body struct {
		Groups []opmlOutline `xml:"outline"`
	} `xml:"body"`
}

type opmlOutline struct {
	Text     string        `xml:"text,attr"`
	Title    string        `xml:"title,attr"`
	Type     string        `xml:"type,attr"`
	XMLURL   string        `xml:"xmlUrl,attr"`
	HTMLURL  string        `xml:"htmlUrl,attr"`
	Outlines []opmlOutline `xml:"outline"`
}

func checkOPML(t testing.TB, body []byte) opmlDoc {
	t.Helper()
	var doc opmlDoc
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("opml: %v", err)
	}
	if doc.Version != "2.0" {
		t.Errorf("opml: got version %q, want 2.0", doc.Version)
	}
	if doc.Head.Title == "" {
		t.Error("opml: head has no title")
	}
	if doc.Head.DateModified != "" {
		if _, err := time.Parse(time.RFC1123Z, doc.Head.DateModified); err != nil {
			t.Errorf("opml: dateModified: %v", err)
		}
	}
	for _, g := range doc.Body.Groups {
		if g.Text == "" || g.XMLURL != "" {
			t.Errorf("opml: got group %q with xmlUrl %q, want a named group", g.Text, g.XMLURL)
		}
		for _, o := range g.Outlines {
			if o.Type != "rss" || o.Text == "" {
				t.Errorf("opml: got outline type %q text %q, want type rss and a text", o.Type, o.Text)
			}
			absolute(t, "opml: xmlUrl", o.XMLURL)
			absolute(t, "opml: htmlUrl", o.HTMLURL)
		}
	}
	return doc
}

// checkOPMLFeeds checks that an OPML list holds every feed once, by its RSS
// URL and title, grouped by set in the order given.
func checkOPMLFeeds(t testing.TB, body []byte, s *feed.Site, feeds []*feed.Feed) {
	t.Helper()
	var doc opmlDoc
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("opml: %v", err)
	}
	if got, want := doc.Head.Title, clean(s.Title); got != want {
		t.Errorf("opml: got title %q, want %q", got, want)
	}
	var got []opmlOutline
	for _, g := range doc.Body.Groups {
		got = append(got, g.Outlines...)
	}
	if len(got) != len(feeds) {
		t.Fatalf("opml: got %d feeds, want %d", len(got), len(feeds))
	}
	for i, f := range feeds {
		if got[i].XMLURL != f.URL("rss") || got[i].Title != clean(f.Title) || got[i].Text != clean(f.Title) {
			t.Errorf("opml: outline %d: got %q %q, want %q %q", i, got[i].XMLURL, got[i].Title, f.URL("rss"), clean(f.Title))
		}
	}
}

// absolute checks that u is an absolute http or https URL.
func absolute(t testing.TB, what, u string) {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		t.Errorf("%s: got %q, want an absolute http(s) URL", what, u)
	}
}

// checkItems checks, through gofeed, that a rendered feed carries f's items
// in order: titles, links, ids, dates and authors, and the feed's own title,
// links and date.
func checkItems(t testing.TB, format string, parsed *gofeed.Feed, f *feed.Feed) {
	t.Helper()
	s := f.Site
	if got, want := parsed.Title, clean(f.Title); got != want {
		t.Errorf("%s %s: got feed title %q, want %q", f.Name, format, got, want)
	}
	if got, want := parsed.FeedLink, f.URL(format); got != want {
		t.Errorf("%s %s: got feed link %q, want %q", f.Name, format, got, want)
	}
	if got, want := parsed.Link, s.URL; got != want {
		t.Errorf("%s %s: got site link %q, want %q", f.Name, format, got, want)
	}
	if format != "json" { // JSON Feed has no feed-level date
		if parsed.UpdatedParsed == nil || !parsed.UpdatedParsed.Equal(f.Updated) {
			t.Errorf("%s %s: got feed updated %v, want %v", f.Name, format, parsed.UpdatedParsed, f.Updated)
		}
	}
	if len(parsed.Items) != len(f.Items) {
		t.Fatalf("%s %s: got %d items, want %d", f.Name, format, len(parsed.Items), len(f.Items))
	}
	for i, a := range f.Items {
		it := parsed.Items[i]
		what := fmt.Sprintf("%s %s item %d (%s)", f.Name, format, i, a.ID)
		if got, want := it.Title, clean(a.Title); got != want {
			t.Errorf("%s: got title %q, want %q", what, got, want)
		}
		if got, want := it.Link, clean(a.URL); got != want {
			t.Errorf("%s: got link %q, want %q", what, got, want)
		}
		if got, want := it.GUID, feed.ItemID(s, a); got != want {
			t.Errorf("%s: got id %q, want %q", what, got, want)
		}
		if it.PublishedParsed == nil || !it.PublishedParsed.Equal(a.Published) {
			t.Errorf("%s: got published %v, want %v", what, it.PublishedParsed, a.Published)
		}
		if format != "rss" { // RSS items have no update date
			if it.UpdatedParsed == nil || !it.UpdatedParsed.Equal(a.Updated) {
				t.Errorf("%s: got updated %v, want %v", what, it.UpdatedParsed, a.Updated)
			}
		}
		if got, want := authorNames(it.Authors), wantAuthors(format, a); !equal(got, want) {
			t.Errorf("%s: got authors %q, want %q", what, got, want)
		}
	}
}

func authorNames(people []*gofeed.Person) []string {
	var out []string
	for _, p := range people {
		if p.Name == "" { // gofeed reads a name that is an email address as the address
			out = append(out, p.Email)
			continue
		}
		out = append(out, p.Name)
	}
	return out
}

// wantAuthors is what gofeed reads as an item's authors: every author in
// Atom and JSON Feed; in RSS, which has one author per item, the first
// author with an email (RSS <author>), else the first name (dc:creator).
func wantAuthors(format string, a *content.Article) []string {
	var all []string
	for _, au := range a.Authors {
		all = append(all, clean(au.Name))
	}
	if format != "rss" || len(all) == 0 {
		return all
	}
	for _, au := range a.Authors {
		if au.Email != "" {
			return []string{clean(au.Name)}
		}
	}
	return all[:1]
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// clean is what every format must carry for s: characters XML 1.0 forbids
// dropped, each invalid UTF-8 byte replaced with U+FFFD. It is written
// independently of content.Clean.
func clean(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case content.Allowed(r):
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}
