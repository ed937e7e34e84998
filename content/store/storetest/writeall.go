package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
)

// writeAllKeys are n keys, nested and flat, in several scripts.
func writeAllKeys(n int) []string {
	fixed := []string{
		"index.html", "feeds.opml", "feeds/index.rss", "feeds/index.atom", "feeds/index.json",
		"feeds/category/热点.rss", "feeds/category/热点.atom", "feeds/tag/ニュース.json",
		"feeds/author/김민준.rss", "feeds/category/أخبار.atom", "feeds/tag/Ünïcödé ☃.json",
		"feeds/a b&c+d=e.json", "a/b/c/d/e/f.txt", "empty.txt",
	}
	keys := fixed[:min(n, len(fixed))]
	for i := len(keys); i < n; i++ {
		keys = append(keys, fmt.Sprintf("feeds/item/%02d/%04d.json", i%7, i))
	}
	return keys
}

// objects returns one object per key, with bodies that differ per key and
// per round but keep their length from round to round (empty.txt empty).
func objects(keys []string, round int) []*store.Object {
	out := make([]*store.Object, len(keys))
	for i, key := range keys {
		var body []byte
		if key != "empty.txt" {
			body = fmt.Appendf(nil, "round %03d of %s (%d)", round, key, i)
		}
		out[i] = &store.Object{Key: key, Body: body, ContentType: store.TypeByKey(key)}
	}
	return out
}

// checkWritten checks that every object is stored with the version
// WriteAll returned for it.
func checkWritten(t *testing.T, b store.Bucket, objs []*store.Object, versions []string) {
	t.Helper()
	if len(versions) != len(objs) {
		t.Fatalf("WriteAll of %d objects: got %d versions", len(objs), len(versions))
	}
	for i, o := range objs {
		got := mustGet(t, b, o.Key)
		if !bytes.Equal(got.Body, o.Body) {
			t.Errorf("Get(%q) after WriteAll: got %q, want %q", o.Key, got.Body, o.Body)
		}
		if versions[i] == "" {
			t.Errorf("WriteAll: no version for %q", o.Key)
		} else if got.Version != versions[i] {
			t.Errorf("Get(%q) after WriteAll: Version %q, WriteAll returned %q", o.Key, got.Version, versions[i])
		}
		if want := store.Hash(o.Body); got.Hash != want {
			t.Errorf("Get(%q) after WriteAll: Hash %q, want %q", o.Key, got.Hash, want)
		}
		if want := store.TypeByKey(o.Key); got.ContentType != want {
			t.Errorf("Get(%q) after WriteAll: ContentType %q, want %q", o.Key, got.ContentType, want)
		}
	}
}

// testWriteAll: a round trip of many objects, nested and UTF-8 keys, an
// empty body and a large one; the versions are Get's, and good for
// GetIfChanged and PutIf.
func testWriteAll(t *testing.T, b store.Bucket) {
	ctx := t.Context()
	keys := writeAllKeys(120)
	objs := objects(keys, 1)
	big := &store.Object{Key: "big.bin", Body: randomBytes(1<<20, 3), CacheControl: "public, max-age=60"}
	objs = append(objs, big)
	versions, err := b.WriteAll(ctx, objs)
	if err != nil {
		t.Fatalf("WriteAll of %d objects: %v", len(objs), err)
	}
	checkWritten(t, b, objs, versions)
	infos, err := b.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != len(objs) {
		t.Errorf("List after WriteAll of %d objects: got %d", len(objs), len(infos))
	}
	for i, o := range objs {
		if _, err := b.GetIfChanged(ctx, o.Key, versions[i]); !errors.Is(err, store.ErrNotModified) {
			t.Errorf("GetIfChanged(%q) with WriteAll's version: got %v, want ErrNotModified", o.Key, err)
		}
	}
	if _, err := b.PutIf(ctx, &store.Object{Key: keys[0], Body: []byte("next")}, versions[0]); err != nil {
		t.Errorf("PutIf with WriteAll's version: %v", err)
	}

	// Nothing to write is no error.
	for _, none := range [][]*store.Object{nil, {}} {
		v, err := b.WriteAll(ctx, none)
		if err != nil || len(v) != 0 {
			t.Errorf("WriteAll of no objects: got %q, %v; want nothing, nil", v, err)
		}
	}
	// The caller's buffers are not kept.
	buf := []byte("original")
	if _, err := b.WriteAll(ctx, []*store.Object{{Key: "k.txt", Body: buf}}); err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXXXXXX")
	if o := mustGet(t, b, "k.txt"); string(o.Body) != "original" {
		t.Errorf("Get after the caller changed its WriteAll buffer: got %q, want %q", o.Body, "original")
	}
}

