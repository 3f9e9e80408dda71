package hand

import (
	"fmt"
	"math"
	"testing"
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
