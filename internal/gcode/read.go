package gcode

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/quillpost/quillpost/internal/gcode/syntax"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/profile"
)

// Reader limits: arcs are expanded finely enough that the expansion is not what a comparison
// measures, and a hostile program cannot make the reader allocate without bound.
const (
	ReadArcTolerance = 0.002    // mm: chord sagitta of expanded arcs
	maxReadPoints    = 20000000 // points over the whole program
	maxArcSegments   = 1 << 16
	arcEpsilon       = 5e-7 // rad: GRBL's ARC_ANGULAR_TRAVEL_EPSILON
)

// Read reconstructs the pen-down paths a program draws, in card coordinates (the inverse of the
// profile's placement), as the simulator and verification need them. It tracks the modal state
// (G0/G1/G2/G3, G90/G91, G20/G21) and recognises the pen by the profile's own pen commands in
// any spelling, or, for a Z-axis pen, by Z: the pen is down when Z is nearer the profile's down
// position than its up position. A move draws when the pen is down at both its ends. Arcs are
// expanded the way GRBL reads them (centre from I/J or R, the same sweep rule) within
// ReadArcTolerance. A program that leaves the pen down still returns its last path.
func Read(lines []string, p *profile.Profile) ([]geom.Stroke, error) {
	d, err := ReadDrawn(lines, p)
	return d.Strokes, err
}

// Drawn is what a program draws, with what a plot-time estimate needs to time it as the
// firmware will: the feed each drawing move carries and the dwell after each pen-down.
type Drawn struct {
	Strokes []geom.Stroke // card mm, as Read returns them
	// Feeds[i][k] is the feed (mm/min) of the move that ends at Strokes[i][k], as the F words
	// last set it before that move (0 when no F was given yet); Feeds[i][0] is 0.
	Feeds [][]float64
	// Dwells[i] is how long (s, as written) the program dwells after stroke i's pen goes down,
	// before it draws: the G4 dwells between the pen-down and the first drawing move.
	Dwells []float64
}

// ReadDrawn is Read with the feeds and pen-down dwells of what is drawn.
func ReadDrawn(lines []string, p *profile.Profile) (Drawn, error) {
	if p == nil {
		return Drawn{}, errors.New("read G-code: no firmware profile")
	}
	if err := p.Validate(); err != nil {
		return Drawn{}, fmt.Errorf("read G-code: %w", err)
	}
	r := newReader(p)
	for n, raw := range lines {
		if err := r.line(raw); err != nil {
			return Drawn{}, fmt.Errorf("read G-code: line %d: %w", n+1, err)
		}
	}
	r.lift()
	for _, s := range r.out {
		for i, m := range s {
			s[i] = p.ToCard(m)
		}
	}
	return Drawn{Strokes: r.out, Feeds: r.outFeeds, Dwells: r.outDwells}, nil
}

type reader struct {
	p                *profile.Profile
	upKeys, downKeys map[string]bool
	zMid             float64

	pos       geom.Point // machine mm
	knownX    bool
	knownY    bool
	z         float64
	knownZ    bool
	abs       bool
	scale     float64 // 1 for G21, 25.4 for G20
	motion    int     // 0, 1, 2, 3
	servoDown bool
	down      bool
	cur       geom.Stroke
	out       []geom.Stroke
	points    int

	feed      float64 // mm/min, modal
	curFeeds  []float64
	curDwell  float64
	outFeeds  [][]float64
	outDwells []float64
}

func newReader(p *profile.Profile) *reader {
	r := &reader{p: p, abs: true, scale: 1, upKeys: map[string]bool{}, downKeys: map[string]bool{}}
	r.zMid = (p.PenUp.Position + p.PenDown.Position) / 2
	up, down := map[string]bool{}, map[string]bool{}
	for _, l := range append(slices.Clone(p.PenUp.Commands), p.PenRest.Commands...) {
		if b, err := syntax.Parse(l); err == nil {
			up[b.Canonical()] = true
		}
	}
	for _, l := range p.PenDown.Commands {
		if b, err := syntax.Parse(l); err == nil {
			down[b.Canonical()] = true
		}
	}
	for k := range up {
		if !down[k] {
			r.upKeys[k] = true
		}
	}
	for k := range down {
		if !up[k] {
			r.downKeys[k] = true
		}
	}
	return r
}