// testWriteAllOverwrite: existing keys are replaced, whatever wrote them,
// among new ones; a key given twice ends with the last of its objects.
func testWriteAllOverwrite(t *testing.T, b store.Bucket) {
	ctx := t.Context()
	keys := writeAllKeys(40)
	old := objects(keys[:25], 1)
	for i, o := range old {
		var err error
		if i%2 == 0 {
			_, err = b.Put(ctx, o)
		} else {
			_, err = b.Write(ctx, o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	before := make(map[string]string)
	for _, o := range old {
		before[o.Key] = mustGet(t, b, o.Key).Version
	}
	objs := objects(keys, 2) // the same lengths as round 1
	versions, err := b.WriteAll(ctx, objs)
	if err != nil {
		t.Fatalf("WriteAll over existing keys: %v", err)
	}
	checkWritten(t, b, objs, versions)
	for i, o := range objs {
		if v, ok := before[o.Key]; ok && len(o.Body) > 0 && v == versions[i] {
			t.Errorf("WriteAll of new bytes over %q: got its old version %q again", o.Key, v)
		}
	}
	// The same bytes again: written all the same.
	again, err := b.WriteAll(ctx, objs)
	if err != nil {
		t.Fatalf("WriteAll of the same bytes: %v", err)
	}
	checkWritten(t, b, objs, again)

	// A key twice, and more: the last one given stands.
	twice := []*store.Object{
		{Key: "dup.txt", Body: []byte("first")},
		{Key: "other.txt", Body: []byte("other")},
		{Key: "dup.txt", Body: []byte("second")},
		{Key: "dup.txt", Body: []byte("third!")},
	}
	versions, err = b.WriteAll(ctx, twice)
	if err != nil {
		t.Fatalf("WriteAll of a key twice: %v", err)
	}
	if got := mustGet(t, b, "dup.txt"); string(got.Body) != "third!" || got.Version != versions[3] {
		t.Errorf("Get after WriteAll of a key thrice: got %q (version %q), want %q (version %q)", got.Body, got.Version, "third!", versions[3])
	}
	if got := mustGet(t, b, "other.txt"); string(got.Body) != "other" {
		t.Errorf("Get(other.txt): got %q", got.Body)
	}
}

// testWriteAllInvalidKey: an invalid key among valid ones fails alone: the
// error names it and wraps ErrInvalidKey, and the valid ones are written.
func testWriteAllInvalidKey(t *testing.T, b store.Bucket) {
	ctx := t.Context()
	bad := []string{"../escape", "a//b", "bad\xffutf8", ""}
	var objs []*store.Object
	for i, key := range bad {
		objs = append(objs,
			&store.Object{Key: fmt.Sprintf("ok/%d.txt", i), Body: fmt.Appendf(nil, "ok %d", i)},
			&store.Object{Key: key, Body: []byte("bad")})
	}
	objs = append(objs, &store.Object{Key: "ok/last.txt", Body: []byte("last")})
	versions, err := b.WriteAll(ctx, objs)
	if !errors.Is(err, store.ErrInvalidKey) {
		t.Fatalf("WriteAll with invalid keys: got %v, want ErrInvalidKey", err)
	}
	if len(versions) != len(objs) {
		t.Fatalf("WriteAll of %d objects: got %d versions", len(objs), len(versions))
	}
	for _, key := range bad {
		if !strings.Contains(err.Error(), strconv.Quote(key)) {
			t.Errorf("WriteAll error %q does not name the invalid key %q", err, key)
		}
	}
	var valid []*store.Object
	var validVersions []string
	for i, o := range objs {
		if store.CheckKey(o.Key) != nil {
			if versions[i] != "" {
				t.Errorf("WriteAll: invalid key %q got version %q, want none", o.Key, versions[i])
			}
			continue
		}
		if strings.Contains(err.Error(), o.Key) {
			t.Errorf("WriteAll error %q names %q, which was written", err, o.Key)
		}
		valid = append(valid, o)
		validVersions = append(validVersions, versions[i])
	}
	checkWritten(t, b, valid, validVersions)
	infos, err := b.List(ctx, "")
	if err != nil || len(infos) != len(valid) {
		t.Errorf("List after WriteAll with invalid keys: got %d objects (%v), want the %d valid ones", len(infos), err, len(valid))
	}
}

// testWriteAllCancelled: a cancelled context writes nothing, and an
// existing key keeps its bytes.
func testWriteAllCancelled(t *testing.T, b store.Bucket) {
	mustPut(t, b, "kept.txt", []byte("kept"))
	ops := new(store.Ops)
	b.Count(ops)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	objs := []*store.Object{
		{Key: "kept.txt", Body: []byte("changed")},
		{Key: "new.txt", Body: []byte("new")},
		{Key: "dir/new.txt", Body: []byte("new")},
	}
	versions, err := b.WriteAll(ctx, objs)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteAll with a cancelled context: got %v, want context.Canceled", err)
	}
	for i, o := range objs {
		if !strings.Contains(err.Error(), o.Key) {
			t.Errorf("WriteAll error %q does not name %q", err, o.Key)
		}
		if versions[i] != "" {
			t.Errorf("WriteAll with a cancelled context: %q got version %q, want none", o.Key, versions[i])
		}
	}
	b.Count(nil)
	if got := ops.Snapshot(); got.Put != 0 {
		t.Errorf("WriteAll with a cancelled context: counted %v, want no put", got)
	}
	for _, key := range []string{"new.txt", "dir/new.txt"} {
		if _, err := b.Get(t.Context(), key); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%q) after a cancelled WriteAll: got %v, want ErrNotFound", key, err)
		}
	}
	if got := mustGet(t, b, "kept.txt"); string(got.Body) != "kept" {
		t.Errorf("Get(kept.txt) after a cancelled WriteAll: got %q, want %q", got.Body, "kept")
	}

	// Cancelled while writing: whatever was written is whole, and whatever
	// has a version is written.
	keys := writeAllKeys(200)
	first := objects(keys, 1)
	if _, err := b.WriteAll(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	second := objects(keys, 2)
	ops = new(store.Ops)
	b.Count(ops)
	ctx, cancel = context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		versions, err = b.WriteAll(ctx, second)
	}()
	// Cancelled once it has begun: a quarter of the objects under way.
	for ops.Snapshot().Put < int64(len(keys)/4) {
		select {
		case <-done:
		case <-time.After(50 * time.Microsecond):
			continue
		}
		break
	}
	cancel()
	<-done
	b.Count(nil)
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteAll cancelled while writing: got %v, want nil or context.Canceled", err)
	}
	for i, key := range keys {
		got := mustGet(t, b, key)
		switch {
		case versions[i] != "" && !bytes.Equal(got.Body, second[i].Body):
			t.Errorf("Get(%q) after a cancelled WriteAll: got %q, want %q, which WriteAll gave a version", key, got.Body, second[i].Body)
		case !bytes.Equal(got.Body, first[i].Body) && !bytes.Equal(got.Body, second[i].Body):
			t.Errorf("Get(%q) after a cancelled WriteAll: got %q, neither version", key, got.Body)
		}
		if versions[i] == "" && err != nil && !strings.Contains(err.Error(), key) {
			t.Errorf("WriteAll cancelled while writing: %q has no version, and the error does not name it", key)
		}
	}
	written := 0
	for _, v := range versions {
		if v != "" {
			written++
		}
	}
	t.Logf("WriteAll cancelled while writing: %d of %d objects written", written, len(keys))
}

