package plan

import (
	"math"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
)

// centripetalDraw: like planner.stroke but with caps v² = a·r at each vertex (r: circumradius).
func centripetalDraw(s geom.Stroke, m Motion) float64 {
	p := planner{m: m, vDraw: m.DrawFeed / 60}
	p.lens, p.units, p.entry = p.lens[:0], p.units[:0], p.entry[:0]
	var pts []geom.Point
	for i := range s {
		if i == 0 || s[i] != s[i-1] {
			pts = append(pts, s[i])
		}
	}
	for i := 1; i < len(pts); i++ {
		d := pts[i].Sub(pts[i-1])
		l := math.Hypot(d.X, d.Y)
		p.lens = append(p.lens, l)
		p.units = append(p.units, d.Scale(1/l))
	}
	n := len(p.lens)
	if n == 0 {
		return 0
	}
	a, vn2 := m.Accel, sq(p.vDraw)
	p.entry = append(p.entry, 0)
	for k := 1; k < n; k++ {
		A, B, C := pts[k-1], pts[k], pts[k+1]
		ab, bc, ca := A.Dist(B), B.Dist(C), C.Dist(A)
		cross := math.Abs((B.X-A.X)*(C.Y-A.Y) - (B.Y-A.Y)*(C.X-A.X))
		r := math.Inf(1)
		if cross > 0 {
			r = ab * bc * ca / (2 * cross)
		}
		p.entry = append(p.entry, min(vn2, a*r))
	}
	exit := 0.0
	for k := n - 1; k >= 0; k-- {
		p.entry[k] = min(p.entry[k], exit+2*a*p.lens[k])
		exit = p.entry[k]
	}
	for k := 1; k < n; k++ {
		p.entry[k] = min(p.entry[k], p.entry[k-1]+2*a*p.lens[k-1])
	}
	var t float64
	for k := range n {
		exit := 0.0
		if k+1 < n {
			exit = p.entry[k+1]
		}
		t += trapezoid(p.lens[k], p.entry[k], exit, p.vDraw, a)
	}
	return t
}

func TestExpCentripetal(t *testing.T) {
	m := Motion{DrawFeed: 3000, TravelFeed: 8000, Accel: 500, JunctionDeviation: 0.01, PlannerBlocks: 14}
	for _, name := range []string{"de-danke/allure"} {
		c := expCards(t)[name]
		var jd, cp, straight float64
		p := planner{m: m, vDraw: 50}
		for _, s := range c {
			jd += p.stroke(s)
			cp += centripetalDraw(s, m)
			l := s.Length()
			straight += trapezoid(l, 0, 0, 50, 500)
		}
		t.Logf("%s: junction model %.1f s, centripetal %.1f s, straight %.1f s", name, jd, cp, straight)
	}
}
