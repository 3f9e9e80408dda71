package geom

import "math"

// SegKind says how a path segment travels from the previous end point to its own end point.
type SegKind uint8

const (
	Line  SegKind = iota // straight to P[0]
	Quad                 // quadratic Bézier: control P[0], end P[1]
	Cubic                // cubic Bézier: controls P[0], P[1], end P[2]
)

// Seg is one segment of a Path.
type Seg struct {
	Kind SegKind
	P    [3]Point
}

// End returns the segment's end point.
func (s Seg) End() Point {
	switch s.Kind {
	case Quad:
		return s.P[1]
	case Cubic:
		return s.P[2]
	}
	return s.P[0]
}

// Path is one pen-down path that may curve: font glyphs keep their Béziers so that warps and
// scaling happen before flattening, and the flattening tolerance is chosen in millimetres.
type Path struct {
	Start Point
	Segs  []Seg
}

// End returns the path's last point.
func (p Path) End() Point {
	if len(p.Segs) == 0 {
		return p.Start
	}
	return p.Segs[len(p.Segs)-1].End()
}

// Transform returns a copy of p with f applied to every point, control points included. For an
// affine f this is exact; for a smooth low-frequency warp it is as good as flattening first.
func (p Path) Transform(f func(Point) Point) Path {
	q := Path{Start: f(p.Start), Segs: make([]Seg, len(p.Segs))}
	for i, s := range p.Segs {
		q.Segs[i].Kind = s.Kind
		n := 1
		switch s.Kind {
		case Quad:
			n = 2
		case Cubic:
			n = 3
		}
		for j := 0; j < n; j++ {
			q.Segs[i].P[j] = f(s.P[j])
		}
	}
	return q
}

// Flatten appends to dst a polyline that stays within tol of the path and returns it.
func (p Path) Flatten(tol float64, dst Stroke) Stroke {
	if tol <= 0 {
		tol = 0.01
	}
	dst = append(dst, p.Start)
	cur := p.Start
	for _, s := range p.Segs {
		switch s.Kind {
		case Line:
			dst = append(dst, s.P[0])
		case Quad:
			// Elevating to a cubic keeps one flattening routine.
			c1 := cur.Add(s.P[0].Sub(cur).Scale(2.0 / 3))
			c2 := s.P[1].Add(s.P[0].Sub(s.P[1]).Scale(2.0 / 3))
			dst = flattenCubic(cur, c1, c2, s.P[1], tol, dst)
		case Cubic:
			dst = flattenCubic(cur, s.P[0], s.P[1], s.P[2], tol, dst)
		}
		cur = s.End()
	}
	return dst
}

// flattenCubic picks a uniform step count from the control polygon's second differences, the
// standard bound on a cubic's deviation from its chords (Wang's formula).
func flattenCubic(p0, p1, p2, p3 Point, tol float64, dst Stroke) Stroke {
	dd := math.Max(
		math.Hypot(p0.X-2*p1.X+p2.X, p0.Y-2*p1.Y+p2.Y),
		math.Hypot(p1.X-2*p2.X+p3.X, p1.Y-2*p2.Y+p3.Y),
	)
	n := int(math.Ceil(math.Sqrt(3 * dd / (4 * tol))))
	if n < 1 {
		n = 1
	}
	if n > 256 {
		n = 256
	}
	for i := 1; i <= n; i++ {
		t := float64(i) / float64(n)
		mt := 1 - t
		a, b, c, d := mt*mt*mt, 3*mt*mt*t, 3*mt*t*t, t*t*t
		dst = append(dst, Point{
			X: a*p0.X + b*p1.X + c*p2.X + d*p3.X,
			Y: a*p0.Y + b*p1.Y + c*p2.Y + d*p3.Y,
		})
	}
	return dst
}
