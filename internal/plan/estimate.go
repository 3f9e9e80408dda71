package plan

import (
	"errors"
	"fmt"
	"math"

	"github.com/quillpost/quillpost/internal/geom"
)

// Motion describes how a machine moves, for Estimate. The defaults of a typical GRBL servo
// plotter are DrawFeed 3000, TravelFeed 6000, Accel 500, JunctionDeviation 0.01.
type Motion struct {
	DrawFeed   float64 // mm/min, pen down (G1 F)
	TravelFeed float64 // mm/min, pen up
	Accel      float64 // mm/s², along the path
	// JunctionDeviation is GRBL's $11 (mm): how far the path may notionally cut a corner, which
	// sets how fast the machine may pass through a corner between two segments.
	JunctionDeviation float64
	PenUpSeconds      float64 // lift, settle included
	PenDownSeconds    float64 // drop, settle included
	// StartSeconds is spent once before the first move: the pen swinging from where it rests
	// between cards to its travel height.
	StartSeconds float64
	// PlannerBlocks is how many moves the firmware's planner sees ahead when it fixes a corner
	// speed: it must always be able to stop at the end of what it sees, so on dense curves of tiny
	// segments a short buffer caps the speed. GRBL 1.1 on an ATmega328 keeps 16 blocks (15
	// usable, one executing: use 14); Marlin 16; 0 means unlimited look-ahead.
	PlannerBlocks int
	// Corner speeds (mm/s) where a pen move planned by the firmware (a Z axis) joins the moves
	// around it without a dwell between: a pen-up travel enters and leaves at TravelEntry and
	// TravelExit, a stroke starts at DrawEntry and ends at DrawExit. Zero (a servo, or a dwell):
	// from rest, to rest.
	TravelEntry, TravelExit, DrawEntry, DrawExit float64
}

// Validate reports the first field Estimate cannot use.
func (m Motion) Validate() error {
	pos := func(name string, v float64) error {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("motion %s must be a positive number, not %v", name, v)
		}
		return nil
	}
	nonNeg := func(name string, v float64) error {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("motion %s must be zero or more, not %v", name, v)
		}
		return nil
	}
	return errors.Join(
		pos("draw feed", m.DrawFeed), pos("travel feed", m.TravelFeed), pos("acceleration", m.Accel),
		nonNeg("junction deviation", m.JunctionDeviation),
		nonNeg("pen-up time", m.PenUpSeconds), nonNeg("pen-down time", m.PenDownSeconds),
		nonNeg("start time", m.StartSeconds),
		nonNeg("travel entry speed", m.TravelEntry), nonNeg("travel exit speed", m.TravelExit),
		nonNeg("draw entry speed", m.DrawEntry), nonNeg("draw exit speed", m.DrawExit),
		func() error {
			if m.PlannerBlocks < 0 {
				return fmt.Errorf("motion planner blocks must be zero or more, not %d", m.PlannerBlocks)
			}
			return nil
		}(),
	)
}

// Times splits an estimate by activity, in seconds.
type Times struct {
	Draw   float64 `json:"draw_seconds"`   // pen down, moving
	Travel float64 `json:"travel_seconds"` // pen up, moving
	Pen    float64 `json:"pen_seconds"`    // lifting and dropping the pen
}

// Total returns the whole estimate.
func (t Times) Total() float64 { return t.Draw + t.Travel + t.Pen }

// Estimate returns the seconds a machine with motion m takes to draw strokes in the given order
// from start, the pen up at first. It is EstimateTimes(...).Total().
func Estimate(strokes []geom.Stroke, start geom.Point, m Motion) float64 {
	return EstimateTimes(strokes, start, m).Total()
}

