package publish

// SetHeadMargin makes b keep n members beyond the item limit in each
// feed's head (0: the default), so that tests can run heads short.
func SetHeadMargin(b *Build, n int) { b.margin = n }
