package plan

import "github.com/quillpost/quillpost/internal/geom"

// kdTree indexes stroke end points for nearest-neighbour queries with removal. Point ids follow
// the package's convention: stroke i has its start at id 2i and its end at id 2i+1, so id>>1 is
// the stroke. The tree is implicit: the node for the index range [lo,hi) keeps its split point at
// (lo+hi)/2 and its children cover the two halves; ranges of at most leafSize points are leaves,
// scanned linearly. Each inner node counts the live points below it, so that searches skip
// emptied subtrees. Points are copied in tree order for cache locality. Building is O(n log n)
// (quickselect per level) and a removal is O(log n).
//
// Ties are broken by the smaller id everywhere, so every answer is independent of how the tree
// happens to be laid out, and results are deterministic.
type kdTree struct {
	pts   []geom.Point // by id
	node  []int32      // node[pos] is the id stored at tree position pos
	at    []geom.Point // at[pos] is pts[node[pos]]
	axis  []uint8      // split axis at an inner node's pos: 0 for x, 1 for y
	alive []int32      // live points in the subtree of the inner node at pos
	where []int32      // where[id] is the position holding id
	dead  []bool       // by id
}

const leafSize = 8

func newKDTree(pts []geom.Point) *kdTree {
	n := len(pts)
	t := &kdTree{
		pts:   pts,
		node:  make([]int32, n),
		at:    make([]geom.Point, n),
		axis:  make([]uint8, n),
		alive: make([]int32, n),
		where: make([]int32, n),
		dead:  make([]bool, n),
	}
	for i := range t.node {
		t.node[i] = int32(i)
	}
	t.build(0, n)
	for pos, id := range t.node {
		t.where[id] = int32(pos)
		t.at[pos] = pts[id]
	}
	return t
}

func (t *kdTree) build(lo, hi int) {
	for hi-lo > leafSize {
		minX, minY := t.pts[t.node[lo]].X, t.pts[t.node[lo]].Y
		maxX, maxY := minX, minY
		for _, id := range t.node[lo+1 : hi] {
			p := t.pts[id]
			minX, maxX = min(minX, p.X), max(maxX, p.X)
			minY, maxY = min(minY, p.Y), max(maxY, p.Y)
		}
		var ax uint8
		if maxY-minY > maxX-minX {
			ax = 1
		}
		mid := (lo + hi) >> 1
		t.selectNth(t.node[lo:hi], mid-lo, ax)
		t.axis[mid] = ax
		t.alive[mid] = int32(hi - lo)
		t.build(lo, mid)
		lo = mid + 1 // loop on the right half instead of recursing
	}
}
func (t *kdTree) coord(id int32, ax uint8) float64 {
	if ax == 0 {
		return t.pts[id].X
	}
	return t.pts[id].Y
}

// less orders ids by the axis coordinate, then by id, so that all keys are distinct.
func (t *kdTree) less(a, b int32, ax uint8) bool {
	ca, cb := t.coord(a, ax), t.coord(b, ax)
	return ca < cb || (ca == cb && a < b)
}

// selectNth partially sorts ids so that ids[k] holds the k-th smallest and the ids before it
// are no larger (quickselect with a median-of-three pivot).
func (t *kdTree) selectNth(ids []int32, k int, ax uint8) {
	lo, hi := 0, len(ids)-1
	for hi > lo {
		m := lo + (hi-lo)/2
		if t.less(ids[m], ids[lo], ax) {
			ids[m], ids[lo] = ids[lo], ids[m]
		}
		if t.less(ids[hi], ids[lo], ax) {
			ids[hi], ids[lo] = ids[lo], ids[hi]
		}
		if t.less(ids[hi], ids[m], ax) {
			ids[hi], ids[m] = ids[m], ids[hi]
		}
		ids[m], ids[hi] = ids[hi], ids[m]
		pivot, store := ids[hi], lo
		for i := lo; i < hi; i++ {
			if t.less(ids[i], pivot, ax) {
				ids[i], ids[store] = ids[store], ids[i]
				store++
			}
		}
		ids[store], ids[hi] = ids[hi], ids[store]
		switch {
		case k == store:
			return
		case k < store:
			hi = store - 1
		default:
			lo = store + 1
		}
	}
}

