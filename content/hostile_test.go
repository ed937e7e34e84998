package content_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedpub/feedpub/content"
)

// HostileDir holds the hostile-document corpus: one document per case,
// each either rejected with a named field and reason or accepted with the
// normalised output hostileCases says. Three more cases are made by
// hostileGenerated rather than kept in the repository (10 MB and more).
const hostileDir = "testdata/hostile"

// hostileCase is what Parse does with one document: rejected, naming
// field and a reason, or accepted and then checked.
type hostileCase struct {
	field, reason string                                 // a rejection: the first problem's field and words of its reason
	check         func(t *testing.T, a *content.Article) // an acceptance: what it is normalised to
}

func rejects(field, reason string) hostileCase { return hostileCase{field: field, reason: reason} }

func accepts(check func(t *testing.T, a *content.Article)) hostileCase {
	return hostileCase{check: check}
}

func wantField(t *testing.T, name, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("got %s %q, want %q", name, got, want)
	}
}

// hostileZone is the zone naive times are read in: one with daylight
// saving time, for the gap and the overlap.
const hostileZone = "America/New_York"

// HostileCases is the corpus's expected outcomes, by file name (without
// .json). The README's "The input" documents the normalisations.
var hostileCases = map[string]hostileCase{
	// Not a JSON object, or not UTF-8.
	"not-json":         rejects("", "not valid JSON"),
	"empty-file":       rejects("", "not valid JSON"),
	"null-document":    rejects("", "not a JSON object"),
	"array-document":   rejects("", "not a JSON object"),
	"string-document":  rejects("", "not a JSON object"),
	"truncated":        rejects("", "not valid JSON"),
	"trailing-garbage": rejects("", "after top-level value"),
	"invalid-utf8":     rejects("", "not valid UTF-8"),
	"overlong-utf8":    rejects("", "not valid UTF-8"),
	"utf16":            rejects("", "not valid UTF-8"),
	"bom":              accepts(func(t *testing.T, a *content.Article) { wantField(t, "Title", a.Title, "标题") }),
	// Characters XML forbids, and broken UTF-16 escapes.
	"control-chars": accepts(func(t *testing.T, a *content.Article) {
		wantField(t, "Title", a.Title, "标题")
		wantField(t, "SummaryText", a.SummaryText, "摘要")
		wantField(t, "ContentHTML", a.ContentHTML, "<p>正文</p>")
		wantField(t, "Rights", a.Rights, "©2024")
	}),
	"noncharacters":       accepts(func(t *testing.T, a *content.Article) { wantField(t, "Title", a.Title, "abc") }),
	"lone-surrogate":      accepts(func(t *testing.T, a *content.Article) { wantField(t, "Title", a.Title, "a\uFFFDb") }),
	"lone-low-surrogate":  accepts(func(t *testing.T, a *content.Article) { wantField(t, "ContentHTML", a.ContentHTML, "<p>\uFFFD</p>") }),
	"reversed-surrogates": accepts(func(t *testing.T, a *content.Article) { wantField(t, "Title", a.Title, "a\uFFFD\uFFFDb") }),
	"html-control-refs": accepts(func(t *testing.T, a *content.Article) {
		wantField(t, "ContentHTML", a.ContentHTML, "<p>abc\uFFFDd</p>")
	}),
	// Text that ends a CDATA section or a script: plain text stays text.
	"cdata-end": accepts(func(t *testing.T, a *content.Article) {
		wantField(t, "Title", a.Title, "a ]]> b")
		wantField(t, "ContentHTML", a.ContentHTML, "<p>]]&gt;</p><p>]]&gt;</p>")
	}),
	"script-end": accepts(func(t *testing.T, a *content.Article) {
		wantField(t, "Title", a.Title, "</script><script>alert(1)</script>")
		wantField(t, "ContentHTML", a.ContentHTML, "<p>ab</p>")
	}),
	"markup-in-title": accepts(func(t *testing.T, a *content.Article) {
		wantField(t, "Title", a.Title, "<b>粗体</b> & <i>斜体</i>")
	}),
	"bidi-override": accepts(func(t *testing.T, a *content.Article) { wantField(t, "Title", a.Title, "abc\u202edef\u202c") }),
	"emoji-zwj": accepts(func(t *testing.T, a *content.Article) {
		wantField(t, "Title", a.Title, "👩\u200d👩\u200d👧 family 🇨🇳")
	}),
	"title-overlong": accepts(func(t *testing.T, a *content.Article) {
		if n := utf8.RuneCountInString(a.Title); n != 50000 {
			t.Errorf("got a title of %d characters, want all 50000", n)
		}
	}),
	// Values of the wrong kind, missing or empty.
	"number-title":              rejects("title", "must be a string, got a number"),
	"number-id":                 rejects("id", "must be a string, got a number"),
	"bool-published":            rejects("published", "must be a string, got a boolean"),
	"object-url":                rejects("url", "must be a string, got an object"),
	"number-tags":               rejects("tags[0]", "must be a string, got a number"),
	"string-tags":               rejects("tags", "must be a list, got a string"),
	"missing-id":                rejects("id", "is required"),
	"empty-id":                  rejects("id", "is empty"),
	"missing-url":               rejects("url", "is required"),
	"missing-published":         rejects("published", "is required"),
	"missing-title-and-summary": rejects("title", "one of title or summary is required"),
	"blank-title":               rejects("title", "is blank"),
	"empty-summary-only":        rejects("title", "one of title or summary is required"),
	"status-unknown":            rejects("status", "must be published, draft or deleted"),
	"language-invalid":          rejects("language", "not a BCP 47 language tag"),
	"category-overlong":         rejects("categories[0]", "more than 200"),
	"null-fields": accepts(func(t *testing.T, a *content.Article) {
		wantField(t, "ContentHTML", a.ContentHTML, "")
		if len(a.Tags) != 0 {
			t.Errorf("got tags %q, want none", a.Tags)
		}
	}),
	"category-empty": accepts(func(t *testing.T, a *content.Article) {
		if len(a.Categories) != 0 {
			t.Errorf("got categories %q, want the empty one dropped", a.Categories)
		}
	}),
	"status-draft": accepts(func(t *testing.T, a *content.Article) { wantField(t, "Status", string(a.Status), "draft") }),
	// Of repeated keys the last counts, as in encoding/json and JSON.parse.
	"duplicate-keys": accepts(func(t *testing.T, a *content.Article) { wantField(t, "ID", a.ID, "hostile-dup-keys-2") }),
	// Two documents with one id: both parse; the build keeps one (README).
	"duplicate-id-a": accepts(func(t *testing.T, a *content.Article) { wantField(t, "ID", a.ID, "hostile-same-id") }),
	"duplicate-id-b": accepts(func(t *testing.T, a *content.Article) { wantField(t, "ID", a.ID, "hostile-same-id") }),
	// Ids are names in URLs and keys: only a safe alphabet.
	"id-slash":    rejects("id", "may hold only"),
	"id-dotdot":   rejects("id", "may hold only"),
	"id-spaces":   rejects("id", "may hold only"),
	"id-nul":      rejects("id", "may hold only"),
	"id-overlong": rejects("id", "longer than 200"),
	// URLs: absolute http or https that a reader can use, as URIs.
	"url-javascript":        rejects("url", "absolute http or https URL"),
	"url-data":              rejects("url", "absolute http or https URL"),
	"url-relative":          rejects("url", "absolute http or https URL"),
	"url-protocol-relative": rejects("url", "absolute http or https URL"),
	"url-ipv6-broken":       rejects("url", "without its closing"),
	"url-no-host":           rejects("url", "has no host"),
	"url-port-range":        rejects("url", "outside 1-65535"),
	"url-bad-punycode":      rejects("url", "not valid punycode"),
	"url-userinfo":          rejects("url", "user name or password"),
	"url-overlong":          rejects("url", "more than 8000"),
	"image-javascript":      rejects("image.url", "absolute http or https URL"),
	"enclosure-data":        rejects("enclosures[0].url", "absolute http or https URL"),
	"author-url-javascript": rejects("authors[0].url", "absolute http or https URL"),
	"url-idn":               accepts(func(t *testing.T, a *content.Article) { wantField(t, "URL", a.URL, "https://xn--bcher-kva.example/x") }),
	"url-ipv6":              accepts(func(t *testing.T, a *content.Article) { wantField(t, "URL", a.URL, "http://[2001:db8::1]:8080/x") }),
	"url-percent-host":      accepts(func(t *testing.T, a *content.Article) { wantField(t, "URL", a.URL, "http://xn--bcher-kva.de/x") }),
	"url-percent-host-port": accepts(func(t *testing.T, a *content.Article) { wantField(t, "URL", a.URL, "http://xn--tda.de:8080/p") }),
	"url-spaces":            accepts(func(t *testing.T, a *content.Article) { wantField(t, "URL", a.URL, "https://news.example.cn/a%20b") }),
	// Times.
	"year-0001":  rejects("published", "before the year 1800"),
	"year-10000": rejects("published", "not an RFC 3339 time"),
	"year-1900": accepts(func(t *testing.T, a *content.Article) {
		wantField(t, "Published", a.Published.Format(time.RFC3339), "1900-01-01T00:00:00Z")
	}),
	"year-9999": accepts(func(t *testing.T, a *content.Article) { // embargoed until then
		wantField(t, "Published", a.Published.Format(time.RFC3339), "9999-12-31T23:59:59Z")
		if a.Visible(time.Now()) {
			t.Error("an article published in 9999 is visible now")
		}
	}),
	// A naive time in the spring gap is moved forward by the gap (02:30,
	// which never happened, is 03:30 EDT); one in the autumn overlap is the
	// earlier of its two instants (01:30 EDT).
	"dst-gap": accepts(func(t *testing.T, a *content.Article) {
		wantField(t, "Published", a.Published.Format(time.RFC3339), "2024-03-10T03:30:00-04:00")
	}),
	"dst-overlap": accepts(func(t *testing.T, a *content.Article) {
		wantField(t, "Published", a.Published.Format(time.RFC3339), "2024-11-03T01:30:00-04:00")
	}),
	// Hostile HTML: sanitised (sanitize_test.go has a case per rule).
	"html-script": accepts(func(t *testing.T, a *content.Article) { wantField(t, "ContentHTML", a.ContentHTML, "<p>正文</p>") }),
	"html-iframe": accepts(func(t *testing.T, a *content.Article) { wantField(t, "ContentHTML", a.ContentHTML, "<p>a</p>  ") }),
	"html-style":  accepts(func(t *testing.T, a *content.Article) { wantField(t, "ContentHTML", a.ContentHTML, "<p>x</p>") }),
	"html-event-handlers": accepts(func(t *testing.T, a *content.Article) {
		wantField(t, "ContentHTML", a.ContentHTML, `<p>x</p><img src="https://news.example.cn/a.jpg">`)
	}),
	"html-base": accepts(func(t *testing.T, a *content.Article) {
		wantField(t, "ContentHTML", a.ContentHTML, ` <p><a href="https://news.example.cn/h/x.html">x</a></p>`)
	}),
	"html-meta-refresh":    accepts(func(t *testing.T, a *content.Article) { wantField(t, "ContentHTML", a.ContentHTML, " <p>x</p>") }),
	"html-svg-script":      accepts(func(t *testing.T, a *content.Article) { wantField(t, "ContentHTML", a.ContentHTML, "  <p>x</p>") }),
	"html-javascript-link": accepts(func(t *testing.T, a *content.Article) { wantField(t, "ContentHTML", a.ContentHTML, "<p> x </p>") }),
	"html-summary-script": accepts(func(t *testing.T, a *content.Article) {
		wantField(t, "Summary", a.Summary, "<p>摘要</p>")
		wantField(t, "Title", a.Title, "摘要")
	}),
	"html-unclosed": accepts(func(t *testing.T, a *content.Article) {
		wantField(t, "ContentHTML", a.ContentHTML, "<table><tr><td>x<div><b>bold</b></div></td></tr></table>")
	}),
	// Generated (hostileGenerated).
	"huge-body":    rejects("", "larger than"),
	"many-tags":    rejects("tags", "more than"),
	"deep-nesting": rejects("", "not valid JSON"),
}

