package feed

import (
	"encoding/binary"
	"io"
	"math/bits"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/feedpub/feedpub/content"
)

// writer streams one document through a pooled buffer that is handed to
// the destination every flushAt bytes. The first write error is kept and
// reported by flush, so the renderers read as plain sequences.
type writer struct {
	out     io.Writer
	buf     []byte
	err     error
	scratch [64]byte
	schemes [2]string // the category and tag scheme URLs of the feed being written, in that order, escaped as attributes
}

const (
	flushAt     = 32 << 10
	maxPooled   = 1 << 20 // larger buffers are left to the garbage collector
	initialSize = 64 << 10
)

var buffers = sync.Pool{New: func() any { b := make([]byte, 0, initialSize); return &b }}

func newWriter(out io.Writer) *writer {
	return &writer{out: out, buf: (*buffers.Get().(*[]byte))[:0]}
}

// forFeed sets what every item of f repeats.
func (w *writer) forFeed(f *Feed) *writer {
	w.schemes = [2]string{
		escaped(f.Site.BaseURL+"/feeds/category/", (*writer).attr),
		escaped(f.Site.BaseURL+"/feeds/tag/", (*writer).attr),
	}
	return w
}

// str appends s.
func (w *writer) str(s string) {
	w.buf = append(w.buf, s...)
	if len(w.buf) >= flushAt {
		w.drain()
	}
}

// char appends c.
func (w *writer) char(c byte) { w.buf = append(w.buf, c) }

// bytes appends b.
func (w *writer) bytes(b []byte) { w.buf = append(w.buf, b...) }

func (w *writer) drain() {
	if w.out == nil { // escaping into memory: keep everything
		return
	}
	if w.err == nil && len(w.buf) > 0 {
		_, w.err = w.out.Write(w.buf)
	}
	w.buf = w.buf[:0]
}

// flush writes what is buffered, returns the buffer to the pool and reports
// the first write error.
func (w *writer) flush() error {
	w.drain()
	if cap(w.buf) <= maxPooled {
		b := w.buf[:0]
		buffers.Put(&b)
	}
	w.buf = nil
	return w.err
}

// xmlClass says which ASCII bytes need work in XML text (1) and in
// attributes (2): markup, quotes, and control characters (dropped, or
// escaped when they are white space).
var xmlClass = func() (t [utf8.RuneSelf]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = 3
	}
	t['&'], t['<'], t['>'] = 3, 3, 3
	t['"'] = 2
	return t
}()

// text writes s as XML character data: markup escaped, characters XML 1.0
// forbids dropped, invalid UTF-8 replaced, carriage returns kept.
func (w *writer) text(s string) { w.escapeXML(s, 1) }

// attr writes s as an attribute value inside double quotes.
func (w *writer) attr(s string) { w.escapeXML(s, 2) }

// plainRune reports the length of the well-formed UTF-8 sequence at s[i]
// when it needs no work in any format (every two- and three-byte character
// but U+FFFE, U+FFFF, U+2028 and U+2029), or 0 when the caller must look
// closer. Inlined, it keeps CJK text off utf8.DecodeRune's slow path.
func plainRune(s string, i int) int {
	c := s[i]
	switch {
	case c >= 0xC2 && c <= 0xDF:
		if i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
			return 2
		}
	case c >= 0xE1 && c <= 0xEC:
		if i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 &&
			(c != 0xE2 || s[i+1] != 0x80 || s[i+2]&0xFE != 0xA8) { // U+2028, U+2029
			return 3
		}
	case c == 0xEE || c == 0xEF:
		if i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 && (c == 0xEE || s[i+1] != 0xBF || s[i+2] < 0xBE) {
			return 3
		}
	}
	return 0
}

