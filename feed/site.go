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

	Location *time.Location `yaml:"-"`
}

// Sets says which feed sets a site publishes.
type Sets struct {
	Site           bool `yaml:"site"`
	Categories     bool `yaml:"categories"`
	Tags           bool `yaml:"tags"`
	TagMinArticles int  `yaml:"tag_min_articles"`
	Authors        bool `yaml:"authors"`
}

// Defaults applied to what a site file leaves out.
const (
	DefaultLimit    = 50
	DefaultTTL      = 60
	DefaultLanguage = "en"
)

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
	case s.TTL == 0:
		s.TTL = DefaultTTL
	case s.TTL < 0:
		bad("ttl", "must not be negative")
	}
	if s.MaxBytes < 0 {
		bad("max_bytes", "must not be negative")
	}
	if s.Feeds.TagMinArticles < 1 {
		s.Feeds.TagMinArticles = 1
	}
	return errors.Join(errs...)
}
