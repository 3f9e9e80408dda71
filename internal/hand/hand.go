// Package hand lays a text out on a card and writes it the way a person would: it wraps and sizes
// the text for the card format, then places every glyph of a single-stroke face with seeded,
// hierarchical and smooth variation (card → line → word → letter → stroke), joins cursive
// letters into one pen stroke, and returns the pen strokes in millimetres.
//
// The same text, face, hand and seed always give the same strokes, byte for byte: randomness
// comes only from the seed, through a tree of PCG streams keyed by position (see vary.go).
package hand

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
)

// Tolerance is the flattening tolerance in mm: far below a pen's line width (0.3–0.7 mm).
const Tolerance = 0.02

// Align is how lines sit between the margins.
type Align int

const (
	// AlignLeft starts every line at the (drifting) left margin, the block at the top margin.
	AlignLeft Align = iota
	// AlignCenter centres every line and the whole block vertically, as for a short greeting.
	AlignCenter
)

// ParseAlign reads "left" or "center" (or "centre").
func ParseAlign(s string) (Align, error) {
	switch strings.ToLower(s) {
	case "left", "":
		return AlignLeft, nil
	case "center", "centre":
		return AlignCenter, nil
	}
	return AlignLeft, fmt.Errorf("unknown alignment %q; use left or center", s)
}

func (a Align) String() string {
	if a == AlignCenter {
		return "center"
	}
	return "left"
}

// Request is everything a card's strokes depend on.
type Request struct {
	Text   string
	Face   *font.Face
	Format Format
	Hand   Hand
	Seed   uint64
	Align  Align
	// MinXHeight and MaxXHeight (mm) override the hand's size range when not 0.
	MinXHeight, MaxXHeight float64
}

// Card is a written card.
type Card struct {
	Format Format
	// Strokes are pen-down polylines in card millimetres, in writing order: word by word, each
	// word's joined letters first, then its dots and bars.
	Strokes []geom.Stroke
	Word    []int   // parallel to Strokes: the word (0-based over the card; a hyphenated part counts as one)
	Late    []bool  // parallel to Strokes: an i-dot, umlaut, t-bar or accent added after its word
	Line    []int   // parallel to Strokes: the line (0-based, blank lines counted) the stroke is written on
	Glyphs  int     // glyphs with ink written (spaces not counted, added hyphens counted)
	Lines   int     // lines, blank ones included
	XHeight float64 // the x-height chosen, mm
	// Cramped says that the text filled the card so that its lines could be kept apart only by
	// less than a pen's width: their ink may touch (it never crosses).
	Cramped bool
}

// Hash identifies the strokes (to the micrometre): equal hashes mean the same card was written.
func (c *Card) Hash() string { return geom.HashStrokes(c.Strokes) }

// Render lays out and writes req.Text. It fails with *InputError when the text cannot be
// written by the face at all, *FitError when it is too long for the card, and a plain error for
// a bad face, format or hand.
func Render(req Request) (*Card, error) {
	r := renderers.Get().(*renderer)
	defer func() {
		r.release()
		renderers.Put(r)
	}()
	if err := r.reset(req); err != nil {
		return nil, err
	}
	return r.render()
}

// Summary is what accepting a card keeps of its writing: the format, the stroke hash and the
// figures, without the strokes.
type Summary struct {
	Format  Format
	Hash    string // Card.Hash of the card Render writes for the same request
	Glyphs  int
	Lines   int
	XHeight float64
	Cramped bool
}

// RenderSummary writes req as Render does and returns the card's Summary. It hashes the
// renderer's own points instead of copying them into a Card first: intake keeps only the hash,
// and the copy of every point was the largest allocation of accepting a card.
func RenderSummary(req Request) (*Summary, error) {
	r := renderers.Get().(*renderer)
	defer func() {
		r.summary = nil
		r.release()
		renderers.Put(r)
	}()
	if err := r.reset(req); err != nil {
		return nil, err
	}
	sum := &Summary{}
	r.summary = sum
	if _, err := r.render(); err != nil {
		return nil, err
	}
	return sum, nil
}

