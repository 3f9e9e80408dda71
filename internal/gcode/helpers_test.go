package gcode

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
)

// cardW and cardH are an A6 card in landscape, the smallest format; every profile holds it.
const cardW, cardH = 148.0, 105.0

func clampCard(p geom.Point) geom.Point {
	return geom.Point{X: math.Min(math.Max(p.X, 1), cardW-1), Y: math.Min(math.Max(p.Y, 1), cardH-1)}
}

// randomStrokes makes n strokes of the shapes a planner hands over: handwriting-like flattened
// Béziers, arcs and circles (some noisy, some longer than a full turn), random walks, straight
// runs of collinear points, clusters finer than the output grid, and single-point dots.
func randomStrokes(rng *rand.Rand, n int) []geom.Stroke {
	out := make([]geom.Stroke, 0, n)
	for range n {
		var s geom.Stroke
		start := geom.Point{X: 5 + rng.Float64()*(cardW-10), Y: 5 + rng.Float64()*(cardH-10)}
		switch k := rng.IntN(10); {
		case k < 4: // handwriting: a few cubic segments, flattened finely
			path := geom.Path{Start: start}
			cur := start
			for range 1 + rng.IntN(4) {
				d := func() geom.Point { return geom.Point{X: rng.NormFloat64() * 4, Y: rng.NormFloat64() * 4} }
				c1, c2, end := cur.Add(d()), cur.Add(d()), cur.Add(d())
				path.Segs = append(path.Segs, geom.Seg{Kind: geom.Cubic, P: [3]geom.Point{c1, c2, end}})
				cur = end
			}
			s = path.Flatten(0.005+rng.Float64()*0.03, nil)
		case k < 6: // an arc or circle, sometimes noisy, sometimes more than a turn
			r := 0.3 + rng.Float64()*25
			a0 := rng.Float64() * 2 * math.Pi
			sweep := (rng.Float64()*2.3 + 0.05) * math.Pi
			if rng.IntN(2) == 0 {
				sweep = -sweep
			}
			pts := 4 + rng.IntN(120)
			noise := 0.0
			if rng.IntN(3) == 0 {
				noise = rng.Float64() * 0.03
			}
			for i := 0; i <= pts; i++ {
				a := a0 + sweep*float64(i)/float64(pts)
				s = append(s, geom.Point{
					X: start.X + r*math.Cos(a) + rng.NormFloat64()*noise,
					Y: start.Y + r*math.Sin(a) + rng.NormFloat64()*noise,
				})
			}
		case k < 7: // random walk
			p := start
			for range 2 + rng.IntN(40) {
				s = append(s, p)
				p = p.Add(geom.Point{X: rng.NormFloat64() * 2, Y: rng.NormFloat64() * 2})
			}
		case k < 8: // a straight run of collinear points
			d := geom.Point{X: rng.NormFloat64(), Y: rng.NormFloat64()}
			for i := range 2 + rng.IntN(20) {
				s = append(s, start.Add(d.Scale(float64(i))))
			}
		case k < 9: // points closer together than the 0.001 mm grid
			p := start
			for range 2 + rng.IntN(10) {
				s = append(s, p)
				p = p.Add(geom.Point{X: rng.NormFloat64() * 0.0007, Y: rng.NormFloat64() * 0.0007})
			}
		default: // a dot
			s = geom.Stroke{start}
		}
		for i := range s {
			s[i] = clampCard(s[i])
		}
		out = append(out, s)
	}
	return out
}

// sameStrokes checks that got draws want: same number of strokes, ends within endTol, and every
// stroke within tol of its counterpart both ways.
func sameStrokes(t *testing.T, label string, want, got []geom.Stroke, endTol, tol float64) {
	t.Helper()
	var nonEmpty []geom.Stroke
	for _, s := range want {
		if len(s) > 0 {
			nonEmpty = append(nonEmpty, s)
		}
	}
	if len(got) != len(nonEmpty) {
		t.Fatalf("%s: read %d strokes, want %d", label, len(got), len(nonEmpty))
	}
	for i, w := range nonEmpty {
		g := got[i]
		if d := g[0].Dist(w[0]); d > endTol {
			t.Fatalf("%s: stroke %d starts %g mm from its input", label, i, d)
		}
		if d := g[len(g)-1].Dist(w[len(w)-1]); d > endTol {
			t.Fatalf("%s: stroke %d ends %g mm from its input", label, i, d)
		}
		if h := math.Max(geom.Deviation(w, g, tol), geom.Deviation(g, w, tol)); h > tol {
			t.Fatalf("%s: stroke %d (%d points, read %d) deviates %g mm, more than %g", label, i, len(w), len(g), h, tol)
		}
	}
}
