package content_test

import (
	"testing"
	"time"

	"github.com/feedpub/feedpub/content"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		name string
		in   string
		loc  *time.Location
		want time.Time
	}{
		{"offset", "2024-04-27T21:57:56+08:00", newYork, utc("2024-04-27T13:57:56Z")},
		{"negative half-hour offset", "2024-04-27T21:57:56-03:30", shanghai, utc("2024-04-28T01:27:56Z")},
		{"Z", "2024-04-27T13:57:56Z", shanghai, utc("2024-04-27T13:57:56Z")},
		{"lowercase t and z", "2024-04-27t13:57:56z", shanghai, utc("2024-04-27T13:57:56Z")},
		{"space instead of T", "2024-04-27 21:57:56+08:00", newYork, utc("2024-04-27T13:57:56Z")},
		{"fractional seconds cut, not rounded", "2024-04-27T13:57:56.999999Z", shanghai, utc("2024-04-27T13:57:56Z")},
		{"nanoseconds with offset", "2024-04-27T21:57:56.123456789+08:00", shanghai, utc("2024-04-27T13:57:56Z")},
		{"naive with space, Shanghai", "2024-04-27 21:57:56", shanghai, utc("2024-04-27T13:57:56Z")},
		{"naive with T, Shanghai", "2024-04-27T21:57:56", shanghai, utc("2024-04-27T13:57:56Z")},
		{"naive with lowercase t", "2024-04-27t21:57:56", shanghai, utc("2024-04-27T13:57:56Z")},
		{"naive fractional seconds cut", "2024-04-27 21:57:56.75", shanghai, utc("2024-04-27T13:57:56Z")},
		{"naive, New York summer time", "2024-04-27 21:57:56", newYork, utc("2024-04-28T01:57:56Z")},
		{"naive, New York winter time", "2024-01-15 09:00:00", newYork, utc("2024-01-15T14:00:00Z")},
		{"naive, no location is UTC", "2024-04-27 21:57:56", nil, utc("2024-04-27T21:57:56Z")},
		{"naive, UTC", "2024-04-27T21:57:56", time.UTC, utc("2024-04-27T21:57:56Z")},
		// Clocks in New York went from 02:00 EST to 03:00 EDT on 2024-03-10:
		// a skipped time is read with the offset before the change (EST),
		// so 02:30 is 07:30Z, which New York calls 03:30 EDT.
		{"before the DST gap", "2024-03-10 01:59:59", newYork, utc("2024-03-10T06:59:59Z")},
		{"in the DST gap", "2024-03-10 02:30:00", newYork, utc("2024-03-10T07:30:00Z")},
		{"after the DST gap", "2024-03-10 03:00:00", newYork, utc("2024-03-10T07:00:00Z")},
		// 2024-11-03 01:00–02:00 happened twice in New York (EDT, then EST):
		// the earlier instant is chosen.
		{"in the DST overlap", "2024-11-03 01:30:00", newYork, utc("2024-11-03T05:30:00Z")},
		{"after the DST overlap", "2024-11-03 02:00:00", newYork, utc("2024-11-03T07:00:00Z")},
		// Europe, east of UTC, follows the same rules (time.Date alone
		// resolves these differently in Berlin and in New York).
		{"in the Berlin DST gap", "2024-03-31 02:30:00", berlin, utc("2024-03-31T01:30:00Z")},
		{"in the Berlin DST overlap", "2024-10-27 02:30:00", berlin, utc("2024-10-27T00:30:00Z")},
		{"Berlin DST overlap, later half hour", "2024-10-27 02:59:59", berlin, utc("2024-10-27T00:59:59Z")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := content.ParseTime(tt.in, tt.loc)
			if err != nil {
				t.Fatalf("ParseTime(%q): got error %v, want %v", tt.in, err, tt.want)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseTime(%q, %v) = %v, want %v", tt.in, tt.loc, got.UTC(), tt.want)
			}
			if got.Nanosecond() != 0 {
				t.Errorf("ParseTime(%q) = %v, want whole seconds", tt.in, got)
			}
		})
	}
}

