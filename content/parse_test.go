package content_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests need Asia/Shanghai and America/New_York everywhere
	"unicode/utf8"

	"github.com/feedpub/feedpub/content"
)

const testKey = "articles/test.json"

var (
	shanghai = mustLoad("Asia/Shanghai")
	newYork  = mustLoad("America/New_York")
	berlin   = mustLoad("Europe/Berlin")
)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("load time zone %s: %v", name, err))
	}
	return loc
}

// base is the smallest valid document; doc builds variants of it.
var base = map[string]string{
	"id":        `"a-1"`,
	"url":       `"https://news.example.cn/a-1.html"`,
	"title":     `"标题"`,
	"published": `"2024-04-27T21:57:56+08:00"`,
}

// doc returns the base document with fields replaced: kv holds pairs of a
// key and its raw JSON value; an empty value removes the key.
func doc(kv ...string) []byte {
	if len(kv)%2 != 0 {
		panic("doc: odd number of arguments")
	}
	fields := maps.Clone(base)
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(fields, kv[i])
		} else {
			fields[kv[i]] = kv[i+1]
		}
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(fields)) {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s:%s", quote(k), fields[k])
	}
	b.WriteByte('}')
	return []byte(b.String())
}

// quote returns s as a JSON string.
func quote(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func parse(t *testing.T, data []byte) *content.Article {
	t.Helper()
	a, err := content.Parse(testKey, data, shanghai)
	if err != nil {
		t.Fatalf("Parse(%s): got error %v, want none", data, err)
	}
	if a == nil {
		t.Fatalf("Parse(%s): got a nil article and no error", data)
	}
	if a.Key != testKey {
		t.Errorf("got Key %q, want %q", a.Key, testKey)
	}
	return a
}

// reject parses data, requires a rejection and checks that the error has the
// shape every rejection has.
func reject(t *testing.T, data []byte) *content.InvalidError {
	t.Helper()
	a, err := content.Parse(testKey, data, shanghai)
	if err == nil {
		t.Fatalf("Parse(%s): got %+v, want an error", data, a)
	}
	if a != nil {
		t.Errorf("Parse(%s): got article %+v along with error %v, want nil", data, a, err)
	}
	if !errors.Is(err, content.ErrInvalid) {
		t.Errorf("errors.Is(%v, ErrInvalid) = false, want true", err)
	}
	var inv *content.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("got error %T %v, want *content.InvalidError", err, err)
	}
	if inv.Key != testKey {
		t.Errorf("got Key %q, want %q", inv.Key, testKey)
	}
	if len(inv.Problems) == 0 {
		t.Fatalf("got no problems in %v, want at least one", err)
	}
	for _, p := range inv.Problems {
		if p.Reason == "" {
			t.Errorf("got problem %+v without a reason", p)
		}
		if !strings.Contains(err.Error(), p.Reason) || !strings.Contains(err.Error(), p.Field) {
			t.Errorf("error %q does not name problem %+v", err, p)
		}
	}
	if !strings.HasPrefix(err.Error(), testKey+": ") {
		t.Errorf("got error %q, want it to start with the key %q", err, testKey)
	}
	return inv
}

// wantProblem checks that e reports a problem with field whose reason
// contains reason.
func wantProblem(t *testing.T, e *content.InvalidError, field, reason string) {
	t.Helper()
	for _, p := range e.Problems {
		if p.Field == field && strings.Contains(p.Reason, reason) {
			return
		}
	}
	t.Errorf("got problems %+v, want one for field %q with a reason containing %q", e.Problems, field, reason)
}

// wantOnly checks that e reports exactly one problem, with field and a
// reason containing reason.
func wantOnly(t *testing.T, e *content.InvalidError, field, reason string) {
	t.Helper()
	if len(e.Problems) != 1 {
		t.Errorf("got %d problems %+v, want only one for field %q", len(e.Problems), e.Problems, field)
	}
	wantProblem(t, e, field, reason)
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// sameArticle compares two articles, times by instant.
func sameArticle(t *testing.T, got, want *content.Article) {
	t.Helper()
	if !got.Published.Equal(want.Published) {
		t.Errorf("got Published %v, want %v", got.Published, want.Published)
	}
	if !got.Updated.Equal(want.Updated) {
		t.Errorf("got Updated %v, want %v", got.Updated, want.Updated)
	}
	g, w := content.WithoutCleaned(*got), content.WithoutCleaned(*want)
	g.Published, g.Updated, w.Published, w.Updated = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got article\n%+v\nwant\n%+v", g, w)
	}
}

func TestParseFull(t *testing.T) {
	got := parse(t, readFile(t, "full.json"))
	want := &content.Article{
		Key:         testKey,
		ID:          "liaoyang-revival-2024-04-27",
		URL:         "https://news.example.cn/2024/04/27/liaoyang-revival.html",
		Title:       "奋力谱写辽阳全面振兴全方位振兴新篇章",
		Summary:     "辽阳市坚持把产业数字化、数字产业化作为产业结构调整的突破口……",
		SummaryText: "辽阳市坚持把产业数字化、数字产业化作为产业结构调整的突破口……",
		ContentHTML: "<p>辽阳市坚持把产业数字化、数字产业化作为产业结构调整的突破口。</p><p>……</p>",
		Authors: []content.Author{
			{Name: "郑有胜"},
			{Name: "许刚", Email: "xu@example.cn", URL: "https://news.example.cn/people/xu"},
		},
		Categories: []string{"热点"},
		Tags:       []string{"辽阳", "振兴", "营商环境"},
		Language:   "zh-CN",
		// The naive "2024-04-27 21:57:56" is read in Asia/Shanghai (UTC+8).
		Published:  time.Date(2024, 4, 27, 13, 57, 56, 0, time.UTC),
		Updated:    time.Date(2024, 4, 28, 0, 0, 0, 0, time.UTC),
		Image:      &content.Image{URL: "https://img.example.cn/liaoyang.jpg", Type: "image/jpeg", Length: 183422, Alt: "辽阳首山经济开发区"},
		Enclosures: []content.Enclosure{{URL: "https://media.example.cn/liaoyang.mp3", Type: "audio/mpeg", Length: 4812233, Duration: 312}},
		Source:     &content.Source{Name: "蓝影头条", URL: "https://lanying.example.cn/"},
		Rights:     "© 2024 蓝影头条",
		Status:     content.StatusPublished,
	}
	sameArticle(t, got, want)
}

func TestParseMinimal(t *testing.T) {
	a := parse(t, doc())
	if a.Status != content.StatusPublished {
		t.Errorf("got Status %q, want %q (the default)", a.Status, content.StatusPublished)
	}
	if a.Language != "" {
		t.Errorf("got Language %q, want empty (the site's language applies)", a.Language)
	}
	if a.Authors != nil || a.Categories != nil || a.Tags != nil || a.Image != nil || a.Enclosures != nil || a.Source != nil {
		t.Errorf("got optional values in %+v, want none", a)
	}
	if a.Summary != "" || a.SummaryText != "" || a.ContentHTML != "" || a.Rights != "" {
		t.Errorf("got text values in %+v, want none", a)
	}
	if !a.Updated.Equal(a.Published) {
		t.Errorf("got Updated %v, want Published %v", a.Updated, a.Published)
	}
}

func TestParseFixtures(t *testing.T) {
	t.Run("valid", func(t *testing.T) {
		for _, name := range []string{"full.json", "control-chars.json", "untitled.json", "bom.json"} {
			t.Run(name, func(t *testing.T) {
				parse(t, readFile(t, name))
			})
		}
	})
	tests := []struct {
		file   string
		fields []string // every field a problem is reported for
	}{
		{"broken-syntax.json", []string{""}},
		{"bad-published.json", []string{"published"}},
		{"wrong-kind.json", []string{"tags", "url"}},
		{"array.json", []string{""}},
		{"latin-1.json", []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			e := reject(t, readFile(t, filepath.Join("invalid", tt.file)))
			var got []string
			for _, p := range e.Problems {
				got = append(got, p.Field)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.fields) {
				t.Errorf("got problems for fields %q, want %q (%+v)", got, tt.fields, e.Problems)
			}
		})
	}
}

