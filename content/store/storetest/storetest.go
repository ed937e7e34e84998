// Package storetest is the one conformance suite every store passes: the
// folder store and the S3 store run the same checks, through the
// store.Bucket interface only, so they cannot drift apart.
package storetest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/store"
)

// Run checks the store.Bucket contract, one subtest per property. open
// returns a new, empty store each time it is called; Run calls it once per
// subtest, with that subtest's t, so open may use t.TempDir and t.Cleanup.
//
// The contract, beyond what each subtest's name says:
//   - An empty store lists nothing, without an error. Whether a store that
//     does not exist at all (a missing folder, a missing bucket) is empty
//     or fails is the store's to define and test: the folder store reports
//     ErrNotFound, so that a mistyped path fails a build instead of
//     publishing nothing.
//   - Run uses no key with an element starting with "." (the folder store
//     writes its temporary files under such names, and its List hides
//     them), and no key that is both an object and the prefix of another
//     object's key ("a" and "a/b"; a folder cannot hold both).
//   - A Put with a cancelled context fails and stores nothing; so do Get,
//     List, Delete, Write and PutIf.
//   - A listing's Info.Version is either "" for every object (the store's
//     listings carry no versions: a folder) or, for every object, the
//     Version a Get returns (S3: the ETag), which GetIfChanged and PutIf
//     take. Which one is the store's to test.
//   - Write writes without asking first: exactly one Put operation, no Head
//     and no Get. It and PutIf return the version a Get then reports.
//   - WriteAll writes every object as Write does, one Put each and nothing
//     else, and returns the versions a Get then reports, in order. Each
//     object is replaced whole: readers during a WriteAll see old bytes or
//     new. An object that fails (an invalid key among valid ones, say)
//     fails alone: the valid ones are written, and the error wraps each
//     failure and names its key. A cancelled context writes nothing. A key
//     given twice ends with the last of its objects.
//   - PutIf with ifMatch "" creates a missing object only; with a version,
//     replaces that version only; any other case fails with
//     ErrPrecondition and writes nothing. Of callers racing PutIf with the
//     same ifMatch, exactly one wins.
//   - A store given an Ops with Count counts its operations there, the same
//     way for every store where the stores can agree: a Get or
//     GetIfChanged is one Get (and a NotModified when not modified), a
//     short List one List, a Delete one Delete, a Write or PutIfAbsent
//     one Put; a Put asks once (a Head, or a Get) and is one Put when it
//     writes; a PutIf makes at most one Put, and no Head unless its condition
//     fails (S3 then asks whether the object is its own retried upload).
func Run(t *testing.T, open func(t *testing.T) store.Bucket) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open(t)) })
	t.Run("GetMissing", func(t *testing.T) { testGetMissing(t, open(t)) })
	t.Run("PutUnchanged", func(t *testing.T) { testPutUnchanged(t, open(t)) })
	t.Run("PutChanged", func(t *testing.T) { testPutChanged(t, open(t)) })
	t.Run("Metadata", func(t *testing.T) { testMetadata(t, open(t)) })
	t.Run("GetIfChanged", func(t *testing.T) { testGetIfChanged(t, open(t)) })
	t.Run("List", func(t *testing.T) { testList(t, open(t)) })
	t.Run("ListEmpty", func(t *testing.T) { testListEmpty(t, open(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open(t)) })
	t.Run("DeleteMissing", func(t *testing.T) { testDeleteMissing(t, open(t)) })
	t.Run("DeletePrefixOfKeys", func(t *testing.T) { testDeletePrefix(t, open(t)) })
	t.Run("InvalidKeys", func(t *testing.T) { testInvalidKeys(t, open(t)) })
	t.Run("PutIfAbsent", func(t *testing.T) { testPutIfAbsent(t, open(t)) })
	t.Run("ListVersions", func(t *testing.T) { testListVersions(t, open(t)) })
	t.Run("Write", func(t *testing.T) { testWrite(t, open(t)) })
	t.Run("WriteAll", func(t *testing.T) { testWriteAll(t, open(t)) })
	t.Run("WriteAllOverwrite", func(t *testing.T) { testWriteAllOverwrite(t, open(t)) })
	t.Run("WriteAllInvalidKey", func(t *testing.T) { testWriteAllInvalidKey(t, open(t)) })
	t.Run("WriteAllCancelled", func(t *testing.T) { testWriteAllCancelled(t, open(t)) })
	t.Run("WriteAllCounts", func(t *testing.T) { testWriteAllCounts(t, open(t)) })
	t.Run("WriteAllIsAtomic", func(t *testing.T) { testWriteAllIsAtomic(t, open(t)) })
	t.Run("PutIf", func(t *testing.T) { testPutIf(t, open(t)) })
	t.Run("PutIfRace", func(t *testing.T) { testPutIfRace(t, open(t)) })
	t.Run("PutIfCounter", func(t *testing.T) { testPutIfCounter(t, open(t)) })
	t.Run("Counts", func(t *testing.T) { testCounts(t, open(t)) })
	t.Run("NoAliasing", func(t *testing.T) { testNoAliasing(t, open(t)) })
	t.Run("Cancelled", func(t *testing.T) { testCancelled(t, open(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open(t)) })
	t.Run("ReplaceIsAtomic", func(t *testing.T) { testReplaceIsAtomic(t, open(t)) })
	t.Run("Precompressed", func(t *testing.T) { testPrecompressed(t, open(t)) })
}

// A precompressed variant comes back as it was written, still compressed,
// with its coding and the type of what it encodes.
func testPrecompressed(t *testing.T, b store.Bucket) {
	ctx := t.Context()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(bytes.Repeat([]byte("<item>热点新闻</item>\n"), 200))
	_ = zw.Close()
	for _, w := range []struct{ key, enc string }{{"feeds/tag/x.rss.gz", "gzip"}, {"feeds/tag/x.atom.br", "br"}} {
		body := gz.Bytes() // the bytes of a coding are opaque to a store
		if _, err := b.Write(ctx, &store.Object{Key: w.key, Body: body, ContentType: store.TypeByKey(w.key), ContentEncoding: w.enc}); err != nil {
			t.Fatalf("Write %s: %v", w.key, err)
		}
		o, err := b.Get(ctx, w.key)
		if err != nil {
			t.Fatalf("Get %s: %v", w.key, err)
		}
		if !bytes.Equal(o.Body, body) {
			t.Errorf("%s: got %d bytes, want the %d written, unchanged", w.key, len(o.Body), len(body))
		}
		if o.ContentEncoding != w.enc {
			t.Errorf("%s: ContentEncoding %q, want %q", w.key, o.ContentEncoding, w.enc)
		}
		if want := store.TypeByKey(strings.TrimSuffix(w.key, path.Ext(w.key))); o.ContentType != want || want == store.TypeByKey("x.bin") {
			t.Errorf("%s: ContentType %q, want %q", w.key, o.ContentType, want)
		}
	}
}

// InvalidKeys are keys every store refuses with store.ErrInvalidKey.
var InvalidKeys = []string{
	"", ".", "..", "../x", "a/..", "a/../b", "/abs", "a/", "a//b", "a/./b",
	"a\\b", "x\x00y", "a\nb", "a\x7fb", "bad\xffutf8",
	strings.Repeat("abcdefgh/", 114) + "x", // 1027 bytes, over store.MaxKeyLen
}

func testRoundTrip(t *testing.T, b store.Bucket) {
	binary := make([]byte, 0, 512)
	for i := range 256 {
		binary = append(binary, byte(i))
	}
	binary = append(binary, "\xff\xfe\x00\r\n\r\xc3\x28 invalid UTF-8, CRLF, NUL"...)
	cases := []struct {
		name string
		key  string
		body []byte
	}{
		{"EmptyBody", "empty.txt", []byte{}},
		{"BinaryBytes", "data.bin", binary},
		{"OneMiB", "big.bin", randomBytes(1<<20, 1)},
		{"UTF8Key", "feeds/category/热点.rss", []byte("<rss>热点</rss>")},
		{"PunctuatedKey", "feeds/a b&c+d=e.json", []byte(`{"k":"v"}`)},
		{"URLSpecialKey", "odd/100% ~sure#;,@$!'()[]=.txt", []byte("odd")},
		{"NestedKey", "a/b/c/d/e/f.txt", []byte("deep")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			changed, err := b.Put(ctx, &store.Object{Key: c.key, Body: c.body, ContentType: store.TypeByKey(c.key)})
			if err != nil {
				t.Fatalf("Put(%q): %v", c.key, err)
			}
			if !changed {
				t.Errorf("Put(%q) of a new key: got changed false, want true", c.key)
			}
			o := mustGet(t, b, c.key)
			if o.Key != c.key {
				t.Errorf("Get(%q).Key: got %q, want %q", c.key, o.Key, c.key)
			}
			if !bytes.Equal(o.Body, c.body) {
				t.Errorf("Get(%q).Body: got %d bytes (hash %.12s), want %d bytes (hash %.12s)",
					c.key, len(o.Body), store.Hash(o.Body), len(c.body), store.Hash(c.body))
			}
		})
	}
}

