// Package layout owns every key and URL of a published site and of the
// builder's internal state: where each feed, page and report lives, how a
// feed's name becomes a URL, and which keys are served to readers.
//
// Published objects sit at the top of the output store:
//
//	index.html                      the human page of every feed
//	feeds.opml                      every feed, for readers and partners
//	feeds/{name}.{rss,atom,json}    each feed; {name} is "index" or "{kind}/{slug}"
//	feeds/{name}.html               each feed's preview page, for people
//	archive/{name}/{page}.{ext}     each feed's archive pages (RFC 5005); {page}
//	                                is the month its articles were published in,
//	                                "2026-01"
//	assets/{file}                   the pages' style sheet and script
//	{key}.gz, {key}.br              precompressed variants of each of the above
//	                                (served only through the manifest, under the
//	                                key they encode)
//
// Internal state sits below two dot-folders, which no store lists and the
// server never serves:
//
//	build-report.json               the last build's report (written, never served)
//	.feedpub/manifest.json          the published site's manifest: its root, naming the shards
//	.feedpub/manifest/{n}-{hash}.json  a shard of it: the objects of the feeds hashed to shard n,
//	                                each with its hash, variants, Last-Modified
//	.feedpub/deltas/{key}           a feed's deltas (RFC 3229): its items new since each
//	                                recent version, served only through the manifest
//	.feedpub/catalog/head.json      the catalog's head: what every build starts from
//	.feedpub/catalog/{family}/...   catalog shards (content/catalog names them)
//	.feedpub/fanout/{build}/{n}     batches of feeds a build sent to workers, and their results
//	.rebuild/{signature}            replay claims of the rebuild endpoint
package layout

import (
	"net/url"
	"strings"
)

// Keys of the published site.
const (
	FeedsDir   = "feeds/"
	ArchiveDir = "archive/"
	AssetsDir  = "assets/"
	Index      = "index.html"
	OPML       = "feeds.opml"
	// The pages' style sheet and script.
	StyleSheet = AssetsDir + "feeds.css"
	Script     = AssetsDir + "feeds.js"
)

// Keys of internal state: never served.
const (
	Report      = "build-report.json"
	StateDir    = ".feedpub/"
	CatalogDir  = StateDir + "catalog/"
	CatalogHead = CatalogDir + "head.json"
	ClaimsDir   = ".rebuild/"
	FanOutDir   = StateDir + "fanout/" // batches of a build that fans out, and their results
	Manifest    = StateDir + "manifest.json"
	ManifestDir = StateDir + "manifest/"
	DeltasDir   = StateDir + "deltas/"
)

// DeltaKey is the key of the deltas of the published object key.
func DeltaKey(key string) string { return DeltasDir + key }

// Codings are the content codings a site may precompress its objects in,
// with the extension of each variant's key.
var Codings = map[string]string{"gzip": ".gz", "br": ".br"}

// VariantKey is the key of object key's variant in coding ("gzip", "br").
func VariantKey(key, coding string) string { return key + Codings[coding] }

// Exts are the feed formats' file extensions, in the order every feed is
// written.
var Exts = [...]string{"rss", "atom", "json"}

// FeedKey is the object key of feed name in format ext: "feeds/index.rss".
func FeedKey(name, ext string) string { return FeedsDir + name + "." + ext }

// FeedURL is the public URL of feed name in format ext below base (no
// trailing slash). Every path segment is percent-encoded, so names in any
// script give working URLs.
func FeedURL(base, name, ext string) string {
	return base + "/" + FeedsDir + escapePath(name) + "." + ext
}

// PreviewKey is the key of feed name's preview page: "feeds/index.html".
func PreviewKey(name string) string { return FeedsDir + name + ".html" }

// PreviewURL is the public URL of feed name's preview page below base.
func PreviewURL(base, name string) string { return FeedURL(base, name, "html") }

// ArchiveKey is the key of feed name's archive page in format ext:
// "archive/tag/go/2026-01.atom".
func ArchiveKey(name, page, ext string) string { return ArchiveDir + name + "/" + page + "." + ext }