// penDown reports the pen's state from the actuator the profile uses.
func (r *reader) penDown() bool {
	if r.p.Actuator == profile.ActuatorZ {
		return r.knownZ && r.z <= r.zMid
	}
	return r.servoDown
}

// update starts or ends the current path after the pen state may have changed.
func (r *reader) update() error {
	now := r.penDown()
	switch {
	case now && !r.down:
		if !r.knownX || !r.knownY {
			return errors.New("the pen goes down at an unknown position (no absolute X and Y since the start or since homing)")
		}
		r.down = true
		r.cur = geom.Stroke{r.pos}
		r.curFeeds = []float64{0}
		r.curDwell = 0
		r.points++
	case !now && r.down:
		r.lift()
	}
	return nil
}

func (r *reader) lift() {
	if r.down {
		r.out = append(r.out, r.cur)
		r.outFeeds = append(r.outFeeds, r.curFeeds)
		r.outDwells = append(r.outDwells, r.curDwell)
		r.cur, r.curFeeds = nil, nil
		r.down = false
	}
}

func (r *reader) add(pt geom.Point) error {
	if pt == r.cur[len(r.cur)-1] {
		return nil
	}
	r.points++
	if r.points > maxReadPoints {
		return fmt.Errorf("the program expands to more than %d points", maxReadPoints)
	}
	r.cur = append(r.cur, pt)
	r.curFeeds = append(r.curFeeds, r.feed)
	return nil
}

func (r *reader) line(raw string) error {
	line := strings.TrimSpace(raw)
	if line == "" {
		return nil
	}
	if line[0] == '$' {
		// GRBL system commands: $H homes (the position is unknown until the next absolute
		// move); the others are settings and queries that move nothing.
		if strings.EqualFold(line, "$H") {
			if r.down {
				return errors.New("homes with the pen down")
			}
			r.knownX, r.knownY, r.knownZ = false, false, false
		}
		return nil
	}
	blk, err := syntax.Parse(line)
	if err != nil {
		return err
	}
	if len(blk.Words) == 0 {
		return nil
	}
	return r.block(blk)
}

func (r *reader) block(blk syntax.Block) error {
	motion, moves, home := r.motion, false, false
	for _, w := range blk.Words {
		switch w.Letter {
		case 'G':
			switch w.Value {
			case 0, 1, 2, 3:
				motion, moves = int(w.Value), true
			case 4, 17, 94:
			case 18, 19:
				return errors.New("only the XY plane (G17) is supported")
			case 20:
				r.scale = 25.4
			case 21:
				r.scale = 1
			case 90:
				r.abs = true
			case 91:
				r.abs = false
			case 28:
				home = true
			default:
				return fmt.Errorf("unsupported command G%g", w.Value)
			}
		case 'M', 'F', 'S', 'P', 'N', '*', 'T', 'X', 'Y', 'Z', 'I', 'J', 'R':
		default:
			return fmt.Errorf("word %c is not supported", w.Letter)
		}
	}
	if r.p.Actuator == profile.ActuatorServo && blk.Count('X')+blk.Count('Y')+blk.Count('Z') == 0 {
		// Pen commands (which never move an axis) take effect before the block's motion, as
		// GRBL orders a block.
		key := blk.Canonical()
		if r.upKeys[key] {
			r.servoDown = false
		} else if r.downKeys[key] {
			r.servoDown = true
		}
		if err := r.update(); err != nil {
			return err
		}
	}
	if f, ok := blk.Get('F'); ok && f >= 0 {
		r.feed = f * r.scale
	}
	if home {
		if r.down {
			return errors.New("homes with the pen down")
		}
		r.knownX, r.knownY, r.knownZ = false, false, false
		return nil
	}
	if blk.Has('G', 4) {
		// P is the dwell, not an axis: seconds on GRBL, milliseconds on Marlin and Klipper
		// (whose S gives seconds).
		if r.down && len(r.cur) == 1 {
			r.curDwell += r.dwellSeconds(blk)
		}
		return nil
	}
	x, hx := blk.Get('X')
	y, hy := blk.Get('Y')
	z, hz := blk.Get('Z')
	r.motion = motion
	if !hx && !hy && !hz {
		if moves && motion >= 2 {
			return errors.New("an arc needs an end point")
		}
		return nil
	}
	from, fromKnown := r.pos, r.knownX && r.knownY
	wasDown := r.down
	to := r.pos
	r.axis(&to.X, &r.knownX, x, hx)
	r.axis(&to.Y, &r.knownY, y, hy)
	r.axis(&r.z, &r.knownZ, z, hz)
	r.pos = to
	if motion >= 2 {
		if !fromKnown || !r.knownX || !r.knownY {
			return errors.New("an arc from or to an unknown position")
		}
		return r.arc(blk, from, to, motion == 2, wasDown)
	}
	if wasDown && r.penDown() {
		if err := r.add(to); err != nil {
			return err
		}
	}
	return r.update()
}

