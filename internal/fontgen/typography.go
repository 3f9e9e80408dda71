package fontgen

import (
	"math"

	"github.com/quillpost/quillpost/internal/geom"
)

// Typography fixes for what the sources draw wrong for a handwritten card. Each works on the
// face's own strokes or on strokes drawn here, so that regenerating from the sources gives
// the same result.

// typography applies the fixes that apply to the face.
func (b *builder) typography() {
	b.shortHyphen()
	b.balancedQuotes()
	b.proportionalDigits()
	b.trimLeadIn('S')
	b.ampersand()
	b.eszettDescender()
}

// shortHyphen makes the hyphen clearly shorter than the en dash, as every writer draws it:
// Hershey Script and Sans draw it longer. It keeps its centre and becomes 0.55 of the dash.
func (b *builder) shortHyphen() {
	h, d := b.glyphs['-'], b.glyphs['–']
	if h == nil || d == nil || len(h.paths) == 0 || len(d.paths) == 0 {
		return
	}
	hb, db := pathsBounds(h.paths), pathsBounds(d.paths)
	if hb.W() < 0.8*db.W() || hb.W() == 0 {
		return
	}
	k := 0.55 * db.W() / hb.W()
	cx := (hb.Min.X + hb.Max.X) / 2
	h.paths = transformPaths(h.paths, func(p geom.Point) geom.Point {
		return geom.Point{X: cx + (p.X-cx)*k, Y: p.Y}
	})
	// The side bearings stay; the advance shrinks with the ink.
	h.adv -= hb.W() * (1 - k)
	h.paths = moved(h.paths, geom.Point{X: -hb.W() * (1 - k) / 2})
}

// balancedQuotes redraws “ and ” from the face's comma when its own are much smaller than the
// low quote „ built from commas (EMS Allure's are two short ticks, so „Danke“ opens with a
// large mark and closes with a small one): ” is „ raised to the quotes' height, “ the same
// turned half a turn, as ‘ and ’ are made from the comma.
func (b *builder) balancedQuotes() {
	low, open, closing := b.glyphs['„'], b.glyphs['“'], b.glyphs['”']
	if low == nil || open == nil || closing == nil || len(low.paths) == 0 {
		return
	}
	lb := pathsBounds(low.paths)
	small := func(g *glyph) bool { return len(g.paths) == 0 || pathsBounds(g.paths).H() < 0.75*lb.H() }
	if !small(open) && !small(closing) {
		return
	}
	top := math.Min(pathsBounds(open.paths).Min.Y, pathsBounds(closing.paths).Min.Y)
	cx, cy := (lb.Min.X+lb.Max.X)/2, (lb.Min.Y+lb.Max.Y)/2
	raise := top - lb.Min.Y
	closing.paths = moved(low.paths, geom.Point{Y: raise})
	closing.late = make([]bool, len(closing.paths))
	closing.adv = math.Max(closing.adv, low.adv)
	// Turned half a turn about its centre, then raised by as much: the turned pair's top is
	// the mirror of its bottom.
	dy := top - (cy - (lb.Max.Y - cy))
	open.paths = transformPaths(low.paths, func(p geom.Point) geom.Point {
		return geom.Point{X: 2*cx - p.X, Y: 2*cy - p.Y + dy}
	})
	open.late = make([]bool, len(open.paths))
	open.adv = math.Max(open.adv, low.adv)
}

// digitLean is the lean given to Hershey Script's digits, dx per unit of height (about 8°).
const digitLean = 0.15

// proportionalDigits spaces Hershey Script's digits by their ink (they come from the JHF set
// with the fixed width of tabular figures, so "2026" stands apart like print) and leans them:
// each gets a side bearing of 0.12 x-height, as its neighbouring letters have.
func (b *builder) proportionalDigits() {
	if b.spec.JHF == "" || !b.spec.Cursive {
		return
	}
	side := 0.12 * b.xh
	for r := '0'; r <= '9'; r++ {
		g := b.glyphs[r]
		if g == nil || len(g.paths) == 0 {
			continue
		}
		// Upright digits beside leaning letters look typed: they lean as a hand writes them.
		g.paths = transformPaths(g.paths, func(p geom.Point) geom.Point { return geom.Point{X: p.X - digitLean*p.Y, Y: p.Y} })
		bb := pathsBounds(g.paths)
		g.paths = moved(g.paths, geom.Point{X: side - bb.Min.X})
		g.adv = bb.W() + 2*side
	}
}

