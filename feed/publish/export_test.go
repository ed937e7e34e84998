package publish

import "time"

// SetHeadMargin makes b keep n members beyond the item limit in each
// feed's head (0: the default), so that tests can run heads short.
func SetHeadMargin(b *Build, n int) { b.margin = n }

// SetClaimFor makes b's claims expire after d, so that tests can see a
// dead build's claim expire.
func SetClaimFor(b *Build, d time.Duration) { b.claimFor = d }
