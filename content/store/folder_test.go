package store_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/content/store/storetest"
)

func TestFolder(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Bucket { return store.NewFolder(t.TempDir()) })
}

// files returns the slash-separated names of every file below dir,
// whatever List would say.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeFile(t *testing.T, name, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFolderMissingDirectory(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "site")
	f := store.NewFolder(dir)
	// A mistyped folder fails a build rather than publishing nothing.
	if _, err := f.List(ctx, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("List of a missing folder: got %v, want ErrNotFound", err)
	}
	if _, err := f.Get(ctx, "a.txt"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get in a missing folder: got %v, want ErrNotFound", err)
	}
	if err := f.Delete(ctx, "a.txt"); err != nil {
		t.Errorf("Delete in a missing folder: got %v, want nil", err)
	}
	if _, err := f.Put(ctx, &store.Object{Key: "feeds/a.rss", Body: []byte("a")}); err != nil {
		t.Fatalf("Put into a missing folder: %v", err)
	}
	if got, want := files(t, dir), []string{"feeds/a.rss"}; !slices.Equal(got, want) {
		t.Errorf("files after Put into a missing folder: got %q, want %q", got, want)
	}
}

// TestFolderSymlinkOutside: a link inside the folder to a file or folder
// outside it is never followed, for reading, writing or deleting.
func TestFolderSymlinkOutside(t *testing.T) {
	ctx := t.Context()
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.rss")
	writeFile(t, secret, "SECRET")
	dir := t.TempDir()
	if err := os.Symlink(secret, filepath.Join(dir, "link.rss")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "dirlink")); err != nil {
		t.Fatal(err)
	}
	f := store.NewFolder(dir)

	for _, key := range []string{"link.rss", "dirlink/secret.rss"} {
		o, err := f.Get(ctx, key)
		if o != nil {
			t.Errorf("Get(%q): got %q, want no object", key, o.Body)
		}
		if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("Get(%q): got %v, want ErrNotFound or ErrInvalidKey", key, err)
		}
	}
	infos, err := f.List(ctx, "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(infos) != 0 {
		t.Errorf("List: got %v, want nothing (links are not objects)", infos)
	}

	if _, err := f.Put(ctx, &store.Object{Key: "dirlink/secret.rss", Body: []byte("overwritten")}); !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("Put through a link to a folder outside: got %v, want ErrInvalidKey", err)
	}
	if err := f.Delete(ctx, "dirlink/secret.rss"); !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("Delete through a link to a folder outside: got %v, want ErrInvalidKey", err)
	}
	// A Put of the link's own key replaces the link, not its target.
	if _, err := f.Put(ctx, &store.Object{Key: "link.rss", Body: []byte("mine")}); err != nil {
		t.Fatalf("Put(link.rss): %v", err)
	}
	if o, err := f.Get(ctx, "link.rss"); err != nil || string(o.Body) != "mine" {
		t.Errorf("Get(link.rss) after Put: got %v, want %q", err, "mine")
	}
	if got, err := os.ReadFile(secret); err != nil || string(got) != "SECRET" {
		t.Errorf("the file outside: got %q, %v; want %q untouched", got, err, "SECRET")
	}
}

// TestFolderPutLeavesNoTempFiles: Put writes a temporary dot-file and
// renames it; neither a Put nor a failed Put leaves one behind.
func TestFolderPutLeavesNoTempFiles(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	f := store.NewFolder(dir)
	for _, o := range []*store.Object{
		{Key: "feeds/index.rss", Body: []byte("one")},
		{Key: "feeds/index.rss", Body: []byte("two")},
		{Key: "feeds/index.rss", Body: []byte("two")}, // unchanged
		{Key: "dir/a.txt", Body: []byte("a")},
		{Key: "file.txt", Body: []byte("f")},
	} {
		if _, err := f.Put(ctx, o); err != nil {
			t.Fatalf("Put(%q): %v", o.Key, err)
		}
	}
	// Both fail where a folder cannot follow: the first in the rename,
	// after the temporary file was written; the second before.
	if _, err := f.Put(ctx, &store.Object{Key: "dir", Body: []byte("over a folder")}); err == nil {
		t.Errorf("Put over a folder of objects: got nil, want an error")
	}
	if _, err := f.Put(ctx, &store.Object{Key: "file.txt/x", Body: []byte("under a file")}); err == nil {
		t.Errorf("Put below an object: got nil, want an error")
	}
	want := []string{"dir/a.txt", "feeds/index.rss", "file.txt"}
	if got := files(t, dir); !slices.Equal(got, want) {
		t.Errorf("files in the folder: got %q, want %q", got, want)
	}
}

func TestFolderListHidesDotFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{".DS_Store", ".git/config", "feeds/.index.rss.0123456789ab.tmp", "feeds/.hidden/x.rss"} {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), "hidden")
	}
	f := store.NewFolder(dir)
	if _, err := f.Put(t.Context(), &store.Object{Key: "feeds/index.rss", Body: []byte("rss")}); err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"", "feeds/", "feeds/.", ".git/"} {
		infos, err := f.List(t.Context(), prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", prefix, err)
		}
		var got []string
		for _, in := range infos {
			got = append(got, in.Key)
		}
		var want []string
		if prefix == "" || prefix == "feeds/" {
			want = []string{"feeds/index.rss"}
		}
		if !slices.Equal(got, want) {
			t.Errorf("List(%q): got %q, want %q", prefix, got, want)
		}
	}
}

func TestFolderUnchangedPutKeepsModTime(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	f := store.NewFolder(dir)
	key, body := "feeds/index.rss", []byte("<rss/>")
	if _, err := f.Put(ctx, &store.Object{Key: key, Body: body}); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "feeds", "index.rss")
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(name, old, old); err != nil {
		t.Fatal(err)
	}
	changed, err := f.Put(ctx, &store.Object{Key: key, Body: bytes.Clone(body)})
	if err != nil || changed {
		t.Fatalf("Put of the same bytes: got changed %v, err %v; want false, nil", changed, err)
	}
	info, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if !info.ModTime().Equal(old) {
		t.Errorf("mtime after an unchanged Put: got %v, want %v", info.ModTime(), old)
	}
	if o, err := f.Get(ctx, key); err != nil || !o.ModTime.Equal(old) {
		t.Errorf("Get ModTime: got %v (err %v), want %v", o.ModTime, err, old)
	}
	if _, err := f.Put(ctx, &store.Object{Key: key, Body: []byte("<rss>new</rss>")}); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(name); err != nil || !info.ModTime().After(old) {
		t.Errorf("mtime after a changed Put: got %v (err %v), want after %v", info.ModTime(), err, old)
	}
}

// TestFolderVersionIgnoresModTime: two versions of a file with the same
// size and modification time (coarse timestamps; two writes in one tick;
// a copy that keeps times) are still different versions.
func TestFolderVersionIgnoresModTime(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	f := store.NewFolder(dir)
	key := "feeds/index.json"
	first, second := []byte(`{"n":1}`), []byte(`{"n":2}`)
	if _, err := f.Put(ctx, &store.Object{Key: key, Body: first}); err != nil {
		t.Fatal(err)
	}
	v1, err := f.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Put(ctx, &store.Object{Key: key, Body: second}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(dir, "feeds", "index.json"), v1.ModTime, v1.ModTime); err != nil {
		t.Fatal(err)
	}
	o, err := f.GetIfChanged(ctx, key, v1.Version)
	if err != nil {
		t.Fatalf("GetIfChanged after a same-size change within one timestamp: got %v, want the new object", err)
	}
	if !bytes.Equal(o.Body, second) {
		t.Errorf("GetIfChanged: got %q, want %q", o.Body, second)
	}
}

// A pinned folder is read through one opening of the directory, as it was
// when pinned, until the last pin is released; a directory renamed into
// its place meanwhile is read after that.
func TestFolderPin(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	dir := filepath.Join(parent, "articles")
	write := func(d, body string) {
		t.Helper()
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "a.json"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	get := func(f *store.Folder) string {
		t.Helper()
		obj, err := f.Get(ctx, "a.json")
		if err != nil {
			t.Fatal(err)
		}
		return string(obj.Body)
	}
	write(dir, "old")
	f := store.NewFolder(dir)
	release, err := f.Pin()
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.Pin()
	if err != nil {
		t.Fatal(err)
	}
	// The directory swapped for another, as a deploy renames one into place.
	if err := os.Rename(dir, filepath.Join(parent, "articles.old")); err != nil {
		t.Fatal(err)
	}
	write(dir, "new")
	if got := get(f); got != "old" {
		t.Errorf("pinned: read %q, want the pinned directory's %q", got, "old")
	}
	release()
	release() // a second call does nothing
	if got := get(f); got != "old" {
		t.Errorf("one pin left: read %q, want %q", got, "old")
	}
	again()
	if got := get(f); got != "new" {
		t.Errorf("released: read %q, want the directory now in place's %q", got, "new")
	}
	if _, err := store.NewFolder(filepath.Join(parent, "missing")).Pin(); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("pin a missing folder: %v, want ErrNotFound", err)
	}
}
