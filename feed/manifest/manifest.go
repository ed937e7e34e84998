// Package manifest describes a published site as its last build left it:
// every object readers may be served, with its content hash, size, type,
// caching policy, precompressed variants and the time its bytes last
// changed. A build writes it after the objects it names and before it
// commits; the server reads it, at most once per revalidation interval,
// instead of asking the store about every request.
//
// It is sharded, so that what a change reads and writes follows the feeds
// it touches, not the size of the site: a root at layout.Manifest names
// the shards, and each shard (below layout.ManifestDir) holds the objects
// of the feeds that hash to it, a feed's formats, preview and archive
// pages together. A shard is stored under a name made from its bytes, so
// a root only ever names shards that were written whole before it; the
// shards a root stops naming are deleted one build later, when no server
// can still be reading them by a root a revalidation interval old.
//
// The manifest lives in the output store beside the catalog and is never
// served itself.
package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"

	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed/layout"
)

// Format is the version of the manifest's layout. Format 1, one object
// holding every entry, is still read (a build rewrites it as format 2).
const Format = 2

// Root is the manifest's root object: the site-wide facts and the shards.
type Root struct {
	Format int `json:"format"`
	// Gen counts the builds that wrote a manifest to this store.
	Gen int64 `json:"gen"`
	// Built is when the build that wrote it ran (its clock).
	Built int64 `json:"built"`
	// Objects counts the entries of every shard.
	Objects int `json:"objects"`
	// Shards are the names of the shards, by number: an object's shard is
	// ShardOf(key, len(Shards)). A shard's name is its number and the
	// start of its stored bytes' hash ("0007-1f2e3d4c5b6a7988"); "" for a
	// shard with no entry, which is not stored.
	Shards []string `json:"shards"`
	// Retired are the names of shards the previous root named and this
	// one does not: the next build deletes them.
	Retired []string `json:"retired,omitempty"`
	// Redirects are the site's renamed feeds: old name -> new name.
	Redirects map[string]string `json:"redirects,omitempty"`
	// Gone are the keys of feeds removed after their grace period, with
	// when (Unix seconds): answered 410 Gone.
	Gone map[string]int64 `json:"gone,omitempty"`
	// Recent are the entries changed since their shards were last
	// written, which replace what the shards hold of them; nil for an
	// entry removed. A build that changes a few feeds (an event) puts
	// its entries here, rather than write the shards of every feed it
	// touched; a listing build (the schedule), or one that would take
	// Recent past maxRecent bytes, writes them into their shards.
	Recent map[string]*Object `json:"recent,omitempty"`

	// legacy holds every entry of a format 1 manifest, which has no shards.
	legacy map[string]*Object
}

// Object is one published object.
type Object struct {
	Hash string `json:"hash"` // hex SHA-256 of the bytes, unencoded
	Size int    `json:"size"`
	Type string `json:"type"`
	// CacheControl is the Cache-Control every answer for it carries.
	CacheControl string `json:"cache_control"`
	// Modified is when its bytes last changed (Unix seconds): its
	// Last-Modified. It never moves backwards, and a build that leaves
	// the bytes as they were leaves it as it was.
	Modified int64 `json:"modified"`
	// Variants are its precompressed copies, by content coding.
	Variants Variants `json:"variants,omitempty"`
	// Codings are those the build tried, comma-separated: a coding
	// among them with no variant saved too little to be written.
	Codings string `json:"codings,omitempty"`
	// Link is the Link header every answer for it carries (WebSub's hub
	// and self), empty for none.
	Link string `json:"link,omitempty"`
	// CSP is the Content-Security-Policy every answer for it carries (the
	// pages for people), empty for none.
	CSP string `json:"csp,omitempty"`
	// Deltas, for a feed, are its items new or changed since each of its
	// recent versions (RFC 3229, A-IM: feed); nil for none.
	Deltas *Deltas `json:"deltas,omitempty"`
}

// Deltas are the delta documents of one object: each a complete feed of
// the items new or changed since an earlier version, packed one after
// another, identity-coded, in one object of its own (layout.DeltaKey), so
// that a change writes one object whatever the number of versions kept.
//
// After the documents, at Trailer, the pack holds what the next build
// needs to make the deltas of the next version without other state: the
// representation hashes and item fingerprints of the current version and
// of each earlier version in From (JSON; only the build reads it).
type Deltas struct {
	Key  string `json:"key"`
	Hash string `json:"hash"` // hex SHA-256 of the pack's bytes
	Size int    `json:"size"`
	// From lists the deltas, newest earlier version first; none when no
	// earlier version has a delta worth serving.
	From []Delta `json:"from,omitempty"`
	// Trailer is the offset of the pack's trailer: the end of its last
	// document.
	Trailer int `json:"trailer,omitempty"`
}

