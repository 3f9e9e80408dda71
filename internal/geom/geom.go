// Package geom holds the geometry every other package shares: points, pen strokes and curved
// paths in millimetres (or font units), with the top-left origin and y pointing down.
package geom

import "math"

// Point is a position in millimetres (or font units, inside the font package).
type Point struct{ X, Y float64 }

// Add returns p+q.
func (p Point) Add(q Point) Point { return Point{p.X + q.X, p.Y + q.Y} }

// Sub returns p-q.
func (p Point) Sub(q Point) Point { return Point{p.X - q.X, p.Y - q.Y} }

// Scale returns p scaled by s.
func (p Point) Scale(s float64) Point { return Point{p.X * s, p.Y * s} }

// Dist returns the Euclidean distance between p and q.
func (p Point) Dist(q Point) float64 { return math.Hypot(p.X-q.X, p.Y-q.Y) }

// Stroke is one pen-down polyline: the pen goes down at the first point and up after the last.
type Stroke []Point

// Length returns the pen-down length of the stroke.
func (s Stroke) Length() float64 {
	var l float64
	for i := 1; i < len(s); i++ {
		l += s[i-1].Dist(s[i])
	}
	return l
}

// Reversed returns a copy of s drawn from its end to its start.
func (s Stroke) Reversed() Stroke {
	r := make(Stroke, len(s))
	for i, p := range s {
		r[len(s)-1-i] = p
	}
	return r
}

// Rect is an axis-aligned rectangle.
type Rect struct{ Min, Max Point }

// Empty reports whether r contains no point (as Bounds of nothing returns).
func (r Rect) Empty() bool { return r.Min.X > r.Max.X || r.Min.Y > r.Max.Y }

// W returns the width of r.
func (r Rect) W() float64 { return r.Max.X - r.Min.X }

// H returns the height of r.
func (r Rect) H() float64 { return r.Max.Y - r.Min.Y }

// Contains reports whether p lies inside r, edges included, allowing eps of rounding.
func (r Rect) Contains(p Point, eps float64) bool {
	return p.X >= r.Min.X-eps && p.X <= r.Max.X+eps && p.Y >= r.Min.Y-eps && p.Y <= r.Max.Y+eps
}

// Union returns the smallest rectangle holding r and q.
func (r Rect) Union(q Rect) Rect {
	if r.Empty() {
		return q
	}
	if q.Empty() {
		return r
	}
	return Rect{
		Min: Point{math.Min(r.Min.X, q.Min.X), math.Min(r.Min.Y, q.Min.Y)},
		Max: Point{math.Max(r.Max.X, q.Max.X), math.Max(r.Max.Y, q.Max.Y)},
	}
}

// EmptyRect is the identity for Union and the bounds of nothing.
var EmptyRect = Rect{Min: Point{math.Inf(1), math.Inf(1)}, Max: Point{math.Inf(-1), math.Inf(-1)}}

// Bounds returns the bounding box of all strokes (EmptyRect when there are none).
func Bounds(strokes []Stroke) Rect {
	r := EmptyRect
	for _, s := range strokes {
		for _, p := range s {
			r.Min.X = math.Min(r.Min.X, p.X)
			r.Min.Y = math.Min(r.Min.Y, p.Y)
			r.Max.X = math.Max(r.Max.X, p.X)
			r.Max.Y = math.Max(r.Max.Y, p.Y)
		}
	}
	return r
}

// PenDownLength sums the lengths of all strokes.
func PenDownLength(strokes []Stroke) float64 {
	var l float64
	for _, s := range strokes {
		l += s.Length()
	}
	return l
}
