package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/content/store/storetest"
)

// TestFolderFsyncEach: the portable WriteAll (fsync per file and per
// directory, as where syncfs is not to be had) keeps the contract too.
func TestFolderFsyncEach(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Bucket { return store.NewFolderFsyncEach(t.TempDir()) })
}

// syncCalls counts the sync calls a folder's WriteAll makes.
type syncCalls struct {
	mu    sync.Mutex
	calls map[string][]string // "syncfs" or "fsync": the names
}

func countSyncs(f *store.Folder) *syncCalls {
	c := &syncCalls{calls: make(map[string][]string)}
	store.OnSync(f, func(call, name string) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.calls[call] = append(c.calls[call], name)
	})
	return c
}

func (c *syncCalls) take() map[string][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	calls := c.calls
	c.calls = make(map[string][]string)
	return calls
}

func manyObjects(n int) []*store.Object {
	objs := make([]*store.Object, n)
	for i := range objs {
		key := fmt.Sprintf("feeds/category/c%03d.rss", i)
		switch i % 4 {
		case 0:
			key = fmt.Sprintf("top%03d.json", i)
		case 1:
			key = fmt.Sprintf("feeds/tag/热点/t%03d.atom", i)
		}
		objs[i] = &store.Object{Key: key, Body: fmt.Appendf(nil, "body %d", i)}
	}
	return objs
}

// TestFolderWriteAllSyncCalls: the sync calls WriteAll makes, whatever the
// number of objects: on a local Linux filesystem one syncfs before the
// renames and one after; otherwise one fsync per file and one per
// directory written to, with its parents.
func TestFolderWriteAllSyncCalls(t *testing.T) {
	objs := manyObjects(100)
	fsyncDirs := []string{".", "feeds", "feeds/category", "feeds/tag", "feeds/tag/热点"}
	t.Run("fsync each", func(t *testing.T) {
		f := store.NewFolderFsyncEach(t.TempDir())
		calls := countSyncs(f)
		if _, err := f.WriteAll(t.Context(), objs); err != nil {
			t.Fatal(err)
		}
		got := calls.take()
		if n := len(got["syncfs"]); n != 0 {
			t.Errorf("syncfs calls: got %d, want none", n)
		}
		fsyncs := got["fsync"]
		if n := len(fsyncs); n != len(objs)+len(fsyncDirs) {
			t.Errorf("fsync calls: got %d, want %d (one per file, one per directory)", n, len(objs)+len(fsyncDirs))
		}
		if dirs := fsyncs[len(fsyncs)-len(fsyncDirs):]; !slices.Equal(dirs, fsyncDirs) {
			t.Errorf("directories fsynced last: got %q, want %q", dirs, fsyncDirs)
		}
	})
	t.Run("syncfs", func(t *testing.T) {
		dir := t.TempDir()
		if runtime.GOOS != "linux" || !store.SyncfsServes(dir) {
			t.Skipf("WriteAll does not syncfs %s here", dir)
		}
		f := store.NewFolder(dir)
		calls := countSyncs(f)
		for _, n := range []int{1, 100} {
			if _, err := f.WriteAll(t.Context(), objs[:n]); err != nil {
				t.Fatal(err)
			}
			got := calls.take()
			if len(got["syncfs"]) != 2 || len(got["fsync"]) != 0 {
				t.Errorf("WriteAll of %d objects: sync calls %q, want two syncfs and no fsync", n, got)
			}
		}
	})
}