// testWriteAllCounts: WriteAll is one Put per object and nothing else (no
// Head, no Get), changed or not.
func testWriteAllCounts(t *testing.T, b store.Bucket) {
	ctx := t.Context()
	ops := new(store.Ops)
	b.Count(ops)
	defer b.Count(nil)
	objs := objects(writeAllKeys(60), 1)
	for round := range 2 {
		before := ops.Snapshot()
		if _, err := b.WriteAll(ctx, objs); err != nil {
			t.Fatal(err)
		}
		if d, want := ops.Snapshot().Sub(before), (store.OpCounts{Put: int64(len(objs))}); d != want {
			t.Errorf("WriteAll %d of %d objects: counted %v, want %v", round, len(objs), d, want)
		}
	}
	before := ops.Snapshot()
	if _, err := b.WriteAll(ctx, []*store.Object{{Key: "ok.txt"}, {Key: "../bad"}}); !errors.Is(err, store.ErrInvalidKey) {
		t.Fatalf("WriteAll with an invalid key: got %v, want ErrInvalidKey", err)
	}
	if d, want := ops.Snapshot().Sub(before), (store.OpCounts{Put: 1}); d != want {
		t.Errorf("WriteAll of a valid and an invalid key: counted %v, want %v", d, want)
	}
}

