package gcode

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
)

var bigArea = geom.Rect{Min: geom.Point{X: -1000, Y: -1000}, Max: geom.Point{X: 1000, Y: 1000}}

// circlePoints samples an arc in machine mm and snaps it to the 3-decimal grid.
func circlePoints(cx, cy, r, a0, sweep float64, n int) []ipt {
	g := newGrid(3)
	var pts []ipt
	for i := 0; i <= n; i++ {
		a := a0 + sweep*float64(i)/float64(n)
		x, _ := g.snap(cx + r*math.Cos(a))
		y, _ := g.snap(cy + r*math.Sin(a))
		pts = append(pts, ipt{x, y})
	}
	return pts
}

func countArcs(moves []move) int {
	n := 0
	for _, m := range moves {
		if m.arc {
			n++
		}
	}
	return n
}

func TestFitQuarterCircle(t *testing.T) {
	g := newGrid(3)
	pts := circlePoints(50, 50, 10, 0, math.Pi/2, 20)
	moves := planMoves(pts, g, 0.05, bigArea, true, nil)
	if len(moves) != 1 || !moves[0].arc || !moves[0].ccw {
		t.Fatalf("a sampled quarter circle became %d moves (%d arcs), want one G3", len(moves), countArcs(moves))
	}
	// The centre offset from (60, 50) is (-10, 0).
	if moves[0].i != -10000 || moves[0].j != 0 || moves[0].to != pts[len(pts)-1] {
		t.Errorf("arc = %+v", moves[0])
	}
	cw := planMoves(circlePoints(50, 50, 10, math.Pi/2, -math.Pi/2, 20), g, 0.05, bigArea, true, nil)
	if len(cw) != 1 || cw[0].ccw {
		t.Errorf("a clockwise quarter became %+v, want one G2", cw)
	}
	if lines := planMoves(pts, g, 0.05, bigArea, false, nil); len(lines) != 20 || countArcs(lines) != 0 {
		t.Errorf("arcs off: %d moves, %d arcs", len(lines), countArcs(lines))
	}
}

func TestFitRejects(t *testing.T) {
	g := newGrid(3)
	rng := rand.New(rand.NewPCG(3, 3))
	// Noise far above the tolerance: no arc may claim these points.
	var noisy []ipt
	for _, q := range circlePoints(50, 50, 10, 0, math.Pi, 40) {
		noisy = append(noisy, ipt{q.x + int64(rng.NormFloat64()*300), q.y + int64(rng.NormFloat64()*300)})
	}
	if n := countArcs(planMoves(noisy, g, 0.05, bigArea, true, nil)); n != 0 {
		t.Errorf("noisy points gave %d arcs", n)
	}
	// Collinear points are a line.
	var line []ipt
	for i := range 30 {
		line = append(line, ipt{int64(i * 1000), int64(i * 500)})
	}
	if n := countArcs(planMoves(line, g, 0.05, bigArea, true, nil)); n != 0 {
		t.Errorf("a straight run gave %d arcs", n)
	}
	// A 2 m radius is flatter than any arc worth sending.
	if n := countArcs(planMoves(circlePoints(0, -2000, 2000, math.Pi/2-0.02, 0.04, 30), g, 0.05, bigArea, true, nil)); n != 0 {
		t.Errorf("a 2000 mm radius gave %d arcs", n)
	}
	// A circle and a bit more cannot be one arc: 2π is where G2/G3 turn ambiguous.
	full := circlePoints(50, 50, 10, 0, 2.2*math.Pi, 120)
	moves := planMoves(full, g, 0.05, bigArea, true, nil)
	if n := countArcs(moves); n < 2 {
		t.Errorf("2.2 turns gave %d arcs, want at least 2", n)
	}
}

// TestArcStaysInBounds: points hugging the top of the work area, with the circle's top between
// two samples: an arc through them would bulge past the bound, so it must not be fitted there.
func TestArcStaysInBounds(t *testing.T) {
	g := newGrid(3)
	pts := circlePoints(50, 50, 10, 0.05, math.Pi-0.1, 41) // an odd count: no sample at the top
	var maxY int64
	for _, q := range pts {
		maxY = max(maxY, q.y)
	}
	area := geom.Rect{Min: geom.Point{X: 0, Y: 0}, Max: geom.Point{X: 100, Y: g.mm(maxY)}}
	moves := planMoves(pts, g, 0.05, area, true, nil)
	start := pts[0]
	for _, m := range moves {
		if m.arc {
			ox, oy := g.mm(start.x+m.i), g.mm(start.y+m.j)
			r := math.Hypot(g.mm(start.x)-ox, g.mm(start.y)-oy)
			if oy+r > area.Max.Y+1e-9 {
				// The arc passes its circle's top only if the top lies between its ends.
				a0 := math.Atan2(g.mm(start.y)-oy, g.mm(start.x)-ox)
				a1 := math.Atan2(g.mm(m.to.y)-oy, g.mm(m.to.x)-ox)
				if a0 < math.Pi/2 && a1 > math.Pi/2 {
					t.Fatalf("arc %+v from %v bulges above the work area", m, start)
				}
			}
		}
		start = m.to
	}
	// With room above, the same points are one arc.
	if n := countArcs(planMoves(pts, g, 0.05, bigArea, true, nil)); n != 1 {
		t.Errorf("with room, %d arcs, want 1", n)
	}
}
