package serve

import "time"

// SetClock makes h read the time from now, so that tests can step over
// revalidation intervals.
func SetClock(h *Handler, now func() time.Time) { h.now = now }

// AcceptsFeed is acceptsFeed, for the table of A-IM headers.
var AcceptsFeed = acceptsFeed
