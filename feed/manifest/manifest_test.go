package manifest_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/feedpub/feedpub/feed/manifest"
)

func TestRoundTripOneObjectPerLine(t *testing.T) {
	now := time.Unix(1_750_000_000, 0)
	m := manifest.Next(nil, now)
	m.Set("feeds/index.rss", manifest.Object{Hash: "aa", Size: 10, Type: "application/rss+xml",
		Variants: map[string]manifest.Variant{"gzip": {Key: "feeds/index.rss.gz", Hash: "bb", Size: 5}}}, now)
	m.Set("index.html", manifest.Object{Hash: "cc", Size: 3, Type: "text/html"}, now)
	data := m.Encode()
	if n := bytes.Count(data, []byte("\n")); n != 4 {
		t.Errorf("%d lines, want 4 (head, one per object, tail):\n%s", n, data)
	}
	got, err := manifest.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("decoded %+v, want %+v", got, m)
	}
	if !bytes.Equal(got.Encode(), data) {
		t.Error("encoding the decoded manifest gives other bytes")
	}
}

// Modified is when the bytes last changed: kept by a build that writes the
// same bytes, never moved backwards by a clock that is behind.
func TestModifiedMovesOnlyForward(t *testing.T) {
	t0 := time.Unix(1_750_000_000, 0)
	m := manifest.Next(nil, t0)
	m.Set("feeds/a.rss", manifest.Object{Hash: "1"}, t0)
	m = manifest.Next(m, t0.Add(time.Hour))
	m.Set("feeds/a.rss", manifest.Object{Hash: "1"}, t0.Add(time.Hour))
	if got := m.Objects["feeds/a.rss"].Modified; got != t0.Unix() {
		t.Errorf("same bytes: modified %d, want %d (unchanged)", got, t0.Unix())
	}
	m.Set("feeds/a.rss", manifest.Object{Hash: "2"}, t0.Add(time.Hour))
	if got := m.Objects["feeds/a.rss"].Modified; got != t0.Add(time.Hour).Unix() {
		t.Errorf("new bytes: modified %d, want the build's time", got)
	}
	m.Set("feeds/a.rss", manifest.Object{Hash: "3"}, t0) // a clock behind
	if got := m.Objects["feeds/a.rss"].Modified; got != t0.Add(time.Hour).Unix()+1 {
		t.Errorf("clock behind: modified %d, want one second past the last change", got)
	}
	if m.Gen != 2 {
		t.Errorf("gen %d, want 2", m.Gen)
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, in := range []string{``, `{`, `{"format":2,"objects":{}}`, `{"format":1,"objects":{"a":null}}`, `{"format":1,"objects":{"a":{}}}`} {
		if _, err := manifest.Decode([]byte(in)); err == nil {
			t.Errorf("%q: decoded", in)
		}
	}
	if _, err := manifest.Decode([]byte(`{"format":9}`)); !errors.Is(err, manifest.ErrFormat) {
		t.Errorf("format 9: %v, want ErrFormat", err)
	}
}

// An object's deltas travel with its entry, on its one line, and back.
func TestRoundTripDeltas(t *testing.T) {
	now := time.Unix(1_750_000_000, 0)
	m := manifest.Next(nil, now)
	d := &manifest.Deltas{Key: ".feedpub/deltas/feeds/index.rss", Hash: "dd", Size: 900, Trailer: 700,
		From: []manifest.Delta{{Hashes: []string{"aa", "bb"}, Offset: 0, Size: 300, Items: 1}, {Hashes: []string{"cc"}, Offset: 300, Size: 400, Items: 2}}}
	m.Set("feeds/index.rss", manifest.Object{Hash: "ee", Size: 10, Deltas: d}, now)
	m.Set("feeds/index.atom", manifest.Object{Hash: "ff", Size: 10, Deltas: &manifest.Deltas{Key: "k", Hash: "11", Size: 40}}, now)
	data := m.Encode()
	if n := bytes.Count(data, []byte("\n")); n != 4 {
		t.Errorf("%d lines, want 4:\n%s", n, data)
	}
	got, err := manifest.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("decoded %+v, want %+v", got.Objects["feeds/index.rss"].Deltas, d)
	}
	if bytes.Contains(data, []byte(`"from":null`)) || bytes.Contains(data, []byte(`"from":[]`)) {
		t.Errorf("a pack without deltas names an empty list:\n%s", data)
	}
}
