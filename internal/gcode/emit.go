package gcode

import (
	"errors"
	"fmt"
	"math"

	"github.com/quillpost/quillpost/internal/gcode/syntax"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/profile"
)

// Options tunes one program.
type Options struct {
	// Title is user text (a recipient's name, an order reference). It reaches the program only
	// as one sanitised comment line; see SanitizeTitle.
	Title string
	// Arcs fits G2/G3 arcs to runs of points that lie on a circle within the profile's
	// tolerance, when the profile allows arcs.
	Arcs bool
	// Ink varies the drawing feed along every stroke and the pen-down dwell per stroke, as a
	// hand does (see ink.go); without it every line draws at the profile's draw feed.
	Ink bool
}

// Program is a complete G-code program, one command or comment per line.
type Program struct {
	Lines    []string // without line terminators
	PenLifts int      // strokes drawn: each is one pen-down and one pen-up
	Arcs     int      // G2/G3 moves
}

// Stats are the figures a caller reports about a program.
type Stats struct {
	Lines    int `json:"gcode_lines"`
	Bytes    int `json:"gcode_bytes"`
	PenLifts int `json:"pen_lifts"`
	Arcs     int `json:"arcs"`
}

// Bytes returns the program as a file: every line followed by "\n", so the last command is
// terminated too and a sender never waits on it.
func (p *Program) Bytes() []byte {
	n := 0
	for _, l := range p.Lines {
		n += len(l) + 1
	}
	b := make([]byte, 0, n)
	for _, l := range p.Lines {
		b = append(b, l...)
		b = append(b, '\n')
	}
	return b
}

// Stats counts the program's lines and bytes (as Bytes writes them).
func (p *Program) Stats() Stats {
	s := Stats{Lines: len(p.Lines), PenLifts: p.PenLifts, Arcs: p.Arcs}
	for _, l := range p.Lines {
		s.Bytes += len(l) + 1
	}
	return s
}

// BoundsError reports a point that would leave the profile's work area. Emit returns it before
// writing a single line, so a card that does not fit never becomes a partial program.
type BoundsError struct {
	Profile string
	Stroke  int // 0-based index into the strokes given to Emit
	Point   int // 0-based index into that stroke
	Card    geom.Point
	Machine geom.Point // after placement and rounding to the profile's precision
	Bound   string     // "min_x", "max_x", "min_y" or "max_y"
	Limit   float64
}

func (e *BoundsError) Error() string {
	return fmt.Sprintf("stroke %d point %d at card (%.3f, %.3f) lands at machine (%.3f, %.3f), outside the %s work area: %s is %g",
		e.Stroke, e.Point, e.Card.X, e.Card.Y, e.Machine.X, e.Machine.Y, e.Profile, e.Bound, e.Limit)
}

// Emit writes the G-code program that draws strokes (card mm, in the order given: the planner
// has already ordered them) on a machine described by p. Every point is placed, rounded to the
// profile's precision and checked against its work area before anything is written; the first
// point outside is returned as a *BoundsError. The output is deterministic: same input, same
// bytes.
func Emit(strokes []geom.Stroke, p *profile.Profile, o Options) (*Program, error) {
	if p == nil {
		return nil, errors.New("emit G-code: no firmware profile")
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("emit G-code: %w", err)
	}
	g := newGrid(p.Precision)
	placed, npts, err := place(strokes, p, g)
	if err != nil {
		return nil, err
	}

	e := &emitter{p: p, g: g, feed: math.NaN()}
	e.ends = make([]int, 0, npts+8*len(placed)+len(p.Start)+len(p.End)+8)
	e.text = make([]byte, 0, 16*cap(e.ends))
	e.raw(fmt.Sprintf("; quillpost %s", p.Name))
	if t := SanitizeTitle(o.Title); t != "" {
		e.raw("; title: " + t)
	}
	for _, l := range p.Start {
		e.command(l)
	}
	upDwell, downDwell := p.PenDwellSeconds()
	// The start sequence leaves the pen at rest; from there it goes to its travel height, just
	// clear of the card, and stays between that and the card until the last stroke is drawn.
	e.pen(p.PenUp, p.FirstLiftDwellSeconds())

	arcs := o.Arcs && p.Arcs
	if o.Ink {
		e.ink = &inkState{seed: inkSeed(placed)}
	}
	var moves []move
	for _, s := range placed {
		e.travel(s[0])
		dwell := downDwell
		if e.ink != nil {
			dwell = e.ink.beginStroke(downDwell)
		}
		e.pen(p.PenDown, dwell)
		moves = planMoves(s, g, p.Tolerance, p.WorkArea, arcs, moves[:0])
		for _, m := range moves {
			e.draw(m)
		}
		e.pen(p.PenUp, upDwell)
		e.prog.PenLifts++
	}
	// Parking the pen at rest needs no dwell: it only moves away from the card.
	for _, l := range p.PenRest.Commands {
		e.command(l)
	}
	for _, l := range p.End {
		e.command(l)
	}
	e.prog.Lines = e.finish()
	return &e.prog, nil
}

