package hand

import (
	"math"

	"github.com/quillpost/quillpost/internal/geom"
)

// renderer holds one Render call's state. Points are written into one arena (pts); a stroke is a
// range of it, so a card costs a few allocations however many strokes it has.
type renderer struct {
	fi    *faceInfo
	h     Hand
	f     Format
	seed  uint64
	align Align

	t              text
	adv, kern, cum []float64
	breaks         [][]breakAt
	broken         []uint8
	pieces         []piece
	lines          []line

	// Writing state.
	xh, s    float64 // x-height in mm, mm per font unit
	cardKey  uint64
	varKey   uint64
	pts      []geom.Point
	refs     []strokeRef
	views    []geom.Stroke // RenderSummary's strokes over pts, reused
	summary  *Summary      // set by RenderSummary: card fills it instead of making a Card
	lineRef  []int         // per line, the index in refs of its first stroke
	linePts  [][2]int      // per line, its points in pts
	bases    []float64     // per line, the baseline it was written at (before separate moves it)
	inks     []lineInk     // per line, its ink profile (separate)
	shifts   []float64     // per line, how far separate moves it down
	moves    []float64     // per line, how far separate and place moved it down in the end
	floor    []float64     // separate's running profile of the lowest ink
	estFloor []float64     // estimateFits' running profile
	estLine  [][2]float64  // estimateFits' profile of one line
	cramped  bool          // the lines had to come closer than the clearance
	squeezed float64       // the strongest squeeze keepInside applied (1: none; tests read it)

	// The card's plan (see plan).
	cardScale, cardSlope, trend, cardSlant float64
	leftOff, rightSlack                    float64
	pitchK, wordK, topShare, rag           float64
	side                                   []geom.Point
	deferred                               []strokeRef // ranges of side: strokes waiting for the open chain to finish
	late                                   []strokeRef // ranges of side: the current word's late strokes
	glyphs                                 int
	clamped                                int // points the final guard had to move onto the card (tests expect none)
	refits                                 int // times guard had to move the writing inside the card

	chainOpen   bool
	chainStart  int
	chainAtExit bool       // the open chain ends at a glyph's exit and may be joined on
	exitDir     geom.Point // unit direction of the pen at that exit

	used    []variantUse // variants already written in the current word
	usedAlt []variantUse // a captured face's real variants already written in the current word
	near    []nearInk    // ink segments near the mark clearMarks is placing
	// The current word's body strokes per glyph (copies, in body), for clearMarks.
	body      []geom.Point
	bodyRefs  []strokeRef
	bodyBox   []geom.Rect // parallel to bodyRefs
	wordGlyph int
	prevGlyph *glyphInfo // the glyph written last in the current word, nil at its start

	// Every instance's check points, chained per letter bucket: the near-copy guard.
	sigs    []sigRec
	sigHead [256]int32 // 1-based index of the bucket's latest record, 0 when empty

	// trace, for tests, receives every written glyph's own strokes (no connectors) where they
	// are on the card: after the layout has moved words and lines, squeezed long lines and
	// guard has moved the writing, not where they were first put. Comparing ink as first put
	// with ink as it ended up measures the layout's moves, not the letters.
	trace       func(r rune, strokes []geom.Stroke)
	traceGlyphs []tracedGlyph
	traceRefs   []traceRef
	tracePend   []int // indices in traceRefs of strokes still in side
}

// tracedGlyph is one written glyph's strokes: traceRefs[a:b].
type tracedGlyph struct {
	c    rune
	a, b int
}

// traceRef is a range of pts, or of side while the stroke waits there to be written.
type traceRef struct {
	a, b int
	side bool
}

type strokeRef struct {
	a, b  int
	word  int
	late  bool
	glyph int  // for the current word's late strokes: the glyph (within the word) they belong to
	above bool // a late stroke above the letter (a dot, accent or bar), which clearMarks may move
}

type sigRec struct {
	c    rune
	p    [sigPoints]geom.Point
	next int32 // 1-based index of the bucket's previous record
}

type variantUse struct {
	r    rune
	mask uint64
}

// lineGeom is one written line's baseline: a slope, a gentle bow and a slow wave, all smooth in x.
type lineGeom struct {
	x0, length, base       float64
	slope, bend            float64
	a1, k1, p1, a2, k2, p2 float64 // wave amplitudes (mm), wavenumbers (rad/mm) and phases
}

// y returns the baseline at x and its slope dy/dx there.
func (l *lineGeom) y(x float64) (float64, float64) {
	t := (x - l.x0) / l.length
	bend, dbend := 0.0, 0.0
	if t > 0 && t < 1 {
		bend = l.bend * 4 * t * (1 - t)
		dbend = l.bend * 4 * (1 - 2*t) / l.length
	}
	s1, c1 := math.Sincos(l.k1*x + l.p1)
	s2, c2 := math.Sincos(l.k2*x + l.p2)
	y := l.base + l.slope*(x-l.x0) + bend + l.a1*s1 + l.a2*s2
	dy := l.slope + dbend + l.a1*l.k1*c1 + l.a2*l.k2*c2
	return y, dy
}