// dwellSeconds is how long a G4 block asks to dwell, in the profile's dialect.
func (r *reader) dwellSeconds(blk syntax.Block) float64 {
	var secs float64
	if r.p.DwellMilliseconds() {
		if s, ok := blk.Get('S'); ok {
			secs = s
		} else if ms, ok := blk.Get('P'); ok {
			secs = ms / 1000
		}
	} else if s, ok := blk.Get('P'); ok {
		secs = s
	}
	if !(secs > 0) || math.IsInf(secs, 0) {
		return 0
	}
	return secs
}

// axis applies one axis word in the current distance mode and units.
func (r *reader) axis(v *float64, known *bool, word float64, has bool) {
	if !has {
		return
	}
	word *= r.scale
	if r.abs {
		*v, *known = word, true
	} else {
		*v += word
	}
}

// arc expands a G2 (cw) or G3 move from from to to, as GRBL computes it.
func (r *reader) arc(blk syntax.Block, from, to geom.Point, cw, wasDown bool) error {
	var cx, cy float64
	if rad, ok := blk.Get('R'); ok {
		rad *= r.scale
		x, y := to.X-from.X, to.Y-from.Y
		h2 := 4*rad*rad - x*x - y*y
		if h2 < 0 || (x == 0 && y == 0) {
			return errors.New("the arc's radius cannot reach its end point")
		}
		h := -math.Sqrt(h2) / math.Hypot(x, y)
		if !cw {
			h = -h
		}
		if rad < 0 {
			h = -h
		}
		cx, cy = from.X+0.5*(x-y*h), from.Y+0.5*(y+x*h)
	} else {
		i, hi := blk.Get('I')
		j, hj := blk.Get('J')
		if !hi && !hj {
			return errors.New("an arc needs I and J or R")
		}
		cx, cy = from.X+i*r.scale, from.Y+j*r.scale
	}
	rs := math.Hypot(from.X-cx, from.Y-cy)
	rt := math.Hypot(to.X-cx, to.Y-cy)
	if rs == 0 || math.IsNaN(rs) || math.IsInf(rs, 0) {
		return errors.New("the arc has no radius")
	}
	if dr := math.Abs(rt - rs); dr > 0.005 && dr > 0.001*rs {
		return fmt.Errorf("the arc's end lies %.4f mm off its circle", dr)
	}
	if !(wasDown && r.penDown()) {
		return r.update()
	}
	sx, sy := from.X-cx, from.Y-cy
	tx, ty := to.X-cx, to.Y-cy
	sweep := math.Atan2(sx*ty-sy*tx, sx*tx+sy*ty)
	if cw {
		if sweep >= -arcEpsilon {
			sweep -= 2 * math.Pi
		}
	} else if sweep <= arcEpsilon {
		sweep += 2 * math.Pi
	}
	segs := 1
	if rs > ReadArcTolerance {
		seg := 2 * math.Sqrt(ReadArcTolerance*(2*rs-ReadArcTolerance))
		segs = int(math.Ceil(math.Abs(sweep) * rs / seg))
	}
	if segs > maxArcSegments || segs < 1 {
		return fmt.Errorf("the arc needs more than %d segments", maxArcSegments)
	}
	start := math.Atan2(sy, sx)
	for k := 1; k < segs; k++ {
		a := start + sweep*float64(k)/float64(segs)
		if err := r.add(geom.Point{X: cx + rs*math.Cos(a), Y: cy + rs*math.Sin(a)}); err != nil {
			return err
		}
	}
	if err := r.add(to); err != nil {
		return err
	}
	return r.update()
}
