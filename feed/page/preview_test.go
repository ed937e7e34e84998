package page

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/feedpub/feedpub/feed"
)

// hostile is article HTML that tries everything the policy forbids.
const hostile = `<p onclick="steal()">Hello <b>world</b> <script>alert(1)</script>` +
	`<a href="javascript:alert(2)">js</a> <a href="/about?a=1&amp;b=2" target="_blank">rel</a> ` +
	`<a href="https://other.example/x" title="t">abs</a> <a href="#n">frag</a></p>` +
	`<img src="pic.png" onerror="alert(3)" width="10" height="x" alt="a &quot;b&quot;">` +
	`<iframe src="https://evil.example/"></iframe><style>body{display:none}</style>` +
	`<p style="color:red" class="c" id="filter">styled</p><form action="/x"><input name="q"></form>` +
	`<ruby>漢<rp>(</rp><rt>かん</rt><rp>)</rp></ruby><object data="x"></object>` +
	`<svg onload="alert(4)"><circle/></svg><img src="data:image/png;base64,iVBORw0KGgo=">` +
	`<a href="vbscript:x">vb</a><img src="//cdn.example/y.png"><p dir="rtl" lang="ar">مرحبا</p>`

func TestCleanerHTML(t *testing.T) {
	c := NewCleaner(1 << 20)
	got := c.HTML("id1", "https://news.example.cn/tech/2024/a.html", hostile)
	for _, bad := range []string{"<script", "alert(", "onclick", "onerror", "onload", "javascript:", "vbscript:", "<iframe", "<style",
		"style=", "class=", "id=", "<form", "<input", "<object", "<svg", "target=", "display:none"} {
		if strings.Contains(got, bad) {
			t.Errorf("sanitised HTML holds %q:\n%s", bad, got)
		}
	}
	for _, want := range []string{
		"<b>world</b>",
		`<a href="https://news.example.cn/about?a=1&amp;b=2" rel="nofollow">rel</a>`,
		`<a href="https://other.example/x" title="t" rel="nofollow">abs</a>`,
		`<a href="#n" rel="nofollow">frag</a>`,
		`<img loading="lazy" src="https://news.example.cn/tech/2024/pic.png" width="10" alt="a &#34;b&#34;">`,
		`<ruby>漢<rp>(</rp><rt>かん</rt><rp>)</rp></ruby>`,
		`<img loading="lazy" src="data:image/png;base64,iVBORw0KGgo=">`,
		`<img loading="lazy" src="https://cdn.example/y.png">`,
		`<p dir="rtl" lang="ar">مرحبا</p>`,
		"<p>styled</p>",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("sanitised HTML lacks %s:\n%s", want, got)
		}
	}
	if again := c.HTML("id1", "https://news.example.cn/tech/2024/a.html", hostile); again != got {
		t.Error("the memo returned something else the second time")
	}
}

// TestCleanerMemo checks that the memo is bounded, forgets the oldest
// first, and sanitises each item once, from many goroutines at once.
func TestCleanerMemo(t *testing.T) {
	c := NewCleaner(10 << 10)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				html := fmt.Sprintf("<p>item %d <b>bold</b></p>", (i+g)%50)
				if got := c.HTML(fmt.Sprint((i+g)%50), "https://x.example/", html); got != html {
					t.Errorf("got %q, want %q", got, html)
					return
				}
			}
		}()
	}
	wg.Wait()
	c.mu.Lock()
	size, n := c.size, len(c.memo)
	c.mu.Unlock()
	if size > 10<<10 || n != len(c.order) || n == 0 {
		t.Errorf("memo: %d bytes, %d entries, %d in order; want at most 10 KiB and the two in step", size, n, len(c.order))
	}
	small := NewCleaner(300)
	for i := range 10 {
		small.HTML(fmt.Sprint(i), "", fmt.Sprintf("<p>%d</p>", i))
	}
	if _, ok := small.memo[small.order[len(small.order)-1]]; !ok || len(small.memo) >= 10 {
		t.Errorf("a 300-byte memo keeps %d of 10 items", len(small.memo))
	}
	for _, k := range small.order {
		if k.id == "0" {
			t.Error("the oldest item is still remembered")
		}
	}
}