const deg = math.Pi / 180

// thinShare is a thin space's width as a share of the face's space.
const thinShare = 0.5

// plan draws what a writer settles once per card, before the first word: overall size and
// slant, the slope shared by all lines, how the left margin drifts, where the lines end on the
// right, how far apart the lines and words are, how far down the writing starts.
func (r *renderer) plan() {
	h := &r.h
	r.cardKey = child(r.seed, levelCard, 0)
	r.varKey = child(r.cardKey, levelVariant, 0)
	cs := newStream(r.cardKey)
	r.cardScale = 1 + 0.5*h.WordScaleJitter*cs.g()
	r.cardSlope = h.CardSlope * cs.g()
	r.trend = h.MarginTrend * cs.g()
	r.cardSlant = h.Slant + 0.3*h.SlantJitter*cs.g()
	// The left margin a writer keeps is set by eye, a few mm either way of the format's.
	r.leftOff = math.Max(-0.3, math.Min(0.3, (0.5+h.MarginDrift)*cs.g()/r.f.Margin.Left)) * r.f.Margin.Left
	// The right edge: some writers fill the line, some stop short.
	r.rightSlack = 0.25 * r.f.Margin.Right * cs.u()
	r.pitchK = 1 + 0.05*cs.g()
	r.wordK = 1 + 0.4*h.WordSpacingJitter*cs.g()
	r.topShare = cs.u()
	r.rag = 0.05
}

// write places every line, word and letter at x-height xh.
func (r *renderer) write(xh float64) {
	h := &r.h
	r.xh, r.s = xh, xh/r.fi.xh
	r.traceGlyphs, r.traceRefs, r.tracePend = r.traceGlyphs[:0], r.traceRefs[:0], r.tracePend[:0]

	r.pts = r.pts[:0]
	r.refs = r.refs[:0]
	r.deferred = r.deferred[:0]
	r.chainOpen, r.chainAtExit = false, false
	r.side = r.side[:0]
	r.glyphs = 0
	r.sigs = r.sigs[:0]
	r.sigHead = [256]int32{}

	pitch := r.pitch(xh) * r.pitchK
	fl := r.f
	left := fl.Margin.Left + r.leftOff
	right := fl.W - fl.Margin.Right
	// Lines start at the top margin; separate and place move them down as their ink needs.
	top := fl.Margin.Top + r.fi.asc*r.s
	space := r.fi.spaceAdvance * h.WordSpacing * r.wordK * r.s
	drift, tilt := 0.0, 0.0
	word := 0
	r.squeezed = 1
	r.lineRef = r.lineRef[:0]
	r.linePts = r.linePts[:0]
	r.bases = r.bases[:0]
	sig := r.signatureLine()
	for li, ln := range r.lines {
		r.lineRef = append(r.lineRef, len(r.refs))
		a := len(r.pts)
		lk := child(r.cardKey, levelLine, li)
		ls := newStream(lk)
		// The margin drifts smoothly and lines stay roughly parallel: each line keeps most of
		// the previous line's offset and tilt (AR(1) processes with the hand's sd).
		drift = 0.8*drift + 0.6*h.MarginDrift*ls.g()
		tilt = 0.7*tilt + 0.714*h.LineSlope*ls.g()
		// Words of one line are spaced alike: the line sets the gap, each word varies it a little.
		lineSpace := space * math.Max(0.6, 1+0.6*h.WordSpacingJitter*ls.g())
		scale, slant := r.cardScale, r.cardSlant
		x0 := left + drift + r.trend*float64(li)/math.Max(8, float64(len(r.lines)-1))
		if li == sig {
			// A signature is written with its own gesture: a size, lean and place of its own.
			ss := newStream(child(r.cardKey, levelSignature, 0))
			scale *= 1 + 0.05*ss.g()
			slant += 2.5 * ss.g()
			if room := right - x0 - ln.width*r.s*scale; room > 0 && ss.u() > 0.35 {
				x0 += room * 0.6 * ss.u()
			}
		}
		if r.align == AlignCenter {
			x0 = left + (right-left-ln.width*r.s*scale)/2 + drift
		}
		base := top + float64(li)*pitch + h.LineSpacingJitter*xh*ls.g()
		r.bases = append(r.bases, base)
		lg := lineGeom{
			x0:     x0,
			length: math.Max(ln.width*r.s, xh),
			base:   base,
			slope:  math.Tan((r.cardSlope + tilt) * deg),
			bend:   h.LineBend * xh * ls.g(),
		}
		wl := h.WanderWavelength * (0.75 + 0.5*ls.u())
		lg.a1 = h.BaselineWander * xh * (0.6 + 0.4*ls.u())
		lg.k1 = 2 * math.Pi / wl
		lg.p1 = 2 * math.Pi * ls.u()
		lg.a2 = lg.a1 * (0.3 + 0.3*ls.u())
		lg.k2 = lg.k1 * (2.1 + 0.6*ls.u())
		lg.p2 = 2 * math.Pi * ls.u()

		x, ink, inkAll := x0, 0.0, 0.0
		for pi := ln.p0; pi < ln.p1; pi++ {
			wk := child(lk, levelWord, pi-ln.p0)
			ws := newStream(wk)
			p := r.pieces[pi]
			first := r.fi.glyph(r.t.runes[p.a])
			gap := 0.0
			if pi > ln.p0 {
				gap = inkSpace * lineSpace * math.Max(0.75, 1+0.35*h.WordSpacingJitter*ws.g())
				// Where the pen would go by the glyphs' advances; moved below to the gap.
				lead := 0.0
				if first != nil {
					lead = -math.Min(0, first.coreMinX) * r.s
				}
				x = math.Max(x+gap, ink+gap+lead)
			} else if first != nil {
				// A line's ink starts at the margin, lead-in stroke included.
				x -= math.Min(0, first.minX) * r.s
			}
			wa := len(r.pts)
			x0w := x
			x, _ = r.writeWord(p, wk, &ws, x, &lg, word, scale, slant)
			word++
			// A writer spaces by the ink: the gap between the body of the last word (its
			// x-height band, where the eye measures) and the body of this one is the line's
			// gap, whatever the letters' side bearings, leaning stems or lead-in strokes.
			e, ok := r.wordEdges(wa, &lg, x0w)
			if !ok {
				continue
			}
			if pi > ln.p0 {
				// Flourishes, loops and bars outside the band keep a smaller gap.
				dx := math.Max(ink+gap-e.bandL, inkAll+0.6*gap-e.allL)
				for i := wa; i < len(r.pts); i++ {
					r.pts[i].X += dx
				}
				x += dx
				e.bandR += dx
				e.allR += dx
			}
			ink, inkAll = e.bandR, e.allR
		}
		r.linePts = append(r.linePts, [2]int{a, len(r.pts)})
		if r.align == AlignCenter && a < len(r.pts) {
			// Centre the ink as written (words are spaced by their ink, not their advances).
			e, _ := r.wordEdges(a, &lg, x0)
			dx := (left+right)/2 + drift - (e.allL+e.allR)/2
			for i := a; i < len(r.pts); i++ {
				r.pts[i].X += dx
			}
			x0 += dx
		}
		r.keepInside(li, x0, right)
	}
}

