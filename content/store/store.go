// Package store keeps objects under keys: the publisher's article documents
// and the published site. Every store (a local folder; S3) keeps the same
// contract, checked by the one conformance suite in storetest.
package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"mime"
	"path"
	"strings"
	"time"
)

// Errors every store returns, checked with errors.Is.
var (
	ErrNotFound    = errors.New("not found")
	ErrNotModified = errors.New("not modified")
	ErrInvalidKey  = errors.New("invalid key")
	// ErrPrecondition is PutIf's answer when the stored object is not the
	// version the caller named (or exists, when it asked for none).
	ErrPrecondition = errors.New("precondition failed")
	// ErrIncomplete is a read's answer when the object's bytes did not
	// arrive whole, every time it tried: the body broke off, was shorter
	// than its length, or did not match the hash stored with it.
	ErrIncomplete = errors.New("incomplete body")
)

// Object is one stored object.
type Object struct {
	Key          string
	Body         []byte
	ContentType  string
	CacheControl string
	// ContentEncoding is the coding of Body ("gzip", "br"), empty for
	// none: S3 keeps it as the object's Content-Encoding, a folder
	// derives it from the key (EncodingByKey).
	ContentEncoding string
	Hash            string    // hex SHA-256 of Body; on a write, the caller's (Hash(Body)), or empty
	ModTime         time.Time // when the object was last written
	Version         string    // opaque token for GetIfChanged, set by the store
}

// Info describes an object without its body, as List finds it.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time
	// Version is the object's version as the listing tells it, or "" when
	// the store's listings carry none. S3 lists the ETag, equal to the
	// Version a Get of the object returns (so a catalog compares them
	// without a request); a folder's listing has size and modification time
	// only, and its Version is "": compare those instead.
	Version string
}

// Hash returns the hex SHA-256 of b, the content hash stores compare.
func Hash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// MaxKeyLen is the longest key, in bytes: S3's limit, kept by every store.
const MaxKeyLen = 1024

// CheckKey accepts slash-separated relative keys in UTF-8, at most
// MaxKeyLen bytes long, with no empty, "." or ".." element, no backslash
// and no control character.
func CheckKey(key string) error {
	if !fs.ValidPath(key) || key == "." || len(key) > MaxKeyLen {
		return ErrInvalidKey
	}
	for _, c := range []byte(key) {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return ErrInvalidKey
		}
	}
	return nil
}

// Encodings a store recognises by a key's last extension, for
// precompressed variants (a key ending in ".gz" or ".br").
var encodingExts = map[string]string{".gz": "gzip", ".br": "br"}

// EncodingByKey returns the content coding of an object from its name: the
// coding of its last extension, or "" for none.
func EncodingByKey(key string) string { return encodingExts[path.Ext(key)] }

// TypeByKey returns the media type published objects get from their name;
// a precompressed variant has the type of what it encodes.

func TypeByKey(key string) string {
	if EncodingByKey(key) != "" {
		key = strings.TrimSuffix(key, path.Ext(key))
	}
	switch path.Ext(key) {
	case ".rss":
		return "application/rss+xml; charset=utf-8"
	case ".atom":
		return "application/atom+xml; charset=utf-8"
	case ".json":
		if strings.HasPrefix(key, "feeds/") {
			return "application/feed+json; charset=utf-8"
		}
		return "application/json; charset=utf-8"
	case ".opml":
		return "text/x-opml; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".xml", ".xsl":
		return "application/xml; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(key)); t != "" {
		return t
	}
	return "application/octet-stream"
}
