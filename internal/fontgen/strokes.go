package fontgen

import (
	"math"
	"slices"

	"github.com/quillpost/quillpost/internal/geom"
)

// measureTol is the flattening tolerance, in font units, for measuring glyphs (bounds, lengths).
const measureTol = 0.5

// flatten returns the polyline of p for measuring.
func flatten(p geom.Path) geom.Stroke { return p.Flatten(measureTol, nil) }

// pathsBounds returns the ink bounding box of paths (EmptyRect for none).
func pathsBounds(paths []geom.Path) geom.Rect {
	r := geom.EmptyRect
	for _, p := range paths {
		r = r.Union(geom.Bounds([]geom.Stroke{flatten(p)}))
	}
	return r
}

func pathLength(p geom.Path) float64 { return flatten(p).Length() }

// reversePath returns p drawn from its end to its start, curves included.
func reversePath(p geom.Path) geom.Path {
	q := geom.Path{Start: p.End(), Segs: make([]geom.Seg, 0, len(p.Segs))}
	for i := len(p.Segs) - 1; i >= 0; i-- {
		s := p.Segs[i]
		prev := p.Start
		if i > 0 {
			prev = p.Segs[i-1].End()
		}
		switch s.Kind {
		case geom.Line:
			q.Segs = append(q.Segs, geom.Seg{Kind: geom.Line, P: [3]geom.Point{prev}})
		case geom.Quad:
			q.Segs = append(q.Segs, geom.Seg{Kind: geom.Quad, P: [3]geom.Point{s.P[0], prev}})
		case geom.Cubic:
			q.Segs = append(q.Segs, geom.Seg{Kind: geom.Cubic, P: [3]geom.Point{s.P[1], s.P[0], prev}})
		}
	}
	return q
}

// joinPaths appends b to a; b's start is snapped onto a's end, which lie within the merge
// tolerance of each other.
func joinPaths(a, b geom.Path) geom.Path {
	segs := make([]geom.Seg, 0, len(a.Segs)+len(b.Segs))
	segs = append(segs, a.Segs...)
	segs = append(segs, b.Segs...)
	return geom.Path{Start: a.Start, Segs: segs}
}

// mergeTouching joins strokes whose ends meet within tol into one pen-down path, so that the
// plotter does not lift the pen where the source font merely split a line. It prefers the
// font's own direction (end meets start) and reverses a stroke only when two ends or two starts
// meet. The merged stroke takes the place of the earlier one, keeping the writing order.
// Strokes marked in keep (late strokes) are never merged.
func mergeTouching(paths []geom.Path, late []bool, tol float64) ([]geom.Path, []bool) {
	paths = slices.Clone(paths)
	late = slices.Clone(late)
	near := func(a, b geom.Point) bool { return a.Dist(b) <= tol }
	for changed := true; changed; {
		changed = false
	outer:
		for i := 0; i < len(paths); i++ {
			if late[i] {
				continue
			}
			for j := i + 1; j < len(paths); j++ {
				if late[j] {
					continue
				}
				a, b := paths[i], paths[j]
				var m geom.Path
				switch {
				case near(a.End(), b.Start):
					m = joinPaths(a, b)
				case near(b.End(), a.Start):
					m = joinPaths(b, a)
				case near(a.End(), b.End()):
					m = joinPaths(a, reversePath(b))
				case near(a.Start, b.Start):
					m = joinPaths(reversePath(a), b)
				default:
					continue
				}
				paths[i] = m
				paths = slices.Delete(paths, j, j+1)
				late = slices.Delete(late, j, j+1)
				changed = true
				break outer
			}
		}
	}
	return paths, late
}

// transformPaths applies f to every point of every path.
func transformPaths(paths []geom.Path, f func(geom.Point) geom.Point) []geom.Path {
	out := make([]geom.Path, len(paths))
	for i, p := range paths {
		out[i] = p.Transform(f)
	}
	return out
}

func translate(d geom.Point) func(geom.Point) geom.Point {
	return func(p geom.Point) geom.Point { return p.Add(d) }
}

// median returns the median of vs (0 for none).
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func round2(v float64) float64 {
	r := math.Round(v*100) / 100
	if r == 0 {
		return 0
	}
	return r
}

// samePath reports whether two paths have the same shape within tol (same segment kinds, every
// point within tol), used to find which strokes of an accented glyph are its base letter's.
func samePath(a, b geom.Path, tol float64) bool {
	if len(a.Segs) != len(b.Segs) {
		return false
	}
	if a.Start.Dist(b.Start) > tol {
		return false
	}
	for i := range a.Segs {
		if a.Segs[i].Kind != b.Segs[i].Kind {
			return false
		}
		for k := 0; k < 3; k++ {
			if a.Segs[i].P[k].Dist(b.Segs[i].P[k]) > tol {
				return false
			}
		}
	}
	return true
}
