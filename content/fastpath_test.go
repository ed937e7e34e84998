package content

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html/atom"
	"golang.org/x/text/language"
)

// The fast paths of Parse each stand in for a slower way that is kept, as
// the fallback or here as the reference: these tests and fuzz targets check
// that they agree on every input.

// jsonSeeds are JSON texts of every shape the scanner meets, valid and not.
var jsonSeeds = []string{
	``, ` `, `{}`, ` { } `, `{"a":1}`, `{"a":"b","a":"c"}`, `{"":null}`, `{"a":[1,2,{"b":[true,false,null]}]}`,
	`{"a":-0.5e+10}`, `{"a":01}`, `{"a":1.}`, `{"a":.1}`, `{"a":-}`, `{"a":1e}`, `{"a":+1}`, `{"a":0x1}`,
	`{"a":tru}`, `{"a":nul}`, `{"a":"\u00e9\ud83d\ude00\ud800\udc00x\udc00"}`, `{"a":"\x"}`, `{"a":"\u12"}`,
	"{\"a\":\"\x01\"}", "{\"a\":\"\x7f\xc3\xa9\"}", `{"a":"\/\b\f\n\r\t\"\\"}`, `{"a\u0062":1}`, `{"a":1,}`,
	`{"a":1 "b":2}`, `{a:1}`, `{"a":1}}`, `{"a":1} x`, `[]`, `[{}]`, `null`, `"s"`, `1`, `{"a":[1,]}`, `{"a":[,1]}`,
	`{"a":{"b":}}`, `{"a"}`, `{"a":}`, `{,}`, "{\"a\":1}\n\t\r ", "\ufeff{}", `{"a":"` + strings.Repeat(`\"`, 20) + `"}`,
	`{"a":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`,
	`{"a":"` + strings.Repeat("abcdefgh", 9) + `\n` + strings.Repeat("\u4e2d文", 9) + `"}`,
}

func FuzzScanJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) {
			return // Parse refuses the document before reading its JSON
		}
		got, ok := scanObject(data, nil)
		var want map[string]json.RawMessage
		err := json.Unmarshal(data, &want)
		if !ok {
			if err == nil && want != nil && depth(data) < maxScanDepth {
				t.Errorf("scanObject(%q) refused a document json.Unmarshal reads as %v", data, want)
			}
			return
		}
		if err != nil || want == nil {
			t.Fatalf("scanObject(%q) read a document json.Unmarshal refuses: %v", data, err)
		}
		keys := map[string]bool{}
		for _, m := range got {
			keys[string(m.key)] = true
		}
		if len(keys) != len(want) {
			t.Errorf("scanObject(%q): %d keys, json.Unmarshal %d", data, len(keys), len(want))
		}
		for k, v := range want {
			if g := got.get(k); !bytes.Equal(g, v) {
				t.Errorf("scanObject(%q): %q is %q, json.Unmarshal has %q", data, k, g, v)
			}
			checkValue(t, v)
		}
	})
}

// checkValue checks that the decoder reads a raw value (and the members or
// entries in it) as json.Unmarshal does.
func checkValue(t *testing.T, raw json.RawMessage) {
	t.Helper()
	switch raw[0] {
	case '"':
		var want string
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatalf("json.Unmarshal(%q): %v", raw, err)
		}
		got, controls, ok := unquote(raw)
		if !ok || got != want {
			t.Errorf("unquote(%q) = %q, %v; json.Unmarshal gives %q", raw, got, ok, want)
		}
		if !controls && Clean(got) != got && !hasNoncharacter(got) {
			t.Errorf("unquote(%q) = %q: Clean changes it, but unquote reports no control characters", raw, got)
		}
	case '{':
		d := decoder{}
		got := d.object(field("x"), raw)
		var want map[string]json.RawMessage
		if err := json.Unmarshal(raw, &want); err != nil || got == nil || len(d.problems) > 0 {
			t.Fatalf("object(%q) = %v, %v; json.Unmarshal: %v", raw, got, d.problems, err)
		}
		for k, v := range want {
			if g := got.get(k); !bytes.Equal(g, v) {
				t.Errorf("object(%q): %q is %q, json.Unmarshal has %q", raw, k, g, v)
			}
			checkValue(t, v)
		}
	case '[':
		d := decoder{}
		got := d.list(field("x"), raw)
		var want []json.RawMessage
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		if len(want) > maxListEntries {
			return
		}
		if len(got) != len(want) || len(d.problems) > 0 {
			t.Fatalf("list(%q) = %q, %v; json.Unmarshal gives %q", raw, got, d.problems, want)
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Errorf("list(%q)[%d] = %q, json.Unmarshal gives %q", raw, i, got[i], want[i])
			}
			checkValue(t, want[i])
		}
	}
}

