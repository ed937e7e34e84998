package feed

import "time"

// Period is how much time one archive page of a feed covers.
type Period string

// The periods of archive pages.
const (
	PeriodNone  Period = "none"
	PeriodYear  Period = "year"
	PeriodMonth Period = "month"
	PeriodWeek  Period = "week"
	PeriodDay   Period = "day"
)

// DefaultArchives are the archive periods of the feed sets a site file
// does not name: a week of the whole site, a month of a category, tag or
// author. A page then holds a few hundred articles on a busy news site
// (2,000 a week across 20 categories and 2,000 tags).
var DefaultArchives = map[Kind]Period{KindSite: PeriodWeek, KindCategory: PeriodMonth, KindTag: PeriodMonth, KindAuthor: PeriodMonth}

// HasArchives reports whether any of the site's feed sets has archive
// pages.
func (s *Site) HasArchives() bool {
	for _, p := range s.Archives {
		if p != PeriodNone {
			return true
		}
	}
	return false
}

func (p Period) valid() bool {
	switch p {
	case PeriodNone, PeriodYear, PeriodMonth, PeriodWeek, PeriodDay:
		return true
	}
	return false
}

// PageOf names the archive page of a feed of kind that holds an article
// published at t (Unix seconds), in the site's time zone: "2026" (year),
// "2026-01" (month), "2026-W05" (ISO week), "2026-01-31" (day); "" when
// the kind has no archive. The page follows from the article alone.
func (s *Site) PageOf(kind Kind, published int64) string {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	t := time.Unix(published, 0).In(loc)
	var b []byte
	switch s.Archives[kind] {
	case PeriodYear:
		b = t.AppendFormat(b, "2006")
	case PeriodMonth:
		b = t.AppendFormat(b, "2006-01")
	case PeriodWeek:
		y, w := t.ISOWeek()
		// The ISO year of the week's Thursday, which AppendFormat spells
		// as any year (four digits, zero-padded).
		b = time.Date(y, 6, 1, 0, 0, 0, 0, time.UTC).AppendFormat(b, "2006")
		b = append(b, '-', 'W', byte('0'+w/10), byte('0'+w%10))
	case PeriodDay:
		b = t.AppendFormat(b, "2006-01-02")
	default:
		return ""
	}
	return string(b)
}
