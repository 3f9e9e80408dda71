package plan

import (
	"math"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
)

// inkCheck asserts that out draws the ink of in: every output point is an input point, every input
// point lies within tol of some output segment, and the ink length changed only by simplification
// (at most shrinkFrac of it) and by at most maxAdded of bridges.
func inkCheck(t testing.TB, in, out []geom.Stroke, tol, shrinkFrac, maxAdded float64) {
	t.Helper()
	have := make(map[geom.Point]bool)
	for _, s := range in {
		for _, p := range s {
			have[p] = true
		}
	}
	for i, s := range out {
		if len(s) == 0 {
			t.Fatalf("output stroke %d is empty", i)
		}
		for _, p := range s {
			if !have[p] {
				t.Fatalf("output stroke %d has point %v that is not an input point", i, p)
			}
		}
	}
	b := geom.Bounds(out)
	idx := newSegIndex(out, max(tol, 0.5, math.Hypot(b.W(), b.H())/256))
	for i, s := range in {
		for _, p := range s {
			if d := idx.dist(p); d > tol+1e-9 {
				t.Fatalf("input stroke %d point %v is %.4f mm from the output ink (tolerance %.3f)", i, p, d, tol)
			}
		}
	}
	li, lo := geom.PenDownLength(in), geom.PenDownLength(out)
	if lo < li*(1-shrinkFrac)-1e-9 || lo > li+maxAdded+1e-9 {
		t.Fatalf("ink length %.4f mm became %.4f mm (allowed %.4f..%.4f)", li, lo, li*(1-shrinkFrac), li+maxAdded)
	}
}

// segIndex buckets segments in a grid so that point-to-ink distances are cheap.
type segIndex struct {
	cell float64
	segs map[[2]int][][2]geom.Point
}

func newSegIndex(strokes []geom.Stroke, cell float64) *segIndex {
	ix := &segIndex{cell: cell, segs: make(map[[2]int][][2]geom.Point)}
	for _, s := range strokes {
		if len(s) == 1 {
			ix.add(s[0], s[0])
		}
		for i := 1; i < len(s); i++ {
			ix.add(s[i-1], s[i])
		}
	}
	return ix
}

func (ix *segIndex) key(p geom.Point) [2]int {
	return [2]int{int(math.Floor(p.X / ix.cell)), int(math.Floor(p.Y / ix.cell))}
}

// add registers the segment in the cells of points sampled along it every half cell, so long
// segments cost their length, not their bounding box's area. A point within one cell of the
// segment is then within 1.25 cells of a sample: dist searches two cells around.
func (ix *segIndex) add(a, b geom.Point) {
	n := int(math.Ceil(a.Dist(b)/(ix.cell/2))) + 1
	var last [2]int
	for i := range n {
		u := 0.0
		if n > 1 {
			u = float64(i) / float64(n-1)
		}
		k := ix.key(geom.Point{X: a.X + (b.X-a.X)*u, Y: a.Y + (b.Y-a.Y)*u})
		if i > 0 && k == last {
			continue
		}
		last = k
		ix.segs[k] = append(ix.segs[k], [2]geom.Point{a, b})
	}
}

// dist returns the distance from p to the nearest segment if it is within one cell (otherwise
// that or something larger, perhaps +Inf).
func (ix *segIndex) dist(p geom.Point) float64 {
	k := ix.key(p)
	best := math.Inf(1)
	for dx := -2; dx <= 2; dx++ {
		for dy := -2; dy <= 2; dy++ {
			for _, s := range ix.segs[[2]int{k[0] + dx, k[1] + dy}] {
				best = min(best, math.Sqrt(segDist2(p, s[0], s[1])))
			}
		}
	}
	return best
}

func equalStrokes(a, b []geom.Stroke) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

// validTour checks the tour's invariants: seq is a permutation of all ids with the start first,
// each stroke's two ends are adjacent at an odd/even pair, and pos inverts seq.
func validTour(t testing.TB, tr *tour) {
	t.Helper()
	m := len(tr.seq)
	if tr.seq[0] != int32(m-1) {
		t.Fatalf("tour does not begin at the start: %d", tr.seq[0])
	}
	seen := make([]bool, m)
	for i, id := range tr.seq {
		if seen[id] {
			t.Fatalf("id %d twice in tour", id)
		}
		seen[id] = true
		if tr.pos[id] != int32(i) {
			t.Fatalf("pos[%d] = %d, want %d", id, tr.pos[id], i)
		}
	}
	for k := 1; k < m; k += 2 {
		if tr.seq[k]>>1 != tr.seq[k+1]>>1 {
			t.Fatalf("positions %d,%d hold ends of different strokes", k, k+1)
		}
	}
}

func (t *tour) cost() float64 {
	var c float64
	for x := 0; x+1 < len(t.seq); x += 2 {
		c += t.after(x)
	}
	return c
}
