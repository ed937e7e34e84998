package content

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The document is read in one pass: scanObject checks the JSON syntax and
// splits an object into its members, their values left as JSON text that
// later steps decode without checking it again (json.Unmarshal checks every
// value it is given from the start, so decoding a document into raw values
// and each value in turn read the document three times).
//
// The scanner accepts exactly what encoding/json accepts, and its values
// are those json.Unmarshal gives for map[string]json.RawMessage,
// []json.RawMessage and string. Whatever it does not take on (a syntax error,
// nesting deeper than maxScanDepth, which json.Unmarshal may still accept)
// goes to json.Unmarshal, so that errors read as they always have.

// member is one member of a JSON object: its key decoded, its value as JSON
// text (a slice of the document).
type member struct {
	key []byte
	val json.RawMessage
}

// object is the members of a JSON object in document order.
type object []member

// get returns the value of key, nil when there is none. Of repeated keys the
// last one counts, as in json.Unmarshal.
func (o object) get(key string) json.RawMessage {
	for i := len(o) - 1; i >= 0; i-- {
		if string(o[i].key) == key {
			return o[i].val
		}
	}
	return nil
}

// objectOf turns what json.Unmarshal decoded into an object.
func objectOf(m map[string]json.RawMessage) object {
	o := make(object, 0, len(m))
	for k, v := range m {
		o = append(o, member{key: []byte(k), val: v})
	}
	return o
}

// maxScanDepth is how deeply the scanner follows nested lists and objects;
// a deeper document is left to encoding/json (which allows 10,000).
const maxScanDepth = 200

// scanObject reads data, a whole JSON text, as an object. ok is false when
// data is not one the scanner takes on: not an object, not valid JSON, or
// nested too deeply.
func scanObject(data []byte, into object) (o object, ok bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil, false
	}
	o, end, ok := scanMembers(data, i, into)
	if !ok || skipSpace(data, end) != len(data) {
		return nil, false
	}
	if o == nil {
		o = object{}
	}
	return o, true
}

// scanMembers reads the object starting at data[i] ('{') and returns its
// members appended to into, and the offset after it.
func scanMembers(data []byte, i int, into object) (o object, end int, ok bool) {
	o = into
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return o, i + 1, true
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return nil, 0, false
		}
		kend, escaped, ok := scanString(data, i)
		if !ok {
			return nil, 0, false
		}
		key := data[i+1 : kend-1]
		if escaped {
			s, _, ok := unquote(data[i:kend])
			if !ok {
				return nil, 0, false
			}
			key = []byte(s)
		}
		i = skipSpace(data, kend)
		if i >= len(data) || data[i] != ':' {
			return nil, 0, false
		}
		i = skipSpace(data, i+1)
		vend, ok := scanValue(data, i, 1)
		if !ok {
			return nil, 0, false
		}
		o = append(o, member{key: key, val: data[i:vend:vend]})
		i = skipSpace(data, vend)
		if i >= len(data) {
			return nil, 0, false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return o, i + 1, true
		default:
			return nil, 0, false
		}
	}
}

