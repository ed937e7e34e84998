package corpus

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// jw writes one JSON document by hand: no reflection, no intermediate
// values, escapes as the document's producer would (ASCII-only, like
// Python's json.dumps, for some), compact or indented.
type jw struct {
	b      []byte
	ascii  bool // escape every non-ASCII character as \uXXXX
	indent bool
	depth  int
	first  bool // nothing written yet in the current object or list
	n      int  // bytes of text written through esc, unescaped
}

const hexDigits = "0123456789abcdef"

// plain[ascii][c] is true for the bytes c a JSON string holds as they are:
// all but control characters, '"' and '\\', and in ASCII-only documents
// also the bytes of non-ASCII characters.
var plain = func() (t [2][256]bool) {
	for c := range 256 {
		ok := c >= 0x20 && c != '"' && c != '\\'
		t[0][c] = ok
		t[1][c] = ok && c < utf8.RuneSelf
	}
	return t
}()

// esc appends s, escaped, inside a string already opened.
func (w *jw) esc(s string) {
	w.n += len(s)
	table := &plain[0]
	if w.ascii {
		table = &plain[1]
	}
	b := w.b
	start := 0
	for i := 0; i < len(s); {
		for i < len(s) && table[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		b = append(b, s[start:i]...)
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r >= 0x10000 {
				r -= 0x10000
				b = appendU(appendU(b, 0xd800+r>>10), 0xdc00+r&0x3ff)
			} else {
				b = appendU(b, r)
			}
			i += size
			start = i
			continue
		}
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	w.b = append(b, s[start:]...)
}

// lit appends s inside a string already opened, as esc does, for s known
// to hold no byte JSON escapes (control characters, '"', '\\'): the
// vocabulary, names, ids. Only ASCII-only documents need to look at it.
func (w *jw) lit(s string) {
	if w.ascii {
		w.esc(s)
		return
	}
	w.n += len(s)
	w.b = append(w.b, s...)
}

func (w *jw) litStr(s string) {
	w.b = append(w.b, '"')
	w.lit(s)
	w.b = append(w.b, '"')
}

func appendU(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// raw appends JSON text as it is.
func (w *jw) raw(s string) { w.b = append(w.b, s...) }

func (w *jw) newline() {
	if w.indent {
		w.b = append(w.b, '\n')
		for range w.depth {
			w.b = append(w.b, ' ', ' ')
		}
	}
}

func (w *jw) open(c byte) {
	w.b = append(w.b, c)
	w.depth++
	w.first = true
}

func (w *jw) close(c byte) {
	w.depth--
	if !w.first {
		w.newline()
	}
	w.b = append(w.b, c)
	w.first = false
}

// elem starts a value in a list or object.
func (w *jw) elem() {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.newline()
	w.first = false
}

func (w *jw) key(k string) {
	w.elem()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
	if w.indent {
		w.b = append(w.b, ' ')
	}
}

func (w *jw) str(s string) {
	w.b = append(w.b, '"')
	w.esc(s)
	w.b = append(w.b, '"')
}

func (w *jw) field(k, v string) {
	w.key(k)
	w.str(v)
}

func (w *jw) intField(k string, v int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
}

func (w *jw) timeField(k string, t time.Time, layout string) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = t.AppendFormat(w.b, layout)
	w.b = append(w.b, '"')
}