// inkSpace is the gap between two words' ink as a share of the hand's word space, which is
// an advance (side bearings included).
const inkSpace = 1.25

// edges are a written word's ink extremes: in the x-height band and over all its ink.
type edges struct{ bandL, bandR, allL, allR float64 }

// wordEdges measures the word written from point a on. The band is measured from a baseline
// straightened at x (the wave is gentle over a word); a word with no ink in the band (an
// apostrophe, a dash written high) is measured by all its ink. False if it has no points.
func (r *renderer) wordEdges(a int, lg *lineGeom, x float64) (edges, bool) {
	if a >= len(r.pts) {
		return edges{}, false
	}
	y0, dy := lg.y(x)
	top, bot := -1.0*r.xh, 0.35*r.xh
	e := edges{bandL: math.Inf(1), bandR: math.Inf(-1), allL: math.Inf(1), allR: math.Inf(-1)}
	for _, p := range r.pts[a:] {
		if p.X < e.allL {
			e.allL = p.X
		}
		if p.X > e.allR {
			e.allR = p.X
		}
		if v := p.Y - (y0 + dy*(p.X-x)); v >= top && v <= bot {
			if p.X < e.bandL {
				e.bandL = p.X
			}
			if p.X > e.bandR {
				e.bandR = p.X
			}
		}
	}
	if e.bandL > e.bandR {
		e.bandL, e.bandR = e.allL, e.allR
	}
	return e, true
}

// signatureLine is the line holding the signature, or -1: the last line of a text of several
// lines when it is a short paragraph of its own (a name, "Deine Lotte").
func (r *renderer) signatureLine() int {
	n := len(r.lines)
	if n < 3 || r.align == AlignCenter || len(r.t.paras) < 2 {
		return -1
	}
	last := r.t.paras[len(r.t.paras)-1]
	ln := r.lines[n-1]
	if ln.p0 == ln.p1 || last.b-last.a > 4 || ln.p1-ln.p0 != last.b-last.a {
		return -1
	}
	if r.pieces[ln.p0].a != r.t.words[last.a].a {
		return -1 // the paragraph wrapped: more than a signature
	}
	return n - 1
}

