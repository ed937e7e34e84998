package feed

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content"
)

// A feed from Plan writes each article's texts escaped once per build; the
// output must be byte for byte what escaping while writing gives.
func TestPreparedMatchesDirect(t *testing.T) {
	site, err := ParseSite([]byte("title: T\nurl: https://example.com/\nbase_url: https://example.com\nfull_text: true\n" +
		"feeds: {site: true, categories: true, tags: true, authors: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var articles []*content.Article
	for i, body := range []string{
		`<p>辽阳 &amp; “振兴” <a href="https://x.cn/?a=1&b=2">链接</a></p>`,
		"<p>control \u000b chars \ufffe and \u2028 line separators\r\n</p>",
		`<p>"quotes" \ backslash ＡＢＣ，。</p>`,
		"",
	} {
		doc, err := json.Marshal(map[string]any{
			"id": fmt.Sprintf("a%d", i), "url": fmt.Sprintf("https://example.com/%d", i), "title": fmt.Sprintf("Title %d", i),
			"summary": "summary <b>" + body + "</b>", "content_html": body, "categories": []string{"热点"}, "tags": []string{"t"},
			"authors": []map[string]string{{"name": "A"}}, "published": fmt.Sprintf("2024-01-0%dT00:00:00Z", i+1),
		})
		if err != nil {
			t.Fatal(err)
		}
		a, err := content.Parse(fmt.Sprintf("a%d.json", i), doc, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		articles = append(articles, a)
	}
	feeds := Plan(site, Select(articles, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)))
	if len(feeds) < 4 {
		t.Fatalf("planned %d feeds, want at least 4", len(feeds))
	}
	for _, f := range feeds {
		if f.prep == nil {
			t.Fatalf("%s: Plan made a feed without a preparer", f.Name)
		}
		direct := *f
		direct.prep = nil
		for _, format := range Formats {
			var warm1, warm2, cold bytes.Buffer
			for _, r := range []struct {
				f   *Feed
				out *bytes.Buffer
			}{{f, &warm1}, {f, &warm2}, {&direct, &cold}} {
				if err := format.Render(r.out, r.f); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(warm1.Bytes(), cold.Bytes()) || !bytes.Equal(warm2.Bytes(), cold.Bytes()) {
				t.Errorf("%s.%s: prepared output differs from direct output:\nprepared %s\ndirect   %s", f.Name, format.Ext, warm2.Bytes(), cold.Bytes())
			}
		}
	}
	if got := len(feeds[0].prep.m); got != len(articles) {
		t.Errorf("prepared %d articles, want each of the %d once", got, len(articles))
	}
}
