package plotsim

import (
	"fmt"
	"math"
	"strings"

	"github.com/quillpost/quillpost/internal/gcode"
	"github.com/quillpost/quillpost/internal/geom"
)

type vec3 [3]float64

func (v vec3) dist(w vec3) float64 {
	return math.Sqrt((v[0]-w[0])*(v[0]-w[0]) + (v[1]-w[1])*(v[1]-w[1]) + (v[2]-w[2])*(v[2]-w[2]))
}

func (v vec3) lerp(w vec3, t float64) vec3 {
	return vec3{v[0] + (w[0]-v[0])*t, v[1] + (w[1]-v[1])*t, v[2] + (w[2]-v[2])*t}
}

type blockKind uint8

const (
	blockMove  blockKind = iota
	blockPen             // the pen changes state, in planner order (GRBL spindle sync, Z moves)
	blockDwell           // G4
	blockPause           // M0/M1: GRBL holds once the moves before it are done
)

// block is one entry of the motion planner.
type block struct {
	kind     blockKind
	from, to vec3
	dur      float64 // simulated seconds
	feed     float64 // mm/min, reported in FS:
	lift     bool    // the line that made this move lifts the pen: it draws nothing
	pen      bool    // blockPen: the state it sets
	sync     bool    // blockPen: set by a spindle command, which waits for the moves before it (GRBL spindle_sync)
}

// modal is the G-code parser state.
type modal struct {
	motion   float64 // 0, 1, 2, 3 or 80
	relative bool
	inches   bool
	feed     float64 // mm/min
	spindle  float64 // 3, 4 or 5
	speed    float64 // S
	wcs      vec3    // G54 offset (G10 L2/L20)
	g92      vec3    // G92 offset; work = machine - wcs - g92
}

func defaultModal() modal { return modal{motion: 0, spindle: 5} }

// lineErr is a rejected line: a GRBL error code and the text Marlin would print.
type lineErr struct {
	code int
	msg  string
}

func (e *lineErr) Error() string { return fmt.Sprintf("error:%d (%s)", e.code, e.msg) }

func fail(code int, format string, args ...any) *lineErr {
	return &lineErr{code: code, msg: fmt.Sprintf(format, args...)}
}

// outcome is what the interpreter makes of one line.
type outcome struct {
	blocks   []block
	sync     bool     // answer only once the planner is empty (Marlin M400, G4, M3/M5)
	penNow   *bool    // Marlin M280: the servo moves when the command is processed, ahead of the planner
	reply    []string // lines printed before the ok (M114, M115)
	okSuffix string   // Marlin M105 answers "ok T:..."
	alarm    int      // GRBL soft limit: raise this alarm instead of executing
	halt     string   // Marlin M112: halt with this message
	unknown  string   // Marlin: echo "Unknown command" and carry on
}

// interp turns lines of G-code into planner blocks for one dialect.
type interp struct {
	marlin    bool // the Marlin (or Klipper) dialect
	klipper   bool
	m         modal
	pos       vec3 // where the planned moves end, machine mm
	pen       bool // pen state once the planned lines are done
	penFunc   PenFunc
	area      geom.Rect
	zmin      float64
	zmax      float64
	maxRate   float64 // mm/min
	zRate     float64 // Z's own maximum rate, mm/min (GRBL $112); 0: maxRate
	dwellStep float64 // the step dwells are rounded up to, s (GRBL: 0.05); 0: exact
	accel     float64 // mm/s²
	arcTol    float64
	softLim   bool
}

var grblLetters = "GMXYZFSPIJKRNTL"

// groups of G and M codes; two words of one group in a line are a modal group violation.
func gGroup(v float64) (string, bool) {
	switch v {
	case 0, 1, 2, 3, 80:
		return "motion", true
	case 90, 91:
		return "distance", true
	case 20, 21:
		return "units", true
	case 4, 10, 28, 53, 92, 92.1:
		return "non-modal", true
	case 17:
		return "plane", true
	case 54, 55, 56, 57, 58, 59:
		return "wcs", true
	case 94:
		return "feed-mode", true
	case 61:
		return "path", true
	case 91.1:
		return "arc-distance", true
	}
	return "", false
}

