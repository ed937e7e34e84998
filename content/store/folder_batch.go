package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// batchWorkers is how many files a folder's WriteAll writes at once.
const batchWorkers = 8

// WriteAll writes every object as Write does, atomically and without
// reading the stored bytes first, and returns their new versions in order
// (the hash of each body). What it saves is the syncing: instead of one
// fsync(2) per file it makes the whole batch durable at once.
//
//  1. Every temporary file is written, batchWorkers at a time, and not
//     synced.
//  2. On Linux one syncfs(2) per filesystem the files are on (one, but
//     for a mount point below the folder) writes back and commits them
//     all: their bytes and the directories created for them.
//  3. Every temporary file is renamed over its key, batchWorkers at a
//     time (the objects of one key one after the other, in order).
//  4. One more syncfs(2) per filesystem commits the renames.
//
// A rename made durable in 4 so names bytes made durable in 2, and a
// reader or a crash sees the old file or the new one, never a part.
// syncfs reports write-back errors from Linux 5.8 on. Filesystems whose
// syncfs is not known to commit everything (network and FUSE mounts),
// and systems other than Linux, fsync each file in 1 and each directory
// written to, with its parents, in 4.
//
// An object with an invalid key, or one that cannot be written, fails
// alone: the others are still written. A cancelled context fails every
// object not yet renamed, and they stay as they were; once the renames
// have begun WriteAll finishes them. On every failure the temporary files
// are removed. A key given twice ends with the last of its objects.
//
// The temporary files a process that died mid-write left in a directory
// written to are removed once they are an hour old (see sweep); Put,
// Write and PutIf do the same.
func (f *Folder) WriteAll(ctx context.Context, objs []*Object) (versions []string, err error) {
	versions = make([]string, len(objs))
	errs := make([]error, len(objs))
	fail := func(i int, err error) {
		errs[i] = fmt.Errorf("folder store: write %s: %w", objs[i].Key, err)
	}
	var todo []int // the objects still to write, in order
	for i, o := range objs {
		if err := CheckKey(o.Key); err != nil {
			errs[i] = fmt.Errorf("folder store: write %q: %w", o.Key, err)
			continue
		}
		todo = append(todo, i)
	}
	if len(todo) == 0 {
		return versions, errors.Join(errs...)
	}
	if err := ctx.Err(); err != nil {
		for _, i := range todo {
			fail(i, err)
		}
		return versions, errors.Join(errs...)
	}
	r, err := openRootForWrite(f.dir)
	if err != nil {
		for _, i := range todo {
			fail(i, err)
		}
		return versions, errors.Join(errs...)
	}
	defer r.Close()

	// The directories, each made once.
	var dirs []string
	for _, i := range todo {
		dirs = append(dirs, path.Dir(objs[i].Key))
	}
	slices.Sort(dirs)
	dirs = slices.Compact(dirs)
	dirErr := make(map[string]error)
	for _, dir := range dirs {
		if dir == "." {
			continue
		}
		if err := r.MkdirAll(dir, 0o755); err != nil {
			dirErr[dir] = rootErr(err)
		}
	}
	todo = slices.DeleteFunc(todo, func(i int) bool {
		if err := dirErr[path.Dir(objs[i].Key)]; err != nil {
			fail(i, err)
			return true
		}
		return false
	})
	dirs = slices.DeleteFunc(dirs, func(dir string) bool { return dirErr[dir] != nil })
	plan := planSync(r, dirs, f.fsyncEach, f.onSync)
	// Each directory opened once: files are then made and renamed by
	// their base names, without resolving every path element again for
	// every file (os.Root opens each element it walks).
	subs := map[string]*os.Root{".": r}
	for _, dir := range dirs {
		if dir == "." {
			continue
		}
		sub, err := r.OpenRoot(dir)
		if err != nil {
			dirErr[dir] = rootErr(err)
			continue
		}
		defer sub.Close()
		subs[dir] = sub
	}
	todo = slices.DeleteFunc(todo, func(i int) bool {
		if err := dirErr[path.Dir(objs[i].Key)]; err != nil {
			fail(i, err)
			return true
		}
		return false
	})

	// 1. The temporary files.
	tmps := make([]string, len(objs))
	hashes := make([]string, len(objs))
	parallel(len(todo), func(n int) {
		if ctx.Err() != nil {
			return
		}
		i := todo[n]
		o := objs[i]
		tmp := tempName(o.Key)
		sub := subs[path.Dir(o.Key)]
		f.count(opPut)
		f.countState(o.Key, len(o.Body), true)
		if err := plan.writeFileIn(sub, tmp, o.Body); err != nil {
			_ = sub.Remove(path.Base(tmp))
			fail(i, rootErr(err))
			return
		}
		hashes[i] = o.Hash
		if hashes[i] == "" {
			hashes[i] = Hash(o.Body)
		}
		tmps[i] = tmp
	})
	todo = slices.DeleteFunc(todo, func(i int) bool { return errs[i] != nil })
	abort := func(err error) ([]string, error) {
		for _, i := range todo {
			if tmps[i] != "" {
				_ = r.Remove(tmps[i])
			}
			fail(i, err)
		}
		return versions, errors.Join(errs...)
	}
	if err := ctx.Err(); err != nil {
		return abort(err)
	}

	// 2. Their bytes, durable.
	if err := plan.beforeRename(); err != nil {
		return abort(err)
	}
	if err := ctx.Err(); err != nil {
		return abort(err)
	}

	// 3. In place, batchWorkers at a time: the objects of one key one
	// after the other, in order.
	var keys [][]int
	byKey := make(map[string]int)
	for _, i := range todo {
		if k, ok := byKey[objs[i].Key]; ok {
			keys[k] = append(keys[k], i)
			continue
		}
		byKey[objs[i].Key] = len(keys)
		keys = append(keys, []int{i})
	}
	parallel(len(keys), func(k int) {
		for _, i := range keys[k] {
			sub := subs[path.Dir(objs[i].Key)]
			if err := sub.Rename(path.Base(tmps[i]), path.Base(objs[i].Key)); err != nil {
				_ = sub.Remove(path.Base(tmps[i]))
				fail(i, rootErr(err))
			}
		}
	})
	renamed := slices.DeleteFunc(todo, func(i int) bool { return errs[i] != nil })

	// 4. The renames, durable.
	if err := plan.afterRename(); err != nil {
		for _, i := range renamed {
			fail(i, err)
		}
		return versions, errors.Join(errs...)
	}
	for _, i := range renamed {
		versions[i] = hashes[i]
	}
	for dir := range subs {
		f.sweep(r, dir)
	}
	return versions, errors.Join(errs...)
}