func (w *writer) escapeXML(s string, mask uint8) {
	// Printable ASCII without markup or quotes (URLs, ids, most short
	// values) is passed over eight bytes at a time up to the first byte
	// that needs a look.
	i := 0
	for i+8 <= len(s) {
		if x := load8(s, i); x&highs != 0 || below(x, 0x20) != 0 || markup(x)|below(x^(ones*'"'), 1) != 0 {
			break
		}
		i += 8
	}
	last := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if xmlClass[c]&mask == 0 {
				i++
				continue
			}
			w.buf = append(w.buf, s[last:i]...)
			switch c {
			case '&':
				w.buf = append(w.buf, "&amp;"...)
			case '<':
				w.buf = append(w.buf, "&lt;"...)
			case '>':
				w.buf = append(w.buf, "&gt;"...)
			case '"':
				w.buf = append(w.buf, "&quot;"...)
			case '\r':
				w.buf = append(w.buf, "&#xD;"...)
			case '\n':
				if mask == 2 {
					w.buf = append(w.buf, "&#xA;"...)
				} else {
					w.buf = append(w.buf, '\n')
				}
			case '\t':
				if mask == 2 {
					w.buf = append(w.buf, "&#x9;"...)
				} else {
					w.buf = append(w.buf, '\t')
				}
			}
			i++
			last = i
			continue
		}
		if n := plainRune(s, i); n > 0 {
			i += n
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == 0xFFFE || r == 0xFFFF {
			w.buf = append(w.buf, s[last:i]...)
			if r == utf8.RuneError {
				w.buf = append(w.buf, "\uFFFD"...)
			}
			last = i + size
		}
		i += size
	}
	w.str(s[last:])
}

// textOf writes s, one of a's texts, as XML character data: by cleanText
// when Parse cleaned it, checking every character when it did not.
func (w *writer) textOf(a *content.Article, s string) {
	if a.Cleaned(s) {
		w.cleanText(s)
		return
	}
	w.text(s)
}

// textOr writes pre, text already escaped, or escapes raw, one of a's texts,
// when there is no pre (a feed not made by Plan).
func (w *writer) textOr(pre string, a *content.Article, raw string) {
	if pre != "" {
		w.str(pre)
		return
	}
	w.textOf(a, raw)
}

// elemOr writes <name>text</name> like elem, with textOr's text.
func (w *writer) elemOr(name, pre string, a *content.Article, raw string) {
	if raw == "" {
		return
	}
	w.char('<')
	w.str(name)
	w.char('>')
	w.textOr(pre, a, raw)
	w.str("</")
	w.str(name)
	w.char('>')
}

// cleanText writes s as XML character data, like text, but s must be known
// clean (content.Article.Cleaned): valid UTF-8 holding no character XML
// forbids. Then only &, <, > and carriage returns need work, and none of them
// hides inside a multi-byte character, so s is read eight bytes at a time
// and copied a word at a time up to the next one. CJK text, whose bytes are
// all 0x80 or above, goes through at the cost of one test per word.
func (w *writer) cleanText(s string) {
	for len(s) > 0 {
		part := s[:min(len(s), cleanSegment)]
		s = s[len(part):]
		w.reserve(segmentBytes(len(part)))
		out := w.buf[:cap(w.buf)]
		n := len(w.buf)
		i := 0
		for i+8 <= len(part) {
			x := load8(part, i)
			store8(out, n, x)        // kept up to the first byte that needs work
			if below(x, 0x40) != 0 { // the four are below 0x40: look closer
				if m := markup(x); m != 0 {
					k := bits.TrailingZeros64(m) / 8
					c := part[i+k] & 0x3F
					store8(out, n+k, entityWord[c])
					n += k + int(entityLen[c])
					i += k + 1
					continue
				}
			}
			i += 8
			n += 8
		}
		for ; i < len(part); i++ {
			c := part[i]
			if c < 0x40 && entityLen[c] != 0 {
				store8(out, n, entityWord[c])
				n += int(entityLen[c])
				continue
			}
			out[n] = c
			n++
		}
		w.buf = out[:n]
		if len(w.buf) >= flushAt {
			w.drain()
		}
	}
}

// cleanSegment is how many bytes of a text cleanText escapes at a time.
const cleanSegment = 4 << 10

// segmentBytes is the room cleanText needs to escape n bytes: each may
// become five ("&amp;"), and every store writes eight.
func segmentBytes(n int) int { return 5*n + 8 }

