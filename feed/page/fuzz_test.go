package page

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/feedpub/feedpub/feed"
)

// FuzzPages: whatever the feed's title and an item's title, author, URL
// and HTML, the index and preview pages are HTML that runs nothing of
// theirs: no script but the site's own file, no event handler, no inline
// style (the pages' Content-Security-Policy allows neither), no URL but
// http(s), mailto, a data: image or the site's own relative ones.
func FuzzPages(f *testing.F) {
	f.Add("热点 <script>", `标题 <img src=x onerror=alert(1)>`, `O'Brien "Ed"`, "https://news.example.cn/a.html",
		`<p style="color:red" onclick="x">t<script>alert(1)</script><a href="javascript:x">j</a><iframe src="https://e/"></iframe></p>`)
	f.Add("", "", "", "javascript:alert(1)", `<svg><script>x</script></svg><style>*{}</style>`)
	f.Add("a\x00b", "\u202e", "</title>", "//evil.example/x", `<a href="data:text/html,x">d</a><img src="data:image/png;base64,AA">`)
	s := testSite()
	c := NewCleaner(1 << 20)
	f.Fuzz(func(t *testing.T, feedTitle, itemTitle, author, link, content string) {
		fd := &feed.Feed{Name: "tag/x", Kind: feed.KindTag, Title: feedTitle, Site: s, Updated: time.Unix(1714226276, 0).UTC(), Count: 1}
		doc, err := json.Marshal(map[string]any{
			"version": "https://jsonfeed.org/version/1.1", "title": feedTitle, "home_page_url": "https://news.example.cn/",
			"items": []map[string]any{{"id": "urn:uuid:1", "url": link, "title": itemTitle, "content_html": content,
				"date_published": "2024-05-16T12:00:00Z", "authors": []map[string]string{{"name": author}}}},
		})
		if err != nil {
			t.Skip() // not a string JSON can hold
		}
		var idx, pre bytes.Buffer
		if err := Index(&idx, s, []*feed.Feed{fd}); err != nil {
			t.Fatalf("index: %v", err)
		}
		if err := Preview(&pre, fd, doc, c); err != nil {
			return // a feed document the page cannot read is refused, not written
		}
		for name, page := range map[string][]byte{"index": idx.Bytes(), "preview": pre.Bytes()} {
			n, err := html.Parse(bytes.NewReader(page))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var check func(*html.Node)
			check = func(n *html.Node) {
				if n.Type == html.ElementNode {
					switch n.Data {
					case "script":
						if src := attrOf(n, "src"); !strings.HasSuffix(src, "assets/feeds.js") || n.FirstChild != nil {
							t.Fatalf("%s: a script %q of its own in %q", name, src, page)
						}
					case "style", "iframe", "object", "embed", "base", "form":
						t.Fatalf("%s: <%s> in %q", name, n.Data, page)
					}
					for _, a := range n.Attr {
						v := strings.ToLower(strings.TrimSpace(a.Val))
						switch {
						case strings.HasPrefix(a.Key, "on"), a.Key == "style", a.Key == "srcdoc":
							t.Fatalf("%s: attribute %s in %q", name, a.Key, page)
						case a.Key == "href" || a.Key == "src":
							scheme := ""
							if u, err := url.Parse(v); err == nil {
								scheme = u.Scheme
							} else if i := strings.IndexAny(v, ":/?#"); i > 0 && v[i] == ':' {
								scheme = v[:i] // unparseable, but a browser would take this scheme
							}
							switch {
							case scheme == "", scheme == "http", scheme == "https", scheme == "mailto":
							case scheme == "data" && n.Data == "img" && strings.HasPrefix(v, "data:image/"):
							case scheme == "data" && n.Data == "link" && v == "data:,": // the empty favicon
							default:
								t.Fatalf("%s: %s=%q in %q", name, a.Key, a.Val, page)
							}
						}
					}
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					check(c)
				}
			}
			check(n)
		}
	})
}

func attrOf(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
