// Package fontgen converts single-stroke SVG fonts (and Hershey JHF glyphs) into quillpost's
// own font format: it flips the y axis, keeps curves, merges strokes that touch, measures the
// real x-height, finds each glyph's entry and exit for cursive joins, marks strokes a writer
// adds late, and composes the characters a source lacks from strokes it has.
package fontgen

import (
	"fmt"
	"math"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
)

// Spec describes one face to build.
type Spec struct {
	Name, Title string
	SVG         string // SVG font file name, in the SVG directory
	Cursive     bool
	License     string // "OFL-1.1" or "Hershey"
	// Upstream holds the copyright lines of the design the EMS font derives from; they head
	// the OFL text beside the face.
	Upstream string
	// JHF names a Hershey .jhf file (in the Hershey directory) whose glyphs replace the SVG's
	// for the characters in JHFRunes. The JHF file's records are printable ASCII in order.
	JHF      string
	JHFRunes string
}

// Report is what the converter measured and did for one face, for the generate step's log.
type Report struct {
	Name                     string
	Glyphs                   int
	DeclaredXHeight, XHeight float64
	DeclaredCapHeight        float64
	CapHeight                float64
	Composed                 []rune
	FromJHF                  []rune
	Merged                   int // strokes saved by merging touching strokes
	Joining, LiftAfter, Late int // glyphs that join / lift after / strokes marked late
	Duplicates               []rune
	Uncomposable             []string // characters fontgen could not compose, with the reason
	Missing                  []rune   // required characters the face still lacks
}

// glyph is a glyph under construction: y down, font units.
type glyph struct {
	r         rune
	adv       float64
	paths     []geom.Path
	late      []bool
	lateKnown bool // the composer already decided which strokes are late
	composed  bool
	entry     geom.Point
	exit      geom.Point
	joins     bool
	lift      bool
}

func (g *glyph) body() []geom.Path {
	var b []geom.Path
	for i, p := range g.paths {
		if !g.late[i] {
			b = append(b, p)
		}
	}
	return b
}

// builder holds one face's state during conversion.
type builder struct {
	spec     Spec
	upem     float64
	tol      float64 // merge tolerance
	xh, caph float64
	glyphs   map[rune]*glyph
	rep      *Report
}

// Build converts one face. jhf may be nil when spec.JHF is empty.
func Build(spec Spec, svg *SVGFont, jhf []JHFGlyph) (*font.File, *Report, error) {
	b := &builder{
		spec: spec, upem: svg.UnitsPerEm, glyphs: map[rune]*glyph{},
		rep: &Report{Name: spec.Name, DeclaredXHeight: svg.XHeight, DeclaredCapHeight: svg.CapHeight},
	}
	b.tol = 0.002 * b.upem
	byName := map[string]rune{}
	for _, sg := range svg.Glyphs {
		r, size := utf8.DecodeRuneInString(sg.Unicode)
		if size == 0 || size != len(sg.Unicode) {
			continue // ligatures and unnamed glyphs have no place in a character map
		}
		byName[sg.Name] = r
		if _, dup := b.glyphs[r]; dup {
			b.rep.Duplicates = append(b.rep.Duplicates, r)
			continue // the first definition wins, as in a browser
		}
		paths, err := ParseSVGPath(sg.D)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: glyph %q: %w", spec.SVG, sg.Unicode, err)
		}
		// SVG fonts are y-up with the baseline at 0; ours is y-down.
		paths = transformPaths(paths, func(p geom.Point) geom.Point { return geom.Point{X: p.X, Y: -p.Y} })
		b.glyphs[r] = &glyph{r: r, adv: sg.Advance, paths: paths}
	}
	if spec.JHF != "" {
		if err := b.applyJHF(jhf); err != nil {
			return nil, nil, err
		}
	}
	for _, g := range b.glyphs {
		n := len(g.paths)
		g.paths, g.late = mergeTouching(g.paths, make([]bool, n), b.tol)
		b.rep.Merged += n - len(g.paths)
	}
	if err := b.measure(); err != nil {
		return nil, nil, err
	}
	for _, r := range b.sortedRunes() {
		b.findLate(b.glyphs[r])
	}
	b.composeMissing()
	b.typography()
	b.hookCs()
	for _, r := range b.sortedRunes() {
		b.classify(b.glyphs[r])
	}
	b.liftBeforeLowX()
	f := b.file(svg, byName)
	b.rep.Glyphs = len(f.Glyphs)
	return f, b.rep, nil
}

