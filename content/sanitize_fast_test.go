package content

import (
	"strings"
	"testing"
)

// FuzzSanitizerSettled holds the fast path to the policy: whatever fast
// takes, it makes what the policy (bluemonday, then finish) makes.
func FuzzSanitizerSettled(f *testing.F) {
	for _, s := range []string{
		`<p>text &amp; more</p>`, `<p><a href="https://example.com/a?b=1">x</a></p>`,
		`<figure><img src="https://img.example.com/a.jpg" alt="图" width="640" height="360"><figcaption>c</figcaption></figure>`,
		`<ul><li>a</li><li>b</li></ul>`, `<p>a<br>b</p>`, `<p>x</p >`, `<p>"q" 'r'</p>`, `<a href="https://example.com/a b">x</a>`,
		`<a href="https://EXAMPLE.com/%7e">x</a>`, `<img src="https://x/" alt="a" alt="b">`, `<p><p>x</p></p>`, `<b><i>x</b></i>`,
		`<table><tr><td>x</td></tr></table>`, `<p>&lt;script&gt;</p>`, `<span>x</span>`, `<div>x</div>`,
		`<p>&mdash;&ldquo;x&rdquo;&nbsp;&#8212;&#x4e2d;&#1;&#0;&quot;&apos;&#39;</p>`, `<p>a > b</p>`, `<p>&amp;amp;</p>`,
		`<p>&notit;</p>`, `<p>&ampx;</p>`, `<p>&#x110000;</p>`, `<p>&#xD800;</p>`, `<p>&NotNestedLessLess;</p>`,
	} {
		f.Add(s)
	}
	san, err := NewSanitizer(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		in = Clean(in) // as Parse hands it over
		fast, ok := san.fast(in)
		if !ok {
			return
		}
		if slow := san.slow(in, "https://news.example.cn/a/"); fast != slow {
			t.Fatalf("fast(%q) = %q, the policy makes it %q", in, fast, slow)
		}
	})
}

// TestSanitizerSettledCommon: the HTML most articles are written with
// takes the fast path, and what needs the policy does not.
func TestSanitizerSettledCommon(t *testing.T) {
	san, err := NewSanitizer(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{
		`<p>“引号” &amp; 'quotes' "too"</p><p><strong>粗</strong> <em>斜</em> <a href="https://news.example.cn/2024/04/x.html?a=1&amp;b=2">链接</a></p>`,
		`<figure><img src="https://img.example.cn/a.jpg" alt="辽阳" width="880"><figcaption>图 © 新华社</figcaption></figure><ul><li>一</li><li>二</li></ul>`,
		`<h2>小标题</h2><blockquote><p>引文</p></blockquote><p>a<br>b</p>`,
	} {
		if _, ok := san.fast(in); !ok {
			t.Errorf("fast(%q) refused, want the fast path", in)
		}
	}
	for _, in := range []string{
		`<p onclick="x">t</p>`, `<script>x</script>`, `<a href="javascript:x">t</a>`, `<a href="/relative">t</a>`,
		`<p>&nbsp</p>`, `<p>a < b</p>`, `<p>open`, `<p class="c">t</p>`, `<img src="https://x/a.jpg" onerror="y">`,
		`<iframe src="https://www.youtube-nocookie.com/embed/x"></iframe>`, "<p>a\rb</p>", `<!-- c --><p>t</p>`,
		`<a href='https://example.com/'>t</a>`, `<P>t</P>`, `<p><ul><li>x</li></ul></p>`,
	} {
		if _, ok := san.fast(in); ok {
			t.Errorf("fast(%q) took it, want the policy to read it", in)
		}
		if strings.Contains(in, "onclick") && strings.Contains(san.HTML(in, ""), "onclick") {
			t.Errorf("HTML(%q) keeps onclick", in)
		}
	}
}
