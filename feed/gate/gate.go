package gate

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
)

// The feed formats, by their file extensions.
const (
	RSS  = "rss"
	Atom = "atom"
	JSON = "json"
)

// Item checks one item as a renderer made it, alone: an RSS <item> with a
// title or a description (RSS 2.0); an Atom <entry> with exactly one id,
// title and updated, and at most one of each of content, summary,
// published, rights and source (RFC 4287 §4.1.2); a JSON Feed item object
// with a non-empty string id and content_html or content_text (JSON Feed
// 1.1).
func Item(format string, b []byte) error {
	switch format {
	case RSS, Atom:
		top, err := check(b, false)
		if err != nil {
			return err
		}
		if len(top) != 1 {
			return fmt.Errorf("%d elements, want one item", len(top))
		}
		return itemChildren(format, top[0])
	case JSON:
		return jsonItem(b)
	}
	return fmt.Errorf("gate: unknown format %q", format)
}

func itemChildren(format string, e element) error {
	count := func(name string) int {
		n := 0
		for _, c := range e.children {
			if string(c) == name {
				n++
			}
		}
		return n
	}
	switch format {
	case RSS:
		if string(e.name) != "item" {
			return fmt.Errorf("an RSS item is <%s>, want <item>", e.name)
		}
		if count("title") == 0 && count("description") == 0 {
			return fmt.Errorf("an RSS item with neither title nor description")
		}
	case Atom:
		if string(e.name) != "entry" {
			return fmt.Errorf("an Atom entry is <%s>, want <entry>", e.name)
		}
		for _, name := range [...]string{"id", "title", "updated"} {
			if n := count(name); n != 1 {
				return fmt.Errorf("an Atom entry with %d %s elements, want exactly one", n, name)
			}
		}
		for _, name := range [...]string{"content", "summary", "published", "rights", "source"} {
			if n := count(name); n > 1 {
				return fmt.Errorf("an Atom entry with %d %s elements, want at most one", n, name)
			}
		}
	}
	return nil
}

func jsonItem(b []byte) error {
	sc, err := scanJSON(b)
	if err != nil {
		return fmt.Errorf("a JSON Feed item that is %w", err)
	}
	if len(bytes.TrimLeft(b, " \t\r\n")) == 0 || bytes.TrimLeft(b, " \t\r\n")[0] != '{' {
		return fmt.Errorf("a JSON Feed item that is not an object")
	}
	if len(sc.id) == 0 {
		return fmt.Errorf("a JSON Feed item without an id")
	}
	if !sc.content {
		return fmt.Errorf("a JSON Feed item %q with neither content_html nor content_text", sc.id)
	}
	return nil
}

// separators are what the formats write between items.
var separators = map[string]string{RSS: "", Atom: "", JSON: ","}

// Feed checks doc, a feed as assembled: envelope, the same feed rendered
// without items, is a valid feed document of its format (checked strictly
// by encoding/xml or encoding/json, with its required elements), and doc
// is envelope with items, each already checked by Item, between its head
// and its tail, where the format holds its items (in RSS's channel, in
// Atom's feed, in JSON Feed's items list).
func Feed(format string, envelope, doc []byte, items [][]byte) error {
	sep, ok := separators[format]
	if !ok {
		return fmt.Errorf("gate: unknown format %q", format)
	}
	if len(items) == 0 {
		if !bytes.Equal(envelope, doc) {
			return fmt.Errorf("a feed without items that is not its envelope")
		}
		return emptyFeed(format, envelope)
	}
	at, err := insertion(envelope, doc, items, sep)
	if err != nil {
		return err
	}
	switch format {
	case RSS, Atom:
		// The envelope with a marker element where the items go: the
		// marker must be a child of the channel (RSS) or feed (Atom).
		marked := slices.Concat(envelope[:at], []byte("<gate-marker/>"), envelope[at:])
		if _, err := check(marked, true); err != nil {
			return fmt.Errorf("the envelope: %w", err)
		}
		return xmlEnvelope(format, marked, true)
	default:
		if at == 0 || envelope[at-1] != '[' || envelope[at] != ']' {
			return fmt.Errorf("the items are not inside a list")
		}
		return jsonEnvelope(envelope, at)
	}
}

// emptyFeed checks a feed without items.
func emptyFeed(format string, doc []byte) error {
	if format == JSON {
		return jsonEnvelope(doc, -1)
	}
	if _, err := check(doc, true); err != nil {
		return fmt.Errorf("the envelope: %w", err)
	}
	return xmlEnvelope(format, doc, false)
}

