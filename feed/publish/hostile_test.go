package publish_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/feedcheck"
	"github.com/mmcdole/gofeed"
)

// TestHostileCorpusBuild builds the hostile-document corpus
// (content/testdata/hostile, one case a file; content's TestHostileCorpus
// says what each becomes) beside good articles, in a zone with daylight
// saving time: every rejected document is in the report with its key and
// a reason, the good articles and every accepted case publish, and every
// output is strictly valid (encoding/xml strict, xmllint, gofeed; JSON Feed
// with its required fields).
func TestHostileCorpusBuild(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "site.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte("time_zone: UTC"), []byte("time_zone: America/New_York\niframes: [www.youtube-nocookie.com]"), 1)
	site, err := feed.ParseSite(data)
	if err != nil {
		t.Fatal(err)
	}
	site.Limit = 10 // and the rest in archive pages, checked too
	articles, out := t.TempDir(), t.TempDir()
	files, err := filepath.Glob(filepath.Join("..", "..", "content", "testdata", "hostile", "*.json"))
	if err != nil || len(files) < 60 {
		t.Fatalf("got %d hostile documents (%v), want at least 60", len(files), err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, articles, "hostile-"+filepath.Base(f), data)
	}
	writeDocs(t, articles, article("good-1", "2024-04-01T10:00:00Z"), article("good-2", "2024-04-02T10:00:00Z"))
	rep := build(t, site, articles, out, day)

	if rep.Articles.Rejected == 0 || rep.Articles.Accepted < 30 {
		t.Errorf("got %d rejected and %d accepted, want both", rep.Articles.Rejected, rep.Articles.Accepted)
	}
	for _, r := range rep.Rejected {
		if !strings.HasPrefix(r.Key, "hostile-") || len(r.Problems) == 0 || r.Problems[0].Reason == "" {
			t.Errorf("rejection %+v: want a hostile document with a reason", r)
		}
	}
	published, err := feedcheck.Published(out)
	if err != nil {
		t.Fatal(err)
	}
	// Every visible article, good or hostile, is in the site feed's
	// archive pages, once.
	var all strings.Builder
	for key, body := range published {
		if strings.HasSuffix(key, ".json") && strings.HasPrefix(key, "archive/index/") {
			all.Write(body)
		}
	}
	for _, want := range []string{"Title of good-1", "Title of good-2", "https://xn--bcher-kva.example/x", "http://[2001:db8::1]:8080/x"} {
		if n := strings.Count(all.String(), want); n < 1 {
			t.Errorf("the site feed's archive lacks %s", want)
		}
	}
	if n := strings.Count(all.String(), `{"id":"urn:uuid:`); n != rep.Articles.Published {
		t.Errorf("got %d items in the site feed's archive pages, want the %d published articles", n, rep.Articles.Published)
	}
	checked := 0
	for key, body := range published {
		if !strings.HasPrefix(key, "feeds") && !strings.HasPrefix(key, "archive/") {
			continue // the report and the pages for people
		}
		switch filepath.Ext(key) {
		case ".rss", ".atom", ".opml":
			if err := feedcheck.WellFormed(body); err != nil {
				t.Errorf("%s: %v", key, err)
			}
			if err := feedcheck.Lint(body); err != nil {
				t.Errorf("%s: %v", key, err)
			}
		case ".json":
			var f struct {
				Version string `json:"version"`
				Title   string `json:"title"`
				Items   []struct {
					ID          string  `json:"id"`
					ContentHTML *string `json:"content_html"`
					ContentText *string `json:"content_text"`
				} `json:"items"`
			}
			if err := json.Unmarshal(body, &f); err != nil {
				t.Errorf("%s: %v", key, err)
				continue
			}
			if f.Version != "https://jsonfeed.org/version/1.1" || f.Title == "" || f.Items == nil {
				t.Errorf("%s: want version 1.1, a title and items", key)
			}
			for _, it := range f.Items {
				if it.ID == "" || it.ContentHTML == nil && it.ContentText == nil {
					t.Errorf("%s: item %q without id or content", key, it.ID)
				}
			}
		default:
			continue
		}
		if filepath.Ext(key) != ".opml" {
			if _, err := gofeed.NewParser().Parse(bytes.NewReader(body)); err != nil {
				t.Errorf("%s: gofeed: %v", key, err)
			}
		}
		checked++
	}
	t.Logf("%d hostile documents and 2 good ones: %d rejected, %d accepted; %d outputs checked strictly",
		len(files), rep.Articles.Rejected, rep.Articles.Accepted, checked)
}