// EstimateTimes models the machine the way GRBL's planner does (and saxi's, for the AxiDraw):
//
//   - Every straight segment is a block run with a trapezoidal velocity profile at the constant
//     acceleration Accel, cruising at most at the feed rate.
//   - Between two segments of a stroke the speed is capped by junction deviation: for the angle θ
//     between the segments' directions (θ = 0 straight on), v² = Accel·δ·s/(1−s) with
//     s = sin((π−θ)/2), δ = JunctionDeviation; a full reversal stops, a straight junction does
//     not slow down.
//   - A backward pass (every block must be able to stop where the plan ends) and a forward pass
//     (no block can enter faster than the previous one could accelerate to) fix the speed at
//     every junction; PlannerBlocks limits how far the backward pass looks ahead.
//   - The machine stops where the pen goes down and where it lifts; a pen-up move is one straight
//     line from the end of a stroke to the start of the next, from rest to rest, at TravelFeed.
//   - The pen's first lift, before anything moves, costs StartSeconds.
//   - Each non-empty stroke costs one drop and one lift. Zero-length segments are skipped, as
//     GRBL skips zero-length blocks; the move home after the last stroke is not counted.
//
// It returns zero Times when m is not valid (see Validate).
func EstimateTimes(strokes []geom.Stroke, start geom.Point, m Motion) Times {
	return EstimateProgram(strokes, start, m, Program{})
}

// Program is what a G-code program says beyond its paths that changes how long it runs: the feed
// each drawing move carries and each stroke's pen-down time. Either may be nil.
type Program struct {
	// Feeds[i][k] is the feed (mm/min) of the move from strokes[i][k-1] to strokes[i][k] (the
	// F word the firmware runs it at). It caps that block's nominal speed, as GRBL's planner
	// takes the F word for it, together with Motion.DrawFeed; 0 or a missing entry means
	// DrawFeed.
	Feeds [][]float64
	// PenDown[i], when given, replaces Motion.PenDownSeconds for stroke i (a dwell that varies
	// from stroke to stroke).
	PenDown []float64
}

// EstimateProgram is EstimateTimes for a program whose drawing feeds and pen-down times vary
// (see Program).
func EstimateProgram(strokes []geom.Stroke, start geom.Point, m Motion, prog Program) Times {
	if m.Validate() != nil {
		return Times{}
	}
	t := Times{Pen: m.StartSeconds}
	p := planner{m: m, vDraw: m.DrawFeed / 60}
	vTravel := m.TravelFeed / 60
	cur := start
	for i, s := range strokes {
		if len(s) == 0 {
			continue
		}
		if d := cur.Dist(s[0]); d > 0 {
			t.Travel += trapezoid(d, sq(m.TravelEntry), sq(m.TravelExit), vTravel, m.Accel)
		}
		down := m.PenDownSeconds
		if i < len(prog.PenDown) && prog.PenDown[i] >= 0 && !math.IsInf(prog.PenDown[i], 0) {
			down = prog.PenDown[i]
		}
		t.Pen += down + m.PenUpSeconds
		var feeds []float64
		if i < len(prog.Feeds) {
			feeds = prog.Feeds[i]
		}
		t.Draw += p.stroke(s, feeds)
		cur = s[len(s)-1]
	}
	return t
}

// planner holds buffers reused across strokes.
type planner struct {
	m     Motion
	vDraw float64
	lens  []float64 // block lengths
	vn    []float64 // block nominal speeds, mm/s
	units []geom.Point
	entry []float64 // squared entry speeds: first the caps, then the plan
}