func testGetMissing(t *testing.T, b store.Bucket) {
	ctx := t.Context()
	if _, err := b.Get(ctx, "missing.txt"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get of a missing key in an empty store: got %v, want ErrNotFound", err)
	}
	mustPut(t, b, "dir/present.txt", []byte("here"))
	for _, key := range []string{"missing.txt", "dir/missing.txt", "dir", "dir/present.txt/more", "other/present.txt"} {
		if _, err := b.Get(ctx, key); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%q): got %v, want ErrNotFound", key, err)
		}
		if _, err := b.GetIfChanged(ctx, key, "some-version"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetIfChanged(%q): got %v, want ErrNotFound", key, err)
		}
	}
}

func testPutUnchanged(t *testing.T, b store.Bucket) {
	ctx := t.Context()
	key, body := "feeds/index.rss", []byte("<rss>same</rss>")
	mustPut(t, b, key, body)
	before := mustGet(t, b, key)
	changed, err := b.Put(ctx, &store.Object{Key: key, Body: bytes.Clone(body), ContentType: store.TypeByKey(key)})
	if err != nil {
		t.Fatalf("second Put of the same bytes: %v", err)
	}
	if changed {
		t.Errorf("second Put of the same bytes: got changed true, want false")
	}
	if _, err := b.GetIfChanged(ctx, key, before.Version); !errors.Is(err, store.ErrNotModified) {
		t.Errorf("GetIfChanged with the version from before an unchanged Put: got %v, want ErrNotModified", err)
	}
	if after := mustGet(t, b, key); !bytes.Equal(after.Body, body) {
		t.Errorf("Get after an unchanged Put: got %q, want %q", after.Body, body)
	}
}

