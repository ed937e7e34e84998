package feed_test

// Benchmarks of the three renderers against github.com/gorilla/feeds v1.2.0,
// the library they replace. bench/renderers.sh runs them and prints the
// ratios; docs/benchmarks.md explains what is measured and the targets.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	gorillafeeds "github.com/gorilla/feeds"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/feed"
)

// benchBodyBytes is the size of every item's HTML body.
const benchBodyBytes = 2160

// benchFixture is one feed, built once, in both libraries' input types.
// ours is made directly, so every render escapes every text, as gorilla's
// does; planned is the same feed made by feed.Plan, whose renders share a
// per-build cache of escaped texts: after the first render they measure what
// the second and later feeds holding an article cost in a build.
type benchFixture struct {
	ours    *feed.Feed
	planned *feed.Feed
	gorilla *gorillafeeds.Feed
}

// benchImpl is one renderer under test: it writes the fixture in one format.
type benchImpl struct {
	name   string
	render func(w io.Writer, f *benchFixture) error
}

// benchFormat pairs our renderer and gorilla's for one format. gorilla is
// driven through its Write* methods, which stream to an io.Writer as ours do.
type benchFormat struct {
	name  string
	impls []benchImpl
}

var benchFormats = []benchFormat{
	{"rss", []benchImpl{
		{"feedpub", func(w io.Writer, f *benchFixture) error { return feed.RSS(w, f.ours) }},
		{"feedpub-planned", func(w io.Writer, f *benchFixture) error { return feed.RSS(w, f.planned) }},
		{"gorilla", func(w io.Writer, f *benchFixture) error { return f.gorilla.WriteRss(w) }},
	}},
	{"atom", []benchImpl{
		{"feedpub", func(w io.Writer, f *benchFixture) error { return feed.Atom(w, f.ours) }},
		{"feedpub-planned", func(w io.Writer, f *benchFixture) error { return feed.Atom(w, f.planned) }},
		{"gorilla", func(w io.Writer, f *benchFixture) error { return f.gorilla.WriteAtom(w) }},
	}},
	{"json", []benchImpl{
		{"feedpub", func(w io.Writer, f *benchFixture) error { return feed.JSON(w, f.ours) }},
		{"feedpub-planned", func(w io.Writer, f *benchFixture) error { return feed.JSON(w, f.planned) }},
		{"gorilla", func(w io.Writer, f *benchFixture) error { return f.gorilla.WriteJSON(w) }},
	}},
}

var (
	bench50      = sync.OnceValues(func() (*benchFixture, error) { return newBenchFixture(50, benchMarkup) })
	bench50Prose = sync.OnceValues(func() (*benchFixture, error) { return newBenchFixture(50, benchProse) })
	bench5000    = sync.OnceValues(func() (*benchFixture, error) { return newBenchFixture(5000, benchMarkup) })
)

// BenchmarkRender renders a 50-item feed (2,160-byte CJK HTML bodies dense
// with markup and entities, full text) in each format with each
// implementation, to io.Discard.
func BenchmarkRender(b *testing.B) { benchRender(b, bench50) }

// BenchmarkRenderProse is the same feed with prose bodies: long CJK
// paragraphs with little markup, the shape of most news articles.
func BenchmarkRenderProse(b *testing.B) { benchRender(b, bench50Prose) }

// BenchmarkRender5000 is the same with 5,000 items: a large-feed row.
// bench/renderers.sh runs it with -benchtime 1x (one render per run).
func BenchmarkRender5000(b *testing.B) { benchRender(b, bench5000) }

func benchRender(b *testing.B, fixture func() (*benchFixture, error)) {
	f, err := fixture()
	if err != nil {
		b.Fatal(err)
	}
	for _, bf := range benchFormats {
		for _, impl := range bf.impls {
			b.Run("format="+bf.name+"/impl="+impl.name, func(b *testing.B) {
				size := checkBenchOutput(b, f, impl)
				b.SetBytes(size)
				b.ReportAllocs()
				for b.Loop() {
					if err := impl.render(io.Discard, f); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(size), "out-B")
			})
		}
	}
}

