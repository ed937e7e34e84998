package publish

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content/catalog"
	"github.com/feedpub/feedpub/content/store"
	"github.com/feedpub/feedpub/feed"
)

// shortlistSite has a site feed, category and tag feeds, three items each.
func shortlistSite() *feed.Site {
	s := &feed.Site{Limit: 3}
	s.Feeds.Site, s.Feeds.Categories, s.Feeds.Tags = true, true, true
	return s
}

// shortlistCorpus is n articles, one a minute, in two categories and a
// few tags, some sharing a publication time.
func shortlistCorpus(n int) (keys []string, facts map[string]*catalog.Facts) {
	facts = map[string]*catalog.Facts{}
	for i := range n {
		key := fmt.Sprintf("a/%04d.json", i)
		keys = append(keys, key)
		facts[key] = &catalog.Facts{
			ID:         key,
			Published:  int64(i / 3 * 60),
			Updated:    int64(i * 60),
			Categories: []string{[]string{"World", "Tech"}[i%2]},
			Tags:       []string{fmt.Sprintf("t%d", i%7), fmt.Sprintf("T%d", i%5)},
		}
	}
	return keys, facts
}

// Whatever the order articles come in, every article its feeds show in
// the end entered the shortlist when it came: the read stage renders all
// that a from-scratch build shows.
func TestShortlistKeepsEveryShownArticle(t *testing.T) {
	site := shortlistSite()
	keys, facts := shortlistCorpus(200)
	// The final heads, worked out the slow way.
	final := map[string][]catalog.Member{}
	for _, k := range keys {
		f := facts[k]
		for _, ref := range feedsOf(site, f) {
			final[ref.name] = append(final[ref.name], catalog.Member{Key: k, ID: f.ID, Published: f.Published, Updated: f.Updated})
		}
	}
	shown := map[string]bool{}
	for _, ms := range final {
		slices.SortFunc(ms, func(a, b catalog.Member) int {
			if catalog.Before(a, b) {
				return -1
			}
			return 1
		})
		for _, m := range ms[:min(len(ms), site.Limit)] {
			shown[m.Key] = true
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		order := slices.Clone(keys)
		switch round {
		case 0: // oldest first: every article is the newest so far
		case 1:
			slices.Reverse(order)
		default:
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		l := newShortlist(site)
		entered := map[string]bool{}
		for _, k := range order {
			entered[k] = l.enters(k, facts[k])
		}
		for k := range shown {
			if !entered[k] {
				t.Fatalf("round %d: %s is shown but did not enter the shortlist", round, k)
			}
		}
		n := 0
		for _, in := range entered {
			if in {
				n++
			}
		}
		switch round {
		case 0:
			if n != len(keys) {
				t.Errorf("oldest first: %d of %d entered, want all", n, len(keys))
			}
		case 1:
			if n != len(shown) {
				t.Errorf("newest first: %d entered, want exactly the %d shown", n, len(shown))
			}
		}
	}
}

// The read stage takes the most recently modified documents first, then
// by key, last first.
func TestNewestFirst(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	infos := []store.Info{
		{Key: "a", ModTime: t0},
		{Key: "b", ModTime: t0.Add(time.Second)},
		{Key: "c", ModTime: t0},
		{Key: "d", ModTime: t0.Add(-time.Second)},
	}
	var got []string
	for _, i := range newestFirst(infos) {
		got = append(got, infos[i].Key)
	}
	if want := []string{"b", "c", "a", "d"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}