// renderers recycles the renderers' scratch buffers: a card's layout and point arena are
// reused by the next card, and only the Card itself is allocated per call.
var renderers = sync.Pool{New: func() any { return new(renderer) }}

// prepare returns a fresh renderer for req (tests use it to look inside).
func prepare(req Request) (*renderer, error) {
	r := new(renderer)
	if err := r.reset(req); err != nil {
		return nil, err
	}
	return r, nil
}

// reset checks the request and readies r for it.
func (r *renderer) reset(req Request) error {
	if req.Face == nil {
		return errors.New("render: no font face given")
	}
	if !(req.Face.XHeight > 0) && !(req.Face.UnitsPerEm > 0) {
		return fmt.Errorf("render: font %q has no x-height", req.Face.Name)
	}
	if err := req.Format.Validate(); err != nil {
		return err
	}
	h := req.Hand
	if req.MinXHeight != 0 {
		h.MinXHeight = req.MinXHeight
	}
	if req.MaxXHeight != 0 {
		h.MaxXHeight = req.MaxXHeight
	}
	if err := h.Validate(); err != nil {
		return err
	}
	r.fi, r.h, r.f, r.seed, r.align = infoFor(req.Face), h, req.Format, req.Seed, req.Align
	return scan(req.Text, req.Face, &r.t)
}

// release drops what r must not keep alive in the pool.
func (r *renderer) release() {
	r.fi = nil
	r.trace = nil
}

func (r *renderer) render() (*Card, error) {
	r.measure()
	r.plan()
	r.cramped = false
	lo, hi := r.h.MinXHeight, r.h.MaxXHeight
	availH := r.f.H - r.f.Margin.Top - r.f.Margin.Bottom
	for {
		xh, err := r.chooseSize(lo, hi)
		if err != nil {
			return nil, err
		}
		r.write(xh)
		sep := r.separate(LineClearance, 1)
		if sep.overflow <= 0 {
			r.place(sep)
			return r.card(xh)
		}
		if xh > lo {
			// The lines, kept apart, are taller than the card: a smaller size. The block's
			// height goes about with the size, so one or two steps find it. Sizes on a grid
			// of sizeStep keep a small change of the text from changing the size.
			next := math.Round(math.Floor(xh*availH/(availH+sep.overflow)/sizeStep)*sizeStep*100) / 100
			hi = math.Max(lo, math.Min(next, xh-0.01))
			continue
		}
		return r.squeeze(xh, sep)
	}
}

// sizeStep is the grid of sizes tried when the lines' ink does not fit, mm.
const sizeStep = 0.05

// squeeze writes a text that, at the smallest size, is too tall with the hand's line spacing:
// first the lines come closer than the hand would put them (never closer than their ink
// allows), then, as a last resort, closer than a pen's width. If even that is too tall, the
// text does not fit the card.
func (r *renderer) squeeze(xh float64, sep separation) (*Card, error) {
	best := sep
	for _, try := range []struct {
		clr, share float64
	}{{LineClearance, minPitchShare}, {PenWidth, minPitchShare}, {0.15, 0.3}} {
		sep = r.separate(try.clr, try.share)
		if sep.fitsThrough > best.fitsThrough {
			best = sep
		}
		if sep.overflow <= 0 {
			r.cramped = try.clr < PenWidth
			r.place(sep)
			return r.card(xh)
		}
	}
	need := len(r.lines)
	return nil, &FitError{Format: r.f.Title, LinesNeeded: need, LinesAvailable: min(best.fitsThrough, need-1), XHeight: xh}
}

