package trigger_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/layout"
)

// FuzzHandle: any event JSON (a real event mangled, another service's, a
// hostile one) is decoded without a panic; what the builder is handed for
// it names only article documents (relative to the articles location),
// never a key no store could hold, a dot-file, or the builder's state.
func FuzzHandle(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no event in testdata: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"Records":[{"eventSource":"aws:s3","s3":{"object":{"key":"articles/..%2F.feedpub%2Fcatalog"}}}]}`))
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","body":"{\"Records\":[{\"s3\":{\"object\":{\"key\":\"articles/a%00b.json\"}}}]}"}]}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		h, b := newHandler("articles/", nil)
		_, _ = h.Handle(invocation(), json.RawMessage(raw))
		b.mu.Lock()
		jobs := b.jobs
		b.mu.Unlock()
		for _, job := range jobs {
			for _, key := range job.Keys { // relative to the articles location
				if store.CheckKey(key) != nil || strings.HasPrefix(key, ".") || strings.Contains(key, "/.") ||
					strings.ContainsAny(key, "\x00\\") || strings.HasPrefix(key, layout.StateDir) {
					t.Fatalf("event %q made a build of key %q", raw, key)
				}
			}
		}
	})
}
