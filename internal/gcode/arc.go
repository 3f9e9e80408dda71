package gcode

import (
	"math"

	"github.com/quillpost/quillpost/internal/geom"
)

// move is one pen-down move to a grid point: a straight G1, or an arc with its centre given as
// an offset from the move's start, the way G2/G3 I and J read it.
type move struct {
	to   ipt
	arc  bool
	ccw  bool  // G3 (counter-clockwise seen from +Z, X right and Y up) rather than G2
	i, j int64 // centre offset from the start, grid units
}

// Arc fitting limits. Each keeps the fitted arcs well inside what every firmware executes
// exactly as the reader expands them.
const (
	arcMinSegments = 3              // an arc must replace at least 3 line moves to pay its I and J
	arcMaxPoints   = 200            // bounds the quadratic cost of greedy extension
	arcMaxRadius   = 1000.0         // mm; flatter arcs gain nothing and lose precision
	arcMaxStep     = math.Pi / 2    // largest turn between neighbouring points
	arcMinSweep    = 1e-3           // rad; firmware treats a near-zero sweep as a full circle
	arcMaxSweep    = 2*math.Pi - .2 // stay clear of the full-circle ambiguity at 2π
	arcEndMismatch = 0.002          // mm; GRBL rejects an end more than 0.005 mm off the circle
)

// planMoves turns the points of one stroke (pts[0] is where the pen goes down) into moves,
// fitting arcs greedily when arcs is set: from each point, the longest run of points that one
// arc reproduces within tol becomes a G2/G3, and anything else stays a G1.
func planMoves(pts []ipt, g grid, tol float64, area geom.Rect, arcs bool, dst []move) []move {
	if !arcs {
		for _, q := range pts[1:] {
			dst = append(dst, move{to: q})
		}
		return dst
	}
	for i := 0; i < len(pts)-1; {
		best, bestJ := move{}, -1
		for j := i + arcMinSegments; j < len(pts) && j-i < arcMaxPoints; j++ {
			m, ok := fitArc(pts[i:j+1], g, tol, area)
			if !ok {
				break
			}
			best, bestJ = m, j
		}
		if bestJ < 0 {
			dst = append(dst, move{to: pts[i+1]})
			i++
			continue
		}
		dst = append(dst, best)
		i = bestJ
	}
	return dst
}

// fitArc tries one arc from q[0] to q[len(q)-1] through the points between. The circle goes
// through the first, middle and last point; its centre is then rounded to the grid, because the
// firmware sees only the rounded I and J, and every check below runs on that rounded arc:
//   - each point lies within tol of the circle, and the end within arcEndMismatch;
//   - the points advance around the centre in one direction, less than a quarter turn each;
//   - between neighbouring points p, q the arc stays within tol of the segment pq: the
//     larger radial error of p and q plus the sagitta r(1-cos(Δθ/2)) bounds that distance
//     both ways, so arc and polyline are within tol of each other everywhere;
//   - the sweep stays clear of 0 and 2π, where G2/G3 become ambiguous;
//   - the whole arc, including where it bulges past its points, lies inside the work area.
func fitArc(q []ipt, g grid, tol float64, area geom.Rect) (move, bool) {
	n := len(q)
	a, mid, b := q[0], q[n/2], q[n-1]
	ax, ay := g.mm(a.x), g.mm(a.y)
	// Circumcentre relative to a.
	bx, by := g.mm(mid.x)-ax, g.mm(mid.y)-ay
	cx, cy := g.mm(b.x)-ax, g.mm(b.y)-ay
	d := 2 * (float64(bx*cy) - float64(by*cx))
	if math.Abs(d) < 1e-12 {
		return move{}, false
	}
	bb, cc := float64(bx*bx)+float64(by*by), float64(cx*cx)+float64(cy*cy)
	ux := (float64(cy*bb) - float64(by*cc)) / d
	uy := (float64(bx*cc) - float64(cx*bb)) / d
	if math.Abs(ux) > arcMaxRadius || math.Abs(uy) > arcMaxRadius {
		return move{}, false
	}
	oi, okI := g.snap(ux)
	oj, okJ := g.snap(uy)
	if !okI || !okJ {
		return move{}, false
	}
	// The centre the firmware will use, and the radius it measures from the start.
	ox, oy := g.mm(a.x+oi), g.mm(a.y+oj)
	r := math.Hypot(ax-ox, ay-oy)
	if r < 0.01 || r > arcMaxRadius {
		return move{}, false
	}
	if math.Abs(math.Hypot(g.mm(b.x)-ox, g.mm(b.y)-oy)-r) > math.Min(arcEndMismatch, tol) {
		return move{}, false
	}
	var sweep, prevErr float64
	vx, vy := ax-ox, ay-oy
	for k := 1; k < n; k++ {
		wx, wy := g.mm(q[k].x)-ox, g.mm(q[k].y)-oy
		e := math.Abs(math.Hypot(wx, wy) - r)
		if e > tol {
			return move{}, false
		}
		step := math.Atan2(float64(vx*wy)-float64(vy*wx), float64(vx*wx)+float64(vy*wy))
		if step == 0 || math.Abs(step) > arcMaxStep || (sweep != 0 && (step > 0) != (sweep > 0)) {
			return move{}, false
		}
		if math.Max(e, prevErr)+r*(1-math.Cos(step/2)) > tol {
			return move{}, false
		}
		sweep += step
		prevErr = e
		vx, vy = wx, wy
	}
	if math.Abs(sweep) < arcMinSweep || math.Abs(sweep) > arcMaxSweep {
		return move{}, false
	}
	if !arcInside(ox, oy, r, math.Atan2(ay-oy, ax-ox), sweep, area) {
		return move{}, false
	}
	return move{to: b, arc: true, ccw: sweep > 0, i: oi, j: oj}, true
}

// arcInside reports whether the arc around (ox, oy) of radius r, starting at angle start and
// turning by sweep, stays inside area. Its extremes are its ends and whichever of the four axis
// points (0°, 90°, 180°, 270°) it passes; the ends are grid points already checked.
func arcInside(ox, oy, r, start, sweep float64, area geom.Rect) bool {
	for k := range 4 {
		phi := float64(k) * math.Pi / 2
		delta := phi - start
		if sweep < 0 {
			delta = -delta
		}
		delta = math.Mod(delta, 2*math.Pi)
		if delta < 0 {
			delta += 2 * math.Pi
		}
		if delta > math.Abs(sweep) {
			continue
		}
		var p geom.Point
		switch k {
		case 0:
			p = geom.Point{X: ox + r, Y: oy}
		case 1:
			p = geom.Point{X: ox, Y: oy + r}
		case 2:
			p = geom.Point{X: ox - r, Y: oy}
		default:
			p = geom.Point{X: ox, Y: oy - r}
		}
		if !area.Contains(p, 0) {
			return false
		}
	}
	return true
}