func testPutChanged(t *testing.T, b store.Bucket) {
	ctx := t.Context()
	key := "feeds/index.atom"
	// Same length, so a store cannot tell them apart by size.
	first, second := []byte("<feed>first</feed>"), []byte("<feed>other</feed>")
	for i, body := range [][]byte{first, second, first} {
		changed, err := b.Put(ctx, &store.Object{Key: key, Body: body, ContentType: store.TypeByKey(key)})
		if err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
		if !changed {
			t.Errorf("Put %d of different bytes: got changed false, want true", i)
		}
		if got := mustGet(t, b, key); !bytes.Equal(got.Body, body) {
			t.Errorf("Get after Put %d: got %q, want %q", i, got.Body, body)
		}
	}
}

func testMetadata(t *testing.T, b store.Bucket) {
	start := time.Now()
	keys := []string{"feeds/index.rss", "feeds/index.atom", "feeds/index.json", "feeds/category/news.json", "index.html", "feeds.opml", "data.bin"}
	for _, key := range keys {
		t.Run(key, func(t *testing.T) {
			body := []byte("body of " + key)
			mustPut(t, b, key, body)
			o := mustGet(t, b, key)
			if want := store.Hash(body); o.Hash != want {
				t.Errorf("Hash: got %q, want %q", o.Hash, want)
			}
			if want := store.TypeByKey(key); o.ContentType != want {
				t.Errorf("ContentType: got %q, want %q", o.ContentType, want)
			}
			checkModTime(t, "Get ModTime", o.ModTime, start)
			if o.Version == "" {
				t.Errorf("Version: got empty, want a token")
			}
		})
	}
	infos, err := b.List(t.Context(), "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	for _, in := range infos {
		checkModTime(t, "List ModTime of "+in.Key, in.ModTime, start)
	}
}

// checkModTime accepts any time near the test's: stores keep seconds or
// less, and an S3 server's clock may be a little off.
func checkModTime(t *testing.T, what string, got, start time.Time) {
	t.Helper()
	if got.IsZero() {
		t.Errorf("%s: got the zero time, want when the object was written", what)
		return
	}
	if got.Before(start.Add(-time.Hour)) || got.After(time.Now().Add(time.Hour)) {
		t.Errorf("%s: got %v, want about %v", what, got, start)
	}
}

