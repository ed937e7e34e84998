package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Folder stores objects as files below a directory. Keys cannot reach
// outside it: every access goes through an os.Root.
type Folder struct {
	dir string
	ops atomic.Pointer[Ops]
	pin pin // see Pin

	// fsyncEach makes WriteAll fsync every file and directory instead of
	// syncing whole filesystems (tests of the portable path set it).
	fsyncEach bool
	// onSync, when set, is told of every sync call WriteAll makes (tests).
	onSync func(call, name string)

	// swept holds the directories whose stale temporary files this store
	// removed (see sweep).
	swept sync.Map
}

// staleTemp is how old the temporary file of a write must be before a
// write to its directory removes it: one left by a process that died
// between writing it and renaming it into place (a build killed
// mid-write). No write lasts that long, nor does a build's claim on the
// catalog (20 minutes), so no live write loses its file.
const staleTemp = time.Hour

// sweep removes from dir (a key's directory, "." for the top) the
// temporary files of writes older than staleTemp, once per directory for
// this store: they are hidden from every listing, and nothing else would
// ever remove them. It reports nothing: a file it cannot remove stays.
func (f *Folder) sweep(r *os.Root, dir string) {
	if _, done := f.swept.LoadOrStore(dir, true); done {
		return
	}
	d, err := r.Open(dir)
	if err != nil {
		return
	}
	// Names only: where the filesystem gives no entry types, ReadDir
	// would stat every entry of a directory of thousands of feeds, and
	// only temporary files need it.
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return
	}
	cutoff := time.Now().Add(-staleTemp)
	for _, name := range names {
		if !isTempName(name) {
			continue
		}
		p := path.Join(dir, name)
		if info, err := r.Lstat(p); err == nil && info.Mode().IsRegular() && info.ModTime().Before(cutoff) {
			_ = r.Remove(p)
		}
	}
}

// isTempName reports whether name is a temporary file's (tempName's base):
// "." + a key's base + "." + 12 hex digits + ".tmp".
func isTempName(name string) bool {
	rest, ok := strings.CutSuffix(name, ".tmp")
	if !ok || !strings.HasPrefix(rest, ".") || len(rest) < 2+1+12 || rest[len(rest)-13] != '.' {
		return false
	}
	_, err := hex.DecodeString(rest[len(rest)-12:])
	return err == nil
}

// NewFolder returns a store over dir; the directory is created on the first
// write if it does not exist.
func NewFolder(dir string) *Folder { return &Folder{dir: dir} }

// String names the store in messages.
func (f *Folder) String() string { return f.dir }

// Count makes the store count its operations in ops from now on; nil
// stops counting. A folder counts one List per listing, one Get per read
// (Put's and PutIf's reads of the stored bytes too), one Put per file
// written and one Delete per removal asked for; it makes no Heads.
func (f *Folder) Count(ops *Ops) { f.ops.Store(ops) }

func (f *Folder) count(k opKind) { f.ops.Load().add(k) }

// countState counts the bytes of internal state read or written.
func (f *Folder) countState(key string, n int, written bool) { f.ops.Load().state(key, n, written) }

// Pin opens the folder once for the reads (Get) that follow, until
// release. A build reads every document of a corpus: opening and closing
// the folder for each was 2% of a 100,000-article build's CPU. A pinned
// folder is the directory as it was when pinned (one renamed into its
// place meanwhile is seen after release), so a long-lived reader, a
// server, never pins. Pins and the reads under them are counted: the
// folder is closed when the last of them is done.
func (f *Folder) Pin() (release func(), err error) {
	p := &f.pin
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.r == nil {
		r, err := f.root(false)
		if err != nil {
			return nil, err
		}
		p.r = r
	}
	p.n++
	var once sync.Once
	return func() { once.Do(p.unref) }, nil
}

// pin is a folder opened once, and how many pins and reads use it.
type pin struct {
	mu sync.Mutex
	r  *os.Root
	n  int
}

func (p *pin) unref() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n--; p.n == 0 {
		_ = p.r.Close()
		p.r = nil
	}
}

// readRoot returns the pinned folder, or the folder opened for one read,
// and what to call when the read is done.
func (f *Folder) readRoot() (*os.Root, func(), error) {
	p := &f.pin
	p.mu.Lock()
	if r := p.r; r != nil {
		p.n++
		p.mu.Unlock()
		return r, p.unref, nil
	}
	p.mu.Unlock()
	r, err := f.root(false)
	if err != nil {
		return nil, nil, err
	}
	return r, func() { r.Close() }, nil
}

func (f *Folder) root(create bool) (*os.Root, error) {
	if create {
		if err := os.MkdirAll(f.dir, 0o755); err != nil {
			return nil, fmt.Errorf("folder store: %w", err)
		}
	}
	r, err := os.OpenRoot(f.dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("folder store: %s: %w", f.dir, ErrNotFound)
		}
		return nil, fmt.Errorf("folder store: %w", err)
	}
	return r, nil
}

