package plan

import (
	"os"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/hand"
)

func TestExpLifts(t *testing.T) {
	text, _ := os.ReadFile("../../testdata/texts/de-danke.txt")
	for _, face := range []string{"allure", "script"} {
		f, _ := font.Lookup(face)
		format, _ := hand.LookupFormat("a6")
		h, _ := hand.LookupHand("casual")
		c, _ := hand.Render(hand.Request{Text: string(text), Face: f, Format: format, Hand: h, Seed: 1})
		words := map[int][2]int{}
		for i := range c.Strokes {
			w := words[c.Word[i]]
			if c.Late[i] {
				w[1]++
			} else {
				w[0]++
			}
			words[c.Word[i]] = w
		}
		body, late := 0, 0
		multi := 0
		for _, w := range words {
			body += w[0]
			late += w[1]
			if w[0] > 1 {
				multi++
			}
		}
		t.Logf("%s: %d strokes, %d words, %d body, %d late, %d words with >1 body stroke", face, len(c.Strokes), len(words), body, late, multi)
		out := Optimize(c.Strokes, geom.Point{}, Options{Tolerance: 0.01})
		hist := map[string]int{}
		for i := 1; i < len(out); i++ {
			d := out[i-1][len(out[i-1])-1].Dist(out[i][0])
			switch {
			case d < 0.3:
				hist["<0.3"]++
			case d < 0.5:
				hist["<0.5"]++
			case d < 1:
				hist["<1"]++
			case d < 2:
				hist["<2"]++
			default:
				hist[">2"]++
			}
		}
		t.Logf("gaps: %v", hist)
	}
}