// parallel calls fn(0) to fn(n-1), batchWorkers at a time, and returns
// when they have all returned.
func parallel(n int, fn func(int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(batchWorkers, n) {
		wg.Go(func() {
			for k := int(next.Add(1) - 1); k < n; k = int(next.Add(1) - 1) {
				fn(k)
			}
		})
	}
	wg.Wait()
}

// openRootForWrite opens dir, creating it if need be.
func openRootForWrite(dir string) (*os.Root, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return os.OpenRoot(dir)
}

// batchSync is how one WriteAll makes what it wrote durable: syncfs(2) of
// whole filesystems, or fsync(2) of each file and directory.
type batchSync struct {
	r *os.Root
	// syncfs names one directory on each filesystem synced whole.
	syncfs []string
	// fsync holds the directories whose files are synced one by one, and
	// which (with their parents) are synced after the renames.
	fsync  map[string]bool
	onSync func(call, name string)
}

func (b *batchSync) note(call, name string) {
	if b.onSync != nil {
		b.onSync(call, name)
	}
}

// writeFileIn creates the temporary file name (a key's path) by its base
// name in sub, the root of its directory; synced as writeFile says.
func (b *batchSync) writeFileIn(sub *os.Root, name string, body []byte) error {
	sync := b.fsync[path.Dir(name)]
	if sync {
		b.note("fsync", name)
	}
	return writeFile(sub, path.Base(name), body, sync)
}

// beforeRename makes the temporary files' bytes durable where they were
// not synced one by one.
func (b *batchSync) beforeRename() error {
	for _, dir := range b.syncfs {
		b.note("syncfs", dir)
		if err := syncfs(b.r, dir); err != nil {
			return err
		}
	}
	return nil
}

// afterRename makes the renames durable: the filesystems synced whole
// again, and every directory whose files were synced one by one, with
// its parents up to the folder (a directory WriteAll made is an entry in
// its parent).
func (b *batchSync) afterRename() error {
	if err := b.beforeRename(); err != nil {
		return err
	}
	if len(b.fsync) == 0 {
		return nil
	}
	dirs := make(map[string]bool)
	for dir := range b.fsync {
		for ; !dirs[dir]; dir = path.Dir(dir) {
			dirs[dir] = true
			if dir == "." {
				break
			}
		}
	}
	for _, dir := range slices.Sorted(maps.Keys(dirs)) {
		b.note("fsync", dir)
		if err := fsyncDir(b.r, dir); err != nil {
			return err
		}
	}
	return nil
}

// fsyncDir makes a directory's entries durable. Windows cannot sync a
// directory (its handles are read-only) and needs not: NTFS journals them.
func fsyncDir(r *os.Root, dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := r.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
