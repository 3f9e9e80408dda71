package gcode

import (
	"math"
)

// Ink: a pen in a hand does not move at one speed. It starts a stroke slowly, speeds up on
// straights and slows in curves, and it rests on the paper a little longer or shorter each
// time it lands. A plotter writing at one feed with one identical dwell leaves strokes of
// uniform weight that all start with the same dot: the tell of a machine. With Options.Ink the
// emitter varies both, seeded from the strokes themselves (the same card always gives the same
// program), never above the profile's draw feed and never below its pen-down dwell.

// Feed factors, relative to the profile's draw feed (its maximum for drawing).
const (
	inkMinFactor   = 0.55 // the slowest a pen goes, in the tightest turns
	inkStartFactor = 0.6  // where a stroke begins
	inkRampMM      = 1.2  // the distance over which a stroke gets up to speed
	inkTurnSlow    = 0.4  // how much a turn of 90° or more slows the pen
	inkStrokeSpan  = 0.12 // strokes differ in pace by up to this share
	inkStep        = 0.05 // feeds are multiples of this share of the draw feed: fewer F words
	inkDwellSpan   = 0.5  // a landing dwells up to this share longer than the profile requires
)

// inkState is the variation of one program.
type inkState struct {
	seed   uint64
	stroke uint64
	pace   float64 // this stroke's pace factor
	dist   float64 // mm drawn in this stroke so far
	prev   [2]float64
}

// inkSeed hashes the placed points (FNV-1a over the grid values): the seed is the card.
func inkSeed(placed [][]ipt) uint64 {
	h := uint64(14695981039346656037)
	for _, s := range placed {
		for _, p := range s {
			for _, v := range [2]int64{p.x, p.y} {
				for k := 0; k < 64; k += 8 {
					h ^= uint64(v>>k) & 0xff
					h *= 1099511628211
				}
			}
		}
		h ^= 0xff
		h *= 1099511628211
	}
	return h
}

// splitmix is the SplitMix64 finaliser.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// unit returns a number in [0, 1) for stream position k of the current stroke.
func (s *inkState) unit(k uint64) float64 {
	return float64(splitmix(s.seed^splitmix(s.stroke*4+k))>>11) * 0x1p-53
}

// beginStroke starts stroke n and returns its pen-down dwell, from the profile's dwell down.
func (s *inkState) beginStroke(down float64) float64 {
	s.stroke++
	s.pace = 1 - inkStrokeSpan*s.unit(0)
	s.dist = 0
	s.prev = [2]float64{}
	return down * (1 + inkDwellSpan*s.unit(1))
}

// feed returns the feed (mm/min) for a move of length l (mm) in direction (dx, dy) (unit or
// zero), at most maxFeed. A plot-time estimate reads the feeds back from the program (ReadDrawn):
// what a slower feed costs depends on whether the move would have reached the faster one.
func (s *inkState) feed(maxFeed, l, dx, dy float64) float64 {
	f := s.pace
	// Slow at the start of the stroke, getting up to pace over inkRampMM.
	if t := s.dist / inkRampMM; t < 1 {
		f *= inkStartFactor + (1-inkStartFactor)*t
	}
	// Slow in turns: by the cosine of the angle to the previous move.
	if s.prev != [2]float64{} {
		c := s.prev[0]*dx + s.prev[1]*dy
		turn := math.Min(1, 1-c) // 0 straight on, 1 at a right angle or more
		f *= 1 - inkTurnSlow*turn
	}
	f = math.Max(inkMinFactor, math.Min(1, f))
	f = math.Floor(f/inkStep+1e-9) * inkStep
	if f < inkMinFactor {
		f = inkMinFactor
	}
	s.dist += l
	if dx != 0 || dy != 0 {
		s.prev = [2]float64{dx, dy}
	}
	return f * maxFeed
}
