package feed

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The date writers give what time.AppendFormat gives, in zones east and
// west, with half hours, with offsets in seconds (local mean time before
// 1900) and of 100 hours or more, around the turn of a year and outside
// years 0-9999.
func TestDatesMatchAppendFormat(t *testing.T) {
	var zones []*time.Location
	for _, name := range []string{"UTC", "Asia/Shanghai", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu",
		"America/St_Johns", "Europe/Amsterdam", "Pacific/Kiritimati", "Pacific/Pago_Pago"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		zones = append(zones, loc)
	}
	zones = append(zones, time.FixedZone("", -(9*3600+30*60+17)), time.FixedZone("", 59),
		time.FixedZone("", 99*3600+59*60), time.FixedZone("", 100*3600), time.FixedZone("", -(1<<20)))
	times := []time.Time{
		time.Date(2024, 4, 27, 21, 57, 56, 0, time.UTC),
		time.Date(1899, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 1, 12, 0, 0, 0, time.UTC),
		{},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		times = append(times, time.Unix(rng.Int64N(1<<36)-1<<35, 0))
	}
	for _, tm := range times {
		for _, loc := range zones {
			tm := tm.In(loc)
			if got, want := string(appendRFC822(nil, tm)), tm.Format(time.RFC1123Z); got != want {
				t.Errorf("appendRFC822(%v) = %q, want %q", tm, got, want)
			}
			if got, want := string(appendRFC3339([]byte("x"), tm)), "x"+tm.Format(time.RFC3339); got != want {
				t.Errorf("appendRFC3339(%v) = %q, want %q", tm, got, want)
			}
		}
	}
}

func BenchmarkDates(b *testing.B) {
	tm := time.Date(2024, 4, 27, 21, 57, 56, 0, time.FixedZone("", 8*3600))
	buf := make([]byte, 0, 64)
	b.Run("impl=feedpub", func(b *testing.B) {
		for b.Loop() {
			buf = appendRFC3339(appendRFC822(buf[:0], tm), tm)
		}
	})
	b.Run("impl=AppendFormat", func(b *testing.B) {
		for b.Loop() {
			buf = tm.AppendFormat(tm.AppendFormat(buf[:0], time.RFC1123Z), time.RFC3339)
		}
	})
}
