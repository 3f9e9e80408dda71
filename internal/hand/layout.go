package hand

import "math"

// Layout: measure words in font units, wrap them greedily into lines of a given width,
// hyphenating words longer than a line, and find the largest letter size at which every line
// fits on the card.

// piece is the part of a word written on one line: runes [a, b) and perhaps a hyphen.
type piece struct {
	a, b   int
	hyphen bool
}

// line is a range of pieces; a blank line has none. width is in font units, unjittered.
type line struct {
	p0, p1 int
	width  float64
}

// measure fills adv, kern and cum for the scanned text: cum[i] is the width of runes[:i] as if
// written in one word, kern[i] the kerning between rune i-1 and i (0 at a word start).
func (r *renderer) measure() {
	n := len(r.t.runes)
	r.adv = grow(r.adv, n)
	r.kern = grow(r.kern, n)
	r.cum = grow(r.cum, n+1)
	for _, w := range r.t.words {
		for i := w.a; i < w.b; i++ {
			c := r.t.runes[i]
			if c == nbsp {
				r.adv[i] = r.fi.spaceAdvance
			} else if c == thin {
				r.adv[i] = thinShare * r.fi.spaceAdvance
			} else {
				r.adv[i] = r.fi.glyph(c).g.Advance
			}
			r.kern[i] = 0
			if i > w.a {
				r.kern[i] = r.fi.kern(r.t.runes[i-1], c)
			}
		}
	}
	r.cum[0] = 0
	for i := range n {
		r.cum[i+1] = r.cum[i] + r.adv[i] + r.kern[i]
	}
	r.breaks = r.breaks[:0]
	for range r.t.words {
		r.breaks = append(r.breaks, nil)
	}
	r.broken = grow(r.broken, len(r.t.words))
	for i := range r.broken {
		r.broken[i] = 0
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// width of runes [a, b) of one word, font units.
func (r *renderer) width(a, b int) float64 {
	if b <= a {
		return 0
	}
	return r.cum[b] - r.cum[a] - r.kern[a]
}

func (r *renderer) hyphenWidth() float64 {
	if r.fi.hyph == nil {
		return 0
	}
	return r.fi.hyph.g.Advance
}

// wordBreaks returns the hyphenation points of word wi, worked out on first use.
func (r *renderer) wordBreaks(wi int) []breakAt {
	if r.broken[wi] == 0 {
		w := r.t.words[wi]
		r.breaks[wi] = hyphenBreaks(r.t.runes[w.a:w.b], nil)
		r.broken[wi] = 1
	}
	return r.breaks[wi]
}

// wrap lays the words into lines of at most fullW font units (each line a seeded share less, see
// lineMax), with space units between words,
// and reports whether every single letter fitted on a line (false only at absurd sizes).
func (r *renderer) wrap(fullW, space float64) bool {
	r.pieces = r.pieces[:0]
	r.lines = r.lines[:0]
	hw := r.hyphenWidth()
	for _, p := range r.t.paras {
		cur := line{p0: len(r.pieces), p1: len(r.pieces)}
		maxW := r.lineMax(len(r.lines), fullW)
		newLine := func() {
			cur.p1 = len(r.pieces)
			r.lines = append(r.lines, cur)
			cur = line{p0: len(r.pieces), p1: len(r.pieces)}
			maxW = r.lineMax(len(r.lines), fullW)
		}
		for wi := p.a; wi < p.b; wi++ {
			w := r.t.words[wi]
			ww := r.width(w.a, w.b)
			gap := 0.0
			if len(r.pieces) > cur.p0 {
				gap = r.gap(r.pieces[len(r.pieces)-1], w.a, space)
			}
			if cur.width+gap+ww <= maxW {
				r.pieces = append(r.pieces, piece{a: w.a, b: w.b})
				cur.width += gap + ww
				continue
			}
			if len(r.pieces) == cur.p0 && ww <= fullW {
				// A word that fits a full line is not hyphenated for the line's raggedness.
				r.pieces = append(r.pieces, piece{a: w.a, b: w.b})
				cur.width = ww
				continue
			}
			if ww <= maxW && len(r.pieces) > cur.p0 {
				newLine()
				r.pieces = append(r.pieces, piece{a: w.a, b: w.b})
				cur.width = ww
				continue
			}
			// Longer than a line (or than what is left of it, on an empty line): hyphenate.
			start := w.a
			for start < w.b {
				gap = 0
				if len(r.pieces) > cur.p0 {
					gap = r.gap(r.pieces[len(r.pieces)-1], start, space)
				}
				rest := r.width(start, w.b)
				if cur.width+gap+rest <= maxW {
					r.pieces = append(r.pieces, piece{a: start, b: w.b})
					cur.width += gap + rest
					break
				}
				avail := maxW - cur.width - gap
				k, hy := r.bestBreak(wi, start, avail, hw)
				if k < 0 {
					if len(r.pieces) > cur.p0 {
						newLine()
						continue
					}
					// An empty line and still no syllable fits: break anywhere.
					k, hy = r.forcedBreak(start, w.b, avail, hw)
					if k < 0 {
						return false
					}
				}
				pw := r.width(start, k)
				if hy {
					pw += hw
				}
				r.pieces = append(r.pieces, piece{a: start, b: k, hyphen: hy})
				cur.width += gap + pw
				newLine()
				start = k
			}
		}
		cur.p1 = len(r.pieces)
		r.lines = append(r.lines, cur)
	}
	return true
}

// gap is the space between piece p and a word starting at rune next: the hand's space, or more
// when ink reaches past p's last advance or before the next word's origin (as Render spaces by
// the ink, see write).
func (r *renderer) gap(p piece, next int, space float64) float64 {
	last := r.fi.hyph
	if !p.hyphen {
		last = r.fi.glyph(r.t.runes[p.b-1])
	}
	tail, lead := 0.0, 0.0
	if last != nil {
		tail = math.Max(0, last.coreMaxX-last.g.Advance)
	}
	if gi := r.fi.glyph(r.t.runes[next]); gi != nil {
		lead = -math.Min(0, gi.coreMinX)
	}
	return math.Max(space, tail+inkGap*space+lead)
}

// inkGap is the least gap between two words' ink, as a share of the hand's word space.
const inkGap = 0.7

// bestBreak finds the last syllable break after start whose first part fits in avail.
func (r *renderer) bestBreak(wi, start int, avail, hw float64) (int, bool) {
	w := r.t.words[wi]
	best, hy := -1, false
	for _, b := range r.wordBreaks(wi) {
		k := w.a + b.I
		if k <= start || k >= w.b {
			continue
		}
		pw := r.width(start, k)
		if b.Hyphen {
			pw += hw
		}
		if pw > avail {
			break
		}
		// Keep at least two letters before the break on a continued piece too.
		if k-start >= 2 {
			best, hy = k, b.Hyphen
		}
	}
	return best, hy
}

// forcedBreak splits [a, b) as late as fits, keeping one rune at least, and never at a thin
// space or the sign after it.
func (r *renderer) forcedBreak(a, b int, avail, hw float64) (int, bool) {
	k := -1
	for i := a + 1; i < b; i++ {
		if r.width(a, i)+hw > avail {
			break
		}
		if r.t.runes[i] != thin && r.t.runes[i-1] != thin {
			k = i
		}
	}
	if k < 0 && b-a == 1 && r.width(a, b) <= avail {
		return b, false
	}
	return k, true
}

// capacity returns how many lines fit at x-height xh (mm), and the baseline pitch.
func (r *renderer) capacity(xh float64) (int, float64) {
	s := xh / r.fi.xh
	pitch := r.pitch(xh) * r.pitchK
	availH := r.f.H - r.f.Margin.Top - r.f.Margin.Bottom - (r.fi.asc+r.fi.desc)*s
	if availH < 0 {
		return 0, pitch
	}
	return int(math.Floor(availH/pitch+1e-9)) + 1, pitch
}

// pitch is the baseline-to-baseline distance: the hand's spacing, but never so tight that a
// descender would cut into the next line's ascender.
func (r *renderer) pitch(xh float64) float64 {
	s := xh / r.fi.xh
	return math.Max(r.h.LineSpacing*xh, 0.85*(r.fi.asc+r.fi.desc)*s)
}

// lineWidth is the wrapping width in mm: from the card's own left margin to its right edge,
// less room for the drifting margin and the size of the card's words, so that varied lines
// nearly always end inside the right margin (keepInside squeezes the rare one that does not).
func (r *renderer) lineWidth() float64 {
	w := r.f.W - r.f.Margin.Left - r.leftOff - r.f.Margin.Right - r.rightSlack
	w -= r.h.MarginDrift + math.Max(0, r.trend)
	return w / (r.cardScale * (1 + 0.5*r.h.WordScaleJitter))
}

// lineMax is the width line n of a paragraph may take, out of maxW: a writer does not fill
// every line to the edge, and where the next word would just fit, some break before it. The
// share is drawn per card and line, so that the same text breaks differently on every card.
func (r *renderer) lineMax(n int, maxW float64) float64 {
	if r.rag == 0 {
		return maxW
	}
	s := newStream(child(r.cardKey, levelBreak, n))
	u := s.u()
	return maxW * (1 - r.rag*u*u)
}

// fit wraps at x-height xh and reports whether every line fits the card, and how many lines it
// took.
func (r *renderer) fit(xh float64) (ok bool, lines, cap int) {
	s := xh / r.fi.xh
	if !r.wrap(r.lineWidth()/s, r.fi.spaceAdvance*r.h.WordSpacing) {
		return false, -1, 0
	}
	c, _ := r.capacity(xh)
	return len(r.lines) <= c && r.estimateFits(xh), len(r.lines), c
}

// chooseSize finds the largest x-height in [lo, hi] at which the text fits, to 0.01 mm, and
// leaves the text wrapped at that size.
func (r *renderer) chooseSize(lo, hi float64) (float64, error) {
	if ok, _, _ := r.fit(hi); ok {
		return hi, nil
	}
	ok, need, c := r.fit(lo)
	if !ok && need >= 0 && r.rag > 0 {
		// At the smallest size every line goes to the edge: no ragged early breaks.
		r.rag = 0
		ok, need, c = r.fit(lo)
	}
	if !ok {
		if need < 0 {
			return 0, &FitError{Format: r.f.Title, XHeight: lo,
				Detail: "a single letter is wider than a line of the " + r.f.Title + " at the smallest size"}
		}
		if float64(need) > float64(c)/minPitchShare+1 {
			return 0, &FitError{Format: r.f.Title, LinesNeeded: need, LinesAvailable: c, XHeight: lo}
		}
		// Perhaps the lines' ink lets them come closer than the hand's spacing: render tries.
		return lo, nil
	}
	for hi-lo > 0.01 {
		mid := math.Round((lo+hi)*50) / 100
		if mid <= lo || mid >= hi {
			break
		}
		if ok, _, _ := r.fit(mid); ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	r.fit(lo)
	return lo, nil
}
