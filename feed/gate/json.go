package gate

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"
)

// errJSON is wrapped by every error for a JSON text that is not valid.
var errJSON = errors.New("not valid JSON")

// jsonScanner checks a JSON text (RFC 8259) in one pass, and records of
// the top-level object which members it has and whether they are strings:
// what an item check needs, without decoding the item. It is held to
// encoding/json by a fuzzer: whatever it accepts, json.Valid accepts.
type jsonScanner struct {
	b   []byte
	pos int
	// Of the top-level object's members: the raw text of the id (nil
	// when there is none, or it is not a string), and whether content_html
	// or content_text is a string.
	id      []byte
	content bool
}

const maxJSONDepth = 10000 // as encoding/json

func (s *jsonScanner) fail(what string) error {
	return fmt.Errorf("%w: %s at byte %d", errJSON, what, s.pos)
}

func (s *jsonScanner) space() {
	for s.pos < len(s.b) {
		switch s.b[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// scanJSON checks b whole as one JSON value.
func scanJSON(b []byte) (*jsonScanner, error) {
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("%w: not valid UTF-8", errJSON)
	}
	s := &jsonScanner{b: b}
	s.space()
	if err := s.value(0); err != nil {
		return nil, err
	}
	s.space()
	if s.pos != len(b) {
		return nil, s.fail("text after the value")
	}
	return s, nil
}

func (s *jsonScanner) value(depth int) error {
	if depth > maxJSONDepth {
		return s.fail("nested too deeply")
	}
	if s.pos >= len(s.b) {
		return s.fail("a value missing")
	}
	switch c := s.b[s.pos]; {
	case c == '{':
		return s.object(depth)
	case c == '[':
		return s.array(depth)
	case c == '"':
		_, err := s.str()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return s.fail("not a value")
}

func (s *jsonScanner) literal(word string) error {
	if !bytes.HasPrefix(s.b[s.pos:], []byte(word)) {
		return s.fail("not a value")
	}
	s.pos += len(word)
	return nil
}

func (s *jsonScanner) object(depth int) error {
	s.pos++ // {
	s.space()
	if s.pos < len(s.b) && s.b[s.pos] == '}' {
		s.pos++
		return nil
	}
	for {
		s.space()
		if s.pos >= len(s.b) || s.b[s.pos] != '"' {
			return s.fail("an object member without a name")
		}
		name, err := s.str()
		if err != nil {
			return err
		}
		s.space()
		if s.pos >= len(s.b) || s.b[s.pos] != ':' {
			return s.fail(`a member name not followed by ":"`)
		}
		s.pos++
		s.space()
		start := s.pos
		if err := s.value(depth + 1); err != nil {
			return err
		}
		if depth == 0 && s.b[start] == '"' {
			switch string(name) {
			case "id":
				s.id = s.b[start+1 : s.pos-1]
			case "content_html", "content_text":
				s.content = true
			}
		}
		s.space()
		if s.pos >= len(s.b) {
			return s.fail("an object not closed")
		}
		switch s.b[s.pos] {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.fail(`members not separated by ","`)
		}
	}
}

func (s *jsonScanner) array(depth int) error {
	s.pos++ // [
	s.space()
	if s.pos < len(s.b) && s.b[s.pos] == ']' {
		s.pos++
		return nil
	}
	for {
		s.space()
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.space()
		if s.pos >= len(s.b) {
			return s.fail("a list not closed")
		}
		switch s.b[s.pos] {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.fail(`entries not separated by ","`)
		}
	}
}

// str reads a string and returns its raw text, without the quotes.
func (s *jsonScanner) str() ([]byte, error) {
	s.pos++ // "
	start := s.pos
	for s.pos < len(s.b) {
		c := s.b[s.pos]
		switch {
		case c == '"':
			s.pos++
			return s.b[start : s.pos-1], nil
		case c == '\\':
			if s.pos+1 >= len(s.b) {
				return nil, s.fail("a string not closed")
			}
			switch s.b[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if s.pos+6 > len(s.b) || !isHex4(s.b[s.pos+2:s.pos+6]) {
					return nil, s.fail(`a \u escape without four hex digits`)
				}
				s.pos += 6
			default:
				return nil, s.fail("an unknown escape")
			}
		case c < 0x20:
			return nil, s.fail("a control character in a string")
		default:
			s.pos++
		}
	}
	return nil, s.fail("a string not closed")
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// number reads -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func (s *jsonScanner) number() error {
	b := s.b
	if b[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(b) && b[s.pos] == '0':
		s.pos++
	case s.pos < len(b) && '1' <= b[s.pos] && b[s.pos] <= '9':
		for s.pos < len(b) && isDigit(b[s.pos]) {
			s.pos++
		}
	default:
		return s.fail("a number without digits")
	}
	if s.pos < len(b) && b[s.pos] == '.' {
		s.pos++
		if s.pos >= len(b) || !isDigit(b[s.pos]) {
			return s.fail("a fraction without digits")
		}
		for s.pos < len(b) && isDigit(b[s.pos]) {
			s.pos++
		}
	}
	if s.pos < len(b) && (b[s.pos] == 'e' || b[s.pos] == 'E') {
		s.pos++
		if s.pos < len(b) && (b[s.pos] == '+' || b[s.pos] == '-') {
			s.pos++
		}
		if s.pos >= len(b) || !isDigit(b[s.pos]) {
			return s.fail("an exponent without digits")
		}
		for s.pos < len(b) && isDigit(b[s.pos]) {
			s.pos++
		}
	}
	return nil
}