// ArchiveURL is the public URL of feed name's archive page in format ext
// below base.
func ArchiveURL(base, name, page, ext string) string {
	return base + "/" + ArchiveDir + escapePath(name+"/"+page) + "." + ext
}

func escapePath(p string) string {
	segments := strings.Split(p, "/")
	for i, s := range segments {
		segments[i] = url.PathEscape(s)
	}
	return strings.Join(segments, "/")
}

// ArchiveName splits an archive page's key into the feed's name, the
// page and the format's extension; ok is false for any other key.
func ArchiveName(key string) (name, page, ext string, ok bool) {
	rest, found := strings.CutPrefix(key, ArchiveDir)
	if !found {
		return "", "", "", false
	}
	for _, e := range Exts {
		if r, found := strings.CutSuffix(rest, "."+e); found {
			i := strings.LastIndexByte(r, '/')
			if i <= 0 || i == len(r)-1 {
				return "", "", "", false
			}
			return r[:i], r[i+1:], e, true
		}
	}
	return "", "", "", false
}

// FeedName splits a feed key into the feed's name and format extension; ok
// is false for a key that is not a feed's.
func FeedName(key string) (name, ext string, ok bool) {
	rest, found := strings.CutPrefix(key, FeedsDir)
	if !found {
		return "", "", false
	}
	for _, e := range Exts {
		if n, found := strings.CutSuffix(rest, "."+e); found && n != "" {
			return n, e, true
		}
	}
	return "", "", false
}

// State reports whether key is what a build keeps about the site for the
// next one (the catalog, the manifest, claims, fan-out batches), rather
// than what readers are served: the delta packs are below StateDir but
// are served, through the manifest.
func State(key string) bool {
	return strings.HasPrefix(key, StateDir) && !strings.HasPrefix(key, DeltasDir) || strings.HasPrefix(key, ClaimsDir)
}

// Owner is the feed a published key belongs to: the name of the feed
// whose formats, preview page or archive pages it holds; "" for the
// site's own objects (the index page, the OPML list, the assets). What
// is kept about a feed's objects is kept together.
func Owner(key string) string {
	if name, _, ok := FeedName(key); ok {
		return name
	}
	if name, _, _, ok := ArchiveName(key); ok {
		return name
	}
	if n, ok := strings.CutSuffix(key, ".html"); ok {
		if name, found := strings.CutPrefix(n, FeedsDir); found {
			return name
		}
	}
	return ""
}

// Served reports whether key may be served to readers: the index page, the
// OPML list, the assets, feed files, preview and archive pages, never
// internal state.
func Served(key string) bool {
	if key == Index || key == OPML || key == StyleSheet || key == Script {
		return true
	}
	if strings.Contains(key, "/.") {
		return false
	}
	if _, _, ok := FeedName(key); ok {
		return true
	}
	if _, _, _, ok := ArchiveName(key); ok {
		return true
	}
	n, ok := strings.CutSuffix(key, ".html")
	return ok && strings.HasPrefix(n, FeedsDir) && len(n) > len(FeedsDir)
}

// ContentType is the media type of a published object (and of the report).
func ContentType(key string) string {
	_, ext, ok := FeedName(key)
	if !ok {
		_, _, ext, ok = ArchiveName(key)
	}
	if ok {
		switch ext {
		case "rss":
			return "application/rss+xml; charset=utf-8"
		case "atom":
			return "application/atom+xml; charset=utf-8"
		case "json":
			return "application/feed+json; charset=utf-8"
		}
	}
	switch key {
	case Index:
		return "text/html; charset=utf-8"
	case OPML:
		return "text/x-opml; charset=utf-8"
	case Report:
		return "application/json; charset=utf-8"
	case StyleSheet:
		return "text/css; charset=utf-8"
	case Script:
		return "text/javascript; charset=utf-8"
	}
	if strings.HasSuffix(key, ".html") {
		return "text/html; charset=utf-8"
	}
	return "application/octet-stream"
}