// keepInside squeezes line li towards its start x0 when its ink reaches past right: the wrap
// width leaves room for the usual variation, this catches the rare line that still runs long,
// the way a writer crowds the last letters of a line.
func (r *renderer) keepInside(li int, x0, right float64) {
	a, b := r.linePts[li][0], r.linePts[li][1]
	maxX := math.Inf(-1)
	for _, p := range r.pts[a:b] {
		if p.X > maxX {
			maxX = p.X
		}
	}
	if maxX <= right || maxX <= x0 {
		return
	}
	k := (right - x0) / (maxX - x0)
	r.squeezed = math.Min(r.squeezed, k)
	for i := a; i < b; i++ {
		r.pts[i].X = x0 + (r.pts[i].X-x0)*k
	}
}

// writeWord writes one piece of a word starting at pen position x and returns the pen position
// after it and the right edge of its ink in the x-height band.
func (r *renderer) writeWord(p piece, wk uint64, ws *stream, x float64, lg *lineGeom, word int, cardScale, cardSlant float64) (float64, float64) {
	h := &r.h
	wScale := cardScale * (1 + h.WordScaleJitter*ws.g())
	wBase := h.WordBaseline * r.xh * ws.g()
	wSlant := cardSlant + 0.3*h.SlantJitter*ws.g()
	r.used = r.used[:0]
	r.usedAlt = r.usedAlt[:0]
	r.late = r.late[:0]
	r.closeChain(word)
	r.body, r.bodyRefs, r.bodyBox, r.wordGlyph, r.prevGlyph = r.body[:0], r.bodyRefs[:0], r.bodyBox[:0], 0, nil
	rho := h.Correlation
	q := math.Sqrt(1 - rho*rho)
	var e [4]float64 // letter jitter, correlated along the word: scale, baseline, rotation, slant
	n := p.b - p.a
	if p.hyphen {
		n++
	}
	prev := rune(-1)
	ink := x
	for k := range n {
		var c rune
		kern := 0.0
		if k < p.b-p.a {
			c = r.t.runes[p.a+k]
			if k > 0 {
				kern = r.kern[p.a+k]
			}
		} else {
			c = '-'
			kern = r.fi.kern(prev, c)
		}
		prev = c
		if c == nbsp || c == thin {
			r.closeChain(word)
			r.chainAtExit = false
			if c == thin {
				x += thinShare * r.fi.spaceAdvance * r.s * wScale
			} else {
				x += r.fi.spaceAdvance * h.WordSpacing * r.s * wScale
			}
			continue
		}
		gi := r.fi.glyph(c)
		if gi == nil { // only '-' can be missing here, when the face has no hyphen
			continue
		}
		x += kern * r.s * wScale
		lk := child(wk, levelLetter, k)
		if len(gi.alts) > 0 {
			// A real variant first (a captured hand's other samples), from its own stream so
			// that the letter's jitter below draws the same numbers whichever is chosen.
			as := newStream(child(lk, levelAlternate, 0))
			if v := pickFrom(&r.usedAlt, c, 1+len(gi.alts), &as); v > 0 {
				gi = gi.alts[v-1]
			}
		}
		ls := newStream(lk)
		for i := range e {
			e[i] = rho*e[i] + q*ls.g()
		}
		scale := wScale * (1 + h.ScaleJitter*e[0])
		if gi.hasInk {
			ox := x + h.LetterSpacingJitter*r.xh*ls.g()
			oy, dy := lg.y(ox)
			oy += wBase + h.BaselineJitter*r.xh*e[1]
			angle := math.Atan(dy) + h.RotationJitter*deg*e[2]
			slant := math.Tan((wSlant + h.SlantJitter*e[3]) * deg)
			r.writeGlyph(gi, c, lk, &ls, geom.Point{X: ox, Y: oy}, angle, scale, slant, word)
			r.prevGlyph = gi
			r.glyphs++
			ink = math.Max(ink, ox+gi.coreMaxX*r.s*scale)
		}
		x += gi.g.Advance * r.s * wScale * (1 + 0.5*h.ScaleJitter*e[0])
	}
	r.closeChain(word)
	r.clearMarks()
	for _, l := range r.late {
		a := len(r.pts)
		r.pts = append(r.pts, r.side[l.a:l.b]...)
		r.refs = append(r.refs, strokeRef{a: a, b: len(r.pts), word: word, late: true})
		r.tracedMoved(l.a, a, len(r.pts))
	}
	r.late = r.late[:0]
	r.side = r.side[:0]
	return x, ink
}

// warp maps font units to card mm for one glyph instance: four smooth, low-order displacement
// modes over the glyph's box (in font units: a vertical bow and S-wave across its width, a
// horizontal bulge and S-wave up its height) followed by an affine map.
type warp struct {
	bx, by, ibw, ibh   float64
	bow, sx, bulge, sy float64    // mode amplitudes, font units
	m                  [6]float64 // x' = m0 x + m1 y + m2, y' = m3 x + m4 y + m5
}

func (w *warp) at(p geom.Point) geom.Point {
	u, v := (p.X-w.bx)*w.ibw, (p.Y-w.by)*w.ibh
	bu, bv := bump(u), bump(v)
	x := p.X + w.bulge*bv + w.sy*2.6*(1-2*v)*bv
	y := p.Y + w.bow*bu + w.sx*2.6*(1-2*u)*bu
	return geom.Point{X: w.m[0]*x + w.m[1]*y + w.m[2], Y: w.m[3]*x + w.m[4]*y + w.m[5]}
}

