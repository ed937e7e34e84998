package feed

import (
	"bufio"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// writer streams one document. Write errors are sticky in the bufio.Writer
// and reported once by flush, so the renderers read as plain sequences.
type writer struct {
	*bufio.Writer
	scratch [64]byte
}

func newWriter(w io.Writer) *writer {
	return &writer{Writer: bufio.NewWriterSize(w, 32<<10)}
}

func (w *writer) flush() error { return w.Flush() }

// xmlClass says what each ASCII byte needs in XML text (1) and attributes (2).
var xmlClass = func() (t [utf8.RuneSelf]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = 3 // dropped, or escaped when white space
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

func (w *writer) escapeXML(s string, mask uint8) {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if xmlClass[c]&mask == 0 {
				i++
				continue
			}
			w.WriteString(s[last:i])
			switch c {
			case '&':
				w.WriteString("&amp;")
			case '<':
				w.WriteString("&lt;")
			case '>':
				w.WriteString("&gt;")
			case '"':
				w.WriteString("&quot;")
			case '\r':
				w.WriteString("&#xD;")
			case '\n':
				if mask == 2 {
					w.WriteString("&#xA;")
				} else {
					w.WriteByte('\n')
				}
			case '\t':
				if mask == 2 {
					w.WriteString("&#x9;")
				} else {
					w.WriteByte('\t')
				}
			}
			i++
			last = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == 0xFFFE || r == 0xFFFF {
			w.WriteString(s[last:i])
			if r == utf8.RuneError {
				w.WriteString("\uFFFD")
			}
			last = i + size
		}
		i += size
	}
	w.WriteString(s[last:])
}

// elem writes <name>text</name>, or nothing when text is empty.
func (w *writer) elem(name, text string) {
	if text == "" {
		return
	}
	w.WriteByte('<')
	w.WriteString(name)
	w.WriteByte('>')
	w.text(text)
	w.WriteString("</")
	w.WriteString(name)
	w.WriteByte('>')
}

// attrs writes ` key="value"` pairs, skipping empty values.
func (w *writer) attrs(kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		w.WriteByte(' ')
		w.WriteString(kv[i])
		w.WriteString(`="`)
		w.attr(kv[i+1])
		w.WriteByte('"')
	}
}

func (w *writer) time(t time.Time, layout string) {
	w.Write(t.AppendFormat(w.scratch[:0], layout))
}

func (w *writer) int(n int64) {
	w.Write(strconv.AppendInt(w.scratch[:0], n, 10))
}

const hexDigits = "0123456789abcdef"

// jsonString writes s as a JSON string: HTML left as is (no \u003c), the
// characters XML 1.0 forbids dropped as in every format, invalid UTF-8
// replaced, U+2028 and U+2029 escaped for JavaScript's sake.
func (w *writer) jsonString(s string) {
	w.WriteByte('"')
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			w.WriteString(s[last:i])
			switch c {
			case '"':
				w.WriteString(`\"`)
			case '\\':
				w.WriteString(`\\`)
			case '\n':
				w.WriteString(`\n`)
			case '\r':
				w.WriteString(`\r`)
			case '\t':
				w.WriteString(`\t`)
			}
			i++
			last = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			w.WriteString(s[last:i])
			w.WriteString("\uFFFD")
			last = i + size
		case r == 0xFFFE || r == 0xFFFF:
			w.WriteString(s[last:i])
			last = i + size
		case r == '\u2028' || r == '\u2029':
			w.WriteString(s[last:i])
			w.WriteString(`\u202`)
			w.WriteByte(hexDigits[r&0xF])
			last = i + size
		}
		i += size
	}
	w.WriteString(s[last:])
	w.WriteByte('"')
}

// jsonField writes ,"name":"value" after an earlier member, and nothing
// when value is empty.
func (w *writer) jsonField(name, value string) {
	if value == "" {
		return
	}
	w.WriteString(`,"`)
	w.WriteString(name)
	w.WriteString(`":`)
	w.jsonString(value)
}
