package content

import (
	"net/url"
	"strings"

	xhtml "golang.org/x/net/html"
)

// Most article HTML is already nearly as the policy would leave it: plain
// paragraphs, lists, emphasis, links and images, with named references
// for dashes and quotes. bluemonday tokenises and rewrites every fragment
// (~35 MB/s a core, the largest cost of reading a document), so
// Sanitizer.HTML first tries fast, which takes only a narrow form and is a
// sanitiser in its own right: text with no "<" but in tags, references
// that end with ";" (written as the characters they stand for, "&", "<"
// and ">" escaped, as the policy writes them); tags written as bluemonday
// writes them, of the elements the policy keeps without attributes (learnt
// at start-up by asking the policy itself); links with only an absolute
// http(s) href; images with only src (absolute http(s)), alt, width and
// height; every URL one that url.Parse writes back the same; elements
// nested and closed as the balancer would leave them. Anything else goes
// to bluemonday. FuzzSanitizerSettled holds fast to the policy: whatever
// fast takes, it makes what the policy makes.

// learnSettled finds the elements, with no attribute, that the policy
// keeps as written.
func (s *Sanitizer) learnSettled() {
	s.settledTags = map[string]bool{}
	for _, name := range []string{"p", "div", "span", "h1", "h2", "h3", "h4", "h5", "h6",
		"b", "strong", "i", "em", "u", "s", "del", "ins", "mark", "small", "sub", "sup",
		"code", "pre", "kbd", "samp", "var", "cite", "dfn", "abbr", "bdi", "time",
		"ul", "ol", "li", "dl", "dt", "dd", "figure", "figcaption", "blockquote", "q",
		"table", "caption", "thead", "tbody", "tfoot", "tr", "td", "th", "ruby", "rt", "rp"} {
		in := "<" + name + ">x</" + name + ">"
		if s.slow(in, "") == in {
			s.settledTags[name] = true
		}
	}
	for _, name := range []string{"br", "hr", "wbr"} {
		in := "a<" + name + ">b"
		if s.slow(in, "") == in {
			s.settledTags[name] = true
		}
	}
}

// fast returns what the policy makes of fragment, when fragment is of the
// narrow form described above; ok is false otherwise. Its text may hold
// character references: they are written as the characters, "&", "<" and
// ">" escaped, as the policy does.
func (s *Sanitizer) fast(fragment string) (out string, ok bool) {
	var bal balancer
	var discard strings.Builder
	var b strings.Builder // when a reference changes the text
	last := 0             // fragment[:last] is in b
	for i := 0; i < len(fragment); {
		if k := strings.IndexAny(fragment[i:], "<>&\r\x00"); k < 0 {
			break
		} else {
			i += k
		}
		switch fragment[i] {
		case '\r', 0:
			return "", false
		case '>':
			b.WriteString(fragment[last:i])
			b.WriteString("&gt;")
			i++
			last = i
		case '&':
			j := i + 1
			for j < len(fragment) && j-i < 40 && fragment[j] != ';' && fragment[j] != '<' && fragment[j] != '&' {
				j++
			}
			if j >= len(fragment) || fragment[j] != ';' {
				return "", false // no semicolon: HTML's legacy rules, left to the policy
			}
			ref := fragment[i : j+1]
			if ref != "&amp;" && ref != "&lt;" && ref != "&gt;" {
				text := xhtml.UnescapeString(ref)
				if text == ref || strings.ContainsAny(text, "&<>") || Clean(text) != text {
					return "", false
				}
				b.WriteString(fragment[last:i])
				b.WriteString(text)
				last = j + 1
			}
			i = j + 1
		case '<':
			end := strings.IndexByte(fragment[i:], '>')
			if end < 0 {
				return "", false
			}
			tag := fragment[i : i+end+1]
			if !s.settledTag(tag) || !bal.tag(&discard, tag) || discard.Len() > 0 {
				return "", false // not kept as written, or the balancer would close something
			}
			i += end + 1
		}
	}
	if len(bal.open) != 0 {
		return "", false
	}
	if last == 0 {
		return fragment, true
	}
	b.WriteString(fragment[last:])
	return b.String(), true
}

// settledTag reports whether the policy keeps tag as written.
func (s *Sanitizer) settledTag(tag string) bool {
	body := tag[1 : len(tag)-1]
	end := strings.HasPrefix(body, "/")
	if end {
		body = body[1:]
	}
	name, attrs, spaced := strings.Cut(body, " ")
	if spaced && (end || attrs == "") {
		return false // bluemonday writes no space here
	}
	if attrs == "" { // <name> or </name>
		switch {
		case end && voidElement[name]:
			return false
		case end && name == "a":
			return true // the balancer checks that a link is open
		default:
			return s.settledTags[name]
		}
	}
	if end || (name != "a" && name != "img") {
		return false
	}
	var seen [5]bool // href, src, alt, width, height
	for attrs != "" {
		eq := strings.Index(attrs, `="`)
		if eq < 0 {
			return false
		}
		key := attrs[:eq]
		rest := attrs[eq+2:]
		q := strings.IndexByte(rest, '"')
		if q < 0 {
			return false
		}
		val := rest[:q]
		attrs = rest[q+1:]
		if attrs != "" {
			if attrs[0] != ' ' || len(attrs) == 1 {
				return false
			}
			attrs = attrs[1:]
		}
		if strings.ContainsAny(val, "'<>") || strings.Contains(strings.ReplaceAll(val, "&amp;", ""), "&") {
			return false
		}
		val = strings.ReplaceAll(val, "&amp;", "&") // as the policy reads it, and writes it back
		var k int
		switch {
		case name == "a" && key == "href":
			k = 0
			if !absoluteURL(val) {
				return false
			}
		case name == "img" && key == "src":
			k = 1
			if !absoluteURL(val) {
				return false
			}
		case name == "img" && key == "alt":
			k = 2
		case name == "img" && key == "width" && allDigits(val):
			k = 3
		case name == "img" && key == "height" && allDigits(val):
			k = 4
		default:
			return false
		}
		if seen[k] {
			return false // a repeat is left to the policy
		}
		seen[k] = true
	}
	if name == "a" {
		return seen[0]
	}
	return seen[1]
}

// absoluteURL reports whether v is an http or https URL with a host that
// url.Parse writes back as it is, in ASCII without spaces.
func absoluteURL(v string) bool {
	if !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] >= 0x7f {
			return false
		}
	}
	u, err := url.Parse(v)
	return err == nil && u.Host != "" && u.String() == v
}

func allDigits(s string) bool {
	if s == "" || len(s) > 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