// then returns the warp followed by the affine map a (in mm).
func (w warp) then(a [6]float64) warp {
	m := w.m
	w.m = [6]float64{
		a[0]*m[0] + a[1]*m[3], a[0]*m[1] + a[1]*m[4], a[0]*m[2] + a[1]*m[5] + a[2],
		a[3]*m[0] + a[4]*m[3], a[3]*m[1] + a[4]*m[4], a[3]*m[2] + a[4]*m[5] + a[5],
	}
	return w
}

// pickVariant chooses one of the hand's glyph variants for c, never one already used for c in
// this word until all have been used.
func (r *renderer) pickVariant(c rune, ls *stream) int {
	return pickFrom(&r.used, c, r.h.Variants, ls)
}

// pickFrom chooses one of nv variants of c, never one already in *used for c until all of
// them have been used, and records it there.
func pickFrom(used *[]variantUse, c rune, nv int, ls *stream) int {
	full := uint64(1)<<nv - 1
	var u *variantUse
	for i := range *used {
		if (*used)[i].r == c {
			u = &(*used)[i]
			break
		}
	}
	if u == nil {
		*used = append(*used, variantUse{r: c})
		u = &(*used)[len(*used)-1]
	}
	if u.mask == full {
		u.mask = 0
	}
	free := nv
	for m := u.mask; m != 0; m &= m - 1 {
		free--
	}
	k := ls.intn(free)
	for v := range nv {
		if u.mask&(1<<v) != 0 {
			continue
		}
		if k == 0 {
			u.mask |= 1 << v
			return v
		}
		k--
	}
	return 0
}

// writeGlyph writes one glyph instance with its origin (left end of its baseline) at o.
func (r *renderer) writeGlyph(gi *glyphInfo, c rune, lk uint64, ls *stream, o geom.Point, angle, scale, slant float64, word int) {
	h := &r.h
	// The variant: a fixed smooth warp per (card, letter, variant).
	v := r.pickVariant(c, ls)
	vs := newStream(child(r.varKey, uint64(c), v))
	va, vw := h.VariantAffine, h.VariantWarp
	vp := instParams{
		sx: va * vs.g(), sy: va * vs.g(), shear: va * vs.g(), rot: 0.6 * va * vs.g(),
		bow: vw * vs.g(), bulge: vw * vs.g(), sxm: 0.6 * vw * vs.g(), sym: 0.6 * vw * vs.g(),
	}
	// On top, this instance's own small warp; drawn again (from the same stream, so still
	// deterministic) in the rare case that it comes out a near copy of an earlier instance.
	var w warp
	var sig [sigPoints]geom.Point
	for try := 0; ; try++ {
		w = r.instanceWarp(gi, vp, ls, o, angle, scale, slant)
		r.signature(gi, &w, &sig)
		if try == 3 || len(gi.sig) == 0 || !r.stamped(c, &sig) {
			break
		}
	}
	r.remember(c, &sig)

	traceA := len(r.traceRefs)
	// Main strokes in writing order, joined to the previous letter when the hand does.
	openHere := false // the open chain ends at this glyph's exit
	for i, si := range gi.order {
		sw := w
		if i > 0 {
			// A stroke begun after a pen lift lands a little off, differently each time: as far
			// as in every shipped hand, less in a hand asked to vary its letters less.
			ss := newStream(child(lk, levelStroke, si))
			land := 0.03 * r.xh * min(1, h.InstanceWarp/0.012)
			sw = w.then([6]float64{1, 0, land * ss.g(), 0, 1, land * ss.g()})
		}
		p := gi.paths[si]
		start := sw.at(p.Start)
		switch {
		case i == 0 && si == gi.in && r.canJoin(gi, lk, start):
			r.join(p, &sw, start)
		case openHere:
			// The stroke that entered also leaves (gi.in == gi.out): keep the chain open for
			// the next letter and write this stroke after the pen lifts.
			a := len(r.side)
			r.side = emit(p, &sw, r.side)
			r.side = ensureTwo(r.side, a)
			r.deferred = append(r.deferred, strokeRef{a: a, b: len(r.side), word: word})
			r.traced(a, len(r.side), true)
			r.keepBody(r.side[a:])
			continue
		default:
			r.closeChain(word)
			r.chainOpen, r.chainStart = true, len(r.pts)
			r.pts = emit(p, &sw, r.pts)
			r.pts = ensureTwo(r.pts, r.chainStart)
			r.traced(r.chainStart, len(r.pts), false)
			r.keepBody(r.pts[r.chainStart:])
		}
		r.chainAtExit = si == gi.out && gi.joinOut
		openHere = r.chainAtExit
		if r.chainAtExit {
			r.exitDir = tailDir(r.pts[r.chainStart:])
		}
	}
	// Late strokes: after the word, each landing a little off its ideal place.
	for k, si := range gi.late {
		ls := newStream(child(lk, levelStroke, si+1000))
		st := gi.paths[si]
		mid := w.at(geom.Point{X: (st.Start.X + st.End().X) / 2, Y: (st.Start.Y + st.End().Y) / 2})
		dx := (h.LateShift + h.LateJitter*ls.g()) * r.xh
		dy := 0.7 * h.LateJitter * ls.g() * r.xh
		turn := h.LateTurn * deg * ls.sym()
		stretch := 1 + 0.06*min(1, h.LateJitter/0.07)*ls.g()
		sn, cn := math.Sincos(turn)
		a := [6]float64{stretch * cn, -stretch * sn, 0, stretch * sn, stretch * cn, 0}
		a[2] = mid.X + dx - (a[0]*mid.X + a[1]*mid.Y)
		a[5] = mid.Y + dy - (a[3]*mid.X + a[4]*mid.Y)
		lw := w.then(a)
		start := len(r.side)
		r.side = emit(st, &lw, r.side)
		r.side = ensureTwo(r.side, start)
		r.late = append(r.late, strokeRef{a: start, b: len(r.side), word: word, late: true, glyph: r.wordGlyph,
			above: gi.floating[k]})
		r.traced(start, len(r.side), true)
	}
	if r.trace != nil {
		r.traceGlyphs = append(r.traceGlyphs, tracedGlyph{c: c, a: traceA, b: len(r.traceRefs)})
	}
	r.wordGlyph++
}

