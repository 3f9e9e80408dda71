package plan

import (
	"math"
	"math/rand/v2"

	"github.com/quillpost/quillpost/internal/geom"
)

// page is synthetic handwriting in text order, shaped like hand.Card's fields.
type page struct {
	Strokes []geom.Stroke
	Word    []int
	Late    []bool
}

// synthStyle parameterises synthHand.
type synthStyle struct {
	W, H, Margin float64 // mm
	XHeight      float64 // mm
	Cursive      bool    // one stroke per word (with occasional breaks) instead of 1–2 per letter
	MaxStrokes   int     // stop when this many strokes exist (0: fill the page)
}

var (
	cardPrint   = synthStyle{W: 148, H: 105, Margin: 10, XHeight: 2.6, MaxStrokes: 300}
	cardCursive = synthStyle{W: 148, H: 105, Margin: 10, XHeight: 2.8, Cursive: true}
	a4Dense     = synthStyle{W: 210, H: 297, Margin: 8, XHeight: 1.7, MaxStrokes: 10000}
)

// synthHand writes rows of words of small curvy strokes, like a flattened single-stroke font
// rendered with a little jitter: letters of 1–2 strokes (or whole cursive words), ascenders and
// descenders, i-dots and t-bars marked late and emitted right after their letter, as a renderer
// writing glyph by glyph would.
func synthHand(seed uint64, st synthStyle) page {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	var pg page
	xh := st.XHeight
	lineGap := xh * 3.2
	word := 0
	add := func(s geom.Stroke, late bool) {
		pg.Strokes = append(pg.Strokes, s)
		pg.Word = append(pg.Word, word)
		pg.Late = append(pg.Late, late)
	}
	full := func() bool { return st.MaxStrokes > 0 && len(pg.Strokes) >= st.MaxStrokes }
	for base := st.Margin + 2*xh; base < st.H-st.Margin-xh && !full(); base += lineGap * (0.95 + 0.1*r.Float64()) {
		x := st.Margin + r.Float64()*2*xh
		for !full() {
			letters := 1 + r.IntN(8)
			lw := xh * (0.55 + 0.15*r.Float64())
			if x+float64(letters)*lw > st.W-st.Margin {
				break
			}
			y := base + (r.Float64()-0.5)*0.3
			if st.Cursive {
				x = cursiveWord(r, x, y, lw, letters, xh, add)
			} else {
				for range letters {
					x = printLetter(r, x, y, lw, xh, add)
				}
			}
			x += xh * (1.0 + 0.6*r.Float64())
			word++
		}
	}
	return pg
}

// curve samples a wavy path from a to b bulging by amp, at about 0.3 mm steps, with jitter.
func curve(r *rand.Rand, a, b geom.Point, amp, waves float64) geom.Stroke {
	l := a.Dist(b) + math.Abs(amp)*waves*2
	n := max(2, int(l/0.3)+1)
	dx, dy := b.X-a.X, b.Y-a.Y
	nl := math.Hypot(dx, dy)
	nx, ny := 0.0, 0.0
	if nl > 0 {
		nx, ny = -dy/nl, dx/nl
	}
	s := make(geom.Stroke, n)
	for i := range n {
		u := float64(i) / float64(n-1)
		off := amp * math.Sin(math.Pi*waves*u)
		j := 0.0
		if i > 0 && i < n-1 {
			j = (r.Float64() - 0.5) * 0.02
		}
		s[i] = geom.Point{X: a.X + dx*u + nx*off + j, Y: a.Y + dy*u + ny*off + j}
	}
	return s
}

func printLetter(r *rand.Rand, x, y, lw, xh float64, add func(geom.Stroke, bool)) float64 {
	top := y - xh
	switch k := r.IntN(10); {
	case k < 2: // ascender: a tall stem, then a bowl
		add(curve(r, geom.Point{X: x + 0.1*lw, Y: y - 2*xh}, geom.Point{X: x + 0.1*lw, Y: y}, 0.1, 1), false)
		add(curve(r, geom.Point{X: x + 0.1*lw, Y: top + 0.3*xh}, geom.Point{X: x + 0.2*lw, Y: y}, lw*0.8, 1), false)
	case k < 3: // descender
		add(curve(r, geom.Point{X: x + 0.8*lw, Y: top}, geom.Point{X: x + 0.2*lw, Y: y + xh}, lw*0.5, 1.5), false)
	case k < 4: // i: stem and dot
		add(curve(r, geom.Point{X: x + 0.3*lw, Y: top}, geom.Point{X: x + 0.35*lw, Y: y}, 0.1, 1), false)
		d := geom.Point{X: x + 0.3*lw + (r.Float64()-0.5)*0.3, Y: top - 0.8*xh}
		add(geom.Stroke{d, d.Add(geom.Point{X: 0.15, Y: 0.1})}, true)
		return x + 0.6*lw
	case k < 5: // t: stem and bar
		add(curve(r, geom.Point{X: x + 0.4*lw, Y: y - 1.5*xh}, geom.Point{X: x + 0.5*lw, Y: y}, 0.15, 1), false)
		add(curve(r, geom.Point{X: x, Y: top}, geom.Point{X: x + 0.9*lw, Y: top - 0.1}, 0.05, 1), true)
	case k < 7: // two-stroke letter
		add(curve(r, geom.Point{X: x + 0.9*lw, Y: top + 0.2*xh}, geom.Point{X: x + 0.9*lw, Y: y}, lw*0.9, 1), false)
		add(curve(r, geom.Point{X: x + 0.9*lw, Y: top}, geom.Point{X: x + lw, Y: y}, 0.1, 1), false)
	default: // one bowl or arch
		add(curve(r, geom.Point{X: x, Y: top + 0.1*xh}, geom.Point{X: x + lw, Y: y}, lw*0.6, 1.5), false)
	}
	return x + lw*(1.05+0.1*r.Float64())
}

func cursiveWord(r *rand.Rand, x, y, lw float64, letters int, xh float64, add func(geom.Stroke, bool)) float64 {
	var lates []geom.Stroke
	var s geom.Stroke
	for i := range letters {
		end := geom.Point{X: x + lw, Y: y - 0.1}
		amp := xh * (0.4 + 0.2*r.Float64())
		if r.IntN(6) == 0 {
			amp = xh
		}
		c := curve(r, geom.Point{X: x, Y: y}, end, -amp, 2)
		if len(s) > 0 {
			c = c[1:]
		}
		s = append(s, c...)
		switch r.IntN(8) {
		case 0:
			d := geom.Point{X: x + 0.5*lw, Y: y - 1.8*xh}
			lates = append(lates, geom.Stroke{d})
		case 1:
			lates = append(lates, curve(r, geom.Point{X: x + 0.1*lw, Y: y - 1.1*xh}, geom.Point{X: x + 0.9*lw, Y: y - 1.2*xh}, 0.05, 1))
		}
		x += lw
		if i < letters-1 && r.IntN(5) == 0 { // a pen lift inside the word
			add(s, false)
			s = nil
			x += 0.2
		}
	}
	add(s, false)
	for _, l := range lates {
		add(l, true)
	}
	return x
}
