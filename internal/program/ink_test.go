package program

import (
	"math"
	"slices"
	"testing"

	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/gcode"
	"github.com/quillpost/quillpost/internal/plan"
	"github.com/quillpost/quillpost/internal/profile"
)

// TestBuildWritesWithInk: a card's program draws at varying feeds, never above the profile's
// draw feed, is the same program every time, and its plot-time estimate times the paths it draws
// at the feeds and dwells it gives them: more than the same paths at the draw feed with the
// profile's dwell, by less than the slowest ink could cost.
func TestBuildWritesWithInk(t *testing.T) {
	card, err := cardspec.Render(cardspec.Spec{Message: "Liebe Grüße aus Köln,\ndeine Jule", Seed: 5}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range profile.All() {
		prog, err := Build(card, p, plan.OrderOptimal, "card crd_test")
		if err != nil {
			t.Fatal(err)
		}
		again, _ := Build(card, p, plan.OrderOptimal, "card crd_test")
		if !slices.Equal(prog.GCode.Lines, again.GCode.Lines) {
			t.Fatalf("%s: two builds of one card differ", p.Name)
		}
		feeds := map[float64]bool{}
		for _, l := range prog.GCode.Lines {
			blk, err := gcode.ParseLine(l)
			if err != nil || !(blk.Has('G', 1) || blk.Has('G', 2) || blk.Has('G', 3)) || blk.Count('Z') > 0 {
				continue
			}
			if f, ok := blk.Get('F'); ok {
				if f > p.DrawFeed {
					t.Errorf("%s: %q exceeds the draw feed %g", p.Name, l, p.DrawFeed)
				}
				feeds[f] = true
			}
		}
		if len(feeds) < 4 {
			t.Errorf("%s: %d draw feeds, want a varying pen", p.Name, len(feeds))
		}
		drawn, err := gcode.ReadDrawn(prog.GCode.Lines, p)
		if err != nil {
			t.Fatal(err)
		}
		steady := plan.EstimateTimes(drawn.Strokes, Start(p), Motion(p))
		inked := plan.EstimateProgram(drawn.Strokes, Start(p), Motion(p), Timing(p, drawn))
		if math.Abs(inked.Total()-prog.PlotSeconds) > 1e-9 {
			t.Errorf("%s: PlotSeconds %.3f s, the read-back program times %.3f s", p.Name, prog.PlotSeconds, inked.Total())
		}
		// Even every move at the slowest ink feed could at most stretch the drawing by 1/0.55.
		extra := prog.PlotSeconds - steady.Total()
		t.Logf("%s: steady %.1f s, ink adds %.1f s (draw %.1f→%.1f, pen %.1f→%.1f), %d draw feeds",
			p.Name, steady.Total(), extra, steady.Draw, inked.Draw, steady.Pen, inked.Pen, len(feeds))
		if !(inked.Draw > steady.Draw) || inked.Draw > steady.Draw/0.55 || inked.Travel != steady.Travel {
			t.Errorf("%s: drawing takes %.2f s with ink, %.2f s steady: want slower, by at most 1/0.55",
				p.Name, inked.Draw, steady.Draw)
		}
		if _, down := p.PenDwellSeconds(); down > 0 && !(inked.Pen > steady.Pen) {
			t.Errorf("%s: pen time %.2f s with ink, %.2f s steady: want longer landings", p.Name, inked.Pen, steady.Pen)
		}
	}
}