// instParams are the warp parameters of a variant, relative (affine) and in x-heights (modes).
type instParams struct {
	sx, sy, shear, rot   float64
	bow, bulge, sxm, sym float64
}

// instanceWarp adds the instance's own jitter to the variant's warp and places the glyph with
// its origin (left end of its baseline) at o, turned by angle, scaled and slanted.
func (r *renderer) instanceWarp(gi *glyphInfo, vp instParams, ls *stream, o geom.Point, angle, scale, slant float64) warp {
	iw := r.h.InstanceWarp
	fxh := r.fi.xh
	sx := 1 + vp.sx + iw*ls.g()
	sy := 1 + vp.sy + iw*ls.g()
	shear := vp.shear + iw*ls.g() + slant
	rot := vp.rot + angle
	w := warp{
		bx: gi.minX, by: gi.minY, ibw: 1 / (gi.maxX - gi.minX), ibh: 1 / (gi.maxY - gi.minY),
		bow:   (vp.bow + iw*ls.g()) * fxh,
		bulge: (vp.bulge + iw*ls.g()) * fxh,
		sx:    (vp.sxm + iw*ls.g()) * fxh,
		sy:    (vp.sym + iw*ls.g()) * fxh,
	}
	// Affine about the pivot c0 = (box centre, half x-height): scale, lean, turn; then to mm.
	cx, cy := (gi.minX+gi.maxX)/2, -fxh/2
	sn, cn := math.Sincos(rot)
	k := r.s * scale
	a0, a1 := cn*sx, (-cn*shear-sn)*sy
	a3, a4 := sn*sx, (-sn*shear+cn)*sy
	// Where the pivot lands: o + s·R(angle)·c0 (the glyph turns with the line about its origin).
	sa, ca := math.Sincos(angle)
	px := o.X + r.s*(ca*cx-sa*cy)
	py := o.Y + r.s*(sa*cx+ca*cy)
	w.m = [6]float64{
		k * a0, k * a1, px - k*(a0*cx+a1*cy),
		k * a3, k * a4, py - k*(a3*cx+a4*cy),
	}
	return w
}

// signature places the glyph's outline points through w and resamples them to sigPoints
// points evenly spaced along the outline, relative to its start: comparing by arc length means
// that a warp which only slides points along a straight stroke does not count as a difference.
func (r *renderer) signature(gi *glyphInfo, w *warp, sig *[sigPoints]geom.Point) {
	n := len(gi.sig)
	if n == 0 {
		return
	}
	var pts [sigSource]geom.Point
	var cum [sigSource]float64
	pts[0] = w.at(gi.sig[0])
	for k := 1; k < n; k++ {
		pts[k] = w.at(gi.sig[k])
		dx, dy := pts[k].X-pts[k-1].X, pts[k].Y-pts[k-1].Y
		cum[k] = cum[k-1] + math.Sqrt(dx*dx+dy*dy)
	}
	total := cum[n-1]
	seg := 1
	for k := range sigPoints {
		d := total * float64(k) / (sigPoints - 1)
		for seg < n-1 && cum[seg] < d {
			seg++
		}
		p := pts[0]
		if n > 1 {
			l := cum[seg] - cum[seg-1]
			t := 0.0
			if l > 0 {
				t = math.Min(1, math.Max(0, (d-cum[seg-1])/l))
			}
			p = pts[seg-1].Add(pts[seg].Sub(pts[seg-1]).Scale(t))
		}
		sig[k] = p.Sub(pts[0])
	}
}