// depth is how deeply lists and objects nest in a JSON text.
func depth(data []byte) int {
	n, deepest, inString := 0, 0, false
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && (c == '[' || c == '{'):
			n++
			deepest = max(deepest, n)
		case !inString && (c == ']' || c == '}'):
			n--
		}
	}
	return deepest
}

func TestScanJSON(t *testing.T) {
	for _, s := range jsonSeeds {
		t.Run(fmt.Sprintf("%.40q", s), func(t *testing.T) {
			if _, ok := scanObject([]byte(s), nil); !ok {
				return
			}
			var want map[string]json.RawMessage
			if err := json.Unmarshal([]byte(s), &want); err != nil || want == nil {
				t.Fatalf("scanObject read %q, json.Unmarshal refuses it: %v", s, err)
			}
		})
	}
	// Too deep for the scanner: json.Unmarshal reads it, and so does Parse.
	deep := `{"id":"a","x":` + strings.Repeat("[", maxScanDepth+5) + strings.Repeat("]", maxScanDepth+5) + `}`
	if _, ok := scanObject([]byte(deep), nil); ok {
		t.Errorf("scanObject read a document %d deep", maxScanDepth+6)
	}
	d := decoder{loc: time.UTC}
	if d.parse([]byte(deep)); len(d.problems) == 0 || d.problems[0].Field != "url" {
		t.Errorf("a deep document gave problems %v, want url, published and title ones", d.problems)
	}
}

// htmlSeeds are fragments for FuzzText: plain ones, and every way the
// parser's tree can differ from the nesting of the tags.
var htmlSeeds = append(hostileFragments(), []string{
	`<p class="x" id='y' data-a=b hidden>t</p>`, `<p a="1"b="2">t</p>`, `<p a = "1">t</p>`, `<p a=1/>t`, `<p/ >t`,
	`<br/>`, `<img src=x alt="a" />`, `<img alt=a/>`, `<p>x<`, `<p>x</`, `<p>x</p`, `<p x="`, "<p\x0cx>t</p>",
	"<P\nclass=a>t</P>", `<h1>a</h1 >b`, `<span>a</span x>`, `<p>a<br>b</p><p>c</p>`, `<ul><li>a</li><li>b</li></ul>`,
}...)

// hostileFragments are the markup cases of the golden file, short.
func hostileFragments() []string {
	return []string{
		"", "plain", " a  b ", "a&amp;b", "&#0;&#1;&#xFFFE;&nbsp;", "<p>a</p><p>b</p>", "<p>a<p>b", "<p>a<div>b</div>c</p>",
		"<p>a</div>b", "</p>x", "<b>1<p>2</b>3</p>", "<a>1<a>2</a>3</a>", "<ul><li>a<li>b</ul>", "<li>a<ul><li>b</ul>",
		"<h1>a<h2>b</h2></h1>", "<table>x<tr><td>y</table>", "<script>x</script>y", "<textarea>a</textarea>", "<plaintext>x",
		"<svg><title>s</title></svg>u", "<img alt=x>", "<img alt=a alt=b>", "<image alt=im>", "a</br>b", "a<hr>b",
		"<pre>\nx</pre>", "<!--c-->x", "<!doctype html>x", "a < b", "<p/>x", "<b><b><b><b>x</b></b></b></b>",
		"<div><p>x</div>y", strings.Repeat("<span>", 520) + "x", strings.Repeat("<div>", 300) + "x", "a\u00a0b\u3000c\vd\x01e",
	}
}

func FuzzText(f *testing.F) {
	for _, s := range htmlSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, fragment string) {
		fragment = Clean(fragment) // as Parse gives it to Text
		want := treeText(fragment)
		if got := Text(fragment); got != want {
			t.Fatalf("Text(%q) = %q, the tree gives %q", fragment, got, want)
		}
		for _, n := range []int{0, 1, 2, 7, 100, 301} {
			if got, w := textPrefix(fragment, n), prefix(want, n); got != w {
				t.Fatalf("textPrefix(%q, %d) = %q, want %q", fragment, n, got, w)
			}
			if got, ok := tokenText(fragment, n); ok && got != prefix(want, n) {
				t.Fatalf("tokenText(%q, %d) = %q, want %q", fragment, n, got, prefix(want, n))
			}
		}
		if got, w := Cut(textPrefix(fragment, summaryCut+1), summaryCut), Cut(want, summaryCut); got != w {
			t.Fatalf("the summary of %q is %q, want %q", fragment, got, w)
		}
	})
}

