package corpus

import (
	"strconv"
)

// render writes the document p plans, its words drawn from its text stream.
func (g *Generator) render(p *plan) []byte {
	r := newRNG(g.opts.Seed, p.index, streamText)
	target := r.between(2048, 6144)
	if g.opts.ShortBodies {
		target = r.between(300, 600)
	}
	size := target + 1536
	if p.asciiOnly && p.lang != langEN {
		size = 2*target + 2048
	}
	w := &jw{b: make([]byte, 0, size), ascii: p.asciiOnly, indent: p.indent}
	t := &writer{w: w, r: &r, p: p, g: g}

	w.open('{')
	switch p.malformed {
	case MissingID:
	case WrongKind:
		w.intField("id", int64(p.index)) // a number, not a string
	default:
		w.field("id", p.id)
	}
	t.url()
	if p.title {
		w.key("title")
		w.raw(`"`)
		t.title()
		w.raw(`"`)
	}
	if p.summary {
		w.key("summary")
		w.raw(`"`)
		t.summary()
		w.raw(`"`)
	}
	w.key("content_html")
	w.raw(`"`)
	t.body(target)
	w.raw(`"`)

	w.key("authors")
	w.open('[')
	for _, k := range p.authors[:p.nauthors] {
		a := &g.authors[k]
		w.elem()
		w.open('{')
		w.field("name", a.name)
		if a.email != "" {
			w.field("email", a.email)
		}
		if a.url != "" {
			w.field("url", a.url)
		}
		w.close('}')
	}
	w.close(']')
	w.key("categories")
	w.open('[')
	for _, k := range p.cats[:p.ncats] {
		w.elem()
		w.litStr(g.cats[k])
	}
	w.close(']')
	w.key("tags")
	w.open('[')
	for _, k := range p.tags[:p.ntags] {
		w.elem()
		w.litStr(g.tags[k])
	}
	w.close(']')
	if p.languageField != "" {
		w.field("language", p.languageField)
	}
	if p.malformed == BadPublished {
		w.field("published", pick(&r, []string{"yesterday", "2025-13-45 25:61:00", "08/03/2025 14:05", ""}))
	} else {
		w.timeField("published", p.published, p.layout)
	}
	if !p.updated.IsZero() {
		w.timeField("updated", p.updated, p.layout)
	}
	if p.image {
		w.key("image")
		w.open('{')
		ext, typ := ".jpg", "image/jpeg"
		switch r.intn(5) {
		case 0:
			ext, typ = ".png", "image/png"
		case 1:
			ext, typ = ".webp", "image/webp"
		}
		w.field("url", "https://img.example.com/"+p.published.Format("2006/01/")+p.id+ext)
		w.field("type", typ)
		w.intField("length", int64(r.between(20_000, 900_000)))
		if r.chance(0.7) {
			w.key("alt")
			w.raw(`"`)
			t.phrase()
			w.raw(`"`)
		}
		w.close('}')
	}
	if p.audio {
		w.key("enclosures")
		w.open('[')
		w.elem()
		w.open('{')
		ext, typ := ".mp3", "audio/mpeg"
		if r.chance(0.2) {
			ext, typ = ".m4a", "audio/mp4"
		}
		w.field("url", "https://media.example.com/audio/"+p.id+ext)
		w.field("type", typ)
		w.intField("length", int64(r.between(1_000_000, 60_000_000)))
		if r.chance(0.8) {
			w.intField("duration", int64(r.between(60, 3600)))
		}
		w.close('}')
		w.close(']')
	}
	if p.source >= 0 {
		s := sources[p.source]
		w.key("source")
		w.open('{')
		w.field("name", s.name)
		if s.url != "" {
			w.field("url", s.url)
		}
		w.close('}')
	}
	if p.rights {
		if p.source >= 0 {
			w.field("rights", "© "+strconv.Itoa(p.published.Year())+" "+sources[p.source].name)
		} else {
			w.field("rights", pick(&r, []string{"© " + strconv.Itoa(p.published.Year()) + " 蓝影头条", "CC BY 4.0", "All rights reserved"}))
		}
	}
	if p.writeStatus || p.status != "published" {
		w.field("status", string(p.status))
	}
	if p.extra {
		w.key("extra")
		w.open('{')
		w.field("editor", g.authors[r.intn(len(g.authors))].name)
		w.intField("clicks", int64(r.intn(100_000)))
		w.key("x_internal")
		w.raw(`{"ab":"b","flags":[1,2,3],"ok":true,"none":null}`)
		w.close('}')
	}
	w.close('}')
	w.raw("\n")

	switch p.malformed {
	case BrokenSyntax:
		// Cut after a comma: what a truncated upload looks like.
		b := w.b
		for i := len(b) / 2; i < len(b); i++ {
			if b[i] == ',' {
				return b[:i+1]
			}
		}
		return b[:len(b)/2]
	case WrongKind:
		return w.b
	case InvalidUTF8:
		// Latin-1 bytes in a UTF-8 document: "café" as an old export writes it.
		return append(w.b[:len(w.b)-2], []byte(",\"x_note\":\"caf\xe9\"}\n")...)
	}
	return w.b
}