// Delta is one delta document in a pack.
type Delta struct {
	// Hashes are those of the earlier version's representations (its
	// bytes, then each variant's): a request whose If-None-Match names
	// the ETag of any of them gets this delta.
	Hashes []string `json:"hashes"`
	Offset int      `json:"offset"` // of the document in the pack
	Size   int      `json:"size"`
	Items  int      `json:"items"` // in the document
}

// Variant is an object's bytes in one content coding, stored as an object
// of its own.
type Variant struct {
	Coding string `json:"-"` // its content coding: the name Variants know it by
	Key    string `json:"key"`
	Hash   string `json:"hash"` // hex SHA-256 of the encoded bytes
	Size   int    `json:"size"`
}

// Variants are an object's precompressed copies, in the order of their
// codings' names; in JSON, an object keyed by coding. A slice, not a map:
// a from-scratch build of 100,000 articles holds the entries of some
// 110,000 objects until it writes the manifest, and a map of two
// variants each was some 50 MB of them.
type Variants []Variant

// Get returns the variant of coding.
func (vs Variants) Get(coding string) (Variant, bool) {
	for _, v := range vs {
		if v.Coding == coding {
			return v, true
		}
	}
	return Variant{}, false
}

// Set adds v, or replaces the variant of its coding.
func (vs *Variants) Set(v Variant) {
	for i := range *vs {
		if (*vs)[i].Coding == v.Coding {
			(*vs)[i] = v
			return
		}
	}
	*vs = append(*vs, v)
	sort.Slice(*vs, func(i, j int) bool { return (*vs)[i].Coding < (*vs)[j].Coding })
}

// MarshalJSON writes vs as an object keyed by coding, in the order of
// the codings' names, as encoding/json writes a map.
func (vs Variants) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		c, err := json.Marshal(v.Coding)
		if err != nil {
			return nil, err
		}
		e, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, c...), ':'), e...)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads an object keyed by coding.
func (vs *Variants) UnmarshalJSON(b []byte) error {
	var m map[string]Variant
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*vs = (*vs)[:0]
	for c, v := range m {
		v.Coding = c
		*vs = append(*vs, v)
	}
	sort.Slice(*vs, func(i, j int) bool { return (*vs)[i].Coding < (*vs)[j].Coding })
	if len(*vs) == 0 {
		*vs = nil
	}
	return nil
}

// ErrFormat is Decode's error for a manifest of another format.
var ErrFormat = errors.New("manifest: unknown format")

// ErrCorrupt says that a shard the root names is missing or is not the
// bytes its name promises.
var ErrCorrupt = errors.New("manifest: shard missing or corrupt")