func testJSONFeed(t testing.TB, items int, content string) []byte {
	type author struct {
		Name string `json:"name"`
	}
	type item struct {
		ID            string   `json:"id"`
		URL           string   `json:"url"`
		Title         string   `json:"title"`
		ContentHTML   string   `json:"content_html,omitempty"`
		Summary       string   `json:"summary,omitempty"`
		Image         string   `json:"image,omitempty"`
		DatePublished string   `json:"date_published"`
		Authors       []author `json:"authors,omitempty"`
		Tags          []string `json:"tags,omitempty"`
		Language      string   `json:"language,omitempty"`
	}
	doc := struct {
		Version     string `json:"version"`
		Title       string `json:"title"`
		HomePageURL string `json:"home_page_url"`
		Description string `json:"description"`
		Items       []item `json:"items"`
	}{"https://jsonfeed.org/version/1.1", "Evil <script> · 热点", "https://news.example.cn/", `Desc "x" & <y>`, []item{}}
	for i := range items {
		it := item{ID: fmt.Sprintf("urn:uuid:%d", i), URL: fmt.Sprintf("https://news.example.cn/a/%d.html", i),
			Title: fmt.Sprintf(`标题 %d <script>alert("x")</script> & 'q'`, i), ContentHTML: content,
			DatePublished: "2024-05-16T12:00:00Z", Authors: []author{{"佐藤 美咲"}, {`O'Brien "Ed" <ed>`}}, Tags: []string{"热点", "<t>"}}
		if i == 1 {
			it.ContentHTML, it.Summary, it.Image, it.Language = "", "Only a <summary> & text", "https://img.example/1.jpg", "ar"
		}
		if i == 2 {
			it.URL, it.Image = "javascript:alert(1)", "javascript:alert(2)"
		}
		doc.Items = append(doc.Items, it)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestPreview(t *testing.T) {
	s := testSite()
	f := &feed.Feed{Name: "category/热点", Kind: feed.KindCategory, Title: s.Title + " · 热点", Site: s}
	var buf bytes.Buffer
	if err := Preview(&buf, f, testJSONFeed(t, 3, hostile), NewCleaner(1<<20)); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	doc := parse(t, page)
	if got := attr(find(doc, "html"), "lang"); got != "zh-CN" {
		t.Errorf("lang: got %q", got)
	}
	if find(doc, "meta") == nil || !strings.Contains(page, `<meta name="viewport" content="width=device-width, initial-scale=1">`) {
		t.Error("no viewport")
	}
	if got, want := textOf(find(doc, "h1")), "热点"; got != want {
		t.Errorf("h1: got %q, want %q", got, want)
	}
	if got := attr(find(doc, "link"), "href"); got != "../../assets/feeds.css" {
		t.Errorf("style sheet: got %q, want ../../assets/feeds.css", got)
	}
	if got := attr(find(find(doc, "header"), "a"), "href"); got != "../../index.html" {
		t.Errorf("back to the index: got %q", got)
	}
	if got := attr(byID(doc, "u"), "value"); got != "https://feeds.example.com/feeds/category/%E7%83%AD%E7%82%B9.rss" {
		t.Errorf("feed URL to copy: got %q", got)
	}
	arts := all(doc, "article")
	if len(arts) != 3 {
		t.Fatalf("%d articles, want 3", len(arts))
	}
	h := find(arts[0], "h2")
	if got, want := textOf(h), `标题 0 <script>alert("x")</script> & 'q'`; got != want {
		t.Errorf("item title: got %q, want %q", got, want)
	}
	if got := attr(find(h, "a"), "href"); got != "https://news.example.cn/a/0.html" {
		t.Errorf("item link: got %q", got)
	}
	if got := textOf(find(arts[0], "p")); got != `2024-05-16 20:00 · 佐藤 美咲, O'Brien "Ed" <ed>` {
		t.Errorf("date and authors: got %q", got)
	}
	if got := textOf(find(arts[1], "div")); got != "Only a <summary> & text" {
		t.Errorf("summary: got %q", got)
	}
	if img := find(arts[1], "img"); attr(img, "src") != "https://img.example/1.jpg" || attr(img, "loading") != "lazy" {
		t.Errorf("image: %v", img)
	}
	if attr(arts[1], "lang") != "ar" || attr(arts[1], "dir") != "rtl" {
		t.Errorf("an Arabic item on a Chinese site: lang %q dir %q", attr(arts[1], "lang"), attr(arts[1], "dir"))
	}
	if find(find(arts[2], "h2"), "a") != nil {
		t.Error("a javascript: URL became a link")
	}

	for _, bad := range []string{"javascript:", "onerror", "<iframe", "style=", "<script>", "<t>"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %q", bad)
		}
	}
	var empty bytes.Buffer
	if err := Preview(&empty, f, []byte(`{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[]}`), NewCleaner(0)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(empty.String(), "<p>暂无文章。</p>") {
		t.Error("an empty feed does not say so")
	}
	parse(t, empty.String())
	if err := Preview(&empty, f, []byte(`{"items":`), NewCleaner(0)); err == nil {
		t.Error("a broken JSON feed: no error")
	}
}

// cjkArticle is a full-text article of some 3 KB of Chinese.
var cjkArticle = strings.Repeat(`<p>6月17日,广东省防汛部门将防汛应急响应提升至Ⅲ级。梅州、韶关等地累计降雨量超过300毫米,`+
	`部分乡镇出现内涝。<strong>主要道路已恢复通行</strong>,出行前请查询<a href="/service/weather-alerts">预警信息</a>。</p>`+
	`<p><img src="https://img.example.cn/flood.jpg" alt="防汛" width="640" height="360"></p>`, 8)

// BenchmarkPreview renders the preview of a 50-item full-text CJK feed:
// "fresh" sanitises every item (the first feed an article is in), "memo"
// finds them sanitised (the next feeds the article is in).
func BenchmarkPreview(b *testing.B) {
	s := testSite()
	f := &feed.Feed{Name: "index", Kind: feed.KindSite, Title: s.Title, Site: s}
	data := testJSONFeed(b, 50, cjkArticle)
	for _, memo := range []bool{false, true} {
		name := "fresh"
		if memo {
			name = "memo"
		}
		b.Run(name, func(b *testing.B) {
			c := NewCleaner(64 << 20)
			var buf bytes.Buffer
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if !memo {
					c = NewCleaner(64 << 20)
				}
				buf.Reset()
				if err := Preview(&buf, f, data, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
