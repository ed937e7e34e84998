package feedcheck

import "testing"

// The checkers must refuse what is not well-formed, or every test that
// relies on them proves nothing.
func TestCheckersRefuseBrokenXML(t *testing.T) {
	for name, doc := range map[string]string{
		"control character": "<rss>\x0b</rss>",
		"unclosed element":  "<rss><channel></rss>",
		"two roots":         "<a/><b/>",
		"bad entity":        "<rss>&nbsp;</rss>",
		"raw ampersand":     "<rss>AT&T</rss>",
	} {
		t.Run(name, func(t *testing.T) {
			if err := WellFormed([]byte(doc)); err == nil {
				t.Errorf("WellFormed(%q) = nil, want an error", doc)
			}
			if err := Lint([]byte(doc)); err == nil {
				t.Errorf("Lint(%q) = nil, want an error", doc)
			}
		})
	}
	ok := []byte(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>热点 &amp; more</title></channel></rss>`)
	if err := WellFormed(ok); err != nil {
		t.Errorf("WellFormed(valid) = %v", err)
	}
	if err := Lint(ok); err != nil {
		t.Errorf("Lint(valid) = %v", err)
	}
}