func TestParseID(t *testing.T) {
	valid := []string{"a", "A-Z.a_z-0.9", strings.Repeat("x", 200), "liaoyang-revival-2024-04-27", "..."}
	for _, id := range valid {
		t.Run("valid "+id[:min(len(id), 20)], func(t *testing.T) {
			if got := parse(t, doc("id", quote(id))).ID; got != id {
				t.Errorf("got ID %q, want %q", got, id)
			}
		})
	}
	invalid := []struct {
		name, raw, reason string
	}{
		{"201 characters", quote(strings.Repeat("x", 201)), "longer than 200"},
		{"empty", `""`, "empty"},
		{"missing", "", "required"},
		{"null", "null", "required"},
		{"space", `"a b"`, "A-Z"},
		{"leading space", `" a"`, "A-Z"},
		{"slash", `"2024/04/a"`, "A-Z"},
		{"backslash", `"a\\b"`, "A-Z"},
		{"CJK", `"辽阳振兴"`, "A-Z"},
		{"accent", `"café"`, "A-Z"},
		{"control character", `"a\u0001b"`, "A-Z"},
		{"lone surrogate", `"a\ud800"`, "A-Z"},
		{"number", "42", "must be a string"},
		{"list", `["a"]`, "must be a string"},
		{"object", `{"id":"a"}`, "must be a string"},
		{"boolean", "true", "must be a string"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			wantOnly(t, reject(t, doc("id", tt.raw)), "id", tt.reason)
		})
	}
}

func TestParseURL(t *testing.T) {
	valid := []struct{ raw, want string }{
		{`"https://news.example.cn/a.html"`, "https://news.example.cn/a.html"},
		{`"http://news.example.cn/a.html?x=1&y=2#top"`, "http://news.example.cn/a.html?x=1&y=2#top"},
		{`"HTTPS://news.example.cn/"`, "HTTPS://news.example.cn/"},
		// IRIs become URIs, as RSS requires: UTF-8 percent-encoded, hosts in punycode.
		{`"https://news.example.cn:8443/辽阳.html"`, "https://news.example.cn:8443/%E8%BE%BD%E9%98%B3.html"},
		{`"https://news.example.cn/a b.html?q=辽 阳#章"`, "https://news.example.cn/a%20b.html?q=%E8%BE%BD%20%E9%98%B3#%E7%AB%A0"},
		{`"https://例子.中国/新闻"`, "https://xn--fsqu00a.xn--fiqs8s/%E6%96%B0%E9%97%BB"},
		{`"https://news.example.cn/%E8%BE%BD.html?a=\"b\"<c>"`, "https://news.example.cn/%E8%BE%BD.html?a=%22b%22%3Cc%3E"},
		{`" https://news.example.cn/a.html "`, "https://news.example.cn/a.html"},
		// Characters XML forbids are dropped here too.
		{`"https://news.example.cn/a\ufffe\u0000b.html"`, "https://news.example.cn/ab.html"},
	}
	for _, tt := range valid {
		t.Run("valid "+tt.raw, func(t *testing.T) {
			if got := parse(t, doc("url", tt.raw)).URL; got != tt.want {
				t.Errorf("got URL %q, want %q", got, tt.want)
			}
		})
	}
	invalid := []struct{ raw, reason string }{
		{"", "required"},
		{"null", "required"},
		{`""`, "empty"},
		{`"ftp://news.example.cn/a.html"`, "http or https"},
		{`"/2024/04/a.html"`, "http or https"},
		{`"a.html"`, "http or https"},
		{`"//news.example.cn/a.html"`, "http or https"},
		{`"javascript:alert(1)"`, "http or https"},
		{`"mailto:desk@news.example.cn"`, "http or https"},
		{`"https://"`, "no host"},
		{`"https:///a.html"`, "no host"},
		{`"http:a.html"`, "no host"},
		{`"https://news example.cn/"`, `has " " in host "news example.cn"`},
		{`"https://news.example.cn/%zz.html"`, `is not a URL (invalid URL escape "%zz")`},
		{"42", "must be a string"},
		{`["https://news.example.cn/"]`, "must be a string"},
	}
	for _, tt := range invalid {
		t.Run(tt.raw, func(t *testing.T) {
			wantOnly(t, reject(t, doc("url", tt.raw)), "url", tt.reason)
		})
	}
}

// validURLs are URLs Parse accepts, with the URI it makes of each: hosts
// percent-encoded or in another script become punycode; any other host is
// kept as written.
var validURLs = []struct{ url, want string }{
	{"http://b%C3%BCcher.de/x", "http://xn--bcher-kva.de/x"},
	{"http://%C3%BC.de:8080/p", "http://xn--tda.de:8080/p"},
	{"http://B%C3%BCcher.DE/x?q=%C3%BC#%C3%BC", "http://xn--bcher-kva.de/x?q=%C3%BC#%C3%BC"},
	{"http://%E4%BE%8B%E5%AD%90.%E4%B8%AD%E5%9B%BD/", "http://xn--fsqu00a.xn--fiqs8s/"},
	{"http://b%C3%BCcher.例子.cn:81", "http://xn--bcher-kva.xn--fsqu00a.cn:81"},
	{"https://bücher.de/x", "https://xn--bcher-kva.de/x"},
	{"https://例子。中国/", "https://xn--fsqu00a.xn--fiqs8s/"}, // an ideographic full stop separates labels too
	{"https://ß.de/", "https://xn--zca.de/"},              // not transitional: ß stays ß
	{"http://xn--bcher-kva.de/", "http://xn--bcher-kva.de/"},
	{"http://XN--BCHER-KVA.DE/", "http://XN--BCHER-KVA.DE/"},
	{"http://xn--fsqu00a.xn--fiqs8s./", "http://xn--fsqu00a.xn--fiqs8s./"},
	{"http://[::1]:8080/", "http://[::1]:8080/"},
	{"http://[2001:DB8::1]/a", "http://[2001:DB8::1]/a"},
	{"http://[::ffff:192.0.2.1]:443", "http://[::ffff:192.0.2.1]:443"},
	{"http://192.0.2.1/", "http://192.0.2.1/"},
	{"http://192.0.2.1:8080/a?b", "http://192.0.2.1:8080/a?b"},
	{"http://255.255.255.255./", "http://255.255.255.255./"},
	{"http://example.com:1/", "http://example.com:1/"},
	{"http://example.com:80/", "http://example.com:80/"},
	{"http://example.com:65535/", "http://example.com:65535/"},
	{"http://example.com:0080/", "http://example.com:0080/"},
	{"http://example.com:/", "http://example.com:/"}, // an empty port is the default (RFC 3986)
	{"http://example.com./", "http://example.com./"},
	{"http://example.com?q=1", "http://example.com?q=1"},
	{"http://example.com#top", "http://example.com#top"},
	{"http://my_host.example.com/", "http://my_host.example.com/"},
	{"http://r3---sn-ab.example.com/", "http://r3---sn-ab.example.com/"},
	{"http://123.example.com/", "http://123.example.com/"},
	{"http://localhost/", "http://localhost/"},
	{"http://" + strings.Repeat("a", 63) + ".cn/", "http://" + strings.Repeat("a", 63) + ".cn/"},
	{"http://" + strings.Repeat("a.", 125) + "abc/", "http://" + strings.Repeat("a.", 125) + "abc/"}, // 253 characters
	{"http://" + strings.Repeat("a.", 125) + "abc./", "http://" + strings.Repeat("a.", 125) + "abc./"},
	{"http://１２７.０.０.１/", "http://127.0.0.1/"}, // idna maps full-width digits, as browsers do
}

