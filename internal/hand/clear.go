package hand

import (
	"math"
	"sort"
	"sync"
	"unicode"

	"github.com/quillpost/quillpost/internal/geom"
)

// Letters keep clear of their neighbours. A face's advances are set for the letters it joins:
// where the pen lifts instead (after a d whose stem ends in a descender hook, after a capital, in
// a print face), the source's spacing can put the next letter's lead-in on the previous
// letter's stem, or its dot inside a leaning ascender: "diesem" then reads "desem". The hand
// therefore spaces such a pair by its ink, band by band, as a writer does, and moves dots and
// accents out of the way of ink that comes too close.

// profileBands split the height from profileTop x-heights above the baseline to profileBottom
// below it; each glyph records, per band, the leftmost and rightmost x of its body ink.
const (
	profileBands  = 40
	profileTop    = 2.6
	profileBottom = 1.4
	// pairGap is the clearance (x-heights) the ink of two letters the pen lifts between keeps:
	// about a pen's width at the sizes cards are written.
	pairGap = 0.2
	// markGap is the clearance of a dot or accent from other letters' ink in its word, and
	// markMarkGap from their dots and accents.
	markGap     = 0.2
	markMarkGap = 0.12
)

// profile is a glyph's ink extent per band, font units, of its body strokes and of its late
// strokes (dots, accents, bars); NaN marks an empty band.
type profile struct {
	left, right         [profileBands]float64
	markLeft, markRight [profileBands]float64
	fixedLeft           [profileBands]float64 // late strokes attached to the letter (t-bar, cedilla)
	// rightNear and markRightNear are right and markRight spread over two bands either side:
	// what a letter's ink to the left of a band must clear.
	rightNear, markRightNear [profileBands]float64
}

// spread returns the largest value of v within two bands of each band (NaN where none).
func spread(v *[profileBands]float64) [profileBands]float64 {
	var out [profileBands]float64
	for i := range out {
		out[i] = math.NaN()
		for j := max(0, i-2); j <= min(profileBands-1, i+2); j++ {
			if !(out[i] >= v[j]) && v[j] == v[j] {
				out[i] = v[j]
			}
		}
	}
	return out
}

func newProfile(paths []geom.Path, late, floating []bool, xh float64) *profile {
	pr := &profile{}
	var none [profileBands]float64
	for i := range pr.left {
		pr.left[i], pr.right[i] = math.NaN(), math.NaN()
		pr.markLeft[i], pr.markRight[i], pr.fixedLeft[i] = math.NaN(), math.NaN(), math.NaN()
		none[i] = math.NaN()
	}
	var buf geom.Stroke
	nLate := 0
	for i, p := range paths {
		left, right, fixed := &pr.left, &pr.right, &none
		if i < len(late) && late[i] {
			left, right = &pr.markLeft, &pr.markRight
			if nLate >= len(floating) || !floating[nLate] {
				fixed = &pr.fixedLeft
			}
			nLate++
		}
		buf = p.Flatten(0.01*xh, buf[:0])
		add := func(q geom.Point) {
			b := profileBand(q.Y, xh)
			if b < 0 {
				return
			}
			if !(left[b] <= q.X) {
				left[b] = q.X
			}
			if !(fixed[b] <= q.X) {
				fixed[b] = q.X
			}
			if !(right[b] >= q.X) {
				right[b] = q.X
			}
		}
		for k, q := range buf {
			add(q)
			if k > 0 {
				// Fill long segments so that a steep stroke marks every band it crosses.
				a := buf[k-1]
				n := int(math.Abs(q.Y-a.Y) / (0.5 * (profileTop + profileBottom) * xh / profileBands))
				for s := 1; s <= n; s++ {
					add(a.Add(q.Sub(a).Scale(float64(s) / float64(n+1))))
				}
			}
		}
	}
	pr.rightNear, pr.markRightNear = spread(&pr.right), spread(&pr.markRight)
	return pr
}

func profileBand(y, xh float64) int {
	b := int(math.Floor((y/xh + profileTop) / (profileTop + profileBottom) * profileBands))
	if b < 0 || b >= profileBands {
		return -1
	}
	return b
}

