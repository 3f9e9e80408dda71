package hand

import (
	"math"
	"sync"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
)

// faceInfo is what Render needs from a face, worked out once per face: per glyph the writing
// order of its strokes and its box (for the warps), and the face's real ascender and descender
// (for the line capacity).
type faceInfo struct {
	face         *font.Face
	xh           float64 // the face's x-height in font units
	asc, desc    float64 // font units above and below the baseline that letters reach
	ascii        [128]*glyphInfo
	other        map[rune]*glyphInfo
	space, hyph  *glyphInfo
	spaceAdvance float64
	kernRows     [128]kernRow // see kern
}

type glyphInfo struct {
	g *font.Glyph
	// paths are the glyph's strokes with their polyline corners rounded (see roundCorners).
	paths []geom.Path
	// order lists the non-late strokes in writing order: the one starting at the entry first,
	// the one ending at the exit last. late lists the late strokes.
	order, late []int
	// in and out are the strokes starting at the entry and ending at the exit (-1: none);
	// joinIn/joinOut say whether a connector may arrive or leave.
	in, out         int
	joinIn, joinOut bool
	// box of all control points, font units; warps are defined relative to it.
	minX, minY, maxX, maxY float64
	hasInk                 bool
	// coreMinX and coreMaxX bound the ink in the x-height band (ascenders and descenders that
	// lean over a word gap do not count): what a writer spaces words by.
	coreMinX, coreMaxX float64
	// sig are up to sigSource control points spread over the main strokes, font units: the
	// outline along which two instances of a glyph are compared (see renderer.stamped).
	sig []geom.Point
	// prof is the ink's extent per height band, for spacing letters (see clearance).
	prof *profile
	// floating, parallel to late: the late stroke is a dot or accent above the letter, clear
	// of its body (not a t-bar across the stem, not a cedilla), which may move out of the way
	// of its neighbours' ink.
	floating []bool
	// alts are the glyph's alternates (font.Glyph.Alternates), worked out the same way.
	alts []*glyphInfo
}

// sigSource is how many control points outline a glyph for the near-copy check, and sigPoints
// how many points, evenly spaced along that outline, the check compares.
const (
	sigSource = 12
	sigPoints = 8
)

var faceCache sync.Map // *font.Face → *faceInfo

func infoFor(f *font.Face) *faceInfo {
	if v, ok := faceCache.Load(f); ok {
		return v.(*faceInfo)
	}
	fi := newFaceInfo(f)
	v, _ := faceCache.LoadOrStore(f, fi)
	return v.(*faceInfo)
}

// Forget drops what Render worked out for f, for faces that come and go (an account's own
// handwriting, parsed from the store) rather than live as long as the program.
func Forget(f *font.Face) { faceCache.Delete(f) }

func newFaceInfo(f *font.Face) *faceInfo {
	fi := &faceInfo{face: f, other: map[rune]*glyphInfo{}, xh: f.XHeight}
	if !(fi.xh > 0) {
		fi.xh = f.UnitsPerEm * 0.45
	}
	for _, r := range f.Runes() {
		g, ok := f.Glyph(r)
		if !ok {
			continue
		}
		gi := newGlyphInfo(g, fi.xh, f.Cursive)
		for _, a := range g.Alternates {
			gi.alts = append(gi.alts, newGlyphInfo(a, fi.xh, f.Cursive))
		}
		if r >= 0 && r < 128 {
			fi.ascii[r] = gi
		} else {
			fi.other[r] = gi
		}
	}
	fi.space = fi.glyph(' ')
	if fi.space != nil {
		fi.spaceAdvance = fi.space.g.Advance
	}
	if !(fi.spaceAdvance > 0) {
		fi.spaceAdvance = fi.xh * 0.7
	}
	fi.hyph = fi.glyph('-')
	// Ascender and descender as letters reach them; declared metrics are often wrong.
	fi.asc, fi.desc = fi.xh, 0
	for _, r := range "bdfhklABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" {
		if gi := fi.glyph(r); gi != nil && gi.hasInk {
			fi.asc = math.Max(fi.asc, -gi.minY)
		}
	}
	for _, r := range "gjpqy" {
		if gi := fi.glyph(r); gi != nil && gi.hasInk {
			fi.desc = math.Max(fi.desc, gi.maxY)
		}
	}
	if fi.desc == 0 {
		fi.desc = math.Max(f.Descent, fi.xh*0.6)
	}
	return fi
}