// reserve makes room for n more bytes in the buffer.
func (w *writer) reserve(n int) {
	if cap(w.buf)-len(w.buf) < n {
		w.buf = slices.Grow(w.buf, n)
	}
}

// Words of eight bytes, first byte lowest: the tests below look at the eight
// at once ("SIMD within a register").
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

func load8(s string, i int) uint64 {
	b := s[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func store8(b []byte, i int, x uint64) { binary.LittleEndian.PutUint64(b[i:i+8], x) }

// below flags (high bit set) bytes of x less than n, n <= 0x80. It is zero
// exactly when no byte is; the lowest flag is always right, flags above it
// may not be.
func below(x uint64, n byte) uint64 { return (x - ones*uint64(n)) &^ x & highs }

// markup flags the bytes of x that are &, <, > or a carriage return, with
// below's guarantees: zero when there is none, the lowest flag right.
func markup(x uint64) uint64 {
	return below((x|ones*2)^(ones*'>'), 1) | // '<' is '>' but for bit 1
		below(x^(ones*'&'), 1) |
		below(x^(ones*'\r'), 1)
}

// entityWord holds, for the bytes cleanText escapes, their entity as a
// word for store8, and entityLen its length.
var entityWord, entityLen = func() (word [0x40]uint64, n [0x40]uint8) {
	for c, e := range map[byte]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '\r': "&#xD;"} {
		var b [8]byte
		n[c] = uint8(copy(b[:], e))
		word[c] = binary.LittleEndian.Uint64(b[:])
	}
	return word, n
}()

// jsonFieldOr writes ,"name":value like jsonField, with pre already quoted
// when there is one, else raw, one of a's texts, as jsonStringOf writes it.
func (w *writer) jsonFieldOr(name, pre string, a *content.Article, raw string) {
	if raw == "" {
		return
	}
	w.str(`,"`)
	w.str(name)
	w.str(`":`)
	if pre != "" {
		w.str(pre)
		return
	}
	w.jsonStringOf(a, raw)
}

// jsonStringOf writes s, one of a's texts, as a JSON string: by
// cleanJSONString when Parse cleaned it, by jsonString when it did not.
func (w *writer) jsonStringOf(a *content.Article, s string) {
	if a.Cleaned(s) {
		w.cleanJSONString(s)
		return
	}
	w.jsonString(s)
}

// cleanJSONString writes s as a JSON string, like jsonString, but s must be
// known clean, as for cleanText. Then only quotes, backslashes, tabs, line
// feeds, carriage returns and the line and paragraph separators (U+2028,
// U+2029: bytes E2 80 A8 and E2 80 A9) need work, and s is read eight bytes
// at a time.
func (w *writer) cleanJSONString(s string) {
	w.char('"')
	for start := 0; start < len(s); {
		end := min(len(s), start+cleanSegment)
		// Each byte becomes at most two (`\n`; `\u2028` stands for three,
		// two of which may lie past end), and every store writes eight.
		w.reserve(2*(end-start) + 16)
		out := w.buf[:cap(w.buf)]
		n := len(w.buf)
		i := start
		for i+8 <= end {
			x := load8(s, i)
			store8(out, n, x) // kept up to the first byte that needs work
			m := below(x, 0x20) | below(x^(ones*'"'), 1) | below(x^(ones*'\\'), 1) | below(x^(ones*0xE2), 1)
			if m == 0 {
				i += 8
				n += 8
				continue
			}
			k := bits.TrailingZeros64(m) / 8
			i, n = i+k, n+k
			i, n = jsonByte(s, i, out, n)
		}
		for i < end {
			i, n = jsonByte(s, i, out, n)
		}
		w.buf = out[:n]
		start = i // past end when a separator straddled it
		if len(w.buf) >= flushAt {
			w.drain()
		}
	}
	w.char('"')
}

// jsonByte writes s[i] at out[n], escaped if it must be, and returns where
// the next byte is read and written: a separator U+2028 or U+2029 is read
// whole, with the bytes after i (s, not a segment of it).
func jsonByte(s string, i int, out []byte, n int) (int, int) {
	c := s[i]
	switch {
	case c == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && s[i+2]&0xFE == 0xA8:
		store8(out, n, jsonSeparator[s[i+2]&1])
		return i + 3, n + 6
	case c < 0x60 && jsonEscape[c] != 0:
		store8(out, n, uint64('\\')|uint64(jsonEscape[c])<<8)
		return i + 1, n + 2
	}
	out[n] = c
	return i + 1, n + 1
}

// jsonEscape holds the letter that follows a backslash for the bytes
// cleanJSONString escapes with two; jsonSeparator the escapes of U+2028 and
// U+2029, as words for store8.
var (
	jsonEscape    = [0x60]byte{'"': '"', '\\': '\\', '\n': 'n', '\r': 'r', '\t': 't'}
	jsonSeparator = [2]uint64{
		binary.LittleEndian.Uint64([]byte(`\u2028` + "\x00\x00")),
		binary.LittleEndian.Uint64([]byte(`\u2029` + "\x00\x00")),
	}
)

// elem writes <name>text</name>, or nothing when text is empty.
func (w *writer) elem(name, text string) {
	if text == "" {
		return
	}
	w.char('<')
	w.str(name)
	w.char('>')
	w.text(text)
	w.str("</")
	w.str(name)
	w.char('>')
}

// attrs writes ` key="value"` pairs, skipping empty values.
func (w *writer) attrs(kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		w.char(' ')
		w.str(kv[i])
		w.str(`="`)
		w.attr(kv[i+1])
		w.char('"')
	}
}