// place maps every point to the machine grid and checks it against the work area. Consecutive
// points that round to the same grid point are merged: a zero-length move does nothing but
// cost a line. Empty strokes draw nothing and are dropped.
func place(strokes []geom.Stroke, p *profile.Profile, g grid) ([][]ipt, int, error) {
	w := p.WorkArea
	out := make([][]ipt, 0, len(strokes))
	total := 0
	for si, s := range strokes {
		if len(s) == 0 {
			continue
		}
		pts := make([]ipt, 0, len(s))
		for pi, c := range s {
			m := p.ToMachine(c)
			x, okx := g.snap(m.X)
			y, oky := g.snap(m.Y)
			if !okx || !oky {
				return nil, 0, fmt.Errorf("stroke %d point %d: coordinate (%g, %g) is not a usable number", si, pi, c.X, c.Y)
			}
			mx, my := g.mm(x), g.mm(y)
			var bound string
			var limit float64
			switch {
			case mx < w.Min.X:
				bound, limit = "min_x", w.Min.X
			case mx > w.Max.X:
				bound, limit = "max_x", w.Max.X
			case my < w.Min.Y:
				bound, limit = "min_y", w.Min.Y
			case my > w.Max.Y:
				bound, limit = "max_y", w.Max.Y
			}
			if bound != "" {
				return nil, 0, &BoundsError{Profile: p.Name, Stroke: si, Point: pi, Card: c,
					Machine: geom.Point{X: mx, Y: my}, Bound: bound, Limit: limit}
			}
			q := ipt{x, y}
			if len(pts) > 0 && pts[len(pts)-1] == q {
				continue
			}
			pts = append(pts, q)
		}
		total += len(pts)
		out = append(out, pts)
	}
	return out, total, nil
}

// emitter writes lines and tracks the modal state the next line depends on: the position (to
// leave out unchanged axes) and the feed (to give F only when it changes). The program text
// grows in one buffer and is cut into lines at the end: two allocations instead of one per line.
type emitter struct {
	p    *profile.Profile
	g    grid
	text []byte
	ends []int // end offset of each line in text
	prog Program

	pos      ipt
	posKnown bool
	feed     float64   // NaN until a line sets it
	ink      *inkState // nil: steady feed and dwell
}

func (e *emitter) endLine() { e.ends = append(e.ends, len(e.text)) }

func (e *emitter) raw(line string) {
	e.text = append(e.text, line...)
	e.endLine()
}

// finish returns the lines, all slices of one string.
func (e *emitter) finish() []string {
	all := string(e.text)
	lines := make([]string, len(e.ends))
	start := 0
	for i, end := range e.ends {
		lines[i] = all[start:end]
		start = end
	}
	return lines
}

