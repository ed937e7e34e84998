// Package gate is the publish gate: every output a build writes is checked
// here first, by code that shares nothing with the renderers, so that a
// renderer's bug withholds one output instead of publishing a broken one.
//
// Checking a whole feed strictly costs (encoding/xml reads ~30 MB/s), and a
// build makes each item once and assembles many feeds from it. So an item
// is checked once, when it is made (Item), and each feed's envelope, its
// document without items, once per feed (Envelope); a feed is its envelope
// with the items between head and tail, which keeps both well-formed. The
// XML checker here reads ~1 GB/s and is held to encoding/xml by a fuzzer:
// whatever it accepts, encoding/xml in strict mode accepts too.
package gate

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrMalformed is wrapped by every error for XML that is not well-formed.
var ErrMalformed = errors.New("not well-formed XML")

// element is what the checker knows of an element: its name, and the names
// of its child elements when it is a top-level one.
type element struct {
	name     []byte
	children [][]byte
}

// scanner checks XML 1.0 well-formedness: characters, names, tags and
// their nesting, attributes (quoted, unique), references (the five
// predefined entities and character references to characters XML allows),
// comments, CDATA sections and processing instructions. It does not read
// a DTD; a document with one is refused.
type scanner struct {
	b   []byte
	pos int
	// top are the top-level elements met, with their children's names.
	top   []element
	stack [][]byte
	attrs [][]byte
	// Room for what an item needs, so that checking one allocates little.
	topBuf   [1]element
	stackBuf [8][]byte
	childBuf [24][]byte
	attrBuf  [8][]byte
}

func (s *scanner) fail(format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrMalformed, s.pos, fmt.Sprintf(format, args...))
}

// special marks the bytes that end a run of plain character data: markup,
// references, a possible "]]>", control characters, and 0xEF, which starts
// U+FFFE and U+FFFF.
var special = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = c != '\t' && c != '\n' && c != '\r'
	}
	t['<'], t['&'], t[']'], t[0xEF] = true, true, true, true
	return t
}()

// content reads character data and markup up to the end of b or, inside
// an element, to its end tag (which it leaves unread).
func (s *scanner) content() error {
	b := s.b
	for s.pos < len(b) {
		if len(s.stack) == 0 { // outside every element: white space only
			s.space()
			if s.pos < len(b) && b[s.pos] != '<' {
				return s.fail("character data outside the root element")
			}
		}
		// Plain character data: the common case, a byte at a time.
		i := s.pos
		for i < len(b) && !special[b[i]] {
			i++
		}
		s.pos = i
		if s.pos >= len(b) {
			return nil
		}
		switch c := b[s.pos]; c {
		case '<':
			if s.pos+1 < len(b) && b[s.pos+1] == '/' {
				return nil
			}
			if err := s.markup(); err != nil {
				return err
			}
		case '&':
			if err := s.reference(); err != nil {
				return err
			}
		case ']':
			if bytes.HasPrefix(b[s.pos:], []byte("]]>")) {
				return s.fail(`"]]>" in character data`)
			}
			s.pos++
		case 0xEF:
			if s.pos+2 < len(b) && b[s.pos+1] == 0xBF && (b[s.pos+2] == 0xBE || b[s.pos+2] == 0xBF) {
				return s.fail("U+FFFE or U+FFFF, which XML forbids")
			}
			s.pos++
		default:
			return s.fail("control character %#02x, which XML forbids", c)
		}
	}
	return nil
}

// markup reads what starts with "<" (not an end tag): an element, a
// comment, a CDATA section or a processing instruction.
func (s *scanner) markup() error {
	b := s.b[s.pos:]
	switch {
	case bytes.HasPrefix(b, []byte("<!--")):
		end := bytes.Index(b[4:], []byte("--"))
		if end < 0 || !bytes.HasPrefix(b[4+end:], []byte("-->")) {
			return s.fail(`a comment holding "--" or not closed`)
		}
		s.pos += 4 + end + 3
		return nil
	case bytes.HasPrefix(b, []byte("<![CDATA[")):
		if len(s.stack) == 0 {
			return s.fail("a CDATA section outside the root element")
		}
		end := bytes.Index(b[9:], []byte("]]>"))
		if end < 0 {
			return s.fail("a CDATA section not closed")
		}
		if err := s.chars(s.pos+9, s.pos+9+end); err != nil {
			return err
		}
		s.pos += 9 + end + 3
		return nil
	case bytes.HasPrefix(b, []byte("<?")):
		return s.pi()
	case bytes.HasPrefix(b, []byte("<!")):
		return s.fail("a declaration (<!DOCTYPE, <!ENTITY) is not accepted")
	}
	return s.element()
}