// clearance is how much further (font units) glyph b must start after glyph a, written with
// the advance and kerning the face gives, for their ink to keep pairGap apart in every band
// and the bands next to it: body against body, and body against the other letter's dots and
// accents (a capital's arm over an è, a leaning d over an i's dot). Joined pairs need none:
// the connector spaces them.
func (fi *faceInfo) clearance(a, b *glyphInfo, kern float64, aUpper bool) float64 {
	if a == nil || b == nil || a.prof == nil || b.prof == nil {
		return 0
	}
	// Joined letters are spaced by their connector, except where their descenders would meet
	// (the loops of q and j close a g).
	from := 0
	if fi.joinable(a, b) {
		from = profileBand(0.15*fi.xh, fi.xh)
	}
	gap := pairGap * fi.xh
	off := a.g.Advance + kern
	need := 0.0
	// right is already spread over the bands next to each band (see spread).
	check := func(right, left *[profileBands]float64, from int) {
		for j := from; j < profileBands; j++ {
			r, l := right[j], left[j]
			if r == r && l == l {
				need = math.Max(need, r+gap-(off+l))
			}
		}
	}
	check(&a.prof.rightNear, &b.prof.left, from)
	// A dot or accent over b that a lower-case letter's ascender overhangs moves aside instead
	// (clearMarks): pushing the whole letter on would leave the accent over the gap
	// ("Lef`evre"). A capital's arm or bowl is wide; there the letter moves on.
	if aUpper {
		check(&a.prof.rightNear, &b.prof.markLeft, from)
	} else {
		check(&a.prof.rightNear, &b.prof.fixedLeft, from)
	}
	check(&a.prof.markRightNear, &b.prof.left, from)
	// Two letters' dots and accents never touch, joined or not (ö then ê).
	check(&a.prof.markRightNear, &b.prof.markLeft, 0)
	return need
}

// joinable reports whether the hand may join glyph a to glyph b. Both must join, and the
// connector must not run back and down from a's exit to b's entry: a p whose lead-in starts
// at the baseline behind the t it follows would close a loop with the t.
func (fi *faceInfo) joinable(a, b *glyphInfo) bool {
	if !a.joinOut || !b.joinIn {
		return false
	}
	dx := a.g.Advance + b.g.Entry.X - a.g.Exit.X
	dy := b.g.Entry.Y - a.g.Exit.Y
	return !(dx < -0.1*fi.xh && dy > 0.25*fi.xh)
}

// kern is the spacing adjustment (font units) between runes a and b written in one word: the
// face's kerning plus what their ink needs to stay clear.
func (fi *faceInfo) kern(a, b rune) float64 {
	if a >= 0 && a < 128 && b >= 0 && b < 128 {
		// Every card asks for the same few hundred pairs: work out a left letter's row once.
		row := &fi.kernRows[a]
		row.once.Do(func() {
			for c := range row.k {
				row.k[c] = fi.pairKern(a, rune(c))
			}
		})
		return row.k[b]
	}
	return fi.pairKern(a, b)
}

func (fi *faceInfo) pairKern(a, b rune) float64 {
	k := fi.face.Kern(a, b)
	return k + fi.clearance(fi.glyph(a), fi.glyph(b), k, unicode.IsUpper(a))
}

// kernRow caches kern for one ASCII left letter and every ASCII right one.
type kernRow struct {
	once sync.Once
	k    [128]float64
}

// keepBody records one body stroke of the glyph being written, for clearMarks.
func (r *renderer) keepBody(pts []geom.Point) {
	a := len(r.body)
	r.body = append(r.body, pts...)
	r.bodyRefs = append(r.bodyRefs, strokeRef{a: a, b: len(r.body), glyph: r.wordGlyph})
	box := geom.Rect{Min: pts[0], Max: pts[0]}
	for _, p := range pts[1:] {
		box.Min.X, box.Max.X = min(box.Min.X, p.X), max(box.Max.X, p.X)
		box.Min.Y, box.Max.Y = min(box.Min.Y, p.Y), max(box.Max.Y, p.Y)
	}
	r.bodyBox = append(r.bodyBox, box)
}

// nearInk is a segment of ink near a mark; k scales its distance so that every kind of ink
// is clear at the same value (marks may come closer to marks than to letters).
type nearInk struct {
	a, b geom.Point
	k    float64
}

