package content

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	xhtml "golang.org/x/net/html"
)

// Sanitizer makes an article's HTML (its content and summary) safe for
// partner sites to embed as it is, with a bluemonday policy:
//
//   - Kept: text and structure (paragraphs, headings, lists, quotes, code,
//     tables, figures, details, ruby annotations for CJK, bidi isolation,
//     the inline elements), with lang, dir and title; links (href: http,
//     https, mailto, or relative); images (src: http, https, relative, or a
//     data: URL of an image) with alt and numeric width and height; audio
//     and video with src and controls; a few inline styles that
//     neither hide nor move anything (text-align, font-style, font-weight,
//     text-decoration).
//   - Iframes only from the hosts of the site file's `iframes:` list, over
//     https (an embedded player); every other iframe is dropped.
//   - Dropped, with their content: script, style, and the elements that
//     carry neither text nor media (object, embed, form and its inputs,
//     base, meta, link, svg, math). Dropped, keeping their text: every
//     other element not listed. Dropped always: event handlers (on*), the
//     style attribute's other properties (position, display, opacity,
//     z-index and the like could hide text or overlay the partner's page),
//     class and id (they would take the partner's own styles and anchors),
//     target, and every URL of another scheme (javascript:, vbscript:,
//     data: other than images, and unparseable ones).
//
// Relative link and image URLs are made absolute against the article's URL,
// as a partner shows the HTML on another site. Quotes in text are written as
// they are (bluemonday writes &#34; and &#39;), so that clean HTML comes out
// as it went in.
type Sanitizer struct {
	policy      *bluemonday.Policy
	settledTags map[string]bool // see settled
}

// NewSanitizer returns a Sanitizer whose policy allows iframes from the
// given hosts (names such as "www.youtube-nocookie.com", matched exactly).
func NewSanitizer(iframeHosts []string) (*Sanitizer, error) {
	p := bluemonday.NewPolicy()
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(true)
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowDataURIImages()
	p.AllowAttrs("lang", "title").Globally()
	p.AllowAttrs("dir").Matching(bluemonday.Direction).Globally()
	p.AllowElements("p", "br", "hr", "div", "span", "h1", "h2", "h3", "h4", "h5", "h6",
		"b", "strong", "i", "em", "u", "s", "del", "ins", "mark", "small", "sub", "sup", "wbr",
		"code", "pre", "kbd", "samp", "var", "cite", "dfn", "abbr", "bdi", "bdo", "time",
		"ul", "ol", "li", "dl", "dt", "dd", "figure", "figcaption", "details", "summary",
		"blockquote", "q", "ruby", "rt", "rp", "rb",
		"table", "caption", "thead", "tbody", "tfoot", "tr", "td", "th", "col", "colgroup")
	p.AllowAttrs("href", "hreflang").OnElements("a")
	p.AllowAttrs("cite").OnElements("blockquote", "q", "del", "ins")
	p.AllowAttrs("datetime").OnElements("time", "del", "ins")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowAttrs("reversed").Matching(regexp.MustCompile(`^(?:reversed)?$`)).OnElements("ol")
	p.AllowAttrs("colspan", "rowspan").Matching(bluemonday.Integer).OnElements("td", "th")
	p.AllowAttrs("scope").Matching(regexp.MustCompile(`^(?i:row|col|rowgroup|colgroup)$`)).OnElements("th")
	p.AllowAttrs("open").Matching(regexp.MustCompile(`^(?:open)?$`)).OnElements("details")
	p.AllowAttrs("src", "alt").OnElements("img")
	p.AllowAttrs("width", "height").Matching(bluemonday.Integer).OnElements("img", "video", "iframe")
	p.AllowAttrs("src").OnElements("audio", "video") // bluemonday checks src here, not on source or poster
	p.AllowAttrs("controls").Matching(regexp.MustCompile(`^(?:controls)?$`)).OnElements("audio", "video")
	p.AllowStyles("text-align").MatchingEnum("left", "right", "center", "justify", "start", "end").Globally()
	p.AllowStyles("font-style").MatchingEnum("normal", "italic", "oblique").Globally()
	p.AllowStyles("font-weight").Matching(regexp.MustCompile(`^(?:normal|bold|bolder|lighter|[1-9]00)$`)).Globally()
	p.AllowStyles("text-decoration").MatchingEnum("none", "underline", "line-through", "overline").Globally()
	// Void elements (embed, frame, input) have no content to skip, and
	// listed here would skip the rest of the fragment.
	p.SkipElementsContent("script", "style", "object", "applet", "form", "select",
		"textarea", "button", "svg", "math", "template", "noscript", "iframe", "frameset")
	p.AddSpaceWhenStrippingTag(true) // "a<iframe></iframe>b" stays two words
	if len(iframeHosts) > 0 {
		alts := make([]string, len(iframeHosts))
		for i, h := range iframeHosts {
			h = strings.ToLower(strings.TrimSpace(h))
			if h == "" || strings.ContainsAny(h, "/:@?#* \t") {
				return nil, fmt.Errorf("iframes: %q is not a host name", iframeHosts[i])
			}
			alts[i] = regexp.QuoteMeta(h)
		}
		src := regexp.MustCompile(`^https://(?i:` + strings.Join(alts, "|") + `)/[^\s]*$`)
		p.AllowAttrs("src").Matching(src).OnElements("iframe")
		p.AllowAttrs("allowfullscreen").Matching(regexp.MustCompile(`^(?:allowfullscreen|true)?$`)).OnElements("iframe")
		p.AllowAttrs("loading").Matching(regexp.MustCompile(`^(?:lazy|eager)$`)).OnElements("iframe")
		p.AllowAttrs("referrerpolicy").Matching(regexp.MustCompile(`^[a-z-]+$`)).OnElements("iframe")
		p.AllowElementsContent("iframe")
	}
	s := &Sanitizer{policy: p}
	s.learnSettled()
	return s, nil
}

