package corpus

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLiterals: what the generator writes with lit (unscanned) needs no
// escaping in JSON.
func TestLiterals(t *testing.T) {
	g, err := New(Options{N: 1, Tags: 20000, Authors: 3000, Categories: 50})
	if err != nil {
		t.Fatal(err)
	}
	lists := [][]string{
		categoryNames, enTagWords, zhTagWords, jaTagWords, enFirst, enLast, zhSurname, zhGiven, jaFamily, jaGiven,
		enSubjects, enVerbs, enObjects, enTails, enQuotes, enLinkTexts, enTitleSubjects, enTitleVerbs, enTitleObjects, enTitleTails,
		zhOpenings, zhSubjects, zhPredicates, zhResults, zhQuotes, zhLinkTexts, zhTitlePlaces, zhTitleTopics, zhTitleResults, zhTitleTails,
		jaOpenings, jaSubjects, jaPredicates, jaQuotes, jaLinkTexts, jaTitlePlaces, jaTitleTopics, jaTitleResults,
		g.cats, g.tags, g.Authors(),
	}
	for _, list := range lists {
		for _, s := range list {
			if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == '"' || r == '\\' }) {
				t.Errorf("%q needs escaping", s)
			}
		}
	}
}

// TestEscape: esc writes what encoding/json reads back, in both modes.
func TestEscape(t *testing.T) {
	for _, s := range []string{"", "plain", "quote \" backslash \\ nl \n tab \t cr \r bell \a nul \x00 unit \x1f", "中文 日本語 émoji 🚀👍🏽", "\u2028\u2029 \ufffe"} {
		for _, ascii := range []bool{false, true} {
			w := &jw{ascii: ascii}
			w.str(s)
			var got string
			if err := json.Unmarshal(w.b, &got); err != nil || got != s {
				t.Errorf("ascii %v: %s reads back as %q, %v", ascii, w.b, got, err)
			}
			if ascii && strings.ContainsFunc(string(w.b), func(r rune) bool { return r >= 0x80 }) {
				t.Errorf("ascii: %s holds non-ASCII", w.b)
			}
		}
	}
}
