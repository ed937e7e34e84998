package publish_test

import (
	"testing"
	"time"

	"github.com/feedpub/feedpub/feed/publish"
)

func TestParseSchedule(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"": publish.DefaultSchedule, "rate(5 minutes)": 5 * time.Minute, "rate(1 minute)": time.Minute,
		"rate(2 hours)": 2 * time.Hour, "rate(1 day)": 24 * time.Hour, "cron(0 12 * * ? *)": publish.DefaultSchedule,
	} {
		if got, err := publish.ParseSchedule(in); err != nil || got != want {
			t.Errorf("%q: got %v, %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"rate(0 minutes)", "rate(5 weeks)", "rate(x minutes)", "every 5 minutes", "rate(5 minutes"} {
		if _, err := publish.ParseSchedule(in); err == nil {
			t.Errorf("%q: accepted", in)
		}
	}
}
