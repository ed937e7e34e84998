package content_test

import (
	"strings"
	"testing"
	"time"

	"github.com/feedpub/feedpub/content"
)

func TestVisible(t *testing.T) {
	now := time.Date(2024, 4, 28, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		status    content.Status
		published time.Time
		want      bool
	}{
		{"published in the past", content.StatusPublished, now.Add(-time.Hour), true},
		{"published now", content.StatusPublished, now, true},
		{"embargoed by a second", content.StatusPublished, now.Add(time.Second), false},
		{"embargoed", content.StatusPublished, now.AddDate(75, 0, 0), false},
		{"draft", content.StatusDraft, now.Add(-time.Hour), false},
		{"deleted", content.StatusDeleted, now.Add(-time.Hour), false},
		{"future draft", content.StatusDraft, now.Add(time.Hour), false},
		{"no status", "", now.Add(-time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &content.Article{Status: tt.status, Published: tt.published, Updated: tt.published}
			if got := a.Visible(now); got != tt.want {
				t.Errorf("Visible(%v) with status %q, published %v = %v, want %v", now, tt.status, tt.published, got, tt.want)
			}
		})
	}
}

func TestVisibleParsed(t *testing.T) {
	now := time.Date(2024, 4, 28, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		kv   []string
		want bool
	}{
		{"published", nil, true},
		{"draft", []string{"status", `"draft"`}, false},
		{"deleted", []string{"status", `"deleted"`}, false},
		// 2024-04-28 20:00:01 in Shanghai is 12:00:01Z: one second too early.
		{"naive time an instant after now", []string{"published", `"2024-04-28 20:00:01"`}, false},
		{"naive time at now", []string{"published", `"2024-04-28 20:00:00"`}, true},
		{"embargoed until 2099", []string{"published", `"2099-01-01T08:00:00+08:00"`}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parse(t, doc(tt.kv...)).Visible(now); got != tt.want {
				t.Errorf("got Visible %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCleaned(t *testing.T) {
	a := parse(t, doc("title", `"辽阳 \u0001振兴"`, "summary", `"<p>摘要 &amp; 要点</p>"`,
		"content_html", `"<p>正文\u0002</p>"`))
	for name, s := range map[string]string{"Title": a.Title, "Summary": a.Summary, "SummaryText": a.SummaryText, "ContentHTML": a.ContentHTML} {
		if !a.Cleaned(s) {
			t.Errorf("Cleaned(%s %q) = false, want true", name, s)
		}
		if copied := strings.Clone(s); !a.Cleaned(copied) {
			t.Errorf("Cleaned(copy of %s %q) = false, want true: the same bytes are as clean", name, copied)
		}
		if a.Cleaned(s[1:]) {
			t.Errorf("Cleaned(%q) = true for a part of %s, want false: a cut may split a character", s[1:], name)
		}
	}
	for _, s := range []string{"", a.URL, a.ID, "<p>正文\u0002</p>"} {
		if a.Cleaned(s) {
			t.Errorf("Cleaned(%q) = true, want false", s)
		}
	}
	// A text set after Parse is not trusted, and neither is a hand-made article.
	a.ContentHTML = "<p>正文\u0002 replaced</p>"
	if a.Cleaned(a.ContentHTML) {
		t.Errorf("Cleaned(replaced ContentHTML) = true, want false")
	}
	if b := (&content.Article{Title: "x"}); b.Cleaned(b.Title) {
		t.Errorf("Cleaned(Title of an article not made by Parse) = true, want false")
	}
}