// writer writes the words of one document, in its language.
type writer struct {
	w *jw
	r *rng
	p *plan
	g *Generator

	sentences int // written so far in the body
	strayAt   int // the sentence after which the body's stray goes; -1: none
}

func (t *writer) url() {
	p, w := t.p, t.w
	host := [...]string{langEN: "https://news.example.com/", langZH: "https://news.example.cn/", langJA: "https://news.example.jp/"}[p.lang]
	path := p.published.Format("2006/01/02/")
	switch {
	case p.idnURL:
		host = "https://新闻.example/"
	case p.iri:
		path = [...]string{langEN: "special reports/", langZH: "专题/", langJA: "特集/"}[p.lang] + path
	}
	w.key("url")
	w.raw(`"`)
	w.lit(host)
	w.lit(path)
	w.lit(p.id)
	w.lit(".html")
	w.raw(`"`)
}

func (t *writer) stray() { t.w.raw(pick(t.r, strays)) }

func (t *writer) title() {
	p, w, r := t.p, t.w, t.r
	// A stray character goes between two parts of the title.
	strayAt := -1
	if p.strayTitle {
		strayAt = r.intn(2)
	}
	part := func(i int, s string) {
		w.lit(s)
		if i == strayAt {
			t.stray()
		}
	}
	switch p.lang {
	case langEN:
		if r.chance(0.005) {
			w.esc("Why <b> Tags & \"Quotes\" Still Trip Up Feed Readers")
			return
		}
		part(0, pick(r, enTitleSubjects))
		w.lit(" ")
		part(1, pick(r, enTitleVerbs))
		w.lit(" ")
		w.lit(pick(r, enTitleObjects))
		w.lit(pick(r, enTitleTails))
	case langZH:
		part(0, pick(r, zhTitlePlaces))
		part(1, pick(r, zhTitleTopics))
		w.lit(pick(r, zhTitleResults))
		if r.chance(0.01) { // a long title, cut by every format that derives from it
			for range 8 {
				w.lit(",")
				w.lit(pick(r, zhPredicates))
				w.lit(pick(r, zhResults))
			}
		}
		w.lit(pick(r, zhTitleTails))
	case langJA:
		part(0, pick(r, jaTitlePlaces))
		w.lit("の")
		part(1, pick(r, jaTitleTopics))
		w.lit(pick(r, jaTitleResults))
	}
}

