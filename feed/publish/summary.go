package publish

import (
	"time"

	"github.com/feedpub/feedpub/feed/layout"
)

// SummaryRejections is how many rejected documents a Summary names; the
// report names them all.
const SummaryRejections = 20

// Summary is a report cut to a size that does not grow with the site: the
// counts, and the first rejected documents. It is what the build function
// answers its invoker (a synchronous answer is at most 6 MB, and a report
// lists every feed and output: 0.7 MB at 100,000 articles); the whole
// report is published as Key.
type Summary struct {
	BuiltAt     time.Time   `json:"built_at"`
	Mode        string      `json:"mode"`
	Articles    Counts      `json:"articles"`
	NextEmbargo *time.Time  `json:"next_embargo,omitempty"`
	Rejected    []Rejection `json:"rejected"` // the first SummaryRejections of the report's
	Feeds       int         `json:"feeds"`
	Written     int         `json:"written"`
	Unchanged   int         `json:"unchanged"`
	Withheld    int         `json:"withheld,omitempty"`
	// HubsFailed counts the announcements hubs did not take.
	HubsFailed int    `json:"hubs_failed,omitempty"`
	Key        string `json:"report_key"` // where the whole report is, in the output store
}

// Summary cuts r down to its counts and first rejections.
func (r *Report) Summary() *Summary {
	s := &Summary{
		BuiltAt: r.BuiltAt, Mode: r.Mode, Articles: r.Articles, NextEmbargo: r.NextEmbargo,
		Rejected: r.Rejected[:min(len(r.Rejected), SummaryRejections)],
		Feeds:    len(r.Feeds), Written: len(r.Written), Unchanged: len(r.Unchanged), Withheld: len(r.Withheld),
		Key: layout.Report,
	}
	if s.Rejected == nil {
		s.Rejected = []Rejection{} // "rejected": [], as in the report
	}
	for _, h := range r.Hubs {
		s.HubsFailed += len(h.Failed)
	}
	return s
}
