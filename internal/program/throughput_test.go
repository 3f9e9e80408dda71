package program

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/hand"
	"github.com/quillpost/quillpost/internal/plan"
	"github.com/quillpost/quillpost/internal/profile"
)

// throughputCards renders testdata/texts in the joined faces on A6 cards in the default hand.
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

func TestThroughputReport(t *testing.T) {
	p, err := profile.Lookup("grbl-servo")
	if err != nil {
		t.Fatal(err)
	}
	names, cards := throughputCards(t)
	for i, c := range cards {
		prog, err := Build(c, p, plan.OrderOptimal, "card")
		if err != nil {
			t.Fatal(err)
		}
		tm := plan.EstimateTimes(prog.Strokes, Start(p), Motion(p))
		t.Logf("%-22s %4d in-strokes %4d lifts %5d lines %4d arcs | %.1f s = draw %.1f + travel %.1f + pen %.1f | %.1f cards/h | upmm %.0f",
			names[i], len(c.Strokes), prog.Stats.PenLifts, len(prog.GCode.Lines), prog.GCode.Arcs, prog.PlotSeconds, tm.Draw, tm.Travel, tm.Pen, 3600/prog.PlotSeconds, prog.Stats.PenUpMM)
	}
}
