//go:build !unix

package catalog

// processGone cannot tell here: every claim is waited for until it expires.
func processGone(int) bool { return false }
