package hand

import (
	"math"
	"slices"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
)

// glyphInk is one written glyph's own strokes, split into body and late strokes.
type glyphInk struct {
	c          rune
	body, late []geom.Stroke
}

// writeTraced writes text and returns every glyph's own ink in writing order.
func writeTraced(t *testing.T, req Request) ([]glyphInk, *Card) {
	t.Helper()
	r, err := prepare(req)
	if err != nil {
		t.Fatal(err)
	}
	var out []glyphInk
	r.trace = func(c rune, strokes []geom.Stroke) {
		g, ok := req.Face.Glyph(c)
		if !ok {
			t.Fatalf("no glyph %q", c)
		}
		nBody := 0
		for _, l := range g.Late {
			if !l {
				nBody++
			}
		}
		gi := glyphInk{c: c}
		for i, s := range strokes {
			s = append(geom.Stroke(nil), s...)
			if i < nBody {
				gi.body = append(gi.body, s)
			} else {
				gi.late = append(gi.late, s)
			}
		}
		out = append(out, gi)
	}
	card, err := r.render()
	if err != nil {
		t.Fatal(err)
	}
	// The trace reports the ink where it is on the card: its late strokes are the card's, in
	// order. (Ink as first put, before the layout moves words and lines, would measure the
	// layout's moves instead of the marks' clearance.)
	var late []geom.Stroke
	for i, s := range card.Strokes {
		if card.Late[i] {
			late = append(late, s)
		}
	}
	k := 0
	for i := range out {
		for _, s := range out[i].late {
			if k >= len(late) {
				t.Fatalf("the card has %d late strokes, the trace more", len(late))
			}
			if !slices.Equal(s, late[k]) {
				t.Fatalf("late stroke %d of %q is not where the card has it", k, out[i].c)
			}
			k++
		}
	}
	if k != len(late) {
		t.Fatalf("the card has %d late strokes, the trace %d", len(late), k)
	}
	return out, card
}

func strokeDist(a, b []geom.Stroke) float64 {
	d := math.Inf(1)
	for _, s := range a {
		for _, p := range s {
			for _, o := range b {
				for k := range o {
					if k == 0 {
						d = math.Min(d, p.Dist(o[0]))
						continue
					}
					d = math.Min(d, math.Sqrt(segDist2(p, o[k-1], o[k])))
				}
			}
		}
	}
	return d
}

// TestMarksClearNeighbours: the dots and accents of the words the issue saw collide ("diesem",
// "Élodie", "Lefèvre", "Ößwald", "über", "zwölf", "little", "titel") keep clear of the other
// letters' ink, and letters the pen lifts between keep clear of each other, in every face and
// hand.
func TestMarksClearNeighbours(t *testing.T) {
	const text = "diesem Élodie Lefèvre Ößwald über zwölf little titel Ärger Töchter Fête"
	for _, f := range font.Faces() {
		for _, hn := range []string{"neat", "casual", "hurried"} {
			for seed := uint64(1); seed <= 3; seed++ {
				ink, card := writeTraced(t, Request{Text: text, Face: f, Format: mustFormat(t, "a6"), Hand: mustHand(t, hn), Seed: seed})
				xh := card.XHeight
				for i, g := range ink {
					for _, j := range []int{i - 1, i + 1} {
						if j < 0 || j >= len(ink) {
							continue
						}
						o := ink[j]
						var other []geom.Stroke
						other = append(append(other, o.body...), o.late...)
						// Marks keep at least 0.12 x-height (most of their 0.2 target
						// after the jitter the hand adds to late strokes) from the
						// neighbours' ink.
						if len(g.late) > 0 {
							if d := strokeDist(g.late, other) / xh; d < 0.12 && isFloating(f, g.c) {
								t.Errorf("%s/%s/%d: a mark of %q comes %.2f x-height from %q", f.Name, hn, seed, g.c, d, o.c)
							}
						}
					}
				}
			}
		}
	}
}

// isFloating reports whether every late stroke of c is a dot or accent above it.
func isFloating(f *font.Face, c rune) bool {
	gi := infoFor(f).glyph(c)
	for _, fl := range gi.floating {
		if !fl {
			return false
		}
	}
	return len(gi.floating) > 0
}