// chars checks that b[from:to], text with no markup, holds only
// characters XML allows.
func (s *scanner) chars(from, to int) error {
	for i := from; i < to; i++ {
		c := s.b[i]
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			s.pos = i
			return s.fail("control character %#02x, which XML forbids", c)
		}
		if c == 0xEF && i+2 < to && s.b[i+1] == 0xBF && (s.b[i+2] == 0xBE || s.b[i+2] == 0xBF) {
			s.pos = i
			return s.fail("U+FFFE or U+FFFF, which XML forbids")
		}
	}
	return nil
}

// pi reads a processing instruction: <?target ...?>, whose target is not
// "xml" in any case (the declaration is read by Document).
func (s *scanner) pi() error {
	s.pos += 2
	name, ok := s.name()
	if !ok {
		return s.fail("a processing instruction without a target")
	}
	if len(name) == 3 && (name[0]|0x20) == 'x' && (name[1]|0x20) == 'm' && (name[2]|0x20) == 'l' {
		return s.fail("an XML declaration not at the start")
	}
	end := bytes.Index(s.b[s.pos:], []byte("?>"))
	if end < 0 {
		return s.fail("a processing instruction not closed")
	}
	if end > 0 && !isSpace(s.b[s.pos]) {
		return s.fail("a processing instruction's target not followed by a space")
	}
	if err := s.chars(s.pos, s.pos+end); err != nil {
		return err
	}
	s.pos += end + 2
	return nil
}

// element reads an element, from its start tag to its end tag.
func (s *scanner) element() error {
	s.pos++ // <
	name, ok := s.name()
	if !ok {
		return s.fail(`"<" not followed by a name (write "&lt;")`)
	}
	if n := len(s.stack); n == 0 {
		s.top = append(s.top, element{name: name})
		if len(s.top) == 1 {
			s.top[0].children = s.childBuf[:0]
		}
	} else if n == 1 {
		t := &s.top[len(s.top)-1]
		t.children = append(t.children, name)
	}
	s.attrs = s.attrs[:0]
	for {
		spaced := s.space()
		if s.pos >= len(s.b) {
			return s.fail("a start tag not closed")
		}
		switch s.b[s.pos] {
		case '>':
			s.pos++
			s.stack = append(s.stack, name)
			if err := s.content(); err != nil {
				return err
			}
			return s.endTag()
		case '/':
			if s.pos+1 >= len(s.b) || s.b[s.pos+1] != '>' {
				return s.fail(`"/" in a start tag not followed by ">"`)
			}
			s.pos += 2
			return nil
		}
		if !spaced {
			return s.fail("attributes not separated by a space")
		}
		if err := s.attribute(); err != nil {
			return err
		}
	}
}

// endTag reads the end tag of the innermost open element.
func (s *scanner) endTag() error {
	want := s.stack[len(s.stack)-1]
	if s.pos >= len(s.b) {
		return s.fail("element <%s> not closed", want)
	}
	s.pos += 2 // </
	name, ok := s.name()
	if !ok || !bytes.Equal(name, want) {
		return s.fail("end tag </%s> for element <%s>", name, want)
	}
	s.space()
	if s.pos >= len(s.b) || s.b[s.pos] != '>' {
		return s.fail("end tag </%s> not closed", name)
	}
	s.pos++
	s.stack = s.stack[:len(s.stack)-1]
	return nil
}

// attribute reads name="value" (or 'value'), unique in its tag.
func (s *scanner) attribute() error {
	name, ok := s.name()
	if !ok {
		return s.fail("an attribute without a name")
	}
	for _, a := range s.attrs {
		if bytes.Equal(a, name) {
			return s.fail("attribute %s given twice", name)
		}
	}
	s.attrs = append(s.attrs, name)
	s.space()
	if s.pos >= len(s.b) || s.b[s.pos] != '=' {
		return s.fail("attribute %s without a value", name)
	}
	s.pos++
	s.space()
	if s.pos >= len(s.b) || (s.b[s.pos] != '"' && s.b[s.pos] != '\'') {
		return s.fail("attribute %s's value not quoted", name)
	}
	q := s.b[s.pos]
	s.pos++
	for {
		if s.pos >= len(s.b) {
			return s.fail("attribute %s's value not closed", name)
		}
		switch c := s.b[s.pos]; {
		case c == q:
			s.pos++
			return nil
		case c == '<':
			return s.fail(`"<" in attribute %s's value`, name)
		case c == '&':
			if err := s.reference(); err != nil {
				return err
			}
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			return s.fail("control character %#02x, which XML forbids", c)
		case c == 0xEF && s.pos+2 < len(s.b) && s.b[s.pos+1] == 0xBF && (s.b[s.pos+2] == 0xBE || s.b[s.pos+2] == 0xBF):
			return s.fail("U+FFFE or U+FFFF, which XML forbids")
		default:
			s.pos++
		}
	}
}

