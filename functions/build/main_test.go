package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/feedcheck"
	"github.com/feedpub/feedpub/feed/publish"
)

// The example site, built as if on this date.
const (
	exampleSite     = "../../examples/site.yaml"
	exampleArticles = "../../examples/articles"
	now             = "2026-01-01T00:00:00Z"
)

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds the command once for all tests and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "feedpub-build-test-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "build")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

type result struct {
	stdout, stderr string
	code           int
}

// command runs the built command with args and, on top of an environment
// free of FEEDPUB_ variables, env.
func command(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(cleanEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run %v: %v", args, err)
	}
	return result{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
}

// cleanEnv is the test's environment without the command's configuration,
// and without the variable that would make it wait for Lambda events.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FEEDPUB_") && !strings.HasPrefix(kv, "AWS_LAMBDA_RUNTIME_API=") {
			env = append(env, kv)
		}
	}
	return env
}

// buildExamples builds the example site into out with flags and fails the
// test unless the command succeeds.
func buildExamples(t *testing.T, out string, extra ...string) result {
	t.Helper()
	args := append([]string{"-articles", exampleArticles, "-site", exampleSite, "-out", out, "-now", now}, extra...)
	r := command(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("build: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

func exampleSiteDef(t *testing.T) *feed.Site {
	t.Helper()
	data, err := os.ReadFile(exampleSite)
	if err != nil {
		t.Fatal(err)
	}
	site, err := feed.ParseSite(data)
	if err != nil {
		t.Fatal(err)
	}
	return site
}

// exampleDoc is what the tests need of one example document.
type exampleDoc struct {
	ID     string `json:"id"`
	URL    string `json:"url"`
	Title  string `json:"title"`
	Status string `json:"status"`
}

func readExample(t *testing.T, name string) exampleDoc {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(exampleArticles, name))
	if err != nil {
		t.Fatal(err)
	}
	var d exampleDoc
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return d
}

// hidden are the example articles no feed may show: drafts, the deleted
// one, and the embargoed one (before 2099).
var hidden = []string{
	"draft-q3-economic-outlook.json",
	"draft-editorial-board-notes.json",
	"deleted-retracted-factory-report.json",
	"embargoed-2099-new-year-address.json",
}

const embargoed = "embargoed-2099-new-year-address.json"

// files returns every file below dir by slash-separated key.
func files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files, err := feedcheck.Published(dir)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// objects leaves the precompressed variants (checked by checkSite) out
// of a list of published keys.
func objects(keys []string) []string {
	return slices.DeleteFunc(slices.Clone(keys), func(k string) bool {
		return strings.HasSuffix(k, ".gz") || strings.HasSuffix(k, ".br")
	})
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

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

// mentioning returns the published files (the report aside) that contain
// any of needles.
func mentioning(out map[string][]byte, needles ...string) []string {
	var found []string
	for _, key := range keys(out) {
		if key == publish.ReportKey {
			continue
		}
		for _, n := range needles {
			if n != "" && bytes.Contains(out[key], []byte(n)) {
				found = append(found, key)
				break
			}
		}
	}
	return found
}

// feedURL turns a feed's RSS URL, as the report gives it, into its URL in
// format ext.
func feedURL(rssURL, ext string) string { return strings.TrimSuffix(rssURL, ".rss") + "." + ext }

// checkSite checks everything a build publishes in out: each XML file is
// well-formed for encoding/xml and xmllint, each JSON feed is JSON Feed
// 1.1, every feed the report lists exists in three formats and nothing
// else does, index.html links to every live feed and has autodiscovery
// links for the site-wide feed, and feeds.opml lists every live feed.
func checkSite(t *testing.T, out string) *publish.Report {
	t.Helper()
	rep := readReport(t, out)
	all := files(t, out)
	var xmlFiles []string
	for _, key := range keys(all) {
		body := all[key]
		switch ext := filepath.Ext(key); {
		case ext == ".rss" || ext == ".atom" || ext == ".opml":
			xmlFiles = append(xmlFiles, filepath.Join(out, filepath.FromSlash(key)))
			if err := feedcheck.WellFormed(body); err != nil {
				t.Errorf("%s: encoding/xml: %v", key, err)
			}
		case ext == ".json" && strings.HasPrefix(key, "feeds/"):
			var jf struct {
				Version string            `json:"version"`
				FeedURL string            `json:"feed_url"`
				Items   []json.RawMessage `json:"items"`
			}
			if err := json.Unmarshal(body, &jf); err != nil {
				t.Errorf("%s: not JSON: %v", key, err)
			}
			if jf.Version != "https://jsonfeed.org/version/1.1" {
				t.Errorf("%s: version: got %q, want https://jsonfeed.org/version/1.1", key, jf.Version)
			}
			if jf.Items == nil {
				t.Errorf("%s: no items list", key)
			}
		case key == publish.ReportKey || key == "index.html" || strings.HasPrefix(key, "assets/") ||
			strings.HasPrefix(key, "feeds/") && ext == ".html": // the pages for people, checked in feed/page
		case ext == ".gz" || ext == ".br":
			// A precompressed variant: the bytes of its object, smaller.
			plain, ok := all[strings.TrimSuffix(key, ext)]
			var r io.Reader
			if ext == ".gz" {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Errorf("%s: %v", key, err)
					continue
				}
				r = zr
			} else {
				r = brotli.NewReader(bytes.NewReader(body))
			}
			got, err := io.ReadAll(r)
			if !ok || err != nil || !bytes.Equal(got, plain) || len(body) >= len(plain) {
				t.Errorf("%s: not a smaller copy of %s (%v)", key, strings.TrimSuffix(key, ext), err)
			}
		default:
			t.Errorf("unexpected file %s", key)
		}
	}
	xmllint(t, xmlFiles...)

	live := map[string]bool{} // RSS URLs of the feeds that are listed
	want := map[string]bool{publish.ReportKey: true, "index.html": true, "feeds.opml": true,
		"assets/feeds.css": true, "assets/feeds.js": true}
	for _, f := range rep.Feeds {
		for _, format := range feed.Formats {
			want["feeds/"+f.Name+"."+format.Ext] = true
		}
		want["feeds/"+f.Name+".html"] = true // its preview page
		if !f.Retired {
			live[f.URL] = true
		}
	}
	if got, want := objects(keys(all)), keys(want); !slices.Equal(got, want) {
		t.Errorf("files: got %v, want the report's feeds in three formats and their previews, the index, its assets, the OPML list and the report: %v", got, want)
	}

	alternates, anchors := indexLinks(t, all["index.html"])
	var index *publish.FeedReport
	for i, f := range rep.Feeds {
		if f.Name == "index" {
			index = &rep.Feeds[i]
		}
	}
	if index == nil {
		t.Fatalf("the report lists no index feed: %v", rep.Feeds)
	}
	for _, format := range feed.Formats {
		mediaType, _, _ := strings.Cut(format.ContentType, ";")
		if got, want := alternates[mediaType], []string{feedURL(index.URL, format.Ext)}; !slices.Equal(got, want) {
			t.Errorf("index.html: autodiscovery for %s: got %v, want %v", mediaType, got, want)
		}
	}
	for _, f := range rep.Feeds {
		for _, format := range feed.Formats {
			u := feedURL(f.URL, format.Ext)
			if got := slices.Contains(anchors, u); got != !f.Retired {
				t.Errorf("index.html links to %s: got %v, want %v", u, got, !f.Retired)
			}
		}
	}
	listed := map[string]bool{}
	for _, u := range opmlURLs(t, all["feeds.opml"]) {
		if listed[u] {
			t.Errorf("feeds.opml lists %s twice", u)
		}
		listed[u] = true
	}
	if got, want := keys(listed), keys(live); !slices.Equal(got, want) {
		t.Errorf("feeds.opml lists %v, want %v", got, want)
	}
	return rep
}

func xmllint(t *testing.T, paths ...string) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatal("xmllint not found: install libxml2-utils (make test does)")
	}
	if len(paths) == 0 {
		t.Fatal("no XML file to check")
	}
	if out, err := exec.Command(bin, append([]string{"--noout"}, paths...)...).CombinedOutput(); err != nil {
		t.Errorf("xmllint --noout: %v\n%s", err, out)
	}
}

