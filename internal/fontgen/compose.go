package fontgen

import (
	"fmt"
	"math"
	"slices"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
)

// composeMissing builds every required character the source lacks, and the extra accented
// letters of the decomposition table, from strokes the face already has. Composed glyphs are
// flagged so that a reader can tell them from the designer's. What cannot be composed (its
// ingredients are missing) is listed in the report, and required characters still missing
// after that in Report.Missing, which the generator treats as an error.
func (b *builder) composeMissing() {
	composers := []struct {
		r rune
		f func() (*glyph, error)
	}{
		{'‚', b.lowQuote1}, {'„', b.lowQuote2}, {'’', b.rightQuote}, {'‘', b.leftQuote},
		{'…', b.ellipsis}, {'œ', func() (*glyph, error) { return b.ligature('œ', 'o', 'e', 0.05) }},
		{'Œ', func() (*glyph, error) { return b.ligature('Œ', 'O', 'E', 0.12) }},
		{'‹', func() (*glyph, error) { return b.guillemet('‹', '<', 1) }},
		{'›', func() (*glyph, error) { return b.guillemet('›', '>', 1) }},
		{'«', func() (*glyph, error) { return b.guillemet('«', '‹', 2) }},
		{'»', func() (*glyph, error) { return b.guillemet('»', '›', 2) }},
	}
	for _, c := range composers {
		if _, ok := b.glyphs[c.r]; ok {
			continue
		}
		g, err := c.f()
		if err != nil {
			b.rep.Uncomposable = append(b.rep.Uncomposable, fmt.Sprintf("%q: %v", c.r, err))
			continue
		}
		g.composed, g.lateKnown = true, true
		b.glyphs[c.r] = g
	}
	rs := make([]rune, 0, len(decompositions))
	for r := range decompositions {
		rs = append(rs, r)
	}
	slices.Sort(rs)
	for _, r := range rs {
		if _, ok := b.glyphs[r]; ok {
			continue
		}
		g, err := b.accented(r, decompositions[r])
		if err != nil {
			b.rep.Uncomposable = append(b.rep.Uncomposable, fmt.Sprintf("%q: %v", r, err))
			continue
		}
		b.glyphs[r] = g
	}
	for _, r := range font.RequiredRunes() {
		if _, ok := b.glyphs[r]; !ok {
			b.rep.Missing = append(b.rep.Missing, r)
		}
	}
}

func (b *builder) need(r rune) (*glyph, error) {
	g, ok := b.glyphs[r]
	if !ok || len(g.paths) == 0 {
		return nil, fmt.Errorf("it needs %q, which the face lacks", r)
	}
	return g, nil
}

// copyGlyph returns a deep enough copy of g's strokes moved by d, none late.
func moved(paths []geom.Path, d geom.Point) []geom.Path { return transformPaths(paths, translate(d)) }

func newGlyph(r rune, adv float64, paths []geom.Path) *glyph {
	return &glyph{r: r, adv: adv, paths: paths, late: make([]bool, len(paths))}
}

// lowQuote1 is ‚: the comma itself, the form a German low quote takes in handwriting.
func (b *builder) lowQuote1() (*glyph, error) {
	c, err := b.need(',')
	if err != nil {
		return nil, err
	}
	return newGlyph('‚', c.adv, moved(c.paths, geom.Point{})), nil
}

// quoteGap is the distance between the two marks of a double quote, taken from ” when the
// face has it so that „ matches the face's own quotes.
func (b *builder) quoteGap(c *glyph) float64 {
	cw := pathsBounds(c.paths).W()
	if q, ok := b.glyphs['”']; ok && len(q.paths) >= 2 {
		bb := pathsBounds(q.paths)
		mid := (bb.Min.X + bb.Max.X) / 2
		var left, right []geom.Path
		for _, p := range q.paths {
			if pb := pathsBounds([]geom.Path{p}); (pb.Min.X+pb.Max.X)/2 < mid {
				left = append(left, p)
			} else {
				right = append(right, p)
			}
		}
		if len(left) > 0 && len(right) > 0 {
			if d := pathsBounds(right).Min.X - pathsBounds(left).Min.X; d > cw*0.8 {
				return d
			}
		}
	}
	return cw + 0.15*b.xh
}

// lowQuote2 is „: two commas.
func (b *builder) lowQuote2() (*glyph, error) {
	c, err := b.need(',')
	if err != nil {
		return nil, err
	}
	dx := b.quoteGap(c)
	paths := append(moved(c.paths, geom.Point{}), moved(c.paths, geom.Point{X: dx})...)
	return newGlyph('„', c.adv+dx, paths), nil
}