func mGroup(v float64, marlin bool) (string, bool) {
	switch v {
	case 0, 1, 2, 30:
		return "stop", true
	case 3, 4, 5:
		return "spindle", true
	case 7, 8, 9:
		return "coolant", true
	}
	if marlin {
		return "marlin", true
	}
	return "", false
}

// marlinNoOps are commands Marlin accepts that change nothing the simulator models.
var marlinNoOps = map[float64]bool{17: true, 18: true, 84: true, 82: true, 83: true, 106: true, 107: true,
	117: true, 118: true, 201: true, 203: true, 204: true, 205: true, 220: true, 221: true, 500: true,
	501: true, 502: true, 503: true, 110: true, 111: true, 211: true, 300: true}

// interpret parses and executes one line (without line number and checksum framing) against the
// parser state, returning the blocks to plan. check is GRBL's check mode: parse, move nothing.
func (in *interp) interpret(line string) (outcome, *lineErr) {
	var out outcome
	b, err := gcode.ParseLine(line)
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "number") {
			return out, fail(2, "bad number format: %s", msg)
		}
		return out, fail(1, "expected command letter: %s", msg)
	}
	var gs, ms []float64
	seenG := map[string]bool{}
	seenM := map[string]bool{}
	vals := map[byte]float64{}
	for _, w := range b.Words {
		if math.IsNaN(w.Value) || math.IsInf(w.Value, 0) {
			return out, fail(2, "bad number format")
		}
		switch w.Letter {
		case 'G':
			grp, ok := gGroup(w.Value)
			if !ok {
				if in.marlin {
					out.unknown = fmt.Sprintf("G%g", w.Value)
					return out, nil
				}
				return out, fail(20, "unsupported command G%g", w.Value)
			}
			if seenG[grp] {
				return out, fail(21, "two G-codes of the %s group", grp)
			}
			seenG[grp] = true
			gs = append(gs, w.Value)
		case 'M':
			grp, ok := mGroup(w.Value, in.marlin)
			if !ok {
				return out, fail(20, "unsupported command M%g", w.Value)
			}
			if seenM[grp] && !in.marlin {
				return out, fail(21, "two M-codes of the %s group", grp)
			}
			seenM[grp] = true
			ms = append(ms, w.Value)
		case '*':
			return out, fail(20, "unexpected checksum")
		default:
			if !in.marlin && !strings.ContainsRune(grblLetters, rune(w.Letter)) {
				return out, fail(20, "unsupported word %c", w.Letter)
			}
			if _, dup := vals[w.Letter]; dup {
				return out, fail(25, "repeated word %c", w.Letter)
			}
			vals[w.Letter] = w.Value
		}
	}
	if in.marlin {
		for _, m := range ms {
			if r, handled := in.marlinM(m, b, vals, &out); handled {
				return out, r
			}
		}
	}
	has := func(g float64) bool {
		for _, v := range gs {
			if v == g {
				return true
			}
		}
		return false
	}
	unit := 1.0
	if has(20) {
		in.m.inches = true
	}
	if has(21) {
		in.m.inches = false
	}
	if in.m.inches {
		unit = 25.4
	}
	if f, ok := vals['F']; ok {
		if f < 0 {
			return out, fail(4, "negative feed")
		}
		in.m.feed = f * unit
	}
	if s, ok := vals['S']; ok && !has(4) {
		in.m.speed = s
	}
	penBefore := in.pen
	programEnd := false
	for _, m := range ms {
		switch m {
		case 3, 4, 5:
			in.m.spindle = m
		case 2, 30:
			programEnd = true
		case 0, 1:
			out.blocks = append(out.blocks, block{kind: blockPause, from: in.pos, to: in.pos})
		}
	}
	if has(4) {
		p, ok := vals['P']
		secs := p
		if in.marlin {
			secs = p / 1000
			if s, okS := vals['S']; okS {
				secs, ok = s, true
			}
		}
		if !ok || secs < 0 {
			return out, fail(28, "G4 needs a P value")
		}
		if in.dwellStep > 0 {
			// GRBL 1.1 dwells in 50 ms steps, rounding up: G4 P0.189 runs 0.200 s.
			secs = math.Ceil(secs/in.dwellStep-1e-9) * in.dwellStep
		}
		out.blocks = append(out.blocks, block{kind: blockDwell, from: in.pos, to: in.pos, dur: secs})
		out.sync = in.marlin
	}
	if has(90) {
		in.m.relative = false
	}
	if has(91) {
		in.m.relative = true
	}
	axes := [3]byte{'X', 'Y', 'Z'}
	var given [3]bool
	var raw [3]float64
	anyAxis := false
	for i, a := range axes {
		if v, ok := vals[a]; ok {
			given[i], raw[i], anyAxis = true, v*unit, true
		}
	}
	// Non-modal commands that use the axis words themselves.
	switch {
	case has(92.1):
		in.m.g92 = vec3{}
		anyAxis = false
	case has(92):
		for i := range axes {
			if given[i] {
				in.m.g92[i] = in.pos[i] - in.m.wcs[i] - raw[i]
			}
		}
		anyAxis = false
	case has(10):
		l, _ := vals['L']
		for i := range axes {
			if !given[i] {
				continue
			}
			switch l {
			case 2:
				in.m.wcs[i] = raw[i]
			case 20:
				in.m.wcs[i] = in.pos[i] - in.m.g92[i] - raw[i]
			default:
				return out, fail(20, "G10 needs L2 or L20")
			}
		}
		anyAxis = false
	case has(28):
		home := in.home()
		if in.marlin {
			// Marlin G28 homes the axes it names (all when it names none); the values mean nothing.
			t := in.pos
			for i := range axes {
				if given[i] || !anyAxis {
					t[i] = home[i]
				}
			}
			out.blocks = append(out.blocks, in.move(t, in.maxRate, penBefore))
		} else {
			t := in.pos
			if anyAxis {
				for i := range axes {
					if given[i] {
						t[i] = in.target(i, raw[i], false)
					}
				}
				if a := in.limit(t, &out); a != nil || out.alarm != 0 {
					return out, a
				}
				out.blocks = append(out.blocks, in.move(t, in.maxRate, penBefore))
			}
			out.blocks = append(out.blocks, in.move(home, in.maxRate, penBefore))
		}
		anyAxis = false
	}
	motion := in.m.motion
	for _, g := range gs {
		if grp, _ := gGroup(g); grp == "motion" {
			motion = g
			in.m.motion = g
		}
	}
	if anyAxis {
		if motion == 80 {
			return out, fail(31, "axis words without a motion command")
		}
		var t vec3
		for i := range axes {
			t[i] = in.pos[i]
			if given[i] {
				t[i] = in.target(i, raw[i], has(53))
			}
		}
		feed := in.m.feed
		switch {
		case motion == 0 && !in.marlin:
			feed = in.maxRate
		case motion == 0 && feed <= 0:
			feed = in.maxRate
		case feed <= 0 && in.marlin:
			feed = 3000 // Marlin's default feedrate_mm_s of 50 mm/s
		case feed <= 0:
			return out, fail(22, "feed rate undefined")
		}
		if motion == 2 || motion == 3 {
			if !anyAxis {
				return out, fail(26, "arc without axis words")
			}
			pts, e := in.arc(t, motion == 2, vals, unit)
			if e != nil {
				return out, e
			}
			for _, p := range pts {
				if a := in.limit(p, &out); a != nil || out.alarm != 0 {
					return out, a
				}
			}
			for _, p := range pts {
				out.blocks = append(out.blocks, in.move(p, feed, false))
			}
		} else {
			if a := in.limit(t, &out); a != nil || out.alarm != 0 {
				return out, a
			}
			if in.marlin {
				t = in.clamp(t)
			}
			out.blocks = append(out.blocks, in.move(t, feed, false))
		}
	}
	// The pen: decided once the line's motion is done.
	after := in.penFunc(b, in.pos[2], penBefore)
	if programEnd {
		in.m.motion, in.m.relative, in.m.spindle = 1, false, 5
		after = in.penFunc(gcode.Block{Words: []gcode.Word{{Letter: 'M', Value: 5}}}, in.pos[2], after)
	}
	if after != penBefore {
		if !after {
			for i := range out.blocks {
				out.blocks[i].lift = true
			}
		}
		in.pen = after
		if in.marlin && b.Has('M', 280) {
			out.penNow = &after
		} else {
			spindle := b.Has('M', 3) || b.Has('M', 4) || b.Has('M', 5)
			out.blocks = append(out.blocks, block{kind: blockPen, from: in.pos, to: in.pos, pen: after, sync: spindle})
		}
	}
	if in.marlin && (b.Has('M', 3) || b.Has('M', 4) || b.Has('M', 5)) {
		out.sync = true // Marlin's spindle/laser commands wait for the planner
	}
	return out, nil
}

