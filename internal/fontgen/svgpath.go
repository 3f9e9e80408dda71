package fontgen

import (
	"fmt"
	"math"
	"strconv"

	"github.com/quillpost/quillpost/internal/geom"
)

// ParseSVGPath parses an SVG path "d" attribute into absolute subpaths, in the SVG's own
// coordinates. Relative commands are resolved; H and V become lines; S and T become cubics and
// quadratics with the reflected control point; A becomes cubic Béziers; Z becomes a line back to
// the subpath's start (when it is not already there) and ends the subpath. The result uses only
// the Line, Quad and Cubic kinds of geom.Seg.
func ParseSVGPath(d string) ([]geom.Path, error) {
	sc := svgScanner{s: d}
	var (
		out      []geom.Path
		cur      *geom.Path
		pos      geom.Point // current point
		start    geom.Point // current subpath's start
		lastCtrl geom.Point // last control point, for S and T
		lastCmd  byte
		cmd      byte
	)
	flush := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	ensure := func() {
		if cur == nil {
			// A drawing command straight after Z continues from the subpath's start.
			cur = &geom.Path{Start: pos}
		}
	}
	for {
		sc.skipSep()
		if sc.done() {
			break
		}
		if c := sc.peek(); isCommand(c) {
			if cmd == 0 && upper(c) != 'M' {
				return nil, fmt.Errorf("path data must start with M, found %q", c)
			}
			cmd = c
			sc.i++
		} else if cmd == 0 {
			return nil, fmt.Errorf("path data must start with a command, found %q at offset %d", c, sc.i)
		} else if cmd == 'Z' || cmd == 'z' {
			return nil, fmt.Errorf("number after Z at offset %d", sc.i)
		}
		rel := cmd >= 'a'
		abs := func(p geom.Point) geom.Point {
			if rel {
				return p.Add(pos)
			}
			return p
		}
		switch cmd {
		case 'M', 'm':
			p, err := sc.point()
			if err != nil {
				return nil, fmt.Errorf("%c: %w", cmd, err)
			}
			flush()
			pos = abs(p)
			start = pos
			cur = &geom.Path{Start: pos}
			// Further coordinate pairs after M are implicit line commands.
			if rel {
				cmd = 'l'
			} else {
				cmd = 'L'
			}
		case 'L', 'l':
			p, err := sc.point()
			if err != nil {
				return nil, fmt.Errorf("%c: %w", cmd, err)
			}
			ensure()
			pos = abs(p)
			cur.Segs = append(cur.Segs, geom.Seg{Kind: geom.Line, P: [3]geom.Point{pos}})
		case 'H', 'h', 'V', 'v':
			v, err := sc.number()
			if err != nil {
				return nil, fmt.Errorf("%c: %w", cmd, err)
			}
			ensure()
			switch cmd {
			case 'H':
				pos.X = v
			case 'h':
				pos.X += v
			case 'V':
				pos.Y = v
			case 'v':
				pos.Y += v
			}
			cur.Segs = append(cur.Segs, geom.Seg{Kind: geom.Line, P: [3]geom.Point{pos}})
		case 'C', 'c', 'S', 's':
			var c1 geom.Point
			if cmd == 'C' || cmd == 'c' {
				p, err := sc.point()
				if err != nil {
					return nil, fmt.Errorf("%c: %w", cmd, err)
				}
				c1 = abs(p)
			} else {
				c1 = pos
				if lastCmd == 'C' || lastCmd == 'S' {
					c1 = pos.Add(pos.Sub(lastCtrl))
				}
			}
			c2, err := sc.point()
			if err != nil {
				return nil, fmt.Errorf("%c: %w", cmd, err)
			}
			end, err := sc.point()
			if err != nil {
				return nil, fmt.Errorf("%c: %w", cmd, err)
			}
			ensure()
			c2, end = abs(c2), abs(end)
			cur.Segs = append(cur.Segs, geom.Seg{Kind: geom.Cubic, P: [3]geom.Point{c1, c2, end}})
			lastCtrl, pos = c2, end
		case 'Q', 'q', 'T', 't':
			var c geom.Point
			if cmd == 'Q' || cmd == 'q' {
				p, err := sc.point()
				if err != nil {
					return nil, fmt.Errorf("%c: %w", cmd, err)
				}
				c = abs(p)
			} else {
				c = pos
				if lastCmd == 'Q' || lastCmd == 'T' {
					c = pos.Add(pos.Sub(lastCtrl))
				}
			}
			end, err := sc.point()
			if err != nil {
				return nil, fmt.Errorf("%c: %w", cmd, err)
			}
			ensure()
			end = abs(end)
			cur.Segs = append(cur.Segs, geom.Seg{Kind: geom.Quad, P: [3]geom.Point{c, end}})
			lastCtrl, pos = c, end
		case 'A', 'a':
			rx, err1 := sc.number()
			ry, err2 := sc.number()
			rot, err3 := sc.number()
			large, err4 := sc.flag()
			sweep, err5 := sc.flag()
			if err := firstErr(err1, err2, err3, err4, err5); err != nil {
				return nil, fmt.Errorf("%c: %w", cmd, err)
			}
			p, err := sc.point()
			if err != nil {
				return nil, fmt.Errorf("%c: %w", cmd, err)
			}
			ensure()
			end := abs(p)
			cur.Segs = append(cur.Segs, arcToCubics(pos, end, rx, ry, rot, large, sweep)...)
			pos = end
		case 'Z', 'z':
			ensure()
			if pos != start {
				cur.Segs = append(cur.Segs, geom.Seg{Kind: geom.Line, P: [3]geom.Point{start}})
			}
			flush()
			pos = start
		default:
			return nil, fmt.Errorf("unknown path command %q at offset %d", cmd, sc.i-1)
		}
		lastCmd = upper(cmd)
	}
	flush()
	// A lone "M x y" draws nothing; SVG renderers skip it and so do we.
	kept := out[:0]
	for _, p := range out {
		if len(p.Segs) == 0 {
			continue
		}
		if !finitePath(p) {
			return nil, fmt.Errorf("coordinates overflow")
		}
		kept = append(kept, p)
	}
	return kept, nil
}