func (t *writer) summary() {
	p, w, r := t.p, t.w, t.r
	n := r.between(1, 2)
	for i := range n {
		if i > 0 && p.lang == langEN {
			w.lit(" ")
		}
		if p.summaryHTML && i == 0 {
			w.lit("<em>")
			t.sentence()
			w.lit("</em>")
		} else {
			t.sentence()
		}
		if p.straySummary && i == 0 {
			t.stray()
		}
	}
}

// phrase writes a short text: an image's alt, a caption, a list item.
func (t *writer) phrase() {
	w, r := t.w, t.r
	switch t.p.lang {
	case langEN:
		w.lit(pick(r, enSubjects))
		w.lit(" and ")
		w.lit(pick(r, enObjects))
	case langZH:
		w.lit(pick(r, zhSubjects))
		w.lit(pick(r, zhResults))
	case langJA:
		w.lit(pick(r, jaSubjects))
		w.lit(pick(r, jaPredicates))
	}
}

// sentence writes one sentence, with its closing punctuation.
func (t *writer) sentence() {
	p, w, r := t.p, t.w, t.r
	quote := r.chance(0.08)
	switch p.lang {
	case langEN:
		if quote {
			if p.entities {
				w.lit("&ldquo;")
				w.lit(pick(r, enQuotes))
				w.lit(",&rdquo; said ")
			} else {
				w.esc("\"")
				w.lit(pick(r, enQuotes))
				w.esc(",\" said ")
			}
			w.lit(t.g.authors[r.intn(len(t.g.authors))].name)
			w.lit(".")
			return
		}
		w.lit(pick(r, enSubjects))
		w.lit(" ")
		w.lit(pick(r, enVerbs))
		w.lit(" ")
		w.lit(pick(r, enObjects))
		if tail := pick(r, enTails); tail != "" {
			if p.entities && r.chance(0.3) {
				w.lit(" &mdash; ")
			} else {
				w.lit(" ")
			}
			w.lit(tail)
		}
		w.lit(".")
	case langZH:
		if quote {
			if p.entities {
				w.lit("&ldquo;")
				w.lit(pick(r, zhQuotes))
				w.lit("&rdquo;")
			} else {
				w.lit("“")
				w.lit(pick(r, zhQuotes))
				w.lit("”")
			}
			w.lit(",")
			w.lit(pick(r, zhSubjects))
			w.lit("负责人说。")
			return
		}
		if r.chance(0.6) {
			w.lit(pick(r, zhOpenings))
			w.lit(",")
		}
		w.lit(pick(r, zhSubjects))
		w.lit(pick(r, zhPredicates))
		if r.chance(0.6) {
			w.lit(",")
			w.lit(pick(r, zhResults))
		}
		w.lit("。")
	case langJA:
		if quote {
			w.lit("「")
			w.lit(pick(r, jaQuotes))
			w.lit("」と")
			w.lit(t.g.authors[r.intn(len(t.g.authors))].name)
			w.lit("さんは話した。")
			return
		}
		if r.chance(0.6) {
			w.lit(pick(r, jaOpenings))
			w.lit("、")
		}
		w.lit(pick(r, jaSubjects))
		w.lit(pick(r, jaPredicates))
		w.lit("。")
	}
}

// paragraph writes <p> with a few sentences, some marked up, sometimes a
// link.
func (t *writer) paragraph(link bool) {
	p, w, r := t.p, t.w, t.r
	w.lit("<p>")
	n := r.between(2, 5)
	linkAt := -1
	if link {
		linkAt = r.intn(n)
	}
	for i := range n {
		if i > 0 && p.lang == langEN {
			w.lit(" ")
		}
		switch x := r.float(); {
		case x < 0.12:
			w.lit("<strong>")
			t.sentence()
			w.lit("</strong>")
		case x < 0.17:
			w.lit("<em>")
			t.sentence()
			w.lit("</em>")
		default:
			t.sentence()
		}
		if i == linkAt {
			t.link()
		}
		if t.sentences == t.strayAt {
			t.stray()
		}
		t.sentences++
	}
	w.lit("</p>")
	if r.chance(0.2) {
		w.esc("\n")
	}
}