// defaultSanitizer allows no iframe.
var defaultSanitizer = func() *Sanitizer {
	s, err := NewSanitizer(nil)
	if err != nil {
		panic(err)
	}
	return s
}()

// HTML returns fragment sanitised, its relative URLs resolved against base
// (the article's URL; with none they stay relative). A fragment with no
// markup and no character reference is returned as it is: the policy would
// change nothing in it but escape ">".
func (s *Sanitizer) HTML(fragment, base string) string {
	if !strings.ContainsAny(fragment, "<&>") {
		return fragment
	}
	if out, ok := s.fast(fragment); ok {
		return out
	}
	return s.slow(fragment, base)
}

// slow is HTML by the policy, whatever the fragment.
func (s *Sanitizer) slow(fragment, base string) string {
	// A character reference can stand for a character XML forbids, which
	// bluemonday writes as it is: Clean drops it again.
	return Clean(finish(s.policy.Sanitize(fragment), base))
}

// finish resolves the URLs of a sanitised fragment against base, writes
// quotes in text as they are, and balances its elements (see balancer). The
// fragment is as bluemonday writes it: every attribute double-quoted and
// escaped, and "<" in text escaped, so "<" always starts a tag and ">" ends
// it, and ` href="` and ` src="` occur only in tags.
func finish(s, base string) string {
	b := BaseURL(base)
	var out strings.Builder
	out.Grow(len(s) + 16)
	var bal balancer
	for len(s) > 0 {
		// Text, up to the next tag.
		i := strings.IndexByte(s, '<')
		if i < 0 {
			i = len(s)
		}
		unquoteText(&out, s[:i])
		s = s[i:]
		if s == "" {
			break
		}
		end := strings.IndexByte(s, '>')
		if end < 0 {
			end = len(s) - 1
		}
		tag := s[:end+1]
		s = s[end+1:]
		if !bal.tag(&out, tag) {
			continue // an end tag that closes nothing
		}
		for {
			j := attrStart(tag)
			if j < 0 {
				out.WriteString(tag)
				break
			}
			q := j + strings.IndexByte(tag[j:], '"') + 1
			v := strings.IndexByte(tag[q:], '"')
			if v < 0 {
				out.WriteString(tag)
				break
			}
			out.WriteString(tag[:q])
			out.WriteString(ResolveAttr(tag[q:q+v], b))
			tag = tag[q+v:]
		}
	}
	bal.close(&out, 0)
	return out.String()
}