// invalidURLs are URLs Parse rejects, with what the reason must say.
var invalidURLs = []struct{ url, reason string }{
	// Percent-encoded hosts that are not UTF-8, or not a valid name.
	{"http://%FF.de/", `has a percent-encoded host that is not UTF-8 text: "%FF.de"`},
	{"http://b%C3cher.de/", "not UTF-8 text"},
	{"http://%C2%80.de/", "has an invalid host"},
	{"http://%E2%80%AE.de:8080/", "has an invalid host"},
	{"http://b%C3%BC_cher.de/", "has an invalid host"},
	{"http://bücher..de/", `has an empty label in host "xn--bcher-kva..de"`},
	// No host.
	{"http://:80/", `has no host: "http://:80/"`},
	{"http://:/", "has no host"},
	{"https://?q", "has no host"},
	// Ports: numbers 1-65535 only.
	{"http://example.com:99999/", "has port 99999, outside 1-65535"},
	{"http://example.com:65536/", "has port 65536, outside 1-65535"},
	{"http://example.com:0/", "has port 0, outside 1-65535"},
	{"http://example.com:00000/", "has port 00000, outside 1-65535"},
	{"http://example.com:123456789012345678901/", "outside 1-65535"},
	{"http://example.com:abc/", `has a port that is not a number: "abc"`},
	{"http://example.com:8o/", `has a port that is not a number: "8o"`},
	{"http://example.com:-1/", "not a number"},
	{"http://example.com:+80/", "not a number"},
	{"http://[::1]:99999/", "has port 99999, outside 1-65535"},
	// Punycode.
	{"http://xn--/", `has a label that is not valid punycode in host "xn--": "xn--"`},
	{"http://a.xn--.de/", "not valid punycode"},
	{"http://xn--abc.de/", "not valid punycode"},
	{"http://xn--a.de/", "not valid punycode"},
	{"http://xn---.de/", "not valid punycode"},
	{"http://xn--abc-.de/", "not valid punycode"}, // decodes to ASCII
	{"http://xn--bcher-kvb.de/", "not valid punycode"},
	{"http://xn--_b-wka.de/", "not valid punycode"},
	{"http://例子.xn--/", `has an invalid host "例子.xn--": label "xn--" is empty once converted`},
	{"http://例子。XN--。cn/", `label "XN--" is empty once converted`},
	{"http://例子.\u00ad/", "is empty once converted"},
	// Labels and characters.
	{"http://a..b/", `has an empty label in host "a..b"`},
	{"http://.example.com/", "has an empty label"},
	{"http://example.com../", "has an empty label"},
	{"http://./", `has an empty label in host "."`},
	{"http://a~b.com/", `has "~" in host "a~b.com", which a host name cannot hold`},
	{"http://a!b.com/", `has "!" in host`},
	{"http://exa$mple.com/", `has "$" in host`},
	{"http://a*b.com/", `has "*" in host`},
	{"http://a%25b.com/", `has "%" in host "a%b.com"`},
	{"http://a\"b.com/", `has "\"" in host`},
	{"http://a<b>.com/", `has "<" in host`},
	{"http://a\\b.com/", `has "\\" in host`},
	{"http://a b.com/", `has " " in host`},
	{"http://::1/", `has ":" in host`},
	{"http://" + strings.Repeat("a", 64) + ".cn/", "has a label longer than 63 characters"},
	{"http://" + strings.Repeat("a.", 126) + "cn/", "has a host longer than 253 characters"},
	// User information, refused without repeating it.
	{"http://user:pass@example.com/", "has a user name or password before the host (user:password@host): a published feed would leak them"},
	{"http://editor@example.com/", "user name or password"},
	{"http://@example.com/", "user name or password"},
	{"http://a@b@example.com:99999/", "user name or password"},
	// IP literals.
	{"http://[::1/", `has an IPv6 address without its closing "]": "[::1"`},
	{"http://[::1]x/", `has "x" after the IPv6 address [::1], where only :port may follow`},
	{"http://[zz]/", "has an invalid IPv6 address in host [zz]"},
	{"http://[]/", "has an invalid IPv6 address"},
	{"http://[192.0.2.1]/", "has an invalid IPv6 address"},
	{"http://[v1.x]/", "has an invalid IPv6 address"},
	{"http://[::1::2]/", "has an invalid IPv6 address"},
	{"http://[fe80::1%25en0]/", "has an IPv6 zone in host [fe80::1%25en0]"},
	// Hosts that end in a number are IPv4 addresses, in dotted decimal.
	{"http://256.1.1.1/", `has host "256.1.1.1", which ends in a number but is not an IPv4 address`},
	{"http://127.1/", "is not an IPv4 address"},
	{"http://2130706433/", "is not an IPv4 address"},
	{"http://0x7f.0.0.1/", "is not an IPv4 address"},
	{"http://010.0.0.1/", "is not an IPv4 address"},
	{"http://1.2.3.4.5/", "is not an IPv4 address"},
	{"http://example.123/", "is not an IPv4 address"},
	{"http://example.0x1F/", "is not an IPv4 address"},
	{"http://１２７.１/", "is not an IPv4 address"}, // idna maps the full-width digits first
}

func TestParseURLHost(t *testing.T) {
	for _, tt := range validURLs {
		t.Run("valid "+tt.url[:min(len(tt.url), 40)], func(t *testing.T) {
			got := parse(t, doc("url", quote(tt.url))).URL
			if got != tt.want {
				t.Errorf("got URL %q, want %q", got, tt.want)
			}
			if again, err := content.CheckURL(got); again != got || err != nil {
				t.Errorf("checking %q again gave %q, %v; want it unchanged", got, again, err)
			}
		})
	}
	for _, tt := range invalidURLs {
		t.Run(tt.url[:min(len(tt.url), 40)], func(t *testing.T) {
			wantOnly(t, reject(t, doc("url", quote(tt.url))), "url", tt.reason)
		})
	}
	t.Run("credentials not repeated", func(t *testing.T) {
		e := reject(t, doc("url", quote("https://editor:s3cr3t@news.example.cn/a.html")))
		if msg := e.Error(); strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "editor") {
			t.Errorf("got error %q, want it not to repeat the credentials", msg)
		}
	})
}

// Every URL field is checked the same way.
func TestParseURLFields(t *testing.T) {
	const in, want = "https://b%C3%BCcher.de/a", "https://xn--bcher-kva.de/a"
	fields := []struct {
		field string
		kv    func(url string) []string
		got   func(a *content.Article) string
	}{
		{"url", func(u string) []string { return []string{"url", quote(u)} },
			func(a *content.Article) string { return a.URL }},
		{"authors[0].url", func(u string) []string { return []string{"authors", `[{"name":"a","url":` + quote(u) + `}]`} },
			func(a *content.Article) string { return a.Authors[0].URL }},
		{"image.url", func(u string) []string { return []string{"image", `{"url":` + quote(u) + `}`} },
			func(a *content.Article) string { return a.Image.URL }},
		{"enclosures[0].url", func(u string) []string {
			return []string{"enclosures", `[{"type":"audio/mpeg","url":` + quote(u) + `}]`}
		}, func(a *content.Article) string { return a.Enclosures[0].URL }},
		{"source.url", func(u string) []string { return []string{"source", `{"name":"s","url":` + quote(u) + `}`} },
			func(a *content.Article) string { return a.Source.URL }},
	}
	for _, f := range fields {
		t.Run(f.field, func(t *testing.T) {
			if got := f.got(parse(t, doc(f.kv(in)...))); got != want {
				t.Errorf("got %s %q, want %q", f.field, got, want)
			}
			for _, bad := range []struct{ url, reason string }{
				{"http://user:pass@example.com/", "user name or password"},
				{"http://[::1/", "closing"},
				{"http://example.com:0/", "outside 1-65535"},
				{"http://%FF.de/", "not UTF-8"},
				{"http://xn--/", "punycode"},
			} {
				wantOnly(t, reject(t, doc(f.kv(bad.url)...)), f.field, bad.reason)
			}
		})
	}
}

