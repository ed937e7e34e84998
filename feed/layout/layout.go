// Package layout owns every key and URL of a published site and of the
// builder's internal state: where each feed, page and report lives, how a
// feed's name becomes a URL, and which keys are served to readers.
//
// Published objects sit at the top of the output store:
//
//	index.html                      the human page of every feed
//	feeds.opml                      every feed, for readers and partners
//	feeds/{name}.{rss,atom,json}    each feed; {name} is "index" or "{kind}/{slug}"
//	{key}.gz, {key}.br              precompressed variants of each of the above
//	                                (served only through the manifest, under the
//	                                key they encode)
//
// Internal state sits below two dot-folders, which no store lists and the
// server never serves:
//
//	build-report.json               the last build's report (written, never served)
//	.feedpub/manifest.json          the published site: every object, its hash, variants, Last-Modified
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
	FeedsDir = "feeds/"
	Index    = "index.html"
	OPML     = "feeds.opml"
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
)

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
	segments := strings.Split(name, "/")
	for i, s := range segments {
		segments[i] = url.PathEscape(s)
	}
	return base + "/" + FeedsDir + strings.Join(segments, "/") + "." + ext
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

// Served reports whether key may be served to readers: the index page, the
// OPML list and feed files, never internal state.
func Served(key string) bool {
	if key == Index || key == OPML {
		return true
	}
	_, _, ok := FeedName(key)
	return ok && !strings.Contains(key, "/.")
}

// ContentType is the media type of a published object (and of the report).
func ContentType(key string) string {
	if _, ext, ok := FeedName(key); ok {
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
	}
	return "application/octet-stream"
}
