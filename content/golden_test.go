package content_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/content/corpus"
)

// The parse golden file records what Parse, Text and Cut gave for a few
// thousand documents and fragments when it was written: the default corpus,
// malformed and short corpora, mutations of them, the fixtures, and hostile
// inputs. Parse must keep giving exactly that; a change that means to alter
// the results rewrites the file with
//
//	go test ./content -run TestParseGolden -update-parse-golden
//
// and the diff says what changed.
var updateParseGolden = flag.Bool("update-parse-golden", false, "rewrite testdata/parse-golden.jsonl.gz from the current Parse")

const parseGoldenFile = "testdata/parse-golden.jsonl.gz"

// goldenCase is one input: a document for Parse (Doc set) or an HTML
// fragment for Text (Fragment set).
type goldenCase struct {
	Name     string
	Doc      []byte
	Loc      *time.Location
	Fragment string
}

// goldenRecord is what a case gave, as stored: one JSON line per case.
type goldenRecord struct {
	Name  string `json:"name"`
	Input string `json:"in"` // hash of the input, so that a changed generator is noticed
	Loc   string `json:"loc,omitempty"`

	Article  any        `json:"article,omitempty"`
	Cleaned  []bool     `json:"cleaned,omitempty"` // Cleaned of Title, Summary, SummaryText, ContentHTML
	Error    string     `json:"error,omitempty"`
	Problems [][]string `json:"problems,omitempty"`
	Both     bool       `json:"both,omitempty"` // an article and an error

	Text string `json:"text,omitempty"`
	Cut  string `json:"cut,omitempty"`
}

