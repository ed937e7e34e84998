package feed

import "time"

// The two date formats feeds use, written field by field: time.AppendFormat
// reads its layout on every call, which showed in every item of a profile.
// Both give exactly what time.AppendFormat gives for years 0 to 9999 and
// zone offsets under 100 hours, and leave the rest to it.

// appendRFC822 appends t as RSS dates are written (time.RFC1123Z: RFC 822
// with a four-digit year): "Sat, 27 Apr 2024 21:57:56 +0800".
func appendRFC822(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	_, offset := t.Zone()
	if !usual(year, offset) {
		return t.AppendFormat(b, time.RFC1123Z)
	}
	b = append(b, t.Weekday().String()[:3]...)
	b = append(b, ", "...)
	b = append2(b, day)
	b = append(b, ' ')
	b = append(b, month.String()[:3]...)
	b = append(b, ' ')
	b = append4(b, year)
	b = append(b, ' ')
	b = appendClock(b, t)
	b = append(b, ' ')
	return appendOffset(b, offset, false)
}

// appendRFC3339 appends t as Atom and JSON Feed dates are written
// (time.RFC3339): "2024-04-27T21:57:56+08:00", "Z" for UTC.
func appendRFC3339(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	_, offset := t.Zone()
	if !usual(year, offset) {
		return t.AppendFormat(b, time.RFC3339)
	}
	b = append4(b, year)
	b = append(b, '-')
	b = append2(b, int(month))
	b = append(b, '-')
	b = append2(b, day)
	b = append(b, 'T')
	b = appendClock(b, t)
	return appendOffset(b, offset, true)
}

// usual reports whether a time in year, at offset seconds east of UTC, is
// written in the widths the two formats have: a four-digit year, a
// two-digit hour of offset.
func usual(year, offset int) bool {
	return year >= 0 && year <= 9999 && offset > -100*3600 && offset < 100*3600
}

// appendClock appends "15:04:05".
func appendClock(b []byte, t time.Time) []byte {
	hour, minute, second := t.Clock()
	b = append2(b, hour)
	b = append(b, ':')
	b = append2(b, minute)
	b = append(b, ':')
	return append2(b, second)
}

// appendOffset appends a zone offset, in seconds east of UTC, in hours and
// minutes, "+0800", or with colon "+08:00" and "Z" for a zero offset, as
// time.AppendFormat does (seconds of an offset, in zones of old local mean
// time, are dropped).
func appendOffset(b []byte, offset int, colon bool) []byte {
	if colon && offset == 0 {
		return append(b, 'Z')
	}
	minutes := offset / 60
	sign := byte('+')
	if minutes < 0 {
		sign, minutes = '-', -minutes
	}
	b = append(b, sign)
	b = append2(b, minutes/60)
	if colon {
		b = append(b, ':')
	}
	return append2(b, minutes%60)
}

// append2 appends n, 0 to 99, as two digits.
func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }

// append4 appends n, 0 to 9999, as four digits.
func append4(b []byte, n int) []byte { return append2(append2(b, n/100), n%100) }