// indexLinks parses index.html and returns its autodiscovery links (media
// type to hrefs) and the href of every <a>.
func indexLinks(t *testing.T, page []byte) (map[string][]string, []string) {
	t.Helper()
	alternates, anchors, err := feedcheck.IndexLinks(page)
	if err != nil {
		t.Fatalf("index.html: %v", err)
	}
	return alternates, anchors
}

func opmlURLs(t *testing.T, data []byte) []string {
	t.Helper()
	var list []string
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return list
		}
		if err != nil {
			t.Fatalf("feeds.opml: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "outline" {
			for _, a := range se.Attr {
				if a.Name.Local == "xmlUrl" {
					list = append(list, a.Value)
				}
			}
		}
	}
}

// itemURLs returns the article URLs of a JSON feed.
func itemURLs(t *testing.T, out, name string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, "feeds", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var jf struct {
		Items []struct {
			URL string `json:"url"`
		} `json:"items"`
	}
	if err := json.Unmarshal(data, &jf); err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, it := range jf.Items {
		urls = append(urls, it.URL)
	}
	return urls
}

func TestBuildExamples(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "site")
	r := buildExamples(t, out)
	rep := checkSite(t, out)

	// examples/README.md: 53 valid documents (49 live, 2 drafts, 1 deleted,
	// 1 embargoed) and 3 malformed ones.
	want := publish.Counts{Read: 56, Fetched: 56, Accepted: 53, Rejected: 3, Published: 49, Embargoed: 1, Drafts: 2, Deleted: 1}
	if rep.Articles != want {
		t.Errorf("counts: got %+v, want %+v", rep.Articles, want)
	}
	wantFields := map[string][]string{
		"bad-published.json": {"published"},
		"broken-syntax.json": {""}, // the document as a whole
		"wrong-kind.json":    {"tags", "url"},
	}
	gotFields := map[string][]string{}
	for _, rej := range rep.Rejected {
		for _, p := range rej.Problems {
			gotFields[rej.Key] = append(gotFields[rej.Key], p.Field)
			if p.Reason == "" {
				t.Errorf("rejected %s, field %q: no reason", rej.Key, p.Field)
			}
		}
		sort.Strings(gotFields[rej.Key])
	}
	if fmt.Sprint(gotFields) != fmt.Sprint(wantFields) {
		t.Errorf("rejected documents and fields: got %v, want %v", gotFields, wantFields)
	}
	if len(rep.Written) == 0 || len(rep.Unchanged) != 0 {
		t.Errorf("first build: written %d, unchanged %v; want every file written", len(rep.Written), rep.Unchanged)
	}
	if got := itemURLs(t, out, "index"); len(got) != want.Published {
		t.Errorf("index feed: got %d items, want %d", len(got), want.Published)
	}

	wantLines := []string{
		"articles: 56 read, 49 published, 1 embargoed, 2 drafts, 1 deleted, 3 rejected\n",
		"  rejected broken-syntax.json: document: not valid JSON",
		"  rejected bad-published.json: published: ",
		"  rejected wrong-kind.json: url: is required\n",
		"  rejected wrong-kind.json: tags: ",
		fmt.Sprintf("feeds: %d, files written %d, unchanged 0, in %s (", len(rep.Feeds), len(rep.Written), out),
		"next embargo lifts at 2099-01-01T00:00:00Z\n",
	}
	for _, line := range wantLines {
		if !strings.Contains(r.stdout, line) {
			t.Errorf("summary: no %q in\n%s", line, r.stdout)
		}
	}
	if r.stderr != "" {
		t.Errorf("stderr: got %q, want nothing", r.stderr)
	}

	site := exampleSiteDef(t)
	all := files(t, out)
	for _, name := range hidden {
		d := readExample(t, name)
		if d.URL == "" || d.Title == "" || d.ID == "" {
			t.Fatalf("%s: example without id, url or title", name)
		}
		if got := mentioning(all, d.URL, d.Title, feed.ItemID(site, &content.Article{ID: d.ID})); len(got) != 0 {
			t.Errorf("%s (status %q) shows in %v", name, d.Status, got)
		}
	}
}

