package content_test

import (
	"strings"
	"testing"

	"github.com/feedpub/feedpub/content"
	"golang.org/x/net/html"
)

// TestSanitizerPolicy shows the policy's effect, one rule per case: what a
// partner gets of each kind of markup.
func TestSanitizerPolicy(t *testing.T) {
	const base = "https://news.example.cn/2024/04/a.html"
	san, err := content.NewSanitizer([]string{"www.youtube-nocookie.com"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ rule, in, want string }{
		{"script dropped with its content", `<p>a<script>alert(1)</script>b</p>`, `<p>ab</p>`},
		{"style element dropped with its content", `<style>p{display:none}</style><p>x</p>`, `<p>x</p>`},
		{"event handlers dropped", `<p onclick="x()" onmouseover="y">t</p>`, `<p>t</p>`},
		{"event handler on an image dropped", `<img src="x.jpg" onerror="alert(1)">`, `<img src="https://news.example.cn/2024/04/x.jpg">`},
		{"javascript: link dropped, text kept", `<a href="javascript:alert(1)">t</a>`, ` t `},
		{"javascript: in any case", `<a href="JaVaScRiPt:alert(1)">t</a>`, ` t `},
		{"javascript: split by a tab reference", `<a href="java&#x09;script:alert(1)">t</a>`, ` t `},
		{"data: link dropped", `<a href="data:text/html,<script>x</script>">t</a>`, ` t `},
		{"data: image kept", `<img src="data:image/png;base64,iVBORw0KGgo=" alt="x">`, `<img src="data:image/png;base64,iVBORw0KGgo=" alt="x">`},
		{"mailto: kept", `<a href="mailto:x@example.com">m</a>`, `<a href="mailto:x@example.com">m</a>`},
		{"styles that move or hide dropped, alignment kept", `<p style="position:fixed;top:0;text-align:center">t</p>`, `<p style="text-align: center">t</p>`},
		{"display:none dropped", `<p style="display:none">t</p>`, `<p>t</p>`},
		{"colour and stacking dropped", `<a href="https://example.com/" style="color:white;z-index:9">t</a>`, `<a href="https://example.com/">t</a>`},
		{"class and id dropped", `<p class="hidden" id="main">t</p>`, `<p>t</p>`},
		{"target and rel dropped", `<a href="https://example.com/" target="_blank" rel="opener">t</a>`, `<a href="https://example.com/">t</a>`},
		{"iframe from another host dropped", `<iframe src="https://evil.example/x"></iframe>after`, `  after`},
		{"iframe from an allowed host kept", `<iframe src="https://www.youtube-nocookie.com/embed/x" width="560" height="315" allowfullscreen></iframe>`,
			`<iframe src="https://www.youtube-nocookie.com/embed/x" width="560" height="315" allowfullscreen=""></iframe>`},
		{"iframe from an allowed host over http dropped", `<iframe src="http://www.youtube-nocookie.com/embed/x"></iframe>`, `  `},
		{"iframe srcdoc dropped", `<iframe srcdoc="<script>x</script>" src="https://www.youtube-nocookie.com/embed/x"></iframe>`,
			`<iframe src="https://www.youtube-nocookie.com/embed/x"></iframe>`},
		{"relative links and images made absolute", `<a href="/rel/x?a=1&amp;b=2">r</a> <img src="img/a.jpg" alt="a"> <a href="//cdn.example/x">p</a> <a href="#top">f</a>`,
			`<a href="https://news.example.cn/rel/x?a=1&amp;b=2">r</a> <img src="https://news.example.cn/2024/04/img/a.jpg" alt="a"> <a href="https://cdn.example/x">p</a> <a href="#top">f</a>`},
		{"base and meta refresh dropped", `<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil.example/"><p>t</p>`, `  <p>t</p>`},
		{"svg dropped with its script", `<svg><script>alert(1)</script><text>t</text></svg>after`, `    after`},
		{"math dropped", `<math><mi>x</mi></math>after`, `    after`},
		{"forms dropped", `<form action="https://evil.example/"><input name="x" value="y"><button>go</button></form>after`, `     after`},
		{"object and embed dropped, what follows kept", `<object data="x.swf"><embed src="x.swf"></object>after`, `   after`},
		{"video kept without a javascript: poster", `<video src="https://media.example/v.mp4" controls poster="javascript:x"></video>`, `<video src="https://media.example/v.mp4" controls=""></video>`},
		{"quotes in text written as they are", `<p>"quoted" and 'single' &amp; &lt;tag&gt; &quot;q&quot;</p>`, `<p>"quoted" and 'single' &amp; &lt;tag&gt; "q"</p>`},
		{"references to forbidden characters dropped", `<p>a&#1;b&#0;c&#xFFFE;d</p>`, "<p>ab\uFFFDcd</p>"},
		{"CDATA ends and script ends escaped or dropped", `<p>]]&gt; </script> ]]></p>`, `<p>]]&gt;  ]]&gt;</p>`},
		{"named references written as characters", `<p>a&nbsp;&mdash;&ldquo;b&rdquo;</p>`, "<p>a\u00a0—“b”</p>"},
		{"unclosed elements closed", `<p>unclosed <b>bold`, `<p>unclosed <b>bold</b></p>`},
		{"stray end tags dropped", `<p>a</b></div>b</p></p>`, `<p>ab</p>`},
		{"misnested elements closed in order", `<b><i>x</b>y</i>`, `<b><i>x</i></b>y`},
		{"omitted end tags of list items written", `<ul><li>a<li>b</ul>`, `<ul><li>a</li><li>b</li></ul>`},
		{"a block ends an open paragraph", `<p>a<div>b</div>`, `<p>a</p><div>b</div>`},
		{"plain text as it is", `plain text, no markup`, `plain text, no markup`},
		{"a bare ampersand escaped", `plain & text`, `plain &amp; text`},
	} {
		t.Run(tt.rule, func(t *testing.T) {
			if got := san.HTML(tt.in, base); got != tt.want {
				t.Errorf("HTML(%q)\n got  %q\n want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestSanitizerFixedPoint: sanitised HTML sanitised again is the same, and
// parses with no element left open.
func TestSanitizerFixedPoint(t *testing.T) {
	san, err := content.NewSanitizer(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{
		`<p>a<b>b<i>c</p>d`, `<table><tr><td>a<td>b<tr><td>c</table>`, `<dl><dt>a<dd>b<dt>c</dl>`,
		`<ol start="3"><li>x</ol><p>"q" &amp; 'r'</p>`, `<blockquote cite="/x">q</blockquote>`,
	} {
		once := san.HTML(in, "https://example.com/a/")
		if twice := san.HTML(once, "https://example.com/a/"); twice != once {
			t.Errorf("HTML(%q) = %q, again %q", in, once, twice)
		}
		z := html.NewTokenizer(strings.NewReader(once))
		depth := 0
		for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
			name, _ := z.TagName()
			switch {
			case tt == html.StartTagToken && string(name) != "img" && string(name) != "br":
				depth++
			case tt == html.EndTagToken:
				depth--
			}
		}
		if depth != 0 {
			t.Errorf("HTML(%q) = %q leaves %d elements open", in, once, depth)
		}
	}
}

func TestSanitizerHosts(t *testing.T) {
	for _, bad := range []string{"", "https://www.youtube.com", "player.vimeo.com/video", "*.example.com", "a b"} {
		if _, err := content.NewSanitizer([]string{bad}); err == nil || !strings.Contains(err.Error(), "iframes") {
			t.Errorf("NewSanitizer(%q): got %v, want an error naming iframes", bad, err)
		}
	}
	san, err := content.NewSanitizer([]string{"Player.Vimeo.com"})
	if err != nil {
		t.Fatal(err)
	}
	in := `<iframe src="https://player.vimeo.com/video/1"></iframe><iframe src="https://player.vimeo.com.evil.example/x"></iframe>`
	if got, want := san.HTML(in, ""), `<iframe src="https://player.vimeo.com/video/1"></iframe>  `; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestParseSanitizes: Parse sanitises content and summary once, against
// the article's URL, before it derives the summary text.
func TestParseSanitizes(t *testing.T) {
	doc := []byte(`{"id":"x","url":"https://news.example.cn/2024/04/x.html","title":"t","published":"2024-04-27T13:57:56Z",
		"summary":"<p onclick=\"x\">摘要<script>steal()</script></p>",
		"content_html":"<p>正文 <a href=\"../y.html\">链接</a><iframe src=\"https://evil.example/\"></iframe><img src=\"/i.jpg\"></p>"}`)
	a, err := content.Parse("articles/x.json", doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<p>摘要</p>`; a.Summary != want {
		t.Errorf("got Summary %q, want %q", a.Summary, want)
	}
	if want := "摘要"; a.SummaryText != want {
		t.Errorf("got SummaryText %q, want %q", a.SummaryText, want)
	}
	if want := `<p>正文 <a href="https://news.example.cn/2024/y.html">链接</a>  <img src="https://news.example.cn/i.jpg"></p>`; a.ContentHTML != want {
		t.Errorf("got ContentHTML %q, want %q", a.ContentHTML, want)
	}
	if !a.Cleaned(a.ContentHTML) || !a.Cleaned(a.Summary) {
		t.Error("sanitised texts are not recorded as cleaned")
	}
	// A document whose only content is a script: nothing left to derive a
	// summary from, so it still needs its title.
	doc = []byte(`{"id":"y","url":"https://news.example.cn/y","published":"2024-04-27T13:57:56Z","content_html":"<script>x</script>"}`)
	if _, err := content.Parse("articles/y.json", doc, nil); err == nil || !strings.Contains(err.Error(), "title") {
		t.Errorf("got %v, want a rejection naming title", err)
	}
}

// FuzzSanitizer: whatever goes in, what comes out holds no element the
// policy drops, no event handler and no URL of another scheme, and leaves
// nothing open.
func FuzzSanitizer(f *testing.F) {
	for _, s := range []string{`<p>a<script>x</script></p>`, `<a href="javascript:x">t</a>`, `<img src=x onerror=alert(1)>`,
		`<svg><script>x</script></svg>`, `<iframe src="https://www.youtube-nocookie.com/embed/x">`, `<p style="position:fixed">`,
		`<a href="&#106;avascript:x">t</a>`, `<b><i>x</b>`, `<table><tr><td>a`, "<p>\x00\x01</p>", `<!-- c --><![CDATA[x]]>`,
		`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`, `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`} {
		f.Add(s)
	}
	san, err := content.NewSanitizer([]string{"www.youtube-nocookie.com"})
	if err != nil {
		f.Fatal(err)
	}
	dropped := map[string]bool{"script": true, "style": true, "svg": true, "math": true, "object": true, "embed": true,
		"form": true, "input": true, "base": true, "meta": true, "link": true, "noscript": true, "template": true}
	f.Fuzz(func(t *testing.T, in string) {
		out := san.HTML(in, "https://news.example.cn/a/")
		z := html.NewTokenizer(strings.NewReader(out))
		depth := 0
		for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
			tok := z.Token()
			switch tt {
			case html.StartTagToken, html.SelfClosingTagToken:
				if dropped[tok.Data] {
					t.Fatalf("HTML(%q) = %q keeps <%s>", in, out, tok.Data)
				}
				for _, a := range tok.Attr {
					v := strings.ToLower(strings.TrimSpace(a.Val))
					switch {
					case strings.HasPrefix(a.Key, "on"), a.Key == "srcdoc", a.Key == "class", a.Key == "id":
						t.Fatalf("HTML(%q) = %q keeps attribute %s", in, out, a.Key)
					case (a.Key == "href" || a.Key == "src" || a.Key == "cite") &&
						!(strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "mailto:") ||
							strings.HasPrefix(v, "#") || tok.Data == "img" && strings.HasPrefix(v, "data:image/")):
						t.Fatalf("HTML(%q) = %q keeps %s=%q", in, out, a.Key, a.Val)
					case a.Key == "src" && tok.Data == "iframe" && !strings.HasPrefix(v, "https://www.youtube-nocookie.com/"):
						t.Fatalf("HTML(%q) = %q keeps an iframe from %q", in, out, a.Val)
					}
				}
				if tt == html.StartTagToken && !map[string]bool{"img": true, "br": true, "hr": true, "wbr": true, "col": true}[tok.Data] {
					depth++
				}
			case html.EndTagToken:
				depth--
			}
		}
		if depth != 0 {
			t.Fatalf("HTML(%q) = %q leaves %d elements open", in, out, depth)
		}
	})
}
