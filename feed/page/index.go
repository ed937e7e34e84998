package page

import (
	"io"

	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/layout"
)

// kinds are the groups of the index page, in order; the last two are
// long (a site may have thousands of tags) and shown as a dense grid.
var kinds = [4]feed.Kind{feed.KindSite, feed.KindCategory, feed.KindTag, feed.KindAuthor}

// Index writes the human page of a site's feeds (index.html): every feed
// in feeds, grouped by kind, with its item count, last update, preview
// page and subscribe links in the three formats; the OPML list;
// <link rel="alternate"> autodiscovery for the site-wide feed (the first
// feed when there is none); and a filter box, which the script shows.
// Feeds are listed in the order given within each group.
func Index(out io.Writer, s *feed.Site, feeds []*feed.Feed) error {
	m := language(s.Language)
	w := &writer{out: out, buf: make([]byte, 0, 4096+len(feeds)*400)}
	w.head(s, "", s.Title+" — "+m.feeds, s.Description)
	var discover *feed.Feed
	for _, f := range feeds {
		if f.Kind == feed.KindSite {
			discover = f
			break
		}
	}
	if discover == nil && len(feeds) > 0 {
		discover = feeds[0]
	}
	if discover != nil {
		w.alternates(s, discover.Name, discover.Title)
	}
	w.str(`<link rel="icon" href="data:,">` + "\n</head>\n<body class=\"index\">\n<header>\n")
	w.elem("h1", s.Title)
	w.str("\n")
	if s.Description != "" {
		w.elem("p", s.Description, "class", "lead")
		w.str("\n")
	}
	w.str("<p>")
	w.text(m.intro)
	w.str(" <a")
	w.attrs("href", layout.OPML, "type", "text/x-opml")
	w.str(">")
	w.text(m.opml)
	w.str("</a></p>\n</header>\n")
	// The filter box works only with the script, which shows it.
	w.str(`<div class="search" id="filter" role="search" hidden><label for="q">`)
	w.text(m.filter)
	w.str(`</label><input type="search" id="q" autocomplete="off" spellcheck="false"><output id="matches" for="q" aria-live="polite"`)
	w.attrs("data-none", m.none)
	w.str("></output></div>\n<main>\n")
	for k, kind := range kinds {
		n := 0
		for _, f := range feeds {
			if f.Kind == kind {
				n++
			}
		}
		if n == 0 {
			continue
		}
		w.str("<section")
		w.attrs("id", string(kind), "data-kind", string(kind))
		w.str("><h2>")
		w.text(m.kinds[k])
		w.str(` <span class="n">`)
		w.str(itoa(n))
		w.str("</span></h2>\n<ul")
		if k >= 2 {
			w.attrs("class", "feeds dense")
		} else {
			w.attrs("class", "feeds")
		}
		w.str(">\n")
		for _, f := range feeds {
			if f.Kind == kind {
				entry(w, s, m, f)
			}
		}
		w.str("</ul>\n</section>\n")
	}
	w.str("</main>\n<footer><a")
	w.attrs("href", s.URL)
	w.str(">")
	w.text(s.URL)
	w.str("</a></footer>\n</body>\n</html>\n")
	return w.flush()
}

// entry writes one feed of the index page.
func entry(w *writer, s *feed.Site, m *messages, f *feed.Feed) {
	if s.HasPreviews() {
		w.str(`<li><a class="t"`)
		w.attrs("href", previewPath(f.Name))
		w.str(">")
		w.text(label(f, m))
		w.str(`</a> <span class="m">`)
	} else {
		w.str(`<li><span class="t">`)
		w.text(label(f, m))
		w.str(`</span> <span class="m">`)
	}
	w.text(m.items(f.Count))
	if !f.Updated.IsZero() && f.Updated.Unix() > 0 {
		w.str(" · ")
		w.time(f.Updated, s.Location, "2006-01-02")
	}
	w.str(`</span> <span class="s">`)
	w.subscribe(s, f.Name, false) // typed by the autodiscovery links; thousands of entries stay short
	w.str("</span></li>\n")
}