// DecodeRoot reads a manifest's root. A format 1 manifest gives a root of
// one shard whose entries Legacy returns.
func DecodeRoot(data []byte) (*Root, error) {
	var head struct {
		Format int `json:"format"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	var r Root
	switch head.Format {
	case Format:
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
		for i, name := range r.Shards {
			if name != "" && !strings.HasPrefix(name, shardPrefix(i)) {
				return nil, fmt.Errorf("manifest: shard %d is named %q", i, name)
			}
		}
		for key, o := range r.Recent {
			if o != nil && o.Hash == "" {
				return nil, fmt.Errorf("manifest: recent %s: no hash", key)
			}
		}
		return &r, nil
	case 1:
		var v1 struct {
			Gen       int64              `json:"gen"`
			Built     int64              `json:"built"`
			Objects   map[string]*Object `json:"objects"`
			Redirects map[string]string  `json:"redirects"`
			Gone      map[string]int64   `json:"gone"`
		}
		if err := json.Unmarshal(data, &v1); err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
		if err := check(v1.Objects); err != nil {
			return nil, err
		}
		r = Root{Format: 1, Gen: v1.Gen, Built: v1.Built, Redirects: v1.Redirects, Gone: v1.Gone, legacy: v1.Objects}
		if r.legacy == nil {
			r.legacy = map[string]*Object{}
		}
		r.Shards, r.Objects = []string{""}, len(r.legacy)
		return &r, nil
	}
	return nil, fmt.Errorf("%w %d", ErrFormat, head.Format)
}

// Legacy returns every entry of a format 1 manifest, nil for format 2.
func (r *Root) Legacy() map[string]*Object { return r.legacy }

// Encode writes r, one shard per line so that a diff of two builds' roots
// shows which shards changed.
func (r *Root) Encode() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\"format\":%d,\"gen\":%d,\"built\":%d,\"objects\":%d,\"shards\":[", Format, r.Gen, r.Built, r.Objects)
	for i, name := range r.Shards {
		if i > 0 {
			b.WriteByte(',')
		}
		line, _ := json.Marshal(name) // plain data: cannot fail
		b.WriteString("\n")
		b.Write(line)
	}
	b.WriteString("\n]")
	if len(r.Recent) > 0 {
		b.WriteString(",\n\"recent\":")
		writeEntries(&b, r.Recent) // one per line, as in a shard
	}
	for _, part := range []struct {
		name string
		v    any
		n    int
	}{{"retired", r.Retired, len(r.Retired)}, {"redirects", r.Redirects, len(r.Redirects)}, {"gone", r.Gone, len(r.Gone)}} {
		if part.n > 0 {
			v, _ := json.Marshal(part.v) // sorted keys
			fmt.Fprintf(&b, ",\n%q:%s", part.name, v)
		}
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// ShardOf is the number of the shard, of n, that holds key's entry: the
// same for every object of one feed.
func ShardOf(key string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(layout.Owner(key)))
	return int(h.Sum32() % uint32(n))
}

// ShardKey is the store key of the shard named name. A shard is JSON,
// gzip-coded: its entries' repeated policies, types and keys take a
// quarter of the bytes.
func ShardKey(name string) string { return layout.ManifestDir + name + ".json.gz" }

func shardPrefix(i int) string { return fmt.Sprintf("%04d-", i) }

// shardName is the name of shard i holding body.
func shardName(i int, body []byte) string { return shardPrefix(i) + store.Hash(body)[:16] }

// DecodeShard reads the shard named name, as stored, checking that its
// bytes are the ones the name promises (ErrCorrupt otherwise).
func DecodeShard(name string, stored []byte) (map[string]*Object, error) {
	i := strings.IndexByte(name, '-')
	if i < 0 || !strings.HasSuffix(name, store.Hash(stored)[:16]) {
		return nil, fmt.Errorf("%w: %s: not the bytes its name promises", ErrCorrupt, name)
	}
	zr, err := gzip.NewReader(bytes.NewReader(stored))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
	}
	var sh struct {
		Objects map[string]*Object `json:"objects"`
	}
	if err := json.Unmarshal(data, &sh); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
	}
	if err := check(sh.Objects); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
	}
	if sh.Objects == nil {
		sh.Objects = map[string]*Object{}
	}
	return sh.Objects, nil
}

func check(objects map[string]*Object) error {
	for key, o := range objects {
		if o == nil || o.Hash == "" {
			return fmt.Errorf("manifest: %s: no hash", key)
		}
	}
	return nil
}

// encodeShard writes a shard's entries, one object per line, gzip-coded
// (zcat shows them).
func encodeShard(objects map[string]*Object) []byte {
	var b bytes.Buffer
	b.WriteString("{\"objects\":")
	writeEntries(&b, objects)
	b.WriteString("}\n")
	var z bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&z)
	zw.Write(b.Bytes()) // into memory: cannot fail
	zw.Close()
	gzipWriters.Put(zw)
	return z.Bytes()
}

// writeEntries writes objects as a JSON object, one entry per line in key
// order, so that a diff of two versions shows the entries that changed.
func writeEntries(b *bytes.Buffer, objects map[string]*Object) {
	keys := make([]string, 0, len(objects))
	for k := range objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(k) // plain data: cannot fail
		o, _ := json.Marshal(objects[k])
		b.WriteString("\n")
		b.Write(key)
		b.WriteByte(':')
		b.Write(o)
	}
	b.WriteString("\n}")
}

// gzipWriters are reused: a writer holds about a megabyte of tables, and
// a build of 100,000 articles encodes two thousand shards, several at once
// (new writers were a fifth of its heap while it committed).
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression) // a valid level: cannot fail
	return zw
}}