func TestParseGolden(t *testing.T) {
	cases := goldenCases(t)
	got := make([]goldenRecord, len(cases))
	for i, c := range cases {
		got[i] = record(c)
	}
	if *updateParseGolden {
		writeGolden(t, got)
		return
	}
	want := readGolden(t)
	if len(want) != len(got) {
		t.Fatalf("golden file has %d records, the cases are %d: rewrite it with -update-parse-golden if the cases changed on purpose", len(want), len(got))
	}
	failed := 0
	for i := range got {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Input != w.Input {
			t.Fatalf("case %d is %s (input %s), golden file has %s (input %s): the inputs changed; rewrite with -update-parse-golden", i, g.Name, g.Input, w.Name, w.Input)
		}
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		if !bytes.Equal(gj, wj) {
			failed++
			if failed <= 10 {
				t.Errorf("case %s:\ngot  %s\nwant %s", g.Name, gj, wj)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d cases differ from the golden file", failed, len(got))
	}
}

func record(c goldenCase) goldenRecord {
	r := goldenRecord{Name: c.Name}
	if c.Loc == nil { // a fragment
		r.Input = digest([]byte(c.Fragment))
		r.Text = content.Text(c.Fragment)
		r.Cut = content.Cut(r.Text, 300)
		r.Text, r.Cut = short(r.Text), short(r.Cut)
		return r
	}
	r.Input = digest(c.Doc)
	r.Loc = c.Loc.String()
	a, err := content.Parse(c.Name, c.Doc, c.Loc)
	if err != nil {
		r.Error = short(err.Error())
		var inv *content.InvalidError
		if errors.As(err, &inv) {
			for _, p := range inv.Problems {
				r.Problems = append(r.Problems, []string{short(p.Field), short(p.Reason)})
			}
		} else {
			r.Problems = [][]string{{"not an InvalidError", fmt.Sprintf("%T", err)}}
		}
		r.Both = a != nil
		return r
	}
	r.Article = canonical(reflect.ValueOf(*a))
	for _, s := range []string{a.Title, a.Summary, a.SummaryText, a.ContentHTML} {
		r.Cleaned = append(r.Cleaned, a.Cleaned(s))
	}
	return r
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// short keeps a string as it is up to 200 bytes of valid UTF-8 and replaces
// a longer one (or invalid UTF-8) with its length and hash.
func short(s string) string {
	if len(s) <= 200 && utf8.ValidString(s) && !strings.HasPrefix(s, "sha256:") {
		return s
	}
	return fmt.Sprintf("sha256:%d:%s", len(s), digest([]byte(s)))
}

// canonical turns every exported field of v into JSON values that tell apart
// everything reflect.DeepEqual tells apart (nil and empty slices, nil
// pointers), times with their location.
func canonical(v reflect.Value) any {
	if v.Type() == reflect.TypeFor[time.Time]() {
		t := v.Interface().(time.Time)
		return t.Format(time.RFC3339Nano) + " " + t.Location().String()
	}
	switch v.Kind() {
	case reflect.String:
		return short(v.String())
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return map[string]any{"*": canonical(v.Elem())}
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		out := []any{}
		for i := range v.Len() {
			out = append(out, canonical(v.Index(i)))
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				out[f.Name] = canonical(v.Field(i))
			}
		}
		return out
	}
	panic(fmt.Sprintf("canonical: unexpected %v", v.Type()))
}

func writeGolden(t *testing.T, records []goldenRecord) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	for _, r := range records {
		line, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		zw.Write(append(line, '\n'))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(parseGoldenFile, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d records to %s (%d bytes)", len(records), parseGoldenFile, buf.Len())
}

func readGolden(t *testing.T) []goldenRecord {
	f, err := os.Open(parseGoldenFile)
	if err != nil {
		t.Fatalf("%v (write it with -update-parse-golden)", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []goldenRecord
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r goldenRecord
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		if err := d.Decode(&r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// goldenCases lists every input, in a fixed order.
func goldenCases(t testing.TB) []goldenCase {
	var cases []goldenCase
	add := func(name string, data []byte, loc *time.Location) {
		cases = append(cases, goldenCase{Name: name, Doc: data, Loc: loc})
	}
	locs := []*time.Location{shanghai, newYork, time.UTC, berlin}
	rng := rand.New(rand.NewPCG(1, 2))

	// Corpora: the default one, a malformed one, short bodies.
	var bodies []string
	for _, opts := range []corpus.Options{
		{N: 2000, Seed: 1},
		{N: 400, Seed: 7, Malformed: 0.5},
		{N: 200, Seed: 3, ShortBodies: true, Malformed: 0.1},
	} {
		g, err := corpus.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		for i := range opts.N {
			key, body := g.Doc(i)
			add(fmt.Sprintf("corpus/%d/%s", opts.Seed, key), body, corpus.DefaultLocation)
			if opts.Seed == 1 && i < 300 {
				var m map[string]any
				if json.Unmarshal(body, &m) == nil {
					if s, ok := m["content_html"].(string); ok {
						bodies = append(bodies, s)
					}
				}
			}
		}
	}

	// Fixtures.
	for _, pattern := range []string{"testdata/*.json", "testdata/invalid/*.json"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, loc := range locs {
				add("fixture/"+name+"/"+loc.String(), data, loc)
			}
		}
	}

	// Corpus documents cut short, and with bytes changed: syntax errors
	// at every kind of place, with their line and column.
	g, _ := corpus.New(corpus.Options{N: 100, Seed: 11})
	for i := range 100 {
		_, body := g.Doc(i)
		for j := range 4 {
			n := rng.IntN(len(body) + 1)
			add(fmt.Sprintf("truncated/%d/%d", i, j), body[:n:n], locs[j%len(locs)])
		}
		for j := range 4 {
			b := bytes.Clone(body)
			p := rng.IntN(len(b))
			b[p] = `{}[]",:\ 0a-"`[rng.IntN(13)]
			add(fmt.Sprintf("changed/%d/%d", i, j), b, locs[j%len(locs)])
		}
	}

	// Every field with every kind of value.
	kinds := []string{`null`, `0`, `-1`, `1.5`, `1e3`, `true`, `false`, `""`, `"  "`, `" \t\n "`, `{}`, `[]`,
		`[null]`, `["x"]`, `{"x":1}`, `"x"`, `"\u0000"`, `"https://e.cn/x"`, `[{}]`, `[1]`, `[""]`}
	fields := []string{"id", "url", "title", "summary", "content_html", "authors", "categories", "tags",
		"language", "published", "updated", "image", "enclosures", "source", "rights", "status"}
	for _, f := range fields {
		for i, k := range kinds {
			add(fmt.Sprintf("kind/%s/%d", f, i), doc(f, k), locs[i%len(locs)])
			add(fmt.Sprintf("kind-no-title/%s/%d", f, i), doc("title", "", f, k), locs[i%len(locs)])
		}
	}
	for i, k := range kinds {
		for _, f := range []string{"name", "email", "url"} {
			add(fmt.Sprintf("author/%s/%d", f, i), doc("authors", `[{"name":"n",`+quote(f)+`:`+k+`}]`), shanghai)
		}
		for _, f := range []string{"url", "type", "length", "alt"} {
			add(fmt.Sprintf("image/%s/%d", f, i), doc("image", `{"url":"https://e.cn/i.jpg",`+quote(f)+`:`+k+`}`), shanghai)
		}
		for _, f := range []string{"url", "type", "length", "duration"} {
			add(fmt.Sprintf("enclosure/%s/%d", f, i), doc("enclosures", `[{"url":"https://e.cn/a.mp3","type":"audio/mpeg",`+quote(f)+`:`+k+`}]`), shanghai)
		}
		for _, f := range []string{"name", "url"} {
			add(fmt.Sprintf("source/%s/%d", f, i), doc("source", `{"name":"s",`+quote(f)+`:`+k+`}`), shanghai)
		}
	}

	// Numbers, strings and the shapes of JSON.
	for i, n := range []string{`0`, `-0`, `1`, `01`, `1.0`, `1.50`, `1e2`, `1E+2`, `1e-2`, `-5`, `9223372036854775807`,
		`9223372036854775808`, `1e300`, `1e400`, `-`, `.5`, `5.`, `0x10`, `+1`, `"12"`, `1_000`, `NaN`, `Infinity`, `123456789012345678901234567890`} {
		add(fmt.Sprintf("number/%d", i), doc("image", `{"url":"https://e.cn/i.jpg","length":`+n+`}`), shanghai)
		add(fmt.Sprintf("number-duration/%d", i), doc("enclosures", `[{"url":"https://e.cn/a.mp3","type":"audio/mpeg","duration":`+n+`}]`), shanghai)
	}
	for i, s := range []string{`"a\"b"`, `"a\\b"`, `"a\/b"`, `"\b\f\n\r\t"`, `"\u0041\u00e9\u4e2d"`, `"\ud83d\ude00"`,
		`"\ud800"`, `"\ud800x"`, `"\ud800\u0041"`, `"\udc00"`, `"\udc00\ud800"`, `"\ud800\ud800\udc00"`, `"\uD83D\uDE00"`,
		`"\uffff\ufffe"`, `"\u0001\u000b\u000c"`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"a\x01b\"", "\"a\tb\"", `"\'"`, `"a`,
		`"\u0000"`, `"` + strings.Repeat(`\u4e2d`, 400) + `"`, `"` + strings.Repeat(`a\n `, 300) + `"`, `"\ufeffx"`} {
		for _, f := range []string{"title", "summary", "content_html", "rights", "tags"} {
			v := s
			if f == "tags" {
				v = "[" + s + "]"
			}
			add(fmt.Sprintf("string/%s/%d", f, i), doc(f, v), shanghai)
		}
	}
	for i, d := range []string{"", " ", "\n\t ", "null", " null ", "[]", "[{}]", "{}", " {} ", "1", `"s"`, "true",
		"{} {}", "{}x", "{,}", `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1 "b":2}`, `{a:1}`, `{"a":1}}`, `{"a":[1,]}`,
		`{"a":[1 2]}`, `{"a":{"b":}}`, "{\"a\":\"\n\"}", `{"id":"a","id":"b"}`, `{"ti\u0074le":"t"}`, `{"Title":"t","id":"a"}`,
		"\xef\xbb\xbf{}", "\xef\xbb\xbf\xef\xbb\xbf{}", "{\"a\":1}\x00", `{"":1}`, `{"a":tru}`, `{"a":nul}`, `{"a":True}`,
		`{"a":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`,
		`{"a":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
		`{"a":` + strings.Repeat(`{"b":`, 200) + "1" + strings.Repeat("}", 200) + `}`,
	} {
		add(fmt.Sprintf("shape/%d", i), []byte(d), locs[i%len(locs)])
	}
	base := string(doc())
	for i, d := range []string{
		strings.Replace(base, `{`, "{\n\t ", 1),
		strings.ReplaceAll(base, `,`, " ,\r\n "),
		strings.ReplaceAll(base, `:`, " : "),
		base[:len(base)-1] + `,"id":"dup-2"}`,
		base[:len(base)-1] + `,"title":null}`,
		base[:len(base)-1] + `,"title":5}`,
		base[:len(base)-1] + `,"extra":{"deep":[1,2,{"x":[true,false,null]}],"s":"\u4e2d"}}`,
		base[:len(base)-1] + `,"Published":"x","URL":"y"}`,
		base[:len(base)-1] + `,"title":"a","title":"b","title":"c"}`,
		base[:len(base)-1] + `,"\u0069d":"escaped-key"}`,
	} {
		add(fmt.Sprintf("object/%d", i), []byte(d), locs[i%len(locs)])
	}

	// One-line texts: titles, rights, labels, names.
	for i, s := range []string{"a", " a ", "a  b", "a\tb", "a\nb", "a\r\nb", "a\u00a0b", "a\u0085b", "a\u2028b",
		"a\u3000b", "a\u200bb", "a\vb", "a\fb", "a\x01b", "a\ufffeb", "\u3000a\u3000", " \v ", strings.Repeat(" ", 5000) + "x" + strings.Repeat("\n\t", 5000),
		"辽阳 振兴", "e\u0301", "AT&amp;T", "<b>x</b>", strings.Repeat("名", 200), strings.Repeat("名", 201), strings.Repeat("名 ", 150)} {
		q := quote(s)
		add(fmt.Sprintf("line/title/%d", i), doc("title", q), shanghai)
		add(fmt.Sprintf("line/rights/%d", i), doc("rights", q), shanghai)
		add(fmt.Sprintf("line/tags/%d", i), doc("tags", "["+q+","+q+`,"x"]`, "categories", "["+q+"]"), shanghai)
		add(fmt.Sprintf("line/author/%d", i), doc("authors", `[{"name":`+q+`},{"name":"","email":`+q+`}]`), shanghai)
		add(fmt.Sprintf("line/summary/%d", i), doc("title", "", "summary", q), shanghai)
		add(fmt.Sprintf("line/source/%d", i), doc("source", `{"name":`+q+`}`, "image", `{"url":"https://e.cn/i.jpg","alt":`+q+`,"type":`+q+`}`), shanghai)
		add(fmt.Sprintf("line/language/%d", i), doc("language", q, "status", q, "published", q), shanghai)
	}
	for i, s := range []string{"en", "en-US", "zh-Hant-TW", "x-private", "en_US", "english", "EN", "a", "abcdefghi", "en-", "-en",
		"en--us", "en-abcdefghi", "i-klingon", "sgn-BE-FR", "zh-min-nan", " en ", "en\n", "de-CH-1901", "ja-Latn-hepburn-heploc"} {
		add(fmt.Sprintf("language/%d", i), doc("language", quote(s)), shanghai)
	}
	for i, s := range []string{"a-1", "A.b_c-9", "a b", "a/b", "", " ", "中", "a\u0000", strings.Repeat("x", 200), strings.Repeat("x", 201), "a\n"} {
		add(fmt.Sprintf("id/%d", i), doc("id", quote(s)), shanghai)
	}

	// HTML: each fragment as Text and Cut see it, as content without a
	// summary (the summary derived from it), and as a summary without a
	// title (the title derived from it).
	var fragments []string
	fragments = append(fragments, hostileHTML()...)
	for i, b := range bodies {
		if i < 40 {
			fragments = append(fragments, b)
		}
		// A random tag, end tag or character reference put somewhere in a
		// real body: the cases a tokenizer pass must hand to the parser.
		for range 3 {
			p := rng.IntN(len(b) + 1)
			for p > 0 && p < len(b) && !utf8.RuneStart(b[p]) {
				p--
			}
			ins := insertions[rng.IntN(len(insertions))]
			fragments = append(fragments, b[:p]+ins+b[p:])
		}
	}
	for i, f := range fragments {
		cases = append(cases, goldenCase{Name: fmt.Sprintf("text/%d", i), Fragment: f})
		add(fmt.Sprintf("html-content/%d", i), doc("content_html", quote(f)), locs[i%len(locs)])
		add(fmt.Sprintf("html-summary/%d", i), doc("title", "", "summary", quote(f)), locs[i%len(locs)])
		if i%4 == 0 {
			add(fmt.Sprintf("html-both/%d", i), doc("summary", quote(f), "content_html", quote(f)), locs[i%len(locs)])
		}
	}
	return cases
}

var insertions = []string{
	"<p>", "</p>", "<div>", "</div>", "<li>", "</li>", "<ul>", "</ul>", "<b>", "</b>", "<a>", "</a>", "<a href=x>",
	"<table>", "</table>", "<td>", "<tr>", "<script>", "<style>", "<textarea>", "<title>", "<plaintext>", "<xmp>",
	"<noscript>", "<template>", "</template>", "<svg>", "<math>", "<select>", "<option>", "<br>", "</br>", "<hr>",
	"<img alt=x>", "<image alt=y>", "<img>", "<h1>", "</h1>", "<h2>", "<pre>", "</pre>", "<span>", "</span>",
	"<!--", "-->", "<!-- c -->", "<!doctype html>", "<html>", "</html>", "<body>", "</body>", "<head>", "<frameset>",
	"&", "&amp;", "&#0;", "&#1;", "&#xFFFE;", "&nbsp;", "&lt;p&gt;", "<", ">", "</", "<p/>", "<div/>", "<br/>",
	"<button>", "<form>", "<dl><dt>", "<nobr>", "<font>", "<o:p>", "<custom-x>", "</custom-x>", "<P>", "</P>",
	"<figure>", "</figure>", "<figcaption>", "<blockquote>", "<strong>", "</strong>", "<em>", "</em>", "<i>",
	"\u0000", "\u00a0\u00a0", "\u3000", "e\u0301\u0301", "👨\u200d👩", "🇨🇳🇫🇷", "\r\n\r\n", "\v\f",
	strings.Repeat("<span>", 520), strings.Repeat("<b>", 520), strings.Repeat("<i><b>", 300), strings.Repeat("</p>", 3),
}

// hostileHTML is markup a tree builder treats in every way it can: implied
// and ignored tags, reparenting, raw text, foreign content, depth limits,
// entities and white space of every kind.
func hostileHTML() []string {
	long := strings.Repeat("辽阳市坚持把产业数字化、数字产业化作为产业结构调整的突破口，", 12)
	words := strings.Repeat("The city council approved the budget for next year. ", 12)
	f := []string{
		"", "plain", "  lead and trail  ", "a\n\n\tb", "a&amp;b", "&lt;p&gt;", "&#0;&#1;&#x0b;&#xFFFE;&#xD800;&#x110000;&#128;&#150;",
		"<p>a</p><p>b</p>", "<p>a<p>b", "<p>a<div>b</div>c</p>", "<p>a</div>b", "</p>x", "a</p>b", "<b>1<p>2</b>3</p>",
		"<a href=x>1<a>2</a>3</a>", "<ul><li>a<li>b</ul>", "<ul><li>a<ul><li>b</ul></ul>", "<ul><li>a<ul><li>b</li></ul></li></ul>",
		"<li>a<li>b", "<h1>a<h2>b</h2></h1>", "<h1>a</h2>b", "<h1>a</h1><h2>b</h2>",
		"<table><tr><td>a</td><td>b</td></tr></table>", "<table>x<tr><td>y</table>", "<table><caption>c</caption>t<tr><td>d</td></tr></table>",
		"<script>x</script>y", "<style>p{}</style>y", "<title>t</title>b", "<textarea>a<b>c</b></textarea>d", "<plaintext><b>x",
		"<xmp><b>x</xmp>y", "<noscript>n</noscript>m", "<template><p>t</p></template>u", "<iframe>i</iframe>j",
		"<head>h</head>x", "<html><body>b</body></html>after", "<body>x</body>y", "<frameset>f", "<select><option>a<option>b</select>c",
		"<svg><title>s</title><text>t</text></svg>u", "<math><mi>x</mi></math>", "<svg><p>x</p></svg>", "<svg><![CDATA[c]]></svg>",
		"<img alt=x>", `<img alt="">`, "<img alt=a alt=b>", "<image alt=im>", "<IMG ALT=Up>", "<img alt='a&amp;b'>", "<img/alt=x>",
		"<img alt=\"a\nb\">", "<img alt=\"&#1;\">", "x<img alt=y>z",
		"<br>", "a<br/>b", "a</br>b", "a<wbr>b", "a<hr>b", "<p>a<hr>b", "<pre>\nx</pre>", "<pre>\r\nx</pre>", "<pre><!--c-->\nx</pre>",
		"<!-- comment -->x", "<!--x", "<!doctype html>x", "<!x>y", "</ x>y", "<?php x ?>y", "a < b > c", "<3", "<", "&", "&amp",
		"&notit;", "&ampx", "AT&T", "<p title=\"a>b\">c</p>", "<p title='<p>'>x</p>", "<span>a</span><span>b</span>",
		"un<b>bro</b>ken", "<b><i>x</b></i>", "<b><b><b><b>x</b></b></b></b>", "<b a=1><b a=1><b a=1><b a=1>x</b>y</b>z</b>w</b>",
		"<a>x<div>y</div>z</a>", "<div><p>x</div>y", "<p><figure>f</figure>", "<figure><figcaption>c</figcaption><img alt=i></figure>",
		"<p>x</p >", "<p >x</p>", "<p/>x", "<span/>x", "<div/>x</div>", "<P>upper</P>", "<p>a</P>", "<Div>x</DIV>",
		"<custom-tag>x</custom-tag>", "<o:p>x</o:p>", "<font>x</font>", "<nobr>a<nobr>b", "<button>a<button>b",
		"<dl><dt>a<dd>b</dl>", "<form>a<form>b</form>", "&#x1F600;", "&NotNestedGreaterGreater;", "&amp;lt;", "\x00", "a\x00b",
		"a\u00a0b", "a\u0085b", "a\u2028b", "a\u3000b", "a\vb", "a\fb", "a\x01b", "a\uFFFEb", "a&#x85;b", "a&nbsp;&nbsp;b",
		strings.Repeat(" ", 10000) + "<p>x</p>" + strings.Repeat("\n", 10000),
		strings.Repeat("<span>", 600) + "deep", strings.Repeat("<b>", 600) + "deep", strings.Repeat("<div>", 510) + "x",
		strings.Repeat("<div>", 511) + "x", strings.Repeat("<div>", 512) + "x", strings.Repeat("<div>x</div>", 300),
		strings.Repeat("<p>", 700), strings.Repeat("<span>x</span>", 600), strings.Repeat("<em>", 511) + "x",
		strings.Repeat("<li>", 300) + "x", "<ul>" + strings.Repeat("<li>x", 300) + "</ul>",
		"<p>" + long + "</p>", "<p>" + words + "</p>", long, words, "<p>" + long + "<table><tr><td>t</table>",
		"<p>" + words + "</p>" + strings.Repeat("<b>", 600), "<p>" + long + "</p>" + "<p>a</div>b",
		"<p>" + strings.Repeat("e\u0301", 400) + "</p>", "<p>" + strings.Repeat("🇨🇳", 200) + "</p>",
		"<p>" + strings.Repeat("a", 298) + "\u200d" + strings.Repeat("b", 10) + "</p>",
		"<p>" + strings.Repeat("ab ", 99) + "<b>cd</b> ef gh</p>", "<p>" + strings.Repeat("x", 299) + "<br>y</p>",
		"<p>" + strings.Repeat("x", 300) + "</p>", "<p>" + strings.Repeat("x", 301) + "</p>", "<p>" + strings.Repeat("x", 300) + " </p> ",
		"<p>" + strings.Repeat("x", 300) + "&#1;</p>", "<p>" + strings.Repeat("x", 300) + "&#xFFFE;y</p>",
		"<p>" + strings.Repeat("x", 299) + "\u00a0y</p>", "<p>" + strings.Repeat("x", 300) + "\u00a0</p>",
		"<p>" + strings.Repeat("词", 299) + "，、；z</p>", "<p>" + strings.Repeat("x ", 150) + "—y</p>",
	}
	return f
}

// BenchmarkParseCorpus parses documents of the default corpus (2–6 KB HTML
// bodies, two thirds English, a third Chinese or Japanese): ns/op is per
// document.
func BenchmarkParseCorpus(b *testing.B) {
	g, err := corpus.New(corpus.Options{N: 2000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	type item struct {
		key  string
		body []byte
	}
	docs := make([]item, g.N())
	size := 0
	for i := range docs {
		docs[i].key, docs[i].body = g.Doc(i)
		size += len(docs[i].body)
	}
	b.SetBytes(int64(size / len(docs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		d := docs[i%len(docs)]
		if _, err := content.Parse(d.key, d.body, corpus.DefaultLocation); err != nil {
			b.Fatal(err)
		}
	}
}
