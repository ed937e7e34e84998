package content_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/feedpub/feedpub/content"
)

func TestAllowed(t *testing.T) {
	tests := []struct {
		r    rune
		want bool
	}{
		{0x00, false}, {0x01, false}, {0x08, false}, {'\t', true}, {'\n', true}, {0x0B, false}, {0x0C, false},
		{'\r', true}, {0x0E, false}, {0x1F, false}, {' ', true}, {'a', true}, {0x7F, true}, {0x85, true},
		{'辽', true}, {0xD7FF, true}, {0xD800, false}, {0xDFFF, false}, {0xE000, true}, {0xFFFD, true},
		{0xFFFE, false}, {0xFFFF, false}, {0x10000, true}, {'😀', true}, {0x10FFFF, true}, {0x110000, false}, {-1, false},
	}
	for _, tt := range tests {
		if got := content.Allowed(tt.r); got != tt.want {
			t.Errorf("Allowed(%U) = %v, want %v", tt.r, got, tt.want)
		}
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"ASCII", "hello, world", "hello, world"},
		{"CJK and emoji", "辽阳振兴🚀", "辽阳振兴🚀"},
		{"tab, new line, carriage return kept", "a\tb\nc\r\nd", "a\tb\nc\r\nd"},
		{"C0 controls dropped", "a\x00b\x01c\x08d\x0be\x0cf\x0eg\x1fh", "abcdefgh"},
		{"noncharacters dropped", "a\uFFFEb\uFFFFc", "abc"},
		{"only forbidden", "\x00\x01\uFFFF", ""},
		{"DEL and C1 kept", "a\x7fb\u0085c", "a\x7fb\u0085c"},
		{"replacement character kept", "a\uFFFDb", "a\uFFFDb"},
		{"invalid byte replaced", "a\xffb", "a\uFFFDb"},
		{"forbidden after CJK", "辽阳\x00振兴", "辽阳振兴"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := content.Clean(tt.in)
			if got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := content.Clean(got); again != got {
				t.Errorf("Clean(Clean(%q)) = %q, want %q (idempotent)", tt.in, again, got)
			}
		})
	}
	// How many U+FFFD replace a broken sequence is not specified.
	for _, in := range []string{"a\xed\xa0\x80b", "a\xe9\x98b", "a\xc0\xafb", "a\xf4\x90\x80\x80b"} {
		t.Run("invalid "+in, func(t *testing.T) {
			got := content.Clean(in)
			if !utf8.ValidString(got) || !strings.HasPrefix(got, "a\uFFFD") || !strings.HasSuffix(got, "\uFFFDb") ||
				strings.Trim(got[1:len(got)-1], "\uFFFD") != "" {
				t.Errorf("Clean(%q) = %q, want a, U+FFFD, b", in, got)
			}
		})
	}
}

