package feed

import (
	"sync"

	"github.com/feedpub/feedpub/content"
)

// prepared is what every feed and format writes the same way for one
// article: its id, and its long texts already escaped for XML and quoted for
// JSON.
type prepared struct {
	id          string
	xmlSummary  string
	xmlContent  string
	jsonSummary string // quoted, with the quotes
	jsonText    string // SummaryText, quoted
	jsonContent string // quoted
}

// preparer escapes each article once per build, however many feeds and
// formats hold it. Plan shares one among all the feeds it makes.
type preparer struct {
	site *Site
	mu   sync.Mutex
	m    map[*content.Article]*prepared
}

func newPreparer(s *Site) *preparer {
	return &preparer{site: s, m: map[*content.Article]*prepared{}}
}

// prepared returns a's prepared texts. For a feed not made by Plan only the
// id is prepared, and the renderers escape the texts as they write them.
func (f *Feed) prepared(a *content.Article) prepared {
	p := f.prep
	if p == nil {
		return prepared{id: ItemID(f.Site, a)}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if x, ok := p.m[a]; ok {
		return *x
	}
	xml := func(w *writer, s string) { w.textOf(a, s) }
	json := func(w *writer, s string) { w.jsonStringOf(a, s) }
	x := &prepared{
		id:          ItemID(p.site, a),
		xmlSummary:  escaped(a.Summary, xml),
		jsonSummary: escaped(a.Summary, json),
		jsonText:    escaped(a.SummaryText, json),
	}
	if p.site.FullText { // no feed of the site shows the body otherwise
		x.xmlContent, x.jsonContent = escaped(a.ContentHTML, xml), escaped(a.ContentHTML, json)
	}
	p.m[a] = x
	return *x
}

// escaped returns s as write would write it.
func escaped(s string, write func(*writer, string)) string {
	if s == "" {
		return ""
	}
	w := &writer{buf: make([]byte, 0, len(s)+len(s)/8+2)}
	write(w, s)
	return string(w.buf)
}
