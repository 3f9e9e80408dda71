package hand

import "math/rand/v2"

// Seeded randomness, arranged as a tree: the card's stream, one stream per line, per word, per
// letter and per stroke, each seeded from a hash of its parent's key, its level and its index.
// A line's letters therefore draw the same numbers whatever other lines hold, and a stream is a
// handful of PCG steps: nothing depends on map order, time or scheduling.

// Levels of the tree, mixed into the child keys.
const (
	levelCard uint64 = iota + 1
	levelLine
	levelWord
	levelLetter
	levelStroke
	levelVariant
	levelJoin
	levelBreak
	levelSignature
	levelAlternate
)

// mix is the SplitMix64 finaliser: a bijection that spreads every input bit over the output.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// child derives the key of the index-th child at a level.
func child(key, level uint64, index int) uint64 {
	return mix(mix(key^(level*0x9e3779b97f4a7c15)) + uint64(index)*0xd1b54a32d192ed03)
}

// stream is one node's random numbers. Only +, × and exact conversions are used, so every
// machine draws the same values.
type stream struct{ p rand.PCG }

func newStream(key uint64) stream {
	var s stream
	s.p.Seed(key, mix(key+0x632be59bd9b4e019))
	return s
}

// u returns a uniform number in [0, 1).
func (s *stream) u() float64 { return float64(s.p.Uint64()>>11) * 0x1p-53 }

// sym returns a uniform number in [-1, 1).
func (s *stream) sym() float64 { return 2*s.u() - 1 }

// g returns a bell-shaped number with mean 0 and standard deviation 1: the Irwin–Hall sum of
// four uniforms (the four 16-bit quarters of one PCG output), bounded by ±3.46, so no single draw
// can throw a letter off the card. One PCG step per draw keeps a card's thousands of draws cheap.
func (s *stream) g() float64 {
	x := s.p.Uint64()
	sum := (x & 0xffff) + (x >> 16 & 0xffff) + (x >> 32 & 0xffff) + (x >> 48)
	// Each quarter is uniform on {0..65535}: mean 32767.5, variance (65536²-1)/12.
	return (float64(sum) - 4*32767.5) * (1.7320508075688772 / 2 / 32767.5)
}

// intn returns a uniform integer in [0, n).
func (s *stream) intn(n int) int {
	return int((s.p.Uint64() >> 33) * uint64(n) >> 31)
}

// bump is a smooth hump on [0, 1], 0 at both ends and 1 in the middle: sin(πt) to within
// 0.2 %, as a cubic in q = t(1−t) (the series of Bhaskara's 16q/(5−4q), its last coefficient
// set so that the peak is exactly 1). No division or library call: glyph warps evaluate it for
// every control point, and it gives the same bits on every machine.
func bump(t float64) float64 {
	if t <= 0 || t >= 1 {
		return 0
	}
	q := t * (1 - t)
	return q * (3.2 + q*(2.56+q*2.56))
}