// A panic inside Parse rejects that document alone.
func TestParsePanic(t *testing.T) {
	tests := []struct {
		name   string
		panic  func()
		reason string
	}{
		{"string", func() { panic("boom") }, "internal error while parsing the document: boom"},
		{"error", func() { panic(errors.New("bad state")) }, "internal error while parsing the document: bad state"},
		{"runtime error", func() {
			var s []int
			_ = s[len(s)+1]
		}, "internal error while parsing the document: runtime error: index out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			restore := content.SetParseHook(tt.panic)
			defer restore()
			e := reject(t, doc())
			wantOnly(t, e, "", tt.reason)
		})
	}
	parse(t, doc()) // the hook is gone
}

func TestParseTitle(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"CJK", `"奋力谱写辽阳全面振兴全方位振兴新篇章"`, "奋力谱写辽阳全面振兴全方位振兴新篇章"},
		{"HTML stays text", `"<b>x</b>"`, "<b>x</b>"},
		{"entity stays text", `"Q&amp;A <i>5 < 6</i>"`, "Q&amp;A <i>5 < 6</i>"},
		{"white space folded", `"  a \n\t b  "`, "a b"},
		{"control characters dropped", `"a\u000bb\u0001c\u001f\u0000"`, "abc"},
		{"noncharacters dropped", `"a\ufffeb\uffff"`, "ab"},
		{"emoji escape", `"\ud83d\ude80 launch"`, "🚀 launch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parse(t, doc("title", tt.raw)).Title; got != tt.want {
				t.Errorf("got Title %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseTitleOrSummaryRequired(t *testing.T) {
	tests := []struct {
		name   string
		kv     []string
		reason string
	}{
		{"neither", []string{"title", ""}, "required"},
		{"null title", []string{"title", "null"}, "required"},
		{"blank title", []string{"title", `"  \n "`}, "no summary"},
		{"control characters only", []string{"title", `"\u0001\u0002"`}, "no summary"},
		{"blank summary", []string{"title", "", "summary", `"   "`}, "required"},
		// A summary derived from content_html does not stand in for the
		// document's own: the format requires one of title or summary.
		{"content only", []string{"title", "", "content_html", `"<p>正文</p>"`}, "required"},
		{"summary without text", []string{"title", "", "summary", `"<p><img src=\"x.png\"></p>"`}, "no text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantOnly(t, reject(t, doc(tt.kv...)), "title", tt.reason)
		})
	}
	t.Run("wrong kind", func(t *testing.T) {
		wantOnly(t, reject(t, doc("title", "42")), "title", "must be a string")
	})
	t.Run("wrong kind with summary", func(t *testing.T) {
		wantOnly(t, reject(t, doc("title", `["a"]`, "summary", `"摘要"`)), "title", "must be a string")
	})
	t.Run("summary of the wrong kind", func(t *testing.T) {
		e := reject(t, doc("title", "", "summary", "42"))
		wantProblem(t, e, "summary", "must be a string")
		wantProblem(t, e, "title", "required")
	})
}

// runes returns the first n runes of s.
func runes(s string, n int) string {
	return string([]rune(s)[:n])
}

// cjk is 160 distinct-looking CJK characters without spaces.
var cjk = strings.Repeat("辽阳市坚持把产业数字化数字产业化作为产业结构调整的突破口推动传统产业转型升级培育壮大新兴产业", 4)

func TestParseDerivedTitle(t *testing.T) {
	family := "👨\u200d👩\u200d👧" // one character: five runes joined by ZWJ
	tests := []struct {
		name    string
		summary string // raw JSON
		want    string
	}{
		{"short summary is the title", quote("辽阳市推动产业转型升级。"), "辽阳市推动产业转型升级。"},
		{"text of an HTML summary", quote("<p>Hello <b>world</b> &amp; <i>more</i></p>"), "Hello world & more"},
		{"CJK cut at 100 characters", quote(cjk), runes(cjk, 100) + "…"},
		{"space-separated text cut at a space",
			quote(strings.Repeat("abcdefghijklm ", 12)),
			strings.TrimSpace(strings.Repeat("abcdefghijklm ", 7)) + "…"},
		{"no space near the cut", quote("short " + strings.Repeat("x", 200)), "short " + strings.Repeat("x", 94) + "…"},
		{"entity at the cut", quote(strings.Repeat("长", 96) + "AT&amp;T" + strings.Repeat("长", 50)),
			strings.Repeat("长", 96) + "AT&T…"},
		{"entity across the cut", quote(strings.Repeat("长", 98) + "AT&amp;T" + strings.Repeat("长", 50)),
			strings.Repeat("长", 98) + "AT…"},
		{"four-byte characters", quote(strings.Repeat("𠀀😀", 80)), strings.Repeat("𠀀😀", 50) + "…"},
		{"combining sequence", quote("x" + strings.Repeat("e\u0301", 80)), "x" + strings.Repeat("e\u0301", 49) + "…"},
		{"emoji ZWJ sequence", quote(strings.Repeat("a", 98) + family + strings.Repeat("b", 50)), strings.Repeat("a", 98) + "…"},
		{"emoji ZWJ sequence ends at the cut", quote(strings.Repeat("a", 95) + family + strings.Repeat("b", 50)),
			strings.Repeat("a", 95) + family + "…"},
		{"flag", quote(strings.Repeat("a", 99) + "🇨🇳" + strings.Repeat("b", 50)), strings.Repeat("a", 99) + "…"},
		{"skin tone", quote(strings.Repeat("a", 99) + "👍🏽" + strings.Repeat("b", 50)), strings.Repeat("a", 99) + "…"},
		{"JSON escapes", `"` + strings.Repeat(`\u4e2d`, 99) + `\ud83d\ude80\ud83d\ude80\ud83d\ude80"`, strings.Repeat("中", 99) + "🚀…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := parse(t, doc("title", "", "summary", tt.summary))
			if a.Title != tt.want {
				t.Errorf("got Title %q, want %q", a.Title, tt.want)
			}
			if !utf8.ValidString(a.Title) {
				t.Errorf("got Title %q, not valid UTF-8", a.Title)
			}
			if n := utf8.RuneCountInString(a.Title); n > 101 {
				t.Errorf("got a Title of %d characters, want at most 101", n)
			}
			if strings.Contains(a.Title, "&am") {
				t.Errorf("got Title %q with a cut entity", a.Title)
			}
			if p := strings.TrimSuffix(a.Title, "…"); !strings.HasPrefix(a.SummaryText, p) {
				t.Errorf("got Title %q, want a prefix of the summary's text %q", a.Title, a.SummaryText)
			}
		})
	}
	t.Run("empty title", func(t *testing.T) {
		if got, want := parse(t, doc("title", `" "`, "summary", `"<p>摘要</p>"`)).Title, "摘要"; got != want {
			t.Errorf("got Title %q, want %q", got, want)
		}
	})
	t.Run("title absent from the document", func(t *testing.T) {
		a := parse(t, readFile(t, "untitled.json"))
		if !strings.HasPrefix(a.Title, "六一国际儿童节当天") || !strings.HasSuffix(a.Title, "…") {
			t.Errorf("got Title %q, want the summary's start and an ellipsis", a.Title)
		}
		if n := utf8.RuneCountInString(a.Title); n < 80 || n > 101 {
			t.Errorf("got a Title of %d characters, want about 100", n)
		}
	})
}

// wantEscaped checks that s is text escaped for HTML: every & starts an
// entity that escaping writes, and no < or > is left.
func wantEscaped(t *testing.T, s string) {
	t.Helper()
	if strings.ContainsAny(s, "<>") {
		t.Errorf("got %q, want no < or > in escaped text", s)
	}
	for i := 0; i < len(s); i++ {
		if rest := s[i:]; s[i] == '&' && !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
			t.Errorf("got %q with a cut or unknown entity at byte %d", s, i)
		}
	}
}

