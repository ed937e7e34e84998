package content

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
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
	maxURLBytes      = 8000 // RFC 9110 asks clients to support at least this
	minYear          = 1800 // earlier times are placeholders (0001-01-01 is Go's zero time)
)

var utf8BOM = []byte("\xef\xbb\xbf")

// Parse reads one article document with the default Parser's rules: naive
// local times read in loc (UTC when nil), HTML sanitised by the policy
// that allows no iframe.
func Parse(key string, data []byte, loc *time.Location) (*Article, error) {
	return (&Parser{Location: loc}).Parse(key, data)
}

// Parser holds the site's rules for reading documents.
type Parser struct {
	Location  *time.Location // naive local times are read here; UTC when nil
	Sanitizer *Sanitizer     // sanitises content and summary; nil: no iframe allowed
}

// Parse reads one article document. key names it in errors. A rejected
// document yields an *InvalidError listing every problem found.
//
// A panic while parsing (a bug, never the document's fault) rejects that
// document alone, with a problem for the whole document, so that one
// document cannot stop a build.
func (p *Parser) Parse(key string, data []byte) (a *Article, err error) {
	defer func() {
		if v := recover(); v != nil {
			a, err = nil, &InvalidError{Key: key, Problems: []Problem{{
				Reason: fmt.Sprintf("internal error while parsing the document: %v", v),
			}}}
		}
	}()
	if testHookParse != nil {
		testHookParse()
	}
	d := decoder{key: key, loc: p.Location, san: p.Sanitizer}
	if d.loc == nil {
		d.loc = time.UTC
	}
	if d.san == nil {
		d.san = defaultSanitizer
	}
	a = d.parse(data)
	if len(d.problems) > 0 {
		return nil, &InvalidError{Key: key, Problems: d.problems}
	}
	return a, nil
}

// testHookParse, when a test sets it, runs at the start of every Parse:
// tests make it panic, as no document is known to make Parse panic.
var testHookParse func()

type decoder struct {
	key      string
	loc      *time.Location
	san      *Sanitizer
	fields   object
	problems []Problem
}

// path names a field in problems: name, name[index], name.member or
// name[index].member. It is spelled out only when a problem is reported.
type path struct {
	name   string
	index  int // the index + 1; 0 for none
	member string
}

// field is the path of a field of the document.
func field(name string) path { return path{name: name} }

// at is the path of entry i of the list p names.
func (p path) at(i int) path { p.index = i + 1; return p }

// dot is the path of member m of the object p names.
func (p path) dot(m string) path { p.member = m; return p }

func (p path) String() string {
	s := p.name
	if p.index > 0 {
		s += "[" + strconv.Itoa(p.index-1) + "]"
	}
	if p.member != "" {
		s += "." + p.member
	}
	return s
}

func (d *decoder) fail(field path, format string, args ...any) {
	d.problems = append(d.problems, Problem{Field: field.String(), Reason: fmt.Sprintf(format, args...)})
}

