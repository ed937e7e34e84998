package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/feedpub/feedpub/content/store"
)

// testListVersions: a listing carries no versions at all, or for every
// object the one Get returns, which a conditional Get and PutIf take.
func testListVersions(t *testing.T, b store.Bucket) {
	ctx := t.Context()
	keys := []string{"feeds/index.rss", "feeds/category/热点.rss", "index.html", "empty.txt"}
	for _, key := range keys {
		body := []byte("body of " + key)
		if key == "empty.txt" {
			body = nil
		}
		mustPut(t, b, key, body)
	}
	if _, err := b.Write(ctx, &store.Object{Key: "written.json", Body: []byte(`{"w":1}`)}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	keys = append(keys, "written.json")
	list := func() map[string]store.Info {
		t.Helper()
		infos, err := b.List(ctx, "")
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		m := make(map[string]store.Info, len(infos))
		for _, in := range infos {
			m[in.Key] = in
		}
		if len(m) != len(keys) {
			t.Fatalf("List: got %d objects, want %d", len(m), len(keys))
		}
		return m
	}
	infos := list()
	versioned := infos[keys[0]].Version != ""
	for _, key := range keys {
		in := infos[key]
		if (in.Version != "") != versioned {
			t.Errorf("List: %q has Version %q, %q has %q: a listing carries versions for every object or for none",
				key, in.Version, keys[0], infos[keys[0]].Version)
			continue
		}
		if !versioned {
			continue
		}
		if got := mustGet(t, b, key); in.Version != got.Version {
			t.Errorf("List Version of %q: got %q, Get says %q", key, in.Version, got.Version)
		}
		if _, err := b.GetIfChanged(ctx, key, in.Version); !errors.Is(err, store.ErrNotModified) {
			t.Errorf("GetIfChanged(%q) with the listed version: got %v, want ErrNotModified", key, err)
		}
	}
	if !versioned {
		return
	}
	// A listed version is good for PutIf; the next listing has the new one.
	v, err := b.PutIf(ctx, &store.Object{Key: "index.html", Body: []byte("<html>new</html>")}, infos["index.html"].Version)
	if err != nil {
		t.Fatalf("PutIf with the listed version: %v", err)
	}
	if got := list()["index.html"].Version; got != v {
		t.Errorf("List Version after PutIf: got %q, PutIf returned %q", got, v)
	}
}

func testWrite(t *testing.T, b store.Bucket) {
	ctx := t.Context()
	key := "feeds/index.rss"
	first, second := []byte("<rss>first</rss>"), []byte("<rss>other</rss>") // same length
	var last string
	for i, body := range [][]byte{first, second, second, first} {
		v, err := b.Write(ctx, &store.Object{Key: key, Body: body, ContentType: store.TypeByKey(key)})
		if err != nil {
			t.Fatalf("Write %d: %v", i, err)
		}
		if v == "" {
			t.Fatalf("Write %d: got no version", i)
		}
		o := mustGet(t, b, key)
		if !bytes.Equal(o.Body, body) {
			t.Errorf("Get after Write %d: got %q, want %q", i, o.Body, body)
		}
		if o.Version != v {
			t.Errorf("Get after Write %d: Version %q, Write returned %q", i, o.Version, v)
		}
		if want := store.Hash(body); o.Hash != want {
			t.Errorf("Get after Write %d: Hash %q, want %q", i, o.Hash, want)
		}
		if want := store.TypeByKey(key); o.ContentType != want {
			t.Errorf("Get after Write %d: ContentType %q, want %q", i, o.ContentType, want)
		}
		if i == 1 || i == 3 {
			if v == last {
				t.Errorf("Write %d of different bytes: got the version %q again", i, v)
			}
			if _, err := b.GetIfChanged(ctx, key, last); err != nil {
				t.Errorf("GetIfChanged with the version before Write %d: got %v, want the object", i, err)
			}
		}
		if _, err := b.GetIfChanged(ctx, key, v); !errors.Is(err, store.ErrNotModified) {
			t.Errorf("GetIfChanged with Write %d's version: got %v, want ErrNotModified", i, err)
		}
		last = v
	}
	// A new, nested key and an empty body.
	if _, err := b.Write(ctx, &store.Object{Key: "a/b/c.txt", Body: nil}); err != nil {
		t.Fatalf("Write of a new nested key: %v", err)
	}
	if o := mustGet(t, b, "a/b/c.txt"); len(o.Body) != 0 {
		t.Errorf("Get after an empty Write: got %q, want nothing", o.Body)
	}
	// The caller's buffer is not kept.
	buf := []byte("original")
	if _, err := b.Write(ctx, &store.Object{Key: "k.txt", Body: buf}); err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXXXXXX")
	if o := mustGet(t, b, "k.txt"); string(o.Body) != "original" {
		t.Errorf("Get after the caller changed its Write buffer: got %q, want %q", o.Body, "original")
	}
}

func testPutIf(t *testing.T, b store.Bucket) {
	ctx := t.Context()
	key := "catalog/state.json"
	obj := func(body string) *store.Object {
		return &store.Object{Key: key, Body: []byte(body), ContentType: store.TypeByKey(key)}
	}
	want := func(what, body, version string) {
		t.Helper()
		o := mustGet(t, b, key)
		if string(o.Body) != body {
			t.Errorf("Get after %s: got %q, want %q", what, o.Body, body)
		}
		if version != "" && o.Version != version {
			t.Errorf("Get after %s: Version %q, want %q", what, o.Version, version)
		}
	}
	precondition := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, store.ErrPrecondition) {
			t.Errorf("%s: got %v, want ErrPrecondition", what, err)
		}
	}

	// Missing: If-Match fails, create-only succeeds.
	_, err := b.PutIf(ctx, obj(`{"n":0}`), "a-version-this-store-never-made")
	precondition("PutIf with a version of a missing key", err)
	if _, err := b.Get(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get after a failed PutIf of a missing key: got %v, want ErrNotFound", err)
	}
	v1, err := b.PutIf(ctx, obj(`{"n":1}`), "")
	if err != nil {
		t.Fatalf("PutIf create of a missing key: %v", err)
	}
	if v1 == "" {
		t.Fatalf("PutIf create: got no version")
	}
	want("PutIf create", `{"n":1}`, v1)

	// Present: create-only fails, whatever the bytes.
	_, err = b.PutIf(ctx, obj(`{"n":9}`), "")
	precondition("PutIf create of a present key", err)
	_, err = b.PutIf(ctx, obj(`{"n":1}`), "")
	precondition("PutIf create of a present key with its own bytes", err)
	want("failed PutIf creates", `{"n":1}`, v1)

	// Match replaces; the old version no longer matches.
	v2, err := b.PutIf(ctx, obj(`{"n":2}`), v1)
	if err != nil {
		t.Fatalf("PutIf with the current version: %v", err)
	}
	if v2 == "" || v2 == v1 {
		t.Errorf("PutIf with the current version: got version %q (was %q), want a new one", v2, v1)
	}
	want("PutIf match", `{"n":2}`, v2)
	_, err = b.PutIf(ctx, obj(`{"n":3}`), v1)
	precondition("PutIf with a stale version", err)
	_, err = b.PutIf(ctx, obj(`{"n":3}`), "a-version-this-store-never-made")
	precondition("PutIf with a made-up version", err)
	want("failed PutIf matches", `{"n":2}`, v2)

	// Same bytes again under a match: a write all the same.
	v3, err := b.PutIf(ctx, obj(`{"n":2}`), v2)
	if err != nil {
		t.Fatalf("PutIf of the same bytes with the current version: %v", err)
	}
	want("PutIf of the same bytes", `{"n":2}`, v3)

	// Versions from Get, Put and Write are all good for PutIf.
	mustPut(t, b, key, []byte(`{"n":4}`))
	_, err = b.PutIf(ctx, obj(`{"n":5}`), v3)
	precondition("PutIf with the version from before a Put", err)
	v5, err := b.PutIf(ctx, obj(`{"n":5}`), mustGet(t, b, key).Version)
	if err != nil {
		t.Fatalf("PutIf with Get's version after a Put: %v", err)
	}
	want("PutIf after a Put", `{"n":5}`, v5)
	w, err := b.Write(ctx, obj(`{"n":6}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.PutIf(ctx, obj(`{"n":7}`), w); err != nil {
		t.Fatalf("PutIf with Write's version: %v", err)
	}
	want("PutIf after a Write", `{"n":7}`, "")

	// Deleted: missing again.
	if err := b.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	_, err = b.PutIf(ctx, obj(`{"n":8}`), v5)
	precondition("PutIf with a version of a deleted key", err)
	if _, err := b.PutIf(ctx, obj(`{"n":8}`), ""); err != nil {
		t.Fatalf("PutIf create of a deleted key: %v", err)
	}
	want("PutIf create after Delete", `{"n":8}`, "")

	// Other keys are untouched, and a new nested key can be created.
	if _, err := b.PutIf(ctx, &store.Object{Key: "a/b/c.json", Body: []byte("{}")}, ""); err != nil {
		t.Fatalf("PutIf create of a nested key: %v", err)
	}
	infos, err := b.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 2 || infos[0].Key != "a/b/c.json" || infos[1].Key != key {
		t.Errorf("List after PutIfs: got %v, want a/b/c.json and %s only", infos, key)
	}
}

// testPutIfRace: of callers racing PutIf on one key with the same ifMatch
// (a version, or "" for a missing key), exactly one wins; every other one
// fails with ErrPrecondition, and the winner's bytes and version stand.
func testPutIfRace(t *testing.T, b store.Bucket) {
	const racers, rounds = 16, 3
	ctx := t.Context()
	for round := range rounds {
		for _, create := range []bool{true, false} {
			key := fmt.Sprintf("race/%d-%v.json", round, create)
			ifMatch := ""
			if !create {
				v, err := b.Write(ctx, &store.Object{Key: key, Body: []byte("base")})
				if err != nil {
					t.Fatal(err)
				}
				ifMatch = v
			}
			versions := make([]string, racers)
			errs := make([]error, racers)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range racers {
				wg.Go(func() {
					<-start
					versions[i], errs[i] = b.PutIf(ctx, &store.Object{Key: key, Body: fmt.Appendf(nil, "racer %d", i)}, ifMatch)
				})
			}
			close(start)
			wg.Wait()
			winner := -1
			for i, err := range errs {
				switch {
				case err == nil && winner >= 0:
					t.Errorf("%s: racers %d and %d both won", key, winner, i)
				case err == nil:
					winner = i
				case !errors.Is(err, store.ErrPrecondition):
					t.Errorf("%s: racer %d: got %v, want ErrPrecondition or a win", key, i, err)
				}
			}
			if winner < 0 {
				t.Fatalf("%s: no racer won", key)
			}
			o := mustGet(t, b, key)
			if got, want := string(o.Body), fmt.Sprintf("racer %d", winner); got != want {
				t.Errorf("%s: Get after the race: got %q, want the winner's %q", key, got, want)
			}
			if o.Version != versions[winner] {
				t.Errorf("%s: Get after the race: Version %q, the winner's PutIf returned %q", key, o.Version, versions[winner])
			}
		}
	}
}

// testPutIfCounter: read-modify-write with PutIf, retried on
// ErrPrecondition, loses no update however the callers interleave.
func testPutIfCounter(t *testing.T, b store.Bucket) {
	const workers, increments = 6, 5
	ctx := t.Context()
	key := "catalog/counter"
	if _, err := b.PutIf(ctx, &store.Object{Key: key, Body: []byte("0")}, ""); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range increments {
				for attempt := 0; ; attempt++ {
					if attempt == 1000 {
						t.Errorf("worker %d: no increment after %d attempts", w, attempt)
						return
					}
					o, err := b.Get(ctx, key)
					if err != nil {
						t.Errorf("worker %d: Get: %v", w, err)
						return
					}
					n, err := strconv.Atoi(string(o.Body))
					if err != nil {
						t.Errorf("worker %d: counter %q: %v", w, o.Body, err)
						return
					}
					_, err = b.PutIf(ctx, &store.Object{Key: key, Body: strconv.AppendInt(nil, int64(n+1), 10)}, o.Version)
					if err == nil {
						break
					}
					if !errors.Is(err, store.ErrPrecondition) {
						t.Errorf("worker %d: PutIf: %v", w, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if got, want := string(mustGet(t, b, key).Body), strconv.Itoa(workers*increments); got != want {
		t.Errorf("counter after %d increments by PutIf: got %s, want %s", workers*increments, got, want)
	}
}

// testCounts: the operations a store counts, where every store agrees.
func testCounts(t *testing.T, b store.Bucket) {
	ctx := t.Context()
	ops := new(store.Ops)
	b.Count(ops)
	step := func(what string, do func() error, check func(d store.OpCounts) bool, want string) {
		t.Helper()
		before := ops.Snapshot()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if d := ops.Snapshot().Sub(before); !check(d) {
			t.Errorf("%s: counted %v, want %s", what, d, want)
		}
	}
	exactly := func(want store.OpCounts) func(store.OpCounts) bool {
		return func(d store.OpCounts) bool { return d == want }
	}
	key := "feeds/index.json"
	var version string
	step("Write", func() (err error) {
		version, err = b.Write(ctx, &store.Object{Key: key, Body: []byte(`{"v":1}`)})
		return err
	}, exactly(store.OpCounts{Put: 1}), "one put and nothing else (no head, no get)")
	step("Get", func() error { _, err := b.Get(ctx, key); return err },
		exactly(store.OpCounts{Get: 1}), "one get")
	step("GetIfChanged, not modified", func() error {
		if _, err := b.GetIfChanged(ctx, key, version); !errors.Is(err, store.ErrNotModified) {
			return fmt.Errorf("got %v, want ErrNotModified", err)
		}
		return nil
	}, exactly(store.OpCounts{Get: 1, NotModified: 1}), "one get, not modified")
	step("GetIfChanged, changed", func() error { _, err := b.GetIfChanged(ctx, key, "old"); return err },
		exactly(store.OpCounts{Get: 1}), "one get")
	step("Get, missing", func() error {
		if _, err := b.Get(ctx, "missing.json"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("got %v, want ErrNotFound", err)
		}
		return nil
	}, exactly(store.OpCounts{Get: 1}), "one get")
	step("List", func() error { _, err := b.List(ctx, ""); return err },
		exactly(store.OpCounts{List: 1}), "one list")
	asksOnce := func(puts int64) func(store.OpCounts) bool {
		return func(d store.OpCounts) bool {
			return d.Head+d.Get == 1 && d.Put == puts && d.List == 0 && d.Delete == 0 && d.NotModified == 0
		}
	}
	step("Put, unchanged", func() error { _, err := b.Put(ctx, &store.Object{Key: key, Body: []byte(`{"v":1}`)}); return err },
		asksOnce(0), "one head or get, no put")
	step("Put, changed", func() error { _, err := b.Put(ctx, &store.Object{Key: key, Body: []byte(`{"v":2}`)}); return err },
		asksOnce(1), "one head or get, one put")
	putIf := func(d store.OpCounts) bool {
		return d.Head == 0 && d.Put <= 1 && d.Get <= 1 && d.List == 0 && d.Delete == 0 && d.NotModified == 0
	}
	step("PutIf, create", func() (err error) {
		version, err = b.PutIf(ctx, &store.Object{Key: "catalog.json", Body: []byte("1")}, "")
		return err
	}, func(d store.OpCounts) bool { return putIf(d) && d.Put == 1 }, "one put, no head, at most one get")
	step("PutIf, match", func() error {
		_, err := b.PutIf(ctx, &store.Object{Key: "catalog.json", Body: []byte("2")}, version)
		return err
	}, func(d store.OpCounts) bool { return putIf(d) && d.Put == 1 }, "one put, no head, at most one get")
	step("PutIf, mismatch", func() error {
		if _, err := b.PutIf(ctx, &store.Object{Key: "catalog.json", Body: []byte("3")}, version); !errors.Is(err, store.ErrPrecondition) {
			return fmt.Errorf("got %v, want ErrPrecondition", err)
		}
		return nil
	}, func(d store.OpCounts) bool {
		return d.Put <= 1 && d.Head+d.Get <= 1 && d.List == 0 && d.Delete == 0 && d.NotModified == 0
	}, "at most one put, and one head or get")
	step("PutIfAbsent", func() error { _, err := b.PutIfAbsent(ctx, "claims/x", []byte("x")); return err },
		exactly(store.OpCounts{Put: 1}), "one put")
	step("Delete", func() error { return b.Delete(ctx, key) },
		exactly(store.OpCounts{Delete: 1}), "one delete")
	step("Delete, missing", func() error { return b.Delete(ctx, key) },
		exactly(store.OpCounts{Delete: 1}), "one delete")

	// Another Ops counts from now on; nil counts nothing.
	other := new(store.Ops)
	b.Count(other)
	before := ops.Snapshot()
	if _, err := b.List(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if got := other.Snapshot(); got != (store.OpCounts{List: 1}) {
		t.Errorf("the second Ops: counted %v, want one list", got)
	}
	b.Count(nil)
	if _, err := b.Write(ctx, &store.Object{Key: key, Body: []byte("uncounted")}); err != nil {
		t.Fatal(err)
	}
	if got := ops.Snapshot(); got != before {
		t.Errorf("the first Ops after Count(other): went from %v to %v", before, got)
	}
	if got := other.Snapshot(); got != (store.OpCounts{List: 1}) {
		t.Errorf("the second Ops after Count(nil): counted %v, want one list still", got)
	}
}
