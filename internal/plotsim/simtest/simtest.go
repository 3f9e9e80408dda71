// Package simtest makes test material for the virtual plotter and the serial sender: realistic
// handwriting-like strokes, G-code programs that draw them with a given pen, and comparison of a
// recorded drawing against the strokes a program meant to draw.
package simtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/quillpost/quillpost/internal/geom"
)

// Strokes returns n strokes that look like handwriting to a plotter: curving polylines of 4 to 40
// points with segments of 0.2 to 1.2 mm, inside area, coordinates on a 1 µm grid. The same seed
// gives the same strokes.
func Strokes(seed uint64, n int, area geom.Rect) []geom.Stroke {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	const margin = 5
	out := make([]geom.Stroke, 0, n)
	for range n {
		p := geom.Point{
			X: area.Min.X + margin + r.Float64()*(area.W()-2*margin),
			Y: area.Min.Y + margin + r.Float64()*(area.H()-2*margin),
		}
		heading := r.Float64() * 2 * math.Pi
		turn := (r.Float64() - 0.5) * 0.6
		k := 4 + r.IntN(37)
		s := geom.Stroke{round(p)}
		for len(s) < k {
			step := 0.2 + r.Float64()
			heading += turn + (r.Float64()-0.5)*0.3
			q := round(p.Add(geom.Point{X: step * math.Cos(heading), Y: step * math.Sin(heading)}))
			if !area.Contains(q, -margin/2) {
				heading += math.Pi
				continue
			}
			if q != s[len(s)-1] {
				s = append(s, q)
			}
			p = q
		}
		out = append(out, s)
	}
	return out
}

func round(p geom.Point) geom.Point {
	return geom.Point{X: math.Round(p.X*1000) / 1000, Y: math.Round(p.Y*1000) / 1000}
}

// Pen says how a program lifts and lowers the pen.
type Pen struct{ Down, Up []string }

// Pens used by the tests, after the firmware profiles in firmware-profiles/.
var (
	SpindlePen = Pen{Down: []string{"M3 S90"}, Up: []string{"M5"}}
	ZPen       = Pen{Down: []string{"G1 Z0 F600"}, Up: []string{"G0 Z2"}}
	ServoPen   = Pen{Down: []string{"M400", "M280 P0 S50"}, Up: []string{"M400", "M280 P0 S90"}}
)

// Program writes G-code that draws strokes: a travel move to each start, pen down, one G1 per
// segment, pen up. Comment lines and trailing comments are sprinkled in, as emitters write them,
// so that senders must strip them. rapidFeed, when positive, is written on G0 lines (Marlin and
// Klipper run G0 at the modal feed).
func Program(strokes []geom.Stroke, pen Pen, drawFeed, rapidFeed float64) []string {
	lines := []string{"; quillpost test program", "G21 (millimetres)", "G90"}
	lines = append(lines, pen.Up...)
	rapid := ""
	if rapidFeed > 0 {
		rapid = " F" + ff(rapidFeed)
	}
	for i, s := range strokes {
		if i%7 == 0 {
			lines = append(lines, fmt.Sprintf("; stroke %d", i+1))
		}
		lines = append(lines, "G0 X"+ff(s[0].X)+" Y"+ff(s[0].Y)+rapid)
		lines = append(lines, pen.Down...)
		for j, p := range s[1:] {
			l := "G1 X" + ff(p.X) + " Y" + ff(p.Y)
			if j == 0 {
				l += " F" + ff(drawFeed)
			}
			if j == 3 {
				l += " ; curve"
			}
			lines = append(lines, l)
		}
		lines = append(lines, pen.Up...)
	}
	lines = append(lines, "G0 X0 Y0"+rapid, "M2")
	return lines
}

func ff(v float64) string {
	s := strconv.FormatFloat(v, 'f', 3, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" || s == "" {
		s = "0"
	}
	return s
}

// Diff compares a recorded drawing with the strokes meant, point by point within tol mm, and
// describes the first difference, or returns "" when they are the same.
func Diff(got, want []geom.Stroke, tol float64) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d strokes recorded, want %d", len(got), len(want))
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			return fmt.Sprintf("stroke %d has %d points, want %d (first %v, want %v)", i+1, len(got[i]), len(want[i]), got[i][0], want[i][0])
		}
		for j := range want[i] {
			if got[i][j].Dist(want[i][j]) > tol {
				return fmt.Sprintf("stroke %d point %d is %v, want %v", i+1, j+1, got[i][j], want[i][j])
			}
		}
	}
	return ""
}

// Stripped counts the lines a sender really sends and their bytes with newlines: every line that
// is not empty once comments and spaces are gone.
func Stripped(lines []string, strip func(string) string) (n int, bytes int) {
	for _, l := range lines {
		if s := strip(l); s != "" {
			n++
			bytes += len(s) + 1
		}
	}
	return n, bytes
}
