// Package feed turns articles into feeds: the site definition, which feeds
// exist and which articles each holds, and the RSS 2.0, Atom 1.0 and JSON
// Feed 1.1 renderers.
package feed

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
	_ "time/tzdata" // Lambda's image has no zone database
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/feedpub/feedpub/content"
)

// Site is the publisher's site definition: what every feed says about the
// site, and which feeds exist.
type Site struct {
	Title       string         `yaml:"title"`
	Description string         `yaml:"description"`
	URL         string         `yaml:"url"`      // the site's home page
	BaseURL     string         `yaml:"base_url"` // where feeds are served: {base_url}/feeds/{name}.rss
	Language    string         `yaml:"language"`
	TimeZone    string         `yaml:"time_zone"`
	Author      content.Author `yaml:"author"`
	Rights      string         `yaml:"rights"`
	Image       string         `yaml:"image"`
	Limit       int            `yaml:"limit"`
	FullText    bool           `yaml:"full_text"`
	MaxBytes    int            `yaml:"max_bytes"`
	TTL         int            `yaml:"ttl"` // minutes
	Feeds       Sets           `yaml:"feeds"`
	// Precompress lists the codings every published object is also
	// written in, each as an object of its own ("gzip", "br"); nil (the
	// key left out) means both, an empty list none.
	Precompress []string `yaml:"precompress"`
	// GoneAfterDays is how long a feed that lost its last article is
	// published empty before it is removed and answered with 410 Gone.
	GoneAfterDays int `yaml:"gone_after_days"`
	// Redirects maps the names of renamed feeds to their new names
	// ("tag/golang": "tag/go"): every format of the old feed is answered
	// with a 301 to the new one.
	Redirects map[string]string `yaml:"redirects"`
	// Hubs are the WebSub hubs the feeds name (rel="hub") and every build
	// announces its changed feeds to.
	Hubs []string `yaml:"hubs"`
	// Archives names, per feed set (site, category, tag, author), the
	// period of its feeds' archive pages (RFC 5005): year, month, week or
	// day, or none for no archive. A set left out takes its default
	// (DefaultArchives).
	Archives map[Kind]Period `yaml:"archives"`
	// Previews, unless false, gives every feed an HTML preview page
	// (feeds/{name}.html) linked from the index page.
	Previews *bool `yaml:"previews"`
	// Deltas is how many earlier versions of each feed readers may get
	// deltas from (RFC 3229, A-IM: feed); nil means DefaultDeltas, 0 none.
	Deltas *int `yaml:"deltas"`
	// Iframes lists the hosts whose iframes (embedded players) article
	// HTML may keep, loaded over https; every other iframe is dropped
	// (see content.Sanitizer).
	Iframes []string `yaml:"iframes"`

	Location *time.Location `yaml:"-"`
	parser   *content.Parser
}

// Parser reads the site's article documents: naive times in its zone, HTML
// sanitised with its iframe hosts.
func (s *Site) Parser() *content.Parser {
	if s.parser == nil { // a Site not made by Load or Validate, as in tests
		return &content.Parser{Location: s.Location}
	}
	return s.parser
}

// Sets says which feed sets a site publishes.
type Sets struct {
	Site           bool `yaml:"site"`
	Categories     bool `yaml:"categories"`
	Tags           bool `yaml:"tags"`
	TagMinArticles int  `yaml:"tag_min_articles"`
	Authors        bool `yaml:"authors"`
}

// validFeedName reports whether name could name a feed: "index", or a
// kind and a name without dot segments, controls or backslashes.
func validFeedName(name string) bool {
	if name == "index" {
		return true
	}
	kind, rest, ok := strings.Cut(name, "/")
	if !ok || rest == "" || (kind != string(KindCategory) && kind != string(KindTag) && kind != string(KindAuthor)) {
		return false
	}
	for _, seg := range strings.Split(rest, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, ".") {
			return false
		}
	}
	return !strings.ContainsAny(rest, "\\\x00") && utf8.ValidString(rest) && strings.IndexFunc(rest, unicode.IsControl) < 0
}

// Defaults applied to what a site file leaves out.
const (
	DefaultGoneAfterDays = 30
	DefaultLimit         = 50
	DefaultTTL           = 60
	DefaultLanguage      = "en"
	// DefaultDeltas covers a reader polling every 15 minutes through a
	// burst of an edit every two minutes (see docs/deltas.md).
	DefaultDeltas = 8
)

// HasPreviews reports whether the site's feeds have preview pages.
func (s *Site) HasPreviews() bool { return s.Previews == nil || *s.Previews }

// DeltaVersions is how many earlier versions of a feed deltas are kept
// from.
func (s *Site) DeltaVersions() int {
	if s.Deltas == nil {
		return DefaultDeltas
	}
	return *s.Deltas
}