func TestText(t *testing.T) {
	for _, s := range htmlSeeds {
		want := treeText(s)
		if got := Text(s); got != want {
			t.Errorf("Text(%q) = %q, the tree gives %q", s, got, want)
		}
		if got, w := textPrefix(s, 3), prefix(want, 3); got != w {
			t.Errorf("textPrefix(%q, 3) = %q, want %q", s, got, w)
		}
	}
	// The corpus's markup takes the fast way; these must too.
	for _, s := range []string{
		`<p>a <a href="https://e.cn/x">b</a> <strong>c</strong> &mdash; <em>d</em></p><figure><img src="x.jpg" alt="y" width="1"><figcaption>z</figcaption></figure>`,
		"<ul><li>a</li><li>b</li></ul><ol><li>c</li></ol>\n<p>d</p><img src=x alt=e><p>R&amp;D 4&nbsp;%</p>",
		`<h2>a</h2><blockquote><p>b</p></blockquote><p>c<br>d<br/>e</p><hr><section><article><div>f</div></article></section>`,
	} {
		for _, n := range []int{-1, 2} {
			if _, ok := tokenText(s, n); !ok {
				t.Errorf("tokenText(%q, %d) handed on", s, n)
			}
		}
	}
	// Where the parser's depth limit is.
	for _, n := range []int{maxOpen - 1, maxOpen, 510, 511, 512} {
		s := strings.Repeat("<span>", n) + "x"
		if got, want := Text(s), treeText(s); got != want {
			t.Errorf("Text of %d spans = %q, want %q", n, got, want)
		}
	}
}

