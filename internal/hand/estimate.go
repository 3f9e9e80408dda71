package hand

import "math"

// estimateFits tells, before anything is written, whether the wrapped lines at x-height xh will
// fit the card's height once separate has kept them apart: it runs separate's reckoning on the
// letters' boxes (leaned by the hand's slant) instead of their ink, in 1 mm columns. Boxes
// cover more than ink, so the estimate errs on the tall side by a little; what it saves is the
// whole card written at a size that turns out too large.
func (r *renderer) estimateFits(xh float64) bool {
	s := xh / r.fi.xh
	pitch := r.pitch(xh) * r.pitchK
	lean := math.Abs(math.Tan((r.h.Slant + 2*r.h.SlantJitter) * deg))
	const colMM = 1.0
	space := r.fi.spaceAdvance * r.h.WordSpacing * r.wordK
	floor := r.estFloor[:0]
	top := math.Inf(1)
	bottom := math.Inf(-1)
	prev := 0.0
	avail := r.f.H - r.f.Margin.Top - r.f.Margin.Bottom
	for li, ln := range r.lines {
		base := float64(li) * pitch
		cur := r.estLine[:0]
		x := 0.0
		for pi := ln.p0; pi < ln.p1; pi++ {
			p := r.pieces[pi]
			if pi > ln.p0 {
				x += space * s
			}
			for i := p.a; i < p.b; i++ {
				gi := r.fi.glyph(r.t.runes[i])
				if gi != nil && gi.hasInk {
					up, down := -gi.minY*s, gi.maxY*s
					x0 := x + gi.minX*s - down*lean
					x1 := x + gi.maxX*s + up*lean
					for k := int(max(0, x0/colMM)); k <= int(max(0, x1/colMM)); k++ {
						for len(cur) <= k {
							cur = append(cur, [2]float64{math.Inf(1), math.Inf(-1)})
						}
						cur[k][0] = min(cur[k][0], -up)
						cur[k][1] = max(cur[k][1], down)
					}
				}
				x += r.adv[i] * s
				if i > p.a {
					x += r.kern[i] * s
				}
			}
		}
		r.estLine = cur
		if len(cur) == 0 {
			continue
		}
		// The shift that keeps this line clear of the floor, never less than the last one.
		need := prev
		for k, c := range cur {
			if math.IsInf(c[0], 1) {
				continue
			}
			for d := max(k-1, 0); d <= k+1 && d < len(floor); d++ {
				need = max(need, floor[d]+LineClearance-(base+c[0]))
			}
		}
		prev = need
		for len(floor) < len(cur) {
			floor = append(floor, math.Inf(-1))
		}
		for k, c := range cur {
			if math.IsInf(c[1], -1) {
				continue
			}
			floor[k] = max(floor[k], base+need+c[1])
			top = min(top, base+need+c[0])
			bottom = max(bottom, base+need+c[1])
		}
		if bottom-top > avail {
			r.estFloor = floor
			return false
		}
	}
	r.estFloor = floor
	return true
}