func TestText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"plain", "辽阳振兴", "辽阳振兴"},
		{"white space folded", "  a \n\n\t b  ", "a b"},
		{"entities decoded", "AT&amp;T &lt;b&gt; &quot;q&quot; &#12345; &#x4e2d; &mdash;", "AT&T <b> \"q\" \u3039 中 —"},
		{"double-escaped entity decoded once", "&amp;amp;", "&amp;"},
		{"bare ampersand kept", "AT&T & co", "AT&T & co"},
		{"unknown entity kept", "a &bogus; b", "a &bogus; b"},
		{"markup dropped", "<p>Hello <b>world</b></p>", "Hello world"},
		{"blocks separated", "<p>a</p><p>b</p><ul><li>c</li><li>d</li></ul>", "a b c d"},
		{"line break separates", "a<br>b", "a b"},
		{"inline markup joins", "un<b>bro</b>ken", "unbroken"},
		{"script and style dropped", "<script>alert('x')</script>a<style>p{color:red}</style>b", "ab"},
		{"template and noscript dropped", "<template><p>t</p></template>a<noscript>n</noscript>", "a"},
		{"image alt kept", `<p>a<img src="x.png" alt="辽阳首山">b</p>`, "a 辽阳首山 b"},
		{"comment dropped", "a<!-- hidden -->b", "ab"},
		{"unclosed tags", "<b>un</b>closed <i>tags", "unclosed tags"},
		{"CJK in markup", "<p>辽阳市坚持把<strong>产业数字化</strong>作为突破口</p>", "辽阳市坚持把产业数字化作为突破口"},
		{"forbidden characters from references dropped", "a&#1;b&#xFFFE;c&#x1F;d", "abcd"},
		{"forbidden characters in text dropped", "<p>a\x00b\x0bc</p>", "abc"},
		{"NUL reference replaced", "a&#0;b", "a\uFFFDb"},
		{"surrogate reference replaced", "a&#xD800;b", "a\uFFFDb"},
		{"less-than sign as text", "5 < 6 and 7 > 3", "5 < 6 and 7 > 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := content.Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCut(t *testing.T) {
	family := "👨\u200d👩\u200d👧"
	england := "🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F"
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"shorter than n", "辽阳", 5, "辽阳"},
		{"exactly n", "abcde", 5, "abcde"},
		{"exactly n CJK", "辽阳振兴", 4, "辽阳振兴"},
		{"one more than n", "abcdef", 5, "abcde…"},
		{"CJK", "一二三四五六七八九十", 5, "一二三四五…"},
		{"at a space near the end", "hello world foo", 13, "hello world…"},
		{"space too far back", "hi abcdefghijklmnopqrstuvwxyz", 20, "hi abcdefghijklmnopq…"},
		{"trailing space trimmed", "hello world foo", 12, "hello world…"},
		{"trailing CJK punctuation trimmed", "一二三，四五六", 4, "一二三…"},
		{"trailing ASCII punctuation trimmed", "one, two; three", 4, "one…"},
		{"four-byte characters", "𠀀𠀁𠀂𠀃", 2, "𠀀𠀁…"},
		{"combining mark", "abce\u0301fg", 4, "abc…"},
		{"two combining marks", "ab\u0061\u0301\u0302cd", 4, "ab…"},
		{"combining sequence whole", "abe\u0301fg", 4, "abe\u0301…"},
		{"emoji ZWJ sequence", "ab" + family + "cd", 4, "ab…"},
		{"emoji ZWJ sequence cut after a joiner", "ab" + family + "cd", 5, "ab…"},
		{"emoji ZWJ sequence whole", "ab" + family + "cd", 7, "ab" + family + "…"},
		{"skin tone modifier", "ab👍🏽cd", 3, "ab…"},
		{"variation selector", "ab❤\ufe0fcd", 3, "ab…"},
		{"keycap", "ab1\ufe0f\u20e3cd", 4, "ab…"},
		{"tag sequence", "ab" + england + "cd", 5, "ab…"},
		{"flag", "ab🇨🇳cd", 3, "ab…"},
		{"flags paired from the start", "🇨🇳🇫🇷🇩🇪x", 3, "🇨🇳…"},
		{"flags cut between pairs", "🇨🇳🇫🇷🇩🇪x", 4, "🇨🇳🇫🇷…"},
		{"Hangul jamo", "ab\u1100\u1161\u11a8cd", 3, "ab…"},
		{"Hangul jamo vowel", "ab\u1100\u1161\u11a8cd", 4, "ab…"},
		{"precomposed Hangul", "김민준김민준", 3, "김민준…"},
		{"CR LF", "ab\r\ncd", 3, "ab…"},
		{"Devanagari spacing mark", "abकि", 3, "ab…"},
		{"n zero", "abc", 0, "…"},
		{"only joiners", "\u0301\u0301\u0301", 1, "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := content.Cut(tt.in, tt.n)
			if got != tt.want {
				t.Errorf("Cut(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > tt.n+1 && got != tt.in {
				t.Errorf("Cut(%q, %d) has %d characters, want at most %d", tt.in, tt.n, n, tt.n+1)
			}
		})
	}
}