// clearMarks moves each of the current word's late strokes (ranges of r.side) until it keeps
// markGap from the other letters' body ink in its word (a t-bar crosses its own stem, so its
// own letter does not count) and markMarkGap from their marks already placed. Marks move up
// first, then a little sideways, by at most 0.6 x-height; a mark that cannot get clear takes
// the place where it comes least close.
func (r *renderer) clearMarks() {
	if len(r.late) == 0 {
		return
	}
	gap := markGap * r.xh
	for li, l := range r.late {
		if !l.above {
			continue // a cedilla or ogonek hangs from its letter
		}
		m := r.side[l.a:l.b]
		box := geom.Rect{Min: m[0], Max: m[0]}
		for _, p := range m {
			box.Min = geom.Point{X: math.Min(box.Min.X, p.X), Y: math.Min(box.Min.Y, p.Y)}
			box.Max = geom.Point{X: math.Max(box.Max.X, p.X), Y: math.Max(box.Max.Y, p.Y)}
		}
		reach := 0.6*r.xh + gap
		r.near = r.near[:0]
		collect := func(s []geom.Point, k float64) {
			for i := 1; i < len(s); i++ {
				p, q := s[i-1], s[i]
				if math.Max(p.X, q.X) < box.Min.X-reach || math.Min(p.X, q.X) > box.Max.X+reach ||
					math.Max(p.Y, q.Y) < box.Min.Y-reach || math.Min(p.Y, q.Y) > box.Max.Y+reach {
					continue
				}
				r.near = append(r.near, nearInk{p, q, k})
			}
		}
		for i, ref := range r.bodyRefs {
			b := r.bodyBox[i]
			if ref.glyph == l.glyph || b.Max.X < box.Min.X-reach || b.Min.X > box.Max.X+reach ||
				b.Max.Y < box.Min.Y-reach || b.Min.Y > box.Max.Y+reach {
				continue
			}
			collect(r.body[ref.a:ref.b], 1)
		}
		for _, o := range r.late[:li] {
			if o.glyph != l.glyph {
				collect(r.side[o.a:o.b], markGap/markMarkGap)
			}
		}
		if len(r.near) == 0 {
			continue
		}
		best, bestD := geom.Point{}, -1.0
		for _, d := range markMoves {
			off := d.Scale(r.xh)
			c := r.markClearance(m, off, gap, bestD)
			if c >= gap {
				best = off
				break
			}
			if c > bestD+1e-9 {
				best, bestD = off, c
			}
		}
		if best != (geom.Point{}) {
			for k := range m {
				m[k] = m[k].Add(best)
			}
		}
	}
}

// markClearance is the (scaled) distance from mark m moved by off to the collected ink,
// capped at gap.
// It gives up as soon as the mark comes within floor: that place is no better than one found.
func (r *renderer) markClearance(m []geom.Point, off geom.Point, gap, floor float64) float64 {
	d2 := gap * gap
	f2 := floor * floor
	if floor < 0 {
		f2 = -1
	}
	probe := func(p geom.Point) bool {
		for _, s := range r.near {
			if e := segDist2(p, s.a, s.b) * s.k * s.k; e < d2 {
				d2 = e
				if d2 <= f2 {
					return false
				}
			}
		}
		return true
	}
	for _, p := range m {
		if !probe(p.Add(off)) {
			return math.Sqrt(d2)
		}
	}
	// Between points of a long mark (an accent is a dash): the segments' midpoints.
	for k := 1; k < len(m); k++ {
		if !probe(m[k-1].Add(m[k]).Scale(0.5).Add(off)) {
			break
		}
	}
	return math.Sqrt(d2)
}

func segDist2(p, a, b geom.Point) float64 {
	ab := b.Sub(a)
	l2 := ab.X*ab.X + ab.Y*ab.Y
	t := 0.0
	if l2 > 0 {
		t = math.Min(1, math.Max(0, ((p.X-a.X)*ab.X+(p.Y-a.Y)*ab.Y)/l2))
	}
	dx, dy := a.X+ab.X*t-p.X, a.Y+ab.Y*t-p.Y
	return dx*dx + dy*dy
}

// markMoves are the places a mark tries, in x-heights, nearest first, where moving sideways
// costs three times as much as moving up: a dot or accent must stay over its own letter. It
// may go further right than left, where a hurried writer puts it anyway.
var markMoves = func() []geom.Point {
	var out []geom.Point
	for k := 0; k <= 10; k++ {
		for i := -4; i <= 6; i++ {
			out = append(out, geom.Point{X: 0.05 * float64(i), Y: -0.06 * float64(k)})
		}
	}
	cost := func(p geom.Point) float64 { return -p.Y + 3*math.Abs(p.X) }
	sort.SliceStable(out, func(i, j int) bool { return cost(out[i]) < cost(out[j]) })
	return out
}()