func finitePath(p geom.Path) bool {
	ok := true
	p.Transform(func(q geom.Point) geom.Point {
		if math.IsNaN(q.X) || math.IsNaN(q.Y) || math.IsInf(q.X, 0) || math.IsInf(q.Y, 0) {
			ok = false
		}
		return q
	})
	return ok
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func isCommand(c byte) bool {
	switch upper(c) {
	case 'M', 'L', 'H', 'V', 'C', 'S', 'Q', 'T', 'A', 'Z':
		return true
	}
	return false
}

// arcToCubics converts an SVG elliptical arc (endpoint parameterisation, SVG 1.1 appendix F.6)
// into cubic Béziers of at most 90° each.
func arcToCubics(p0, p1 geom.Point, rx, ry, rotDeg float64, large, sweep bool) []geom.Seg {
	line := []geom.Seg{{Kind: geom.Line, P: [3]geom.Point{p1}}}
	if p0 == p1 {
		return nil
	}
	rx, ry = math.Abs(rx), math.Abs(ry)
	if rx == 0 || ry == 0 {
		return line
	}
	phi := rotDeg * math.Pi / 180
	sin, cos := math.Sincos(phi)
	dx, dy := (p0.X-p1.X)/2, (p0.Y-p1.Y)/2
	x1 := cos*dx + sin*dy
	y1 := -sin*dx + cos*dy
	if l := x1*x1/(rx*rx) + y1*y1/(ry*ry); l > 1 {
		s := math.Sqrt(l)
		rx, ry = rx*s, ry*s
	}
	num := rx*rx*ry*ry - rx*rx*y1*y1 - ry*ry*x1*x1
	den := rx*rx*y1*y1 + ry*ry*x1*x1
	co := 0.0
	if den > 0 && num > 0 {
		co = math.Sqrt(num / den)
	}
	if large == sweep {
		co = -co
	}
	cx1, cy1 := co*rx*y1/ry, -co*ry*x1/rx
	cx := cos*cx1 - sin*cy1 + (p0.X+p1.X)/2
	cy := sin*cx1 + cos*cy1 + (p0.Y+p1.Y)/2
	angle := func(ux, uy, vx, vy float64) float64 {
		return math.Atan2(ux*vy-uy*vx, ux*vx+uy*vy)
	}
	th1 := angle(1, 0, (x1-cx1)/rx, (y1-cy1)/ry)
	dth := angle((x1-cx1)/rx, (y1-cy1)/ry, (-x1-cx1)/rx, (-y1-cy1)/ry)
	if !sweep && dth > 0 {
		dth -= 2 * math.Pi
	} else if sweep && dth < 0 {
		dth += 2 * math.Pi
	}
	if math.IsNaN(dth) || math.IsNaN(th1) {
		return line
	}
	n := int(math.Ceil(math.Abs(dth) / (math.Pi / 2)))
	if n < 1 {
		n = 1
	}
	step := dth / float64(n)
	k := 4.0 / 3 * math.Tan(step/4)
	pt := func(t float64) (geom.Point, geom.Point) {
		st, ct := math.Sincos(t)
		x, y := rx*ct, ry*st
		tx, ty := -rx*st, ry*ct
		return geom.Point{X: cos*x - sin*y + cx, Y: sin*x + cos*y + cy},
			geom.Point{X: cos*tx - sin*ty, Y: sin*tx + cos*ty}
	}
	segs := make([]geom.Seg, 0, n)
	t := th1
	a, da := pt(t)
	for i := 0; i < n; i++ {
		b, db := pt(t + step)
		if i == n-1 {
			b = p1 // land exactly on the requested end point
		}
		segs = append(segs, geom.Seg{Kind: geom.Cubic, P: [3]geom.Point{a.Add(da.Scale(k)), b.Sub(db.Scale(k)), b}})
		t += step
		a, da = b, db
	}
	return segs
}

type svgScanner struct {
	s string
	i int
}

func (sc *svgScanner) done() bool { return sc.i >= len(sc.s) }
func (sc *svgScanner) peek() byte { return sc.s[sc.i] }

func (sc *svgScanner) skipSep() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r', '\f', ',':
			sc.i++
		default:
			return
		}
	}
}

