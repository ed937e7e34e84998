package content

// WithoutCleaned returns a without the record of its cleaned texts, for
// comparing a parsed article with one a test writes out.
func WithoutCleaned(a Article) Article {
	a.cleaned = [len(a.cleaned)]string{}
	return a
}

// CheckURL is checkURL, for tests of the URL rules on their own.
var CheckURL = checkURL

// SetParseHook makes every Parse call f first, until the returned function
// is called; tests use it to make Parse panic.
func SetParseHook(f func()) (restore func()) {
	testHookParse = f
	return func() { testHookParse = nil }
}
