package trigger_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/publish"
	"github.com/feedpub/feedpub/feed/trigger"
)

// hostileKeys are article keys S3 can hold that name no document: no
// store reads them (store.CheckKey) or no listing shows them (dot-files).
var hostileKeys = []string{
	"articles/../config/site.json",
	"articles/a/../../x.json",
	"articles/./x.json",
	"articles//x.json",
	"articles/a\\b.json",
	"articles/ctl\x01.json",
	"articles/nul\x00.json",
	"articles/.hidden.json",
	"articles/2024/.draft.json",
	"articles/" + strings.Repeat("a", 1100) + ".json",
}

// TestHostileKeys: an S3 notification that names such keys beside a good
// one builds the good one, with a real build over the example site, and
// ignores the others with a warning. Read as documents, they failed the
// build (and so every SQS message of its batch, at every delivery, until
// the dead-letter queue), or published a dot-file that the next listing
// build took for a deletion.
func TestHostileKeys(t *testing.T) {
	articles, out := t.TempDir(), t.TempDir()
	if err := os.CopyFS(articles, os.DirFS("../../examples/articles")); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../examples/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	site, err := feed.ParseSite(data)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)
	build := func(ctx context.Context, job trigger.Job) (*publish.Report, error) {
		b := &publish.Build{Site: site, Articles: store.NewFolder(articles), Out: store.NewFolder(out), Now: now, Keys: job.Keys}
		return b.Run(ctx)
	}
	if _, err := build(context.Background(), trigger.Job{Trigger: "schedule"}); err != nil {
		t.Fatalf("publish the example site: %v", err)
	}
	// A dot-file on disk, which a listing hides: an event naming it must
	// not publish it.
	doc := func(id, title string) []byte {
		b, _ := json.Marshal(map[string]any{"id": id, "url": "https://news.example.cn/" + id + ".html",
			"title": title, "published": "2024-06-30T12:00:00Z"})
		return b
	}
	for name, body := range map[string][]byte{
		"new-article.json":    doc("new-article", "A new article beside hostile keys"),
		".hidden.json":        doc("hidden-article", "HIDDEN-MUST-NOT-PUBLISH"),
		"2024/.draft.json":    doc("hidden-draft", "HIDDEN-DRAFT-MUST-NOT-PUBLISH"),
		"../config/site.json": doc("outside", "OUTSIDE-MUST-NOT-PUBLISH"),
	} {
		path := filepath.Join(articles, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	var records []map[string]any
	for _, key := range append(hostileKeys, "articles/new-article.json") {
		records = append(records, map[string]any{
			"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
			"s3": map[string]any{"bucket": map[string]any{"name": "feedpub-newsroom"},
				"object": map[string]any{"key": url.QueryEscape(key), "size": 100}},
		})
	}
	event, err := json.Marshal(map[string]any{"Records": records})
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	h := &trigger.Handler{Build: build, ArticlePrefix: "articles/", Log: slog.New(slog.NewTextHandler(&logs, nil))}
	got, err := h.Handle(context.Background(), event)
	if err != nil {
		t.Fatalf("the event's build failed: %v\nlog:\n%s", err, logs.String())
	}
	res, ok := got.(*trigger.Result)
	if !ok || !res.Built || res.Report == nil {
		t.Fatalf("result: got %#v, want a build", got)
	}
	if res.Report.Articles.Fetched != 1 {
		t.Errorf("documents read: got %d, want the good one alone", res.Report.Articles.Fetched)
	}
	rss, err := os.ReadFile(filepath.Join(out, "feeds", "index.rss"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rss), "A new article beside hostile keys") {
		t.Errorf("the good key was not published")
	}
	if strings.Contains(string(rss), "MUST-NOT-PUBLISH") {
		t.Errorf("a hidden or outside document was published")
	}
	if n := strings.Count(logs.String(), "ignored s3 key"); n != len(hostileKeys) {
		t.Errorf("keys ignored with a warning: got %d, want %d:\n%s", n, len(hostileKeys), logs.String())
	}

	// An event naming only such keys asks for no build.
	records = records[:len(hostileKeys)]
	event, _ = json.Marshal(map[string]any{"Records": records})
	got, err = h.Handle(context.Background(), event)
	if res, ok := got.(*trigger.Result); err != nil || !ok || res.Built {
		t.Errorf("an event of hostile keys alone: got %#v, %v; want no build", got, err)
	}
}

// lockedBuffer is a log destination that the handler and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
