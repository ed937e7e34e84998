package page

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/feedpub/feedpub/feed"
)

func TestAppendEscaped(t *testing.T) {
	for _, c := range []struct{ in, text, attr string }{
		{"plain", "plain", "plain"},
		{`<script>alert("x")</script>`, `&lt;script&gt;alert("x")&lt;/script&gt;`, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`},
		{"Q&A 5 < 6", "Q&amp;A 5 &lt; 6", "Q&amp;A 5 &lt; 6"},
		{"热点 · 東京 · 서울", "热点 · 東京 · 서울", "热点 · 東京 · 서울"},
		{"مرحبا \u202Eevil", "مرحبا \u202Eevil", "مرحبا \u202Eevil"},
		{"a\x00b\x07c\td\ne\u0085f\x7f", "abc\td\nef", "abc\td\nef"},
		{"bad \xff utf-8", "bad \uFFFD utf-8", "bad \uFFFD utf-8"},
		{"it's", "it's", "it's"},
	} {
		if got := string(AppendText(nil, c.in)); got != c.text {
			t.Errorf("AppendText(%q): got %q, want %q", c.in, got, c.text)
		}
		if got := string(AppendAttr([]byte("x"), c.in)); got != "x"+c.attr {
			t.Errorf("AppendAttr(%q): got %q, want %q", c.in, got, "x"+c.attr)
		}
	}
}

// FuzzAppendAttr checks that whatever the input, an attribute written with
// AppendAttr and text written with AppendText parse back to the input, as
// far as the escaper keeps it (controls dropped, bad UTF-8 replaced).
func FuzzAppendAttr(f *testing.F) {
	for _, s := range []string{"", "a\"b", "<&>", "热点", "\x00\xff", "&amp;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		doc := "<!doctype html><p title=\"" + string(AppendAttr(nil, s)) + "\">" + string(AppendText(nil, s)) + "</p>"
		n, err := html.Parse(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		p := find(n, "p")
		if p == nil {
			t.Fatalf("%q: no <p> in %q", s, doc)
		}
		// HTML reads CR LF and CR as LF, in values as in text.
		want := strings.ReplaceAll(strings.ReplaceAll(kept(s), "\r\n", "\n"), "\r", "\n")
		if got := attr(p, "title"); got != want {
			t.Errorf("attribute of %q: got %q, want %q", s, got, want)
		}
		if got := textOf(p); got != want {
			t.Errorf("text of %q: got %q, want %q", s, got, want)
		}
	})
}

// kept is s as the escapers keep it.
func kept(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			b.WriteRune(utf8.RuneError)
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteRune(r)
		case r < 0x20 || (r >= 0x7F && r <= 0x9F):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestLanguage(t *testing.T) {
	for _, c := range []struct {
		tag, all string
		one      string
		dir      string
	}{
		{"zh-CN", "全部文章", "1 篇", ""},
		{"zh-Hans-CN", "全部文章", "1 篇", ""},
		{"zh-TW", "全部文章", "1 篇", ""},
		{"ja", "すべての記事", "1 件", ""},
		{"ko-KR", "모든 기사", "1건", ""},
		{"en-GB", "All articles", "1 item", ""},
		{"fr", "Tous les articles", "1 article", ""},
		{"ar-EG", "كل المقالات", "مقالة واحدة", "rtl"},
		{"he", "All articles", "1 item", "rtl"},
		{"xx", "All articles", "1 item", ""},
	} {
		m := language(c.tag)
		if m.all != c.all || m.items(1) != c.one || direction(c.tag) != c.dir {
			t.Errorf("%s: got %q, %q, dir %q; want %q, %q, dir %q", c.tag, m.all, m.items(1), direction(c.tag), c.all, c.one, c.dir)
		}
	}
	if got := language("zh-HK").feedURL; got != "訂閱網址" {
		t.Errorf("zh-HK: got %q, want traditional characters", got)
	}
	for _, c := range []struct {
		tag  string
		n    int
		want string
	}{
		{"en", 0, "0 items"}, {"en", 2, "2 items"}, {"fr", 0, "0 article"}, {"fr", 2, "2 articles"},
		{"de", 1, "1 Artikel"}, {"es", 3, "3 artículos"}, {"zh", 50, "50 篇"},
		{"ar", 2, "مقالتان"}, {"ar", 5, "5 مقالات"}, {"ar", 11, "11 مقالة"}, {"ar", 103, "103 مقالات"},
	} {
		if got := language(c.tag).items(c.n); got != c.want {
			t.Errorf("%s items(%d): got %q, want %q", c.tag, c.n, got, c.want)
		}
	}
}

// testSite is a site whose every text is hostile.
func testSite() *feed.Site {
	return &feed.Site{
		Title:       `Evil <script>alert(1)</script> & "Co" 蓝影`,
		Description: `Desc with <b>tags</b> & 'quotes' "double"`,
		URL:         "https://news.example.cn/",
		BaseURL:     "https://feeds.example.com",
		Language:    "zh-CN",
		Location:    time.FixedZone("CST", 8*3600),
	}
}

func testFeeds(s *feed.Site) []*feed.Feed {
	at := time.Date(2024, 5, 16, 20, 30, 0, 0, time.UTC)
	mk := func(name string, kind feed.Kind, label string, n int) *feed.Feed {
		title := s.Title
		if kind != feed.KindSite {
			title += " · " + label
		}
		return &feed.Feed{Name: name, Kind: kind, Title: title, Site: s, Updated: at, Count: n}
	}
	return []*feed.Feed{
		mk("index", feed.KindSite, "", 42),
		mk("category/热点", feed.KindCategory, "热点", 1),
		mk("category/tech", feed.KindCategory, `Tech & <Science> "x"`, 2),
		mk("tag/ai", feed.KindTag, "AI", 3),
		mk("tag/مرحبا", feed.KindTag, "مرحبا", 1),
		mk("author/sato", feed.KindAuthor, "佐藤 美咲", 7),
	}
}

func TestIndex(t *testing.T) {
	s := testSite()
	var buf bytes.Buffer
	if err := Index(&buf, s, testFeeds(s)); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	doc := parse(t, page)
	if strings.Contains(page, "<script>") || strings.Contains(page, "<Science>") || strings.Contains(page, "style=") {
		t.Errorf("unescaped text or an inline style in the page:\n%s", page)
	}
	if got := attr(find(doc, "html"), "lang"); got != "zh-CN" {
		t.Errorf("lang: got %q, want zh-CN", got)
	}
	if got, want := textOf(find(doc, "title")), s.Title+" — 订阅源"; got != want {
		t.Errorf("title: got %q, want %q", got, want)
	}
	var sections []string
	for _, sec := range all(doc, "section") {
		sections = append(sections, attr(sec, "data-kind")+" "+textOf(find(sec, "h2"))+" "+itoa(len(all(sec, "li"))))
	}
	if got, want := strings.Join(sections, "|"), "site 全站 1 1|category 分类 2 2|tag 标签 2 2|author 作者 1 1"; got != want {
		t.Errorf("groups: got %q, want %q", got, want)
	}
	var labels, counts []string
	for _, li := range all(doc, "li") {
		a := find(li, "a")
		labels = append(labels, textOf(a)+" -> "+attr(a, "href"))
		counts = append(counts, textOf(find(li, "span")))
	}
	wantLabels := []string{
		"全部文章 -> feeds/index.html",
		"热点 -> feeds/category/%E7%83%AD%E7%82%B9.html",
		`Tech & <Science> "x" -> feeds/category/tech.html`,
		"AI -> feeds/tag/ai.html",
		"مرحبا -> feeds/tag/%D9%85%D8%B1%D8%AD%D8%A8%D8%A7.html",
		"佐藤 美咲 -> feeds/author/sato.html",
	}
	if strings.Join(labels, "\n") != strings.Join(wantLabels, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(labels, "\n"), strings.Join(wantLabels, "\n"))
	}
	if got := counts[1]; got != "1 篇 · 2024-05-17" {
		t.Errorf("count and date: got %q, want %q (the site's zone is UTC+8)", got, "1 篇 · 2024-05-17")
	}
	if tm := find(find(doc, "li"), "time"); attr(tm, "datetime") != "2024-05-16T20:30:00Z" {
		t.Errorf("<time datetime>: got %q", attr(tm, "datetime"))
	}
	var alternates []string
	for _, l := range all(doc, "link") {
		if attr(l, "rel") == "alternate" {
			alternates = append(alternates, attr(l, "type")+" "+attr(l, "href"))
		}
	}
	want := "application/rss+xml https://feeds.example.com/feeds/index.rss|application/atom+xml https://feeds.example.com/feeds/index.atom|application/feed+json https://feeds.example.com/feeds/index.json"
	if got := strings.Join(alternates, "|"); got != want {
		t.Errorf("autodiscovery: got %q, want %q", got, want)
	}
	var subs []string
	for _, a := range all(all(doc, "li")[1], "a")[1:] {
		subs = append(subs, attr(a, "href"))
	}
	if got, want := strings.Join(subs, " "), "https://feeds.example.com/feeds/category/%E7%83%AD%E7%82%B9.rss https://feeds.example.com/feeds/category/%E7%83%AD%E7%82%B9.atom https://feeds.example.com/feeds/category/%E7%83%AD%E7%82%B9.json"; got != want {
		t.Errorf("subscribe links: got %q, want %q", got, want)
	}
	if !strings.Contains(page, `<a href="feeds.opml" type="text/x-opml">`) {
		t.Error("no OPML link")
	}
	if f := byID(doc, "filter"); f == nil || !hasAttr(f, "hidden") || byID(doc, "q") == nil {
		t.Error("no filter box hidden until the script shows it")
	}
	scripts := all(doc, "script")
	if len(scripts) != 1 || attr(scripts[0], "src") != "assets/feeds.js" || scripts[0].FirstChild != nil {
		t.Errorf("scripts: want one, assets/feeds.js, with no inline code")
	}
	if len(all(doc, "style")) != 0 {
		t.Error("an inline <style> element")
	}
}

func TestIndexPlural(t *testing.T) {
	s := testSite()
	s.Language = "en"
	var buf bytes.Buffer
	if err := Index(&buf, s, testFeeds(s)); err != nil {
		t.Fatal(err)
	}
	if page := buf.String(); strings.Contains(page, "1 items") || !strings.Contains(page, ">1 item ·") || !strings.Contains(page, ">2 items ·") {
		t.Errorf("plurals: %s", page)
	}
}

// TestIndexLarge checks that thousands of feeds make a page of a size a
// phone loads: a few hundred bytes a feed.
func TestIndexLarge(t *testing.T) {
	s := testSite()
	feeds := testFeeds(s)[:1]
	for i := range 2300 {
		feeds = append(feeds, &feed.Feed{Name: "tag/tag-" + itoa(i), Kind: feed.KindTag, Title: s.Title + " · tag " + itoa(i),
			Site: s, Updated: time.Unix(1.7e9, 0), Count: i % 60})
	}
	var buf bytes.Buffer
	if err := Index(&buf, s, feeds); err != nil {
		t.Fatal(err)
	}
	if per := buf.Len() / len(feeds); per > 450 {
		t.Errorf("%d bytes a feed, want at most 450", per)
	}
	if n := strings.Count(buf.String(), s.Title); n > 3 {
		t.Errorf("the site's title appears %d times; entries must not repeat it", n)
	}
	parse(t, buf.String())
}

func parse(t *testing.T, page string) *html.Node {
	t.Helper()
	if !strings.HasPrefix(page, "<!doctype html>\n") {
		t.Errorf("no doctype: %.40q", page)
	}
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	// Parse accepts anything; check what it would have had to repair.
	z := html.NewTokenizer(strings.NewReader(page))
	var open []string
	void := map[string]bool{"meta": true, "link": true, "input": true, "img": true, "br": true, "hr": true, "wbr": true, "col": true}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken:
			if !void[tok.Data] {
				open = append(open, tok.Data)
			}
		case html.EndTagToken:
			if len(open) == 0 || open[len(open)-1] != tok.Data {
				t.Fatalf("</%s> closes %v", tok.Data, open)
			}
			open = open[:len(open)-1]
		}
	}
	if len(open) != 0 {
		t.Errorf("unclosed elements: %v", open)
	}
	return doc
}

func find(n *html.Node, tag string) *html.Node {
	if n == nil {
		return nil
	}
	if n.Type == html.ElementNode && n.Data == tag {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, tag); f != nil {
			return f
		}
	}
	return nil
}

func all(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func byID(n *html.Node, id string) *html.Node {
	if n.Type == html.ElementNode && attr(n, "id") == id {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := byID(c, id); f != nil {
			return f
		}
	}
	return nil
}

func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func textOf(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}
