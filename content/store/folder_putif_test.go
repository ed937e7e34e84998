//go:build unix

package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
)

func TestFolderListHasNoVersions(t *testing.T) {
	f := store.NewFolder(t.TempDir())
	for _, key := range []string{"a.txt", "feeds/index.rss"} {
		if _, err := f.Write(t.Context(), &store.Object{Key: key, Body: []byte(key)}); err != nil {
			t.Fatal(err)
		}
	}
	infos, err := f.List(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		if in.Version != "" {
			t.Errorf("List Version of %q: got %q, want \"\" (a folder lists size and mtime only)", in.Key, in.Version)
		}
	}
}

// TestFolderCounts: what a folder counts where stores differ: Put and
// PutIf read the stored bytes (a Get), never a Head.
func TestFolderCounts(t *testing.T) {
	ctx := t.Context()
	f := store.NewFolder(t.TempDir())
	ops := new(store.Ops)
	f.Count(ops)
	check := func(what string, want store.OpCounts) {
		t.Helper()
		if got := ops.Snapshot(); got != want {
			t.Errorf("after %s: counted %v, want %v", what, got, want)
		}
		*ops = store.Ops{}
	}
	o := &store.Object{Key: "k.json", Body: []byte("1")}
	if _, err := f.Put(ctx, o); err != nil {
		t.Fatal(err)
	}
	check("Put of a new key", store.OpCounts{Get: 1, Put: 1})
	if _, err := f.Put(ctx, o); err != nil {
		t.Fatal(err)
	}
	check("Put, unchanged", store.OpCounts{Get: 1})
	v, err := f.PutIf(ctx, &store.Object{Key: "k.json", Body: []byte("2")}, store.Hash([]byte("1")))
	if err != nil {
		t.Fatal(err)
	}
	check("PutIf, match", store.OpCounts{Get: 1, Put: 1})
	if v != store.Hash([]byte("2")) {
		t.Errorf("PutIf version: got %q, want the body's hash", v)
	}
	if _, err := f.PutIf(ctx, o, ""); !errors.Is(err, store.ErrPrecondition) {
		t.Fatalf("PutIf create of a present key: got %v, want ErrPrecondition", err)
	}
	check("PutIf, failed", store.OpCounts{Get: 1})
}

// lockFile is where a folder's PutIf of key takes its lock.
func lockFile(dir, key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(dir, ".feedpub", "locks", hex.EncodeToString(sum[:])+".lock")
}

// TestFolderPutIfLock: PutIf waits for the lock on its key, which another
// process may hold, for as long as its context allows; the lock file is
// hidden from List.
func TestFolderPutIfLock(t *testing.T) {
	dir := t.TempDir()
	f := store.NewFolder(dir)
	key := "catalog/state.json"
	if _, err := f.PutIf(t.Context(), &store.Object{Key: key, Body: []byte("1")}, ""); err != nil {
		t.Fatal(err)
	}
	if got, want := files(t, dir), []string{".feedpub/locks/" + filepath.Base(lockFile(dir, key)), key}; !slices.Equal(got, want) {
		t.Errorf("files after PutIf: got %q, want %q", got, want)
	}
	if infos, err := f.List(t.Context(), ""); err != nil || len(infos) != 1 || infos[0].Key != key {
		t.Errorf("List after PutIf: got %v, %v; want only %s", infos, err, key)
	}

	held, err := os.OpenFile(lockFile(dir, key), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := syscall.Flock(int(held.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	v1 := store.Hash([]byte("1"))
	if _, err := f.PutIf(ctx, &store.Object{Key: key, Body: []byte("2")}, v1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("PutIf while another holds the lock: got %v, want context.DeadlineExceeded", err)
	}
	// Another key's lock is another file.
	if _, err := f.PutIf(t.Context(), &store.Object{Key: "other.json", Body: []byte("o")}, ""); err != nil {
		t.Fatalf("PutIf of another key while the lock is held: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := f.PutIf(t.Context(), &store.Object{Key: key, Body: []byte("2")}, v1)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if got := string(mustGetFolder(t, f, key)); got != "1" {
		t.Fatalf("Get while the lock is held: got %q, want %q", got, "1")
	}
	if err := syscall.Flock(int(held.Fd()), syscall.LOCK_UN); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("PutIf once the lock is free: %v", err)
	}
	if got := string(mustGetFolder(t, f, key)); got != "2" {
		t.Errorf("Get after the waiting PutIf: got %q, want %q", got, "2")
	}
}

func mustGetFolder(t *testing.T, f *store.Folder, key string) []byte {
	t.Helper()
	o, err := f.Get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	return o.Body
}

// TestFolderPutIfAcrossProcesses: processes (this test binary again)
// counting up one file with PutIf, read-modify-write retried on
// ErrPrecondition, lose no increment.
func TestFolderPutIfAcrossProcesses(t *testing.T) {
	const procs, workers, increments = 4, 2, 25
	const key = "counter"
	if dir := os.Getenv("FEEDPUB_TEST_PUTIF_DIR"); dir != "" {
		for {
			if _, err := os.Stat(filepath.Join(dir, "go")); err == nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
		countUp(t, store.NewFolder(dir), key, workers, increments)
		return
	}
	dir := t.TempDir()
	f := store.NewFolder(dir)
	if _, err := f.PutIf(t.Context(), &store.Object{Key: key, Body: []byte("0")}, ""); err != nil {
		t.Fatal(err)
	}
	var cmds []*exec.Cmd
	outs := make([][]byte, procs)
	var wg sync.WaitGroup
	for i := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFolderPutIfAcrossProcesses$", "-test.count=1")
		cmd.Env = append(os.Environ(), "FEEDPUB_TEST_PUTIF_DIR="+dir)
		cmds = append(cmds, cmd)
		wg.Go(func() { outs[i], _ = cmd.CombinedOutput() })
	}
	time.Sleep(200 * time.Millisecond) // let them start and wait
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, cmd := range cmds {
		if !cmd.ProcessState.Success() {
			t.Errorf("process %d: %v\n%s", i, cmd.ProcessState, outs[i])
		}
	}
	if got, want := string(mustGetFolder(t, f, key)), strconv.Itoa(procs*workers*increments); got != want {
		t.Errorf("counter after %s increments by PutIf in %d processes: got %s", want, procs, got)
	}
}

func countUp(t *testing.T, f *store.Folder, key string, workers, increments int) {
	ctx := t.Context()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range increments {
				if err := increment(ctx, f, key); err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func increment(ctx context.Context, f *store.Folder, key string) error {
	for range 10000 {
		o, err := f.Get(ctx, key)
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(string(o.Body))
		if err != nil {
			return err
		}
		_, err = f.PutIf(ctx, &store.Object{Key: key, Body: strconv.AppendInt(nil, int64(n+1), 10)}, o.Version)
		if !errors.Is(err, store.ErrPrecondition) {
			return err
		}
	}
	return fmt.Errorf("no increment after 10000 attempts")
}