// stamped reports whether an earlier instance of the same letter on this card (any variant:
// on a plain stroke two variants can coincide) has every check point within 2 % of the
// x-height of this one's: a near copy, which the test for stamped letters (1 %, over the whole
// outline) would catch.
func (r *renderer) stamped(c rune, sig *[sigPoints]geom.Point) bool {
	lim := 0.02 * r.xh
	lim *= lim
	seen := 0
	for i := r.sigHead[sigBucket(c)] - 1; i >= 0; i = r.sigs[i].next - 1 {
		e := &r.sigs[i]
		if e.c != c {
			continue
		}
		if seen++; seen > maxCompared {
			break // a pathological text of one letter repeated: bound the work
		}
		close := true
		for k := range sig {
			dx, dy := e.p[k].X-sig[k].X, e.p[k].Y-sig[k].Y
			if dx*dx+dy*dy > lim {
				close = false
				break
			}
		}
		if close {
			return true
		}
	}
	return false
}

// maxCompared bounds the near-copy check to the latest instances of a letter: a real card has
// far fewer of any letter (an "e" is about one glyph in six), so it compares with all of them.
const maxCompared = 160

func (r *renderer) remember(c rune, sig *[sigPoints]geom.Point) {
	b := sigBucket(c)
	r.sigs = append(r.sigs, sigRec{c: c, p: *sig, next: r.sigHead[b]})
	r.sigHead[b] = int32(len(r.sigs))
}

func sigBucket(c rune) int { return int(uint32(c)) & (len(renderer{}.sigHead) - 1) }

// canJoin decides whether the pen stays down from the open chain's end into the entry stroke
// of gi, which starts at start: both letters must join, the gap must be a letter's width at
// most, and now and then the hand lifts anyway.
func (r *renderer) canJoin(gi *glyphInfo, lk uint64, start geom.Point) bool {
	if !r.chainOpen || !r.chainAtExit || !gi.joinIn || (r.prevGlyph != nil && !r.fi.joinable(r.prevGlyph, gi)) {
		return false
	}
	end := r.pts[len(r.pts)-1]
	d := end.Dist(start)
	if d > 2.5*r.xh || start.X < end.X-0.5*r.xh {
		return false
	}
	// Lift now and then, but only where the letters nearly meet: a lift across a long
	// connector would leave a gap inside the word that no writer leaves.
	if d > 0.4*r.xh {
		return true
	}
	js := newStream(child(lk, levelJoin, 0))
	return js.u() >= r.h.BreakChance
}

// join appends a connector and then p (through w, starting at start) to the open chain: a
// cubic leaving the previous exit along the pen's direction and arriving along the entry
// stroke's.
func (r *renderer) join(p geom.Path, w *warp, start geom.Point) {
	p0 := r.pts[len(r.pts)-1]
	d := p0.Dist(start)
	if d > 0.05 {
		t1 := headDir(p, w, start)
		hl := math.Min(0.4*d, r.xh)
		seg := [1]geom.Seg{{Kind: geom.Cubic, P: [3]geom.Point{p0.Add(r.exitDir.Scale(hl)), start.Sub(t1.Scale(hl)), start}}}
		r.pts = geom.Path{Start: p0, Segs: seg[:]}.Flatten(Tolerance, r.pts[:len(r.pts)-1])
	}
	r.pts = r.pts[:len(r.pts)-1]
	a := len(r.pts)
	r.pts = emit(p, w, r.pts)
	r.traced(a, len(r.pts), false)
	r.keepBody(r.pts[a:])
}

// emit maps p through w and appends it to dst as a polyline within Tolerance: transforming and
// flattening in one pass, lines and quadratics (the rounded corners) directly.
func emit(p geom.Path, w *warp, dst []geom.Point) []geom.Point {
	cur := w.at(p.Start)
	dst = append(dst, cur)
	skipped := false // the last Line's end was left out (a gentle rounded corner follows)
	for i, sg := range p.Segs {
		switch sg.Kind {
		case geom.Line:
			cur = w.at(sg.P[0])
			if i+1 < len(p.Segs) && p.Segs[i+1].Kind == geom.Quad && p.Segs[i+1].P[0] != sg.P[0] {
				// Decide with the corner below; cur is needed there either way.
				skipped = true
				continue
			}
			dst = append(dst, cur)
		case geom.Quad:
			c, e := w.at(sg.P[0]), w.at(sg.P[1])
			ddx, ddy := cur.X-2*c.X+e.X, cur.Y-2*c.Y+e.Y
			if skipped && ddx*ddx+ddy*ddy <= 16*Tolerance*Tolerance {
				// A rounded corner flatter than the tolerance: its vertex alone is as close
				// to the curve as the points either side of it.
				dst = append(dst, c)
			} else {
				if skipped {
					dst = append(dst, cur)
				}
				dst = flattenQuad(cur, c, e, dst)
			}
			skipped = false
			cur = e
		default:
			seg := [1]geom.Seg{{Kind: geom.Cubic, P: [3]geom.Point{w.at(sg.P[0]), w.at(sg.P[1]), w.at(sg.P[2])}}}
			dst = geom.Path{Start: cur, Segs: seg[:]}.Flatten(Tolerance, dst[:len(dst)-1])
			cur = seg[0].P[2]
		}
	}
	return dst
}

