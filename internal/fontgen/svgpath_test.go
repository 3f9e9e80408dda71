package fontgen

import (
	"math"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
)

func formatAll(paths []geom.Path) string {
	var s []string
	for _, p := range paths {
		s = append(s, font.FormatPath(p))
	}
	return strings.Join(s, " | ")
}

func TestParseSVGPath(t *testing.T) {
	cases := []struct{ d, want string }{
		{"M 1 2 L 3 4", "M 1 2 L 3 4"},
		{"M1,2L3,4 5,6", "M 1 2 L 3 4 L 5 6"},
		{"M 1 2 3 4 5 6", "M 1 2 L 3 4 L 5 6"}, // pairs after M are lines
		{"m 1 2 3 4", "M 1 2 L 4 6"},           // and relative after m
		{"M 1 2 l 1 1 h 2 v -3 H 0 V 0", "M 1 2 L 2 3 L 4 3 L 4 0 L 0 0 L 0 0"},
		{"M 0 0 L 1 0 M 5 5 L 6 6", "M 0 0 L 1 0 | M 5 5 L 6 6"},
		{"M 0 0 L 1 0 L 1 1 Z", "M 0 0 L 1 0 L 1 1 L 0 0"},
		{"M 0 0 L 1 0 L 0 0 z", "M 0 0 L 1 0 L 0 0"}, // already closed: no extra line
		{"M 0 0 L 1 0 Z l 0 2", "M 0 0 L 1 0 L 0 0 | M 0 0 L 0 2"},
		{"M 0 0 C 1 1 2 1 3 0 S 5 -1 6 0", "M 0 0 C 1 1 2 1 3 0 C 4 -1 5 -1 6 0"},
		{"M 0 0 c 1 1 2 1 3 0 s 2 -1 3 0", "M 0 0 C 1 1 2 1 3 0 C 4 -1 5 -1 6 0"},
		{"M 0 0 S 1 1 2 0", "M 0 0 C 0 0 1 1 2 0"}, // S without a previous C: first control is the current point
		{"M 0 0 Q 1 1 2 0 T 4 0", "M 0 0 Q 1 1 2 0 Q 3 -1 4 0"},
		{"M 0 0 q 1 1 2 0 t 2 0", "M 0 0 Q 1 1 2 0 Q 3 -1 4 0"},
		{"M 0 0 L 1 0 T 2 0", "M 0 0 L 1 0 Q 1 0 2 0"},
		{"M1-2L.5.5", "M 1 -2 L 0.5 0.5"},
		{"M 1e1 2E-1 L -1.5e+1 0", "M 10 0.2 L -15 0"},
		{"M 0 0", ""}, // a lone moveto draws nothing
		{"", ""},
		{"M 0 0 A 0 5 0 0 1 10 0", "M 0 0 L 10 0"}, // zero radius: a straight line
	}
	for _, c := range cases {
		paths, err := ParseSVGPath(c.d)
		if err != nil {
			t.Errorf("ParseSVGPath(%q): %v", c.d, err)
			continue
		}
		if got := formatAll(paths); got != c.want {
			t.Errorf("ParseSVGPath(%q) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestParseSVGPathArc(t *testing.T) {
	// A half circle of radius 5 from (0,0) to (10,0): every point of the cubics stays on it.
	for _, d := range []string{"M 0 0 A 5 5 0 0 1 10 0", "M 0 0 a 5 5 0 0 0 10 0", "M 0 0 A 5 5 0 1 1 10 0", "M0 0a5 5 0 1010 0"} {
		paths, err := ParseSVGPath(d)
		if err != nil {
			t.Fatalf("%q: %v", d, err)
		}
		if len(paths) != 1 || len(paths[0].Segs) != 2 {
			t.Fatalf("%q: got %q, want two quarter-circle cubics", d, formatAll(paths))
		}
		if end := paths[0].End(); end != (geom.Point{X: 10, Y: 0}) {
			t.Errorf("%q ends at %v", d, end)
		}
		for _, p := range paths[0].Flatten(0.001, nil) {
			if r := p.Dist(geom.Point{X: 5, Y: 0}); math.Abs(r-5) > 0.01 {
				t.Errorf("%q: point %v is %v from the centre, want 5", d, p, r)
			}
		}
	}
	// Radii too small for the chord are scaled up (SVG F.6.6): still a half circle.
	paths, err := ParseSVGPath("M 0 0 A 1 1 0 0 1 10 0")
	if err != nil {
		t.Fatal(err)
	}
	if mid := paths[0].Segs[0].End(); math.Abs(mid.Dist(geom.Point{X: 5, Y: 0})-5) > 0.01 {
		t.Errorf("scaled arc passes %v", mid)
	}
}

func TestParseSVGPathErrors(t *testing.T) {
	for _, d := range []string{"L 1 2", "1 2", "M 1", "M 1 2 L 3", "M 1 2 C 1 2 3 4", "M 1 2 X 3 4",
		"M 1 2 Z 3 4", "M 1 2 A 1 1 0 2 0 3 4", "M 1 2 A 1 1", "M 1e999 2", "M - 2", "M 1e308 0 l 1e308 0"} {
		if paths, err := ParseSVGPath(d); err == nil {
			t.Errorf("ParseSVGPath(%q) = %q, want an error", d, formatAll(paths))
		}
	}
}

// FuzzParseSVGPath: arbitrary path data gives paths or an error, never a panic, and every path
// has a segment and only finite coordinates.
func FuzzParseSVGPath(f *testing.F) {
	for _, d := range []string{
		"M 1 2 L 3 4", "m1-2l.5.5h1v1z", "M0 0C1 1 2 2 3 3S4 4 5 5", "M0 0Q1 1 2 2T3 3t1 1",
		"M0 0A5 5 0 1 1 10 0", "M0 0a5 3 45 0010 0", "M 0 0 A 1e300 1e-300 0 0 1 1 1", "M 0 0 Z z",
		"M 1e308 1e308 l 1e308 1e308",
	} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, d string) {
		paths, err := ParseSVGPath(d)
		if err != nil {
			return
		}
		for _, p := range paths {
			if len(p.Segs) == 0 {
				t.Fatalf("%q: empty path", d)
			}
			if !finitePath(p) {
				t.Fatalf("%q: non-finite coordinates %+v", d, p)
			}
			_ = reversePath(p)
		}
	})
}
