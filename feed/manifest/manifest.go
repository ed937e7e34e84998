// Package manifest describes a published site as its last build left it:
// every object readers may be served, with its content hash, size, type,
// caching policy, precompressed variants and the time its bytes last
// changed. A build writes it after the objects it names and before it
// commits; the server reads it, at most once per revalidation interval,
// instead of asking the store about every request.
//
// The manifest lives in the output store at layout.Manifest, beside the
// catalog, and is never served itself.
package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Format is the version of the manifest's layout; a reader refuses others.
const Format = 1

// Manifest is the published site.
type Manifest struct {
	Format int `json:"format"`
	// Gen counts the builds that wrote a manifest to this store.
	Gen int64 `json:"gen"`
	// Built is when the build that wrote it ran (its clock).
	Built int64 `json:"built"`
	// Objects are the published objects, by key.
	Objects map[string]*Object `json:"objects"`
	// Redirects are the site's renamed feeds: old name -> new name.
	Redirects map[string]string `json:"redirects,omitempty"`
	// Gone are the keys of feeds removed after their grace period, with
	// when (Unix seconds): answered 410 Gone.
	Gone map[string]int64 `json:"gone,omitempty"`
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
	Variants map[string]Variant `json:"variants,omitempty"`
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
	Key  string `json:"key"`
	Hash string `json:"hash"` // hex SHA-256 of the encoded bytes
	Size int    `json:"size"`
}

// ErrFormat is Decode's error for a manifest of another format.
var ErrFormat = errors.New("manifest: unknown format")

// Decode reads a manifest.
func Decode(data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("%w %d", ErrFormat, m.Format)
	}
	for key, o := range m.Objects {
		if o == nil || o.Hash == "" {
			return nil, fmt.Errorf("manifest: %s: no hash", key)
		}
	}
	return &m, nil
}

// Encode writes m, one object per line so that a diff of two builds'
// manifests shows what changed.
func (m *Manifest) Encode() []byte {
	m.Format = Format
	keys := make([]string, 0, len(m.Objects))
	for k := range m.Objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\"format\":%d,\"gen\":%d,\"built\":%d,\"objects\":{", m.Format, m.Gen, m.Built)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(k) // plain data: cannot fail
		o, _ := json.Marshal(m.Objects[k])
		b.WriteString("\n")
		b.Write(key)
		b.WriteByte(':')
		b.Write(o)
	}
	b.WriteString("\n}")
	for _, part := range []struct {
		name string
		v    any
		n    int
	}{{"redirects", m.Redirects, len(m.Redirects)}, {"gone", m.Gone, len(m.Gone)}} {
		if part.n > 0 {
			v, _ := json.Marshal(part.v) // sorted keys
			fmt.Fprintf(&b, ",\n%q:%s", part.name, v)
		}
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// Next returns the manifest a build at now starts from, given the last one
// (nil when there is none): the same objects, one generation on.
func Next(last *Manifest, now time.Time) *Manifest {
	m := &Manifest{Format: Format, Built: now.Unix(), Objects: map[string]*Object{}}
	if last != nil {
		m.Gen = last.Gen
		for k, o := range last.Objects {
			m.Objects[k] = o
		}
		for k, t := range last.Gone {
			if m.Gone == nil {
				m.Gone = map[string]int64{}
			}
			m.Gone[k] = t
		}
	}
	m.Gen++
	return m
}

// Set records o under key, written by a build at now. Modified stays when
// the bytes are the ones already recorded; otherwise it becomes now, or
// one second past the last change when the clock says otherwise, so that
// a reader who saw the last version never takes the new one for it.
func (m *Manifest) Set(key string, o Object, now time.Time) {
	o.Modified = now.Unix()
	if last := m.Objects[key]; last != nil {
		switch {
		case last.Hash == o.Hash:
			o.Modified = last.Modified
		case o.Modified <= last.Modified:
			o.Modified = last.Modified + 1
		}
	}
	m.Objects[key] = &o
	delete(m.Gone, key) // published again
}

// Bury removes the object under key and records that it is gone since now.
func (m *Manifest) Bury(key string, now time.Time) {
	delete(m.Objects, key)
	if m.Gone == nil {
		m.Gone = map[string]int64{}
	}
	m.Gone[key] = now.Unix()
}

// Remove forgets the object under key and returns it (nil when none).
func (m *Manifest) Remove(key string) *Object {
	o := m.Objects[key]
	delete(m.Objects, key)
	return o
}