func testGetIfChanged(t *testing.T, b store.Bucket) {
	ctx := t.Context()
	key := "feeds/index.json"
	first, second := []byte(`{"n":1}`), []byte(`{"n":2}`) // same length
	mustPut(t, b, key, first)
	v1 := mustGet(t, b, key)

	o, err := b.GetIfChanged(ctx, key, v1.Version)
	if !errors.Is(err, store.ErrNotModified) {
		t.Errorf("GetIfChanged with the current version: got %v, want ErrNotModified", err)
	}
	if o != nil {
		t.Errorf("GetIfChanged with the current version: got an object, want nil")
	}
	for _, version := range []string{"", "a-version-this-store-never-made"} {
		o, err := b.GetIfChanged(ctx, key, version)
		if err != nil {
			t.Fatalf("GetIfChanged(%q): %v", version, err)
		}
		if !bytes.Equal(o.Body, first) {
			t.Errorf("GetIfChanged(%q): got %q, want %q", version, o.Body, first)
		}
	}

	mustPut(t, b, key, second)
	v2, err := b.GetIfChanged(ctx, key, v1.Version)
	if err != nil {
		t.Fatalf("GetIfChanged with a stale version: got %v, want the new object", err)
	}
	if !bytes.Equal(v2.Body, second) {
		t.Errorf("GetIfChanged with a stale version: got %q, want %q", v2.Body, second)
	}
	if v2.Version == v1.Version {
		t.Errorf("Version after a change: got %q again, want a new one", v2.Version)
	}
	if _, err := b.GetIfChanged(ctx, key, v2.Version); !errors.Is(err, store.ErrNotModified) {
		t.Errorf("GetIfChanged with the new version: got %v, want ErrNotModified", err)
	}
}

func testList(t *testing.T, b store.Bucket) {
	objects := map[string]string{
		"feeds/index.rss":              "rss",
		"feeds/index.atom":             "atom!",
		"feeds/category/热点.rss":        "hot",
		"feeds/category/x y&z+w.json":  "{}",
		"feeds/category/sub/deep.json": "[1,2,3]",
		"feeds.opml":                   "<opml/>",
		"feedsx/b.txt":                 "b",
		"index.html":                   "<html></html>",
		"a.txt":                        "",
	}
	for key, body := range objects {
		mustPut(t, b, key, []byte(body))
	}
	all := slices.Sorted(maps.Keys(objects))
	cases := []struct {
		prefix string
		want   []string
	}{
		{"", all},
		{"feeds/", []string{"feeds/category/sub/deep.json", "feeds/category/x y&z+w.json", "feeds/category/热点.rss", "feeds/index.atom", "feeds/index.rss"}},
		{"feeds", []string{"feeds.opml", "feeds/category/sub/deep.json", "feeds/category/x y&z+w.json", "feeds/category/热点.rss", "feeds/index.atom", "feeds/index.rss", "feedsx/b.txt"}},
		{"feeds/category/", []string{"feeds/category/sub/deep.json", "feeds/category/x y&z+w.json", "feeds/category/热点.rss"}},
		{"feeds/cat", []string{"feeds/category/sub/deep.json", "feeds/category/x y&z+w.json", "feeds/category/热点.rss"}},
		{"feeds/index.", []string{"feeds/index.atom", "feeds/index.rss"}},
		{"index.html", []string{"index.html"}},
		{"nothing/", nil},
		{"feeds/index.rss/", nil},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("prefix=%q", c.prefix), func(t *testing.T) {
			infos, err := b.List(t.Context(), c.prefix)
			if err != nil {
				t.Fatalf("List(%q): %v", c.prefix, err)
			}
			var got []string
			for _, in := range infos {
				got = append(got, in.Key)
				body, ok := objects[in.Key]
				if ok && in.Size != int64(len(body)) {
					t.Errorf("List(%q): %q has size %d, want %d", c.prefix, in.Key, in.Size, len(body))
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("List(%q):\n got %q\nwant %q", c.prefix, got, c.want)
			}
		})
	}
}

func testListEmpty(t *testing.T, b store.Bucket) {
	for _, prefix := range []string{"", "feeds/"} {
		infos, err := b.List(t.Context(), prefix)
		if err != nil {
			t.Errorf("List(%q) of an empty store: got error %v, want none", prefix, err)
		}
		if len(infos) != 0 {
			t.Errorf("List(%q) of an empty store: got %v, want nothing", prefix, infos)
		}
	}
}

