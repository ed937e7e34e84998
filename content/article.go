// Package content defines what an article is: the publisher's JSON document
// (see the interchange format), parsed, validated and normalised so that every
// feed format carries exactly the same values.
package content

import "time"

// Status is an article's publication state.
type Status string

// The statuses an article may have. Only StatusPublished articles whose
// publication time has come ever reach a feed.
const (
	StatusPublished Status = "published"
	StatusDraft     Status = "draft"
	StatusDeleted   Status = "deleted"
)

// Article is one validated, normalised article. Strings hold no character
// that XML 1.0 forbids; Title and Summary are always derived the same way, so
// the three feed formats agree on them.
type Article struct {
	Key string // where the document was read from, e.g. "articles/x.json"

	ID    string
	URL   string
	Title string // plain text, never empty

	// Summary is an HTML fragment (a plain-text summary is valid HTML too);
	// SummaryText is its text. When the document has no summary both are
	// derived from ContentHTML.
	Summary     string
	SummaryText string
	ContentHTML string

	Authors    []Author
	Categories []string
	Tags       []string
	Language   string // BCP 47; empty means the site's language

	Published time.Time // whole seconds
	Updated   time.Time // whole seconds, never before Published

	Image      *Image
	Enclosures []Enclosure
	Source     *Source
	Rights     string
	Status     Status

	// cleaned holds the long texts as Parse cleaned them, so that writers
	// can tell an unchanged text from one set since (see Cleaned).
	cleaned [4]string
}

// Cleaned reports whether s is Title, Summary, SummaryText or ContentHTML as
// Parse made it: valid UTF-8 holding no character XML 1.0 forbids. Writers
// use it to escape those texts without checking every character again; a
// text replaced after Parse is not Cleaned, so it is checked as before.
//
// Comparing the strings is cheap: an unchanged text shares its bytes with
// the one recorded, and the runtime compares such strings without reading
// them (an equal text elsewhere in memory is compared byte by byte, and is
// as clean).
func (a *Article) Cleaned(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range a.cleaned {
		if s == c {
			return true
		}
	}
	return false
}

// Visible reports whether the article may appear in a feed at time now:
// it is published and its embargo, if any, has passed.
func (a *Article) Visible(now time.Time) bool {
	return a.Status == StatusPublished && !a.Published.After(now)
}

// Author is a person credited on an article. Name is never empty: an author
// given only by email is named by the email.
type Author struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	URL   string `json:"url,omitempty"`
}

// Image is an article's lead image.
type Image struct {
	URL    string
	Type   string
	Length int64
	Alt    string
}

// Enclosure is a media file attached to an article.
type Enclosure struct {
	URL      string
	Type     string
	Length   int64
	Duration int64 // seconds
}

// Source names where a syndicated article came from.
type Source struct {
	Name string
	URL  string
}
