package content

import (
	"io"
	"strings"
	"unsafe"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// tokenText is Text for the fragments the HTML parser would build a plain
// tree of: it reads the tokens and writes the text the tree would hold,
// without building the tree. With n >= 0 it writes only the first n
// characters of the text, but reads the fragment to the end all the same,
// as what comes later can make the whole text another (a fragment nested
// deeper than the parser allows has the text of its unescaped markup).
//
// ok is false for a fragment whose tree is not plain (see plainTree); the
// tree built for such a fragment can hold its text in another order, drop
// parts of it, or hold text the fragment never spelled out, and treeText
// reads it.
func tokenText(fragment string, n int) (text string, ok bool) {
	var t plainTree
	t.open = t.stack[:0]
	f := folder{max: n}
	if n < 0 {
		f.b = make([]byte, 0, len(fragment))
	} else {
		f.b = make([]byte, 0, min(len(fragment), 4*n+16))
	}
	z := xhtml.NewTokenizer(strings.NewReader(fragment))
	off := 0 // of the next token: tokens follow one another, each its Raw bytes
	for !f.full() {
		tt := z.Next()
		off += len(z.Raw())
		switch tt {
		case xhtml.ErrorToken:
			if z.Err() != io.EOF {
				return "", false
			}
			return f.String(), true
		case xhtml.TextToken:
			f.writeBytes(z.Text())
		case xhtml.CommentToken:
			// Comments hold no text.
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			k, ok := t.start(a)
			if !ok {
				return "", false
			}
			if k&block != 0 {
				f.spaced()
			}
			if a == atom.Img && hasAttr {
				for more := true; more; {
					var key, val []byte
					key, val, more = z.TagAttr()
					if string(key) == "alt" && len(val) > 0 {
						f.spaced()
						f.writeBytes(val)
						f.spaced()
					}
				}
			}
		case xhtml.EndTagToken:
			name, _ := z.TagName()
			k, ok := t.end(atom.Lookup(name))
			if !ok {
				return "", false
			}
			if k&block != 0 {
				f.spaced()
			}
		default: // a doctype, which the parser ignores; tokenText need not know
			return "", false
		}
	}
	// The text is complete; the rest of the fragment is only checked.
	if !t.check(fragment[off:]) {
		return "", false
	}
	return f.String(), true
}

// plainTree follows the elements open while a fragment is read, as long as
// the tree the HTML parser builds of it is plain: every element inside the
// one open when its start tag came, holding what came until its end tag.
//
// The elements it knows are those of articles (tagKinds), and the parser's
// rules for them in the "in body" insertion mode, which the fragment's
// context <body> starts in, are these: a start tag opens an element inside
// the current one (a void element closes at once), the end tag of the
// current element closes it. What it hands on (ok false) is every other tag
// and every exception to those rules: an end tag that is not the current
// element's (which the parser ignores, or takes as closing several, or as
// opening an element, as </p> does); an element that closes an open <p> (a
// block, a list item, a heading, <hr>); a <li> that closes an open <li>; a
// heading directly inside a heading; an <a> inside an <a>; nesting deeper
// than maxOpen. Formatting elements (<b>, <a>...) are reopened by the
// parser when an element closes them implicitly; as none is, the tree is
// the nesting of the tags. text, which walks the tree, separates the text of
// blocks with white space and writes the alt text of images: so does
// tokenText.
type plainTree struct {
	stack  [32]atom.Atom
	open   []atom.Atom
	ps, as int // open <p> and <a> elements
}

// start takes a start tag (or a self-closing one: the parser takes those as
// start tags, and closes void elements at once either way).
func (t *plainTree) start(a atom.Atom) (kind uint8, ok bool) {
	k := tagKinds[a]
	switch {
	case k == 0:
		return 0, false
	case k&closesP != 0 && t.ps > 0:
		return 0, false
	case a == atom.A && t.as > 0:
		return 0, false
	case k&heading != 0 && len(t.open) > 0 && tagKinds[t.open[len(t.open)-1]]&heading != 0:
		return 0, false
	case a == atom.Li && closesLi(t.open):
		return 0, false
	}
	if k&void != 0 {
		return k, true
	}
	if len(t.open) >= maxOpen {
		return 0, false
	}
	t.open = append(t.open, a)
	switch a {
	case atom.P:
		t.ps++
	case atom.A:
		t.as++
	}
	return k, true
}

// end takes an end tag.
func (t *plainTree) end(a atom.Atom) (kind uint8, ok bool) {
	if a == 0 || len(t.open) == 0 || t.open[len(t.open)-1] != a {
		return 0, false
	}
	t.open = t.open[:len(t.open)-1]
	switch a {
	case atom.P:
		t.ps--
	case atom.A:
		t.as--
	}
	return tagKinds[a], true
}

// check reads the rest of a fragment, from the start of a token, and
// reports whether the whole tree stays plain. It finds tags itself while
// they are written in the simplest forms (see scanTag), and hands the rest
// of the fragment to the tokenizer from the first one that is not.
func (t *plainTree) check(rest string) bool {
	for {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			return true // text to the end
		}
		rest = rest[i:]
		endTag, name, size := scanTag(rest)
		if size == 0 {
			return t.checkTokens(rest)
		}
		var a atom.Atom
		if len(name) <= 16 {
			var lower [16]byte
			for j := 0; j < len(name); j++ {
				c := name[j]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				lower[j] = c
			}
			a = atom.Lookup(lower[:len(name)])
		}
		var ok bool
		if endTag {
			_, ok = t.end(a)
		} else {
			_, ok = t.start(a)
		}
		if !ok {
			return false
		}
		rest = rest[size:]
	}
}