func (b *builder) sortedRunes() []rune {
	rs := make([]rune, 0, len(b.glyphs))
	for r := range b.glyphs {
		rs = append(rs, r)
	}
	slices.Sort(rs)
	return rs
}

// applyJHF replaces glyphs with Hershey JHF records. The inkscape Hershey SVG fonts are the JHF
// data scaled by upem/1000*31.5 per unit, shifted one unit right, baseline at JHF y=9; the same
// mapping keeps the replacements in proportion with the rest of the face.
func (b *builder) applyJHF(recs []JHFGlyph) error {
	const unit, baseline = 31.5, 9.0
	s := unit * b.upem / 1000
	for _, r := range b.spec.JHFRunes {
		i := int(r) - 32
		if i < 0 || i >= len(recs) {
			return fmt.Errorf("%s has no record for %q", b.spec.JHF, r)
		}
		rec := recs[i]
		g := &glyph{r: r, adv: float64(rec.Right-rec.Left) * s}
		for _, st := range rec.Strokes {
			if len(st) < 2 {
				continue
			}
			pt := func(p geom.Point) geom.Point {
				return geom.Point{X: (p.X - float64(rec.Left) + 1) * s, Y: (p.Y - baseline) * s}
			}
			p := geom.Path{Start: pt(st[0])}
			for _, q := range st[1:] {
				p.Segs = append(p.Segs, geom.Seg{Kind: geom.Line, P: [3]geom.Point{pt(q)}})
			}
			g.paths = append(g.paths, p)
		}
		b.glyphs[r] = g
		b.rep.FromJHF = append(b.rep.FromJHF, r)
	}
	return nil
}

// measure finds the real x-height (median top of x v w z u) and cap height (median top of the
// flat-topped capitals). The SVG fonts declare 300 and 500 for every face, which fits none.
func (b *builder) measure() error {
	top := func(chars string) []float64 {
		var vs []float64
		for _, r := range chars {
			if g, ok := b.glyphs[r]; ok && len(g.paths) > 0 {
				vs = append(vs, -pathsBounds(g.paths).Min.Y)
			}
		}
		return vs
	}
	b.xh = median(top("xvwzu"))
	b.caph = median(top("BDEFHIKLMNPRTUVWXZ"))
	if b.xh <= 0 || b.caph <= 0 {
		return fmt.Errorf("%s: cannot measure x-height or cap height: the letters are missing", b.spec.SVG)
	}
	b.rep.XHeight, b.rep.CapHeight = b.xh, b.caph
	return nil
}

// findLate marks the strokes a writer adds after the word: i and j dots, the t-bar and the
// diacritics of accented letters (the strokes an accented glyph has beyond its base letter's).
// Late strokes move to the end of the glyph; the rest keep their order.
func (b *builder) findLate(g *glyph) {
	if g.lateKnown || len(g.paths) < 2 {
		return
	}
	longest := 0
	for i, p := range g.paths {
		if pathLength(p) > pathLength(g.paths[longest]) {
			longest = i
		}
	}
	body := pathsBounds(g.paths[longest : longest+1])
	switch {
	case g.r == 'i' || g.r == 'j':
		for i, p := range g.paths {
			if i != longest && pathsBounds([]geom.Path{p}).Max.Y <= body.Min.Y+0.05*b.xh {
				g.late[i] = true
			}
		}
	case g.r == 't':
		for i, p := range g.paths {
			if bb := pathsBounds([]geom.Path{p}); i != longest && bb.W() >= 1.5*bb.H() {
				g.late[i] = true
			}
		}
	default:
		d, ok := decompositions[g.r]
		if !ok {
			return
		}
		base, ok := b.glyphs[d.base]
		matched := 0
		if ok {
			for i, p := range g.paths {
				found := false
				for _, q := range base.paths {
					if samePath(p, q, b.tol) || samePath(p, reversePath(q), b.tol) {
						found = true
						break
					}
				}
				if found {
					matched++
				} else {
					g.late[i] = true
				}
			}
		}
		if matched == 0 {
			// The accented glyph is drawn afresh: take the strokes clear of the longest one,
			// above it for marks above, below it for cedillas and ogoneks.
			for i, p := range g.paths {
				bb := pathsBounds([]geom.Path{p})
				g.late[i] = i != longest && ((!d.mark.below() && bb.Max.Y <= body.Min.Y+0.05*b.xh) ||
					(d.mark.below() && bb.Min.Y >= body.Max.Y-0.05*b.xh))
			}
		}
	}
	moveLateLast(g)
}