// ParseSite reads a site definition (YAML; JSON is YAML too). Unknown keys
// are errors, so that a typo does not silently switch a feature off.
func ParseSite(data []byte) (*Site, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	s := &Site{Feeds: Sets{Site: true}}
	if err := dec.Decode(s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("site: the definition is empty")
		}
		return nil, fmt.Errorf("site: %w", err)
	}
	if err := s.normalise(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Site) normalise() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("site: %s: "+format, append([]any{field}, args...)...))
	}
	s.Title = strings.TrimSpace(content.Clean(s.Title))
	s.Description = strings.TrimSpace(content.Clean(s.Description))
	s.Rights = strings.TrimSpace(content.Clean(s.Rights))
	if s.Title == "" {
		bad("title", "is required")
	}
	for _, u := range []struct {
		field    string
		value    *string
		required bool
	}{{"url", &s.URL, true}, {"base_url", &s.BaseURL, true}, {"image", &s.Image, false}, {"author.url", &s.Author.URL, false}} {
		*u.value = strings.TrimSpace(*u.value)
		if *u.value == "" {
			if u.required {
				bad(u.field, "is required")
			}
			continue
		}
		if p, err := url.Parse(*u.value); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			bad(u.field, "must be an absolute http or https URL, got %q", *u.value)
		}
	}
	s.BaseURL = strings.TrimRight(s.BaseURL, "/")
	for i, h := range s.Hubs {
		h = strings.TrimSpace(h)
		s.Hubs[i] = h
		if p, err := url.Parse(h); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.Fragment != "" {
			bad("hubs", "%q is not an absolute http or https URL", h)
		}
	}
	if s.Language == "" {
		s.Language = DefaultLanguage
	}
	if s.TimeZone == "" {
		s.TimeZone = "UTC"
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		bad("time_zone", "unknown zone %q", s.TimeZone)
	}
	s.Location = loc
	s.parser = &content.Parser{Location: loc}
	if san, err := content.NewSanitizer(s.Iframes); err != nil {
		bad("iframes", "%v", strings.TrimPrefix(err.Error(), "iframes: "))
	} else {
		s.parser.Sanitizer = san
	}
	s.Author.Name = strings.TrimSpace(content.Clean(s.Author.Name))
	if s.Author.Name == "" {
		s.Author.Name = s.Title
	}
	switch {
	case s.Limit == 0:
		s.Limit = DefaultLimit
	case s.Limit < 0:
		bad("limit", "must not be negative")
	}
	switch {
	case s.GoneAfterDays == 0:
		s.GoneAfterDays = DefaultGoneAfterDays
	case s.GoneAfterDays < 0:
		bad("gone_after_days", "must not be negative")
	}
	for from, to := range s.Redirects {
		switch {
		case !validFeedName(from):
			bad("redirects", "%q is not a feed name (index, or category/, tag/ or author/ and a name)", from)
		case !validFeedName(to):
			bad("redirects", "%q (for %q) is not a feed name", to, from)
		case from == to:
			bad("redirects", "%q redirects to itself", from)
		case s.Redirects[to] != "":
			bad("redirects", "%q redirects to %q, which redirects again", from, to)
		}
	}
	if s.Precompress == nil {
		s.Precompress = []string{"gzip", "br"}
	}
	seen := map[string]bool{}
	for _, c := range s.Precompress {
		switch {
		case c != "gzip" && c != "br":
			bad("precompress", "unknown coding %q (gzip and br are known)", c)
		case seen[c]:
			bad("precompress", "%q is listed twice", c)
		}
		seen[c] = true
	}
	switch {
	case s.TTL == 0:
		s.TTL = DefaultTTL
	case s.TTL < 0:
		bad("ttl", "must not be negative")
	}
	if s.MaxBytes < 0 {
		bad("max_bytes", "must not be negative")
	}
	if s.Previews == nil {
		on := true
		s.Previews = &on
	}
	if s.Deltas == nil {
		n := DefaultDeltas
		s.Deltas = &n
	} else if *s.Deltas < 0 || *s.Deltas > 64 {
		bad("deltas", "must be between 0 and 64, got %d", *s.Deltas)
	}
	archives := map[Kind]Period{}
	for k, p := range DefaultArchives {
		archives[k] = p
	}
	for k, p := range s.Archives {
		switch {
		case k != KindSite && k != KindCategory && k != KindTag && k != KindAuthor:
			bad("archives", "unknown feed set %q (site, category, tag and author are known)", k)
		case !p.valid():
			bad("archives", "%s: unknown period %q (year, month, week, day or none)", k, p)
		}
		archives[k] = p
	}
	s.Archives = archives
	if s.Feeds.TagMinArticles < 1 {
		s.Feeds.TagMinArticles = 1
	}
	return errors.Join(errs...)
}
