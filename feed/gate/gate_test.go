package gate_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/feed"
	"github.com/feedpub/feedpub/feed/feedcheck"
	"github.com/feedpub/feedpub/feed/gate"
	"github.com/feedpub/feedpub/feed/layout"
)

func testSite(t testing.TB) *feed.Site {
	t.Helper()
	s, err := feed.ParseSite([]byte("title: 蓝影头条\nurl: https://news.example.cn/\nbase_url: https://feeds.example.cn\nlanguage: zh-CN\nfull_text: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testArticles(t testing.TB, n int) []*content.Article {
	t.Helper()
	var out []*content.Article
	for i := range n {
		doc := `{"id":"a-` + string(rune('a'+i)) + `","url":"https://news.example.cn/a.html","title":"标题 ]]> & <x>","published":"2024-04-27T13:57:56Z",
			"summary":"<p>摘要 &amp; \"引号\"</p>","content_html":"<p>正文<script>x</script><a href=\"/b\">链接</a></p>","tags":["标签"],"authors":[{"name":"作者"}]}`
		a, err := content.Parse("articles/a.json", []byte(doc), nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// render returns feed f's items in format i, its envelope and document.
func render(t testing.TB, i int, f *feed.Feed, arts []*content.Article) (items [][]byte, envelope, doc []byte) {
	t.Helper()
	for _, a := range arts {
		items = append(items, feed.RenderItems(f.Site, a)[i])
	}
	var env, full bytes.Buffer
	if err := feed.Assemble(&env, i, f, nil); err != nil {
		t.Fatal(err)
	}
	if err := feed.Assemble(&full, i, f, items); err != nil {
		t.Fatal(err)
	}
	return items, env.Bytes(), full.Bytes()
}

// TestRenderedFeedsPass: what the renderers make passes the gate, in
// every format, with no item, one and several.
func TestRenderedFeedsPass(t *testing.T) {
	site := testSite(t)
	for n := range 4 {
		arts := testArticles(t, n)
		f := &feed.Feed{Name: "index", Kind: feed.KindSite, Title: site.Title, Site: site, Items: arts, Updated: time.Unix(1714226276, 0).UTC()}
		for i, ext := range layout.Exts {
			items, env, doc := render(t, i, f, arts)
			for _, it := range items {
				if err := gate.Item(ext, it); err != nil {
					t.Errorf("%s item: %v\n%s", ext, err, it)
				}
			}
			if err := gate.Feed(ext, env, doc, items); err != nil {
				t.Errorf("%s feed of %d items: %v\n%s", ext, n, err, doc)
			}
		}
	}
}

// TestGateRefuses: each kind of broken output is refused, with a reason.
func TestGateRefuses(t *testing.T) {
	site := testSite(t)
	arts := testArticles(t, 2)
	f := &feed.Feed{Name: "index", Kind: feed.KindSite, Title: site.Title, Site: site, Items: arts, Updated: time.Unix(1714226276, 0).UTC()}
	items, env, doc := render(t, 1, f, arts)
	for _, tt := range []struct {
		name, format, item, want string
	}{
		{"unescaped ampersand", "rss", "<item><title>a & b</title></item>", "reference"},
		{"unknown entity", "rss", "<item><title>&nbsp;</title></item>", "five entities"},
		{"control character", "rss", "<item><title>a\x01b</title></item>", "control character"},
		{"character reference to NUL", "rss", "<item><title>&#0;</title></item>", "forbids"},
		{"U+FFFE", "rss", "<item><title>a\uFFFEb</title></item>", "U+FFFE"},
		{"CDATA end in text", "rss", "<item><title>a ]]> b</title></item>", `"]]>"`},
		{"unclosed element", "rss", "<item><title>a</item>", "end tag"},
		{"misnested", "rss", "<item><title><b></title></b></item>", "end tag"},
		{"duplicate attribute", "atom", `<entry><id>x</id><title type="text" type="html">t</title><updated>2024-01-01T00:00:00Z</updated></entry>`, "twice"},
		{"unquoted attribute", "atom", `<entry><id>x</id><title type=text>t</title><updated>2024-01-01T00:00:00Z</updated></entry>`, "not quoted"},
		{"lt in attribute", "atom", `<entry><id>x</id><link href="a<b"/><title>t</title><updated>2024-01-01T00:00:00Z</updated></entry>`, `"<"`},
		{"invalid UTF-8", "rss", "<item><title>\xff</title></item>", "UTF-8"},
		{"RSS item without title or description", "rss", "<item><link>https://x/</link></item>", "neither title nor description"},
		{"two items in one", "rss", "<item><title>a</title></item><item><title>b</title></item>", "want one item"},
		{"text outside the item", "rss", "x<item><title>a</title></item>", "outside"},
		{"Atom entry without id", "atom", "<entry><title>t</title><updated>2024-01-01T00:00:00Z</updated></entry>", "0 id"},
		{"Atom entry with two titles", "atom", "<entry><id>x</id><title>t</title><title>u</title><updated>2024-01-01T00:00:00Z</updated></entry>", "2 title"},
		{"Atom entry with two contents", "atom", "<entry><id>x</id><title>t</title><updated>u</updated><content>a</content><content>b</content></entry>", "at most one"},
		{"a DOCTYPE", "rss", "<!DOCTYPE x [<!ENTITY e 'x'>]><item><title>&e;</title></item>", "declaration"},
		{"JSON item that is not JSON", "json", `{"id":"x",}`, "not valid JSON"},
		{"JSON item without id", "json", `{"content_html":"x"}`, "without an id"},
		{"JSON item without content", "json", `{"id":"x","title":"t"}`, "neither content_html"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := gate.Item(tt.format, []byte(tt.item))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Item(%q): got %v, want an error saying %q", tt.item, err, tt.want)
			}
		})
	}
	t.Run("feed is not its envelope and items", func(t *testing.T) {
		broken := bytes.Replace(doc, []byte("<feed"), []byte("<feed data-x=\"1\""), 1)
		if err := gate.Feed("atom", env, broken, items); err == nil {
			t.Error("got no error for a feed that differs from its envelope")
		}
		if err := gate.Feed("atom", env, doc, items[:1]); err == nil {
			t.Error("got no error for a feed holding an item it was not given")
		}
	})
	t.Run("broken envelope", func(t *testing.T) {
		badEnv := bytes.Replace(env, []byte("<id>"), []byte("<id>&bad;"), 1)
		badDoc := bytes.Replace(doc, []byte("<id>"), []byte("<id>&bad;"), 1)
		if err := gate.Feed("atom", badEnv, badDoc, items); err == nil {
			t.Error("got no error for an envelope with an unknown entity")
		}
	})
	t.Run("items outside the list", func(t *testing.T) {
		jsonItems, jenv, _ := render(t, 2, f, arts)
		// The items put after the list instead of in it.
		at := bytes.LastIndex(jenv, []byte("]"))
		moved := bytes.Join([][]byte{jenv[:at+1], {','}, jsonItems[0], jenv[at+1:]}, nil)
		if err := gate.Feed("json", jenv, moved, jsonItems[:1]); err == nil {
			t.Errorf("got no error for items outside the list: %s", moved)
		}
	})
}

// FuzzXMLAgreesWithEncodingXML: whatever the gate's checker accepts as a
// document, encoding/xml in strict mode reads to the end with one root.
func FuzzXMLAgreesWithEncodingXML(f *testing.F) {
	for _, s := range []string{`<a/>`, `<a b="1">x&amp;y</a>`, `<?xml version="1.0"?><a><![CDATA[x]]></a>`, `<a><!-- c --></a>`,
		`<a>&#x10FFFF;</a>`, `<a>]]></a>`, `<a xmlns:x="u"><x:b x:c="d"/></a>`, "<a>\u00e9\u4e2d</a>", `<?xml version="1.0" encoding="UTF-8"?>` + "\n<rss/>\n",
		`<a><?pi x?></a>`, `<a b='1' c="2"/>`, `<é/>`, `<a>&#38;#60;</a>`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if gate.XML(b) != nil {
			return
		}
		if err := feedcheck.WellFormed(b); err != nil {
			t.Fatalf("the gate accepts %q, encoding/xml refuses it: %v", b, err)
		}
	})
}

// FuzzItem: an item the gate accepts parses strictly in a root element.
func FuzzItem(f *testing.F) {
	f.Add("rss", []byte("<item><title>a</title></item>"))
	f.Add("atom", []byte("<entry><id>x</id><title>t</title><updated>u</updated></entry>"))
	f.Add("json", []byte(`{"id":"x","content_html":"<p>"}`))
	f.Fuzz(func(t *testing.T, format string, b []byte) {
		if gate.Item(format, b) != nil || format == "json" {
			return
		}
		wrapped := append(append([]byte("<root>"), b...), "</root>"...)
		if err := feedcheck.WellFormed(wrapped); err != nil {
			t.Fatalf("the gate accepts item %q, encoding/xml refuses it: %v", b, err)
		}
	})
}

func BenchmarkItem(b *testing.B) {
	site := testSite(b)
	arts := testArticles(b, 1)
	items := feed.RenderItems(site, arts[0])
	n := 0
	for _, it := range items {
		n += len(it)
	}
	b.SetBytes(int64(n))
	for b.Loop() {
		for i, ext := range layout.Exts {
			if err := gate.Item(ext, items[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkItemFormats(b *testing.B) {
	site := testSite(b)
	arts := testArticles(b, 1)
	items := feed.RenderItems(site, arts[0])
	for i, ext := range layout.Exts {
		b.Run(ext, func(b *testing.B) {
			b.SetBytes(int64(len(items[i])))
			for b.Loop() {
				if err := gate.Item(ext, items[i]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodingXML is the yardstick: encoding/xml (strict) reading the
// same RSS item.
func BenchmarkEncodingXML(b *testing.B) {
	site := testSite(b)
	arts := testArticles(b, 1)
	item := append(append([]byte("<r>"), feed.RenderItems(site, arts[0])[0]...), "</r>"...)
	b.SetBytes(int64(len(item)))
	for b.Loop() {
		dec := xml.NewDecoder(bytes.NewReader(item))
		dec.Strict = true
		for {
			if _, err := dec.Token(); err != nil {
				break
			}
		}
	}
}

// FuzzJSONAgreesWithEncodingJSON: on valid UTF-8 the gate's JSON checker
// and json.Valid agree, both ways.
func FuzzJSONAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"id":"x","content_html":"<p>\u00e9</p>"}`, `[1,-0.5e+3,true,false,null,"\""]`,
		`{"a":{"b":[{}]}}`, ` 1 `, `01`, `1.`, `"\x"`, `{"a" 1}`, `[1,]`, `"` + "\t" + `"`, `-`, `1e`, `{"a":1,}`, `"\ud800"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !utf8.Valid(b) {
			return
		}
		mine, theirs := gate.ValidJSON(b) == nil, json.Valid(b)
		if mine != theirs {
			t.Fatalf("%q: the gate says valid=%v, json.Valid says %v (%v)", b, mine, theirs, gate.ValidJSON(b))
		}
	})
}
