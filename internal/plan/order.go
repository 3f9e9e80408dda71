package plan

import (
	"math"
	"slices"

	"github.com/quillpost/quillpost/internal/geom"
)

// tour is an open path that starts at a fixed point and visits every stroke once, each in one
// direction. It is kept as a sequence of end point ids: seq[0] is the start (id 2n), and the k-th
// stroke drawn occupies seq[2k+1] (where the pen goes down) and seq[2k+2] (where it lifts). So an
// even index is a point the pen leaves with the pen up and an odd index one it arrives at; the
// pen-up moves are exactly the pairs (seq[2k], seq[2k+1]). Reversing a run seq[l..r] with l odd
// and r even reverses the order of those strokes and the direction of each, which is what makes
// 2-opt on this sequence correct for reversible strokes.
type tour struct {
	strokes []geom.Stroke
	pts     []geom.Point // by id; pts[2n] is the start
	seq     []int32
	pos     []int32 // pos[id] is id's index in seq
	// up caches the pen-up link lengths during a local search: up[k] is after(2k). The search
	// reads them far more often than moves change them. nil outside a search.
	up []float64
}

// cacheLinks fills up from the current sequence.
func (t *tour) cacheLinks() {
	t.up = slices.Grow(t.up[:0], len(t.seq)/2+1)[:len(t.seq)/2+1]
	t.refreshLinks(0, len(t.seq)-1)
}

// refreshLinks recomputes the cached pen-up links that leave seq[lo..hi] (after a move changed
// them); it does nothing when no cache is kept.
func (t *tour) refreshLinks(lo, hi int) {
	if t.up == nil {
		return
	}
	for x := max(lo, 0) &^ 1; x <= hi && x < len(t.seq); x += 2 {
		t.up[x>>1] = 0
		if x+1 < len(t.seq) {
			t.up[x>>1] = t.d(t.seq[x], t.seq[x+1])
		}
	}
}

// nearestNeighbour builds the greedy tour: from the current pen position, go to the nearest end
// of any stroke not yet drawn, draw that stroke from that end, repeat. With the k-d tree each step
// is O(log n) on typical pages. Strokes must not be empty.
func nearestNeighbour(strokes []geom.Stroke, start geom.Point) *tour {
	n := len(strokes)
	pts := append(endpoints(strokes), start)
	t := &tour{
		strokes: strokes,
		pts:     pts,
		seq:     make([]int32, 1, 2*n+1),
		pos:     make([]int32, 2*n+1),
	}
	t.seq[0] = int32(2 * n)
	t.pos[2*n] = 0
	tree := newKDTree(pts[:2*n])
	cur := start
	for range n {
		c, _ := tree.nearest(cur, -1)
		in, out := c.id, c.id^1
		tree.remove(in)
		tree.remove(out)
		t.pos[in], t.pos[out] = int32(len(t.seq)), int32(len(t.seq)+1)
		t.seq = append(t.seq, in, out)
		cur = pts[out]
	}
	return t
}

// links returns the strokes in tour order with their directions.
func (t *tour) links() []link {
	out := make([]link, 0, len(t.strokes))
	for k := 1; k < len(t.seq); k += 2 {
		id := t.seq[k]
		out = append(out, link{stroke: id >> 1, rev: id&1 == 1})
	}
	return out
}

// penUp returns the tour's pen-up travel.
func (t *tour) penUp() float64 {
	var d float64
	for x := 0; x+1 < len(t.seq); x += 2 {
		d += t.after(x)
	}
	return d
}

// d returns the distance between the points with ids a and b.
func (t *tour) d(a, b int32) float64 { return math.Sqrt(dist2(t.pts[a], t.pts[b])) }

// after returns the pen-up distance from seq[x] to seq[x+1]: zero past the end of the path.
func (t *tour) after(x int) float64 {
	if t.up != nil && x&1 == 0 {
		return t.up[x>>1]
	}
	if x+1 >= len(t.seq) {
		return 0
	}
	return t.d(t.seq[x], t.seq[x+1])
}

// dTo returns the distance from id a to seq[x], or zero when x is past the end of the path.
func (t *tour) dTo(a int32, x int) float64 {
	if x >= len(t.seq) {
		return 0
	}
	return t.d(a, t.seq[x])
}

// Greedy is the peer baseline: plain nearest-neighbour ordering with reversal, as vpype's
// linesort and the AxiDraw software's reordering do. Starting at start, it repeatedly draws the
// stroke with the nearest end (from that end). It does not simplify, join or bridge; empty
// strokes are dropped. The result shares no memory with the input.
func Greedy(strokes []geom.Stroke, start geom.Point) []geom.Stroke {
	if !allFinite(strokes) || !finite(start) {
		return copyStrokes(strokes)
	}
	s := nonEmpty(strokes)
	if len(s) == 0 {
		return []geom.Stroke{}
	}
	return bridge(s, nearestNeighbour(s, start).links(), 0)
}

// bridge lays the linked strokes out in one fresh backing array, in order and direction, and
// draws across every pen-up gap shorter than gap (merging the two strokes) instead of lifting.
// When the two ends coincide exactly, the repeated point is dropped.
func bridge(strokes []geom.Stroke, order []link, gap float64) []geom.Stroke {
	return bridgeIf(strokes, order, gap, nil)
}

// bridgeIf is bridge that draws across a gap only where may(previous stroke, next stroke) says
// so (always when may is nil).
func bridgeIf(strokes []geom.Stroke, order []link, gap float64, may func(a, b int32) bool) []geom.Stroke {
	n := 0
	for _, l := range order {
		n += len(strokes[l.stroke])
	}
	buf := make([]geom.Point, 0, n)
	out := make([]geom.Stroke, 0, len(order))
	gap2 := gap * gap
	k := 0 // where the stroke being built begins in buf
	prev := int32(-1)
	for _, l := range order {
		s := strokes[l.stroke]
		if len(s) == 0 {
			continue
		}
		first := s[0]
		if l.rev {
			first = s[len(s)-1]
		}
		skip := 0
		if len(buf) > k && dist2(buf[len(buf)-1], first) < gap2 && (may == nil || may(prev, l.stroke)) {
			if buf[len(buf)-1] == first {
				skip = 1
			}
		} else if len(buf) > k {
			out = append(out, geom.Stroke(buf[k:len(buf):len(buf)]))
			k = len(buf)
		}
		if l.rev {
			for i := len(s) - 1 - skip; i >= 0; i-- {
				buf = append(buf, s[i])
			}
		} else {
			buf = append(buf, s[skip:]...)
		}
		prev = l.stroke
	}
	if len(buf) > k {
		out = append(out, geom.Stroke(buf[k:len(buf):len(buf)]))
	}
	return out
}

// identity returns links for strokes in their given order and direction, skipping empty ones.
func identity(strokes []geom.Stroke) []link {
	out := make([]link, 0, len(strokes))
	for i, s := range strokes {
		if len(s) > 0 {
			out = append(out, link{stroke: int32(i)})
		}
	}
	return out
}
