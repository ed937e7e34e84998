package content

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Allowed reports whether XML 1.0 allows r in a document. Every output
// drops the characters it forbids, JSON Feed included.
func Allowed(r rune) bool {
	switch {
	case r < 0x20:
		return r == '\t' || r == '\n' || r == '\r'
	case r < 0xD800:
		return true
	case r < 0xE000:
		return false // surrogates
	case r < 0xFFFE:
		return true
	case r < 0x10000:
		return false // U+FFFE, U+FFFF
	default:
		return r <= unicode.MaxRune
	}
}

// Clean drops the characters XML 1.0 forbids and replaces invalid UTF-8 with
// U+FFFD. It returns s itself when there is nothing to change.
func Clean(s string) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !Allowed(r) || (r == utf8.RuneError && size == 1) {
			return clean(s, i)
		}
		i += size
	}
	return s
}

func clean(s string, from int) string {
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:from])
	for i := from; i < len(s); {
		if c := s[i]; c >= 0x20 && c < utf8.RuneSelf {
			j := i + 1
			for j < len(s) && s[j] >= 0x20 && s[j] < utf8.RuneSelf {
				j++
			}
			b.WriteString(s[i:j])
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError) // an invalid byte
		case Allowed(r):
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// line cleans a one-line plain-text value: forbidden characters dropped,
// runs of white space (new lines included) folded to one space. It is
// strings.Join(strings.Fields(Clean(s)), " "), and returns s itself when
// that is s.
func line(s string) string {
	if folded(s) {
		return s
	}
	f := folder{max: -1, b: make([]byte, 0, len(s))}
	f.write(s)
	return f.String()
}

// folded reports whether line(s) is s: s holds only characters Clean keeps,
// and no white space but single spaces between other characters.
func folded(s string) bool {
	space := true // at the start, a space is not allowed either
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == ' ':
				if space {
					return false
				}
				space = true
			case c < ' ':
				return false
			default:
				space = false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || !Allowed(r) || unicode.IsSpace(r) {
			return false
		}
		space = false
		i += size
	}
	return !space || s == ""
}

// folder writes text as line folds it, in pieces: the characters Clean
// drops are dropped, runs of white space (unicode.IsSpace, as strings.Fields
// has it) between other characters become one space, white space at the
// ends none. With max >= 0 it keeps only the first max characters.
type folder struct {
	b     []byte
	n     int  // characters written
	max   int  // < 0: no limit
	space bool // white space since the last character written
}

func (f *folder) full() bool { return f.max >= 0 && f.n >= f.max }

// spaced marks white space, as a space written would.
func (f *folder) spaced() { f.space = true }

func (f *folder) write(s string) {
	for i := 0; i < len(s) && !f.full(); {
		c := s[i]
		size := 1
		if c < utf8.RuneSelf {
			if c <= ' ' {
				if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
					f.space = true
				} // other C0 controls are dropped, as Clean drops them
				i++
				continue
			}
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				f.char("\uFFFD") // Clean's replacement for an invalid byte
				i++
				continue
			}
			if !Allowed(r) {
				i += size
				continue
			}
			if unicode.IsSpace(r) {
				f.space = true
				i += size
				continue
			}
		}
		f.char(s[i : i+size])
		i += size
	}
}

// char writes one character that is neither white space nor dropped.
func (f *folder) char(c string) {
	if f.space && f.n > 0 {
		f.b = append(f.b, ' ')
		f.n++
		if f.full() {
			return
		}
	}
	f.space = false
	f.b = append(f.b, c...)
	f.n++
}

func (f *folder) String() string { return string(f.b) }

// Text returns the text of an HTML fragment, as a reader would see it:
// entities decoded, markup and scripts dropped, white space folded.
func Text(fragment string) string {
	return textPrefix(fragment, -1)
}

// textPrefix is the first n characters of Text(fragment), all of it when n
// is negative. Only as much of the text as it returns is decoded and
// folded.
func textPrefix(fragment string, n int) string {
	if !strings.ContainsAny(fragment, "<&") {
		if n < 0 {
			return line(fragment)
		}
		f := folder{max: n, b: make([]byte, 0, min(len(fragment), 4*n))}
		f.write(fragment)
		return f.String()
	}
	if s, ok := tokenText(fragment, n); ok {
		return s
	}
	s := treeText(fragment)
	if n >= 0 {
		s = prefix(s, n)
	}
	return s
}