// stroke returns the seconds to draw one stroke from rest to rest; feeds (mm/min, see
// Program.Feeds) may lower the nominal speed of each block below the draw feed.
func (p *planner) stroke(s geom.Stroke, feeds []float64) float64 {
	p.lens, p.vn, p.units, p.entry = p.lens[:0], p.vn[:0], p.units[:0], p.entry[:0]
	for i := 1; i < len(s); i++ {
		d := s[i].Sub(s[i-1])
		l := math.Hypot(d.X, d.Y)
		if l == 0 || math.IsInf(l, 0) {
			continue
		}
		v := p.vDraw
		if i < len(feeds) && feeds[i] > 0 {
			v = min(v, feeds[i]/60)
		}
		p.lens = append(p.lens, l)
		p.vn = append(p.vn, v)
		p.units = append(p.units, d.Scale(1/l))
	}
	n := len(p.lens)
	if n == 0 {
		return 0
	}
	a := p.m.Accel
	// Caps on each block's entry speed²: the pen just went down before the first block, the
	// junction limit and the nominal speeds of both blocks elsewhere (GRBL caps a junction by
	// the slower of the two).
	p.entry = append(p.entry, min(sq(p.vn[0]), sq(p.m.DrawEntry)))
	for k := 1; k < n; k++ {
		p.entry = append(p.entry, min(sq(p.vn[k-1]), sq(p.vn[k]),
			junctionSpeed2(p.units[k-1], p.units[k], a, p.m.JunctionDeviation)))
	}
	// A finite planner must be able to stop within the blocks it sees. Blocks near the end of the
	// stroke see the stroke's end, which stops anyway, so they need no window.
	if w := p.m.PlannerBlocks; w > 0 {
		for k := 1; k+w <= n; k++ {
			v2 := 0.0
			for j := k + w - 1; j >= k; j-- {
				v2 = min(p.entry[j], v2+2*a*p.lens[j])
			}
			p.entry[k] = v2
		}
	}
	// Backward pass: the stroke ends at rest (or at the corner into a planned pen lift).
	end := min(sq(p.vn[n-1]), sq(p.m.DrawExit))
	exit := end
	for k := n - 1; k >= 0; k-- {
		p.entry[k] = min(p.entry[k], exit+2*a*p.lens[k])
		exit = p.entry[k]
	}
	// Forward pass.
	for k := 1; k < n; k++ {
		p.entry[k] = min(p.entry[k], p.entry[k-1]+2*a*p.lens[k-1])
	}
	var t float64
	for k := range n {
		exit := end
		if k+1 < n {
			exit = p.entry[k+1]
		}
		t += trapezoid(p.lens[k], p.entry[k], exit, p.vn[k], a)
	}
	return t
}

// junctionSpeed2 returns GRBL's junction-deviation limit on the speed² through the corner from
// direction u to direction w (unit vectors). GRBL works with cos of the angle between -u and w:
// -1 when the path goes straight on, +1 when it turns back on itself.
func junctionSpeed2(u, w geom.Point, accel, deviation float64) float64 {
	cosTheta := -(float64(u.X*w.X) + float64(u.Y*w.Y))
	switch {
	case cosTheta > 0.999999:
		return 0 // a full reversal: GRBL's MINIMUM_JUNCTION_SPEED is 0
	case cosTheta < -0.999999:
		return inf // straight on
	}
	sinHalf := math.Sqrt(0.5 * (1 - cosTheta))
	return accel * deviation * sinHalf / (1 - sinHalf)
}

// trapezoid returns the seconds to run a block of length l that enters at speed² v0sq, leaves at
// v1sq, cruises at most at vn and accelerates and decelerates at a. The planner guarantees
// |v1² − v0²| ≤ 2·a·l; when the block is too short to reach vn the profile is a triangle whose peak
// v satisfies v² = (2·a·l + v0² + v1²)/2.
func trapezoid(l, v0sq, v1sq, vn, a float64) float64 {
	vn2 := sq(vn)
	v0sq, v1sq = min(v0sq, vn2), min(v1sq, vn2)
	v0, v1 := math.Sqrt(v0sq), math.Sqrt(v1sq)
	accelD := (vn2 - v0sq) / (2 * a)
	decelD := (vn2 - v1sq) / (2 * a)
	if accelD+decelD <= l {
		return (vn-v0)/a + (vn-v1)/a + (l-accelD-decelD)/vn
	}
	peak := math.Sqrt((2*a*l + v0sq + v1sq) / 2)
	peak = max(peak, v0, v1)
	return (peak-v0)/a + (peak-v1)/a
}