func moveLateLast(g *glyph) {
	var paths []geom.Path
	var late []bool
	for pass := 0; pass < 2; pass++ {
		for i, p := range g.paths {
			if g.late[i] == (pass == 1) {
				paths = append(paths, p)
				late = append(late, g.late[i])
			}
		}
	}
	g.paths, g.late = paths, late
}

// inZone reports whether p lies where cursive joins happen: from a little below the baseline
// to a little above the x-height.
func (b *builder) inZone(p geom.Point) bool { return p.Y >= -1.15*b.xh && p.Y <= 0.12*b.xh }

// classify finds a glyph's entry and exit and whether it joins. Other glyphs than the
// lower-case letters of cursive faces keep the source's order: entry is where the first stroke
// starts, exit where the last body stroke ends. For cursive lower-case letters it chooses which
// body stroke goes first (and from which end) and which goes last (and to which end), so that
// the hand can run a connector into the glyph's first stroke and out of its last body stroke:
// it prefers an entry in the join zone on the left, then an exit in the join zone on the right,
// then the widest span from entry to exit, then the source's own directions.
func (b *builder) classify(g *glyph) {
	bodyIdx := []int{}
	for i := range g.paths {
		if !g.late[i] {
			bodyIdx = append(bodyIdx, i)
		}
	}
	if len(bodyIdx) == 0 {
		g.entry, g.exit = geom.Point{}, geom.Point{X: g.adv}
		g.lift = true
		return
	}
	if !b.spec.Cursive || !unicode.IsLower(g.r) || !unicode.IsLetter(g.r) {
		g.entry = g.paths[bodyIdx[0]].Start
		g.exit = g.paths[bodyIdx[len(bodyIdx)-1]].End()
		g.lift = true
		return
	}
	type choice struct {
		first, last       int // indices into g.paths
		revFirst, revLast bool
		entry, exit       geom.Point
	}
	ends := func(i int, rev bool) (geom.Point, geom.Point) {
		if rev {
			return g.paths[i].End(), g.paths[i].Start
		}
		return g.paths[i].Start, g.paths[i].End()
	}
	score := func(c choice) float64 {
		s := (c.entry.X - c.exit.X) / math.Max(g.adv, 1)
		if !b.entryOK(g, c.entry, len(bodyIdx) == 1) {
			s += 10
		}
		if !b.exitOK(g, c.exit) {
			s += 5
		}
		if c.revFirst {
			s += 0.01
		}
		if c.revLast && c.last != c.first {
			s += 0.01
		}
		return s
	}
	var best *choice
	var bestScore float64
	for _, i := range bodyIdx {
		for _, ri := range []bool{false, true} {
			for _, j := range bodyIdx {
				if (j == i) != (len(bodyIdx) == 1) {
					continue // one stroke is both first and last only when it is alone
				}
				for _, rj := range []bool{false, true} {
					if j == i && rj != ri {
						continue
					}
					entry, _ := ends(i, ri)
					_, exit := ends(j, rj)
					c := choice{i, j, ri, rj, entry, exit}
					if sc := score(c); best == nil || sc < bestScore-1e-9 {
						best, bestScore = &c, sc
					}
				}
			}
		}
	}
	if best.revFirst {
		g.paths[best.first] = reversePath(g.paths[best.first])
	}
	if best.last != best.first && best.revLast {
		g.paths[best.last] = reversePath(g.paths[best.last])
	}
	// Reorder: first stroke, the other body strokes in source order, last stroke, late strokes.
	order := []int{best.first}
	for _, i := range bodyIdx {
		if i != best.first && i != best.last {
			order = append(order, i)
		}
	}
	if best.last != best.first {
		order = append(order, best.last)
	}
	for i := range g.paths {
		if g.late[i] {
			order = append(order, i)
		}
	}
	paths := make([]geom.Path, len(order))
	late := make([]bool, len(order))
	for k, i := range order {
		paths[k], late[k] = g.paths[i], g.late[i]
	}
	g.paths, g.late = paths, late
	g.entry, g.exit = best.entry, best.exit
	g.joins = b.entryOK(g, g.entry, true)
	g.lift = !g.joins || !b.exitOK(g, g.exit)
}

