package feed

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/feedpub/feedpub/content"
)

// RendererVersion names the bytes the renderers write. Change it with any
// change to what they write: a build that finds another version in its
// catalog renders every feed again instead of splicing items it kept.
const RendererVersion = "2026-12-03.1"

// A feed document is its envelope (head and tail) around its items, each
// written the same way whichever feed holds it: an item depends on the
// article and the site only. So a build renders each article's items once
// and assembles every feed from them, and a later build reuses the items of
// the feeds it published.
type shape struct {
	head func(*writer, *Feed)
	item func(*writer, *Feed, *content.Article)
	sep  string // between items
	tail string
	// How Split finds items in a published document: each starts with
	// start and ends with end (JSON: by nesting), and carries the item's
	// id right after idMark.
	start, end, idMark string
}

var shapes = [3]shape{
	{head: rssHead, item: rssItem, tail: "</channel></rss>\n", start: "<item>", end: "</item>", idMark: `<guid isPermaLink="false">`},
	{head: atomHead, item: atomEntry, tail: "</feed>\n", start: "<entry", end: "</entry>", idMark: "<id>"},
	{head: jsonHead, item: jsonItem, sep: ",", tail: "]}\n", start: "{", idMark: `{"id":"`},
}

func render(out io.Writer, sh *shape, f *Feed) error {
	w := newWriter(out).forFeed(f)
	sh.head(w, f)
	for i, a := range f.Items {
		if i > 0 {
			w.str(sh.sep)
		}
		sh.item(w, f, a)
	}
	w.str(sh.tail)
	return w.flush()
}

// Items are one article's items, rendered for one site, in each of Formats.
type Items [3][]byte

// RenderItems writes a's item in every format, as any feed of s holds it.
func RenderItems(s *Site, a *content.Article) Items {
	it, _ := RenderItemsInto(nil, s, a)
	return it
}

// RenderItemsInto is RenderItems writing the three items one after the
// other into buf, from its start, grown as needed: it returns them and
// the buffer, which the caller may reuse for the next article once it is
// done with the items. A build renders 100,000 articles' items this way
// into one buffer per reader, where each item grew a buffer of its own.
func RenderItemsInto(buf []byte, s *Site, a *content.Article) (Items, []byte) {
	f := &Feed{Site: s, prep: newPreparer(s)}
	w := &writer{buf: buf[:0]}
	w.forFeed(f)
	var at [len(shapes) + 1]int
	for i := range shapes {
		at[i] = len(w.buf)
		shapes[i].item(w, f, a)
	}
	at[len(shapes)] = len(w.buf)
	var out Items
	for i := range out {
		out[i] = w.buf[at[i]:at[i+1]:at[i+1]]
	}
	return out, w.buf
}

// Assemble writes feed f in format i (an index into Formats) around the
// given items, newest first, as rendered by RenderItems; f.Items is not
// read. The bytes are those f's format writes with the articles the items
// were rendered from.
func Assemble(out io.Writer, i int, f *Feed, items [][]byte) error {
	sh := &shapes[i]
	w := newWriter(out).forFeed(f)
	sh.head(w, f)
	for j, it := range items {
		if j > 0 {
			w.str(sh.sep)
		}
		w.bytes(it)
		if len(w.buf) >= flushAt {
			w.drain()
		}
	}
	w.str(sh.tail)
	return w.flush()
}

// Size is the length of feed f in format i around items: what Assemble
// would write, without writing it.
func Size(i int, f *Feed, items [][]byte) int {
	sh := &shapes[i]
	w := newWriter(nil).forFeed(f)
	sh.head(w, f)
	n := len(w.buf) + len(sh.tail)
	w.buf = w.buf[:0]
	_ = w.flush()
	for j, it := range items {
		if j > 0 {
			n += len(sh.sep)
		}
		n += len(it)
	}
	return n
}

// ErrNotOurs is returned by Split for a document it cannot take apart: not
// written by this renderer version, or changed since.
var ErrNotOurs = errors.New("not a feed document as this renderer writes it")

// Item is one item found in a published feed document.
type Item struct {
	ID   string // the item's id (ItemID of its article)
	Body []byte // the item's bytes, as RenderItems writes them
}

// Split returns the items of a feed document in format i, as Assemble
// wrote it. Text in our documents never holds a raw '<' (XML) or an
// unescaped '"' (JSON), so the markers that start and end items cannot
// occur inside one.
func Split(i int, doc []byte) ([]Item, error) {
	sh := &shapes[i]
	if !bytes.HasSuffix(doc, []byte(sh.tail)) {
		return nil, ErrNotOurs
	}
	body := doc[:len(doc)-len(sh.tail)]
	var start int
	if i == 2 {
		start = bytes.Index(body, []byte(`"items":[`))
		if start < 0 {
			return nil, ErrNotOurs
		}
		start += len(`"items":[`)
	} else {
		start = bytes.Index(body, []byte(sh.start))
		if start < 0 {
			return nil, nil // no items
		}
	}
	var items []Item
	rest := body[start:]
	for len(rest) > 0 {
		if len(items) > 0 {
			if !bytes.HasPrefix(rest, []byte(sh.sep)) {
				return nil, ErrNotOurs
			}
			rest = rest[len(sh.sep):]
		}
		if !bytes.HasPrefix(rest, []byte(sh.start)) {
			return nil, ErrNotOurs
		}
		var n int
		if i == 2 {
			n = jsonValueEnd(rest)
		} else if e := bytes.Index(rest, []byte(sh.end)); e >= 0 {
			n = e + len(sh.end)
		}
		if n <= 0 {
			return nil, ErrNotOurs
		}
		item := rest[:n]
		id, err := itemID(sh, item)
		if err != nil {
			return nil, err
		}
		items = append(items, Item{ID: id, Body: item})
		rest = rest[n:]
	}
	return items, nil
}

// itemID finds the URN after sh.idMark near the start of an item.
func itemID(sh *shape, item []byte) (string, error) {
	const urnLen = len("urn:uuid:") + 36
	k := bytes.Index(item, []byte(sh.idMark))
	if k < 0 || k+len(sh.idMark)+urnLen > len(item) {
		return "", fmt.Errorf("%w: an item without an id", ErrNotOurs)
	}
	id := item[k+len(sh.idMark) : k+len(sh.idMark)+urnLen]
	if !bytes.HasPrefix(id, []byte("urn:uuid:")) {
		return "", fmt.Errorf("%w: an item without an id", ErrNotOurs)
	}
	return string(id), nil
}

// jsonValueEnd returns the length of the JSON object at the start of b, or
// 0 when it does not end.
func jsonValueEnd(b []byte) int {
	depth, inString := 0, false
	for j := 0; j < len(b); j++ {
		c := b[j]
		switch {
		case inString:
			switch c {
			case '\\':
				j++
			case '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return 0
}
