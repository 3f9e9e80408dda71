package plan

import (
	"math"

	"github.com/quillpost/quillpost/internal/geom"
)

var inf = math.Inf(1)

// PenUpTravel returns the pen-up distance, in mm, of drawing strokes in the given order and
// direction starting from start: start to the first stroke, then each stroke's last point to the
// next stroke's first. The move home after the last stroke is not counted (it belongs to the
// profile's end sequence). Empty strokes are skipped.
func PenUpTravel(strokes []geom.Stroke, start geom.Point) float64 {
	var d float64
	cur := start
	for _, s := range strokes {
		if len(s) == 0 {
			continue
		}
		d += cur.Dist(s[0])
		cur = s[len(s)-1]
	}
	return d
}

// PenUpLowerBound returns a lower bound, in mm, on the pen-up travel of any order of strokes in
// which each stroke may be reversed. It is the issue's bound ("for each stroke, the distance from
// its start to the nearest end of any other stroke, summed") made sound for reversible strokes:
//
//   - A stroke may be drawn from either end, so its term is the distance from the nearer of its
//     two ends to the nearest end (either end) of any other stroke. Taking only its given start
//     would not be a bound: a stroke whose start is far from everything may be drawn backwards.
//   - The first stroke is approached from the machine's start, not from another stroke, so one
//     term is not owed: the largest term is left out.
//
// Every stroke but the first is entered from the end of another stroke, which costs at least its
// term, so no order can travel less. Empty strokes are ignored. Bridging tiny gaps (MinGap) turns
// pen-up travel into ink, so an optimised program's pen-up travel can dip below this bound by at
// most the bridged distances.
func PenUpLowerBound(strokes []geom.Stroke) float64 {
	s := nonEmpty(strokes)
	if len(s) < 2 || !allFinite(s) {
		return 0
	}
	tree := newKDTree(endpoints(s))
	var sum, largest float64
	for i := range s {
		a, _ := tree.nearest(s[i][0], int32(i))
		b, _ := tree.nearest(s[i][len(s[i])-1], int32(i))
		term := math.Sqrt(min(a.d, b.d))
		sum += term
		largest = max(largest, term)
	}
	return sum - largest
}

// Stats summarises a plotting order.
type Stats struct {
	Strokes   int     `json:"strokes"`     // pen-down paths (empty strokes are not counted)
	PenLifts  int     `json:"pen_lifts"`   // the pen lifts once after each stroke
	Points    int     `json:"points"`      // polyline vertices, a proxy for G-code lines
	PenDownMM float64 `json:"pen_down_mm"` // ink length
	PenUpMM   float64 `json:"pen_up_mm"`   // PenUpTravel from the start
}

// Measure returns the Stats of drawing strokes in the given order from start.
func Measure(strokes []geom.Stroke, start geom.Point) Stats {
	st := Stats{PenUpMM: PenUpTravel(strokes, start)}
	for _, s := range strokes {
		if len(s) == 0 {
			continue
		}
		st.Strokes++
		st.Points += len(s)
		st.PenDownMM += s.Length()
	}
	st.PenLifts = st.Strokes
	return st
}

// PenUpTreeBound returns a tighter lower bound than PenUpLowerBound, in mm: the weight of a
// minimum spanning tree over the strokes, where two strokes are as far apart as their nearest
// ends. Any drawing order links the strokes in a path by n−1 pen-up moves, a path is a spanning
// tree, and each move is at least as long as that distance, so no order can travel less. (It is
// never below PenUpLowerBound: root the tree at the stroke with the largest term; every other
// stroke's link to its parent is at least its term.) It is computed exactly with Prim's
// algorithm over the end points' k-d tree, each stroke's two ends joining the tree together.
func PenUpTreeBound(strokes []geom.Stroke) float64 {
	s := nonEmpty(strokes)
	if len(s) < 2 || !allFinite(s) {
		return 0
	}
	tree := newKDTree(endpoints(s))
	// Each tree point keeps one heap entry: its nearest point outside the tree. An entry whose
	// target joined the tree meanwhile is stale and is recomputed when it surfaces.
	h := edgeHeap{}
	addStroke := func(i int32) {
		tree.remove(2 * i)
		tree.remove(2*i + 1)
		for _, id := range [2]int32{2 * i, 2*i + 1} {
			if c, ok := tree.nearest(tree.pts[id], -1); ok {
				h.push(treeEdge{from: id, cand: c})
			}
		}
	}
	addStroke(0)
	var total float64
	for joined := 1; joined < len(s); {
		e := h.pop()
		if tree.dead[e.id] {
			if c, ok := tree.nearest(tree.pts[e.from], -1); ok {
				h.push(treeEdge{from: e.from, cand: c})
			}
			continue
		}
		total += math.Sqrt(e.d)
		addStroke(e.id >> 1)
		joined++
		if c, ok := tree.nearest(tree.pts[e.from], -1); ok { // e.from may reach further points too
			h.push(treeEdge{from: e.from, cand: c})
		}
	}
	return total
}

// treeEdge is a candidate tree edge from a tree point to its nearest outside point.
type treeEdge struct {
	from int32
	cand
}

// edgeHeap is a binary min-heap of candidate edges, ordered like cand (distance, then id, then
// from) so that ties resolve the same way every time.
type edgeHeap []treeEdge

func (h edgeHeap) less(i, j int) bool {
	if h[i].cand != h[j].cand {
		return h[i].cand.better(h[j].cand)
	}
	return h[i].from < h[j].from
}

func (h *edgeHeap) push(e treeEdge) {
	*h = append(*h, e)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if !a.less(i, p) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *edgeHeap) pop() treeEdge {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a = a[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(a) && a.less(l, m) {
			m = l
		}
		if r < len(a) && a.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}
