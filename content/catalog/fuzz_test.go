package catalog

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/content/store"
)

// FuzzDecodeShard: whatever bytes a shard holds (a torn write, another
// program's object, a hostile bucket), decoding returns entries or an
// error, never a panic; and what decodes encodes and decodes again to the
// same entries.
func FuzzDecodeShard(f *testing.F) {
	docs, _ := encodeShard([]*Doc{{Key: "articles/a.json", Size: 10, Hash: "ab", Article: &Facts{ID: "a", Published: 1, Categories: []string{"热点"}}},
		{Key: "articles/b.json", Problems: []content.Problem{{Field: "url", Reason: "is required"}}}})
	feeds, _ := encodeShard([]*Feed{{Name: "index", Kind: "site", Count: 2, Head: []Member{{Key: "a", ID: "a", Published: 2}}}})
	pages, _ := encodeShard([]*Page{{Feed: "index", Name: "2024-W01", Members: []Member{{Key: "a"}}}})
	ids, _ := encodeShard([]idEntry{{ID: "a", Keys: []string{"articles/a.json"}}})
	for _, seed := range [][]byte{docs, feeds, pages, ids, nil, []byte("not gob"), docs[:len(docs)/2]} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		roundTrip[*Doc](t, body)
		roundTrip[*Feed](t, body)
		roundTrip[*Page](t, body)
		roundTrip[idEntry](t, body)
	})
}

func roundTrip[T any](t *testing.T, body []byte) {
	entries, err := decodeShard[T]("fuzz", body)
	if err != nil {
		return
	}
	again, err := encodeShard(entries)
	if err != nil {
		t.Fatalf("decoded %d entries that do not encode: %v", len(entries), err)
	}
	back, err := decodeShard[T]("fuzz", again)
	if err != nil {
		t.Fatalf("re-encoded entries do not decode: %v", err)
	}
	if len(back) != len(entries) || (len(back) > 0 && !reflect.DeepEqual(back, entries)) {
		t.Fatalf("round trip changed the entries: %v, then %v", entries, back)
	}
}

// FuzzHead: a catalog whose head holds any bytes opens (a head no build
// could have written is forgotten: the build starts afresh) and loads or
// fails with an error, never a panic.
func FuzzHead(f *testing.F) {
	good, _ := json.Marshal(Head{Format: FormatVersion, Site: "s", Renderer: "r"})
	f.Add(good)
	f.Add([]byte(`{"format":3,"site":"s","renderer":"r","feeds":[{"name":"index"}],"shards":{"docs":-1}}`))
	f.Add([]byte(`{"format":3,"site":"s","renderer":"r","shards":{"docs":100000000}}`))
	f.Add([]byte(`{"format":"x"}`))
	dir := f.TempDir()
	st := store.NewFolder(dir)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := st.Write(ctx, &store.Object{Key: ".feedpub/" + headKey, Body: body}); err != nil {
			t.Fatal(err)
		}
		s, err := Open(ctx, st, ".feedpub/", "s", "r")
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		_ = s.LoadAll(ctx) // an error is fine: the shards are missing
	})
}