// TestBenchFixture keeps the benchmarks honest in every test run: each
// implementation's output of the 50-item fixture carries every item and the
// full text, so that both sides of a ratio do the same work.
func TestBenchFixture(t *testing.T) {
	for name, fixture := range map[string]func() (*benchFixture, error){"markup": bench50, "prose": bench50Prose} {
		t.Run(name, func(t *testing.T) { testBenchFixture(t, fixture) })
	}
}

func testBenchFixture(t *testing.T, fixture func() (*benchFixture, error)) {
	f, err := fixture()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(f.gorilla.Items); got != len(f.ours.Items) {
		t.Fatalf("got %d gorilla items, want %d", got, len(f.ours.Items))
	}
	// The planned feed renders the same bytes, from its cache or not.
	for _, render := range []func(io.Writer, *feed.Feed) error{feed.RSS, feed.Atom, feed.JSON} {
		var direct, planned bytes.Buffer
		for range 2 { // the second render of the planned feed reads the cache
			direct.Reset()
			planned.Reset()
			if err := render(&direct, f.ours); err != nil {
				t.Fatal(err)
			}
			if err := render(&planned, f.planned); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(direct.Bytes(), planned.Bytes()) {
				t.Fatalf("got different output from the planned feed (%d bytes) and the direct one (%d bytes)", planned.Len(), direct.Len())
			}
		}
	}
	for _, bf := range benchFormats {
		for _, impl := range bf.impls {
			t.Run(bf.name+"/"+impl.name, func(t *testing.T) {
				if size := checkBenchOutput(t, f, impl); size < int64(len(f.ours.Items)*benchBodyBytes) {
					t.Errorf("got %d bytes of output, want at least the %d bytes of the bodies", size, len(f.ours.Items)*benchBodyBytes)
				}
			})
		}
	}
}

// checkBenchOutput renders once, outside the timed loop, and checks that the
// output carries every item (by its title) and the full text of the newest
// one, so that both sides are measured doing the same work. It returns the
// output size for b.SetBytes.
func checkBenchOutput(b testing.TB, f *benchFixture, impl benchImpl) int64 {
	b.Helper()
	var buf bytes.Buffer
	if err := impl.render(&buf, f); err != nil {
		b.Fatalf("%s: %v", impl.name, err)
	}
	out := buf.String()
	for _, a := range f.ours.Items {
		if !strings.Contains(out, a.Title) {
			b.Fatalf("%s: output lacks the title %q", impl.name, a.Title)
		}
	}
	// A run of the body that needs no escaping in any format.
	marker := f.ours.Items[0].Title + "】全文"
	if n := strings.Count(out, marker); n != 1 {
		b.Fatalf("%s: got the newest item's full text %d times, want once", impl.name, n)
	}
	return int64(buf.Len())
}