func TestParseSummary(t *testing.T) {
	tests := []struct {
		name                 string
		kv                   []string
		summary, summaryText string
		derived              bool // from content_html
	}{
		{"plain text", []string{"summary", quote("辽阳市坚持把产业数字化作为突破口。")},
			"辽阳市坚持把产业数字化作为突破口。", "辽阳市坚持把产业数字化作为突破口。", false},
		{"HTML kept, text derived", []string{"summary", quote(" <p>Hi &amp; <b>bye</b></p>\n")},
			"<p>Hi &amp; <b>bye</b></p>", "Hi & bye", false},
		{"given summary wins over content", []string{"summary", quote("摘要"), "content_html", quote("<p>正文</p>")},
			"摘要", "摘要", false},
		{"derived from content: scripts and styles dropped, entities decoded",
			[]string{"content_html", quote("<style>p{color:red}</style><p>Hi&amp;bye &lt;3</p><script>alert(1)</script><p>more&nbsp;&hellip;</p>")},
			"Hi&amp;bye &lt;3 more …", "Hi&bye <3 more …", true},
		{"blank summary derived from content", []string{"summary", `"  "`, "content_html", quote("<p>正文</p>")},
			"正文", "正文", true},
		{"derived from long content: cut", []string{"content_html", quote("<p>" + cjk + cjk + "</p>")},
			runes(cjk+cjk, 300) + "…", runes(cjk+cjk, 300) + "…", true},
		{"entities at the cut", []string{"content_html", quote("<p>" + strings.Repeat("长", 298) + "&amp;&lt;&gt;" + cjk + "</p>")},
			strings.Repeat("长", 298) + "&amp;&lt;…", strings.Repeat("长", 298) + "&<…", true},
		{"four-byte characters at the cut", []string{"content_html", quote("<p>" + strings.Repeat("😀", 400) + "</p>")},
			strings.Repeat("😀", 300) + "…", strings.Repeat("😀", 300) + "…", true},
		{"content without text", []string{"content_html", quote("<p><img src=\"a.png\"></p>")}, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := parse(t, doc(tt.kv...))
			if a.Summary != tt.summary {
				t.Errorf("got Summary %q, want %q", a.Summary, tt.summary)
			}
			if a.SummaryText != tt.summaryText {
				t.Errorf("got SummaryText %q, want %q", a.SummaryText, tt.summaryText)
			}
			if got := content.Text(a.Summary); got != a.SummaryText {
				t.Errorf("got Text(Summary) %q, want SummaryText %q", got, a.SummaryText)
			}
			if tt.derived {
				wantEscaped(t, a.Summary)
			}
		})
	}
	t.Run("wrong kind", func(t *testing.T) {
		wantOnly(t, reject(t, doc("summary", `{"text":"x"}`)), "summary", "must be a string")
	})
	t.Run("content of the wrong kind", func(t *testing.T) {
		wantOnly(t, reject(t, doc("content_html", `["<p>x</p>"]`)), "content_html", "must be a string")
	})
}

func TestParseContent(t *testing.T) {
	raw := `"<p>a\tb\nc\r\nd\u0000e\u000bf\u000cg\ufffeh\uffffi\u001fj</p>\n<pre>  x  </pre>"`
	// Sanitising reads the HTML as a browser does: CR LF becomes LF.
	want := "<p>a\tb\nc\nd" + "efghij</p>\n<pre>  x  </pre>"
	if got := parse(t, doc("content_html", raw)).ContentHTML; got != want {
		t.Errorf("got ContentHTML %q, want %q", got, want)
	}
}

func TestParseAuthors(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want []content.Author
	}{
		{"names, email, url", `[{"name":"郑有胜"},{"name":"许刚","email":"xu@example.cn","url":"https://news.example.cn/people/xu"}]`,
			[]content.Author{{Name: "郑有胜"}, {Name: "许刚", Email: "xu@example.cn", URL: "https://news.example.cn/people/xu"}}},
		{"empty name shown by email", `[{"name":"","email":"desk@example.cn"}]`,
			[]content.Author{{Name: "desk@example.cn", Email: "desk@example.cn"}}},
		{"no name shown by email", `[{"email":"desk@example.cn"}]`,
			[]content.Author{{Name: "desk@example.cn", Email: "desk@example.cn"}}},
		{"neither name nor email dropped", `[{"name":"","email":""},{},{"url":"https://example.cn/"},{"name":"  "},{"name":"林晓雯"}]`,
			[]content.Author{{Name: "林晓雯"}}},
		{"no author remains", `[{"name":""}]`, nil},
		{"empty list", `[]`, nil},
		{"null entries", `[null,{"name":"a"}]`, []content.Author{{Name: "a"}}},
		{"names folded and cleaned", `[{"name":" María José\n Núñez\u0001 ","email":" mj@example.es\u0002 "}]`,
			[]content.Author{{Name: "María José Núñez", Email: "mj@example.es"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parse(t, doc("authors", tt.raw)).Authors
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got Authors %+v, want %+v", got, tt.want)
			}
		})
	}
	invalid := []struct{ name, raw, field, reason string }{
		{"string", `"郑有胜"`, "authors", "must be a list"},
		{"object", `{"name":"郑有胜"}`, "authors", "must be a list"},
		{"entry a string", `["郑有胜"]`, "authors[0]", "must be an object"},
		{"entry a list", `[{"name":"a"},["b"]]`, "authors[1]", "must be an object"},
		{"name a number", `[{"name":1}]`, "authors[0].name", "must be a string"},
		{"email a number", `[{"name":"a"},{"name":"b","email":5}]`, "authors[1].email", "must be a string"},
		{"url a list", `[{"name":"a","url":["https://example.cn/"]}]`, "authors[0].url", "must be a string"},
		{"url not http", `[{"name":"a","url":"ftp://example.cn/"}]`, "authors[0].url", "http or https"},
		{"url relative", `[{"name":"a","url":"/people/a"}]`, "authors[0].url", "http or https"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			wantOnly(t, reject(t, doc("authors", tt.raw)), tt.field, tt.reason)
		})
	}
	for _, email := range []string{"not-an-email", "a@", "@example.cn", "a b@example.cn", "a@b@example.cn", "<a@example.cn>"} {
		t.Run("bad email "+email, func(t *testing.T) {
			raw := fmt.Sprintf(`[{"name":"a"},{"name":"b","email":%s}]`, quote(email))
			wantOnly(t, reject(t, doc("authors", raw)), "authors[1].email", "not an email")
		})
	}
}

func TestParseLabels(t *testing.T) {
	for _, field := range []string{"categories", "tags"} {
		get := func(a *content.Article) []string {
			if field == "tags" {
				return a.Tags
			}
			return a.Categories
		}
		tests := []struct {
			name string
			raw  string
			want []string
		}{
			{"any script", `["热点","🚀航天","économie","Tech & Science","辽阳","김민준","العربية"]`,
				[]string{"热点", "🚀航天", "économie", "Tech & Science", "辽阳", "김민준", "العربية"}},
			{"blanks dropped", `["", "  ", "a", "\n"]`, []string{"a"}},
			{"duplicates removed, order kept", `["b","a","b"," a ","a"]`, []string{"b", "a"}},
			{"white space folded", `["Tech \n &  Science"]`, []string{"Tech & Science"}},
			{"control characters dropped", `["科技\u0004","a\ufffe"]`, []string{"科技", "a"}},
			{"HTML kept as text", `["<b>x</b>"]`, []string{"<b>x</b>"}},
		}
		for _, tt := range tests {
			t.Run(field+" "+tt.name, func(t *testing.T) {
				if got := get(parse(t, doc(field, tt.raw))); !slices.Equal(got, tt.want) {
					t.Errorf("got %s %q, want %q", field, got, tt.want)
				}
			})
		}
		invalid := []struct{ name, raw, field, reason string }{
			{"string", `"热点"`, field, "must be a list"},
			{"object", `{"a":"b"}`, field, "must be a list"},
			{"number", `3`, field, "must be a list"},
			{"number in the list", `["a",1]`, field + "[1]", "must be a string"},
			{"list in the list", `[["a"]]`, field + "[0]", "must be a string"},
			{"object in the list", `["a","b",{"name":"c"}]`, field + "[2]", "must be a string"},
		}
		for _, tt := range invalid {
			t.Run(field+" "+tt.name, func(t *testing.T) {
				wantOnly(t, reject(t, doc(field, tt.raw)), tt.field, tt.reason)
			})
		}
	}
}