// TestFolderWriteAllFailures: objects that cannot be written fail alone,
// each named in the error; the others are written; no temporary file is
// left behind, whichever way WriteAll syncs.
func TestFolderWriteAllFailures(t *testing.T) {
	for name, newFolder := range map[string]func(string) *store.Folder{"syncfs": store.NewFolder, "fsync each": store.NewFolderFsyncEach} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			dir := t.TempDir()
			f := newFolder(dir)
			if _, err := f.WriteAll(ctx, []*store.Object{{Key: "dir/a.txt", Body: []byte("a")}, {Key: "file.txt", Body: []byte("f")}}); err != nil {
				t.Fatal(err)
			}
			objs := []*store.Object{
				{Key: "good/1.txt", Body: []byte("1")},
				{Key: "dir", Body: []byte("over a folder")},       // fails in the rename
				{Key: "file.txt/x", Body: []byte("under a file")}, // fails making its directory
				{Key: "../up", Body: []byte("invalid")},
				{Key: "good/2.txt", Body: []byte("2")},
				{Key: "file.txt", Body: []byte("F")},
			}
			versions, err := f.WriteAll(ctx, objs)
			if err == nil {
				t.Fatal("WriteAll with objects that cannot be written: got nil, want an error")
			}
			for i, o := range objs {
				failed := i >= 1 && i <= 3
				named := strings.Contains(err.Error(), "folder store: write "+o.Key+": ") ||
					strings.Contains(err.Error(), fmt.Sprintf("folder store: write %q: ", o.Key))
				if failed != named {
					t.Errorf("WriteAll error %q: names %q %v, want %v", err, o.Key, named, failed)
				}
				if failed != (versions[i] == "") {
					t.Errorf("WriteAll: version of %q is %q", o.Key, versions[i])
				}
			}
			if !errors.Is(err, store.ErrInvalidKey) {
				t.Errorf("WriteAll error %q: does not wrap ErrInvalidKey for ../up", err)
			}
			want := []string{"dir/a.txt", "file.txt", "good/1.txt", "good/2.txt"}
			if got := files(t, dir); !slices.Equal(got, want) {
				t.Errorf("files after WriteAll: got %q, want %q", got, want)
			}
			if o, err := f.Get(ctx, "file.txt"); err != nil || string(o.Body) != "F" {
				t.Errorf("Get(file.txt): got %v, %v; want %q", o, err, "F")
			}

			// Cancelled while writing: no temporary file is left.
			many := manyObjects(300)
			cctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { _, err := f.WriteAll(cctx, many); done <- err }()
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Fatalf("WriteAll cancelled: got %v, want nil or context.Canceled", err)
			}
			for _, name := range files(t, dir) {
				if strings.HasPrefix(filepath.Base(name), ".") {
					t.Errorf("WriteAll cancelled: left %s", name)
				}
			}
		})
	}
}

// TestFolderWriteAllSymlinkOutside: WriteAll does not follow a link out of
// the folder, and writes the rest.
func TestFolderWriteAllSymlinkOutside(t *testing.T) {
	outside := t.TempDir()
	dir := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "dirlink")); err != nil {
		t.Skip(err)
	}
	f := store.NewFolder(dir)
	_, err := f.WriteAll(t.Context(), []*store.Object{
		{Key: "dirlink/secret.rss", Body: []byte("escaped")},
		{Key: "dirlink/sub/secret.rss", Body: []byte("escaped")},
		{Key: "ok.rss", Body: []byte("ok")},
	})
	if !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("WriteAll through a link out of the folder: got %v, want ErrInvalidKey", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("the folder outside: got %v, want it empty", entries)
	}
	if o, err := f.Get(t.Context(), "ok.rss"); err != nil || string(o.Body) != "ok" {
		t.Errorf("Get(ok.rss): got %v, %v", o, err)
	}
}

// BenchmarkFolderWriteMany writes 500 objects of 8 KiB, overwriting the
// same keys each time: Write one by one (an fsync each) against WriteAll.
// Run it with TMPDIR on a disk (not tmpfs, where syncing is free).
func BenchmarkFolderWriteMany(b *testing.B) {
	const n, size = 500, 8 << 10
	objs := make([]*store.Object, n)
	for i := range objs {
		body := make([]byte, size)
		for j := range body {
			body[j] = byte(i + j)
		}
		objs[i] = &store.Object{Key: fmt.Sprintf("feeds/category/c%02d/i%03d.rss", i%50, i), Body: body}
	}
	for _, bench := range []struct {
		name  string
		newF  func(string) *store.Folder
		write func(context.Context, *store.Folder) error
	}{
		{"Write", store.NewFolder, func(ctx context.Context, f *store.Folder) error {
			for _, o := range objs {
				if _, err := f.Write(ctx, o); err != nil {
					return err
				}
			}
			return nil
		}},
		{"WriteAll", store.NewFolder, func(ctx context.Context, f *store.Folder) error {
			_, err := f.WriteAll(ctx, objs)
			return err
		}},
		{"WriteAllFsyncEach", store.NewFolderFsyncEach, func(ctx context.Context, f *store.Folder) error {
			_, err := f.WriteAll(ctx, objs)
			return err
		}},
	} {
		b.Run(bench.name, func(b *testing.B) {
			f := bench.newF(b.TempDir())
			ctx := b.Context()
			if err := bench.write(ctx, f); err != nil { // the directories exist
				b.Fatal(err)
			}
			b.SetBytes(n * size)
			for b.Loop() {
				if err := bench.write(ctx, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