// newBenchFixture builds n articles the way a build does (content.Parse of
// article documents) and the equivalent gorilla feed: same titles, links,
// ids, summaries, full HTML content, authors and dates. gorilla's Item has a
// single Author, so it gets the two names joined. The bodies are made of
// blocks.
func newBenchFixture(n int, blocks []string) (*benchFixture, error) {
	site := &feed.Site{
		Title:       "蓝影头条 · Lanying News",
		Description: "蓝影头条的热点、经济、科技、文化与体育新闻,以及来自世界各地的多语种报道。",
		URL:         "https://news.example.cn/",
		BaseURL:     "https://news.example.cn",
		Language:    "zh-CN",
		TimeZone:    "Asia/Shanghai",
		Author:      content.Author{Name: "蓝影头条编辑部", Email: "desk@news.example.cn", URL: "https://news.example.cn/about"},
		Rights:      "© 2024 蓝影头条",
		Image:       "https://news.example.cn/logo.png",
		Limit:       n,
		FullText:    true,
		TTL:         30,
		Feeds:       feed.Sets{Site: true},
		Location:    time.UTC,
	}
	// The blocks as Parse keeps them (sanitised: entities written as the
	// characters), so that every body is benchBodyBytes long once parsed.
	san, err := content.NewSanitizer(nil)
	if err != nil {
		return nil, err
	}
	kept := make([]string, len(blocks))
	for i, b := range blocks {
		kept[i] = san.HTML(b, "")
	}
	blocks = kept
	items := make([]*content.Article, n)
	for i := range items {
		doc, err := json.Marshal(benchDocument(i, blocks))
		if err != nil {
			return nil, fmt.Errorf("bench article %d: %w", i, err)
		}
		a, err := content.Parse(fmt.Sprintf("articles/bench-%05d.json", i), doc, time.UTC)
		if err != nil {
			return nil, fmt.Errorf("bench article %d: %w", i, err)
		}
		if len(a.ContentHTML) != benchBodyBytes {
			return nil, fmt.Errorf("bench article %d: got a %d-byte body, want %d", i, len(a.ContentHTML), benchBodyBytes)
		}
		items[i] = a
	}
	ours := &feed.Feed{Name: "index", Kind: feed.KindSite, Title: site.Title, Site: site, Items: items, Updated: items[0].Updated}
	planned := feed.Plan(site, items)
	if len(planned) != 1 || len(planned[0].Items) != n {
		return nil, fmt.Errorf("bench plan: got %d feeds, want one index feed of %d items", len(planned), n)
	}

	g := &gorillafeeds.Feed{
		Title:       site.Title,
		Link:        &gorillafeeds.Link{Href: site.URL},
		Description: site.Description,
		Author:      &gorillafeeds.Author{Name: site.Author.Name, Email: site.Author.Email},
		Updated:     ours.Updated,
		Id:          ours.ID(),
		Copyright:   site.Rights,
		Image:       &gorillafeeds.Image{Url: site.Image, Title: site.Title, Link: site.URL},
	}
	for _, a := range items {
		names := make([]string, len(a.Authors))
		for j, au := range a.Authors {
			names[j] = au.Name
		}
		g.Add(&gorillafeeds.Item{
			Title:       a.Title,
			Link:        &gorillafeeds.Link{Href: a.URL},
			Author:      &gorillafeeds.Author{Name: strings.Join(names, ", "), Email: a.Authors[0].Email},
			Description: a.Summary,
			Id:          feed.ItemID(site, a),
			IsPermaLink: "false",
			Created:     a.Published,
			Updated:     a.Updated,
			Content:     a.ContentHTML,
		})
	}
	return &benchFixture{ours: ours, planned: planned[0], gorilla: g}, nil
}

var (
	benchCategories = []string{"热点", "经济", "科技", "文化", "体育"}
	benchTags       = []string{"辽阳", "振兴", "营商环境", "数字经济", "新能源", "航天", "足球", "非遗"}
	benchAuthors    = []string{"郑有胜", "许刚", "王晓梅", "李娜", "陈建国", "刘洋"}
)

// benchDocument is article i as its publisher's JSON document, newest first.
func benchDocument(i int, blocks []string) map[string]any {
	published := time.Date(2024, 4, 27, 21, 57, 56, 0, time.UTC).Add(-time.Duration(i) * 37 * time.Minute)
	title := fmt.Sprintf("第%d期:奋力谱写辽阳全面振兴全方位振兴新篇章(%s)", i+1, benchCategories[i%len(benchCategories)])
	return map[string]any{
		"id":    fmt.Sprintf("bench-%05d", i),
		"url":   fmt.Sprintf("https://news.example.cn/2024/04/%05d.html", i),
		"title": title,
		"summary": fmt.Sprintf(`<p>辽阳市坚持把<strong>产业数字化</strong>、数字产业化作为产业结构调整的突破口 &amp; 第%d期要闻&hellip;</p>`,
			i+1),
		"content_html": benchBody(i, title, blocks),
		"authors": []map[string]string{
			{"name": benchAuthors[i%len(benchAuthors)], "email": fmt.Sprintf("author%d@news.example.cn", i%len(benchAuthors))},
			{"name": benchAuthors[(i+1)%len(benchAuthors)]},
		},
		"categories": []string{benchCategories[i%len(benchCategories)]},
		"tags":       []string{benchTags[i%len(benchTags)], benchTags[(i+3)%len(benchTags)]},
		"published":  published.Format(time.RFC3339),
		"updated":    published.Add(2 * time.Hour).Format(time.RFC3339),
	}
}

