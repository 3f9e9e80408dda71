package plan_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/hand"
	"github.com/quillpost/quillpost/internal/plan"
)

// grblServo is a typical GRBL servo plotter.
var grblServo = plan.Motion{DrawFeed: 3000, TravelFeed: 6000, Accel: 500, JunctionDeviation: 0.01, PenUpSeconds: 0.15, PenDownSeconds: 0.15}

// renderTexts writes every text in testdata/texts with every face on an A6 card in the neat hand.
func renderTexts(t testing.TB) map[string]*hand.Card {
	t.Helper()
	files, _ := filepath.Glob("../../testdata/texts/*.txt")
	if len(files) == 0 {
		t.Skip("no texts in testdata/texts")
	}
	format, err := hand.LookupFormat("a6")
	if err != nil {
		t.Fatal(err)
	}
	h, err := hand.LookupHand("neat")
	if err != nil {
		t.Fatal(err)
	}
	cards := make(map[string]*hand.Card)
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, face := range font.Faces() {
			name := strings.TrimSuffix(filepath.Base(f), ".txt") + "/" + face.Name
			c, err := hand.Render(hand.Request{Text: string(text), Face: face, Format: format, Hand: h, Seed: 1})
			if err != nil {
				t.Logf("%s: %v", name, err)
				continue
			}
			cards[name] = c
		}
	}
	return cards
}

// TestMeasureTexts reports, per rendered text and face: pen-up travel of the optimised order vs
// the greedy peer baseline vs text order vs the lower bounds, and the estimated plot time
// optimised vs natural vs text order (split into drawing, travel and pen lifts). It asserts what
// the optimiser guarantees on real cards: below greedy, faster than text order, and within 25% of
// the Held–Karp bound (which is itself below the true optimum).
func TestMeasureTexts(t *testing.T) {
	if raceOn {
		t.Skip("optimises the whole corpus: too slow under the race detector")
	}
	t.Parallel()
	cards := renderTexts(t)
	names := slices.Sorted(maps.Keys(cards))
	start := geom.Point{}
	t.Log("pen-up mm: optimal (unbridged) greedy text | issue bound (×) [read literally] tree bound (×) Held–Karp bound (× unbridged) | seconds: text natural optimal [draw+travel+pen]")
	for _, name := range names {
		c := cards[name]
		opt := plan.Optimize(c.Strokes, start, plan.Options{})
		text := plan.Optimize(c.Strokes, start, plan.Options{Order: plan.OrderText})
		natural := plan.Optimize(c.Strokes, start, plan.Options{Order: plan.OrderNatural, Word: c.Word, Late: c.Late})
		greedy := plan.Greedy(c.Strokes, start)
		lb, tree := plan.PenUpLowerBound(c.Strokes), plan.PenUpTreeBound(c.Strokes)
		o, g, tx := plan.PenUpTravel(opt, start), plan.PenUpTravel(greedy, start), plan.PenUpTravel(text, start)
		unbridged := plan.PenUpTravel(plan.Optimize(c.Strokes, start, plan.Options{MinGap: -1}), start)
		hk := heldKarpBound(c.Strokes, start, unbridged, 150)
		literal := literalBound(c.Strokes)
		te, ne := plan.Estimate(text, start, grblServo), plan.Estimate(natural, start, grblServo)
		ot := plan.EstimateTimes(opt, start, grblServo)
		t.Logf("%-26s %3d strokes | %5.0f (%5.0f) %5.0f %5.0f | %4.0f (×%.2f) [%4.0f] %4.0f (×%.2f) %4.0f (×%.2f) | %5.1f %5.1f %5.1f [%.0f+%.0f+%.0f] %2.0f%% faster",
			name, len(c.Strokes), o, unbridged, g, tx, lb, o/lb, literal, tree, o/tree, hk, unbridged/hk,
			te, ne, ot.Total(), ot.Draw, ot.Travel, ot.Pen, 100*(1-ot.Total()/te))
		if o >= g {
			t.Errorf("%s: optimal %.1f mm is not below greedy %.1f mm", name, o, g)
		}
		if ot.Total() >= te {
			t.Errorf("%s: optimal %.1f s is not faster than text order %.1f s", name, ot.Total(), te)
		}
		if unbridged > 1.25*hk || hk > unbridged {
			t.Errorf("%s: optimal %.1f mm against the Held–Karp bound %.1f mm", name, unbridged, hk)
		}
	}
}

// literalBound is the sentence read literally: for each stroke, the distance from its
// given start to the nearest end of any other stroke, summed. With reversible strokes it is not a
// lower bound (a stroke whose start is far from everything can be drawn backwards), so it is
// only reported, for comparison with PenUpLowerBound.
func literalBound(strokes []geom.Stroke) float64 {
	var sum float64
	for i, s := range strokes {
		if len(s) == 0 {
			continue
		}
		best := -1.0
		for j, o := range strokes {
			if j == i || len(o) == 0 {
				continue
			}
			for _, e := range []geom.Point{o[0], o[len(o)-1]} {
				if d := s[0].Dist(e); best < 0 || d < best {
					best = d
				}
			}
		}
		sum += max(best, 0)
	}
	return sum
}

// BenchmarkOptimizeRenderedCard optimises a real rendered card (en-thanks in the sans face).
func BenchmarkOptimizeRenderedCard(b *testing.B) {
	c := renderTexts(b)["en-thanks/sans"]
	if c == nil {
		b.Skip("en-thanks/sans did not render")
	}
	b.ReportMetric(float64(len(c.Strokes)), "strokes")
	b.ReportAllocs()
	for b.Loop() {
		plan.Optimize(c.Strokes, geom.Point{}, plan.Options{})
	}
}
