package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
)

// A process killed between writing a temporary file and renaming it into
// place leaves the file behind, hidden from listings. A later write to
// the same directory removes those that are old enough (an hour), once
// per directory for the store; younger ones (a write in flight) and other
// dot-files stay.
func TestFolderSweepsStaleTemporaryFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	files := map[string]bool{ // name: removed by the sweep
		"feeds/.index.rss.0123456789ab.tmp":            true,
		"feeds/.index.rss.br.a1b2c3d4e5f6.tmp":         true,
		"feeds/.young.rss.00000000000f.tmp":            false, // an hour has not passed
		"feeds/.keep":                                  false, // not a temporary file
		"feeds/.notes.0123456789ab.txt":                false,
		"feeds/.index.rss.nothex123456.tmp":            false,
		".feedpub/catalog/.head.json.abcdefabcdef.tmp": true,
		"archive/.x.atom.abcdefabcdef.tmp":             false, // a directory nothing writes to
	}
	old := time.Now().Add(-2 * time.Hour)
	for name := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("part"), 0o644); err != nil {
			t.Fatal(err)
		}
		if filepath.Base(p) != ".young.rss.00000000000f.tmp" {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	f := store.NewFolder(dir)
	if _, err := f.WriteAll(ctx, []*store.Object{{Key: "feeds/index.rss", Body: []byte("<rss/>")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.PutIf(ctx, &store.Object{Key: ".feedpub/catalog/head.json", Body: []byte("{}")}, ""); err != nil {
		t.Fatal(err)
	}
	for name, removed := range files {
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name)))
		if gone := os.IsNotExist(err); gone != removed {
			t.Errorf("%s: removed %v, want %v", name, gone, removed)
		}
	}
	// Once per directory: a file left later is the next store's to sweep.
	late := filepath.Join(dir, "feeds", ".later.rss.0123456789ab.tmp")
	if err := os.WriteFile(late, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(late, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(ctx, &store.Object{Key: "feeds/index.atom", Body: []byte("<feed/>")}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(late); err != nil {
		t.Errorf("the store swept feeds/ twice: %v", err)
	}
	g := store.NewFolder(dir)
	if _, err := g.Write(ctx, &store.Object{Key: "feeds/index.atom", Body: []byte("<feed>2</feed>")}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(late); !os.IsNotExist(err) {
		t.Errorf("another store's write left %s: %v", late, err)
	}
}