// flattenQuad appends the points after p0 of a quadratic Bézier, in as many equal steps as
// Wang's bound needs for Tolerance (with n equal steps a quadratic strays from its chords by at
// most |p0 - 2c + p2| / (4 n²)).
func flattenQuad(p0, c, p2 geom.Point, dst []geom.Point) []geom.Point {
	ddx, ddy := p0.X-2*c.X+p2.X, p0.Y-2*c.Y+p2.Y
	n := int(math.Ceil(math.Sqrt(math.Sqrt(ddx*ddx+ddy*ddy) / (4 * Tolerance))))
	n = max(1, min(n, 64))
	inv := 1 / float64(n)
	for i := 1; i < n; i++ {
		t := float64(i) * inv
		mt := 1 - t
		a, b, d := mt*mt, 2*mt*t, t*t
		dst = append(dst, geom.Point{X: a*p0.X + b*c.X + d*p2.X, Y: a*p0.Y + b*c.Y + d*p2.Y})
	}
	return append(dst, p2)
}

// closeChain finishes the open stroke, then writes the strokes that waited for it.
func (r *renderer) closeChain(word int) {
	if r.chainOpen {
		r.refs = append(r.refs, strokeRef{a: r.chainStart, b: len(r.pts), word: word})
		r.chainOpen = false
	}
	r.chainAtExit = false
	for _, d := range r.deferred {
		a := len(r.pts)
		r.pts = append(r.pts, r.side[d.a:d.b]...)
		r.refs = append(r.refs, strokeRef{a: a, b: len(r.pts), word: word})
		r.tracedMoved(d.a, a, len(r.pts))
	}
	r.deferred = r.deferred[:0]
}

// traced records a glyph's stroke, points a to b of pts or of side.
func (r *renderer) traced(a, b int, side bool) {
	if r.trace == nil {
		return
	}
	if side {
		r.tracePend = append(r.tracePend, len(r.traceRefs))
	}
	r.traceRefs = append(r.traceRefs, traceRef{a: a, b: b, side: side})
}

// tracedMoved notes that the stroke at side[sa:] is now written at pts[a:b].
func (r *renderer) tracedMoved(sa, a, b int) {
	for i, k := range r.tracePend {
		if t := &r.traceRefs[k]; t.a == sa {
			*t = traceRef{a: a, b: b}
			r.tracePend = append(r.tracePend[:i], r.tracePend[i+1:]...)
			return
		}
	}
}

// traceCard hands the trace every glyph's strokes as they are on the card (pts).
func (r *renderer) traceCard(pts []geom.Point) {
	if r.trace == nil {
		return
	}
	var strokes []geom.Stroke
	for _, g := range r.traceGlyphs {
		strokes = strokes[:0]
		for _, t := range r.traceRefs[g.a:g.b] {
			strokes = append(strokes, geom.Stroke(pts[t.a:t.b:t.b]))
		}
		r.trace(g.c, strokes)
	}
}

// ensureTwo makes the stroke starting at a in pts at least two points long: a dot is a stroke
// whose pen goes down and up at one place.
func ensureTwo(pts []geom.Point, a int) []geom.Point {
	if len(pts)-a == 1 {
		pts = append(pts, pts[a])
	}
	return pts
}

// headDir is the unit direction in which p, mapped through w and starting at start, leaves
// its start: towards the first control point that differs from it.
func headDir(p geom.Path, w *warp, start geom.Point) geom.Point {
	for _, sg := range p.Segs {
		for k := range ctrlCount(sg.Kind) {
			if d := w.at(sg.P[k]).Sub(start); d.X*d.X+d.Y*d.Y > 1e-12 {
				return unit(d)
			}
		}
	}
	return geom.Point{X: 1}
}

// tailDir is the unit direction in which a polyline arrives at its last point.
func tailDir(s []geom.Point) geom.Point {
	end := s[len(s)-1]
	for i := len(s) - 2; i >= 0; i-- {
		if d := end.Sub(s[i]); d.X*d.X+d.Y*d.Y > 1e-12 {
			return unit(d)
		}
	}
	return geom.Point{X: 1}
}

func ctrlCount(k geom.SegKind) int {
	switch k {
	case geom.Quad:
		return 2
	case geom.Cubic:
		return 3
	}
	return 1
}

func unit(d geom.Point) geom.Point {
	l := math.Hypot(d.X, d.Y)
	return geom.Point{X: d.X / l, Y: d.Y / l}
}