// Stat returns what the folder knows of the object under key without
// reading it: its size and modification time, and as its Version a token
// of both and of the file's identity, which any write changes (a write
// renames a new file into place). A missing object is ErrNotFound.
func (f *Folder) Stat(ctx context.Context, key string) (Info, error) {
	if err := CheckKey(key); err != nil {
		return Info{}, fmt.Errorf("folder store: stat %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return Info{}, fmt.Errorf("folder store: stat %s: %w", key, err)
	}
	r, err := f.root(false)
	if err != nil {
		return Info{}, err
	}
	defer r.Close()
	fi, err := r.Lstat(key)
	if err != nil {
		return Info{}, fmt.Errorf("folder store: stat %s: %w", key, rootErr(err))
	}
	if !fi.Mode().IsRegular() {
		return Info{}, fmt.Errorf("folder store: stat %s: %w", key, ErrNotFound)
	}
	version := fmt.Sprintf("%d-%d", fi.Size(), fi.ModTime().UnixNano())
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		version += fmt.Sprintf("-%d-%d", st.Dev, st.Ino)
	}
	return Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime(), Version: version}, nil
}

// List returns the objects whose keys start with prefix, sorted by key.
// A missing directory is an error wrapping ErrNotFound.
func (f *Folder) List(ctx context.Context, prefix string) ([]Info, error) {
	r, err := f.root(false)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f.count(opList)
	var out []Info
	err = fs.WalkDir(r.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if strings.HasPrefix(d.Name(), ".") && p != "." {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil // temporary files of unfinished writes
		}
		if d.IsDir() {
			if p != "." && !strings.HasPrefix(p+"/", prefix) && !strings.HasPrefix(prefix, p+"/") {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasPrefix(p, prefix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, Info{Key: p, Size: info.Size(), ModTime: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("folder store: list %s: %w", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Get reads one object.
func (f *Folder) Get(ctx context.Context, key string) (*Object, error) {
	return f.GetIfChanged(ctx, key, "")
}

// GetIfChanged reads one object unless its version is still version, in
// which case it returns ErrNotModified. A folder's version is the hash of
// the file's bytes: modification times can repeat (coarse timestamps, two
// writes within one tick, copies that keep them), contents cannot. Folder
// listings carry no version (Info.Version is ""): it takes a read.
func (f *Folder) GetIfChanged(ctx context.Context, key, version string) (*Object, error) {
	if err := CheckKey(key); err != nil {
		return nil, fmt.Errorf("folder store: get %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("folder store: get %s: %w", key, err)
	}
	r, done, err := f.readRoot()
	if err != nil {
		return nil, err
	}
	defer done()
	f.count(opGet)
	file, err := r.Open(key)
	if err != nil {
		return nil, fmt.Errorf("folder store: get %s: %w", key, rootErr(err))
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("folder store: get %s: %w", key, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("folder store: get %s: %w", key, ErrNotFound)
	}
	buf := bytes.NewBuffer(make([]byte, 0, info.Size()+bytes.MinRead))
	if _, err := buf.ReadFrom(file); err != nil {
		return nil, fmt.Errorf("folder store: get %s: %w", key, err)
	}
	body := buf.Bytes()
	f.countState(key, len(body), false)
	hash := Hash(body)
	if version != "" && version == hash {
		f.count(opNotModified)
		return nil, ErrNotModified
	}
	return &Object{
		Key:             key,
		Body:            body,
		ContentType:     TypeByKey(key),
		ContentEncoding: EncodingByKey(key),
		Hash:            hash,
		ModTime:         info.ModTime(),
		Version:         hash,
	}, nil
}

// rootErr maps what an os.Root reports to the store's errors: a missing
// file, or a key below a file ("a/b" when "a" is an object), is
// ErrNotFound; a path that leaves the folder, through a symbolic link, is
// ErrInvalidKey.
func rootErr(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return ErrNotFound
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "escapes") {
		return ErrInvalidKey // os.Root's error for it is not exported
	}
	return err
}

// Put writes o.Body under o.Key, atomically (a temporary file renamed into
// place), unless the stored bytes are already the same: then it writes
// nothing and reports changed false. Folders keep no metadata: the content
// type of a file follows from its name.
func (f *Folder) Put(ctx context.Context, o *Object) (changed bool, err error) {
	if err := CheckKey(o.Key); err != nil {
		return false, fmt.Errorf("folder store: put %q: %w", o.Key, err)
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("folder store: put %s: %w", o.Key, err)
	}
	r, err := f.root(true)
	if err != nil {
		return false, err
	}
	defer r.Close()
	f.count(opGet)
	old, err := r.ReadFile(o.Key)
	f.countState(o.Key, len(old), false)
	if err == nil && bytes.Equal(old, o.Body) {
		return false, nil
	}
	if err := f.replace(r, o.Key, o.Body); err != nil {
		return false, fmt.Errorf("folder store: put %s: %w", o.Key, err)
	}
	return true, nil
}

// Write writes o.Body under o.Key as Put does, atomically, but without
// reading the stored bytes first: for callers that know they changed. It
// returns the new version, the hash of the body (GetIfChanged's Version).
func (f *Folder) Write(ctx context.Context, o *Object) (version string, err error) {
	if err := CheckKey(o.Key); err != nil {
		return "", fmt.Errorf("folder store: write %q: %w", o.Key, err)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("folder store: write %s: %w", o.Key, err)
	}
	r, err := f.root(true)
	if err != nil {
		return "", err
	}
	defer r.Close()
	if err := f.replace(r, o.Key, o.Body); err != nil {
		return "", fmt.Errorf("folder store: write %s: %w", o.Key, err)
	}
	return Hash(o.Body), nil
}

// PutIf writes o.Body under o.Key only if the stored object is the version
// ifMatch (the hash of its bytes, as GetIfChanged's Version), or, when
// ifMatch is "", only if there is none; otherwise it writes nothing and
// fails with an error wrapping ErrPrecondition. It returns the new version.
//
// The check and the write are one step for every PutIf of the key, in this
// process or another: each holds an exclusive lock (flock(2) on a file
// below .feedpub/locks/, which List hides) from the check until the new
// file is in place. Put, Write and PutIfAbsent take no lock: a key written
// conditionally is to be written with PutIf only.
func (f *Folder) PutIf(ctx context.Context, o *Object, ifMatch string) (version string, err error) {
	if err := CheckKey(o.Key); err != nil {
		return "", fmt.Errorf("folder store: put-if %q: %w", o.Key, err)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("folder store: put-if %s: %w", o.Key, err)
	}
	r, err := f.root(true)
	if err != nil {
		return "", err
	}
	defer r.Close()
	unlock, err := lockKey(ctx, r, o.Key)
	if err != nil {
		return "", fmt.Errorf("folder store: put-if %s: %w", o.Key, err)
	}
	defer unlock()
	f.count(opGet)
	old, err := r.ReadFile(o.Key)
	f.countState(o.Key, len(old), false)
	switch err = rootErr(err); {
	case errors.Is(err, ErrNotFound):
		if ifMatch != "" {
			return "", fmt.Errorf("folder store: put-if %s: no object: %w", o.Key, ErrPrecondition)
		}
	case err != nil:
		return "", fmt.Errorf("folder store: put-if %s: %w", o.Key, err)
	case ifMatch == "":
		return "", fmt.Errorf("folder store: put-if %s: object exists: %w", o.Key, ErrPrecondition)
	case Hash(old) != ifMatch:
		return "", fmt.Errorf("folder store: put-if %s: object changed: %w", o.Key, ErrPrecondition)
	}
	if err := f.replace(r, o.Key, o.Body); err != nil {
		return "", fmt.Errorf("folder store: put-if %s: %w", o.Key, err)
	}
	return Hash(o.Body), nil
}

// replace puts body in place under key: a temporary dot-file, written and
// synced, renamed over whatever was there.
func (f *Folder) replace(r *os.Root, key string, body []byte) error {
	if dir := path.Dir(key); dir != "." {
		if err := r.MkdirAll(dir, 0o755); err != nil {
			return rootErr(err)
		}
	}
	f.count(opPut)
	f.countState(key, len(body), true)
	tmp := tempName(key)
	if err := writeFile(r, tmp, body, true); err != nil {
		_ = r.Remove(tmp)
		return err
	}
	if err := r.Rename(tmp, key); err != nil {
		_ = r.Remove(tmp)
		return err
	}
	f.sweep(r, path.Dir(key))
	return nil
}

// tempName is the temporary dot-file a write of key goes to first, in the
// key's own directory (so that the rename stays on one filesystem), hidden
// from List.
func tempName(key string) string {
	return path.Join(path.Dir(key), "."+path.Base(key)+"."+randomSuffix()+".tmp")
}

// writeFile creates name with body, synced (fsync) when sync is set.
func writeFile(r *os.Root, name string, body []byte, sync bool) error {
	file, err := r.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := file.Write(body); err != nil {
		file.Close()
		return err
	}
	if sync {
		if err := file.Sync(); err != nil {
			file.Close()
			return err
		}
	}
	return file.Close()
}

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Delete removes one object; deleting a missing object is not an error,
// and neither is deleting a key that names a directory (which holds other
// objects, not one).
func (f *Folder) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return fmt.Errorf("folder store: delete %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("folder store: delete %s: %w", key, err)
	}
	f.count(opDelete)
	r, err := f.root(false)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	defer r.Close()
	info, err := r.Lstat(key)
	if err == nil && info.IsDir() {
		return nil
	}
	if err == nil {
		err = r.Remove(key)
	}
	if err = rootErr(err); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("folder store: delete %s: %w", key, err)
	}
	return nil
}