// entryOK: a connector can arrive here, in the join zone. Letters such as a, c, d, g, o, q
// begin at the top right of their bowl, so any entry in the zone will do for joining (loose);
// when choosing which of several strokes to start with, one starting in the left 70 % wins,
// so that an x starts with its left-hand stroke rather than its cross stroke.
func (b *builder) entryOK(g *glyph, p geom.Point, loose bool) bool {
	return b.inZone(p) && (loose || p.X <= 0.7*g.adv)
}

// exitOK: a connector can leave from here. A writer lifts after letters that end outside the
// join zone (descender or ascender endings), end on the left half (a connector would cross
// back over the letter) or end high near the x-height line, where a join would dive across the
// next letter's entry.
func (b *builder) exitOK(g *glyph, p geom.Point) bool {
	return b.inZone(p) && p.X >= 0.5*g.adv && p.Y >= -0.8*b.xh
}

// file renders the face in the font package's file shape, coordinates rounded to 0.01.
func (b *builder) file(svg *SVGFont, byName map[string]rune) *font.File {
	f := &font.File{
		Format: font.Format, Name: b.spec.Name, Title: b.spec.Title, Cursive: b.spec.Cursive,
		License: b.spec.License, LicenseFile: b.spec.Name + ".LICENSE.txt",
		Source:     sourceNote(b.spec, svg),
		UnitsPerEm: b.upem, XHeight: round2(b.xh), CapHeight: round2(b.caph),
		Ascent: math.Abs(svg.Ascent), Descent: math.Abs(svg.Descent),
		Glyphs: map[string]font.FileGlyph{},
	}
	for _, r := range b.sortedRunes() {
		g := b.glyphs[r]
		// Ascent and descent bound the ink of every glyph, so a layout that reserves them
		// never lets a stroke leave its line box.
		if bb := pathsBounds(g.paths); !bb.Empty() {
			f.Ascent = math.Max(f.Ascent, math.Ceil(-bb.Min.Y))
			f.Descent = math.Max(f.Descent, math.Ceil(bb.Max.Y))
		}
		adv := round2(g.adv)
		fg := font.FileGlyph{
			Advance: &adv, Strokes: make([]string, len(g.paths)), Late: slices.Clone(g.late),
			Entry: &[2]float64{round2(g.entry.X), round2(g.entry.Y)},
			Exit:  &[2]float64{round2(g.exit.X), round2(g.exit.Y)},
			Joins: g.joins, LiftAfter: g.lift, Composed: g.composed,
		}
		if fg.Late == nil {
			fg.Late = []bool{}
		}
		for i, p := range g.paths {
			fg.Strokes[i] = font.FormatPath(p)
			if g.late[i] {
				b.rep.Late++
			}
		}
		if g.joins {
			b.rep.Joining++
		}
		if g.lift && g.joins {
			b.rep.LiftAfter++
		}
		if g.composed {
			b.rep.Composed = append(b.rep.Composed, r)
		}
		f.Glyphs[string(r)] = fg
	}
	f.Kerning = kerning(svg, byName, b.glyphs)
	return f
}

// kerning turns <hkern> pairs into the format's map. SVG's k is subtracted from the advance,
// so a positive k pulls the pair together: our value is -k.
func kerning(svg *SVGFont, byName map[string]rune, glyphs map[rune]*glyph) map[string]float64 {
	out := map[string]float64{}
	runes := func(us, gs []string) []rune {
		var rs []rune
		for _, u := range us {
			if r, size := utf8.DecodeRuneInString(u); size == len(u) && size > 0 {
				rs = append(rs, r)
			}
		}
		for _, n := range gs {
			if r, ok := byName[n]; ok {
				rs = append(rs, r)
			}
		}
		return rs
	}
	for _, k := range svg.Kerns {
		for _, a := range runes(k.U1, k.G1) {
			for _, c := range runes(k.U2, k.G2) {
				if glyphs[a] != nil && glyphs[c] != nil && k.K != 0 {
					out[string(a)+string(c)] = round2(-k.K)
				}
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func sourceNote(spec Spec, svg *SVGFont) string {
	s := "inkscape share/inkscape/extensions/svg_fonts/" + spec.SVG + " (" + svg.Family + ")"
	if spec.JHF != "" {
		what := spec.JHFRunes
		if what == printableASCII {
			what = "printable ASCII"
		}
		s += "; " + what + " from hershey-fonts-data " + spec.JHF
	}
	return s
}
