package publish_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/feedcheck"
	"github.com/feedpub/feedpub/feed/layout"
	"github.com/feedpub/feedpub/feed/publish"
)

// loadSite reads testdata/site.yaml, the site every test builds.
func loadSite(t *testing.T) *feed.Site {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "site.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	site, err := feed.ParseSite(data)
	if err != nil {
		t.Fatalf("ParseSite: %v", err)
	}
	return site
}

// doc is one article document, as a publisher writes it.
type doc map[string]any

// article returns a valid published document whose url, title and summary
// all derive from id.
func article(id, published string) doc {
	return doc{
		"id":        id,
		"url":       articleURL(id),
		"title":     "Title of " + id,
		"summary":   "Summary of " + id,
		"published": published,
	}
}

func articleURL(id string) string { return "https://example.com/articles/" + id }

// with returns d with key set to value.
func (d doc) with(key string, value any) doc {
	d[key] = value
	return d
}

// without returns d without key.
func (d doc) without(key string) doc {
	delete(d, key)
	return d
}

// writeDocs writes each document into dir as <id>.json.
func writeDocs(t *testing.T, dir string, docs ...doc) {
	t.Helper()
	for _, d := range docs {
		id, ok := d["id"].(string)
		if !ok {
			t.Fatalf("writeDocs: document without a string id: %v", d)
		}
		body, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, id+".json", body)
	}
}

func writeFile(t *testing.T, dir, name string, body []byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
		t.Fatal(err)
	}
}

var day = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)

// build runs one build from the articles folder into the out folder and
// fails the test on error.
func build(t *testing.T, site *feed.Site, articles, out string, now time.Time) *publish.Report {
	t.Helper()
	b := &publish.Build{Site: site, Articles: store.NewFolder(articles), Out: store.NewFolder(out), Now: now}
	rep, err := b.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep == nil {
		t.Fatal("Run returned no report and no error")
	}
	return rep
}

// readReport reads the build report the build wrote.
func readReport(t *testing.T, out string) *publish.Report {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, publish.ReportKey))
	if err != nil {
		t.Fatal(err)
	}
	var rep publish.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("%s: %v", publish.ReportKey, err)
	}
	return &rep
}

func feedReport(t *testing.T, rep *publish.Report, name string) publish.FeedReport {
	t.Helper()
	for _, f := range rep.Feeds {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("report lists no feed %q (feeds: %v)", name, feedNames(rep))
	return publish.FeedReport{}
}

func feedNames(rep *publish.Report) []string {
	var names []string
	for _, f := range rep.Feeds {
		names = append(names, f.Name)
	}
	sort.Strings(names)
	return names
}

var exts = []string{"rss", "atom", "json"}

// item is what the tests compare of a feed item in any format.
type item struct {
	ID, URL, Title string
}

// formatItems decodes feeds/<name>.<ext> and returns its items in order.
// XML formats are decoded strictly.
func formatItems(t *testing.T, out, name, ext string) []item {
	t.Helper()
	path := filepath.Join(out, "feeds", filepath.FromSlash(name)+"."+ext)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var items []item
	switch ext {
	case "rss":
		var rss struct {
			XMLName xml.Name `xml:"rss"`
			Items   []struct {
				GUID  string `xml:"guid"`
				Link  string `xml:"link"`
				Title string `xml:"title"`
			} `xml:"channel>item"`
		}
		decodeXML(t, path, data, &rss)
		for _, it := range rss.Items {
			items = append(items, item{it.GUID, it.Link, it.Title})
		}
	case "atom":
		var atom struct {
			XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
			Entries []struct {
				ID    string `xml:"id"`
				Title string `xml:"title"`
				Links []struct {
					Rel  string `xml:"rel,attr"`
					Href string `xml:"href,attr"`
				} `xml:"link"`
			} `xml:"entry"`
		}
		decodeXML(t, path, data, &atom)
		for _, e := range atom.Entries {
			it := item{ID: e.ID, Title: e.Title}
			for _, l := range e.Links {
				if l.Rel == "alternate" || l.Rel == "" {
					it.URL = l.Href
				}
			}
			items = append(items, it)
		}
	case "json":
		var jf struct {
			Version string `json:"version"`
			Items   []item `json:"items"`
		}
		if err := json.Unmarshal(data, &jf); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if jf.Version != feed.JSONFeedVersion {
			t.Errorf("%s: version: got %q, want %q", path, jf.Version, feed.JSONFeedVersion)
		}
		items = jf.Items
	default:
		t.Fatalf("unknown format %q", ext)
	}
	return items
}

func decodeXML(t *testing.T, path string, data []byte, v any) {
	t.Helper()
	if err := feedcheck.WellFormed(data); err != nil {
		t.Fatalf("%s: not well-formed: %v", path, err)
	}
	if err := xml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// feedItems returns the items of one feed after checking that its three
// formats carry the same items, with the same ids and titles, in the same
// order.
func feedItems(t *testing.T, out, name string) []item {
	t.Helper()
	rss := formatItems(t, out, name, "rss")
	for _, ext := range exts[1:] {
		if got := formatItems(t, out, name, ext); !slices.Equal(got, rss) {
			t.Errorf("feed %s: %s items differ from rss:\n got %v\nwant %v", name, ext, got, rss)
		}
	}
	return rss
}

func urls(items []item) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.URL)
	}
	return out
}

func urlsOf(ids ...string) []string {
	out := []string{}
	for _, id := range ids {
		out = append(out, articleURL(id))
	}
	return out
}