// card packs the written strokes, after guard has checked that they are on the card. For
// RenderSummary it fills r.summary instead and returns no card.
func (r *renderer) card(xh float64) (*Card, error) {
	if r.summary != nil {
		return nil, r.summarize(xh)
	}
	// One exactly sized copy of the arena backs all strokes of the card.
	pts := append([]geom.Point(nil), r.pts...)
	c := &Card{
		Format:  r.f,
		Strokes: make([]geom.Stroke, len(r.refs)),
		Word:    make([]int, len(r.refs)),
		Late:    make([]bool, len(r.refs)),
		Line:    make([]int, len(r.refs)),
		Glyphs:  r.glyphs,
		Lines:   len(r.lines),
		XHeight: xh,
		Cramped: r.cramped,
	}
	r.clamped, r.refits = 0, 0
	if err := r.guard(pts); err != nil {
		return nil, err
	}
	r.traceCard(pts)
	for i, ref := range r.refs {
		c.Strokes[i] = geom.Stroke(pts[ref.a:ref.b:ref.b])
		c.Word[i] = ref.word
		c.Late[i] = ref.late
	}
	// lineRef[li] is the first stroke of line li: a line's strokes are contiguous.
	li := 0
	for i := range c.Line {
		for li+1 < len(r.lineRef) && r.lineRef[li+1] <= i {
			li++
		}
		c.Line[i] = li
	}
	return c, nil
}

// summarize guards and hashes r.pts in place (the renderer's scratch, dropped after this card):
// the same points card would copy, so the same hash.
func (r *renderer) summarize(xh float64) error {
	r.clamped, r.refits = 0, 0
	if err := r.guard(r.pts); err != nil {
		return err
	}
	r.traceCard(r.pts)
	strokes := r.views[:0]
	for _, ref := range r.refs {
		strokes = append(strokes, geom.Stroke(r.pts[ref.a:ref.b:ref.b]))
	}
	r.views = strokes[:0]
	*r.summary = Summary{Format: r.f, Hash: geom.HashStrokes(strokes), Glyphs: r.glyphs, Lines: len(r.lines),
		XHeight: xh, Cramped: r.cramped}
	clear(strokes) // the pool must not keep the points alive through these
	return nil
}

// edge is how close to the card's edge ink may come when guard has to move it.
const edge = 1.0

// guard makes sure every point is a number on the card. The margins keep the writing well
// inside, so normally this is one pass that finds the ink's box inside the card. Otherwise the
// whole writing is moved and, if need be, shrunk (one similarity transform, so the hand is
// unchanged) to stay edge mm clear of the edges: possible only with hand parameters at their
// limits or glyphs reaching far out. Clamping single points is the last resort.
func (r *renderer) guard(pts []geom.Point) error {
	if len(pts) == 0 {
		return nil
	}
	minX, minY, maxX, maxY := pts[0].X, pts[0].Y, pts[0].X, pts[0].Y
	for _, p := range pts {
		if p.X-p.X != 0 || p.Y-p.Y != 0 { // NaN or ±Inf
			return fmt.Errorf("render: font %q produced a point that is not a number", r.fi.face.Name)
		}
		if p.X < minX {
			minX = p.X
		} else if p.X > maxX {
			maxX = p.X
		}
		if p.Y < minY {
			minY = p.Y
		} else if p.Y > maxY {
			maxY = p.Y
		}
	}
	w, h := r.f.W, r.f.H
	if minX >= 0 && maxX <= w && minY >= 0 && maxY <= h {
		return nil
	}
	lo, hiX, hiY := edge, w-edge, h-edge
	k := math.Min(1, math.Min((hiX-lo)/math.Max(maxX-minX, 1e-9), (hiY-lo)/math.Max(maxY-minY, 1e-9)))
	// Scale about the box's top-left corner, then shift the box inside.
	nx := math.Min(math.Max(minX, lo), hiX-(maxX-minX)*k)
	ny := math.Min(math.Max(minY, lo), hiY-(maxY-minY)*k)
	r.refits++
	for i := range pts {
		p := &pts[i]
		p.X = nx + (p.X-minX)*k
		p.Y = ny + (p.Y-minY)*k
		if p.X < 0 || p.X > w || p.Y < 0 || p.Y > h {
			r.clamped++
			p.X = min(max(p.X, 0), w)
			p.Y = min(max(p.Y, 0), h)
		}
	}
	return nil
}
