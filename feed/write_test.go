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

// FuzzCleanText compares cleanText with text on any string made clean the
// way content.Parse makes its texts.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "<p>辽阳 &amp; 振兴</p>\r\n", "12345678<", "]]>\x00\xff\ufffe", strings.Repeat("&<>\r", 9)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		escapeBoth(t, "", content.Clean(s))
	})
}