func (fi *faceInfo) glyph(r rune) *glyphInfo {
	if r >= 0 && r < 128 {
		return fi.ascii[r]
	}
	return fi.other[r]
}

func newGlyphInfo(g *font.Glyph, xh float64, cursive bool) *glyphInfo {
	gi := &glyphInfo{g: g, minX: math.Inf(1), minY: math.Inf(1), maxX: math.Inf(-1), maxY: math.Inf(-1)}
	gi.paths = make([]geom.Path, len(g.Strokes))
	for i, s := range g.Strokes {
		gi.paths[i] = roundCorners(s)
	}
	squeezeAccents(g, gi.paths, xh)
	grow := func(p geom.Point) {
		gi.minX, gi.maxX = math.Min(gi.minX, p.X), math.Max(gi.maxX, p.X)
		gi.minY, gi.maxY = math.Min(gi.minY, p.Y), math.Max(gi.maxY, p.Y)
	}
	var main []int
	for i, s := range g.Strokes {
		grow(s.Start)
		for _, sg := range s.Segs {
			n := 1
			switch sg.Kind {
			case geom.Quad:
				n = 2
			case geom.Cubic:
				n = 3
			}
			for k := range n {
				grow(sg.P[k])
			}
		}
		if i < len(g.Late) && g.Late[i] {
			gi.late = append(gi.late, i)
		} else {
			main = append(main, i)
		}
	}
	gi.hasInk = len(g.Strokes) > 0 && gi.minX <= gi.maxX
	for _, li := range gi.late {
		gi.floating = append(gi.floating, pathMaxY(gi.paths[li]) < -0.6*xh && floats(gi.paths, g.Late, li, 0.08*xh))
	}
	if gi.hasInk {
		gi.prof = newProfile(gi.paths, g.Late, gi.floating, xh)
	}
	gi.coreMinX, gi.coreMaxX = math.Inf(1), math.Inf(-1)
	for _, s := range g.Strokes {
		core := func(p geom.Point) {
			if p.Y >= -1.15*xh && p.Y <= 0.25*xh {
				gi.coreMinX, gi.coreMaxX = math.Min(gi.coreMinX, p.X), math.Max(gi.coreMaxX, p.X)
			}
		}
		core(s.Start)
		for _, sg := range s.Segs {
			core(sg.End())
		}
	}
	if gi.coreMinX > gi.coreMaxX {
		gi.coreMinX, gi.coreMaxX = 0, g.Advance
	}
	if !gi.hasInk {
		gi.minX, gi.minY, gi.maxX, gi.maxY = 0, -xh, g.Advance, 0
	}
	// Give the box some size so the warps' normalised coordinates stay finite for dots and dashes.
	if gi.maxX-gi.minX < xh*0.2 {
		c := (gi.minX + gi.maxX) / 2
		gi.minX, gi.maxX = c-xh*0.1, c+xh*0.1
	}
	if gi.maxY-gi.minY < xh*0.2 {
		c := (gi.minY + gi.maxY) / 2
		gi.minY, gi.maxY = c-xh*0.1, c+xh*0.1
	}
	// Writing order: entry stroke first, exit stroke last.
	in, out := -1, -1
	if cursive && g.Joins && len(main) > 0 {
		tol := xh * 0.12
		bestIn, bestOut := tol, tol
		for _, i := range main {
			if d := g.Strokes[i].Start.Dist(g.Entry); d <= bestIn {
				in, bestIn = i, d
			}
			if d := g.Strokes[i].End().Dist(g.Exit); d <= bestOut {
				out, bestOut = i, d
			}
		}
	}
	gi.in, gi.out = in, out
	var all []geom.Point
	for _, i := range main {
		p := gi.paths[i]
		all = append(all, p.Start)
		for _, sg := range p.Segs {
			all = append(all, sg.P[:ctrlCount(sg.Kind)]...)
		}
	}
	n := min(sigSource, len(all))
	for k := range n {
		// Evenly spread, always with the first and the last point.
		gi.sig = append(gi.sig, all[k*(len(all)-1)/max(1, n-1)])
	}
	gi.joinIn, gi.joinOut = in >= 0, out >= 0 && !g.LiftAfter
	gi.order = make([]int, 0, len(main))
	if in >= 0 {
		gi.order = append(gi.order, in)
	}
	for _, i := range main {
		if i != in && i != out {
			gi.order = append(gi.order, i)
		}
	}
	if out >= 0 && out != in {
		gi.order = append(gi.order, out)
	}
	return gi
}

