package hand

import "math"

// Line separation: after the lines are written with all their variation, the ink of each line is
// measured column by column (the lowest and highest ink in every colW-wide column, not a box), and
// each line is moved down, as one piece, just far enough that no column of its ink comes within
// LineClearance of ink above it. A line is never moved closer to the one above than the hand's
// own spacing put it, so lines without descenders or capitals keep the writer's rhythm, and the
// wander, slope and bow of every line stay as written. Then the block is placed on the card.

// PenWidth is the widest pen the layout keeps lines apart for, mm.
const PenWidth = 0.5

// LineClearance is the least distance kept between the centre lines of two lines' ink: a pen's
// width, so that the ink does not touch, and a little air that a reader's eye needs.
const LineClearance = PenWidth + 0.35

// colW is the width of a column of the ink profile, mm: a fraction of the clearance, so that
// looking a few columns either side bounds the true distance between two lines' ink.
const colW = 0.25

// minPitchShare is how close, as a share of the hand's spacing, a card with no room left may
// bring its lines together (as long as their ink stays clear).
const minPitchShare = 0.6

// lineInk is one written line's ink profile: for columns k0..k0+len(top)-1, the highest (top)
// and lowest (bot) ink, y down, NaN-free: an empty column has top = +Inf and bot = -Inf.
type lineInk struct {
	k0       int
	top, bot []float64
	a, b     int // the line's points in r.pts
}

// profile measures the ink of points [a, b) of r.pts, stroke by stroke, into ink.
func (r *renderer) profile(li int, ink *lineInk) {
	a, b := r.linePts[li][0], r.linePts[li][1]
	ink.a, ink.b = a, b
	ink.top, ink.bot = ink.top[:0], ink.bot[:0]
	if a == b {
		return
	}
	minX, maxX := math.Inf(1), math.Inf(-1)
	for _, p := range r.pts[a:b] {
		if p.X < minX {
			minX = p.X
		}
		if p.X > maxX {
			maxX = p.X
		}
	}
	k0 := col(minX)
	n := col(maxX) - k0 + 1
	ink.k0 = k0
	ink.top = grow(ink.top, n)
	ink.bot = grow(ink.bot, n)
	for k := range n {
		ink.top[k], ink.bot[k] = math.Inf(1), math.Inf(-1)
	}
	top, bot := ink.top, ink.bot
	for _, ref := range r.refs[r.lineRef[li]:r.lineEnd(li)] {
		s := r.pts[ref.a:ref.b]
		p := s[0]
		kp := col(p.X) - k0
		if p.Y < top[kp] {
			top[kp] = p.Y
		}
		if p.Y > bot[kp] {
			bot[kp] = p.Y
		}
		for _, q := range s[1:] {
			kq := col(q.X) - k0
			if kp != kq {
				// The segment crosses column edges: its height at each edge belongs to both
				// columns.
				step, k := 1, kp
				if kq < kp {
					step = -1
				}
				for k != kq {
					edge := float64(k0+k+max(step, 0)) * colW
					y := p.Y + (q.Y-p.Y)*(edge-p.X)/(q.X-p.X)
					if y < top[k] {
						top[k] = y
					}
					if y > bot[k] {
						bot[k] = y
					}
					k += step
					if y < top[k] {
						top[k] = y
					}
					if y > bot[k] {
						bot[k] = y
					}
				}
			}
			if q.Y < top[kq] {
				top[kq] = q.Y
			}
			if q.Y > bot[kq] {
				bot[kq] = q.Y
			}
			p, kp = q, kq
		}
	}
}

// col is the profile column of x: a floor by conversion, exact for any x on a card (the offset
// keeps x positive; guard rejects what is not a number later).
func col(x float64) int {
	const off = 1 << 20
	return int(x*(1/colW)+off) - off
}

// lineEnd is the index in r.refs after line li's last stroke.
func (r *renderer) lineEnd(li int) int {
	if li+1 < len(r.lineRef) {
		return r.lineRef[li+1]
	}
	return len(r.refs)
}

// separation is the outcome of spacing the written lines.
type separation struct {
	shift       []float64 // per line, how far down it moves, mm
	top, bottom float64   // the ink's extent after the shifts, mm
	fitsThrough int       // lines whose ink, shifted, fits the card's writable height
	overflow    float64   // how much taller than the writable height the block is, mm (≤ 0: fits)
	anyInk      bool
}

