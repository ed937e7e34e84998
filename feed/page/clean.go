package page

import (
	"hash/maphash"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"

	"github.com/feedpub/feedpub/content"
)

// Policy returns the policy that article HTML is sanitised with before a
// preview page embeds it. It keeps what articles are written with and
// nothing that runs or restyles the page:
//
//   - text and structure: paragraphs, headings, lists, quotes, code,
//     tables, figures, details, ruby annotations (CJK), bidi isolation,
//     emphasis and the other inline elements, with lang, dir and title;
//   - links (href: http, https, mailto or relative), each with
//     rel="nofollow" added (they are the publisher's, not ours to vouch
//     for) and no target (the reader chooses where a link opens, so no
//     page gets an opener);
//   - images (src: http, https, relative, or a data: URL of an image),
//     with alt, title and numeric width and height;
//   - nothing else: no script, style, iframe, object, embed, form or
//     input, no event handler, style, class or id attribute (ids could
//     clobber the page's own), no javascript: or other URL scheme.
//     The content of script and style elements is dropped with them.
//
// Relative URLs are made absolute against the article's URL afterwards
// (Cleaner.HTML), since the preview is served from another place.
func Policy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowStandardURLs() // parseable; http, https, mailto or relative; rel="nofollow"
	p.AllowAttrs("lang", "title").Globally()
	p.AllowAttrs("dir").Matching(bluemonday.Direction).Globally()
	p.AllowElements("p", "br", "hr", "div", "span", "h1", "h2", "h3", "h4", "h5", "h6",
		"b", "strong", "i", "em", "u", "s", "del", "ins", "mark", "small", "sub", "sup", "wbr",
		"code", "pre", "kbd", "samp", "var", "cite", "dfn", "abbr", "bdi", "bdo",
		"ul", "ol", "li", "dl", "dt", "dd", "figure", "figcaption", "details", "summary",
		"ruby", "rt", "rp", "rb", "table", "caption", "thead", "tbody", "tfoot", "tr", "col", "colgroup")
	p.AllowAttrs("href", "hreflang").OnElements("a")
	p.AllowAttrs("cite").OnElements("blockquote", "q", "del", "ins")
	p.AllowElements("blockquote", "q")
	p.AllowAttrs("datetime").OnElements("time", "del", "ins")
	p.AllowElements("time")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowAttrs("reversed").Matching(regexp.MustCompile(`^(?:reversed)?$`)).OnElements("ol")
	p.AllowAttrs("colspan", "rowspan").Matching(bluemonday.Integer).OnElements("td", "th")
	p.AllowAttrs("scope").Matching(regexp.MustCompile(`^(?i:row|col|rowgroup|colgroup)$`)).OnElements("th")
	p.AllowElements("td", "th")
	p.AllowAttrs("open").Matching(regexp.MustCompile(`^(?:open)?$`)).OnElements("details")
	p.AllowAttrs("src", "alt").OnElements("img")
	p.AllowAttrs("width", "height").Matching(bluemonday.Integer).OnElements("img")
	p.AllowDataURIImages()
	p.AddSpaceWhenStrippingTag(true) // "a<iframe></iframe>b" stays two words
	return p
}

// Cleaner sanitises article HTML with Policy and remembers what it made:
// a build shows one article in many feeds (the site's, its category's,
// each of its tags'), and sanitises it once. The memory is bounded by the
// bytes it holds, oldest forgotten first, and safe for concurrent use.
type Cleaner struct {
	policy *bluemonday.Policy
	seed   maphash.Seed
	limit  int // bytes of results kept

	mu    sync.Mutex
	memo  map[cleanKey]string
	order []cleanKey // oldest first
	size  int
}

// cleanKey names one item's HTML: its id, the URL relative links resolve
// against, and a hash of the HTML with its length.
type cleanKey struct {
	id, base string
	hash     uint64
	n        int
}

// NewCleaner returns a Cleaner that keeps up to limit bytes of results.
func NewCleaner(limit int) *Cleaner {
	return &Cleaner{policy: Policy(), seed: maphash.MakeSeed(), limit: limit, memo: map[cleanKey]string{}}
}

// HTML returns s, the HTML of the item id at URL base, sanitised, with
// relative URLs made absolute against base and images loaded lazily.
func (c *Cleaner) HTML(id, base, s string) string {
	if s == "" {
		return ""
	}
	k := cleanKey{id: id, base: base, hash: maphash.String(c.seed, s), n: len(s)}
	c.mu.Lock()
	out, ok := c.memo[k]
	c.mu.Unlock()
	if ok {
		return out
	}
	out = finish(c.policy.Sanitize(s), base)
	cost := len(out) + len(id) + len(base) + 64
	if cost > c.limit {
		return out
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.memo[k]; ok {
		return out
	}
	for c.size+cost > c.limit && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.size -= len(c.memo[old]) + len(old.id) + len(old.base) + 64
		delete(c.memo, old)
	}
	c.memo[k] = out
	c.order = append(c.order, k)
	c.size += cost
	return out
}

// finish makes the URLs of a sanitised fragment absolute against base and
// has its images load lazily. The fragment is as bluemonday writes it:
// every attribute double-quoted and escaped, so that ` href="` and
// `<img ` occur only in tags (text and values have their quotes and
// brackets escaped).
func finish(s, base string) string {
	if !strings.Contains(s, ` href="`) && !strings.Contains(s, ` src="`) && !strings.Contains(s, "<img ") {
		return s
	}
	b := content.BaseURL(base)
	var out strings.Builder
	out.Grow(len(s) + 64)
	for {
		i := strings.IndexAny(s, " <")
		if i < 0 {
			break
		}
		out.WriteString(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "<img "):
			out.WriteString(`<img loading="lazy"`)
			s = s[len("<img"):]
		case strings.HasPrefix(s, ` href="`), strings.HasPrefix(s, ` src="`):
			name := s[:strings.IndexByte(s, '"')+1]
			s = s[len(name):]
			end := strings.IndexByte(s, '"')
			if end < 0 {
				out.WriteString(name)
				continue
			}
			out.WriteString(name)
			out.WriteString(content.ResolveAttr(s[:end], b))
			s = s[end:]
		default:
			out.WriteByte(s[0])
			s = s[1:]
		}
	}
	out.WriteString(s)
	return out.String()
}
