package program

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/gcode"
	"github.com/quillpost/quillpost/internal/hand"
	"github.com/quillpost/quillpost/internal/plan"
	"github.com/quillpost/quillpost/internal/profile"
)

// throughputCards renders testdata/texts in the joined faces (allure, script) on A6 cards in the
// default hand, as customers order them.
func throughputCards(t testing.TB) (names []string, cards []*hand.Card) {
	t.Helper()
	files, _ := filepath.Glob("../../testdata/texts/*.txt")
	if len(files) == 0 {
		t.Skip("no texts in testdata/texts")
	}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, face := range []string{"allure", "script"} {
			c, err := cardspec.Render(cardspec.Spec{Message: string(text), Font: face, Seed: 1}.WithDefaults())
			if err != nil {
				t.Fatalf("%s/%s: %v", f, face, err)
			}
			names = append(names, strings.TrimSuffix(filepath.Base(f), ".txt")+"/"+face)
			cards = append(cards, c)
		}
	}
	return names, cards
}

// fullLiftProfile is grbl-servo as it was before the pen got a travel height, the polyline a
// finer tolerance and bridging the pen's width: every lift swings the servo to rest (M5) and
// back, simplification keeps points 0.05 mm off the line, and only gaps under 0.2 mm are bridged.
func fullLiftProfile(t testing.TB) *profile.Profile {
	p, err := profile.Lookup("grbl-servo")
	if err != nil {
		t.Fatal(err)
	}
	q := p.Clone()
	q.PenUp = q.PenRest
	q.PenUp.Speed, q.PenUp.SettleSeconds = p.PenUp.Speed, p.PenUp.SettleSeconds
	q.PenRest = profile.PenMove{}
	q.Tolerance, q.MinGap = 0.05, 0.2
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	return q
}

// TestThroughput estimates each card on grbl-servo with the levers applied one after another (the
// ordering as it is now throughout): full lifts, 0.05 mm simplification and 0.2 mm bridging;
// then the travel height; then 0.01 mm simplification; then bridging gaps under the pen's width
// (0.4 mm, within a word); then the writer's order for dots and bars (which costs a little
// travel). The densest card must come out at least 25 % faster than it started, and every card
// faster. These are the planner's levers, so Build's program is timed as the others are, at the
// steady draw feed and dwell; the varying ink (a look, not a plan) is logged beside it.
func TestThroughput(t *testing.T) {
	if raceEnabled {
		t.Skip("optimises every card four times: too slow under the race detector")
	}
	t.Parallel()
	grbl, err := profile.Lookup("grbl-servo")
	if err != nil {
		t.Fatal(err)
	}
	full := fullLiftProfile(t)
	coarse := grbl.Clone()
	coarse.Tolerance, coarse.MinGap = 0.05, 0.2
	narrow := grbl.Clone()
	narrow.MinGap = 0.2
	names, cards := throughputCards(t)
	estimate := func(c *hand.Card, p *profile.Profile, words bool) float64 {
		o := plan.Options{Tolerance: p.Tolerance, MinGap: p.MinGap}
		if words {
			o.Word, o.Late = c.Word, c.Late
		}
		return plan.Estimate(plan.Optimize(c.Strokes, Start(p), o), Start(p), Motion(p))
	}
	densest, densestLifts := -1, 0
	var before, after []float64
	t.Log("seconds (cards per robot-hour): full lifts, 0.05 mm, 0.2 mm gaps | + travel height | + 0.01 mm | + 0.4 mm gaps | + dots after words = Build | with ink")
	for i, c := range cards {
		s0 := estimate(c, full, false)
		s1 := estimate(c, coarse, false)
		s2 := estimate(c, narrow, false)
		prog, err := Build(c, grbl, plan.OrderOptimal, "card")
		if err != nil {
			t.Fatal(err)
		}
		paths, err := gcode.Read(prog.GCode.Lines, grbl)
		if err != nil {
			t.Fatal(err)
		}
		s3 := plan.Estimate(paths, Start(grbl), Motion(grbl))
		t.Logf("%-22s %4d lifts %5d lines: %6.1f (%4.1f) | %6.1f | %6.1f | %6.1f | %6.1f (%4.1f) | %6.1f s: %4.1f %% faster",
			names[i], prog.Stats.PenLifts, len(prog.GCode.Lines), s0, 3600/s0, s1, s2, estimate(c, grbl, false), s3, 3600/s3,
			prog.PlotSeconds, 100*(1-s3/s0))
		before, after = append(before, s0), append(after, s3)
		if s1 >= s0 || s2 >= s1 {
			t.Errorf("%s: the travel height (%.1f -> %.1f s) and the finer polyline (-> %.1f s) must each be faster", names[i], s0, s1, s2)
		}
		if s3 >= s0 {
			t.Errorf("%s: %.1f s is not faster than %.1f s with full lifts", names[i], s3, s0)
		}
		if prog.Stats.PenLifts > densestLifts {
			densest, densestLifts = i, prog.Stats.PenLifts
		}
	}
	if s0, s3 := before[densest], after[densest]; s3 > 0.75*s0 {
		t.Errorf("%s, the densest card: %.1f s is only %.1f %% faster than %.1f s, want 25 %%", names[densest], s3, 100*(1-s3/s0), s0)
	}
}