// separate measures every line and works out the shifts that keep clr mm between lines, never
// bringing a line closer to the previous one than share of the distance the hand wrote it at.
func (r *renderer) separate(clr, share float64) separation {
	nl := len(r.linePts)
	if cap(r.inks) < nl {
		r.inks = append(r.inks[:cap(r.inks)], make([]lineInk, nl-cap(r.inks))...)
	}
	r.inks = r.inks[:nl]
	sep := separation{shift: grow(r.shifts, nl), top: math.Inf(1), bottom: math.Inf(-1)}
	r.shifts = sep.shift
	// floor holds, per column, the lowest ink of all lines so far, shifted.
	f0, f1 := math.MaxInt, math.MinInt
	for li := range nl {
		ink := &r.inks[li]
		r.profile(li, ink)
		if len(ink.top) > 0 {
			f0, f1 = min(f0, ink.k0), max(f1, ink.k0+len(ink.top))
		}
	}
	if f0 > f1 {
		for li := range nl {
			sep.shift[li] = 0
		}
		return sep
	}
	sep.anyInk = true
	floor := grow(r.floor, f1-f0)
	r.floor = floor
	for k := range floor {
		floor[k] = math.Inf(-1)
	}
	reach := int(math.Ceil(clr / colW))
	avail := r.f.H - r.f.Margin.Top - r.f.Margin.Bottom
	prev, prevBase := 0.0, math.NaN()
	for li := range nl {
		ink := &r.inks[li]
		// The hand's own distance to the previous written line, which the shift keeps (or a
		// share of it, on a full card).
		s := prev
		if !math.IsNaN(prevBase) && share < 1 {
			s = prev - (1-share)*(r.bases[li]-prevBase)
		}
		need := math.Inf(-1)
		for k, t := range ink.top {
			if math.IsInf(t, 1) {
				continue
			}
			g := ink.k0 + k - f0
			lo, hi := max(g-reach, 0), min(g+reach, len(floor)-1)
			for _, fy := range floor[lo : hi+1] {
				if d := fy + clr - t; d > need {
					need = d
				}
			}
		}
		s = max(s, need)
		if len(ink.top) == 0 {
			// A blank line moves with the line above: it has no ink to keep clear.
			s = prev
		}
		sep.shift[li] = s
		for k, bt := range ink.bot {
			if y := bt + s; y > floor[ink.k0+k-f0] {
				floor[ink.k0+k-f0] = y
			}
			if t := ink.top[k] + s; t < sep.top {
				sep.top = t
			}
			if y := bt + s; y > sep.bottom {
				sep.bottom = y
			}
		}
		if len(ink.top) > 0 && sep.bottom-sep.top <= avail+1e-9 {
			sep.fitsThrough = li + 1
		}
		prev = s
		if len(ink.top) > 0 {
			prevBase = r.bases[li]
		}
	}
	sep.overflow = sep.bottom - sep.top - avail
	return sep
}

// place moves every line by its shift and the whole block to its place on the card: from the
// top margin down by a seeded share of the free height (a writer does not always start at the
// same height), or centred for AlignCenter; never above the top margin.
func (r *renderer) place(sep separation) {
	dy := 0.0
	if sep.anyInk {
		m := r.f.Margin
		lo := m.Top - sep.top               // the least move that keeps the ink below the top margin
		hi := r.f.H - m.Bottom - sep.bottom // the most that keeps it above the bottom margin
		if r.align == AlignCenter {
			dy = (lo + hi) / 2
		} else {
			// The first line starts a little lower on some cards than on others; how much
			// does not depend on what is written further down, unless the card is full.
			dy = max(lo, r.topShare*1.5*r.xh)
			if dy > hi {
				dy = min(max(lo, 0), hi)
			}
		}
		dy = max(dy, lo)
	}
	r.moves = r.moves[:0]
	for li := range r.linePts {
		d := sep.shift[li] + dy
		r.moves = append(r.moves, d)
		if d == 0 {
			continue
		}
		for i := r.linePts[li][0]; i < r.linePts[li][1]; i++ {
			r.pts[i].Y += d
		}
	}
}
