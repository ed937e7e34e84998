package serve

import "strings"

// choose picks the representation to send for an Accept-Encoding header
// (RFC 9110 §12.5.3), nil when none is acceptable:
//
//   - no header: identity (any coding is acceptable then, but a client
//     that says nothing may not decode one);
//   - otherwise the coding with the highest q-value among those the object
//     has, br before gzip before identity on a tie; "x-gzip" is gzip, "*"
//     stands for every coding the header does not name;
//   - identity is acceptable unless "identity;q=0", or "*;q=0" without an
//     entry for identity, says otherwise; an empty header asks for it.
//
// nil (406) only when identity is refused and no coding the object has is
// accepted.
func (o *object) choose(header []string) *rep {
	if len(header) == 0 {
		return o.reps[len(codings)-1]
	}
	q := acceptQ(header)
	var best *rep
	bestQ := 0
	for i, r := range o.reps {
		if r != nil && q[i] > bestQ {
			best, bestQ = r, q[i]
		}
	}
	return best
}

// acceptQ reads an Accept-Encoding header (not empty) into the q-value of
// each of codings, in thousandths, as choose describes.
func acceptQ(header []string) [len(codings)]int {
	// -1: not named.
	q := [len(codings)]int{-1, -1, -1}
	star := -1
	for _, field := range header {
		for field != "" {
			var item string
			item, field, _ = strings.Cut(field, ",")
			name, params, _ := strings.Cut(item, ";")
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			v := qvalue(params)
			if v < 0 {
				continue // a malformed q-value: the item says nothing
			}
			switch {
			case strings.EqualFold(name, "br"):
				q[0] = max(q[0], v)
			case strings.EqualFold(name, "gzip"), strings.EqualFold(name, "x-gzip"):
				q[1] = max(q[1], v)
			case strings.EqualFold(name, "identity"):
				q[2] = max(q[2], v)
			case name == "*":
				star = max(star, v)
			}
		}
	}
	for i := range q {
		if q[i] < 0 {
			switch {
			case star >= 0:
				q[i] = star
			case i == len(codings)-1:
				q[i] = 1 // identity, unless refused
			default:
				q[i] = 0
			}
		}
	}
	return q
}

// deltaCoding is the coding a delta is sent in for an Accept-Encoding
// header: gzip, compressed as it is first asked for, or identity ("");
// ok is false when the request accepts neither.
func deltaCoding(header []string) (gzip, ok bool) {
	if len(header) == 0 {
		return false, true
	}
	q := acceptQ(header)
	switch {
	case q[1] > 0 && q[1] >= q[2]:
		return true, true
	case q[2] > 0:
		return false, true
	}
	return false, false
}

// acceptsFeed reports whether an A-IM header (RFC 3229 §10.5.3: a list of
// instance manipulations, case-insensitive, each with an optional q-value)
// accepts "feed": named with a q-value above zero; "feed;q=0" refuses it.
// A malformed q-value makes its item say nothing. Only the first
// MaxListBytes of the header are read.
func acceptsFeed(header []string) bool {
	best := 0
	for _, field := range bounded(header) {
		for field != "" {
			var item string
			item, field, _ = strings.Cut(field, ",")
			name, params, _ := strings.Cut(item, ";")
			if strings.EqualFold(strings.TrimSpace(name), "feed") {
				best = max(best, qvalue(params))
			}
		}
	}
	return best > 0
}

// qvalue reads the q parameter of an Accept-Encoding item, in thousandths
// (RFC 9110 §12.4.2: 0 to 1, at most three decimals); absent is 1, a
// malformed one -1.
func qvalue(params string) int {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		v = strings.TrimSpace(v)
		switch {
		case v == "1" || v == "1." || strings.HasPrefix(v, "1.") && strings.Trim(v[2:], "0") == "" && len(v) <= 5:
			return 1000
		case len(v) >= 1 && v[0] == '0' && (len(v) == 1 || v[1] == '.' && len(v) <= 5):
			n := 0
			digits := v[min(2, len(v)):]
			for i := 0; i < 3; i++ {
				n *= 10
				if i < len(digits) {
					if digits[i] < '0' || digits[i] > '9' {
						return -1
					}
					n += int(digits[i] - '0')
				}
			}
			return n
		default:
			return -1
		}
	}
	return 1000
}