// benchMarkup are the pieces of a body dense with markup: short CJK
// paragraphs mixed with links, lists, attributes and entities, one byte in
// seventeen to escape.
var benchMarkup = []string{
	`<p>辽阳市坚持把产业数字化、数字产业化作为产业结构调整的突破口,推动<strong>传统产业</strong>转型升级,培育壮大新兴产业。</p>`,
	`<p>“我们要把营商环境当作生命线来抓,”市委负责同志说,&ldquo;让企业安心发展&rdquo;。</p>`,
	`<p><a href="https://news.example.cn/2024/04/liaoyang.html?from=feed&amp;utm_source=rss" title="辽阳 &quot;振兴&quot; 专题">详见专题报道</a>,数据来源:市统计局 &amp; 发改委。</p>`,
	`<blockquote><p>一季度全市地区生产总值同比增长 5.2%,规模以上工业增加值增长 7.8%&nbsp;&mdash;&nbsp;高于全省平均水平。</p></blockquote>`,
	`<ul><li>新能源汽车零部件产业园&#xff1a;签约项目 12 个</li><li>数字经济产业园:入驻企业 &gt; 80 家</li><li>营商环境指数 &lt; 全省前三</li></ul>`,
	`<p><img src="https://img.example.cn/liaoyang/2024/0427.jpg" alt="辽阳首山经济开发区的生产线" width="640" height="360"><em>图为首山经济开发区的一条智能化生产线。</em></p>`,
	`<h3>科技创新驱动高质量发展</h3><p>围绕“专精特新”培育梯队,全市已有国家级专精特新“小巨人”企业 9 家,省级 126 家。</p>`,
	`<p>文化和旅游深度融合,<code>白塔公园</code>、东京城遗址等景区接待游客人次同比增长 31%。</p>`,
}

// benchProse are the pieces of a prose body: long CJK paragraphs with a
// little markup, as in most news articles (one byte in fifty to escape).
var benchProse = []string{
	`<p>近年来,辽阳市坚持以新发展理念为引领,全面贯彻落实重大决策部署和工作要求,切实扛起维护国家安全的政治使命,笃定实干,聚力建设现代化产业体系,深入实施项目落地年、工业突破年、营商环境提升年等专项行动,全力打造营商环境好、创新能力强、区域格局优、生态环境美的宜居宜业新辽阳。</p>`,
	`<p>辽阳市坚持把产业数字化、数字产业化作为产业结构调整的突破口,推动<strong>传统产业</strong>转型升级,培育壮大新兴产业,一季度全市地区生产总值同比增长5.2%,规模以上工业增加值增长7.8%,高于全省平均水平。</p>`,
	`<p>“我们要把营商环境当作生命线来抓。”市委负责同志表示,将持续深化改革,让企业安心发展、放心投资,详见<a href="https://news.example.cn/2024/04/liaoyang.html?from=feed&amp;utm_source=rss">专题报道</a>。</p>`,
	`<p>围绕专精特新培育梯队,全市已有国家级专精特新小巨人企业9家,省级126家,文化和旅游深度融合,白塔公园、东京城遗址等景区接待游客人次同比增长31%,百姓获得感、幸福感、安全感不断提升。</p>`,
}

// benchBody is a benchBodyBytes-long HTML body for article i: a heading that
// names the article (the full-text marker checkBenchOutput looks for), blocks
// in an order that varies with i, and a CJK paragraph that fills to size.
func benchBody(i int, title string, blocks []string) string {
	var b strings.Builder
	b.WriteString("<h2>【" + title + "】全文</h2>")
	for k := 0; ; k++ {
		block := blocks[(i+k)%len(blocks)]
		if b.Len()+len(block)+len("<p>。。。</p>") > benchBodyBytes {
			break
		}
		b.WriteString(block)
	}
	fill := benchBodyBytes - b.Len() - len("<p></p>")
	b.WriteString("<p>")
	const filler = "振兴发展新篇章"
	for j := 0; j < fill/3; j++ {
		r := []rune(filler)[(i+j)%len([]rune(filler))]
		b.WriteRune(r)
	}
	b.WriteString(strings.Repeat(".", fill%3))
	b.WriteString("</p>")
	return b.String()
}