// testWriteAllIsAtomic rewrites 50 keys of 64 KiB with WriteAll over and
// over while readers Get them: every read is one whole version of its key.
func testWriteAllIsAtomic(t *testing.T, b store.Bucket) {
	const keys, size, rounds, readers = 50, 64 << 10, 8, 4
	ctx := t.Context()
	versions := [2][]*store.Object{}
	want := make(map[string]map[string]bool)
	for v := range versions {
		for k := range keys {
			key := fmt.Sprintf("feeds/category/c%02d.rss", k)
			body := randomBytes(size, uint64(1000+2*k+v))
			if v == 0 {
				body = bytes.Repeat([]byte{byte('a' + k%26)}, size)
			}
			versions[v] = append(versions[v], &store.Object{Key: key, Body: body, ContentType: store.TypeByKey(key)})
			if want[key] == nil {
				want[key] = make(map[string]bool)
			}
			want[key][store.Hash(body)] = true
		}
	}
	if _, err := b.WriteAll(ctx, versions[0]); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var reading, wg sync.WaitGroup // reading: until every reader has read once
	reading.Add(readers)
	for r := range readers {
		wg.Go(func() {
			once := sync.OnceFunc(reading.Done)
			defer once()
			rng := rand.New(rand.NewPCG(uint64(r), 7))
			for {
				select {
				case <-done:
					return
				default:
				}
				key := versions[0][rng.IntN(keys)].Key
				o, err := b.Get(ctx, key)
				if err != nil {
					t.Errorf("Get(%q) during WriteAll: %v", key, err)
					return
				}
				if !want[key][store.Hash(o.Body)] {
					t.Errorf("Get(%q) during WriteAll: got %d bytes that are neither version", key, len(o.Body))
					return
				}
				once()
			}
		})
	}
	reading.Wait()
	for i := range rounds {
		if _, err := b.WriteAll(ctx, versions[(i+1)%2]); err != nil {
			t.Errorf("WriteAll %d: %v", i, err)
			break
		}
	}
	close(done)
	wg.Wait()
}