func TestParseTimeRejects(t *testing.T) {
	for _, in := range []string{
		"", "yesterday", "2024-04-27", "21:57:56", "2024-04-27 21:57", "2024-04-27T21:57Z",
		"2024-13-01T00:00:00Z", "2024-02-30 10:00:00", "2024-04-27T25:00:00Z", "2024-04-27T21:60:00Z",
		"2024-04-27T21:57:56+0800", "2024-04-27T21:57:56 +08:00", "27/04/2024 21:57:56", "2024/04/27 21:57:56",
		"Sat, 27 Apr 2024 21:57:56 +0800", "1714226276", "2024-04-27T21:57:56+08:00 extra", "２０２４-04-27 21:57:56",
	} {
		t.Run(in, func(t *testing.T) {
			if got, err := content.ParseTime(in, shanghai); err == nil {
				t.Errorf("ParseTime(%q) = %v, want an error", in, got)
			}
		})
	}
}

func TestParsePublishedUpdated(t *testing.T) {
	tests := []struct {
		name               string
		kv                 []string
		published, updated time.Time
	}{
		{"updated absent is published", []string{"published", `"2024-04-27 21:57:56"`},
			utc("2024-04-27T13:57:56Z"), utc("2024-04-27T13:57:56Z")},
		{"updated null is published", []string{"updated", "null"},
			utc("2024-04-27T13:57:56Z"), utc("2024-04-27T13:57:56Z")},
		{"later updated kept", []string{"published", `"2024-04-27 21:57:56"`, "updated", `"2024-04-28T08:00:00+08:00"`},
			utc("2024-04-27T13:57:56Z"), utc("2024-04-28T00:00:00Z")},
		{"naive updated in the site's zone", []string{"updated", `"2024-04-28T08:00:00"`},
			utc("2024-04-27T13:57:56Z"), utc("2024-04-28T00:00:00Z")},
		{"updated before published is published", []string{"updated", `"2024-04-27T13:57:55Z"`},
			utc("2024-04-27T13:57:56Z"), utc("2024-04-27T13:57:56Z")},
		{"updated before published by a fraction", []string{"published", `"2024-04-27T13:57:56.9Z"`, "updated", `"2024-04-27T13:57:56.1Z"`},
			utc("2024-04-27T13:57:56Z"), utc("2024-04-27T13:57:56Z")},
		{"published with fraction", []string{"published", `"2024-04-27T13:57:56.5Z"`},
			utc("2024-04-27T13:57:56Z"), utc("2024-04-27T13:57:56Z")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := parse(t, doc(tt.kv...))
			if !a.Published.Equal(tt.published) {
				t.Errorf("got Published %v, want %v", a.Published, tt.published)
			}
			if !a.Updated.Equal(tt.updated) {
				t.Errorf("got Updated %v, want %v", a.Updated, tt.updated)
			}
			if a.Published.Nanosecond() != 0 || a.Updated.Nanosecond() != 0 {
				t.Errorf("got Published %v, Updated %v, want whole seconds", a.Published, a.Updated)
			}
		})
	}

	t.Run("zone from Parse's location", func(t *testing.T) {
		data := doc("published", `"2024-04-27 21:57:56"`)
		for _, tt := range []struct {
			loc  *time.Location
			want time.Time
		}{
			{shanghai, utc("2024-04-27T13:57:56Z")},
			{newYork, utc("2024-04-28T01:57:56Z")},
			{nil, utc("2024-04-27T21:57:56Z")},
		} {
			a, err := content.Parse(testKey, data, tt.loc)
			if err != nil {
				t.Fatal(err)
			}
			if !a.Published.Equal(tt.want) {
				t.Errorf("in %v: got Published %v, want %v", tt.loc, a.Published, tt.want)
			}
		}
	})

	invalid := []struct{ name, field, raw, reason string }{
		{"published missing", "published", "", "required"},
		{"published null", "published", "null", "required"},
		{"published empty", "published", `""`, "empty"},
		{"published garbage", "published", `"yesterday"`, "RFC 3339"},
		{"published date only", "published", `"2024-04-27"`, "RFC 3339"},
		{"published a number", "published", `1714226276`, "must be a string"},
		{"published an object", "published", `{"date":"2024-04-27"}`, "must be a string"},
		{"updated garbage", "updated", `"tomorrow"`, "RFC 3339"},
		{"updated empty", "updated", `""`, "empty"},
		{"updated a number", "updated", `1714226276`, "must be a string"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			wantOnly(t, reject(t, doc(tt.field, tt.raw)), tt.field, tt.reason)
		})
	}
}
