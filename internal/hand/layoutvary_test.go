package hand

import (
	"fmt"
	"math"
	"sort"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
)

// TestLayoutVariesBySeed: a campaign writes one text on many cards, and no two may share a
// layout. Over 100 seeds of one German card: the line breaks take many patterns, the left
// margin and the line spacing vary by what a hand varies, the signature is sometimes flush left
// and sometimes indented, and no two cards have the same breaks, margin and spacing.
func TestLayoutVariesBySeed(t *testing.T) {
	text := testText(t, "de-danke.txt")
	face := realFace(t, "allure")
	breaks := map[string]int{}
	layouts := map[string]bool{}
	var lefts, pitches, sigX []float64
	for seed := uint64(1); seed <= 100; seed++ {
		r, err := prepare(Request{Text: text, Face: face, Format: mustFormat(t, "a6"), Hand: mustHand(t, "casual"), Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		c, err := r.render()
		if err != nil {
			t.Fatal(err)
		}
		var b string
		for _, ln := range r.lines {
			b += fmt.Sprint(ln.p1-ln.p0, " ")
		}
		breaks[b]++
		left, top0, top1 := math.Inf(1), math.Inf(1), math.Inf(1)
		sigLeft := math.Inf(1)
		for i, s := range c.Strokes {
			for _, p := range s {
				switch c.Line[i] {
				case 0:
					left, top0 = math.Min(left, p.X), math.Min(top0, p.Y)
				case 2:
					top1 = math.Min(top1, p.Y)
				case c.Lines - 1:
					sigLeft = math.Min(sigLeft, p.X)
				}
			}
		}
		lefts = append(lefts, left)
		pitches = append(pitches, (top1-top0)/c.XHeight)
		sigX = append(sigX, sigLeft-left)
		layouts[fmt.Sprintf("%s %.1f %.2f %.1f", b, left, c.XHeight, top1-top0)] = true
	}
	if len(breaks) < 8 {
		t.Errorf("100 seeds broke the lines in only %d ways: %v", len(breaks), breaks)
	}
	if len(layouts) < 100 {
		t.Errorf("100 seeds gave only %d different layouts", len(layouts))
	}
	sd := func(v []float64) float64 {
		m := 0.0
		for _, x := range v {
			m += x
		}
		m /= float64(len(v))
		s := 0.0
		for _, x := range v {
			s += (x - m) * (x - m)
		}
		return math.Sqrt(s / float64(len(v)))
	}
	if s := sd(lefts); s < 0.5 || s > 4 {
		t.Errorf("the left margin varies by %.2f mm (sd); a hand varies it by 0.5 to 4", s)
	}
	if s := sd(pitches); s < 0.03 {
		t.Errorf("the line spacing varies by %.3f x-heights (sd): too regular", s)
	}
	flush, indented := 0, 0
	for _, x := range sigX {
		if math.Abs(x) < 3 {
			flush++
		} else if x > 5 {
			indented++
		}
	}
	if flush < 10 || indented < 10 {
		t.Errorf("the signature was flush left %d times and indented %d times in 100", flush, indented)
	}
	t.Logf("%d break patterns, %d layouts; left margin sd %.2f mm, spacing sd %.3f x-heights; signature flush %d, indented %d",
		len(breaks), len(layouts), sd(lefts), sd(pitches), flush, indented)
}

// TestWordsKeepApart: the words of a line are spaced by their ink, so no word runs into the
// next (as "ours.We" once did, a capital's flourish over the full stop before it) and no gap
// is a double one: over the corpus, every face and hand, the ink of two neighbouring words is
// at least 0.5 x-height apart, and no gap is more than 3 times the line's smallest.
func TestWordsKeepApart(t *testing.T) {
	texts := corpus(t)
	a6 := mustFormat(t, "a6")
	worst, widest := math.Inf(1), 0.0
	for name, text := range texts {
		for _, face := range font.Faces() {
			for _, h := range Hands() {
				for seed := uint64(1); seed <= 3; seed++ {
					c := render(t, Request{Text: text, Face: face, Format: a6, Hand: h, Seed: seed})
					type ext struct {
						lo, hi float64
						line   int
					}
					words := map[int]*ext{}
					for i, s := range c.Strokes {
						e := words[c.Word[i]]
						if e == nil {
							e = &ext{math.Inf(1), math.Inf(-1), c.Line[i]}
							words[c.Word[i]] = e
						}
						for _, p := range s {
							e.lo, e.hi = math.Min(e.lo, p.X), math.Max(e.hi, p.X)
						}
					}
					gaps := map[int][]float64{}
					for w, e := range words {
						if n := words[w+1]; n != nil && n.line == e.line {
							gaps[e.line] = append(gaps[e.line], (n.lo-e.hi)/c.XHeight)
						}
					}
					for l, g := range gaps {
						lo, hi := math.Inf(1), 0.0
						for _, x := range g {
							lo, hi = math.Min(lo, x), math.Max(hi, x)
						}
						worst = math.Min(worst, lo)
						if lo < 0.35 || hi > 3*lo {
							t.Errorf("%s %s %s seed %d line %d: words %.2f to %.2f x-heights apart", name, face.Name, h.Name, seed, l, lo, hi)
						}
						if lo > 0 {
							widest = math.Max(widest, hi/lo)
						}
					}
				}
			}
		}
	}
	t.Logf("closest words %.2f x-heights apart; widest gap %.1f times the line's narrowest", worst, widest)
}

// TestLinesUseTheWidth: every hand fills its lines to near the right margin (the hurried hand
// once stopped 18 mm short while its lines collided), and the lines that would run past it are
// squeezed by a few per cent at most.
func TestLinesUseTheWidth(t *testing.T) {
	texts := corpus(t)
	a6 := mustFormat(t, "a6")
	limit := a6.W - a6.Margin.Right
	for _, h := range Hands() {
		var rights []float64
		worst := 1.0
		for _, text := range texts {
			for _, face := range font.Faces() {
				for seed := uint64(1); seed <= 2; seed++ {
					r, err := prepare(Request{Text: text, Face: face, Format: a6, Hand: h, Seed: seed})
					if err != nil {
						t.Fatal(err)
					}
					c, err := r.render()
					if err != nil {
						t.Fatal(err)
					}
					worst = math.Min(worst, r.squeezed)
					right := map[int]float64{}
					for i, s := range c.Strokes {
						for _, p := range s {
							right[c.Line[i]] = math.Max(right[c.Line[i]], p.X)
						}
					}
					for _, x := range right {
						rights = append(rights, x)
					}
				}
			}
		}
		sort.Float64s(rights)
		p90 := rights[len(rights)*9/10]
		if p90 < 0.9*limit || rights[len(rights)-1] > limit+1e-9 {
			t.Errorf("%s: the longest lines end at %.1f mm (90th percentile), at most %.1f; the margin is at %.1f", h.Name, p90, rights[len(rights)-1], limit)
		}
		if worst < 0.9 {
			t.Errorf("%s: a line was squeezed to %.0f %% of its width", h.Name, 100*worst)
		}
		t.Logf("%s: lines end at %.1f mm (90th percentile) of %.1f; strongest squeeze %.3f", h.Name, p90, limit, worst)
	}
}

// TestCenteredLinesAreCentred: with AlignCenter every line's ink is centred on the card, give
// or take the hand's margin drift and the card's own margin (a few mm), whatever its letters'
// side bearings and the ink spacing of its words.
func TestCenteredLinesAreCentred(t *testing.T) {
	a6 := mustFormat(t, "a6")
	mid := (a6.Margin.Left + a6.W - a6.Margin.Right) / 2
	for _, face := range font.Faces() {
		for seed := uint64(1); seed <= 5; seed++ {
			c := render(t, Request{Text: "Alles Liebe zum Geburtstag!\nDeine Jutta\n\nbis bald", Face: face, Format: a6, Hand: mustHand(t, "casual"), Seed: seed, Align: AlignCenter})
			lo, hi := map[int]float64{}, map[int]float64{}
			for i, s := range c.Strokes {
				l := c.Line[i]
				if _, ok := lo[l]; !ok {
					lo[l], hi[l] = math.Inf(1), math.Inf(-1)
				}
				for _, p := range s {
					lo[l], hi[l] = math.Min(lo[l], p.X), math.Max(hi[l], p.X)
				}
			}
			for l := range lo {
				if d := (lo[l]+hi[l])/2 - mid; math.Abs(d) > 4 {
					t.Errorf("%s seed %d line %d: centred %.1f mm off the middle", face.Name, seed, l, d)
				}
			}
		}
	}
}