func TestParseLanguage(t *testing.T) {
	valid := []struct{ raw, want string }{
		{"", ""},
		{"null", ""},
		{`""`, ""},
		{`"zh-CN"`, "zh-CN"},
		{`"en"`, "en"},
		{`"zh-Hant-TW"`, "zh-Hant-TW"},
		{`"de-DE-1996"`, "de-DE-1996"},
		{`"es-419"`, "es-419"},
	}
	for _, tt := range valid {
		t.Run("valid "+tt.raw, func(t *testing.T) {
			if got := parse(t, doc("language", tt.raw)).Language; got != tt.want {
				t.Errorf("got Language %q, want %q", got, tt.want)
			}
		})
	}
	for _, raw := range []string{`"en_US"`, `"English"`, `"english language"`, `"中文"`, `"zh-"`, `"-CN"`, `"e"`, `"zh-CN-"`, `"zh--CN"`, `"en-US-abcdefghi"`} {
		t.Run(raw, func(t *testing.T) {
			wantOnly(t, reject(t, doc("language", raw)), "language", "BCP 47")
		})
	}
	t.Run("wrong kind", func(t *testing.T) {
		wantOnly(t, reject(t, doc("language", `["zh"]`)), "language", "must be a string")
	})
}

func TestParseImage(t *testing.T) {
	valid := []struct {
		raw  string
		want *content.Image
	}{
		{`{"url":"https://img.example.cn/a.jpg","type":"image/jpeg","length":183422,"alt":"辽阳首山经济开发区"}`,
			&content.Image{URL: "https://img.example.cn/a.jpg", Type: "image/jpeg", Length: 183422, Alt: "辽阳首山经济开发区"}},
		{`{"url":"https://img.example.cn/a.jpg"}`, &content.Image{URL: "https://img.example.cn/a.jpg"}},
		{`{"url":"https://img.example.cn/a.jpg","alt":" a\n b\u0001 ","length":0}`, &content.Image{URL: "https://img.example.cn/a.jpg", Alt: "a b"}},
		{"null", nil},
	}
	for _, tt := range valid {
		t.Run("valid "+tt.raw, func(t *testing.T) {
			if got := parse(t, doc("image", tt.raw)).Image; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got Image %+v, want %+v", got, tt.want)
			}
		})
	}
	invalid := []struct{ raw, field, reason string }{
		{`"https://img.example.cn/a.jpg"`, "image", "must be an object"},
		{`["https://img.example.cn/a.jpg"]`, "image", "must be an object"},
		{`{"type":"image/jpeg"}`, "image.url", "required"},
		{`{"url":"img/a.jpg"}`, "image.url", "http or https"},
		{`{"url":"https://img.example.cn/a.jpg","length":-1}`, "image.length", "negative"},
		{`{"url":"https://img.example.cn/a.jpg","length":1.5}`, "image.length", "whole number"},
		{`{"url":"https://img.example.cn/a.jpg","length":"183422"}`, "image.length", "must be a number"},
		{`{"url":"https://img.example.cn/a.jpg","type":5}`, "image.type", "must be a string"},
		{`{"url":"https://img.example.cn/a.jpg","alt":false}`, "image.alt", "must be a string"},
	}
	for _, tt := range invalid {
		t.Run(tt.raw, func(t *testing.T) {
			wantOnly(t, reject(t, doc("image", tt.raw)), tt.field, tt.reason)
		})
	}
}

func TestParseEnclosures(t *testing.T) {
	valid := []struct {
		raw  string
		want []content.Enclosure
	}{
		{`[{"url":"https://media.example.cn/a.mp3","type":"audio/mpeg","length":4812233,"duration":312}]`,
			[]content.Enclosure{{URL: "https://media.example.cn/a.mp3", Type: "audio/mpeg", Length: 4812233, Duration: 312}}},
		{`[{"url":"https://media.example.cn/a.mp4","type":"video/mp4"},{"url":"https://media.example.cn/a.pdf","type":"application/pdf","length":0}]`,
			[]content.Enclosure{{URL: "https://media.example.cn/a.mp4", Type: "video/mp4"}, {URL: "https://media.example.cn/a.pdf", Type: "application/pdf"}}},
		{`[{"url":"https://media.example.cn/a.mp3","type":"audio/mpeg","length":1e3,"duration":60.0}]`,
			[]content.Enclosure{{URL: "https://media.example.cn/a.mp3", Type: "audio/mpeg", Length: 1000, Duration: 60}}},
		{`[]`, nil},
		{"null", nil},
	}
	for _, tt := range valid {
		t.Run("valid "+tt.raw, func(t *testing.T) {
			got := parse(t, doc("enclosures", tt.raw)).Enclosures
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got Enclosures %+v, want %+v", got, tt.want)
			}
		})
	}
	const mp3 = `"url":"https://media.example.cn/a.mp3"`
	invalid := []struct{ raw, field, reason string }{
		{`{` + mp3 + `,"type":"audio/mpeg"}`, "enclosures", "must be a list"},
		{`["https://media.example.cn/a.mp3"]`, "enclosures[0]", "must be an object"},
		{`[{` + mp3 + `}]`, "enclosures[0].type", "required"},
		{`[{` + mp3 + `,"type":"audio/mpeg"},{` + mp3 + `,"type":""}]`, "enclosures[1].type", "required"},
		{`[{` + mp3 + `,"type":null}]`, "enclosures[0].type", "required"},
		{`[{` + mp3 + `,"type":"mpeg"}]`, "enclosures[0].type", "not a media type"},
		{`[{` + mp3 + `,"type":"audio/ mpeg"}]`, "enclosures[0].type", "not a media type"},
		{`[{` + mp3 + `,"type":" \u0001 "}]`, "enclosures[0].type", "required"},
		{`[{` + mp3 + `,"type":3}]`, "enclosures[0].type", "must be a string"},
		{`[{"type":"audio/mpeg"}]`, "enclosures[0].url", "required"},
		{`[{"url":"a.mp3","type":"audio/mpeg"}]`, "enclosures[0].url", "http or https"},
		{`[{` + mp3 + `,"type":"audio/mpeg","length":-1}]`, "enclosures[0].length", "negative"},
		{`[{` + mp3 + `,"type":"audio/mpeg","length":1.5}]`, "enclosures[0].length", "whole number"},
		{`[{` + mp3 + `,"type":"audio/mpeg","length":"4812233"}]`, "enclosures[0].length", "must be a number"},
		{`[{` + mp3 + `,"type":"audio/mpeg","length":1e400}]`, "enclosures[0].length", "whole number"},
		{`[{` + mp3 + `,"type":"audio/mpeg","duration":-312}]`, "enclosures[0].duration", "negative"},
		{`[{` + mp3 + `,"type":"audio/mpeg","duration":31.2}]`, "enclosures[0].duration", "whole number"},
		{`[{` + mp3 + `,"type":"audio/mpeg","duration":"5:12"}]`, "enclosures[0].duration", "must be a number"},
	}
	for _, tt := range invalid {
		t.Run(tt.raw, func(t *testing.T) {
			wantOnly(t, reject(t, doc("enclosures", tt.raw)), tt.field, tt.reason)
		})
	}
}

