package page

import (
	_ "embed"
	"strings"

	"github.com/feedpub/feedpub/feed/layout"
)

// The pages' style sheet and script, published at layout.StyleSheet and
// layout.Script.
var (
	//go:embed assets/feeds.css
	StyleSheet []byte
	//go:embed assets/feeds.js
	Script []byte
)

// Assets are the files the pages share, by key.
func Assets() map[string][]byte {
	return map[string][]byte{layout.StyleSheet: StyleSheet, layout.Script: Script}
}

// CSP is the Content-Security-Policy the pages are served with. Nothing
// loads unless named: scripts and styles only from the site itself (the
// pages have no inline script, style element or style attribute),
// images from anywhere on the web (the articles' own) and data: URLs;
// no fonts (system fonts), frames, plugins, fetches, forms, <base> or
// framing by other sites; and Trusted Types with no policy, so that no
// script, ours included, can turn a string into markup.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: http: data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " +
	"require-trusted-types-for 'script'; trusted-types 'none'"

// metaCSP is CSP as the pages repeat it in a <meta> element, for when
// they are opened from somewhere that does not send the header:
// frame-ancestors is the one directive a <meta> policy may not hold.
var metaCSP = strings.Replace(CSP, " frame-ancestors 'none';", "", 1)