func TestBuildEmbargoLifts(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	buildExamples(t, out)
	d := readExample(t, embargoed)
	if slices.Contains(itemURLs(t, out, "index"), d.URL) {
		t.Fatalf("the embargoed article is in the index feed before its time")
	}
	r := command(t, nil, "-articles", exampleArticles, "-site", exampleSite, "-out", out, "-now", "2099-01-01T00:00:00Z")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	rep := checkSite(t, out)
	if got := itemURLs(t, out, "index"); len(got) == 0 || got[0] != d.URL {
		t.Errorf("index feed once the embargo lifts: got %v, want %s first", got, d.URL)
	}
	if rep.Articles.Embargoed != 0 || rep.Articles.Published != 50 || rep.NextEmbargo != nil {
		t.Errorf("counts: got %+v, next embargo %v; want 50 published, none embargoed", rep.Articles, rep.NextEmbargo)
	}
	if strings.Contains(r.stdout, "next embargo") {
		t.Errorf("summary announces an embargo that has lifted:\n%s", r.stdout)
	}
}

func TestBuildTwice(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	buildExamples(t, out)
	first := files(t, out)
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	for key := range first {
		if err := os.Chtimes(filepath.Join(out, filepath.FromSlash(key)), old, old); err != nil {
			t.Fatal(err)
		}
	}

	r := buildExamples(t, out)
	rep := checkSite(t, out)
	published := slices.DeleteFunc(objects(keys(first)), func(k string) bool { return k == publish.ReportKey })
	if len(rep.Written) != 0 {
		t.Errorf("second build wrote %v, want nothing", rep.Written)
	}
	if got := slices.Sorted(slices.Values(rep.Unchanged)); !slices.Equal(got, published) {
		t.Errorf("unchanged: got %v, want %v", got, published)
	}
	if want := fmt.Sprintf("files written 0, unchanged %d,", len(published)); !strings.Contains(r.stdout, want) {
		t.Errorf("summary: no %q in\n%s", want, r.stdout)
	}
	second := files(t, out)
	for _, key := range published {
		if !bytes.Equal(second[key], first[key]) {
			t.Errorf("%s differs between two builds", key)
		}
		info, err := os.Stat(filepath.Join(out, filepath.FromSlash(key)))
		if err != nil {
			t.Fatal(err)
		}
		if !info.ModTime().Equal(old) {
			t.Errorf("%s was rewritten (modified %v) with the same bytes", key, info.ModTime())
		}
	}

	// A build into a fresh folder gives the same bytes, report included.
	fresh := t.TempDir()
	buildExamples(t, fresh)
	third := files(t, fresh)
	if got, want := keys(third), keys(first); !slices.Equal(got, want) {
		t.Fatalf("files: got %v, want %v", got, want)
	}
	for key, body := range first {
		if !bytes.Equal(third[key], body) {
			t.Errorf("%s differs between builds into two folders", key)
		}
	}
}