func testDelete(t *testing.T, b store.Bucket) {
	ctx := t.Context()
	mustPut(t, b, "feeds/gone.rss", []byte("bye"))
	mustPut(t, b, "feeds/kept.rss", []byte("stay"))
	if err := b.Delete(ctx, "feeds/gone.rss"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := b.Get(ctx, "feeds/gone.rss"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get after Delete: got %v, want ErrNotFound", err)
	}
	if err := b.Delete(ctx, "feeds/gone.rss"); err != nil {
		t.Errorf("second Delete: got %v, want nil", err)
	}
	if got := mustGet(t, b, "feeds/kept.rss"); string(got.Body) != "stay" {
		t.Errorf("the other object after Delete: got %q, want %q", got.Body, "stay")
	}
	infos, err := b.List(ctx, "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(infos) != 1 || infos[0].Key != "feeds/kept.rss" {
		t.Errorf("List after Delete: got %v, want only feeds/kept.rss", infos)
	}
	changed, err := b.Put(ctx, &store.Object{Key: "feeds/gone.rss", Body: []byte("bye"), ContentType: store.TypeByKey("feeds/gone.rss")})
	if err != nil || !changed {
		t.Errorf("Put of the deleted bytes again: got changed %v, err %v; want true, nil", changed, err)
	}
}

func testDeleteMissing(t *testing.T, b store.Bucket) {
	for _, key := range []string{"missing.txt", "no/such/dir/missing.txt"} {
		if err := b.Delete(t.Context(), key); err != nil {
			t.Errorf("Delete(%q) in an empty store: got %v, want nil", key, err)
		}
	}
	mustPut(t, b, "present.txt", []byte("here"))
	for _, key := range []string{"missing.txt", "present.txt/below"} {
		if err := b.Delete(t.Context(), key); err != nil {
			t.Errorf("Delete(%q): got %v, want nil", key, err)
		}
	}
	if got := mustGet(t, b, "present.txt"); string(got.Body) != "here" {
		t.Errorf("Get(present.txt) after deleting missing keys: got %q, want %q", got.Body, "here")
	}
}

func testDeletePrefix(t *testing.T, b store.Bucket) {
	mustPut(t, b, "dir/a.txt", []byte("a"))
	if err := b.Delete(t.Context(), "dir"); err != nil {
		t.Errorf("Delete of a key that only prefixes others: got %v, want nil", err)
	}
	if got := mustGet(t, b, "dir/a.txt"); string(got.Body) != "a" {
		t.Errorf("Get(dir/a.txt) after Delete(dir): got %q, want %q", got.Body, "a")
	}
}

func testInvalidKeys(t *testing.T, b store.Bucket) {
	for _, key := range InvalidKeys {
		t.Run(fmt.Sprintf("%.40q", key), func(t *testing.T) {
			ctx := t.Context()
			if _, err := b.Get(ctx, key); !errors.Is(err, store.ErrInvalidKey) {
				t.Errorf("Get: got %v, want ErrInvalidKey", err)
			}
			if _, err := b.GetIfChanged(ctx, key, "v"); !errors.Is(err, store.ErrInvalidKey) {
				t.Errorf("GetIfChanged: got %v, want ErrInvalidKey", err)
			}
			if _, err := b.Put(ctx, &store.Object{Key: key, Body: []byte("x")}); !errors.Is(err, store.ErrInvalidKey) {
				t.Errorf("Put: got %v, want ErrInvalidKey", err)
			}
			if err := b.Delete(ctx, key); !errors.Is(err, store.ErrInvalidKey) {
				t.Errorf("Delete: got %v, want ErrInvalidKey", err)
			}
			if _, err := b.PutIfAbsent(ctx, key, []byte("x")); !errors.Is(err, store.ErrInvalidKey) {
				t.Errorf("PutIfAbsent: got %v, want ErrInvalidKey", err)
			}
			if _, err := b.Write(ctx, &store.Object{Key: key, Body: []byte("x")}); !errors.Is(err, store.ErrInvalidKey) {
				t.Errorf("Write: got %v, want ErrInvalidKey", err)
			}
			for _, ifMatch := range []string{"", "v"} {
				if _, err := b.PutIf(ctx, &store.Object{Key: key, Body: []byte("x")}, ifMatch); !errors.Is(err, store.ErrInvalidKey) {
					t.Errorf("PutIf(ifMatch %q): got %v, want ErrInvalidKey", ifMatch, err)
				}
			}
		})
	}
	infos, err := b.List(t.Context(), "")
	if err != nil || len(infos) != 0 {
		t.Errorf("List after Puts of invalid keys: got %v, %v; want nothing", infos, err)
	}
}

func testPutIfAbsent(t *testing.T, b store.Bucket) {
	ctx := t.Context()
	key := "locks/rebuild"
	created, err := b.PutIfAbsent(ctx, key, []byte("first"))
	if err != nil || !created {
		t.Fatalf("first PutIfAbsent: got %v, %v; want true, nil", created, err)
	}
	created, err = b.PutIfAbsent(ctx, key, []byte("second"))
	if err != nil || created {
		t.Errorf("second PutIfAbsent: got %v, %v; want false, nil", created, err)
	}
	if got := mustGet(t, b, key); string(got.Body) != "first" {
		t.Errorf("Get after two PutIfAbsent: got %q, want %q", got.Body, "first")
	}
	mustPut(t, b, "put.txt", []byte("put"))
	if created, err := b.PutIfAbsent(ctx, "put.txt", []byte("absent")); err != nil || created {
		t.Errorf("PutIfAbsent over a Put object: got %v, %v; want false, nil", created, err)
	}

	// Of callers racing for one key, exactly one creates it.
	const racers = 8
	var wg sync.WaitGroup
	wins := make([]bool, racers)
	for i := range racers {
		wg.Go(func() {
			created, err := b.PutIfAbsent(ctx, "locks/race", fmt.Appendf(nil, "racer %d", i))
			if err != nil {
				t.Errorf("racer %d: %v", i, err)
			}
			wins[i] = created
		})
	}
	wg.Wait()
	winner := -1
	for i, won := range wins {
		if !won {
			continue
		}
		if winner >= 0 {
			t.Errorf("PutIfAbsent race: racers %d and %d both created the key", winner, i)
		}
		winner = i
	}
	if winner < 0 {
		t.Fatalf("PutIfAbsent race: no racer created the key")
	}
	if got, want := string(mustGet(t, b, "locks/race").Body), fmt.Sprintf("racer %d", winner); got != want {
		t.Errorf("Get after the race: got %q, want the winner's %q", got, want)
	}
}

func testNoAliasing(t *testing.T, b store.Bucket) {
	body := []byte("original")
	mustPut(t, b, "k.txt", body)
	copy(body, "XXXXXXXX") // the caller reuses its buffer
	o := mustGet(t, b, "k.txt")
	if string(o.Body) != "original" {
		t.Fatalf("Get after the caller changed its Put buffer: got %q, want %q", o.Body, "original")
	}
	copy(o.Body, "YYYYYYYY") // the caller changes what it got
	if again := mustGet(t, b, "k.txt"); string(again.Body) != "original" {
		t.Errorf("Get after the caller changed an earlier Get's Body: got %q, want %q", again.Body, "original")
	}
}

func testCancelled(t *testing.T, b store.Bucket) {
	mustPut(t, b, "kept.txt", []byte("kept"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := b.Put(ctx, &store.Object{Key: "new.txt", Body: []byte("new")}); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a cancelled context: got %v, want context.Canceled", err)
	}
	if _, err := b.Get(t.Context(), "new.txt"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get of what a cancelled Put wrote: got %v, want ErrNotFound", err)
	}
	if _, err := b.Get(ctx, "kept.txt"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a cancelled context: got %v, want context.Canceled", err)
	}
	if _, err := b.List(ctx, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("List with a cancelled context: got %v, want context.Canceled", err)
	}
	if err := b.Delete(ctx, "kept.txt"); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete with a cancelled context: got %v, want context.Canceled", err)
	}
	if _, err := b.Write(ctx, &store.Object{Key: "new.txt", Body: []byte("new")}); !errors.Is(err, context.Canceled) {
		t.Errorf("Write with a cancelled context: got %v, want context.Canceled", err)
	}
	if _, err := b.PutIf(ctx, &store.Object{Key: "new.txt", Body: []byte("new")}, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("PutIf with a cancelled context: got %v, want context.Canceled", err)
	}
	if _, err := b.Get(t.Context(), "new.txt"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get of what a cancelled Write or PutIf wrote: got %v, want ErrNotFound", err)
	}
	kept := mustGet(t, b, "kept.txt")
	if _, err := b.PutIf(ctx, &store.Object{Key: "kept.txt", Body: []byte("changed")}, kept.Version); !errors.Is(err, context.Canceled) {
		t.Errorf("PutIf of a present key with a cancelled context: got %v, want context.Canceled", err)
	}
	if got := mustGet(t, b, "kept.txt"); string(got.Body) != "kept" {
		t.Errorf("Get after a cancelled Delete: got %q, want %q", got.Body, "kept")
	}
}

// testConcurrent runs Puts of different keys, Gets and Lists at once; under
// -race it also proves the store shares no unguarded state.
func testConcurrent(t *testing.T, b store.Bucket) {
	const writers, perWriter = 8, 12
	shared := []byte("shared body")
	mustPut(t, b, "feeds/shared.rss", shared)
	ctx := t.Context()
	ops := new(store.Ops)
	b.Count(ops) // counted from every goroutine at once
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				key := fmt.Sprintf("feeds/w%d/item%02d.json", w, i)
				body := fmt.Appendf(nil, `{"writer":%d,"item":%d}`, w, i)
				if _, err := b.Put(ctx, &store.Object{Key: key, Body: body, ContentType: store.TypeByKey(key)}); err != nil {
					t.Errorf("Put(%q): %v", key, err)
					return
				}
				o, err := b.Get(ctx, key)
				if err != nil {
					t.Errorf("Get(%q): %v", key, err)
					return
				}
				if !bytes.Equal(o.Body, body) {
					t.Errorf("Get(%q): got %q, want %q", key, o.Body, body)
				}
			}
		})
		wg.Go(func() {
			for range perWriter {
				o, err := b.Get(ctx, "feeds/shared.rss")
				if err != nil {
					t.Errorf("Get(shared): %v", err)
					return
				}
				if !bytes.Equal(o.Body, shared) {
					t.Errorf("Get(shared): got %q, want %q", o.Body, shared)
				}
			}
			if _, err := b.List(ctx, "feeds/"); err != nil {
				t.Errorf("List during Puts: %v", err)
			}
		})
	}
	wg.Wait()
	infos, err := b.List(ctx, "feeds/w")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if got, want := len(infos), writers*perWriter; got != want {
		t.Errorf("List after concurrent Puts: got %d objects, want %d", got, want)
	}
	if got := ops.Snapshot(); got.Put != writers*perWriter || got.List != writers+1 || got.Delete != 0 {
		t.Errorf("operations counted: got %v, want put=%d list=%d delete=0", got, writers*perWriter, writers+1)
	}
}