func TestParseSource(t *testing.T) {
	valid := []struct {
		raw  string
		want *content.Source
	}{
		{`{"name":"蓝影头条","url":"https://lanying.example.cn/"}`, &content.Source{Name: "蓝影头条", URL: "https://lanying.example.cn/"}},
		{`{"name":" 新华社\n"}`, &content.Source{Name: "新华社"}},
		{"null", nil},
	}
	for _, tt := range valid {
		t.Run("valid "+tt.raw, func(t *testing.T) {
			if got := parse(t, doc("source", tt.raw)).Source; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got Source %+v, want %+v", got, tt.want)
			}
		})
	}
	invalid := []struct{ raw, field, reason string }{
		{`"蓝影头条"`, "source", "must be an object"},
		{`{}`, "source.name", "required"},
		{`{"url":"https://lanying.example.cn/"}`, "source.name", "required"},
		{`{"name":"蓝影头条","url":"ftp://lanying.example.cn/"}`, "source.url", "http or https"},
		{`{"name":"蓝影头条","url":1}`, "source.url", "must be a string"},
	}
	for _, tt := range invalid {
		t.Run(tt.raw, func(t *testing.T) {
			wantProblem(t, reject(t, doc("source", tt.raw)), tt.field, tt.reason)
		})
	}
}

func TestParseRights(t *testing.T) {
	if got, want := parse(t, doc("rights", `" © 2024\n 蓝影头条\u0006 "`)).Rights, "© 2024 蓝影头条"; got != want {
		t.Errorf("got Rights %q, want %q", got, want)
	}
	wantOnly(t, reject(t, doc("rights", `{"holder":"蓝影头条"}`)), "rights", "must be a string")
}

func TestParseStatus(t *testing.T) {
	valid := []struct {
		raw  string
		want content.Status
	}{
		{"", content.StatusPublished},
		{"null", content.StatusPublished},
		{`"published"`, content.StatusPublished},
		{`"draft"`, content.StatusDraft},
		{`"deleted"`, content.StatusDeleted},
	}
	for _, tt := range valid {
		t.Run("valid "+tt.raw, func(t *testing.T) {
			if got := parse(t, doc("status", tt.raw)).Status; got != tt.want {
				t.Errorf("got Status %q, want %q", got, tt.want)
			}
		})
	}
	invalid := []struct{ raw, reason string }{
		{`"archived"`, "published, draft or deleted"},
		{`"Draft"`, "published, draft or deleted"},
		{`"publish"`, "published, draft or deleted"},
		{`true`, "must be a string"},
		{`1`, "must be a string"},
	}
	for _, tt := range invalid {
		t.Run(tt.raw, func(t *testing.T) {
			wantOnly(t, reject(t, doc("status", tt.raw)), "status", tt.reason)
		})
	}
}

func TestParseIgnoresExtraAndUnknownFields(t *testing.T) {
	want := parse(t, doc())
	for _, raw := range []string{
		`{"editor":"热点","clicks":33}`, `[1,"a",null]`, `"x"`, `42`, `true`, `null`,
		`{"nested":{"id":5,"url":"ftp://x","published":"yesterday","bad":"\u0000\ud800"}}`,
	} {
		t.Run("extra "+raw, func(t *testing.T) {
			sameArticle(t, parse(t, doc("extra", raw)), want)
		})
		t.Run("unknown "+raw, func(t *testing.T) {
			sameArticle(t, parse(t, doc("x_internal", raw, "ID", raw, "Title", raw)), want)
		})
	}
}

// strings walks v and calls f with the path and value of every string in it.
func walkStrings(v reflect.Value, path string, f func(path, s string)) {
	switch v.Kind() {
	case reflect.String:
		f(path, v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, f)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				walkStrings(v.Field(i), path+"."+v.Type().Field(i).Name, f)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			walkStrings(v.Index(i), fmt.Sprintf("%s[%d]", path, i), f)
		}
	}
}

// wantClean checks that every string in a is valid UTF-8 and holds only
// characters XML 1.0 allows, and returns how many strings it saw.
func wantClean(t *testing.T, a *content.Article) int {
	t.Helper()
	n := 0
	walkStrings(reflect.ValueOf(a), "Article", func(path, s string) {
		n++
		if !utf8.ValidString(s) {
			t.Errorf("%s = %q: not valid UTF-8", path, s)
		}
		for i, r := range s {
			if !content.Allowed(r) {
				t.Errorf("%s = %q: forbidden character %U at byte %d", path, s, r, i)
			}
		}
	})
	return n
}

