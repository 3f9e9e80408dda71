package plan

import "github.com/quillpost/quillpost/internal/geom"

// Simplify returns a copy of s with the points removed that Ramer–Douglas–Peucker finds within
// tol of the polyline through the kept ones. The first and last points are always kept, every kept
// point is an input point, and every input point lies within tol of the result (distance to a
// segment, not to the infinite line, so hairpins and closed loops are safe). tol <= 0 only drops
// consecutive duplicate points. The result shares no memory with s.
func Simplify(s geom.Stroke, tol float64) geom.Stroke {
	var sc simplifyScratch
	return simplifyInto(nil, s, tol, &sc)
}

// simplifyAll simplifies every stroke into one shared backing array.
func simplifyAll(strokes []geom.Stroke, tol float64) []geom.Stroke {
	n := 0
	for _, s := range strokes {
		n += len(s)
	}
	buf := make([]geom.Point, 0, n)
	out := make([]geom.Stroke, len(strokes))
	var sc simplifyScratch
	for i, s := range strokes {
		k := len(buf)
		buf = simplifyInto(buf, s, tol, &sc)
		out[i] = geom.Stroke(buf[k:len(buf):len(buf)])
	}
	return out
}

// simplifyScratch holds buffers reused from stroke to stroke.
type simplifyScratch struct {
	stack []int
	keep  []bool
}

// simplifyInto appends the simplified s to dst. It works on an explicit stack so that a stroke of
// a million points cannot exhaust the goroutine stack.
func simplifyInto(dst []geom.Point, s geom.Stroke, tol float64, sc *simplifyScratch) []geom.Point {
	if len(s) <= 2 {
		return append(dst, s...)
	}
	if tol <= 0 {
		k := len(dst)
		dst = append(dst, s[0])
		for _, p := range s[1:] {
			if p != dst[len(dst)-1] {
				dst = append(dst, p)
			}
		}
		if len(dst)-k == 1 { // all points equal: keep a pen-down/pen-up pair, as given
			dst = append(dst, s[0])
		}
		return dst
	}
	tol2 := tol * tol
	if cap(sc.keep) < len(s) {
		sc.keep = make([]bool, len(s))
	}
	keep := sc.keep[:len(s)]
	clear(keep)
	keep[0], keep[len(s)-1] = true, true
	st := append(sc.stack[:0], 0, len(s)-1)
	for len(st) > 0 {
		lo, hi := st[len(st)-2], st[len(st)-1]
		st = st[:len(st)-2]
		if hi-lo < 2 {
			continue
		}
		far, farD := -1, tol2
		a, b := s[lo], s[hi]
		for i := lo + 1; i < hi; i++ {
			if d := segDist2(s[i], a, b); d > farD {
				far, farD = i, d
			}
		}
		if far < 0 {
			continue
		}
		keep[far] = true
		st = append(st, lo, far, far, hi)
	}
	sc.stack = st
	for i, k := range keep {
		if k {
			dst = append(dst, s[i])
		}
	}
	return dst
}

// segDist2 returns the squared distance from p to the segment ab.
func segDist2(p, a, b geom.Point) float64 {
	dx, dy := b.X-a.X, b.Y-a.Y
	px, py := p.X-a.X, p.Y-a.Y
	l2 := sq(dx) + sq(dy)
	if l2 > 0 {
		t := (float64(px*dx) + float64(py*dy)) / l2
		switch {
		case t >= 1:
			px, py = p.X-b.X, p.Y-b.Y
		case t > 0:
			px, py = px-float64(t*dx), py-float64(t*dy)
		}
	}
	return sq(px) + sq(py)
}

// sq returns x*x. The explicit float64 conversions here and in the callers' sums stop the
// compiler from fusing multiply-adds (which Go allows on arm64, ppc64 and s390x), so the kept
// points and the chosen order are identical on every architecture.
func sq(x float64) float64 { return float64(x * x) }

// dist2 returns the squared distance between p and q, computed the same way everywhere.
func dist2(p, q geom.Point) float64 { return sq(p.X-q.X) + sq(p.Y-q.Y) }