// roundCorners returns p with the bends between two straight segments rounded by a quadratic
// Bézier over the middle fifth… of each: faces converted from polyline sources (the EMS fonts)
// bend at sharp vertices that no pen makes. A turn of more than 110° stays sharp, since there
// the pen really stops and reverses (the foot of an n, the tip of a v); turns under 12° need
// nothing.
func roundCorners(p geom.Path) geom.Path {
	if len(p.Segs) < 2 {
		return p
	}
	const cut = 0.4 // share of each segment given to a rounded corner (< 0.5, so they never overlap)
	cosMin, cosMax := math.Cos(110*math.Pi/180), math.Cos(12*math.Pi/180)
	out := geom.Path{Start: p.Start, Segs: make([]geom.Seg, 0, len(p.Segs)*2)}
	prev := p.Start // the previous vertex (where the segment into v starts)
	for i, sg := range p.Segs {
		if sg.Kind != geom.Line || i+1 >= len(p.Segs) || p.Segs[i+1].Kind != geom.Line {
			out.Segs = append(out.Segs, sg)
			prev = sg.End()
			continue
		}
		v, next := sg.P[0], p.Segs[i+1].P[0]
		a, b := v.Sub(prev), next.Sub(v)
		la, lb := math.Hypot(a.X, a.Y), math.Hypot(b.X, b.Y)
		if la == 0 || lb == 0 {
			out.Segs = append(out.Segs, sg)
			prev = v
			continue
		}
		c := (a.X*b.X + a.Y*b.Y) / (la * lb)
		if c < cosMin || c > cosMax {
			out.Segs = append(out.Segs, sg)
			prev = v
			continue
		}
		r := cut * math.Min(la, lb)
		p1 := v.Sub(a.Scale(r / la))
		p2 := v.Add(b.Scale(r / lb))
		out.Segs = append(out.Segs,
			geom.Seg{Kind: geom.Line, P: [3]geom.Point{p1}},
			geom.Seg{Kind: geom.Quad, P: [3]geom.Point{v, p2}})
		prev = v
	}
	return out
}

// squeezeAccents lowers the dots and accents of tall letters (Ä, É, Ü) to sit just above the
// letter, as writers put them: the faces set them a full accent height above the capital,
// where they reach into the line above.
func squeezeAccents(g *font.Glyph, paths []geom.Path, xh float64) {
	top, bottom := math.Inf(1), math.Inf(-1)
	for i, p := range paths {
		if i < len(g.Late) && g.Late[i] {
			continue
		}
		top = math.Min(top, pathMinY(p))
	}
	if !(top < -1.3*xh) {
		return // no tall main stroke: i, j, ä keep their dots
	}
	for i, p := range paths {
		if i < len(g.Late) && g.Late[i] {
			bottom = math.Max(bottom, pathMaxY(p))
		}
	}
	gap := top - bottom // how far the accents float above the letter, font units
	if math.IsInf(bottom, -1) || gap <= 0.2*xh {
		return
	}
	dy := gap - 0.2*xh
	for i, p := range paths {
		if i < len(g.Late) && g.Late[i] {
			paths[i] = p.Transform(func(q geom.Point) geom.Point { return geom.Point{X: q.X, Y: q.Y + dy} })
		}
	}
}

func pathMinY(p geom.Path) float64 {
	y := p.Start.Y
	for _, sg := range p.Segs {
		for k := range ctrlCount(sg.Kind) {
			y = math.Min(y, sg.P[k].Y)
		}
	}
	return y
}

func pathMaxY(p geom.Path) float64 {
	y := p.Start.Y
	for _, sg := range p.Segs {
		for k := range ctrlCount(sg.Kind) {
			y = math.Max(y, sg.P[k].Y)
		}
	}
	return y
}

// floats reports whether late stroke li keeps more than d from every body stroke.
func floats(paths []geom.Path, late []bool, li int, d float64) bool {
	m := paths[li].Flatten(0.02*d, nil)
	for i, p := range paths {
		if i < len(late) && late[i] {
			continue
		}
		body := p.Flatten(0.02*d, nil)
		for _, q := range m {
			for k := 1; k < len(body); k++ {
				if segDist2(q, body[k-1], body[k]) <= d*d {
					return false
				}
			}
			if len(body) == 1 && q.Dist(body[0]) <= d {
				return false
			}
		}
	}
	return true
}