// insertion finds where doc is envelope with the items (joined by sep)
// inserted, and returns that offset in envelope.
func insertion(envelope, doc []byte, items [][]byte, sep string) (int, error) {
	n := len(envelope)
	for i, it := range items {
		if i > 0 {
			n += len(sep)
		}
		n += len(it)
	}
	if len(doc) != n {
		return 0, fmt.Errorf("a feed of %d bytes, want %d: its envelope and items", len(doc), n)
	}
	extra := len(doc) - len(envelope)
	p := 0 // common prefix
	for p < len(envelope) && doc[p] == envelope[p] {
		p++
	}
	q := 0 // common suffix
	for q < len(envelope) && doc[len(doc)-1-q] == envelope[len(envelope)-1-q] {
		q++
	}
	for at := max(0, len(envelope)-q); at <= p && at <= len(envelope); at++ {
		if joinedAt(doc[at:at+extra], items, sep) {
			return at, nil
		}
	}
	return 0, fmt.Errorf("a feed that is not its envelope with its items")
}

// joinedAt reports whether mid is the items joined by sep.
func joinedAt(mid []byte, items [][]byte, sep string) bool {
	for i, it := range items {
		if i > 0 {
			if !bytes.HasPrefix(mid, []byte(sep)) {
				return false
			}
			mid = mid[len(sep):]
		}
		if !bytes.HasPrefix(mid, it) {
			return false
		}
		mid = mid[len(it):]
	}
	return len(mid) == 0
}

// xmlEnvelope decodes a marked envelope strictly and checks what RSS 2.0
// and RFC 4287 require of it.
func xmlEnvelope(format string, marked []byte, items bool) error {
	dec := xml.NewDecoder(bytes.NewReader(marked))
	dec.Strict = true
	type marker struct{}
	switch format {
	case RSS:
		var rss struct {
			XMLName xml.Name `xml:"rss"`
			Version string   `xml:"version,attr"`
			Channel []struct {
				Title       []string   `xml:"title"`
				Link        []xml.Name `xml:"link"` // RSS's own, and atom:link
				Description []string   `xml:"description"`
				Marker      []marker   `xml:"gate-marker"`
			} `xml:"channel"`
		}
		if err := dec.Decode(&rss); err != nil {
			return fmt.Errorf("the RSS envelope: %w", err)
		}
		if rss.Version != "2.0" || len(rss.Channel) != 1 {
			return fmt.Errorf(`the RSS envelope: want <rss version="2.0"> with one channel`)
		}
		c := rss.Channel[0]
		links := 0
		for _, l := range c.Link {
			if l.Space == "" {
				links++
			}
		}
		if len(c.Title) != 1 || links != 1 || len(c.Description) != 1 {
			return fmt.Errorf("the RSS channel: want one title, link and description")
		}
		if items && len(c.Marker) != 1 {
			return fmt.Errorf("the RSS items are not in the channel")
		}
	case Atom:
		var feed struct {
			XMLName xml.Name   `xml:"http://www.w3.org/2005/Atom feed"`
			ID      []string   `xml:"id"`
			Title   []string   `xml:"title"`
			Updated []string   `xml:"updated"`
			Author  []struct{} `xml:"author"`
			Marker  []marker   `xml:"gate-marker"`
		}
		if err := dec.Decode(&feed); err != nil {
			return fmt.Errorf("the Atom envelope: %w", err)
		}
		if len(feed.ID) != 1 || len(feed.Title) != 1 || len(feed.Updated) != 1 {
			return fmt.Errorf("the Atom feed: want exactly one id, title and updated")
		}
		// RFC 4287 §4.1.1: a feed without an author needs one in every
		// entry; the entries are checked alone, so the feed has one.
		if len(feed.Author) == 0 {
			return fmt.Errorf("the Atom feed has no author")
		}
		if items && len(feed.Marker) != 1 {
			return fmt.Errorf("the Atom entries are not in the feed")
		}
	}
	return nil
}

// jsonEnvelope checks a JSON Feed without items: version 1.1, a title,
// and the items list at offset at (-1: anywhere).
func jsonEnvelope(envelope []byte, at int) error {
	if !json.Valid(envelope) {
		return fmt.Errorf("the JSON Feed envelope is not valid JSON")
	}
	var f struct {
		Version string            `json:"version"`
		Title   *string           `json:"title"`
		Items   []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(envelope, &f); err != nil {
		return fmt.Errorf("the JSON Feed envelope: %w", err)
	}
	if f.Version != "https://jsonfeed.org/version/1.1" || f.Title == nil || *f.Title == "" || f.Items == nil {
		return fmt.Errorf("the JSON Feed envelope: want version 1.1, a title and an items list")
	}
	// The list the items go in is the items member's: its name right
	// before the bracket.
	if at >= 0 && !bytes.HasSuffix(bytes.TrimRight(envelope[:at-1], " \t\r\n"), []byte(`"items":`)) {
		return fmt.Errorf("the JSON Feed items are not in its items list")
	}
	return nil
}

// XML checks a whole XML document (the OPML list): well-formed, with one
// root element, then read by encoding/xml in strict mode.
func XML(b []byte) error {
	if _, err := check(b, true); err != nil {
		return err
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	for {
		_, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("%w: encoding/xml: %v", ErrMalformed, err)
		}
	}
}