// marlinM handles the Marlin M-codes that are not motion. handled false lets the line run on.
func (in *interp) marlinM(m float64, b gcode.Block, vals map[byte]float64, out *outcome) (*lineErr, bool) {
	switch {
	case m == 400:
		out.sync = true
		return nil, true
	case m == 114:
		w := in.work(in.pos)
		out.reply = append(out.reply, fmt.Sprintf("X:%.2f Y:%.2f Z:%.2f E:0.00 Count X:0 Y:0 Z:0", w[0], w[1], w[2]))
		return nil, true
	case m == 115 && in.klipper:
		out.reply = append(out.reply, "FIRMWARE_NAME:Klipper FIRMWARE_VERSION:v0.12.0-quillpost-plotsim")
		return nil, true
	case m == 115:
		out.reply = append(out.reply,
			"FIRMWARE_NAME:Marlin 2.1.2.1 (quillpost plotsim) SOURCE_CODE_URL:github.com/MarlinFirmware/Marlin PROTOCOL_VERSION:1.0 MACHINE_TYPE:plotsim EXTRUDER_COUNT:0",
			"Cap:SERIAL_XON_XOFF:0", "Cap:EMERGENCY_PARSER:1", "Cap:HOST_ACTION_COMMANDS:0", "Cap:ARCS:1")
		return nil, true
	case m == 105:
		out.okSuffix = " T:0.00 /0.00 B:0.00 /0.00 @:0 B@:0"
		return nil, true
	case m == 112:
		out.halt = "Printer halted. kill() called!"
		return nil, true
	case m == 280:
		return nil, false
	case m == 3 || m == 4 || m == 5 || m == 0 || m == 1 || m == 2 || m == 30 || m == 7 || m == 8 || m == 9:
		return nil, false
	case marlinNoOps[m]:
		return nil, true
	}
	out.unknown = fmt.Sprintf("M%g", m)
	return nil, true
}