func (sc *svgScanner) point() (geom.Point, error) {
	x, err := sc.number()
	if err != nil {
		return geom.Point{}, err
	}
	y, err := sc.number()
	if err != nil {
		return geom.Point{}, err
	}
	return geom.Point{X: x, Y: y}, nil
}

// flag reads an arc flag, which SVG allows without separators ("a1 1 0 00 1 1").
func (sc *svgScanner) flag() (bool, error) {
	sc.skipSep()
	if sc.done() || (sc.peek() != '0' && sc.peek() != '1') {
		return false, fmt.Errorf("expected an arc flag 0 or 1 at offset %d", sc.i)
	}
	v := sc.peek() == '1'
	sc.i++
	return v, nil
}

// number reads one SVG number. SVG lets numbers run together ("1-2", "0.5.5"), so the scan
// stops at a second sign or a second decimal point.
func (sc *svgScanner) number() (float64, error) {
	sc.skipSep()
	j := sc.i
	if j < len(sc.s) && (sc.s[j] == '+' || sc.s[j] == '-') {
		j++
	}
	digits, dot := 0, false
	for j < len(sc.s) {
		c := sc.s[j]
		if c >= '0' && c <= '9' {
			digits++
		} else if c == '.' && !dot {
			dot = true
		} else {
			break
		}
		j++
	}
	if digits == 0 {
		return 0, fmt.Errorf("expected a number at offset %d", sc.i)
	}
	if j < len(sc.s) && (sc.s[j] == 'e' || sc.s[j] == 'E') {
		k := j + 1
		if k < len(sc.s) && (sc.s[k] == '+' || sc.s[k] == '-') {
			k++
		}
		if k < len(sc.s) && sc.s[k] >= '0' && sc.s[k] <= '9' {
			for k < len(sc.s) && sc.s[k] >= '0' && sc.s[k] <= '9' {
				k++
			}
			j = k
		}
	}
	v, err := strconv.ParseFloat(sc.s[sc.i:j], 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("bad number %q at offset %d", sc.s[sc.i:j], sc.i)
	}
	sc.i = j
	return v, nil
}
