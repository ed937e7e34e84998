package content_test

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/feedpub/feedpub/content"
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,200}$`)

func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*.json", "testdata/invalid/*.json"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, data := range [][]byte{
		doc(),
		doc("title", "", "summary", quote(cjk)),
		doc("title", "", "summary", `"`+strings.Repeat("a", 98)+`\ud83d\udc68\u200d\ud83d\udc69 AT&amp;T"`),
		doc("title", `"\u0000\u000b\ud800\uffff"`, "summary", `"<p>\u0001x</p>"`),
		doc("content_html", `"<p>`+strings.Repeat("长&amp;", 200)+`</p>"`),
		doc("published", `"2024-03-10 02:30:00"`, "updated", `"2024-03-10t01:30:00z"`),
		doc("authors", `[{"name":"","email":"a@b.c"},{},null,{"name":"x","url":"https://e.cn/"}]`),
		doc("enclosures", `[{"url":"https://e.cn/a.mp3","type":"audio/mpeg","length":1e3,"duration":-1}]`),
		doc("tags", `["a","a",""," 🚀 "]`, "categories", `"x"`, "language", `"zh-Hant-TW"`),
		doc("image", `{"url":"https://e.cn/a.jpg","length":1.5}`, "source", `{"name":"s"}`, "status", `"draft"`),
		[]byte("null"), []byte("[]"), []byte(`{"id":"a\xff"}`), []byte("\xef\xbb\xbf{}"), []byte(""),
	} {
		f.Add(data)
	}
	// Every URL form the host rules name, as the article's URL and in the
	// other fields that hold one.
	for i, tt := range validURLs {
		f.Add(doc("url", quote(tt.url)))
		if i%2 == 0 {
			f.Add(doc("image", `{"url":`+quote(tt.url)+`}`, "source", `{"name":"s","url":`+quote(tt.url)+`}`))
		}
	}
	for i, tt := range invalidURLs {
		f.Add(doc("url", quote(tt.url)))
		if i%2 == 0 {
			f.Add(doc("authors", `[{"name":"a","url":`+quote(tt.url)+`}]`,
				"enclosures", `[{"type":"audio/mpeg","url":`+quote(tt.url)+`}]`))
		}
	}
	// The zone is picked from the input, so that naive times are read in
	// several, one of them with daylight saving time.
	locations := []*time.Location{shanghai, newYork, time.UTC}
	f.Fuzz(func(t *testing.T, data []byte) {
		loc := locations[len(data)%len(locations)]
		a, err := content.Parse(testKey, data, loc)
		if err != nil {
			if a != nil {
				t.Errorf("got article %+v along with error %v", a, err)
			}
			var inv *content.InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("got error %T %v, want *content.InvalidError", err, err)
			}
			if !errors.Is(err, content.ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false, want true", err)
			}
			if inv.Key != testKey {
				t.Errorf("got Key %q, want %q", inv.Key, testKey)
			}
			if len(inv.Problems) == 0 {
				t.Fatalf("got no problems in %v", err)
			}
			for _, p := range inv.Problems {
				if p.Reason == "" {
					t.Errorf("got problem %+v without a reason", p)
				}
			}
			return
		}
		wantClean(t, a)
		for _, s := range []string{a.Title, a.Summary, a.SummaryText, a.ContentHTML} {
			if s != "" && !a.Cleaned(s) { // writers trust these, so wantClean must hold for them
				t.Errorf("Cleaned(%q) = false, want true for a text Parse made", s)
			}
		}
		if a.Key != testKey {
			t.Errorf("got Key %q, want %q", a.Key, testKey)
		}
		if !idPattern.MatchString(a.ID) {
			t.Errorf("got ID %q, want 1-200 of A-Za-z0-9._-", a.ID)
		}
		wantURI(t, "URL", a.URL)
		for _, au := range a.Authors {
			if au.URL != "" {
				wantURI(t, "author URL", au.URL)
			}
		}
		if a.Image != nil {
			wantURI(t, "image URL", a.Image.URL)
		}
		for _, e := range a.Enclosures {
			wantURI(t, "enclosure URL", e.URL)
		}
		if a.Source != nil && a.Source.URL != "" {
			wantURI(t, "source URL", a.Source.URL)
		}
		if a.Title == "" || strings.ContainsAny(a.Title, "\t\n\r") || strings.TrimSpace(a.Title) != a.Title {
			t.Errorf("got Title %q, want a non-empty single line", a.Title)
		}
		if a.Updated.Before(a.Published) {
			t.Errorf("got Updated %v before Published %v", a.Updated, a.Published)
		}
		if a.Published.Nanosecond() != 0 || a.Updated.Nanosecond() != 0 {
			t.Errorf("got Published %v, Updated %v, want whole seconds", a.Published, a.Updated)
		}
		if got := content.Text(a.Summary); got != a.SummaryText {
			t.Errorf("got Text(Summary) %q, want SummaryText %q", got, a.SummaryText)
		}
		if !slices.Contains([]content.Status{content.StatusPublished, content.StatusDraft, content.StatusDeleted}, a.Status) {
			t.Errorf("got Status %q", a.Status)
		}
		for _, au := range a.Authors {
			if au.Name == "" {
				t.Errorf("got author %+v without a name", au)
			}
		}
		for _, labels := range [][]string{a.Categories, a.Tags} {
			for i, l := range labels {
				if strings.TrimSpace(l) == "" || slices.Index(labels, l) != i {
					t.Errorf("got labels %q: blank or repeated %q", labels, l)
				}
			}
		}
		for _, e := range a.Enclosures {
			if e.URL == "" || e.Type == "" || e.Length < 0 || e.Duration < 0 {
				t.Errorf("got enclosure %+v", e)
			}
		}
		if a.Image != nil && (a.Image.URL == "" || a.Image.Length < 0) {
			t.Errorf("got image %+v", a.Image)
		}
		again, err := content.Parse(testKey, data, loc)
		if err != nil || !reflect.DeepEqual(again, a) {
			t.Errorf("parsing again gave %+v, %v; want %+v", again, err, a)
		}
	})
}

// wantURI checks a URL Parse made: an ASCII URI with an http or https
// scheme, a host, no user information, a port (if any) of 1-65535, that
// checking again leaves unchanged.
func wantURI(t *testing.T, what, s string) {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil || (!strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https")) || u.Hostname() == "" {
		t.Errorf("got %s %q, want an absolute http or https URL", what, s)
		return
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= utf8.RuneSelf {
			t.Errorf("got %s %q, want a URI: byte %#x at %d", what, s, s[i], i)
			break
		}
	}
	if u.User != nil {
		t.Errorf("got %s %q with user information", what, s)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			t.Errorf("got %s %q: port %q outside 1-65535", what, s, p)
		}
	}
	if again, err := content.CheckURL(s); again != s || err != nil {
		t.Errorf("checking %s %q again gave %q, %v; want it unchanged", what, s, again, err)
	}
}

// continues reports whether r continues the character before it, as far as
// Cut promises: combining marks, joiners, variation selectors, emoji
// modifiers and tags.
func continues(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) || r == '\u200d' ||
		(r >= 0xFE00 && r <= 0xFE0F) || (r >= 0x1F3FB && r <= 0x1F3FF) || (r >= 0xE0020 && r <= 0xE007F)
}

func regionalIndicator(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

func FuzzCut(f *testing.F) {
	f.Add("辽阳市坚持把产业数字化、数字产业化作为产业结构调整的突破口", 10)
	f.Add("hello world, this is a sentence", 12)
	f.Add("ab👨\u200d👩\u200d👧cd", 4)
	f.Add("x"+strings.Repeat("e\u0301", 20), 9)
	f.Add("🇨🇳🇫🇷🇩🇪🇯🇵", 3)
	f.Add("ab\u1100\u1161\u11a8cd", 4)
	f.Add("a\r\nb", 1)
	f.Add("", 0)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if !utf8.ValidString(s) {
			return
		}
		if n < 0 {
			n = -(n + 1)
		}
		n %= 400
		got := content.Cut(s, n)
		if !utf8.ValidString(got) {
			t.Fatalf("Cut(%q, %d) = %q: not valid UTF-8", s, n, got)
		}
		if utf8.RuneCountInString(s) <= n {
			if got != s {
				t.Errorf("Cut(%q, %d) = %q, want the text unchanged", s, n, got)
			}
			return
		}
		if c := utf8.RuneCountInString(got); c > n+1 {
			t.Errorf("Cut(%q, %d) = %q: %d characters, want at most %d", s, n, got, c, n+1)
		}
		prefix, ok := strings.CutSuffix(got, "…")
		if !ok {
			t.Fatalf("Cut(%q, %d) = %q, want an ellipsis at the end", s, n, got)
		}
		if !strings.HasPrefix(s, prefix) {
			t.Fatalf("Cut(%q, %d) = %q, want a prefix of the text and an ellipsis", s, n, got)
		}
		if prefix == "" {
			return
		}
		next, _ := utf8.DecodeRuneInString(s[len(prefix):])
		if continues(next) {
			t.Errorf("Cut(%q, %d) = %q: cut before %U, which continues a character", s, n, got, next)
		}
		if regionalIndicator(next) {
			run := 0
			for rest := prefix; rest != ""; {
				r, size := utf8.DecodeLastRuneInString(rest)
				if !regionalIndicator(r) {
					break
				}
				run++
				rest = rest[:len(rest)-size]
			}
			if run%2 != 0 {
				t.Errorf("Cut(%q, %d) = %q: cut inside a flag", s, n, got)
			}
		}
	})
}
