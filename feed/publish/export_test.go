package publish

import (
	"bytes"
	"time"

	"github.com/feedpub/feedpub/feed"
)

// SetHeadMargin makes b keep n members beyond the item limit in each
// feed's head (0: the default), so that tests can run heads short.
func SetHeadMargin(b *Build, n int) { b.margin = n }

// SetClaimFor makes b's claims expire after d, so that tests can see a
// dead build's claim expire.
func SetClaimFor(b *Build, d time.Duration) { b.claimFor = d }

// BreakFeeds makes every build change each output named by key with
// change before the publish gate checks it, until the test ends.
func BreakFeeds(t interface{ Cleanup(func()) }, change func(key string, doc *bytes.Buffer)) {
	testHookFeed = change
	t.Cleanup(func() { testHookFeed = nil })
}

// BreakItems makes every build change the items made of each document
// before the publish gate checks them, until the test ends.
func BreakItems(t interface{ Cleanup(func()) }, change func(key string, items *feed.Items)) {
	testHookItems = change
	t.Cleanup(func() { testHookItems = nil })
}

// SpillItems makes every build keep no items in memory, so that all go to
// the spill file, and, with perFormat, read them one format at a time,
// until the test ends.
func SpillItems(t interface{ Cleanup(func()) }, perFormat bool) {
	mem, together := memItems, togetherBelow
	memItems = 0
	if perFormat {
		togetherBelow = 0
	}
	t.Cleanup(func() { memItems, togetherBelow = mem, together })
}