func (d *decoder) parse(data []byte) *Article {
	if len(data) > maxDocumentBytes {
		d.fail(field(""), "document is larger than %d bytes", maxDocumentBytes)
		return nil
	}
	if !utf8.Valid(data) {
		d.fail(field(""), "document is not valid UTF-8 (at byte %d)", invalidUTF8Offset(data))
		return nil
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	fields, ok := scanObject(data, make(object, 0, 16))
	if !ok { // not an object, not valid JSON, or deep: as json.Unmarshal says
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			var syn *json.SyntaxError
			switch {
			case errors.As(err, &syn):
				line, col := position(data, syn.Offset)
				d.fail(field(""), "not valid JSON: %s (line %d, column %d)", syn.Error(), line, col)
			case m == nil:
				d.fail(field(""), "document is not a JSON object")
			default:
				d.fail(field(""), "not valid JSON: %v", err)
			}
			return nil
		}
		if m == nil { // the literal null
			d.fail(field(""), "document is not a JSON object")
			return nil
		}
		fields = objectOf(m)
	}
	d.fields = fields

	a := &Article{Key: d.key}
	a.ID = d.id()
	a.URL = d.url(field("url"), d.fields.get("url"), true)
	title := line(d.str(field("title"), d.fields.get("title")))
	// Sanitised once here, so every feed and page carries the same safe
	// HTML, and before the texts are recorded as cleaned (see Cleaned).
	a.Summary = strings.TrimSpace(d.san.HTML(d.cleanStr(field("summary"), d.fields.get("summary")), a.URL))
	summarized := a.Summary != "" // the document has a summary of its own
	a.ContentHTML = d.san.HTML(d.cleanStr(field("content_html"), d.fields.get("content_html")), a.URL)
	a.Authors = d.authors()
	a.Categories = d.labels("categories")
	a.Tags = d.labels("tags")
	a.Language = d.language()
	a.Published = d.time("published", true)
	a.Updated = d.time("updated", false)
	a.Image = d.image()
	a.Enclosures = d.enclosures()
	a.Source = d.source()
	a.Rights = line(d.str(field("rights"), d.fields.get("rights")))
	a.Status = d.status()

	if a.Updated.IsZero() || a.Updated.Before(a.Published) {
		a.Updated = a.Published
	}
	if a.Summary != "" {
		a.SummaryText = Text(a.Summary)
	} else if a.ContentHTML != "" {
		// Cut looks at no more than the first summaryCut+1 characters.
		a.SummaryText = Cut(textPrefix(a.ContentHTML, summaryCut+1), summaryCut)
		a.Summary = escapeHTML(a.SummaryText)
	}
	// The format requires a title or a summary: a title is derived from the
	// document's own summary, never from a summary derived from the content.
	switch raw := d.fields.get("title"); {
	case title != "":
		a.Title = title
	case summarized:
		if a.Title = Cut(a.SummaryText, titleCut); a.Title == "" {
			d.fail(field("title"), "is missing, and the summary has no text to derive one from")
		}
	case absent(raw):
		d.fail(field("title"), "one of title or summary is required")
	case kind(raw) == "a string":
		d.fail(field("title"), "is blank, and there is no summary to derive one from")
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

// Every raw value the decoder reads is valid JSON, a member or entry of a
// document that scanObject or json.Unmarshal read whole, so its values are
// decoded without being checked again. What the scanner does not take on
// (a list or object nested too deeply; a value of the wrong kind, for the
// error) goes to json.Unmarshal, as everything did before.

// str decodes an optional string; a value of another kind is a problem.
func (d *decoder) str(field path, raw json.RawMessage) string {
	s, _ := d.strControls(field, raw)
	return s
}

// strControls is str, and whether the string may hold control characters
// Clean drops.
func (d *decoder) strControls(field path, raw json.RawMessage) (s string, controls bool) {
	if absent(raw) {
		return "", false
	}
	raw = bytes.TrimSpace(raw)
	if raw[0] != '"' {
		d.fail(field, "must be a string, got %s", kind(raw))
		return "", false
	}
	if s, controls, ok := unquote(raw); ok {
		return s, controls
	}
	s, err := unmarshalString(raw)
	if err != nil {
		d.fail(field, "must be a string, got %s", kind(raw))
		return "", false
	}
	return s, true
}

func unmarshalString(raw json.RawMessage) (string, error) {
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// cleanStr is Clean(d.str(field, raw)).
func (d *decoder) cleanStr(field path, raw json.RawMessage) string {
	s, controls := d.strControls(field, raw)
	if !controls && !hasNoncharacter(s) {
		// The string holds no control character Clean drops (the text of a
		// JSON string holds none, and no escape stood for one) and no
		// invalid UTF-8 (the document is valid): of what Clean drops it
		// could hold only U+FFFE and U+FFFF.
		return s
	}
	return Clean(s)
}

// hasNoncharacter reports whether s holds U+FFFE or U+FFFF.
func hasNoncharacter(s string) bool {
	for {
		i := strings.IndexByte(s, 0xEF)
		if i < 0 || i+2 >= len(s) {
			return false
		}
		if s[i+1] == 0xBF && (s[i+2] == 0xBE || s[i+2] == 0xBF) {
			return true
		}
		s = s[i+1:]
	}
}

func (d *decoder) object(field path, raw json.RawMessage) object {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		if o, end, ok := scanMembers(raw, 0, make(object, 0, 6)); ok && end == len(raw) {
			return o
		}
	}
	m, err := unmarshalObject(raw)
	if err != nil || m == nil {
		d.fail(field, "must be an object, got %s", kind(raw))
		return nil
	}
	return objectOf(m)
}

func unmarshalObject(raw json.RawMessage) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	err := json.Unmarshal(raw, &m)
	return m, err
}

func (d *decoder) list(field path, raw json.RawMessage) []json.RawMessage {
	raw = bytes.TrimSpace(raw)
	var l []json.RawMessage
	if len(raw) > 0 && raw[0] == '[' {
		if ll, end, ok := scanElements(raw, 0); ok && end == len(raw) {
			l = ll
		}
	}
	if l == nil {
		var err error
		if l, err = unmarshalList(raw); err != nil {
			d.fail(field, "must be a list, got %s", kind(raw))
			return nil
		}
	}
	if len(l) > maxListEntries {
		d.fail(field, "has %d entries, more than the %d an article may have", len(l), maxListEntries)
		return nil
	}
	return l
}

func unmarshalList(raw json.RawMessage) ([]json.RawMessage, error) {
	var l []json.RawMessage
	err := json.Unmarshal(raw, &l)
	return l, err
}

func (d *decoder) count(field path, raw json.RawMessage) int64 {
	if absent(raw) {
		return 0
	}
	raw = bytes.TrimSpace(raw)
	if kind(raw) != "a number" { // json.Number would read a quoted number, which the format does not allow
		d.fail(field, "must be a number, got %s", kind(raw))
		return 0
	}
	n := string(raw) // a valid JSON number, as json.Number holds it
	i, err := strconv.ParseInt(n, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(n, 64)
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
	raw := d.fields.get("id")
	if absent(raw) {
		d.fail(field("id"), "is required")
		return ""
	}
	id := d.str(field("id"), raw)
	switch {
	case id == "" && kind(raw) == "a string":
		d.fail(field("id"), "is empty")
	case utf8.RuneCountInString(id) > maxIDLength:
		d.fail(field("id"), "is longer than %d characters", maxIDLength)
	case id != "" && !validID(id):
		d.fail(field("id"), "may hold only A-Z a-z 0-9 . _ -, got %q", id)
	}
	return id
}

// validID reports whether id is one or more of A-Z a-z 0-9 . _ -.
func validID(id string) bool {
	for i := 0; i < len(id); i++ {
		if c := id[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return id != ""
}

// url checks an absolute http or https URL.
func (d *decoder) url(field path, raw json.RawMessage, required bool) string {
	if absent(raw) {
		if required {
			d.fail(field, "is required")
		}
		return ""
	}
	s := strings.TrimSpace(d.cleanStr(field, raw))
	if s == "" {
		if required && kind(raw) == "a string" {
			d.fail(field, "is empty")
		}
		return ""
	}
	if len(s) > maxURLBytes {
		d.fail(field, "is %d bytes long, more than %d (clients and caches refuse longer URLs)", len(s), maxURLBytes)
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
//
// The host and port must be ones a reader can use (see checkAuthority):
// the authority is checked as written and put back in place rebuilt, so
// nothing outside it changes.
func checkURL(s string) (string, error) {
	start, end, hasAuthority := authority(s)
	u, err := url.Parse(s)
	if err != nil {
		// Say what is wrong with the host or port when that is why.
		if hasAuthority {
			if _, aerr := checkAuthority(s[start:end]); aerr != nil {
				return "", hostError(aerr, s)
			}
		}
		return "", fmt.Errorf("is not a URL (%s): %q", urlProblem(err), s)
	}
	if scheme := strings.ToLower(u.Scheme); scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("must be an absolute http or https URL, got %q", s)
	}
	if !hasAuthority || u.Opaque != "" {
		return "", fmt.Errorf("has no host: %q", s)
	}
	auth, err := checkAuthority(s[start:end])
	if err != nil {
		return "", hostError(err, s)
	}
	if auth != s[start:end] {
		s = s[:start] + auth + s[end:]
	}
	return escapeURI(s), nil
}

// errNoHost is returned by checkAuthority for an authority without a host.
var errNoHost = errors.New("has no host")

// hostError names the URL in errNoHost, which says nothing else.
func hostError(err error, s string) error {
	if errors.Is(err, errNoHost) {
		return fmt.Errorf("%v: %q", err, s)
	}
	return err
}

// urlProblem is the reason url.Parse gives, without the URL it repeats.
func urlProblem(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// authority finds the authority of an http or https URL as written: s[start:end]
// follows "scheme://" and ends before the first "/", "?" or "#", where
// url.Parse ends it too. ok is false for other schemes and for URLs without "//".
func authority(s string) (start, end int, ok bool) {
	scheme, rest, found := strings.Cut(s, ":")
	if !found || !strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") || !strings.HasPrefix(rest, "//") {
		return 0, 0, false
	}
	start = len(scheme) + len("://")
	end = len(s)
	if i := strings.IndexAny(s[start:], "/?#"); i >= 0 {
		end = start + i
	}
	return start, end, true
}

// checkAuthority checks the authority of a URL as written (host and
// optional port) and returns it as a URI holds it: a host name in
// percent-encoded UTF-8 or in another script becomes punycode; everything
// else is returned as is.
//
// User information is refused rather than dropped: a URL that needs
// credentials is no use to readers, and a published feed would show them to
// everyone. The reason does not repeat them, as the build report is kept.
func checkAuthority(raw string) (string, error) {
	if strings.Contains(raw, "@") {
		return "", errors.New("has a user name or password before the host (user:password@host): a published feed would leak them")
	}
	host, port, err := splitHostPort(raw)
	if err != nil {
		return "", err
	}
	if err := checkPort(port); err != nil {
		return "", err
	}
	if host == "" {
		return "", errNoHost
	}
	if host[0] == '[' {
		return raw, checkIPv6(host[1 : len(host)-1])
	}
	name, err := hostName(host)
	if err != nil {
		return "", err
	}
	return name + port, nil
}

// splitHostPort splits an authority without user information into its host
// (an IP literal with its brackets) and its port with the colon, if any.
func splitHostPort(raw string) (host, port string, err error) {
	if strings.HasPrefix(raw, "[") {
		i := strings.IndexByte(raw, ']')
		if i < 0 {
			return "", "", fmt.Errorf("has an IPv6 address without its closing \"]\": %q", raw)
		}
		host, port = raw[:i+1], raw[i+1:]
		if port != "" && port[0] != ':' {
			return "", "", fmt.Errorf("has %q after the IPv6 address %s, where only :port may follow", port, host)
		}
		return host, port, nil
	}
	if i := strings.LastIndexByte(raw, ':'); i >= 0 {
		return raw[:i], raw[i:], nil
	}
	return raw, "", nil
}

// checkPort checks an optional ":port". An empty port after the colon
// stands for the scheme's default, as RFC 3986 allows. Port 0 is refused
// with those above 65535: it is reserved, no server listens on it, and no
// reader could fetch the URL.
func checkPort(port string) error {
	if len(port) <= 1 {
		return nil
	}
	digits := port[1:]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return fmt.Errorf("has a port that is not a number: %q", digits)
		}
	}
	if n := strings.TrimLeft(digits, "0"); n == "" || len(n) > 5 || n > "65535" && len(n) == 5 {
		return fmt.Errorf("has port %s, outside 1-65535", digits)
	}
	return nil
}

// checkIPv6 checks the address inside the brackets of an IP literal. A zone
// (fe80::1%25eth0) names a network interface of one machine, and neither it
// nor an IPvFuture literal ([v1.x]) is any use to a reader elsewhere.
func checkIPv6(literal string) error {
	if strings.Contains(literal, "%") {
		return fmt.Errorf("has an IPv6 zone in host [%s]: it names a network interface of one machine", literal)
	}
	if a, err := netip.ParseAddr(literal); err != nil || !a.Is6() {
		return fmt.Errorf("has an invalid IPv6 address in host [%s]", literal)
	}
	return nil
}

// hostName checks a host name or IPv4 address as written in a URL and
// returns it as a URI holds it: percent-encoded UTF-8 is decoded, and a
// name in another script becomes punycode. An ASCII name is returned as is.
func hostName(raw string) (string, error) {
	name := raw
	if strings.Contains(raw, "%") || !isASCII(raw) {
		decoded, err := url.PathUnescape(raw)
		if err != nil {
			return "", fmt.Errorf("has an invalid percent-encoding in host %q", raw)
		}
		if !utf8.ValidString(decoded) {
			return "", fmt.Errorf("has a percent-encoded host that is not UTF-8 text: %q", raw)
		}
		name = decoded
		if !isASCII(decoded) {
			if name, err = idna.Lookup.ToASCII(decoded); err != nil {
				return "", fmt.Errorf("has an invalid host %q: %v", decoded, err)
			}
			if label, ok := lostLabel(decoded, name); !ok {
				return "", fmt.Errorf("has an invalid host %q: label %q is empty once converted", decoded, label)
			}
		}
	}
	return name, checkHost(name)
}

// labelSeparators turns the full stops idna reads as label separators into dots.
var labelSeparators = strings.NewReplacer("\u3002", ".", "\uff0e", ".", "\uff61", ".")

// lostLabel finds a label of an internationalised host that idna turned
// into nothing: it takes "xn--" for the punycode of the empty label, and
// drops characters such as U+00AD SOFT HYPHEN, so "例子.xn--" would become
// "xn--fsqu00a." without an error. ascii has one label for every label of
// host: idna writes a dot for each separator it reads (. 。 ． ｡) and for
// no other character.
func lostLabel(host, ascii string) (label string, ok bool) {
	labels := strings.Split(labelSeparators.Replace(host), ".")
	converted := strings.Split(ascii, ".")
	if len(converted) != len(labels) {
		return host, false
	}
	for i, l := range labels {
		if l != "" && converted[i] == "" {
			return l, false
		}
	}
	return "", true
}

const (
	maxHostLength  = 253 // characters in a DNS name, without the root's dot
	maxLabelOctets = 63  // characters in one label of it
)

// checkHost checks an ASCII host: labels of letters, digits, hyphens and
// underscores (which RFC 1123 leaves out but real names hold), at most 63
// characters each and 253 in all; one trailing dot (the root) is allowed.
// A label starting xn-- must be valid punycode (idna passes "xn--" itself).
// A host whose last label is a number is read as an IPv4 address by
// browsers and WHATWG URL parsers, so it must be one, in the dotted decimal
// form every reader reads the same way (no 127.1, 0x7f.0.0.1 or 010.0.0.1).
func checkHost(name string) error {
	trimmed := strings.TrimSuffix(name, ".")
	if trimmed == "" {
		if name == "" {
			return errNoHost
		}
		return fmt.Errorf("has an empty label in host %q", name)
	}
	if len(trimmed) > maxHostLength {
		return fmt.Errorf("has a host longer than %d characters: %q", maxHostLength, name)
	}
	last := trimmed
	for rest := trimmed; ; {
		label, more, found := strings.Cut(rest, ".")
		if err := checkLabel(label, name); err != nil {
			return err
		}
		if !found {
			last = label
			break
		}
		rest = more
	}
	if numeric(last) {
		if a, err := netip.ParseAddr(trimmed); err != nil || !a.Is4() {
			return fmt.Errorf("has host %q, which ends in a number but is not an IPv4 address (four numbers 0-255 without leading zeros)", name)
		}
	}
	return nil
}

// checkLabel checks one label of the ASCII host name.
func checkLabel(label, name string) error {
	if label == "" {
		return fmt.Errorf("has an empty label in host %q", name)
	}
	if len(label) > maxLabelOctets {
		return fmt.Errorf("has a label longer than %d characters in host %q", maxLabelOctets, name)
	}
	for i := 0; i < len(label); i++ {
		if c := label[i]; !isAlnum(c) && c != '-' && c != '_' {
			return fmt.Errorf("has %q in host %q, which a host name cannot hold", string(c), name)
		}
	}
	if len(label) >= 4 && strings.EqualFold(label[:4], "xn--") && !validPunycode(label) {
		return fmt.Errorf("has a label that is not valid punycode in host %q: %q", name, label)
	}
	return nil
}

// validPunycode reports whether an xn-- label encodes a valid
// internationalised label, and is the encoding idna would write for it.
func validPunycode(label string) bool {
	u, err := idna.Lookup.ToUnicode(label)
	if err != nil || u == "" || isASCII(u) {
		return false
	}
	a, err := idna.Lookup.ToASCII(u)
	return err == nil && a == strings.ToLower(label)
}

// numeric reports whether a host label reads as a number: decimal digits,
// or 0x and hexadecimal digits.
func numeric(label string) bool {
	digits, isDecimal := label, true
	if len(label) >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X') {
		digits, isDecimal = label[2:], false
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if !('0' <= c && c <= '9' || !isDecimal && ('a' <= c && c <= 'f' || 'A' <= c && c <= 'F')) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

const upperHex = "0123456789ABCDEF"

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
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&0xF])
	}
	if b.Len() == 0 {
		return s
	}
	return b.String()
}