// scanElements reads the list starting at data[i] ('[') and returns its
// elements, and the offset after it.
func scanElements(data []byte, i int) (l []json.RawMessage, end int, ok bool) {
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return []json.RawMessage{}, i + 1, true
	}
	l = make([]json.RawMessage, 0, 8)
	for {
		vend, ok := scanValue(data, i, 1)
		if !ok {
			return nil, 0, false
		}
		l = append(l, data[i:vend:vend])
		i = skipSpace(data, vend)
		if i >= len(data) {
			return nil, 0, false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case ']':
			return l, i + 1, true
		default:
			return nil, 0, false
		}
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanValue checks the JSON value starting at data[i] and returns the
// offset after it.
func scanValue(data []byte, i, depth int) (end int, ok bool) {
	if i >= len(data) {
		return 0, false
	}
	switch c := data[i]; c {
	case '"':
		end, _, ok = scanString(data, i)
		return end, ok
	case '{', '[':
		if depth >= maxScanDepth {
			return 0, false
		}
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		i = skipSpace(data, i+1)
		if i < len(data) && data[i] == closing {
			return i + 1, true
		}
		for {
			if c == '{' {
				if i >= len(data) || data[i] != '"' {
					return 0, false
				}
				if i, _, ok = scanString(data, i); !ok {
					return 0, false
				}
				if i = skipSpace(data, i); i >= len(data) || data[i] != ':' {
					return 0, false
				}
				i = skipSpace(data, i+1)
			}
			if i, ok = scanValue(data, i, depth+1); !ok {
				return 0, false
			}
			if i = skipSpace(data, i); i >= len(data) {
				return 0, false
			}
			switch data[i] {
			case ',':
				i = skipSpace(data, i+1)
			case closing:
				return i + 1, true
			default:
				return 0, false
			}
		}
	case 't':
		return literal(data, i, "true")
	case 'f':
		return literal(data, i, "false")
	case 'n':
		return literal(data, i, "null")
	default:
		return scanNumber(data, i)
	}
}

func literal(data []byte, i int, word string) (int, bool) {
	if len(data)-i < len(word) || string(data[i:i+len(word)]) != word {
		return 0, false
	}
	return i + len(word), true
}

// scanNumber checks a number as RFC 8259 writes it:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(data []byte, i int) (int, bool) {
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && '1' <= data[i] && data[i] <= '9':
		i = digits(data, i+1)
	default:
		return 0, false
	}
	if i < len(data) && data[i] == '.' {
		j := digits(data, i+1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(data, i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

func digits(data []byte, i int) int {
	for i < len(data) && '0' <= data[i] && data[i] <= '9' {
		i++
	}
	return i
}

// inString is true for the bytes a JSON string holds as they are: all but
// control characters, '"' and '\\'. The document is valid UTF-8 before it is
// scanned, so bytes of other characters need no look.
var inString = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= 0x20 && c != '"' && c != '\\'
	}
	return t
}()

// scanString checks the string starting at data[i] ('"') and returns the
// offset after its closing quote, and whether it has escapes.
func scanString(data []byte, i int) (end int, escaped, ok bool) {
	i++
	for {
		// Eight bytes at a time while none is a quote, a backslash or a
		// control character.
		for i+8 <= len(data) {
			if stringSpecial(binary.LittleEndian.Uint64(data[i:])) {
				break
			}
			i += 8
		}
		for i < len(data) && inString[data[i]] {
			i++
		}
		if i >= len(data) {
			return 0, false, false
		}
		switch data[i] {
		case '"':
			return i + 1, escaped, true
		case '\\':
			escaped = true
			if i+1 >= len(data) {
				return 0, false, false
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(data) {
					return 0, false, false
				}
				for _, c := range data[i+2 : i+6] {
					if !isHex(c) {
						return 0, false, false
					}
				}
				i += 6
			default:
				return 0, false, false
			}
		default: // a control character
			return 0, false, false
		}
	}
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// stringSpecial reports whether one of the eight bytes of x is a control
// character, a quote or a backslash. (x - n*ones) &^ x has the high bit of
// some byte set exactly when some byte of x is below n (for n <= 0x80);
// a byte equal to c is a zero byte of x ^ c*ones.
func stringSpecial(x uint64) bool {
	q := x ^ '"'*ones
	b := x ^ '\\'*ones
	return ((x-0x20*ones)&^x|(q-ones)&^q|(b-ones)&^b)&highs != 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unquote decodes a JSON string (raw holds its quotes) as json.Unmarshal
// does: escapes decoded, a lone or reversed surrogate escape read as U+FFFD.
// raw must be valid JSON in valid UTF-8, as the scanner or json.Unmarshal
// left it; ok is false for a malformed escape. controls reports whether an
// escape stands for a control character Clean drops (the text of a string
// holds none, as JSON forbids them).
func unquote(raw []byte) (s string, controls, ok bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false, false
	}
	in := raw[1 : len(raw)-1]
	esc := bytes.IndexByte(in, '\\')
	if esc < 0 {
		return string(in), false, true
	}
	var b strings.Builder
	b.Grow(len(in))
	for len(in) > 0 {
		if esc < 0 {
			esc = len(in)
		}
		b.Write(in[:esc])
		in = in[esc:]
		if len(in) == 0 {
			break
		}
		// in[0] is a backslash.
		if len(in) < 2 {
			return "", false, false
		}
		switch c := in[1]; c {
		case '"', '\\', '/':
			b.WriteByte(c)
			in = in[2:]
		case 'b':
			b.WriteByte('\b')
			in = in[2:]
			controls = true
		case 'f':
			b.WriteByte('\f')
			in = in[2:]
			controls = true
		case 'n':
			b.WriteByte('\n')
			in = in[2:]
		case 'r':
			b.WriteByte('\r')
			in = in[2:]
		case 't':
			b.WriteByte('\t')
			in = in[2:]
		case 'u':
			r := getu4(in)
			if r < 0 {
				return "", false, false
			}
			if r < ' ' && r != '\t' && r != '\n' && r != '\r' {
				controls = true
			}
			in = in[6:]
			if utf16.IsSurrogate(r) {
				if dec := utf16.DecodeRune(r, getu4(in)); dec != utf8.RuneError {
					r = dec // a valid pair: both escapes read
					in = in[6:]
				} else {
					r = utf8.RuneError // the next escape, if any, is read on its own
				}
			}
			b.WriteRune(r)
		default:
			return "", false, false
		}
		esc = bytes.IndexByte(in, '\\')
	}
	return b.String(), controls, true
}

// getu4 decodes \uXXXX at the start of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
