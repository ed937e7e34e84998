package content

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"golang.org/x/text/language"
)

// ErrInvalid is wrapped by every error that rejects a document.
var ErrInvalid = errors.New("invalid article")

// Problem is one reason a document was rejected. Field is a JSON path such as
// "published" or "authors[1].email"; it is empty when the document as a whole
// is at fault.
type Problem struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// InvalidError rejects one document and says every problem found in it.
type InvalidError struct {
	Key      string
	Problems []Problem
}

func (e *InvalidError) Error() string {
	var b strings.Builder
	b.WriteString(e.Key)
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		if p.Field != "" {
			b.WriteString(p.Field)
			b.WriteString(": ")
		}
		b.WriteString(p.Reason)
	}
	return b.String()
}

func (e *InvalidError) Unwrap() error { return ErrInvalid }

const (
	maxIDLength      = 200
	maxListEntries   = 256 // authors, categories, tags, enclosures: each a feed or an element per item
	maxLabelLength   = 200 // characters in a category, tag or author name
	titleCut         = 100 // characters in a title derived from the summary
	summaryCut       = 300 // characters in a summary derived from the content
	maxDocumentBytes = 8 << 20
)

var (
	idPattern       = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	languagePattern = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$`)
	utf8BOM         = []byte("\xef\xbb\xbf")
)

// Parse reads one article document. key names it in errors; naive local
// times are read in loc (UTC when nil). A rejected document yields an
// *InvalidError listing every problem found.
func Parse(key string, data []byte, loc *time.Location) (*Article, error) {
	if loc == nil {
		loc = time.UTC
	}
	d := decoder{key: key, loc: loc}
	a := d.parse(data)
	if len(d.problems) > 0 {
		return nil, &InvalidError{Key: key, Problems: d.problems}
	}
	return a, nil
}

type decoder struct {
	key      string
	loc      *time.Location
	fields   map[string]json.RawMessage
	problems []Problem
}

func (d *decoder) fail(field, format string, args ...any) {
	d.problems = append(d.problems, Problem{Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (d *decoder) parse(data []byte) *Article {
	if len(data) > maxDocumentBytes {
		d.fail("", "document is larger than %d bytes", maxDocumentBytes)
		return nil
	}
	if !utf8.Valid(data) {
		d.fail("", "document is not valid UTF-8 (at byte %d)", invalidUTF8Offset(data))
		return nil
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if err := json.Unmarshal(data, &d.fields); err != nil {
		var syn *json.SyntaxError
		switch {
		case errors.As(err, &syn):
			line, col := position(data, syn.Offset)
			d.fail("", "not valid JSON: %s (line %d, column %d)", syn.Error(), line, col)
		case d.fields == nil:
			d.fail("", "document is not a JSON object")
		default:
			d.fail("", "not valid JSON: %v", err)
		}
		return nil
	}
	if d.fields == nil { // the literal null
		d.fail("", "document is not a JSON object")
		return nil
	}

	a := &Article{Key: d.key}
	a.ID = d.id()
	a.URL = d.url("url", d.fields["url"], true)
	title := line(d.str("title", d.fields["title"]))
	a.Summary = strings.TrimSpace(Clean(d.str("summary", d.fields["summary"])))
	summarized := a.Summary != "" // the document has a summary of its own
	a.ContentHTML = Clean(d.str("content_html", d.fields["content_html"]))
	a.Authors = d.authors()
	a.Categories = d.labels("categories")
	a.Tags = d.labels("tags")
	a.Language = d.language()
	a.Published = d.time("published", true)
	a.Updated = d.time("updated", false)
	a.Image = d.image()
	a.Enclosures = d.enclosures()
	a.Source = d.source()
	a.Rights = line(d.str("rights", d.fields["rights"]))
	a.Status = d.status()

	if a.Updated.IsZero() || a.Updated.Before(a.Published) {
		a.Updated = a.Published
	}
	if a.Summary != "" {
		a.SummaryText = Text(a.Summary)
	} else if a.ContentHTML != "" {
		a.SummaryText = Cut(Text(a.ContentHTML), summaryCut)
		a.Summary = escapeHTML(a.SummaryText)
	}
	// The format requires a title or a summary: a title is derived from the
	// document's own summary, never from a summary derived from the content.
	switch raw := d.fields["title"]; {
	case title != "":
		a.Title = title
	case summarized:
		if a.Title = Cut(a.SummaryText, titleCut); a.Title == "" {
			d.fail("title", "is missing, and the summary has no text to derive one from")
		}
	case absent(raw):
		d.fail("title", "one of title or summary is required")
	case kind(raw) == "a string":
		d.fail("title", "is blank, and there is no summary to derive one from")
	}
	a.cleaned = [...]string{a.Title, a.Summary, a.SummaryText, a.ContentHTML}
	return a
}

// kind names the JSON kind of a raw value for error messages.
func kind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

func absent(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// str decodes an optional string; a value of another kind is a problem.
func (d *decoder) str(field string, raw json.RawMessage) string {
	if absent(raw) {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		d.fail(field, "must be a string, got %s", kind(raw))
		return ""
	}
	return s
}

func (d *decoder) object(field string, raw json.RawMessage) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		d.fail(field, "must be an object, got %s", kind(raw))
		return nil
	}
	return m
}

func (d *decoder) list(field string, raw json.RawMessage) []json.RawMessage {
	var l []json.RawMessage
	if err := json.Unmarshal(raw, &l); err != nil {
		d.fail(field, "must be a list, got %s", kind(raw))
		return nil
	}
	if len(l) > maxListEntries {
		d.fail(field, "has %d entries, more than the %d an article may have", len(l), maxListEntries)
		return nil
	}
	return l
}

func (d *decoder) count(field string, raw json.RawMessage) int64 {
	if absent(raw) {
		return 0
	}
	var n json.Number // also reads a quoted number, which the format does not allow
	if err := json.Unmarshal(raw, &n); err != nil || kind(raw) != "a number" {
		d.fail(field, "must be a number, got %s", kind(raw))
		return 0
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(n.String(), 64)
		if ferr != nil || f != float64(int64(f)) {
			d.fail(field, "must be a whole number, got %s", n)
			return 0
		}
		i = int64(f)
	}
	if i < 0 {
		d.fail(field, "must not be negative, got %d", i)
		return 0
	}
	return i
}

func (d *decoder) id() string {
	raw, ok := d.fields["id"]
	if !ok || absent(raw) {
		d.fail("id", "is required")
		return ""
	}
	id := d.str("id", raw)
	switch {
	case id == "" && kind(raw) == "a string":
		d.fail("id", "is empty")
	case utf8.RuneCountInString(id) > maxIDLength:
		d.fail("id", "is longer than %d characters", maxIDLength)
	case id != "" && !idPattern.MatchString(id):
		d.fail("id", "may hold only A-Z a-z 0-9 . _ -, got %q", id)
	}
	return id
}

// url checks an absolute http or https URL.
func (d *decoder) url(field string, raw json.RawMessage, required bool) string {
	if absent(raw) {
		if required {
			d.fail(field, "is required")
		}
		return ""
	}
	s := strings.TrimSpace(Clean(d.str(field, raw)))
	if s == "" {
		if required && kind(raw) == "a string" {
			d.fail(field, "is empty")
		}
		return ""
	}
	uri, err := checkURL(s)
	if err != nil {
		d.fail(field, "%v", err)
		return ""
	}
	return uri
}

// checkURL accepts an absolute http or https URL or IRI and returns it as a
// URI, as RSS requires: an internationalised host in punycode, every other
// character a URI cannot hold (non-ASCII, spaces, quotes, angle brackets)
// percent-encoded as UTF-8. A URL that is already a URI is returned as is.
func checkURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("is not a URL: %q", s)
	}
	if scheme := strings.ToLower(u.Scheme); scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("must be an absolute http or https URL, got %q", s)
	}
	if u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("has no host: %q", s)
	}
	host := u.Hostname()
	if !isASCII(host) {
		ascii, err := idna.Lookup.ToASCII(host)
		if err != nil {
			return "", fmt.Errorf("has an invalid host %q: %v", host, err)
		}
		i := strings.Index(s, host)
		s = s[:i] + ascii + s[i+len(host):]
	}
	return escapeURI(s), nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// escapeURI percent-encodes the bytes RFC 3986 does not allow in a URI,
// leaving reserved characters and existing escapes alone.
func escapeURI(s string) string {
	const allowed = "-._~:/?#[]@!$&'()*+,;=%"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(allowed, c) >= 0) {
			if b.Len() > 0 {
				b.WriteByte(c)
			}
			continue
		}
		if b.Len() == 0 {
			b.WriteString(s[:i])
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	if b.Len() == 0 {
		return s
	}
	return b.String()
}

func (d *decoder) authors() []Author {
	raw := d.fields["authors"]
	if absent(raw) {
		return nil
	}
	var out []Author
	for i, item := range d.list("authors", raw) {
		field := fmt.Sprintf("authors[%d]", i)
		if absent(item) {
			continue
		}
		m := d.object(field, item)
		if m == nil {
			continue
		}
		a := Author{
			Name:  line(d.str(field+".name", m["name"])),
			Email: strings.TrimSpace(Clean(d.str(field+".email", m["email"]))),
			URL:   d.url(field+".url", m["url"], false),
		}
		if n := utf8.RuneCountInString(a.Name); n > maxLabelLength {
			d.fail(field+".name", "is %d characters long, more than %d", n, maxLabelLength)
			continue
		}
		if a.Email != "" && !plausibleEmail(a.Email) {
			d.fail(field+".email", "is not an email address: %q", a.Email)
			a.Email = ""
		}
		if a.Name == "" {
			a.Name = a.Email
		}
		if a.Name == "" {
			continue // neither name nor email: dropped, as the format says
		}
		if !containsAuthor(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func containsAuthor(list []Author, a Author) bool {
	for _, b := range list {
		if b == a {
			return true
		}
	}
	return false
}

func plausibleEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && at < len(s)-1 && strings.Count(s, "@") == 1 &&
		!strings.ContainsAny(s, " \t\r\n<>()[],;:\"")
}

// labels reads a list of category or tag strings: cleaned, blank ones
// dropped, duplicates removed, order kept.
func (d *decoder) labels(field string) []string {
	raw := d.fields[field]
	if absent(raw) {
		return nil
	}
	var out []string
	for i, item := range d.list(field, raw) {
		s := line(d.str(fmt.Sprintf("%s[%d]", field, i), item))
		if n := utf8.RuneCountInString(s); n > maxLabelLength {
			d.fail(fmt.Sprintf("%s[%d]", field, i), "is %d characters long, more than %d", n, maxLabelLength)
			continue
		}
		if s != "" && !containsString(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, t := range list {
		if t == s {
			return true
		}
	}
	return false
}

func (d *decoder) language() string {
	s := strings.TrimSpace(d.str("language", d.fields["language"]))
	if s == "" {
		return ""
	}
	// The pattern keeps out what language.Parse would repair ("en_US"); Parse
	// keeps out well-formed tags with unregistered subtags ("english").
	if _, err := language.Parse(s); err != nil || !languagePattern.MatchString(s) {
		d.fail("language", "is not a BCP 47 language tag: %q", s)
		return ""
	}
	return s
}

func (d *decoder) time(field string, required bool) time.Time {
	raw := d.fields[field]
	if absent(raw) {
		if required {
			d.fail(field, "is required")
		}
		return time.Time{}
	}
	s := d.str(field, raw)
	if s == "" {
		if kind(raw) == "a string" {
			d.fail(field, "is empty")
		}
		return time.Time{}
	}
	t, err := ParseTime(s, d.loc)
	if err != nil {
		d.fail(field, "%v", err)
	}
	return t
}

func (d *decoder) image() *Image {
	raw := d.fields["image"]
	if absent(raw) {
		return nil
	}
	m := d.object("image", raw)
	if m == nil {
		return nil
	}
	img := &Image{
		URL:    d.url("image.url", m["url"], true),
		Type:   mediaType(d.str("image.type", m["type"])),
		Length: d.count("image.length", m["length"]),
		Alt:    line(d.str("image.alt", m["alt"])),
	}
	if img.URL == "" {
		return nil
	}
	return img
}

func (d *decoder) enclosures() []Enclosure {
	raw := d.fields["enclosures"]
	if absent(raw) {
		return nil
	}
	var out []Enclosure
	for i, item := range d.list("enclosures", raw) {
		field := fmt.Sprintf("enclosures[%d]", i)
		if absent(item) {
			continue
		}
		m := d.object(field, item)
		if m == nil {
			continue
		}
		e := Enclosure{
			URL:      d.url(field+".url", m["url"], true),
			Type:     mediaType(d.str(field+".type", m["type"])),
			Length:   d.count(field+".length", m["length"]),
			Duration: d.count(field+".duration", m["duration"]),
		}
		if e.Type == "" {
			switch raw := m["type"]; {
			case absent(raw) || kind(raw) == "a string" && strings.TrimSpace(Clean(d.str(field+".type", raw))) == "":
				d.fail(field+".type", "is required (a media type such as audio/mpeg)")
			case kind(raw) == "a string":
				d.fail(field+".type", "is not a media type such as audio/mpeg: %q", d.str(field+".type", raw))
			} // another kind was reported by str
		}
		if e.URL != "" && e.Type != "" {
			out = append(out, e)
		}
	}
	return out
}

// mediaType trims a media type and drops one that cannot be one
// (no slash, or spaces inside).
func mediaType(s string) string {
	s = strings.TrimSpace(Clean(s))
	if !strings.Contains(s, "/") || strings.ContainsAny(s, " \t\r\n\"<>") {
		return ""
	}
	return s
}

func (d *decoder) source() *Source {
	raw := d.fields["source"]
	if absent(raw) {
		return nil
	}
	m := d.object("source", raw)
	if m == nil {
		return nil
	}
	s := &Source{
		Name: line(d.str("source.name", m["name"])),
		URL:  d.url("source.url", m["url"], false),
	}
	if s.Name == "" {
		d.fail("source.name", "is required when source is given")
		return nil
	}
	return s
}

func (d *decoder) status() Status {
	s := d.str("status", d.fields["status"])
	switch Status(strings.TrimSpace(s)) {
	case "", StatusPublished:
		return StatusPublished
	case StatusDraft:
		return StatusDraft
	case StatusDeleted:
		return StatusDeleted
	}
	if kind(d.fields["status"]) == "a string" {
		d.fail("status", "must be published, draft or deleted, got %q", s)
	}
	return StatusDraft // never publish what we could not read
}

// ParseTime reads an RFC 3339 time, or a naive local time
// "YYYY-MM-DD HH:MM:SS" / "YYYY-MM-DDTHH:MM:SS" in loc. The result is cut to
// whole seconds.
//
// A local time that a daylight-saving change skips is read with the offset
// in effect before the change (02:30 on the night clocks go from 02:00 to
// 03:00 is 03:30 of the new offset); one that occurs twice is the earlier
// instant. java.time, RFC 5545 and JavaScript's Temporal resolve them so;
// time.Date does not promise any choice.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	v := strings.TrimSpace(s)
	if len(v) >= 11 && (v[10] == ' ' || v[10] == 't') {
		v = v[:10] + "T" + v[11:]
	}
	if n := len(v); n > 0 && v[n-1] == 'z' {
		v = v[:n-1] + "Z"
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.Truncate(time.Second), nil
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", v); err == nil {
		return local(t.Truncate(time.Second), loc), nil
	}
	return time.Time{}, fmt.Errorf("is not an RFC 3339 time or a local time YYYY-MM-DD HH:MM:SS: %q", s)
}

// local reads the wall-clock time of w (given in UTC) in loc, resolving
// skipped and repeated times as ParseTime says.
func local(w time.Time, loc *time.Location) time.Time {
	// The offsets a day either side: a zone changes its offset at most once
	// in such a span, so the instant is w minus one of them.
	_, before := w.Add(-24 * time.Hour).In(loc).Zone()
	_, after := w.Add(24 * time.Hour).In(loc).Zone()
	early := w.Add(-time.Duration(before) * time.Second)
	late := w.Add(-time.Duration(after) * time.Second)
	if late.Before(early) {
		early, late = late, early
	}
	for _, t := range []time.Time{early, late} {
		if t = t.In(loc); sameClock(t, w) {
			return t
		}
	}
	if before == after { // more than one change in two days: let time.Date choose
		return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, loc)
	}
	return w.Add(-time.Duration(before) * time.Second).In(loc) // skipped: the offset before
}

func sameClock(t, w time.Time) bool {
	ty, tm, td := t.Date()
	wy, wm, wd := w.Date()
	th, tmin, ts := t.Clock()
	wh, wmin, ws := w.Clock()
	return ty == wy && tm == wm && td == wd && th == wh && tmin == wmin && ts == ws
}

func invalidUTF8Offset(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(data)
}

func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
	return line, col
}