// hostileGenerated are the cases too big to keep in the repository.
func hostileGenerated() map[string][]byte {
	head := `{"id":"hostile-generated","url":"https://news.example.cn/g","title":"t","published":"2024-04-27T13:57:56Z",`
	var tags bytes.Buffer
	tags.WriteString(head + `"tags":[`)
	for i := range 100000 {
		if i > 0 {
			tags.WriteByte(',')
		}
		tags.WriteString(`"t` + strings.Repeat("x", i%7) + `"`)
	}
	tags.WriteString("]}")
	return map[string][]byte{
		"huge-body":    []byte(head + `"content_html":"<p>` + strings.Repeat("正文", 10<<20/6) + `</p>"}`),
		"many-tags":    tags.Bytes(),
		"deep-nesting": []byte(head + `"extra":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "}"),
	}
}

// HostileCorpus returns every case's document by name.
func hostileCorpus(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(hostileDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	docs := hostileGenerated()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[strings.TrimSuffix(filepath.Base(f), ".json")] = data
	}
	return docs
}

// TestHostileCorpus parses every hostile document: each is rejected with
// its key, field and reason, or accepted as hostileCases says, holding no
// character XML forbids and no markup the sanitiser drops.
func TestHostileCorpus(t *testing.T) {
	loc, err := time.LoadLocation(hostileZone)
	if err != nil {
		t.Fatal(err)
	}
	docs := hostileCorpus(t)
	if len(docs) < 60 {
		t.Fatalf("got %d hostile documents, want at least 60", len(docs))
	}
	for name := range hostileCases {
		if _, ok := docs[name]; !ok {
			t.Errorf("case %s has no document in %s", name, hostileDir)
		}
	}
	rejected, accepted := 0, 0
	for name, data := range docs {
		t.Run(name, func(t *testing.T) {
			tc, ok := hostileCases[name]
			if !ok {
				t.Fatalf("%s/%s.json has no expected outcome in hostileCases", hostileDir, name)
			}
			key := "articles/" + name + ".json"
			a, err := content.Parse(key, data, loc)
			if tc.check == nil {
				rejected++
				wantRejection(t, err, key, tc.field, tc.reason)
				return
			}
			accepted++
			if err != nil {
				t.Fatalf("got %v, want the document accepted", err)
			}
			for _, s := range []string{a.ID, a.URL, a.Title, a.Summary, a.SummaryText, a.ContentHTML, a.Rights} {
				for _, r := range s {
					if !content.Allowed(r) {
						t.Errorf("got %U, which XML forbids, in %q", r, s)
					}
				}
			}
			for _, s := range []string{a.Summary, a.ContentHTML} {
				for _, bad := range []string{"<script", "<style", "<iframe", "<svg", "<base", "<meta", "javascript:", " on"} {
					if strings.Contains(strings.ToLower(s), bad) && !strings.Contains(s, "&lt;") {
						t.Errorf("got %q in sanitised HTML %q", bad, s)
					}
				}
			}
			tc.check(t, a)
		})
	}
	t.Logf("%d hostile documents: %d rejected, %d accepted as normalised", len(docs), rejected, accepted)
}

// wantRejection checks that err rejects key, its first problem naming field
// with a reason holding reason.
func wantRejection(t *testing.T, err error, key, field, reason string) {
	t.Helper()
	var inv *content.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("got %v, want an *InvalidError", err)
	}
	if inv.Key != key {
		t.Errorf("got key %q, want %q", inv.Key, key)
	}
	if len(inv.Problems) == 0 {
		t.Fatal("got no problem")
	}
	p := inv.Problems[0]
	if p.Field != field || !strings.Contains(p.Reason, reason) {
		t.Errorf("got problem %q: %q, want %q: …%s…", p.Field, p.Reason, field, reason)
	}
}
