package content

// WithoutCleaned returns a without the record of its cleaned texts, for
// comparing a parsed article with one a test writes out.
func WithoutCleaned(a Article) Article {
	a.cleaned = [len(a.cleaned)]string{}
	return a
}