// remove takes id out of all later answers.
func (t *kdTree) remove(id int32) {
	if t.dead[id] {
		return
	}
	t.dead[id] = true
	pos := int(t.where[id])
	lo, hi := 0, len(t.node)
	for hi-lo > leafSize {
		mid := (lo + hi) >> 1
		t.alive[mid]--
		switch {
		case pos == mid:
			return
		case pos < mid:
			hi = mid
		default:
			lo = mid + 1
		}
	}
}

// cand is a search answer: a point id and its squared distance from the query.
type cand struct {
	id int32
	d  float64
}

func (c cand) better(o cand) bool { return c.d < o.d || (c.d == o.d && c.id < o.id) }

// nearest returns the live point closest to q that does not belong to stroke skip (-1 skips
// nothing); ok is false when there is none.
func (t *kdTree) nearest(q geom.Point, skip int32) (c cand, ok bool) {
	s := nnSearch{t: t, q: q, skip: skip, best: cand{id: -1, d: inf}}
	s.visit(0, len(t.node))
	return s.best, s.best.id >= 0
}

type nnSearch struct {
	t    *kdTree
	q    geom.Point
	skip int32
	best cand
}

func (s *nnSearch) visit(lo, hi int) {
	t := s.t
	for hi-lo > leafSize {
		mid := (lo + hi) >> 1
		if t.alive[mid] == 0 {
			return
		}
		id := t.node[mid]
		p := t.at[mid]
		if !t.dead[id] && id>>1 != s.skip {
			if c := (cand{id, dist2(s.q, p)}); c.better(s.best) {
				s.best = c
			}
		}
		diff := s.q.X - p.X
		if t.axis[mid] == 1 {
			diff = s.q.Y - p.Y
		}
		nearLo, nearHi, farLo, farHi := lo, mid, mid+1, hi
		if diff >= 0 {
			nearLo, nearHi, farLo, farHi = mid+1, hi, lo, mid
		}
		s.visit(nearLo, nearHi)
		if sq(diff) > s.best.d {
			return
		}
		lo, hi = farLo, farHi
	}
	for pos := lo; pos < hi; pos++ {
		id := t.node[pos]
		if t.dead[id] || id>>1 == s.skip {
			continue
		}
		if c := (cand{id, dist2(s.q, t.at[pos])}); c.better(s.best) {
			s.best = c
		}
	}
}

// nearestK fills dst with up to k live points closest to q that do not belong to stroke skip,
// nearest first, and returns it.
func (t *kdTree) nearestK(q geom.Point, k int, skip int32, dst []cand) []cand {
	s := knnSearch{t: t, q: q, skip: skip, k: k, out: dst[:0]}
	s.visit(0, len(t.node))
	return s.out
}

type knnSearch struct {
	t    *kdTree
	q    geom.Point
	skip int32
	k    int
	out  []cand // sorted, best first
}

func (s *knnSearch) add(c cand) {
	if len(s.out) == s.k {
		if !c.better(s.out[len(s.out)-1]) {
			return
		}
		s.out = s.out[:len(s.out)-1]
	}
	i := len(s.out)
	s.out = append(s.out, c)
	for i > 0 && c.better(s.out[i-1]) {
		s.out[i] = s.out[i-1]
		i--
	}
	s.out[i] = c
}

func (s *knnSearch) visit(lo, hi int) {
	t := s.t
	for hi-lo > leafSize {
		mid := (lo + hi) >> 1
		if t.alive[mid] == 0 {
			return
		}
		id := t.node[mid]
		p := t.at[mid]
		if !t.dead[id] && id>>1 != s.skip {
			s.add(cand{id, dist2(s.q, p)})
		}
		diff := s.q.X - p.X
		if t.axis[mid] == 1 {
			diff = s.q.Y - p.Y
		}
		nearLo, nearHi, farLo, farHi := lo, mid, mid+1, hi
		if diff >= 0 {
			nearLo, nearHi, farLo, farHi = mid+1, hi, lo, mid
		}
		s.visit(nearLo, nearHi)
		if len(s.out) == s.k && sq(diff) > s.out[len(s.out)-1].d {
			return
		}
		lo, hi = farLo, farHi
	}
	for pos := lo; pos < hi; pos++ {
		id := t.node[pos]
		if t.dead[id] || id>>1 == s.skip {
			continue
		}
		s.add(cand{id, dist2(s.q, t.at[pos])})
	}
}