// trimLeadIn removes the lead-in of Hershey Script's capital S: its one stroke starts at the
// baseline and runs up beside the spine to the top loop, so the S seems written twice. The
// stroke now starts where the lead-in reaches 0.65 of the cap height.
func (b *builder) trimLeadIn(r rune) {
	g := b.glyphs[r]
	if g == nil || b.spec.JHF == "" || len(g.paths) != 1 || g.paths[0].Start.Y < -0.2*b.caph {
		return
	}
	p := g.paths[0]
	for i, sg := range p.Segs {
		if sg.Kind != geom.Line {
			return
		}
		if sg.P[0].Y <= -0.65*b.caph {
			g.paths[0] = geom.Path{Start: sg.P[0], Segs: append([]geom.Seg(nil), p.Segs[i+1:]...)}
			return
		}
	}
}

// ampersandShape is a handwritten & in one stroke (x right, y up, in cap heights): from the
// foot of the leg, up across the bowl to the top loop, down round the bowl and out to the
// right, as it is written.
var ampersandShape = []geom.Point{
	{X: 0.80, Y: 0.00}, {X: 0.52, Y: 0.30}, {X: 0.30, Y: 0.56}, {X: 0.20, Y: 0.72}, {X: 0.20, Y: 0.88},
	{X: 0.30, Y: 0.98}, {X: 0.44, Y: 0.98}, {X: 0.52, Y: 0.88}, {X: 0.48, Y: 0.74}, {X: 0.32, Y: 0.60},
	{X: 0.14, Y: 0.46}, {X: 0.04, Y: 0.30}, {X: 0.05, Y: 0.12}, {X: 0.18, Y: 0.01}, {X: 0.38, Y: 0.00},
	{X: 0.56, Y: 0.10}, {X: 0.70, Y: 0.26}, {X: 0.80, Y: 0.42},
}

// ampersand redraws & where the source's reads as "Et" (EMS Felix draws the ligature the sign
// comes from, which a reader of a card takes for letters): the shape above at the face's cap
// height and slant.
func (b *builder) ampersand() {
	g := b.glyphs['&']
	if g == nil || b.spec.Name != "felix" {
		return
	}
	slant := b.slant()
	h := b.caph
	path := geom.Path{}
	for i, q := range ampersandShape {
		p := geom.Point{X: q.X*h + q.Y*h*slant, Y: -q.Y * h}
		if i == 0 {
			path.Start = p
			continue
		}
		path.Segs = append(path.Segs, geom.Seg{Kind: geom.Line, P: [3]geom.Point{p}})
	}
	bb := pathsBounds([]geom.Path{path})
	side := 0.1 * b.xh
	g.paths = moved([]geom.Path{path}, geom.Point{X: side - bb.Min.X})
	g.late = []bool{false}
	g.adv = bb.W() + 2*side
}

// slant is the face's lean (dx per unit of height) measured on the stem of its l.
func (b *builder) slant() float64 {
	g := b.glyphs['l']
	if g == nil || len(g.paths) == 0 {
		return 0
	}
	top, bottom := geom.Point{Y: math.Inf(1)}, geom.Point{Y: math.Inf(-1)}
	for _, p := range flatten(g.paths[0]) {
		if p.Y < top.Y {
			top = p
		}
		if p.Y > bottom.Y {
			bottom = p
		}
	}
	if h := bottom.Y - top.Y; h > 0 {
		return math.Max(-0.3, math.Min(0.3, (top.X-bottom.X)/h))
	}
	return 0
}

// eszettDescender gives EMS Allure's ß the descender a written ß has: its stem stops at the
// baseline and hooks back up into the lower bowl, which closes a B ("Ößwald" read "ÖBwald").
// The hook goes; the stem runs on, in its own direction, to half an x-height below the line.
func (b *builder) eszettDescender() {
	g := b.glyphs['ß']
	if g == nil || !b.spec.Cursive || len(g.paths) != 1 {
		return
	}
	// The source may draw it either way round; classify picks the direction later.
	if p, ok := b.stemDescender(g.paths[0]); ok {
		g.paths[0] = p
	} else if p, ok := b.stemDescender(reversePath(g.paths[0])); ok {
		g.paths[0] = p
	}
}

// stemDescender replaces the final hook of p, when p ends with a curved stem reaching the
// baseline and a hook rising from it, by the stem's continuation below the baseline.
func (b *builder) stemDescender(p geom.Path) (geom.Path, bool) {
	n := len(p.Segs)
	if n < 3 {
		return p, false
	}
	stem, hook := p.Segs[n-2], p.Segs[n-1]
	end := stem.End()
	if stem.Kind != geom.Cubic || math.Abs(end.Y) > 0.15*b.xh || hook.End().Y > end.Y-0.2*b.xh {
		return p, false
	}
	d := end.Sub(stem.P[1])
	if d.Y <= 0 {
		return p, false
	}
	tail := end.Add(d.Scale((0.5*b.xh - end.Y) / d.Y))
	segs := append([]geom.Seg(nil), p.Segs[:n-1]...)
	segs = append(segs, geom.Seg{Kind: geom.Line, P: [3]geom.Point{tail}})
	return geom.Path{Start: p.Start, Segs: segs}, true
}
