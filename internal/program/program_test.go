package program

import (
	"math"
	"testing"

	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/gcode"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/plan"
	"github.com/quillpost/quillpost/internal/profile"
)

// TestBuildDrawsThePlannedStrokes: for every profile the program's pen-down paths are the planned
// strokes, and optimising never loses ink.
func TestBuildDrawsThePlannedStrokes(t *testing.T) {
	card, err := cardspec.Render(cardspec.Spec{Message: "Liebe Grüße aus Köln,\ndeine Jule", Seed: 5}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range profile.All() {
		for _, order := range []plan.Order{plan.OrderOptimal, plan.OrderNatural, plan.OrderText} {
			prog, err := Build(card, p, order, "card crd_test")
			if err != nil {
				t.Fatalf("%s/%v: %v", p.Name, order, err)
			}
			got, err := gcode.Read(prog.GCode.Lines, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(prog.Strokes) {
				t.Fatalf("%s/%v: program draws %d strokes, plan has %d", p.Name, order, len(got), len(prog.Strokes))
			}
			ink, planned := geom.PenDownLength(card.Strokes), geom.PenDownLength(got)
			if math.Abs(ink-planned)/ink > 0.02 {
				t.Errorf("%s/%v: %.1f mm of ink drawn, the card has %.1f mm", p.Name, order, planned, ink)
			}
			if !(prog.PlotSeconds > 0) || prog.Stats.PenLifts != len(prog.Strokes) {
				t.Errorf("%s/%v: estimate %.1f s, %d lifts for %d strokes", p.Name, order, prog.PlotSeconds, prog.Stats.PenLifts, len(prog.Strokes))
			}
		}
	}
}
