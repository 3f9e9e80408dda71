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
// draw feed, is the same program every time, and its plot-time estimate is the steady estimate
// plus what the slower ink and longer landings cost, within the size of that share.
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
		steady := plan.Estimate(prog.Strokes, Start(p), Motion(p))
		extra := prog.PlotSeconds - steady
		t.Logf("%s: steady %.1f s, ink adds %.1f s, %d draw feeds", p.Name, steady, extra, len(feeds))
		if !(extra > 0) || math.Abs(extra-prog.GCode.InkSeconds) > 1e-9 || extra > 0.6*steady {
			t.Errorf("%s: estimate %.1f s, steady %.1f s, ink adds %.1f s: want the steady estimate plus the ink's share",
				p.Name, prog.PlotSeconds, steady, prog.GCode.InkSeconds)
		}
	}
}
