package program

import (
	"math"
	"strconv"
	"strings"
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

// TestEstimateCountsTheProgramsPenDwells: on a servo the firmware does not wait for the pen, so
// the program's G4 dwells are the whole pen time, and the estimate must count exactly those:
// the first swing from rest, then one short lift and drop per stroke, each landing as long as its
// own (varying) G4 says, as the firmware rounds it.
func TestEstimateCountsTheProgramsPenDwells(t *testing.T) {
	card, err := cardspec.Render(cardspec.Spec{Message: "Viele Grüße,\ndeine Jule", Seed: 3}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range profile.All() {
		if p.Actuator != profile.ActuatorServo {
			continue
		}
		prog, err := Build(card, p, plan.OrderOptimal, "card")
		if err != nil {
			t.Fatal(err)
		}
		var dwell float64
		dwells := 0
		for _, l := range prog.GCode.Lines {
			if v, ok := strings.CutPrefix(l, "G4 P"); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatal(err)
				}
				if p.DwellMilliseconds() {
					f /= 1000
				}
				dwell += p.FirmwareDwell(f)
				dwells++
			}
		}
		drawn, err := gcode.ReadDrawn(prog.GCode.Lines, p)
		if err != nil {
			t.Fatal(err)
		}
		pen := plan.EstimateProgram(drawn.Strokes, Start(p), Motion(p), Timing(p, drawn)).Pen
		if dwells != 1+2*len(prog.Strokes) || math.Abs(dwell-pen) > 0.001*float64(dwells) {
			t.Errorf("%s: %d dwells of %.3f s in the program, the estimate counts %.3f s of pen moves for %d strokes", p.Name, dwells, dwell, pen, len(prog.Strokes))
		}
	}
}

// TestEstimateStartsWhereHomingLeavesTheMachine: a card starts at the machine origin (where
// homing leaves it), not at the card's own corner, so the estimate must time the first travel
// from there. grbl-z's card sits 280 mm from its origin: timed from the card's corner, the first
// travel was 3 s short of the firmware's clock.
func TestEstimateStartsWhereHomingLeavesTheMachine(t *testing.T) {
	card, err := cardspec.Render(cardspec.Spec{Message: "Hi", Seed: 1}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range profile.All() {
		prog, err := Build(card, p, plan.OrderOptimal, "card")
		if err != nil {
			t.Fatal(err)
		}
		paths, err := gcode.Read(prog.GCode.Lines, p)
		if err != nil {
			t.Fatal(err)
		}
		// The same program started right at its first stroke: the difference is the first travel.
		atFirst := plan.Estimate(paths, paths[0][0], Motion(p))
		d := p.ToMachine(paths[0][0]).Dist(geom.Point{})
		if travel := prog.PlotSeconds - atFirst; travel < d/(p.TravelFeed/60) {
			t.Errorf("%s: the estimate gives the first travel %.2f s, but its %.1f mm from the origin take at least %.2f s",
				p.Name, travel, d, d/(p.TravelFeed/60))
		}
	}
}