// command writes a profile line (validated on load) and applies its effect on position and feed.
func (e *emitter) command(line string) {
	e.raw(line)
	if line == "$H" {
		e.posKnown = false
		return
	}
	blk, err := syntax.Parse(line)
	if err != nil {
		// Unreachable for a validated profile; forget the state rather than trust it.
		e.posKnown, e.feed = false, math.NaN()
		return
	}
	if f, ok := blk.Get('F'); ok {
		e.feed = f
	}
	if blk.Has('G', 28) {
		e.posKnown = false
		return
	}
	x, hx := blk.Get('X')
	y, hy := blk.Get('Y')
	if !hx && !hy {
		return
	}
	// Start and end moves are absolute (validation requires G21 and G90 first). A move that
	// sets one axis only leaves the other as it was; if that was unknown, so is the position.
	nx, okx := e.g.snap(x)
	ny, oky := e.g.snap(y)
	if hx && hy && okx && oky {
		e.pos, e.posKnown = ipt{nx, ny}, true
		return
	}
	if e.posKnown && hx && okx {
		e.pos.x = nx
	} else if e.posKnown && hy && oky {
		e.pos.y = ny
	} else {
		e.posKnown = false
	}
}

func (e *emitter) pen(m profile.PenMove, dwell float64) {
	for _, l := range m.Commands {
		e.command(l)
	}
	if dwell <= 0 {
		return
	}
	// Round up to the millisecond: a dwell may be a little long, never short.
	ms := math.Ceil(dwell*1000 - 1e-9)
	if e.p.DwellMilliseconds() {
		e.raw("G4 P" + formatNumber(ms, 0))
	} else {
		e.raw("G4 P" + formatNumber(ms/1000, 3))
	}
}

// axes appends " X.. Y.." for the axes that change (both when the position is unknown).
func (e *emitter) axes(to ipt, both bool) {
	if both || !e.posKnown || to.x != e.pos.x {
		e.text = append(e.text, " X"...)
		e.text = e.g.appendTo(e.text, to.x)
	}
	if both || !e.posKnown || to.y != e.pos.y {
		e.text = append(e.text, " Y"...)
		e.text = e.g.appendTo(e.text, to.y)
	}
}

func (e *emitter) feedWord(f float64) {
	if e.feed != f {
		e.text = append(e.text, " F"...)
		e.text = append(e.text, formatNumber(f, 3)...)
		e.feed = f
	}
}

func (e *emitter) travel(to ipt) {
	if e.posKnown && e.pos == to {
		return
	}
	e.text = append(e.text, "G0"...)
	e.axes(to, false)
	if e.p.RapidUsesFeed() {
		e.feedWord(e.p.TravelFeed)
	}
	e.endLine()
	e.pos, e.posKnown = to, true
}

func (e *emitter) draw(m move) {
	switch {
	case !m.arc:
		e.text = append(e.text, "G1"...)
		e.axes(m.to, false)
	case m.ccw:
		e.text = append(e.text, "G3"...)
	default:
		e.text = append(e.text, "G2"...)
	}
	if m.arc {
		// Arcs always carry both end axes and both centre offsets: unambiguous on every dialect.
		e.axes(m.to, true)
		e.text = append(e.text, " I"...)
		e.text = e.g.appendTo(e.text, m.i)
		e.text = append(e.text, " J"...)
		e.text = e.g.appendTo(e.text, m.j)
		e.prog.Arcs++
	}
	e.feedWord(e.drawFeed(m))
	e.endLine()
	e.pos, e.posKnown = m.to, true
}

// drawFeed is the feed for move m: the profile's draw feed, or with ink a hand's varying pace
// (the chord of an arc stands for its direction and length).
func (e *emitter) drawFeed(m move) float64 {
	if e.ink == nil {
		return e.p.DrawFeed
	}
	dx, dy := e.g.mm(m.to.x-e.pos.x), e.g.mm(m.to.y-e.pos.y)
	l := math.Hypot(dx, dy)
	if l > 0 {
		dx, dy = dx/l, dy/l
	}
	return e.ink.feed(e.p.DrawFeed, l, dx, dy)
}
