package font

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/quillpost/quillpost/internal/geom"
)

// maxCoord bounds every coordinate in a font file. Real faces stay within a few thousand units;
// the bound keeps hostile files from producing values that overflow later arithmetic.
const maxCoord = 1e6

// ParsePath parses one stroke of a font file: "M x y" followed by one or more absolute L (x y),
// Q (cx cy x y) or C (c1x c1y c2x c2y x y) segments. Numbers are separated by spaces or commas;
// a command letter may repeat implicitly, as in SVG ("L 1 2 3 4" is two lines). A second M is an
// error, because a stroke is one pen-down path.
func ParsePath(s string) (geom.Path, error) {
	var p geom.Path
	sc := pathScanner{s: s}
	cmd, ok := sc.command()
	if !ok || cmd != 'M' {
		return p, fmt.Errorf("path must start with M")
	}
	start, err := sc.points(1)
	if err != nil {
		return p, fmt.Errorf("after M: %w", err)
	}
	p.Start = start[0]
	// One segment per command letter is the common case; sizing up front saves regrowing.
	p.Segs = make([]geom.Seg, 0, strings.Count(s, "L")+strings.Count(s, "Q")+strings.Count(s, "C"))
	cmd = 0
	for {
		sc.skipSpace()
		if sc.done() {
			break
		}
		if c, ok := sc.command(); ok {
			cmd = c
		} else if cmd == 0 {
			return p, fmt.Errorf("expected L, Q or C at offset %d", sc.i)
		}
		var seg geom.Seg
		var n int
		switch cmd {
		case 'L':
			seg.Kind, n = geom.Line, 1
		case 'Q':
			seg.Kind, n = geom.Quad, 2
		case 'C':
			seg.Kind, n = geom.Cubic, 3
		case 'M':
			return p, fmt.Errorf("second M at offset %d: one stroke is one pen-down path", sc.i-1)
		default:
			return p, fmt.Errorf("unsupported command %q (only absolute M, L, Q, C)", cmd)
		}
		pts, err := sc.points(n)
		if err != nil {
			return p, fmt.Errorf("after %c: %w", cmd, err)
		}
		seg.P = pts
		p.Segs = append(p.Segs, seg)
	}
	if len(p.Segs) == 0 {
		return p, fmt.Errorf("path has no segment after M (a dot is written M x y L x y)")
	}
	return p, nil
}

// FormatPath writes p in the font file's path syntax with coordinates rounded to 0.01 units,
// the inverse of ParsePath. The fixed precision keeps generated files small and stable.
func FormatPath(p geom.Path) string {
	var b strings.Builder
	b.WriteString("M ")
	writePoint(&b, p.Start)
	for _, s := range p.Segs {
		switch s.Kind {
		case geom.Line:
			b.WriteString(" L ")
			writePoint(&b, s.P[0])
		case geom.Quad:
			b.WriteString(" Q ")
			writePoint(&b, s.P[0])
			b.WriteByte(' ')
			writePoint(&b, s.P[1])
		case geom.Cubic:
			b.WriteString(" C ")
			writePoint(&b, s.P[0])
			b.WriteByte(' ')
			writePoint(&b, s.P[1])
			b.WriteByte(' ')
			writePoint(&b, s.P[2])
		}
	}
	return b.String()
}

func writePoint(b *strings.Builder, p geom.Point) {
	b.WriteString(FormatNumber(p.X))
	b.WriteByte(' ')
	b.WriteString(FormatNumber(p.Y))
}

// FormatNumber rounds v to 0.01 and prints it without trailing zeros ("12.5", "-3", "0").
func FormatNumber(v float64) string {
	r := math.Round(v*100) / 100
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

type pathScanner struct {
	s string
	i int
}

func (sc *pathScanner) done() bool { return sc.i >= len(sc.s) }

func (sc *pathScanner) skipSpace() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r', ',':
			sc.i++
		default:
			return
		}
	}
}

// command consumes a command letter if one comes next.
func (sc *pathScanner) command() (byte, bool) {
	sc.skipSpace()
	if sc.done() {
		return 0, false
	}
	c := sc.s[sc.i]
	if (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') {
		sc.i++
		return c, true
	}
	return 0, false
}

func (sc *pathScanner) points(n int) ([3]geom.Point, error) {
	var pts [3]geom.Point
	for k := range n {
		x, err := sc.number()
		if err != nil {
			return pts, err
		}
		y, err := sc.number()
		if err != nil {
			return pts, err
		}
		pts[k] = geom.Point{X: x, Y: y}
	}
	return pts, nil
}

func (sc *pathScanner) number() (float64, error) {
	sc.skipSpace()
	j := sc.i
	for j < len(sc.s) {
		c := sc.s[j]
		if (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E' {
			j++
			continue
		}
		break
	}
	if j == sc.i {
		return 0, fmt.Errorf("expected a number at offset %d", sc.i)
	}
	v, err := strconv.ParseFloat(sc.s[sc.i:j], 64)
	if err != nil || math.IsNaN(v) || math.Abs(v) > maxCoord {
		return 0, fmt.Errorf("bad number %q at offset %d", sc.s[sc.i:j], sc.i)
	}
	sc.i = j
	return v, nil
}