func TestBuildFromEnvironment(t *testing.T) {
	t.Parallel()
	byFlags := t.TempDir()
	buildExamples(t, byFlags)
	want := files(t, byFlags)

	tests := []struct {
		name string
		env  []string
		args []string
	}{
		{"environment only", []string{"FEEDPUB_ARTICLES=" + exampleArticles, "FEEDPUB_SITE=" + exampleSite}, nil},
		{"flags override the environment", []string{"FEEDPUB_ARTICLES=testdata/no-such-folder", "FEEDPUB_SITE=testdata/no-such-site.yaml"},
			[]string{"-articles", exampleArticles, "-site", exampleSite}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			env := append(tt.env, "FEEDPUB_OUT="+out)
			r := command(t, env, append(tt.args, "-now", now)...)
			if r.code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, "articles: 56 read, 49 published") {
				t.Errorf("summary:\n%s", r.stdout)
			}
			got := files(t, out)
			if !slices.Equal(keys(got), keys(want)) {
				t.Fatalf("files: got %v, want %v", keys(got), keys(want))
			}
			for key, body := range want {
				if !bytes.Equal(got[key], body) {
					t.Errorf("%s differs from the build configured by flags", key)
				}
			}
		})
	}
}

func TestBuildFailures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string // in the message on stderr
	}{
		{"no flags", nil, []string{"-articles is required"}},
		{"no -site", []string{"-articles", exampleArticles, "-out", "OUT"}, []string{"-site is required"}},
		{"no -out", []string{"-articles", exampleArticles, "-site", exampleSite}, []string{"-out is required"}},
		{"no -articles", []string{"-site", exampleSite, "-out", "OUT"}, []string{"-articles is required"}},
		{"missing site file", []string{"-articles", exampleArticles, "-site", "testdata/no-such-site.yaml", "-out", "OUT"},
			[]string{"testdata/no-such-site.yaml", "no such file"}},
		{"site file is not YAML", []string{"-articles", exampleArticles, "-site", "testdata/site-syntax-error.yaml", "-out", "OUT"},
			[]string{"testdata/site-syntax-error.yaml", "yaml: line"}},
		{"unknown key in site file", []string{"-articles", exampleArticles, "-site", "testdata/site-unknown-key.yaml", "-out", "OUT"},
			[]string{"testdata/site-unknown-key.yaml", "categores"}},
		{"invalid values in site file", []string{"-articles", exampleArticles, "-site", "testdata/site-invalid-value.yaml", "-out", "OUT"},
			[]string{"testdata/site-invalid-value.yaml", "title: is required", "base_url: must be an absolute"}},
		{"missing articles folder", []string{"-articles", "testdata/no-such-folder", "-site", exampleSite, "-out", "OUT"},
			[]string{"testdata/no-such-folder", "not found"}},
		{"articles is a file", []string{"-articles", notDir, "-site", exampleSite, "-out", "OUT"},
			[]string{notDir, "not a directory"}},
		{"bad -now", []string{"-articles", exampleArticles, "-site", exampleSite, "-out", "OUT", "-now", "yesterday"},
			[]string{"-now", "yesterday"}},
		{"unknown flag", []string{"-artcles", exampleArticles}, []string{"-artcles"}},
		{"stray argument", []string{"-articles", exampleArticles, "-site", exampleSite, "-out", "OUT", "extra"},
			[]string{`unexpected argument "extra"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := slices.Clone(tt.args)
			for i, a := range args {
				if a == "OUT" {
					args[i] = out
				}
			}
			r := command(t, nil, args...)
			if r.code != 1 {
				t.Errorf("exit code: got %d, want 1", r.code)
			}
			if !strings.Contains(r.stderr, "build: ") {
				t.Errorf("stderr: got %q, want a line starting with build:", r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr: got %q, want it to mention %q", r.stderr, w)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout: got %q, want no summary", r.stdout)
			}
			if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the output folder was created (stat: %v)", err)
			}
		})
	}
}

func TestBuildHelp(t *testing.T) {
	t.Parallel()
	r := command(t, nil, "-h")
	if r.code != 0 {
		t.Errorf("exit code: got %d, want 0", r.code)
	}
	for _, flag := range []string{"-articles", "-site", "-out", "-now", "FEEDPUB_ARTICLES", "FEEDPUB_SITE", "FEEDPUB_OUT"} {
		if !strings.Contains(r.stderr, flag) {
			t.Errorf("usage does not mention %s:\n%s", flag, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "build: ") {
		t.Errorf("asking for help is reported as an error:\n%s", r.stderr)
	}
}

func TestBuildNoProgressWhenStderrIsNotATerminal(t *testing.T) {
	t.Parallel()
	t.Run("pipe", func(t *testing.T) {
		r := buildExamples(t, t.TempDir()) // exec gives the command a pipe for a bytes.Buffer
		if r.stderr != "" {
			t.Errorf("stderr: got %q, want nothing", r.stderr)
		}
	})
	t.Run("file", func(t *testing.T) {
		dir := t.TempDir()
		stderr, err := os.Create(filepath.Join(dir, "stderr"))
		if err != nil {
			t.Fatal(err)
		}
		defer stderr.Close()
		cmd := exec.Command(binary(t), "-articles", exampleArticles, "-site", exampleSite, "-out", filepath.Join(dir, "out"), "-now", now)
		cmd.Env = cleanEnv()
		cmd.Stderr = stderr
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(stderr.Name())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Errorf("stderr: got %q, want nothing", got)
		}
	})
	t.Run("in process", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"-articles", exampleArticles, "-site", exampleSite, "-out", t.TempDir(), "-now", now}, &stdout, &stderr)
		if err != nil {
			t.Fatal(err)
		}
		if stderr.Len() != 0 {
			t.Errorf("stderr: got %q, want nothing", stderr.String())
		}
		if !strings.Contains(stdout.String(), "articles: 56 read") {
			t.Errorf("stdout: got %q, want the summary", stdout.String())
		}
	})
}