// checkTokens is check with the tokenizer.
func (t *plainTree) checkTokens(rest string) bool {
	z := xhtml.NewTokenizer(strings.NewReader(rest))
	for {
		var ok bool
		switch z.Next() {
		case xhtml.ErrorToken:
			return z.Err() == io.EOF
		case xhtml.TextToken, xhtml.CommentToken:
			ok = true
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			name, _ := z.TagName()
			_, ok = t.start(atom.Lookup(name))
		case xhtml.EndTagToken:
			name, _ := z.TagName()
			_, ok = t.end(atom.Lookup(name))
		}
		if !ok {
			return false
		}
	}
}

// scanTag reads the tag at the start of s ('<') when it is written in one of
// the simplest forms, which the tokenizer reads as a start tag or end tag
// with that name, and it alone:
//
//	</name>
//	<name( attr| attr="value"| attr='value'| attr=value)* /?>
//
// name is ASCII letters and digits, starting with a letter; attr is letters,
// digits and "-_:."; an unquoted value letters, digits and "-_.:%#"; a quoted
// one anything but its quote; white space is one or more of " \t\n\r\f".
// size is 0 for anything else.
func scanTag(s string) (endTag bool, name string, size int) {
	i := 1
	if i < len(s) && s[i] == '/' {
		endTag = true
		i++
	}
	start := i
	if i >= len(s) || !isLetter(s[i]) {
		return false, "", 0
	}
	for i < len(s) && isAlnum(s[i]) {
		i++
	}
	name = s[start:i]
	if endTag {
		if i < len(s) && s[i] == '>' {
			return true, name, i + 1
		}
		return false, "", 0
	}
	for {
		spaced := false
		for i < len(s) && isHTMLSpace(s[i]) {
			i++
			spaced = true
		}
		if i >= len(s) {
			return false, "", 0
		}
		switch {
		case s[i] == '>':
			return false, name, i + 1
		case s[i] == '/':
			if i+1 < len(s) && s[i+1] == '>' {
				return false, name, i + 2
			}
			return false, "", 0
		case !spaced:
			return false, "", 0
		}
		// An attribute.
		j := i
		for i < len(s) && (isAlnum(s[i]) || s[i] == '-' || s[i] == '_' || s[i] == ':' || s[i] == '.') {
			i++
		}
		if i == j || i >= len(s) {
			return false, "", 0
		}
		if s[i] != '=' {
			continue // no value: white space, '>' or "/>" must follow
		}
		i++
		if i >= len(s) {
			return false, "", 0
		}
		switch q := s[i]; q {
		case '"', '\'':
			end := strings.IndexByte(s[i+1:], q)
			if end < 0 {
				return false, "", 0
			}
			i += 1 + end + 1
			if i < len(s) && !isHTMLSpace(s[i]) && s[i] != '>' && s[i] != '/' {
				return false, "", 0
			}
		default:
			j := i
			for i < len(s) && (isAlnum(s[i]) || strings.IndexByte("-_.:%#", s[i]) >= 0) {
				i++
			}
			if i == j || i < len(s) && !isHTMLSpace(s[i]) && s[i] != '>' {
				return false, "", 0
			}
		}
	}
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// maxOpen is how many elements plainTree lets be open at once; the parser
// refuses more than 511 (and Text falls back to the unescaped markup).
const maxOpen = 256

// closesLi reports whether a <li> start tag closes an open <li>: one open
// with nothing but inline elements, <div>, <p> or <address> opened since.
func closesLi(open []atom.Atom) bool {
	for i := len(open) - 1; i >= 0; i-- {
		switch a := open[i]; {
		case a == atom.Li:
			return true
		case a == atom.Div || a == atom.P || a == atom.Address:
		case tagKinds[a]&special != 0:
			return false
		}
	}
	return false
}

// The kinds of elements plainTree knows.
const (
	known   = 1 << iota
	block   // text separates its text from the text around it
	closesP // its start tag closes an open <p>
	special // "special" in the HTML standard's sense: it stops the search of a <li> for an open <li>
	heading
	void
)

var tagKinds = func() map[atom.Atom]uint8 {
	m := map[atom.Atom]uint8{}
	for _, a := range []atom.Atom{
		atom.P, atom.Div, atom.Blockquote, atom.Figure, atom.Figcaption, atom.Section, atom.Article,
		atom.Ul, atom.Ol, atom.Pre, atom.Li,
	} {
		m[a] = known | block | closesP | special
	}
	for _, a := range []atom.Atom{atom.Aside, atom.Header, atom.Footer, atom.Nav, atom.Main, atom.Address} {
		m[a] = known | closesP | special
	}
	for _, a := range []atom.Atom{atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6} {
		m[a] = known | block | closesP | special | heading
	}
	m[atom.Br] = known | block | special | void
	m[atom.Img] = known | special | void
	m[atom.Wbr] = known | special | void
	m[atom.Hr] = known | closesP | special | void
	// Formatting elements and other inline ones.
	for _, a := range []atom.Atom{
		atom.A, atom.B, atom.Big, atom.Code, atom.Em, atom.Font, atom.I, atom.S, atom.Small, atom.Strike, atom.Strong, atom.Tt, atom.U,
		atom.Span, atom.Sub, atom.Sup, atom.Abbr, atom.Cite, atom.Q, atom.Mark, atom.Time, atom.Dfn, atom.Kbd, atom.Samp,
		atom.Var, atom.Ins, atom.Del, atom.Bdi, atom.Bdo, atom.Data,
	} {
		m[a] = known
	}
	return m
}()

// writeBytes writes b as write writes a string. write keeps no reference to
// the string it is given, so b is read in place rather than copied.
func (f *folder) writeBytes(b []byte) {
	f.write(unsafe.String(unsafe.SliceData(b), len(b)))
}
