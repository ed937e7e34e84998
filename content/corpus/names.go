package corpus

import (
	"strconv"
	"strings"
	"unicode"
)

// author is one person articles credit; the same index always has the same
// name, email and URL, as a newsroom's staff list would.
type author struct {
	name, email, url string
	lang             lang
}

// categoryTable returns n category names, most used first.
func categoryTable(n int) []string {
	out := make([]string, 0, n)
	for i := 0; len(out) < n; i++ {
		name := categoryNames[i%len(categoryNames)]
		if round := i / len(categoryNames); round > 0 {
			name += " " + strconv.Itoa(round+1)
		}
		out = append(out, name)
	}
	return out
}

// tagTable returns n distinct tag names, by rank: single words first (in a
// fixed shuffled order mixing English, Chinese and Japanese), then
// two-word compounds.
func tagTable(n int) []string {
	r := newRNG(0, 0, streamName)
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	add := func(s string) bool {
		if seen[s] {
			return false
		}
		seen[s] = true
		out = append(out, s)
		return true
	}
	singles := make([]string, 0, len(enTagWords)+len(zhTagWords)+len(jaTagWords))
	singles = append(append(append(singles, enTagWords...), zhTagWords...), jaTagWords...)
	for i := len(singles) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		singles[i], singles[j] = singles[j], singles[i]
	}
	for _, s := range singles {
		if len(out) == n {
			return out
		}
		add(s)
	}
	for len(out) < n {
		ok := false
		for try := 0; try < 50 && !ok; try++ {
			switch k := r.intn(10); {
			case k < 5:
				ok = add(pick(&r, enTagWords) + " " + pick(&r, enTagWords))
			case k < 8:
				ok = add(pick(&r, zhTagWords) + pick(&r, zhTagWords))
			default:
				ok = add(pick(&r, jaTagWords) + pick(&r, jaTagWords))
			}
		}
		if !ok {
			add("tag " + strconv.Itoa(len(out)))
		}
	}
	return out
}

// authorTable returns n distinct authors, by rank.
func authorTable(n int) []author {
	r := newRNG(0, 1, streamName)
	seen := make(map[string]bool, n)
	out := make([]author, 0, n)
	for len(out) < n {
		k := len(out)
		var a author
		for try := 0; try < 50; try++ {
			switch x := r.intn(20); {
			case x < 8:
				first, last := pick(&r, enFirst), pick(&r, enLast)
				a = author{name: first + " " + last, lang: langEN}
				a.email = asciiFold(first) + "." + asciiFold(last) + "@news.example.com"
			case x < 15:
				a = author{name: pick(&r, zhSurname) + pick(&r, zhGiven), lang: langZH}
				a.email = "reporter" + strconv.Itoa(k) + "@news.example.cn"
			default:
				a = author{name: pick(&r, jaFamily) + pick(&r, jaGiven), lang: langJA}
				a.email = "kisha" + strconv.Itoa(k) + "@news.example.jp"
			}
			if !seen[a.name] {
				break
			}
		}
		if seen[a.name] {
			a.name += " " + strconv.Itoa(k)
		}
		seen[a.name] = true
		if !r.chance(0.5) {
			a.email = ""
		}
		if r.chance(0.3) {
			a.url = "https://news.example.com/people/" + strconv.Itoa(k)
		}
		out = append(out, a)
	}
	return out
}

// asciiFold lowercases s and keeps its ASCII letters, accents removed from
// the few the name lists use.
func asciiFold(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		switch c {
		case 'é', 'è', 'ë':
			c = 'e'
		case 'á', 'à':
			c = 'a'
		case 'ó', 'ö':
			c = 'o'
		case 'ü', 'ú':
			c = 'u'
		}
		if c < unicode.MaxASCII && unicode.IsLetter(c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}