// quoteTop is where raised quotes start: the top of the face's ” or, lacking it, the cap height.
func (b *builder) quoteTop() float64 {
	if q, ok := b.glyphs['”']; ok && len(q.paths) > 0 {
		return pathsBounds(q.paths).Min.Y
	}
	return -b.caph
}

// rightQuote is ’: the comma raised to the quotes' height.
func (b *builder) rightQuote() (*glyph, error) {
	c, err := b.need(',')
	if err != nil {
		return nil, err
	}
	bb := pathsBounds(c.paths)
	return newGlyph('’', c.adv, moved(c.paths, geom.Point{Y: b.quoteTop() - bb.Min.Y})), nil
}

// leftQuote is ‘: the comma turned half a turn about its centre and raised, the way the
// English opening quote mirrors the closing one.
func (b *builder) leftQuote() (*glyph, error) {
	c, err := b.need(',')
	if err != nil {
		return nil, err
	}
	bb := pathsBounds(c.paths)
	cx, cy := (bb.Min.X+bb.Max.X)/2, (bb.Min.Y+bb.Max.Y)/2
	top := b.quoteTop()
	dy := top - (cy - (bb.Max.Y - cy)) // the turned comma's top is the mirror of its bottom
	paths := transformPaths(c.paths, func(p geom.Point) geom.Point {
		return geom.Point{X: 2*cx - p.X, Y: 2*cy - p.Y + dy}
	})
	return newGlyph('‘', c.adv, paths), nil
}

// ellipsis is …: three periods at the period's own spacing, a little tightened.
func (b *builder) ellipsis() (*glyph, error) {
	p, err := b.need('.')
	if err != nil {
		return nil, err
	}
	step := math.Max(p.adv*0.8, pathsBounds(p.paths).W()+0.1*b.xh)
	var paths []geom.Path
	for k := 0; k < 3; k++ {
		paths = append(paths, moved(p.paths, geom.Point{X: float64(k) * step})...)
	}
	return newGlyph('…', p.adv+2*step, paths), nil
}

// ligature sets second after first so that their ink overlaps by overlap×x-height (œ, Œ).
func (b *builder) ligature(r, first, second rune, overlap float64) (*glyph, error) {
	a, err := b.need(first)
	if err != nil {
		return nil, err
	}
	c, err := b.need(second)
	if err != nil {
		return nil, err
	}
	ab, cb := pathsBounds(a.body()), pathsBounds(c.body())
	dx := ab.Max.X - cb.Min.X - overlap*b.xh
	paths := append(moved(a.body(), geom.Point{}), moved(c.body(), geom.Point{X: dx})...)
	return newGlyph(r, dx+c.adv, paths), nil
}

// guillemet makes ‹ › from < > (scaled to sit in the x-height) or « » from two ‹ ›.
func (b *builder) guillemet(r, from rune, copies int) (*glyph, error) {
	src, err := b.need(from)
	if err != nil {
		return nil, err
	}
	paths := moved(src.paths, geom.Point{})
	adv := src.adv
	bb := pathsBounds(paths)
	if copies == 1 {
		// < and > span most of the cap height; a single guillemet spans about 60 % of the x-height.
		s := 0.6 * b.xh / bb.H()
		cy := (bb.Min.Y + bb.Max.Y) / 2
		paths = transformPaths(paths, func(p geom.Point) geom.Point {
			return geom.Point{X: bb.Min.X + (p.X-bb.Min.X)*s, Y: -0.5*b.xh + (p.Y-cy)*s}
		})
		adv = src.adv*s + (1-s)*bb.Min.X
		return newGlyph(r, adv, paths), nil
	}
	dx := bb.W() + 0.1*b.xh
	paths = append(paths, moved(src.paths, geom.Point{X: dx})...)
	return newGlyph(r, adv+dx, paths), nil
}

