package corpus

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// rng is a PCG stream with the few draws the generator needs. Every
// document has its own streams, seeded from (seed, index, stream), so any
// document can be made alone and in any order, and one document's draws
// never shift another's.
type rng struct{ p rand.PCG }

// Streams of one document: its plan (what it is) and its text (what it
// says), kept apart so that Meta needs only the first.
const (
	streamPlan uint64 = 1
	streamText uint64 = 2
	streamName uint64 = 3 // the name tables, the same for every seed
)

func newRNG(seed int64, index int, stream uint64) rng {
	var r rng
	r.p.Seed(mix64(uint64(seed)^stream*0x9e3779b97f4a7c15), mix64(uint64(index)+stream<<58))
	return r
}

// mix64 is SplitMix64's finaliser: nearby seeds give unrelated states.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func (r *rng) u64() uint64 { return r.p.Uint64() }

// intn returns a number in [0, n), n > 0 (Lemire's multiply-shift, without
// the rejection step: a bias below n/2^64 is of no concern here).
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.u64(), uint64(n))
	return int(hi)
}

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// float returns a number in [0, 1).
func (r *rng) float() float64 { return float64(r.u64()>>11) * 0x1p-53 }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

func pick[T any](r *rng, list []T) T { return list[r.intn(len(list))] }

// zipf draws ranks 0..n-1 with P(k) proportional to 1/(k+1)^s, from a
// cumulative table: exact for any s >= 0 and n, and a binary search per draw.
type zipf struct{ cdf []float64 }

func newZipf(n int, s float64) zipf {
	cdf := make([]float64, n)
	sum := 0.0
	for k := range cdf {
		sum += math.Pow(float64(k+1), -s)
		cdf[k] = sum
	}
	for k := range cdf {
		cdf[k] /= sum
	}
	return zipf{cdf: cdf}
}

func (z zipf) draw(r *rng) int {
	u := r.float()
	lo, hi := 0, len(z.cdf)-1
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if z.cdf[mid] > u {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}