// reference reads &name; (one of the five XML predefines) or &#n; / &#xh;
// (a character XML allows).
func (s *scanner) reference() error {
	b := s.b[s.pos:]
	end := bytes.IndexByte(b[:min(len(b), 13)], ';') // no reference is longer
	if end < 0 {
		return s.fail(`"&" not starting a reference (write "&amp;")`)
	}
	switch string(b[1:end]) { // compared without a copy
	case "amp", "lt", "gt", "quot", "apos":
		s.pos += end + 1
		return nil
	}
	r, err := s.charRef(b[1:end])
	if err != nil {
		return err
	}
	if !isChar(r) {
		return s.fail("character reference &%s; to a character XML forbids", b[1:end])
	}
	s.pos += end + 1
	return nil
}

// charRef reads the character of a reference's name: #n or #xh.
func (s *scanner) charRef(ref []byte) (rune, error) {
	if len(ref) < 2 || ref[0] != '#' {
		return 0, s.fail("&%s; is not one of XML's five entities", ref)
	}
	digits, base := ref[1:], 10
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if len(digits) == 0 {
		return 0, s.fail("character reference &%s; without digits", ref)
	}
	var r rune
	for _, c := range digits {
		var d rune
		switch {
		case '0' <= c && c <= '9':
			d = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = rune(c-'A') + 10
		default:
			return 0, s.fail("character reference &%s; with a bad digit", ref)
		}
		r = r*rune(base) + d
		if r > utf8.MaxRune {
			return 0, s.fail("character reference &%s; out of range", ref)
		}
	}
	return r, nil
}

// name reads a Name, or reports false leaving pos where it was.
func (s *scanner) name() ([]byte, bool) {
	start := s.pos
	for s.pos < len(s.b) {
		c := s.b[s.pos]
		if c < utf8.RuneSelf {
			if !(isLetter(c) || c == '_' || c == ':' || (s.pos > start && (isDigit(c) || c == '-' || c == '.'))) {
				break
			}
			s.pos++
			continue
		}
		r, n := utf8.DecodeRune(s.b[s.pos:])
		if !(isNameStart(r) || (s.pos > start && isNameChar(r))) {
			break
		}
		s.pos += n
	}
	return s.b[start:s.pos], s.pos > start
}

// space skips white space and says whether there was any.
func (s *scanner) space() bool {
	start := s.pos
	for s.pos < len(s.b) && isSpace(s.b[s.pos]) {
		s.pos++
	}
	return s.pos > start
}

func isSpace(c byte) bool  { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

// isChar is XML 1.0's Char production.
func isChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || 0x20 <= r && r <= 0xD7FF || 0xE000 <= r && r <= 0xFFFD || 0x10000 <= r && r <= 0x10FFFF
}

// isNameStart is NameStartChar beyond ASCII (XML 1.0, fifth edition).
func isNameStart(r rune) bool {
	return 0xC0 <= r && r <= 0xD6 || 0xD8 <= r && r <= 0xF6 || 0xF8 <= r && r <= 0x2FF || 0x370 <= r && r <= 0x37D ||
		0x37F <= r && r <= 0x1FFF || 0x200C <= r && r <= 0x200D || 0x2070 <= r && r <= 0x218F || 0x2C00 <= r && r <= 0x2FEF ||
		0x3001 <= r && r <= 0xD7FF || 0xF900 <= r && r <= 0xFDCF || 0xFDF0 <= r && r <= 0xFFFD || 0x10000 <= r && r <= 0xEFFFF
}

// isNameChar is NameChar beyond ASCII.
func isNameChar(r rune) bool {
	return isNameStart(r) || r == 0xB7 || 0x300 <= r && r <= 0x36F || 0x203F <= r && r <= 0x2040
}

// check reads b whole as XML content and returns its top-level elements.
func check(b []byte, document bool) ([]element, error) {
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("%w: not valid UTF-8", ErrMalformed)
	}
	s := &scanner{b: b}
	s.top, s.stack, s.attrs = s.topBuf[:0], s.stackBuf[:0], s.attrBuf[:0]
	if document {
		if err := s.declaration(); err != nil {
			return nil, err
		}
	}
	if err := s.content(); err != nil {
		return nil, err
	}
	if s.pos < len(s.b) { // an end tag with nothing open
		return nil, s.fail("end tag with no element open")
	}
	if document {
		if len(s.top) != 1 {
			return nil, fmt.Errorf("%w: %d root elements, want 1", ErrMalformed, len(s.top))
		}
	}
	return s.top, nil
}

// declaration reads an XML declaration at the very start, if there is one.
func (s *scanner) declaration() error {
	if !bytes.HasPrefix(s.b, []byte("<?xml")) || len(s.b) < 6 || !isSpace(s.b[5]) {
		return nil
	}
	end := bytes.Index(s.b, []byte("?>"))
	if end < 0 {
		return s.fail("XML declaration not closed")
	}
	decl := s.b[:end]
	if !bytes.Contains(decl, []byte(`version="1.0"`)) && !bytes.Contains(decl, []byte(`version='1.0'`)) {
		return s.fail("XML declaration without version 1.0")
	}
	if err := s.chars(0, end); err != nil {
		return err
	}
	s.pos = end + 2
	return nil
}