// outputs returns every file below out but the builder's internal state
// (layout.StateDir), by slash-separated key.
func outputs(t *testing.T, out string) map[string][]byte {
	t.Helper()
	files := everything(t, out)
	for key := range files {
		if strings.HasPrefix(key, layout.StateDir) {
			delete(files, key)
		}
	}
	return files
}

// everything returns every file below out, internal state included.
func everything(t *testing.T, out string) map[string][]byte {
	t.Helper()
	files, err := feedcheck.Files(out)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// mentioning returns the published files (the report aside) that contain
// any of needles.
func mentioning(t *testing.T, out string, needles ...string) []string {
	t.Helper()
	var keys []string
	for key, body := range outputs(t, out) {
		if key == publish.ReportKey {
			continue
		}
		for _, n := range needles {
			if bytes.Contains(body, []byte(n)) {
				keys = append(keys, key)
				break
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// feedFiles returns the object keys of each named feed: its three formats
// and its preview page.
func feedFiles(names ...string) []string {
	keys := feedKeys(names...)
	for _, n := range names {
		keys = append(keys, "feeds/"+n+".html")
	}
	sort.Strings(keys)
	return keys
}

// pageFiles are the keys of the pages that list the feeds, and their assets.
var pageFiles = []string{"assets/feeds.css", "assets/feeds.js", "feeds.opml", "index.html"}

// feedKeys returns the three object keys of each named feed.
func feedKeys(names ...string) []string {
	var keys []string
	for _, n := range names {
		for _, ext := range exts {
			keys = append(keys, "feeds/"+n+"."+ext)
		}
	}
	sort.Strings(keys)
	return keys
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

// indexLinks parses index.html and returns its autodiscovery links (media
// type to href) and the href of every <a>.
func indexLinks(t *testing.T, out string) (alternates map[string][]string, anchors []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	alternates, anchors, err = feedcheck.IndexLinks(data)
	if err != nil {
		t.Fatalf("index.html: %v", err)
	}
	return alternates, anchors
}

// opmlURLs returns the xmlUrl of every feed feeds.opml lists.
func opmlURLs(t *testing.T, out string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, "feeds.opml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := feedcheck.WellFormed(data); err != nil {
		t.Fatalf("feeds.opml: not well-formed: %v", err)
	}
	var list []string
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "outline" {
			for _, a := range se.Attr {
				if a.Name.Local == "xmlUrl" {
					list = append(list, a.Value)
				}
			}
		}
	}
	return list
}

// feedURL is where the test site serves a feed.
func feedURL(name, ext string) string {
	return "https://feeds.example.com/feeds/" + name + "." + ext
}

// listed reports whether index.html links to the feed in every format and
// feeds.opml lists it; it fails the test when only some of them do.
func listed(t *testing.T, out, name string) bool {
	t.Helper()
	_, anchors := indexLinks(t, out)
	inOPML := slices.Contains(opmlURLs(t, out), feedURL(name, "rss"))
	n := 0
	for _, ext := range exts {
		if slices.Contains(anchors, feedURL(name, ext)) {
			n++
		}
	}
	switch {
	case n == len(exts) && inOPML:
		return true
	case n == 0 && !inOPML:
		return false
	}
	t.Fatalf("feed %s: linked in %d of %d formats from index.html, in feeds.opml: %v", name, n, len(exts), inOPML)
	return false
}

// mtimes returns the modification time of every file below out.
func mtimes(t *testing.T, out string) map[string]time.Time {
	t.Helper()
	m := map[string]time.Time{}
	for key := range outputs(t, out) {
		info, err := os.Stat(filepath.Join(out, filepath.FromSlash(key)))
		if err != nil {
			t.Fatal(err)
		}
		m[key] = info.ModTime()
	}
	return m
}

// backdate sets every file below out to an old modification time, so that a
// rewrite shows whatever the file system's time resolution.
func backdate(t *testing.T, out string) time.Time {
	t.Helper()
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	for key := range outputs(t, out) {
		if err := os.Chtimes(filepath.Join(out, filepath.FromSlash(key)), old, old); err != nil {
			t.Fatal(err)
		}
	}
	return old
}

// published lists the objects a build publishes (every file but the
// report and the precompressed variants).
func published(t *testing.T, out string) []string {
	t.Helper()
	var keys []string
	for key := range outputs(t, out) {
		if key != publish.ReportKey && store.EncodingByKey(key) == "" {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return keys
}

// objectsOf returns the keys of files that are not precompressed variants,
// after checking that every variant decodes to the bytes of the object it
// encodes and is smaller.
func objectsOf(t *testing.T, files map[string][]byte) []string {
	t.Helper()
	var keys []string
	for key, body := range files {
		c := store.EncodingByKey(key)
		if c == "" {
			keys = append(keys, key)
			continue
		}
		of := strings.TrimSuffix(key, layout.Codings[c])
		plain, ok := files[of]
		if !ok {
			t.Errorf("%s: a variant of %s, which is not there", key, of)
			continue
		}
		var r io.Reader
		switch c {
		case "gzip":
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Errorf("%s: %v", key, err)
				continue
			}
			r = zr
		case "br":
			r = brotli.NewReader(bytes.NewReader(body))
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("%s does not decode to %s (%v)", key, of, err)
		}
		if len(body) >= len(plain) {
			t.Errorf("%s is %d bytes, %s %d: a variant that saves nothing", key, len(body), of, len(plain))
		}
	}
	sort.Strings(keys)
	return keys
}
