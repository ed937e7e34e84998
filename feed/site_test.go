package feed_test

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content"
	"github.com/feedpub/feedpub/feed"
)

// TestParseSiteExample checks that the example site definition shipped in
// examples/ is valid and says what its comments say.
func TestParseSiteExample(t *testing.T) {
	data, err := os.ReadFile("../examples/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := feed.ParseSite(data)
	if err != nil {
		t.Fatalf("ParseSite(examples/site.yaml): %v", err)
	}
	if s.Title == "" || s.URL == "" || s.BaseURL == "" {
		t.Errorf("got title %q, url %q, base_url %q, want all set", s.Title, s.URL, s.BaseURL)
	}
	if s.Location == nil || s.Location.String() != s.TimeZone {
		t.Errorf("got location %v for time_zone %q", s.Location, s.TimeZone)
	}
	if strings.HasSuffix(s.BaseURL, "/") {
		t.Errorf("got base_url %q, want no trailing slash", s.BaseURL)
	}
	if !s.Feeds.Site || !s.Feeds.Categories || !s.Feeds.Tags || !s.Feeds.Authors || s.Feeds.TagMinArticles != 2 {
		t.Errorf("got feeds %+v, want every set and tag_min_articles 2", s.Feeds)
	}
	if s.Limit != 50 || s.TTL != 30 || !s.FullText || s.MaxBytes != 524288 {
		t.Errorf("got limit %d, ttl %d, full_text %v, max_bytes %d, want 50, 30, true, 524288", s.Limit, s.TTL, s.FullText, s.MaxBytes)
	}
}

const minimalSite = "title: Example\nurl: https://example.org/\nbase_url: https://feeds.example.org/\n"

// TestParseSiteDefaults checks what a site file that says only what it
// must gets.
func TestParseSiteDefaults(t *testing.T) {
	s, err := feed.ParseSite([]byte(minimalSite))
	if err != nil {
		t.Fatal(err)
	}
	on, deltas := true, feed.DefaultDeltas
	want := feed.Site{
		Title:         "Example",
		URL:           "https://example.org/",
		BaseURL:       "https://feeds.example.org",
		Language:      feed.DefaultLanguage,
		TimeZone:      "UTC",
		Author:        content.Author{Name: "Example"},
		Limit:         feed.DefaultLimit,
		TTL:           feed.DefaultTTL,
		Feeds:         feed.Sets{Site: true, TagMinArticles: 1},
		Precompress:   []string{"gzip", "br"},
		GoneAfterDays: feed.DefaultGoneAfterDays,
		Archives:      map[feed.Kind]feed.Period{"site": "week", "category": "month", "tag": "month", "author": "month"},
		Previews:      &on,
		Deltas:        &deltas,
	}
	got := *s
	got.Location = nil
	if got := s.Parser(); got.Location != time.UTC || got.Sanitizer == nil {
		t.Errorf("got parser %+v, want one for UTC with the site's sanitiser", got)
	}
	got = *feed.WithoutParser(&got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if s.Location != time.UTC {
		t.Errorf("got location %v, want UTC", s.Location)
	}
	if feed.DefaultLanguage != "en" || feed.DefaultLimit != 50 || feed.DefaultTTL != 60 {
		t.Errorf("got defaults %q, %d, %d, want en, 50, 60", feed.DefaultLanguage, feed.DefaultLimit, feed.DefaultTTL)
	}

	t.Run("json", func(t *testing.T) {
		s, err := feed.ParseSite([]byte(`{"title": "Example", "url": "https://example.org/", "base_url": "https://feeds.example.org", "time_zone": "Asia/Tokyo"}`))
		if err != nil {
			t.Fatal(err)
		}
		if s.Location.String() != "Asia/Tokyo" {
			t.Errorf("got location %v, want Asia/Tokyo", s.Location)
		}
	})

	t.Run("cleaned", func(t *testing.T) {
		s, err := feed.ParseSite([]byte(minimalSite + "description: \" a\\x00b\\x0bc \"\nauthor: {name: \"  \\x1f \"}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if s.Description != "abc" || s.Author.Name != "Example" {
			t.Errorf("got description %q, author %q, want %q, %q", s.Description, s.Author.Name, "abc", "Example")
		}
	})
}

// TestParseSiteErrors checks that a site file with a typo, a missing or a
// bad value is rejected, naming the key.
func TestParseSiteErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unknown key", minimalSite + "titel: Typo\n", "titel"},
		{"unknown feeds key", minimalSite + "feeds: {category: true}\n", "category"},
		{"missing title", "url: https://example.org/\nbase_url: https://feeds.example.org/\n", "title: is required"},
		{"blank title", minimalSite + "title: \"  \"\n", "title"},
		{"missing url", "title: Example\nbase_url: https://feeds.example.org/\n", "url: is required"},
		{"missing base_url", "title: Example\nurl: https://example.org/\n", "base_url: is required"},
		{"relative url", "title: Example\nurl: /home\nbase_url: https://feeds.example.org/\n", "url: must be an absolute http or https URL"},
		{"ftp base_url", "title: Example\nurl: https://example.org/\nbase_url: ftp://feeds.example.org/\n", "base_url: must be an absolute"},
		{"bad image", minimalSite + "image: logo.png\n", "image"},
		{"bad author url", minimalSite + "author: {name: A, url: \"javascript:alert(1)\"}\n", "author.url"},
		{"bad time zone", minimalSite + "time_zone: Mars/Olympus_Mons\n", "time_zone: unknown zone"},
		{"negative limit", minimalSite + "limit: -1\n", "limit"},
		{"negative ttl", minimalSite + "ttl: -5\n", "ttl"},
		{"negative max_bytes", minimalSite + "max_bytes: -1\n", "max_bytes"},
		{"wrong kind", minimalSite + "limit: many\n", "line 4"},
		{"not a mapping", "- title\n", "site"},
		{"empty", "", "empty"},
		{"comments only", "# nothing yet\n", "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := feed.ParseSite([]byte(tc.yaml))
			if err == nil {
				t.Fatalf("got %+v, want an error naming %q", s, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "site") {
				t.Errorf("got error %q, want one starting with site and naming %q", err, tc.want)
			}
		})
	}

	t.Run("every problem", func(t *testing.T) {
		_, err := feed.ParseSite([]byte("url: x\ntime_zone: Nowhere/Land\nlimit: -1\n"))
		if err == nil {
			t.Fatal("got no error")
		}
		for _, field := range []string{"title", "url", "base_url", "time_zone", "limit"} {
			if !strings.Contains(err.Error(), field) {
				t.Errorf("got error %q, want it to name %s too", err, field)
			}
		}
	})
}

// TestNaiveTimesInSiteZone checks that fixture articles with naive local
// times were read in the site's zone (Asia/Shanghai), so their feeds carry
// the right instant.
func TestNaiveTimesInSiteZone(t *testing.T) {
	s, articles := fixture(t)
	a := byID(t, articles, "liaoyang-revival") // "published": "2024-04-27 21:57:56"
	if want := time.Date(2024, 4, 27, 13, 57, 56, 0, time.UTC); !a.Published.Equal(want) {
		t.Errorf("got published %v, want %v", a.Published, want)
	}
	f := &feed.Feed{Name: "index", Kind: feed.KindSite, Title: s.Title, Site: s, Items: []*content.Article{a}, Updated: a.Updated}
	if got, want := checkRSS(t, render(t, "rss", f)).Channel.Items[0].PubDate, "Sat, 27 Apr 2024 21:57:56 +0800"; got != want {
		t.Errorf("got pubDate %q, want %q", got, want)
	}
}

// precompress: names the codings written beside each object; an empty
// list turns them off; anything else is refused.
func TestParseSitePrecompress(t *testing.T) {
	for _, c := range []struct {
		yaml string
		want []string
		err  string
	}{
		{"", []string{"gzip", "br"}, ""},
		{"precompress: []\n", []string{}, ""},
		{"precompress: [br]\n", []string{"br"}, ""},
		{"precompress: [gzip, zstd]\n", nil, `unknown coding "zstd"`},
		{"precompress: [gzip, gzip]\n", nil, "listed twice"},
	} {
		s, err := feed.ParseSite([]byte(minimalSite + c.yaml))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "precompress") {
				t.Errorf("%q: error %v, want one naming precompress and %q", c.yaml, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", c.yaml, err)
		}
		if !reflect.DeepEqual(s.Precompress, c.want) {
			t.Errorf("%q: precompress %q, want %q", c.yaml, s.Precompress, c.want)
		}
	}
}

func TestParseSiteRedirects(t *testing.T) {
	s, err := feed.ParseSite([]byte(minimalSite + "redirects: {tag/golang: tag/go, category/old: index}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Redirects["tag/golang"] != "tag/go" || s.Redirects["category/old"] != "index" {
		t.Errorf("redirects %v", s.Redirects)
	}
	for _, bad := range []string{
		"redirects: {tag/a: tag/a}\n",
		"redirects: {tag/a: tag/b, tag/b: tag/c}\n",
		"redirects: {feeds/x: tag/b}\n",
		"redirects: {tag/../x: tag/b}\n",
		"redirects: {tag/a: nothing}\n",
		"gone_after_days: -1\n",
	} {
		if _, err := feed.ParseSite([]byte(minimalSite + bad)); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

func TestParseSiteHubs(t *testing.T) {
	s, err := feed.ParseSite([]byte(minimalSite + "hubs: [' https://pubsubhubbub.appspot.com/ ', https://websub.example.net/hub]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://pubsubhubbub.appspot.com/", "https://websub.example.net/hub"}; !reflect.DeepEqual(s.Hubs, want) {
		t.Errorf("hubs %q, want %q", s.Hubs, want)
	}
	for _, bad := range []string{"hubs: [ftp://hub.example/]\n", "hubs: [/hub]\n", "hubs: ['https://hub.example/#x']\n"} {
		if _, err := feed.ParseSite([]byte(minimalSite + bad)); err == nil || !strings.Contains(err.Error(), "hubs") {
			t.Errorf("%q: %v, want an error naming hubs", bad, err)
		}
	}
}

func TestArchivePeriods(t *testing.T) {
	s, err := feed.ParseSite([]byte(minimalSite + "time_zone: Asia/Shanghai\narchives: {site: day, tag: none, author: year}\n"))
	if err != nil {
		t.Fatal(err)
	}
	// 2025-12-31 20:00 UTC is 2026-01-01 04:00 in Shanghai, in ISO week 1 of 2026.
	at := time.Date(2025, 12, 31, 20, 0, 0, 0, time.UTC).Unix()
	for kind, want := range map[feed.Kind]string{"site": "2026-01-01", "category": "2026-01", "tag": "", "author": "2026"} {
		if got := s.PageOf(kind, at); got != want {
			t.Errorf("PageOf(%s) = %q, want %q", kind, got, want)
		}
	}
	s.Archives["site"] = "week"
	// 2021-01-03 is a Sunday of ISO week 53 of 2020.
	if got := s.PageOf("site", time.Date(2021, 1, 3, 12, 0, 0, 0, time.UTC).Unix()); got != "2020-W53" {
		t.Errorf("PageOf(week) = %q, want 2020-W53", got)
	}
	for _, bad := range []string{"archives: {site: fortnight}\n", "archives: {blog: month}\n"} {
		if _, err := feed.ParseSite([]byte(minimalSite + bad)); err == nil || !strings.Contains(err.Error(), "archives") {
			t.Errorf("%q: got %v, want an archives error", bad, err)
		}
	}
}
