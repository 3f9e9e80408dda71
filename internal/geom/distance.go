package geom

import "math"

// SegmentDist returns the distance from p to the segment from a to b.
func SegmentDist(p, a, b Point) float64 {
	d := b.Sub(a)
	l2 := d.X*d.X + d.Y*d.Y
	if l2 == 0 {
		return p.Dist(a)
	}
	t := math.Max(0, math.Min(1, ((p.X-a.X)*d.X+(p.Y-a.Y)*d.Y)/l2))
	return p.Dist(a.Add(d.Scale(t)))
}

// Deviation returns the largest distance from a vertex of a to the polyline b: how far a strays
// from b. Comparing drawings (a program read back, a plotter's recording) calls it both ways.
//
// A vertex within tol of b is settled as soon as a segment within tol is found, scanning on from
// where the previous vertex matched: strokes compared are drawn the same way, so that is almost
// always the next segment or two, and only a vertex farther than tol costs a full scan. With
// tol = 0 the result is exact for every vertex.
func Deviation(a, b Stroke, tol float64) float64 {
	var worst float64
	if len(b) == 0 {
		return math.Inf(1)
	}
	if len(b) == 1 {
		for _, p := range a {
			worst = math.Max(worst, p.Dist(b[0]))
		}
		return worst
	}
	j := 1
	for _, p := range a {
		found := false
		for k := j; k < len(b) && tol > 0; k++ {
			if SegmentDist(p, b[k-1], b[k]) <= tol {
				j, found = k, true
				break
			}
		}
		if found {
			continue
		}
		best := math.Inf(1)
		for k := 1; k < len(b); k++ {
			if d := SegmentDist(p, b[k-1], b[k]); d < best {
				best, j = d, k
			}
		}
		worst = math.Max(worst, best)
	}
	return worst
}
