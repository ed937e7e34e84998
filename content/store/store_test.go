package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/content/store/storetest"
)

func TestCheckKey(t *testing.T) {
	valid := []string{
		"a", "index.html", "feeds/index.rss", "feeds/category/热点.rss",
		"feeds/a b&c+d=e.json", "100% sure.txt", "a..b", "...", "x/...y",
		".hidden", // valid as a key, though a folder's List hides it
		strings.Repeat("k", store.MaxKeyLen),
	}
	for _, key := range valid {
		t.Run(fmt.Sprintf("valid %.40q", key), func(t *testing.T) {
			if err := store.CheckKey(key); err != nil {
				t.Errorf("CheckKey(%q): got %v, want nil", key, err)
			}
		})
	}
	invalid := append([]string{"a\tb", "\x1f", "a/\x01", strings.Repeat("k", store.MaxKeyLen+1)}, storetest.InvalidKeys...)
	for _, key := range invalid {
		t.Run(fmt.Sprintf("invalid %.40q", key), func(t *testing.T) {
			if err := store.CheckKey(key); !errors.Is(err, store.ErrInvalidKey) {
				t.Errorf("CheckKey(%q): got %v, want ErrInvalidKey", key, err)
			}
		})
	}
}

func TestTypeByKey(t *testing.T) {
	const (
		rss      = "application/rss+xml; charset=utf-8"
		atom     = "application/atom+xml; charset=utf-8"
		feedJSON = "application/feed+json; charset=utf-8"
		json     = "application/json; charset=utf-8"
		opml     = "text/x-opml; charset=utf-8"
		html     = "text/html; charset=utf-8"
		xml      = "application/xml; charset=utf-8"
		binary   = "application/octet-stream"
	)
	cases := []struct{ key, want string }{
		{"feeds/index.rss", rss},
		{"feeds/category/热点.rss", rss},
		{"elsewhere.rss", rss},
		{"feeds/index.atom", atom},
		{"feeds/category/news.atom", atom},
		{"feeds/index.json", feedJSON},
		{"feeds/category/news.json", feedJSON},
		{"index.json", json},
		{"feedsx/index.json", json},
		{"site/feeds/index.json", json},
		{"feeds.opml", opml},
		{"index.html", html},
		{"sitemap.xml", xml},
		{"feeds/style.xsl", xml},
		{"logo.png", "image/png"}, // from the mime package
		{"README", binary},
		{"data.no-such-extension", binary},
		{"feeds/index.rss/part", binary},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			if got := store.TypeByKey(c.key); got != c.want {
				t.Errorf("TypeByKey(%q): got %q, want %q", c.key, got, c.want)
			}
		})
	}
}

func TestOps(t *testing.T) {
	var none *store.Ops
	if got := none.Snapshot(); got != (store.OpCounts{}) {
		t.Errorf("nil Ops: got %v, want nothing", got)
	}
	ops := new(store.Ops)
	f := store.NewFolder(t.TempDir())
	f.Count(ops)
	ctx := t.Context()
	if _, err := f.Write(ctx, &store.Object{Key: "a", Body: []byte("a")}); err != nil {
		t.Fatal(err)
	}
	before := ops.Snapshot()
	o, err := f.Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.GetIfChanged(ctx, "a", o.Version); !errors.Is(err, store.ErrNotModified) {
		t.Fatal(err)
	}
	if _, err := f.List(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if got, want := ops.String(), "list=1 get=2 head=0 put=1 delete=1 notmodified=1"; got != want {
		t.Errorf("String: got %q, want %q", got, want)
	}
	if got, want := ops.Snapshot().Sub(before), (store.OpCounts{List: 1, Get: 2, Delete: 1, NotModified: 1}); got != want {
		t.Errorf("Sub: got %v, want %v", got, want)
	}
	if got, want := ops.Snapshot().Sub(before).String(), "list=1 get=2 head=0 put=0 delete=1 notmodified=1"; got != want {
		t.Errorf("String of a difference: got %q, want %q", got, want)
	}
}

// The bytes of internal state (below a dot-folder) are counted as they are
// read and written, and its writes among the puts; those of published
// objects are not.
func TestOpsCountStateBytes(t *testing.T) {
	ops := new(store.Ops)
	f := store.NewFolder(t.TempDir())
	f.Count(ops)
	ctx := t.Context()
	for _, o := range []*store.Object{
		{Key: ".feedpub/manifest.json", Body: make([]byte, 1000)},
		{Key: "feeds/.hidden", Body: make([]byte, 24)},
		{Key: "feeds/index.rss", Body: make([]byte, 5000)},
	} {
		if _, err := f.Write(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.WriteAll(ctx, []*store.Object{{Key: ".feedpub/manifest/0000-a.json", Body: make([]byte, 2048)}}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{".feedpub/manifest.json", "feeds/index.rss"} {
		if _, err := f.Get(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	got := ops.Snapshot()
	if got.StateWritten != 1000+24+2048 || got.StateRead != 1000 || got.StatePut != 3 || got.Put != 4 {
		t.Errorf("state written %d, read %d, in %d of %d puts; want 3072 and 1000, in 3 of 4", got.StateWritten, got.StateRead, got.StatePut, got.Put)
	}
	if s := got.String(); !strings.HasSuffix(s, " state_read=1.0KiB state_written=3.0KiB state_put=3") {
		t.Errorf("String: %q", s)
	}
}
