package publish

import (
	"fmt"
	"html/template"
	"io"
	"sync"

	"github.com/feedpub/feedpub/feed"
)

// writeIndex writes the human page: every feed with its subscribe links, and
// autodiscovery links for the site-wide feed.
func writeIndex(w io.Writer, s *feed.Site, feeds []*feed.Feed) error {
	type link struct{ Format, Type, URL string }
	type entry struct {
		Title string
		Kind  feed.Kind
		Items int
		Links []link
	}
	var entries, discover []entry
	for _, f := range feeds {
		e := entry{Title: f.Title, Kind: f.Kind, Items: len(f.Items)}
		for _, format := range feed.Formats {
			e.Links = append(e.Links, link{Format: format.Ext, Type: mediaType(format.ContentType), URL: f.URL(format.Ext)})
		}
		entries = append(entries, e)
		if f.Kind == feed.KindSite {
			discover = append(discover, e)
		}
	}
	if len(discover) == 0 && len(entries) > 0 {
		discover = entries[:1]
	}
	return indexPage.Execute(w, map[string]any{"Site": s, "Feeds": entries, "Discover": discover})
}

func mediaType(contentType string) string {
	for i := 0; i < len(contentType); i++ {
		if contentType[i] == ';' {
			return contentType[:i]
		}
	}
	return contentType
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="{{.Site.Language}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Site.Title}} — feeds</title>
{{range .Discover}}{{$t := .Title}}{{range .Links}}<link rel="alternate" type="{{.Type}}" title="{{$t}} ({{.Format}})" href="{{.URL}}">
{{end}}{{end}}<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#222}
li{margin:.3rem 0} a{margin-right:.5rem} .n{color:#777;font-size:.9em}
</style>
</head>
<body>
<h1>{{.Site.Title}}</h1>
{{with .Site.Description}}<p>{{.}}</p>{{end}}
<p>Subscribe in any feed reader: RSS 2.0, Atom 1.0 or JSON Feed 1.1. All feeds at once: <a href="feeds.opml">feeds.opml</a>.</p>
<ul>
{{range .Feeds}}<li><strong>{{.Title}}</strong> <span class="n">{{.Kind}}, {{.Items}} items</span><br>{{range .Links}}<a href="{{.URL}}" type="{{.Type}}">{{.Format}}</a>{{end}}</li>
{{end}}</ul>
<p><a href="{{.Site.URL}}">{{.Site.URL}}</a></p>
</body>
</html>
`))

// progressLine rewrites one terminal line as documents are read.
type progressLine struct {
	w     io.Writer
	mu    sync.Mutex
	done  int
	shown bool // a line was written and not yet ended
}

func (p *progressLine) tick(total int) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if p.done%500 == 0 || p.done == total {
		fmt.Fprintf(p.w, "\rread %d/%d articles", p.done, total)
		p.shown = true
	}
}

// finish ends the progress line, so that what is printed next starts on a
// line of its own.
func (p *progressLine) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w != nil && p.shown {
		fmt.Fprintln(p.w)
		p.shown = false
	}
}
