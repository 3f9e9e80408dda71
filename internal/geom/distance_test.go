package geom

import (
	"math"
	"testing"
)

func TestSegmentDist(t *testing.T) {
	a, b := Point{0, 0}, Point{10, 0}
	for _, c := range []struct {
		p    Point
		want float64
	}{
		{Point{5, 3}, 3}, {Point{-4, 3}, 5}, {Point{13, -4}, 5}, {Point{7, 0}, 0},
	} {
		if got := SegmentDist(c.p, a, b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("SegmentDist(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := SegmentDist(Point{3, 4}, a, a); got != 5 {
		t.Errorf("degenerate segment: %v, want 5", got)
	}
}

func TestDeviation(t *testing.T) {
	line := Stroke{{0, 0}, {10, 0}, {20, 0}}
	bent := Stroke{{0, 0}, {5, 0.5}, {10, 0}, {15, -2}, {20, 0}}
	for _, tol := range []float64{0, 0.1} {
		if got := Deviation(bent, line, tol); got != 2 {
			t.Errorf("tol %v: bent strays %v from the line, want 2", tol, got)
		}
		if got := Deviation(line, bent, tol); got != 0 {
			t.Errorf("tol %v: the line's vertices lie on the bent stroke, got %v", tol, got)
		}
	}
	if got := Deviation(Stroke{{3, 4}}, Stroke{{0, 0}}, 0); got != 5 {
		t.Errorf("against a dot: %v", got)
	}
	if got := Deviation(line, nil, 0); !math.IsInf(got, 1) {
		t.Errorf("against nothing: %v", got)
	}
}