// target converts one axis word to a machine coordinate.
func (in *interp) target(axis int, v float64, machine bool) float64 {
	switch {
	case machine:
		return v
	case in.m.relative:
		return in.pos[axis] + v
	}
	return v + in.m.wcs[axis] + in.m.g92[axis]
}

func (in *interp) work(p vec3) vec3 {
	var w vec3
	for i := range p {
		w[i] = p[i] - in.m.wcs[i] - in.m.g92[i]
	}
	return w
}

// home is where homing leaves the machine: the work-area corner nearest machine zero, Z at the top.
func (in *interp) home() vec3 {
	return vec3{clampF(0, in.area.Min.X, in.area.Max.X), clampF(0, in.area.Min.Y, in.area.Max.Y), in.zmax}
}

func clampF(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

func (in *interp) inside(p vec3) bool {
	const eps = 1e-6
	return in.area.Contains(geom.Point{X: p[0], Y: p[1]}, eps) && p[2] >= in.zmin-eps && p[2] <= in.zmax+eps
}

func (in *interp) clamp(p vec3) vec3 {
	return vec3{clampF(p[0], in.area.Min.X, in.area.Max.X), clampF(p[1], in.area.Min.Y, in.area.Max.Y), clampF(p[2], in.zmin, in.zmax)}
}

// limit applies GRBL's soft limits: a target outside the travel raises ALARM:2.
func (in *interp) limit(p vec3, out *outcome) *lineErr {
	if in.marlin || !in.softLim || in.inside(p) {
		return nil
	}
	out.alarm = 2
	out.blocks = nil
	return nil
}

// move plans a straight move from the parser position to t and advances it.
func (in *interp) move(t vec3, feed float64, lift bool) block {
	feed = math.Min(feed, in.maxRate)
	// Each axis has its maximum rate (GRBL $110-$112): a move is slowed until none exceeds its own.
	if l := in.pos.dist(t); l > 0 && in.zRate > 0 {
		if dz := math.Abs(t[2] - in.pos[2]); dz > 0 {
			feed = math.Min(feed, in.zRate*l/dz)
		}
	}
	b := block{kind: blockMove, from: in.pos, to: t, feed: feed, lift: lift}
	b.dur = moveTime(in.pos.dist(t), feed/60, in.accel)
	in.pos = t
	return b
}

// moveTime is the time of a move of length l that starts and ends at rest, with a trapezoidal
// speed profile: accelerate at a to v, cruise, decelerate (a triangle when l is too short).
func moveTime(l, v, a float64) float64 {
	if l <= 0 || v <= 0 {
		return 0
	}
	if a <= 0 {
		return l / v
	}
	if l >= v*v/a {
		return l/v + v/a
	}
	return 2 * math.Sqrt(l/a)
}

// arc returns the end points of the straight segments that make up a G2/G3 arc in the XY plane,
// segmented as GRBL's mc_arc does.
func (in *interp) arc(t vec3, cw bool, vals map[byte]float64, unit float64) ([]vec3, *lineErr) {
	p := in.pos
	x, y := t[0]-p[0], t[1]-p[1]
	var oi, oj float64
	if r, ok := vals['R']; ok {
		r *= unit
		if x == 0 && y == 0 {
			return nil, fail(33, "arc with R and no motion")
		}
		h := 4*r*r - x*x - y*y
		if h < 0 {
			return nil, fail(34, "arc radius too small")
		}
		h = -math.Sqrt(h) / math.Hypot(x, y)
		if !cw {
			h = -h
		}
		if r < 0 {
			h = -h
		}
		oi, oj = 0.5*(x-y*h), 0.5*(y+x*h)
	} else {
		i, okI := vals['I']
		j, okJ := vals['J']
		if !okI && !okJ {
			return nil, fail(26, "arc without I or J")
		}
		oi, oj = i*unit, j*unit
		tr := math.Hypot(x-oi, y-oj)
		r := math.Hypot(oi, oj)
		if d := math.Abs(tr - r); d > 0.005 && (d > 0.5 || d > 0.001*r) {
			return nil, fail(33, "arc end point off the circle by %.4f mm", d)
		}
	}
	radius := math.Hypot(oi, oj)
	cx, cy := p[0]+oi, p[1]+oj
	r0, r1 := -oi, -oj
	rt0, rt1 := t[0]-cx, t[1]-cy
	travel := math.Atan2(r0*rt1-r1*rt0, r0*rt0+r1*rt1)
	const eps = 5e-7
	if cw {
		if travel >= -eps {
			travel -= 2 * math.Pi
		}
	} else if travel <= eps {
		travel += 2 * math.Pi
	}
	segs := int(math.Floor(math.Abs(0.5*travel*radius) / math.Sqrt(in.arcTol*(2*radius-in.arcTol))))
	if segs > 100000 {
		return nil, fail(33, "arc too long")
	}
	var pts []vec3
	for k := 1; k < segs; k++ {
		a := travel * float64(k) / float64(segs)
		c, s := math.Cos(a), math.Sin(a)
		pts = append(pts, vec3{cx + r0*c - r1*s, cy + r0*s + r1*c, p[2] + (t[2]-p[2])*float64(k)/float64(segs)})
	}
	return append(pts, t), nil
}
