package feed

import (
	"strings"
	"testing"

	"github.com/feedpub/feedpub/content"
)

// escapeBoth escapes s, which must be clean, with text and with cleanText,
// after prefix bytes already in the buffer, and fails when they differ.
func escapeBoth(t *testing.T, prefix, s string) {
	t.Helper()
	want := &writer{buf: []byte(prefix)}
	want.text(s)
	got := &writer{buf: []byte(prefix)}
	got.cleanText(s)
	if string(got.buf) != string(want.buf) {
		t.Fatalf("cleanText(%q) after %d bytes:\ngot  %q\nwant %q", s, len(prefix), got.buf, want.buf)
	}
}

// cleanText must write exactly what text writes, for every clean string:
// each byte that needs work at every offset of a word and near the end,
// runs of them, and multi-byte characters whose bytes are not markup.
func TestCleanTextMatchesText(t *testing.T) {
	specials := []string{"&", "<", ">", "\r", "\r\n", "<&>", "]]>", "\t", "\n", `"`, "'", "@", "?", "=", "/"}
	fill := []string{"a", "辽", "é", "🚀", " ", "\u2028", "\uFFFD"}
	for length := 0; length <= 33; length++ {
		for _, f := range fill {
			base := []rune(strings.Repeat(f, length))
			for _, sp := range specials {
				for at := 0; at <= len(base); at++ {
					s := string(base[:at]) + sp + string(base[at:])
					escapeBoth(t, "", s)
					escapeBoth(t, "<x>", s)
				}
			}
		}
	}
	escapeBoth(t, "", strings.Repeat("<p>辽阳 &amp; “振兴”\r\n</p>", 2000)) // several segments
	escapeBoth(t, "", strings.Repeat("&", 10000))                       // the largest growth
}

// The buffer is handed on as it fills, whatever the size of the text.
func TestCleanTextFlushes(t *testing.T) {
	var out strings.Builder
	w := newWriter(&out)
	body := strings.Repeat("<p>辽阳&振兴</p>", 40000) // 800 KB, 1.3 MB escaped
	w.cleanText(body)
	if len(w.buf) >= flushAt+segmentBytes(cleanSegment) {
		t.Errorf("buffer holds %d bytes after the text, want less than %d", len(w.buf), flushAt+segmentBytes(cleanSegment))
	}
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	want := &writer{}
	want.text(body)
	if out.String() != string(want.buf) {
		t.Errorf("got %d bytes, want %d bytes escaped as text escapes them", out.Len(), len(want.buf))
	}
}

// jsonBoth writes s, which must be clean, with jsonString and with
// cleanJSONString, and fails when they differ.
func jsonBoth(t *testing.T, s string) {
	t.Helper()
	want := &writer{}
	want.jsonString(s)
	got := &writer{}
	got.cleanJSONString(s)
	if string(got.buf) != string(want.buf) {
		t.Fatalf("cleanJSONString(%q):\ngot  %q\nwant %q", s, got.buf, want.buf)
	}
}

// cleanJSONString must write exactly what jsonString writes, for every clean
// string, with the line and paragraph separators at every offset, next to
// the characters that share their first byte (“ — …), and across the
// boundary of the segments it works in.
func TestCleanJSONStringMatchesJSONString(t *testing.T) {
	specials := []string{`"`, `\`, "\n", "\r", "\t", "\u2028", "\u2029", "“", "—", "…", "\u2027", "\u202a", "<&>", "/", "\x7f"}
	fill := []string{"a", "辽", "é", "🚀", " "}
	for length := 0; length <= 33; length++ {
		for _, f := range fill {
			base := []rune(strings.Repeat(f, length))
			for _, sp := range specials {
				for at := 0; at <= len(base); at++ {
					jsonBoth(t, string(base[:at])+sp+string(base[at:]))
				}
			}
		}
	}
	for shift := -3; shift <= 3; shift++ {
		pad := strings.Repeat("a", cleanSegment+shift)
		jsonBoth(t, pad+"\u2028"+pad+"\u2029\"")
		jsonBoth(t, pad+"“"+pad)
	}
	jsonBoth(t, strings.Repeat("<p>辽阳 \"振兴\"\r\n\u2028</p>", 2000))
}

// FuzzCleanText compares cleanText with text, and cleanJSONString with
// jsonString, on any string made clean the way content.Parse makes its
// texts.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "<p>辽阳 &amp; 振兴</p>\r\n", "12345678<", "]]>\x00\xff\ufffe", strings.Repeat("&<>\r", 9)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = content.Clean(s)
		escapeBoth(t, "", s)
		jsonBoth(t, s)
	})
}

// BenchmarkEscape compares the checking escapers with the fast paths for
// cleaned texts, on a body dense with markup and on prose (see
// docs/benchmarks.md).
func BenchmarkEscape(b *testing.B) {
	bodies := map[string]string{
		"markup": strings.Repeat(`<p><a href="https://news.example.cn/a?b=1&amp;c=2">详见专题</a>,增长 5.2%&nbsp;&mdash;&nbsp;高于“全省”平均。</p>`, 20),
		"prose":  strings.Repeat(`<p>辽阳市坚持把产业数字化、数字产业化作为产业结构调整的突破口,推动<strong>传统产业</strong>转型升级,培育壮大新兴产业,一季度全市地区生产总值同比增长5.2%。</p>`, 10),
	}
	escapers := []struct {
		name  string
		write func(*writer, string)
	}{
		{"xml-checked", (*writer).text},
		{"xml-clean", (*writer).cleanText},
		{"json-checked", (*writer).jsonString},
		{"json-clean", (*writer).cleanJSONString},
	}
	for _, body := range []string{"markup", "prose"} {
		s := bodies[body]
		for _, e := range escapers {
			b.Run("body="+body+"/impl="+e.name, func(b *testing.B) {
				w := &writer{}
				b.SetBytes(int64(len(s)))
				for b.Loop() {
					w.buf = w.buf[:0]
					e.write(w, s)
				}
			})
		}
	}
}