// balancer keeps the elements a fragment leaves open, so that HTML a
// partner embeds never swallows the rest of its page (an unclosed table,
// list or bold): each end tag closes the elements opened after its own, an
// end tag that closes nothing is dropped, and the fragment's end closes
// what is left. The end tags HTML lets one leave out (of p, li, dt, dd,
// tr, td and th) are written where the next such element starts.
type balancer struct {
	open []string
}

// voidElement are the elements the policy keeps that have no end tag.
var voidElement = map[string]bool{"br": true, "hr": true, "img": true, "wbr": true, "col": true}

// endsP are the elements whose start ends an open paragraph.
var endsP = map[string]bool{"p": true, "div": true, "ul": true, "ol": true, "dl": true, "table": true,
	"blockquote": true, "pre": true, "figure": true, "details": true, "hr": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true}

// siblings are the elements that end an open element of the same group.
var siblings = map[string]string{"li": "li", "dt": "d", "dd": "d", "tr": "tr", "td": "t", "th": "t"}

// tag writes the end tags tag implies and records it; false means tag is an
// end tag that closes nothing, to be dropped.
func (b *balancer) tag(out *strings.Builder, tag string) bool {
	if strings.HasPrefix(tag, "</") {
		name := tagName(tag[2:])
		for i := len(b.open) - 1; i >= 0; i-- {
			if b.open[i] == name {
				b.close(out, i+1)
				b.open = b.open[:i]
				return true
			}
		}
		return false
	}
	if strings.HasPrefix(tag, "<!") {
		return true // a comment (the policy keeps none)
	}
	name := tagName(tag[1:])
	if n := len(b.open); n > 0 {
		top := b.open[n-1]
		if (top == "p" && endsP[name]) || (siblings[name] != "" && siblings[top] == siblings[name]) {
			b.close(out, n-1)
		}
	}
	if !voidElement[name] && !strings.HasSuffix(tag, "/>") {
		b.open = append(b.open, name)
	}
	return true
}

// close writes the end tags of the open elements from the innermost down
// to open[from], and forgets them.
func (b *balancer) close(out *strings.Builder, from int) {
	for i := len(b.open) - 1; i >= from; i-- {
		out.WriteString("</")
		out.WriteString(b.open[i])
		out.WriteByte('>')
	}
	b.open = b.open[:from]
}

// tagName is the name at the start of s, up to a space, "/" or ">".
func tagName(s string) string {
	i := strings.IndexAny(s, " \t\n/>")
	if i < 0 {
		return s
	}
	return s[:i]
}

// attrStart returns where the next href or src attribute of tag starts, or
// -1.
func attrStart(tag string) int {
	best := -1
	for _, name := range [...]string{` href="`, ` src="`} {
		if i := strings.Index(tag, name); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	return best
}

// unquoteText writes text with the references bluemonday makes of quotes
// written as the quotes.
func unquoteText(out *strings.Builder, text string) {
	for {
		i := strings.Index(text, "&#3")
		if i < 0 {
			out.WriteString(text)
			return
		}
		out.WriteString(text[:i])
		switch {
		case strings.HasPrefix(text[i:], "&#34;"):
			out.WriteByte('"')
			text = text[i+5:]
		case strings.HasPrefix(text[i:], "&#39;"):
			out.WriteByte('\'')
			text = text[i+5:]
		default:
			out.WriteString("&#3")
			text = text[i+3:]
		}
	}
}

// BaseURL is what relative URLs in an article's HTML resolve against: its
// URL when that is an absolute http(s) URL, else nil (relative URLs then
// stay relative rather than resolve against javascript: or the like).
func BaseURL(article string) *url.URL {
	b, err := url.Parse(article)
	if err != nil || (b.Scheme != "http" && b.Scheme != "https") || b.Host == "" {
		return nil
	}
	return b
}

// ResolveAttr returns the escaped attribute value v, a URL, resolved
// against base (BaseURL) and escaped again; fragments, data: and mailto:
// URLs, absolute ones, and any with a nil base are returned as they are.
func ResolveAttr(v string, base *url.URL) string {
	if base == nil || strings.HasPrefix(v, "#") {
		return v
	}
	raw := xhtml.UnescapeString(v)
	if strings.HasPrefix(raw, "data:") || strings.HasPrefix(raw, "mailto:") {
		return v
	}
	u, err := url.Parse(raw)
	if err != nil || u.IsAbs() {
		return v
	}
	return xhtml.EscapeString(base.ResolveReference(u).String())
}