func TestParseForbiddenCharacters(t *testing.T) {
	// Every forbidden character, as JSON escapes, and as raw UTF-8 where JSON
	// allows it raw (only U+FFFE and U+FFFF: control characters must be escaped).
	var bad strings.Builder
	for r := rune(0); r < 0x20; r++ {
		if r != '\t' && r != '\n' && r != '\r' {
			fmt.Fprintf(&bad, `\u%04x`, r)
		}
	}
	bad.WriteString(`\ufffe\uffff` + "\uFFFE\uFFFF")
	x := bad.String()
	data := doc(
		"title", `"ti`+x+`tle"`,
		"summary", `"<p>sum`+x+`mary</p>"`,
		"content_html", `"<p>con`+x+`tent</p>"`,
		"url", `"https://news.example.cn/a`+x+`.html"`,
		"authors", `[{"name":"na`+x+`me","email":"a`+x+`@example.cn","url":"https://example.cn/`+x+`"},{"email":"b`+x+`@example.cn"}]`,
		"categories", `["cat`+x+`"]`,
		"tags", `["tag`+x+`","`+x+`"]`,
		"image", `{"url":"https://img.example.cn/`+x+`a.jpg","type":"image/`+x+`jpeg","alt":"a`+x+`lt"}`,
		"enclosures", `[{"url":"https://media.example.cn/`+x+`a.mp3","type":"audio/`+x+`mpeg"}]`,
		"source", `{"name":"so`+x+`urce","url":"https://example.cn/`+x+`"}`,
		"rights", `"righ`+x+`ts"`,
	)
	a := parse(t, data)
	if n := wantClean(t, a); n < 20 {
		t.Errorf("checked %d strings, want every string field (at least 20)", n)
	}
	want := &content.Article{
		Key:         testKey,
		ID:          "a-1",
		URL:         "https://news.example.cn/a.html",
		Title:       "title",
		Summary:     "<p>summary</p>",
		SummaryText: "summary",
		ContentHTML: "<p>content</p>",
		Authors:     []content.Author{{Name: "name", Email: "a@example.cn", URL: "https://example.cn/"}, {Name: "b@example.cn", Email: "b@example.cn"}},
		Categories:  []string{"cat"},
		Tags:        []string{"tag"},
		Published:   time.Date(2024, 4, 27, 13, 57, 56, 0, time.UTC),
		Updated:     time.Date(2024, 4, 27, 13, 57, 56, 0, time.UTC),
		Image:       &content.Image{URL: "https://img.example.cn/a.jpg", Type: "image/jpeg", Alt: "alt"},
		Enclosures:  []content.Enclosure{{URL: "https://media.example.cn/a.mp3", Type: "audio/mpeg"}},
		Source:      &content.Source{Name: "source", URL: "https://example.cn/"},
		Rights:      "rights",
		Status:      content.StatusPublished,
	}
	sameArticle(t, a, want)

	t.Run("fixture", func(t *testing.T) {
		a := parse(t, readFile(t, "control-chars.json"))
		wantClean(t, a)
		if want := "供稿系统导出的标题含有控制字符"; a.Title != want {
			t.Errorf("got Title %q, want %q", a.Title, want)
		}
		if want := "摘要里有一个孤立的代理项\uFFFD,发布时应替换为U+FFFD。"; a.Summary != want {
			t.Errorf("got Summary %q, want %q", a.Summary, want)
		}
		for _, keep := range []string{"\n", "\t"} {
			if !strings.Contains(a.ContentHTML, keep) {
				t.Errorf("got ContentHTML %q, want %q kept", a.ContentHTML, keep)
			}
		}
		if strings.Contains(a.ContentHTML, "\r") { // HTML reads a CR as a line feed
			t.Errorf("got ContentHTML %q, want each CR made a line feed", a.ContentHTML)
		}
	})

	surrogates := []struct{ name, raw, want string }{
		{"lone high surrogate", `"a\ud800b"`, "a\uFFFDb"},
		{"lone low surrogate", `"a\udc00b"`, "a\uFFFDb"},
		{"lone surrogate at the end", `"ab\udbff"`, "ab\uFFFD"},
		{"reversed pair", `"\ude80\ud83d"`, "\uFFFD\uFFFD"},
		{"pair", `"\ud83d\ude80"`, "🚀"},
	}
	for _, tt := range surrogates {
		t.Run(tt.name, func(t *testing.T) {
			a := parse(t, doc("title", tt.raw, "summary", tt.raw, "content_html", tt.raw, "tags", "["+tt.raw+"]"))
			for _, got := range []string{a.Title, a.Summary, a.SummaryText, a.ContentHTML, a.Tags[0]} {
				if got != tt.want {
					t.Errorf("got %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func TestParseDocument(t *testing.T) {
	valid := doc()
	invalidUTF8 := []struct {
		name string
		data []byte
	}{
		{"Latin-1 byte", []byte(`{"id":"a-1","title":"caf` + "\xe9" + `"}`)},
		{"stray continuation byte", append([]byte(`{"id":"a-1","title":"`), 0x80, '"', '}')},
		{"truncated sequence", []byte(`{"id":"a-1","title":"` + "\xe4\xb8" + `"}`)},
		{"overlong encoding", []byte(`{"id":"a-1","title":"` + "\xc0\xaf" + `"}`)},
		{"encoded surrogate", []byte(`{"id":"a-1","title":"` + "\xed\xa0\x80" + `"}`)},
		{"above U+10FFFF", []byte(`{"id":"a-1","title":"` + "\xf4\x90\x80\x80" + `"}`)},
		{"outside strings", []byte("{\xff}")},
		{"after a BOM", []byte("\xef\xbb\xbf{\"id\":\"\xff\"}")},
		{"in an otherwise valid document", append(valid[:len(valid)-1:len(valid)-1], []byte(`,"extra":"`+"\xfe"+`"}`)...)},
	}
	for _, tt := range invalidUTF8 {
		t.Run("not UTF-8: "+tt.name, func(t *testing.T) {
			at := 0
			for at < len(tt.data) {
				r, size := utf8.DecodeRune(tt.data[at:])
				if r == utf8.RuneError && size <= 1 {
					break
				}
				at += size
			}
			wantOnly(t, reject(t, tt.data), "", fmt.Sprintf("not valid UTF-8 (at byte %d)", at))
		})
	}

	t.Run("BOM", func(t *testing.T) {
		sameArticle(t, parse(t, append([]byte("\xef\xbb\xbf"), valid...)), parse(t, valid))
		parse(t, readFile(t, "bom.json"))
	})

	notJSON := []struct{ name, data, reason string }{
		{"empty", "", "not valid JSON"},
		{"blank", " \n", "not valid JSON"},
		{"text", "辽阳振兴", "not valid JSON"},
		{"truncated", `{"id":"a-1","title":"辽`, "not valid JSON"},
		{"trailing comma", `{"id":"a-1",}`, "not valid JSON"},
		{"single quotes", `{'id':'a-1'}`, "not valid JSON"},
		{"two documents", string(valid) + string(valid), "not valid JSON"},
		{"raw control character in a string", "{\"title\":\"a\x01b\"}", "not valid JSON"},
		{"a list", "[" + string(valid) + "]", "not a JSON object"},
		{"an empty list", "[]", "not a JSON object"},
		{"null", "null", "not a JSON object"},
		{"null with spaces", " null\n", "not a JSON object"},
		{"a string", `"a-1"`, "not a JSON object"},
		{"a number", `42`, "not a JSON object"},
		{"a boolean", `true`, "not a JSON object"},
	}
	for _, tt := range notJSON {
		t.Run(tt.name, func(t *testing.T) {
			wantOnly(t, reject(t, []byte(tt.data)), "", tt.reason)
		})
	}
	t.Run("syntax error position", func(t *testing.T) {
		wantOnly(t, reject(t, readFile(t, "invalid/broken-syntax.json")), "", "line 6")
	})
}

func TestParseReportsEveryProblem(t *testing.T) {
	data := doc(
		"id", `"bad id"`,
		"url", `"ftp://news.example.cn/a.html"`,
		"title", "",
		"authors", `[{"name":"a"},{"email":5}]`,
		"tags", `"辽阳"`,
		"categories", `["热点",7]`,
		"language", `"english"`,
		"published", `"yesterday"`,
		"updated", `"tomorrow"`,
		"image", `{"length":-5}`,
		"enclosures", `[{"url":"https://media.example.cn/a.mp3"}]`,
		"source", `{}`,
		"rights", `1`,
		"status", `"archived"`,
	)
	e := reject(t, data)
	var got []string
	for _, p := range e.Problems {
		got = append(got, p.Field)
	}
	slices.Sort(got)
	want := []string{
		"authors[1].email", "categories[1]", "enclosures[0].type", "id", "image.length", "image.url",
		"language", "published", "rights", "source.name", "status", "tags", "title", "updated", "url",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got problems for\n%q\nwant\n%q", got, want)
	}
	msg := e.Error()
	for _, field := range want {
		if !strings.Contains(msg, field+": ") {
			t.Errorf("got error %q, want it to name %q", msg, field)
		}
	}
}

func TestInvalidError(t *testing.T) {
	_, err := content.Parse("articles/x.json", doc("id", "", "url", ""), nil)
	wrapped := fmt.Errorf("read articles: %w", err)
	if !errors.Is(wrapped, content.ErrInvalid) {
		t.Errorf("errors.Is(%v, ErrInvalid) = false, want true", wrapped)
	}
	var inv *content.InvalidError
	if !errors.As(wrapped, &inv) {
		t.Fatalf("errors.As(%v, *InvalidError) = false, want true", wrapped)
	}
	if inv.Key != "articles/x.json" {
		t.Errorf("got Key %q, want %q", inv.Key, "articles/x.json")
	}
	want := []content.Problem{{Field: "id", Reason: "is required"}, {Field: "url", Reason: "is required"}}
	if !slices.Equal(inv.Problems, want) {
		t.Errorf("got Problems %+v, want %+v", inv.Problems, want)
	}
	if got, want := inv.Error(), "articles/x.json: id: is required; url: is required"; got != want {
		t.Errorf("got Error() %q, want %q", got, want)
	}
	doc := &content.InvalidError{Key: "k", Problems: []content.Problem{{Reason: "not valid JSON"}}}
	if got, want := doc.Error(), "k: not valid JSON"; got != want {
		t.Errorf("got Error() %q, want %q", got, want)
	}
}

// Hostile sizes are refused with a clear problem, and quickly: a list is
// capped before its entries are compared with each other.
func TestParseLimits(t *testing.T) {
	many := func(n int, item string) string {
		return "[" + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + "]"
	}
	for _, tt := range []struct{ field, raw, reason string }{
		{"tags", many(100000, `"t"`), "more than the 256"},
		{"categories", many(257, `"c"`), "more than the 256"},
		{"authors", many(300, `{"name":"a"}`), "more than the 256"},
		{"enclosures", many(1000, `{"url":"https://x.cn/a.mp3","type":"audio/mpeg"}`), "more than the 256"},
		{"tags[0]", `["` + strings.Repeat("长", 201) + `"]`, "more than 200"},
		{"authors[0].name", `[{"name":"` + strings.Repeat("名", 201) + `"}]`, "more than 200"},
	} {
		t.Run(tt.field, func(t *testing.T) {
			field, _, _ := strings.Cut(tt.field, "[")
			wantOnly(t, reject(t, doc(field, tt.raw)), tt.field, tt.reason)
		})
	}
	a := parse(t, doc("tags", many(256, `"t"`)))
	if len(a.Tags) != 1 {
		t.Errorf("256 equal tags gave %d tags, want 1", len(a.Tags))
	}
}