// accented composes base + mark. The mark's strokes come from the face's spacing accents
// (´ ` ^ ¨ ~ ° ¸ ˘ and the period), so they share its pen style; they are centred over the
// top of the base letter (which follows the slant of italic faces) and marked late.
func (b *builder) accented(r rune, d decomposition) (*glyph, error) {
	base, ok := b.glyphs[d.base]
	if !ok && d.base == 'ı' {
		base, ok = b.glyphs['i'] // the dotless i is the i without its late dot
	}
	if !ok {
		return nil, fmt.Errorf("it needs the base letter %q", d.base)
	}
	body := base.body()
	if len(body) == 0 {
		return nil, fmt.Errorf("the base letter %q has no strokes", d.base)
	}
	mark, err := b.markPaths(d.mark)
	if err != nil {
		return nil, err
	}
	bb := pathsBounds(body)
	mb := pathsBounds(mark)
	band := 0.25 * bb.H()
	var anchor float64
	var dy float64
	if d.mark.below() {
		anchor = bandCentre(body, func(p geom.Point) bool { return p.Y >= bb.Max.Y-band })
		if d.mark == markOgonek {
			anchor = bandMaxX(body, func(p geom.Point) bool { return p.Y >= bb.Max.Y-band }) - mb.W()/2
		}
		dy = bb.Max.Y - 0.02*b.xh - mb.Min.Y
	} else {
		anchor = bandCentre(body, func(p geom.Point) bool { return p.Y <= bb.Min.Y+band })
		dy = bb.Min.Y - 0.15*b.xh - mb.Max.Y
	}
	dx := anchor - (mb.Min.X+mb.Max.X)/2
	markPaths := moved(mark, geom.Point{X: dx, Y: dy})
	g := newGlyph(r, base.adv, append(moved(body, geom.Point{}), markPaths...))
	for i := len(body); i < len(g.paths); i++ {
		g.late[i] = true
	}
	g.composed, g.lateKnown = true, true
	return g, nil
}

func bandCentre(paths []geom.Path, in func(geom.Point) bool) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range paths {
		for _, q := range flatten(p) {
			if in(q) {
				lo, hi = math.Min(lo, q.X), math.Max(hi, q.X)
			}
		}
	}
	return (lo + hi) / 2
}

func bandMaxX(paths []geom.Path, in func(geom.Point) bool) float64 {
	hi := math.Inf(-1)
	for _, p := range paths {
		for _, q := range flatten(p) {
			if in(q) {
				hi = math.Max(hi, q.X)
			}
		}
	}
	return hi
}

// markPaths returns a diacritic's strokes in the face's style, at a size for a lower-case
// letter. Marks taken from full-size glyphs (^ ~ °) are scaled down to accent size.
func (b *builder) markPaths(m markKind) ([]geom.Path, error) {
	fromGlyph := func(r rune, maxW float64) ([]geom.Path, error) {
		g, err := b.need(r)
		if err != nil {
			return nil, err
		}
		paths := moved(g.paths, geom.Point{})
		if bb := pathsBounds(paths); maxW > 0 && bb.W() > maxW {
			s := maxW / bb.W()
			paths = transformPaths(paths, func(p geom.Point) geom.Point {
				return geom.Point{X: bb.Min.X + (p.X-bb.Min.X)*s, Y: bb.Min.Y + (p.Y-bb.Min.Y)*s}
			})
		}
		return paths, nil
	}
	switch m {
	case markAcute:
		return fromGlyph('´', 0.45*b.xh)
	case markGrave:
		return fromGlyph('`', 0.45*b.xh)
	case markCircumflex:
		return fromGlyph('^', 0.5*b.xh)
	case markCaron:
		p, err := fromGlyph('^', 0.5*b.xh)
		if err != nil {
			return nil, err
		}
		bb := pathsBounds(p)
		return transformPaths(p, func(q geom.Point) geom.Point {
			return geom.Point{X: q.X, Y: bb.Min.Y + bb.Max.Y - q.Y}
		}), nil
	case markDiaeresis:
		return fromGlyph('¨', 0.6*b.xh)
	case markTilde:
		return fromGlyph('~', 0.55*b.xh)
	case markRing:
		return fromGlyph('°', 0.35*b.xh)
	case markCedilla:
		return fromGlyph('¸', 0.4*b.xh)
	case markOgonek:
		p, err := fromGlyph('¸', 0.4*b.xh)
		if err != nil {
			return nil, err
		}
		bb := pathsBounds(p)
		return transformPaths(p, func(q geom.Point) geom.Point {
			return geom.Point{X: bb.Min.X + bb.Max.X - q.X, Y: q.Y}
		}), nil
	case markBreve:
		return fromGlyph('˘', 0.5*b.xh)
	case markDotAbove:
		return fromGlyph('.', 0)
	case markDoubleAcute:
		a, err := fromGlyph('´', 0.35*b.xh)
		if err != nil {
			return nil, err
		}
		dx := pathsBounds(a).W()*0.6 + 0.12*b.xh
		return append(a, moved(a, geom.Point{X: dx})...), nil
	}
	return nil, fmt.Errorf("unknown mark %d", m)
}