// link writes an empty Atom link element (tag is "link" in Atom,
// "atom:link" in RSS) with its relation, media type and target, leaving
// out those that are empty.
func (w *writer) link(tag, rel, typ, href string) {
	w.char('<')
	w.str(tag)
	w.attrs("rel", rel, "type", typ, "href", href)
	w.str("/>")
}

// rfc822 writes t as RSS dates are written.
func (w *writer) rfc822(t time.Time) { w.buf = appendRFC822(w.buf, t) }

// rfc3339 writes t as Atom and JSON Feed dates are written.
func (w *writer) rfc3339(t time.Time) { w.buf = appendRFC3339(w.buf, t) }

func (w *writer) int(n int64) {
	w.bytes(strconv.AppendInt(w.scratch[:0], n, 10))
}

const hexDigits = "0123456789abcdef"

// jsonString writes s as a JSON string: HTML left as is (no \u003c), the
// characters XML 1.0 forbids dropped as in every format, invalid UTF-8
// replaced, U+2028 and U+2029 escaped for JavaScript's sake.
func (w *writer) jsonString(s string) {
	w.buf = append(w.buf, '"')
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			w.buf = append(w.buf, s[last:i]...)
			switch c {
			case '"':
				w.buf = append(w.buf, `\"`...)
			case '\\':
				w.buf = append(w.buf, `\\`...)
			case '\n':
				w.buf = append(w.buf, `\n`...)
			case '\r':
				w.buf = append(w.buf, `\r`...)
			case '\t':
				w.buf = append(w.buf, `\t`...)
			}
			i++
			last = i
			continue
		}
		if n := plainRune(s, i); n > 0 {
			i += n
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			w.buf = append(w.buf, s[last:i]...)
			w.buf = append(w.buf, "\uFFFD"...)
			last = i + size
		case r == 0xFFFE || r == 0xFFFF:
			w.buf = append(w.buf, s[last:i]...)
			last = i + size
		case r == '\u2028' || r == '\u2029':
			w.buf = append(w.buf, s[last:i]...)
			w.buf = append(w.buf, `\u202`...)
			w.buf = append(w.buf, hexDigits[r&0xF])
			last = i + size
		}
		i += size
	}
	w.buf = append(w.buf, s[last:]...)
	w.str(`"`)
}

// jsonField writes ,"name":"value" after an earlier member, and nothing
// when value is empty.
func (w *writer) jsonField(name, value string) {
	if value == "" {
		return
	}
	w.str(`,"`)
	w.str(name)
	w.str(`":`)
	w.jsonString(value)
}