func (d *decoder) authors() []Author {
	raw := d.fields.get("authors")
	if absent(raw) {
		return nil
	}
	var out []Author
	for i, item := range d.list(field("authors"), raw) {
		entry := field("authors").at(i)
		if absent(item) {
			continue
		}
		m := d.object(entry, item)
		if m == nil {
			continue
		}
		a := Author{
			Name:  line(d.str(entry.dot("name"), m.get("name"))),
			Email: strings.TrimSpace(d.cleanStr(entry.dot("email"), m.get("email"))),
			URL:   d.url(entry.dot("url"), m.get("url"), false),
		}
		if n := utf8.RuneCountInString(a.Name); n > maxLabelLength {
			d.fail(entry.dot("name"), "is %d characters long, more than %d", n, maxLabelLength)
			continue
		}
		if a.Email != "" && !plausibleEmail(a.Email) {
			d.fail(entry.dot("email"), "is not an email address: %q", a.Email)
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
func (d *decoder) labels(name string) []string {
	raw := d.fields.get(name)
	if absent(raw) {
		return nil
	}
	items := d.list(field(name), raw)
	out := make([]string, 0, len(items))
	for i, item := range items {
		s := line(d.str(field(name).at(i), item))
		if n := utf8.RuneCountInString(s); n > maxLabelLength {
			d.fail(field(name).at(i), "is %d characters long, more than %d", n, maxLabelLength)
			continue
		}
		if s != "" && !containsString(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil // as a list never appended to is
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
	s := strings.TrimSpace(d.str(field("language"), d.fields.get("language")))
	if s == "" {
		return ""
	}
	// The pattern keeps out what language.Parse would repair ("en_US"); Parse
	// keeps out well-formed tags with unregistered subtags ("english").
	if !languageShape(s) {
		d.fail(field("language"), "is not a BCP 47 language tag: %q", s)
		return ""
	}
	if _, err := language.Parse(s); err != nil {
		d.fail(field("language"), "is not a BCP 47 language tag: %q", s)
		return ""
	}
	return s
}

// languageShape reports whether s is 2-8 letters, then any number of "-"
// and 1-8 letters or digits: ^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$.
func languageShape(s string) bool {
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '-' {
			continue
		}
		sub := s[start:i]
		if start == 0 && (len(sub) < 2 || len(sub) > 8) || len(sub) < 1 || len(sub) > 8 {
			return false
		}
		for j := 0; j < len(sub); j++ {
			c := sub[j]
			if start == 0 && (c|0x20 < 'a' || c|0x20 > 'z') || !isAlnum(c) {
				return false
			}
		}
		start = i + 1
	}
	return true
}

func (d *decoder) time(name string, required bool) time.Time {
	raw := d.fields.get(name)
	if absent(raw) {
		if required {
			d.fail(field(name), "is required")
		}
		return time.Time{}
	}
	s := d.str(field(name), raw)
	if s == "" {
		if kind(raw) == "a string" {
			d.fail(field(name), "is empty")
		}
		return time.Time{}
	}
	t, err := ParseTime(s, d.loc)
	if err != nil {
		d.fail(field(name), "%v", err)
	} else if t.Year() < minYear {
		d.fail(field(name), "is %s, before the year %d: a placeholder rather than a publication time", s, minYear)
	}
	return t
}

func (d *decoder) image() *Image {
	raw := d.fields.get("image")
	if absent(raw) {
		return nil
	}
	m := d.object(field("image"), raw)
	if m == nil {
		return nil
	}
	img := &Image{
		URL:    d.url(field("image").dot("url"), m.get("url"), true),
		Type:   mediaType(d.str(field("image").dot("type"), m.get("type"))),
		Length: d.count(field("image").dot("length"), m.get("length")),
		Alt:    line(d.str(field("image").dot("alt"), m.get("alt"))),
	}
	if img.URL == "" {
		return nil
	}
	return img
}

func (d *decoder) enclosures() []Enclosure {
	raw := d.fields.get("enclosures")
	if absent(raw) {
		return nil
	}
	var out []Enclosure
	for i, item := range d.list(field("enclosures"), raw) {
		entry := field("enclosures").at(i)
		if absent(item) {
			continue
		}
		m := d.object(entry, item)
		if m == nil {
			continue
		}
		e := Enclosure{
			URL:      d.url(entry.dot("url"), m.get("url"), true),
			Type:     mediaType(d.str(entry.dot("type"), m.get("type"))),
			Length:   d.count(entry.dot("length"), m.get("length")),
			Duration: d.count(entry.dot("duration"), m.get("duration")),
		}
		if e.Type == "" {
			switch raw := m.get("type"); {
			case absent(raw) || kind(raw) == "a string" && strings.TrimSpace(d.cleanStr(entry.dot("type"), raw)) == "":
				d.fail(entry.dot("type"), "is required (a media type such as audio/mpeg)")
			case kind(raw) == "a string":
				d.fail(entry.dot("type"), "is not a media type such as audio/mpeg: %q", d.str(entry.dot("type"), raw))
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
	raw := d.fields.get("source")
	if absent(raw) {
		return nil
	}
	m := d.object(field("source"), raw)
	if m == nil {
		return nil
	}
	s := &Source{
		Name: line(d.str(field("source").dot("name"), m.get("name"))),
		URL:  d.url(field("source").dot("url"), m.get("url"), false),
	}
	if s.Name == "" {
		d.fail(field("source").dot("name"), "is required when source is given")
		return nil
	}
	return s
}

func (d *decoder) status() Status {
	raw := d.fields.get("status")
	s := d.str(field("status"), raw)
	switch Status(strings.TrimSpace(s)) {
	case "", StatusPublished:
		return StatusPublished
	case StatusDraft:
		return StatusDraft
	case StatusDeleted:
		return StatusDeleted
	}
	if kind(raw) == "a string" {
		d.fail(field("status"), "must be published, draft or deleted, got %q", s)
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
	// No text reads both as an RFC 3339 time and as a local time (which has
	// no zone), so the layout tried first is only the likelier one.
	if n := len(v); n > 0 && (v[n-1] == 'Z' || n >= 6 && (v[n-6] == '+' || v[n-6] == '-')) {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t.Truncate(time.Second), nil
		}
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", v); err == nil {
		return local(t.Truncate(time.Second), loc), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.Truncate(time.Second), nil
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