// testReplaceIsAtomic replaces one object over and over while readers Get
// it: every reader sees one whole version, never a mix or a prefix.
func testReplaceIsAtomic(t *testing.T, b store.Bucket) {
	const size, rounds, readers = 256 << 10, 16, 4
	key := "feeds/index.rss"
	versions := [][]byte{bytes.Repeat([]byte("a"), size), randomBytes(size, 2)}
	want := map[string]bool{store.Hash(versions[0]): true, store.Hash(versions[1]): true}
	mustPut(t, b, key, versions[0])
	ctx := t.Context()
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				o, err := b.Get(ctx, key)
				if err != nil {
					t.Errorf("Get during replacement: %v", err)
					return
				}
				if !want[store.Hash(o.Body)] {
					t.Errorf("Get during replacement: got %d bytes that are neither version", len(o.Body))
					return
				}
			}
		})
	}
	for i := range rounds {
		body := versions[(i+1)%2]
		if _, err := b.Put(ctx, &store.Object{Key: key, Body: body, ContentType: store.TypeByKey(key)}); err != nil {
			t.Errorf("Put %d: %v", i, err)
			break
		}
	}
	close(done)
	wg.Wait()
}

func mustPut(t *testing.T, b store.Bucket, key string, body []byte) {
	t.Helper()
	if _, err := b.Put(t.Context(), &store.Object{Key: key, Body: body, ContentType: store.TypeByKey(key)}); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func mustGet(t *testing.T, b store.Bucket, key string) *store.Object {
	t.Helper()
	o, err := b.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return o
}

// randomBytes returns n bytes that are the same for the same seed.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}