// The patterns and functions the fast versions replace, as they were.
var (
	idPattern       = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	languagePattern = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$`)
)

func oldClean(s string) string {
	var b strings.Builder
	for _, r := range s { // ranging yields U+FFFD for invalid bytes
		if Allowed(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func oldEscapeURI(s string) string {
	const allowed = "-._~:/?#[]@!$&'()*+,;=%"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(allowed, c) >= 0) {
			if b.Len() > 0 {
				b.WriteByte(c)
			}
			continue
		}
		if b.Len() == 0 {
			b.WriteString(s[:i])
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	if b.Len() == 0 {
		return s
	}
	return b.String()
}

func oldParseTime(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	v := strings.TrimSpace(s)
	if len(v) >= 11 && (v[10] == ' ' || v[10] == 't') {
		v = v[:10] + "T" + v[11:]
	}
	if n := len(v); n > 0 && v[n-1] == 'z' {
		v = v[:n-1] + "Z"
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.Truncate(time.Second), nil
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", v); err == nil {
		return local(t.Truncate(time.Second), loc), nil
	}
	return time.Time{}, fmt.Errorf("is not an RFC 3339 time or a local time YYYY-MM-DD HH:MM:SS: %q", s)
}

// FuzzStrings checks the one-line folding, the id and language patterns,
// URI escaping and times.
func FuzzStrings(f *testing.F) {
	for _, s := range []string{"a  b", "a\tb", "a\u00a0b", "a\u0085b", "a\vb", "a\x00b", "a\ufffeb", "a\xffb", "\xe4\xb8",
		" \u3000 ", "辽阳 振兴", "e\u0301 ", " x"} {
		f.Add(s, 3)
	}
	for _, s := range []string{"", "a", "a-1", "A.b_c", "a b", "中", "en", "en-US", "zh-Hant-TW", "en_US", "e", "abcdefghi",
		"en-", "-en", "en--us", "en-abcdefghi", "sgn-BE-FR", "x-private", "EN-us", "e1", "https://a.b/c d\"<>é%41",
		"2024-04-27 21:57:56", "2024-04-27T21:57:56.5+08:00", "2024-04-27t21:57:56z", "2024-04-27T21:57:56-05:00", " 2024-01-01 00:00:00 ",
		"2024-04-27T21:57:56+0800", "2024-04-27T21:57", "2024-04-27T21:57:56+08:00x"} {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		want := strings.Join(strings.Fields(oldClean(s)), " ")
		if got := line(s); got != want {
			t.Fatalf("line(%q) = %q, want %q", s, got, want)
		}
		if folded(s) != (want == s) {
			t.Fatalf("folded(%q) = %v, want %v", s, folded(s), want == s)
		}
		n %= 50
		if n < 0 {
			n = -n
		}
		fo := folder{max: n}
		fo.write(s)
		if got := fo.String(); got != prefix(want, n) {
			t.Fatalf("folder of %q, max %d = %q, want %q", s, n, got, prefix(want, n))
		}

		if got, want := Clean(s), oldClean(s); got != want {
			t.Errorf("Clean(%q) = %q, want %q", s, got, want)
		}
		if got, want := validID(s), idPattern.MatchString(s); got != want {
			t.Errorf("validID(%q) = %v, the pattern says %v", s, got, want)
		}
		if got, want := languageShape(s), languagePattern.MatchString(s); got != want {
			t.Errorf("languageShape(%q) = %v, the pattern says %v", s, got, want)
		}
		if languageShape(s) {
			language.Parse(s) // must not panic
		}
		if got, want := escapeURI(s), oldEscapeURI(s); got != want {
			t.Errorf("escapeURI(%q) = %q, want %q", s, got, want)
		}
		for _, loc := range []*time.Location{time.UTC, time.FixedZone("", 5*3600)} {
			got, gerr := ParseTime(s, loc)
			want, werr := oldParseTime(s, loc)
			if !got.Equal(want) || got.Location().String() != want.Location().String() || fmt.Sprint(gerr) != fmt.Sprint(werr) {
				t.Errorf("ParseTime(%q) = %v, %v; want %v, %v", s, got, gerr, want, werr)
			}
		}
	})
}

// TestTextRandom compares Text with the tree on fragments made of the tags
// plainTree knows and a few it does not, in random order: starts, ends and
// self-closing tags, attributes in every quoting, text, references and
// white space.
func TestTextRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	names := []string{"p", "div", "li", "ul", "ol", "a", "b", "i", "em", "strong", "span", "br", "img", "hr", "h1", "h2",
		"figure", "figcaption", "blockquote", "pre", "section", "article", "aside", "address", "code", "sub", "wbr",
		"table", "td", "script", "title", "image", "svg", "select", "dl", "dd", "font", "nobr", "P", "Li", "x-y"}
	pieces := []string{"x", "yz", " ", "\n", "\u00a0", "&amp;", "&lt;", "&nbsp;", "&#1;", "中文", "<!--c-->", "<", "a < b", "&"}
	attrs := []string{"", ` alt="a b"`, " alt=c", ` alt=''`, ` class="k" alt='d'`, " alt", ` alt="e>f"`, " alt=g/", ` src=x.png`}
	const n = 3000
	fast := 0
	for i := range n {
		// Mostly the inline and block tags of articles, mostly closed in
		// order; the rest of the time anything.
		common := names[:12+i%(len(names)-12)]
		if i%3 == 0 {
			common = []string{"ul", "li", "a", "b", "i", "em", "strong", "span", "code", "sub", "img", "br"}
		}
		var b strings.Builder
		var open []string
		for range 1 + rng.IntN(40) {
			switch r := rng.IntN(20); {
			case r < 8:
				name := common[rng.IntN(len(common))]
				b.WriteString("<" + name + attrs[rng.IntN(len(attrs))])
				if rng.IntN(10) == 0 {
					b.WriteString("/")
				}
				b.WriteString(">")
				if k := tagKinds[atom.Lookup([]byte(strings.ToLower(name)))]; k&void == 0 {
					open = append(open, name)
				}
			case r < 13 && len(open) > 0:
				b.WriteString("</" + open[len(open)-1] + ">")
				open = open[:len(open)-1]
			case r < 14:
				b.WriteString("</" + names[rng.IntN(len(names))] + ">")
			default:
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
		}
		s := b.String()
		want := treeText(s)
		if got := Text(s); got != want {
			t.Fatalf("Text(%q) = %q, the tree gives %q", s, got, want)
		}
		for _, n := range []int{0, 3, 10} {
			if got := textPrefix(s, n); got != prefix(want, n) {
				t.Fatalf("textPrefix(%q, %d) = %q, want %q", s, n, got, prefix(want, n))
			}
		}
		if _, ok := tokenText(s, -1); ok {
			fast++
		}
	}
	t.Logf("%d of %d took the fast way", fast, n)
}
