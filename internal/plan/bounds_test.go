package plan

import (
	"math"
	"slices"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
)

func randomStrokes(r *rng, n int, size float64) []geom.Stroke {
	f := func() float64 { return float64(r.intN(1<<20)) / (1 << 20) * size }
	out := make([]geom.Stroke, n)
	for i := range out {
		a := geom.Point{X: f(), Y: f()}
		switch r.intN(4) {
		case 0:
			out[i] = geom.Stroke{a} // a dot
		case 1:
			out[i] = geom.Stroke{a, {X: f(), Y: f()}, a} // closed
		default:
			out[i] = geom.Stroke{a, {X: f(), Y: f()}, {X: f(), Y: f()}}
		}
	}
	return out
}

// bruteForce returns the least pen-up travel over every order and direction.
func bruteForce(strokes []geom.Stroke, start geom.Point) float64 {
	n := len(strokes)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	best := math.Inf(1)
	var rec func(k int, cur geom.Point, cost float64)
	rec = func(k int, cur geom.Point, cost float64) {
		if cost >= best {
			return
		}
		if k == n {
			best = cost
			return
		}
		for i := k; i < n; i++ {
			perm[k], perm[i] = perm[i], perm[k]
			s := strokes[perm[k]]
			rec(k+1, s[len(s)-1], cost+cur.Dist(s[0]))
			rec(k+1, s[0], cost+cur.Dist(s[len(s)-1]))
			perm[k], perm[i] = perm[i], perm[k]
		}
	}
	rec(0, start, 0)
	return best
}

func TestLowerBoundsAreBounds(t *testing.T) {
	r := splitmix(1)
	for trial := range 300 {
		n := 1 + r.intN(7)
		s := randomStrokes(r, n, 20)
		start := geom.Point{X: float64(r.intN(20)), Y: float64(r.intN(20))}
		opt := bruteForce(s, start)
		lb, tree := PenUpLowerBound(s), PenUpTreeBound(s)
		if lb > tree+1e-9 {
			t.Fatalf("trial %d: PenUpLowerBound %.6f > PenUpTreeBound %.6f", trial, lb, tree)
		}
		if tree > opt+1e-9 {
			t.Fatalf("trial %d: PenUpTreeBound %.6f > brute-force optimum %.6f", trial, tree, opt)
		}
		got := PenUpTravel(Optimize(s, start, Options{Tolerance: -1, MinGap: -1}), start)
		if got < opt-1e-9 {
			t.Fatalf("trial %d: Optimize %.6f beats the brute-force optimum %.6f", trial, got, opt)
		}
		if got > opt+1e-6 {
			t.Errorf("trial %d: Optimize %.6f misses the optimum %.6f on %d strokes (solved exactly)", trial, got, opt, n)
		}
	}
}

func TestPenUpLowerBoundByHand(t *testing.T) {
	p := func(x, y float64) geom.Point { return geom.Point{X: x, Y: y} }
	// The issue's own example of why reversal matters: from its start, B's nearest other end is
	// 10 mm away, but drawn backwards B follows A after 1 mm.
	a := geom.Stroke{p(0, 0), p(10, 0)}
	b := geom.Stroke{p(20, 0), p(11, 0)}
	// Terms: A: min(|A.start-B|, |A.end-B|) = 1; B: 1. Sum 2, minus the largest: 1.
	if got := PenUpLowerBound([]geom.Stroke{a, b}); got != 1 {
		t.Errorf("bound = %v, want 1", got)
	}
	if got := PenUpTreeBound([]geom.Stroke{a, b}); got != 1 {
		t.Errorf("tree bound = %v, want 1", got)
	}
	// Three in a row 5 mm apart, and a stroke far away: the nearest-neighbour bound counts the far
	// stroke's gap once (as the largest term it is dropped); the tree bound must also bridge the
	// pair {far} to the rest.
	row := []geom.Stroke{{p(0, 0), p(1, 0)}, {p(6, 0), p(7, 0)}, {p(12, 0), p(13, 0)}, {p(12, 100), p(13, 100)}}
	if got := PenUpLowerBound(row); got != 15 {
		t.Errorf("bound = %v, want 15", got)
	}
	if got := PenUpTreeBound(row); got != 110 {
		t.Errorf("tree bound = %v, want 110", got)
	}
	for _, s := range [][]geom.Stroke{nil, {a}, {{}, a}} {
		if PenUpLowerBound(s) != 0 || PenUpTreeBound(s) != 0 {
			t.Errorf("bounds of %v not zero", s)
		}
	}
}

func TestPenUpTravelAndMeasure(t *testing.T) {
	p := func(x, y float64) geom.Point { return geom.Point{X: x, Y: y} }
	s := []geom.Stroke{{p(3, 4), p(6, 8)}, {}, {p(6, 11)}}
	if got := PenUpTravel(s, p(0, 0)); got != 8 {
		t.Errorf("PenUpTravel = %v, want 8", got)
	}
	st := Measure(s, p(0, 0))
	want := Stats{Strokes: 2, PenLifts: 2, Points: 3, PenDownMM: 5, PenUpMM: 8}
	if st != want {
		t.Errorf("Measure = %+v, want %+v", st, want)
	}
}

func TestKDTree(t *testing.T) {
	r := splitmix(9)
	for _, n := range []int{1, 2, 7, 8, 9, 50, 1000} {
		strokes := randomStrokes(r, n, 30)
		// Many equal coordinates stress the tie-breaking.
		for i := range strokes {
			if i%3 == 0 {
				strokes[i][0].X = 5
			}
		}
		pts := endpoints(strokes)
		tree := newKDTree(pts)
		dead := make([]bool, len(pts))
		for round := range min(3*len(pts), 900) {
			q := geom.Point{X: float64(r.intN(3000)) / 100, Y: float64(r.intN(3000)) / 100}
			if round%2 == 0 {
				q = pts[r.intN(len(pts))]
			}
			skip := int32(r.intN(n+1)) - 1
			var all []cand
			for id, p := range pts {
				if !dead[id] && int32(id>>1) != skip {
					all = append(all, cand{int32(id), dist2(q, p)})
				}
			}
			slices.SortFunc(all, func(a, b cand) int {
				if a.better(b) {
					return -1
				}
				return 1
			})
			c, ok := tree.nearest(q, skip)
			if ok != (len(all) > 0) || (ok && c != all[0]) {
				t.Fatalf("n=%d round %d: nearest = %v %v, want %v", n, round, c, ok, all[:min(1, len(all))])
			}
			k := 1 + r.intN(10)
			got := tree.nearestK(q, k, skip, nil)
			if !slices.Equal(got, all[:min(k, len(all))]) {
				t.Fatalf("n=%d round %d: nearestK(%d) = %v, want %v", n, round, k, got, all[:min(k, len(all))])
			}
			if round%3 == 0 {
				id := int32(r.intN(len(pts)))
				tree.remove(id)
				dead[id] = true
			}
		}
	}
}