func (t *writer) link() {
	p, w, r := t.p, t.w, t.r
	var text string
	switch p.lang {
	case langEN:
		w.lit(" More in ")
		text = pick(r, enLinkTexts)
	case langZH:
		w.lit("详见")
		text = pick(r, zhLinkTexts)
	case langJA:
		w.lit("詳しくは")
		text = pick(r, jaLinkTexts)
	}
	w.esc(`<a href="https://news.example.com/`)
	w.lit(p.published.Format("2006/01/"))
	w.lit("related-")
	w.lit(strconv.Itoa(r.intn(100_000)))
	if p.entities && r.chance(0.5) {
		w.esc(".html?ref=feed&amp;utm_source=rss\">")
	} else {
		w.esc(`.html">`)
	}
	w.lit(text)
	w.lit("</a>")
	switch p.lang {
	case langEN:
		w.lit(".")
	case langZH:
		w.lit("。")
	case langJA:
		w.lit("へ。")
	}
}

func (t *writer) image(n int) {
	p, w, r := t.p, t.w, t.r
	figure := r.chance(0.5)
	if figure {
		w.lit("<figure>")
	}
	w.esc(`<img src="https://img.example.com/body/`)
	w.lit(p.id)
	w.lit("-")
	w.lit(strconv.Itoa(n))
	w.esc(`.jpg" alt="`)
	t.phrase()
	w.esc(`" width="`)
	w.lit(strconv.Itoa(r.between(4, 16) * 80))
	w.esc(`">`)
	if figure {
		w.lit("<figcaption>")
		t.phrase()
		if p.entities {
			w.lit(" &copy; ")
		} else {
			w.lit(" © ")
		}
		w.lit(pick(r, []string{"Photo: Example News", "新华社示例", "共同通信(例)"}))
		w.lit("</figcaption></figure>")
	}
}

func (t *writer) list() {
	w, r := t.w, t.r
	tag := "ul"
	if r.chance(0.3) {
		tag = "ol"
	}
	w.lit("<" + tag + ">")
	for range r.between(3, 5) {
		w.lit("<li>")
		t.phrase()
		w.lit("</li>")
	}
	w.lit("</" + tag + ">")
}

func (t *writer) heading() {
	w := t.w
	w.lit("<h2>")
	t.phrase()
	w.lit("</h2>")
}

// body writes paragraphs until about target bytes of HTML: an image after
// the first, a list after the second, a link in at least one, sometimes a
// heading, a quote, entities, a stray character.
func (t *writer) body(target int) {
	p, w, r := t.p, t.w, t.r
	t.strayAt = -1
	if p.strayBody {
		t.strayAt = r.intn(6)
	}
	start := w.n
	images := 0
	linked := false
	for k := 0; ; k++ {
		link := !linked && (k >= 2 || r.chance(0.4))
		t.paragraph(link)
		linked = linked || link
		switch k {
		case 0:
			images++
			t.image(images)
		case 1:
			t.list()
		case 2:
			if r.chance(0.25) {
				t.heading()
			}
		case 3:
			if r.chance(0.15) {
				w.lit("<blockquote>")
				t.sentence()
				w.lit("</blockquote>")
			}
		}
		if k > 0 && k%6 == 0 && r.chance(0.5) {
			images++
			t.image(images)
		}
		if w.n-start >= target {
			break
		}
	}
	if p.strayBody && t.sentences <= t.strayAt {
		t.stray()
	}
	if p.entities {
		w.lit("<p>")
		w.lit(pick(r, []string{"R&amp;D spending rose 4&nbsp;%.", "&copy; Example News &#8212; all rights reserved.", "&#x4E2D;&#25991;&nbsp;&lt;摘要&gt;", "価格は&yen;1,200&#12290;"}))
		w.lit("</p>")
	}
}