// prefix is the first n characters of s.
func prefix(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// treeText is Text as the HTML parser sees the fragment: the tree it
// builds, walked in document order.
func treeText(fragment string) string {
	nodes, err := xhtml.ParseFragment(strings.NewReader(fragment), &xhtml.Node{
		Type: xhtml.ElementNode, Data: "body", DataAtom: atom.Body,
	})
	if err != nil { // a reader error (a strings.Reader has none) or nesting deeper than the parser allows
		return line(html.UnescapeString(fragment))
	}
	var b strings.Builder
	for _, n := range nodes {
		text(&b, n)
	}
	return line(b.String())
}

func text(b *strings.Builder, n *xhtml.Node) {
	switch n.Type {
	case xhtml.TextNode:
		b.WriteString(n.Data)
		return
	case xhtml.ElementNode:
		switch n.Data {
		case "script", "style", "template", "noscript", "head", "title":
			return
		case "br", "p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
			"blockquote", "pre", "figure", "figcaption", "section", "article", "ul", "ol", "table":
			b.WriteByte(' ')
			defer b.WriteByte(' ')
		case "img":
			for _, a := range n.Attr {
				if a.Key == "alt" && a.Val != "" {
					b.WriteString(" " + a.Val + " ")
				}
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		text(b, c)
	}
}

// Cut shortens plain text to about n characters, cutting only between
// characters (never inside a combining sequence or an emoji sequence),
// preferring a space near the end for space-separated scripts, and marks the
// cut with an ellipsis. Text of n characters or fewer is returned as is.
func Cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	end := 0 // byte offset after n runes
	for i := 0; i < n; i++ {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
	}
	for end > 0 && !boundary(s, end) {
		_, size := utf8.DecodeLastRuneInString(s[:end])
		end -= size
	}
	if sp := strings.LastIndexByte(s[:end], ' '); sp > 0 && utf8.RuneCountInString(s[sp:end]) <= n/5 {
		end = sp
	}
	cut := strings.TrimRightFunc(s[:end], func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;:、，；：—-", r)
	})
	return cut + "…"
}

// boundary reports whether s may be cut at byte offset i, between two runes,
// without splitting what a reader sees as one character: a letter and its
// combining marks, an emoji sequence (ZWJ, modifiers, tags, a flag's two
// regional indicators), a decomposed Hangul syllable, or CR LF.
func boundary(s string, i int) bool {
	next, _ := utf8.DecodeRuneInString(s[i:])
	prev, _ := utf8.DecodeLastRuneInString(s[:i])
	switch {
	case joins(next) || prev == '\u200d' || prev == '\r' && next == '\n':
		return false
	case hangulL(prev) && (hangulL(next) || hangulV(next) || next >= 0xAC00 && next <= 0xD7A3):
		return false
	case regional(prev) && regional(next):
		// Regional indicators pair up from the start of their run: the cut
		// falls inside a flag when an odd number of them precede it.
		n := 0
		for j := i; j > 0; {
			r, size := utf8.DecodeLastRuneInString(s[:j])
			if !regional(r) {
				break
			}
			n++
			j -= size
		}
		return n%2 == 0
	}
	return true
}

// joins reports whether r continues the character before it: a combining
// mark, a variation selector, a zero-width joiner, an emoji modifier or tag,
// or a Hangul medial vowel or final consonant.
func joins(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) ||
		r == '\u200d' || (r >= 0xFE00 && r <= 0xFE0F) ||
		(r >= 0x1F3FB && r <= 0x1F3FF) || (r >= 0xE0020 && r <= 0xE007F) ||
		hangulV(r) || hangulT(r)
}

func regional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// Hangul conjoining jamo: leading consonants (L), vowels (V), trailing
// consonants (T).
func hangulL(r rune) bool { return r >= 0x1100 && r <= 0x115F || r >= 0xA960 && r <= 0xA97C }
func hangulV(r rune) bool { return r >= 0x1160 && r <= 0x11A7 || r >= 0xD7B0 && r <= 0xD7C6 }
func hangulT(r rune) bool { return r >= 0x11A8 && r <= 0x11FF || r >= 0xD7CB && r <= 0xD7FB }

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escapeHTML(s string) string { return htmlEscaper.Replace(s) }
