package cardtest

import (
	"context"
	"math"
	"os"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/hand"
	"github.com/quillpost/quillpost/internal/plan"
	"github.com/quillpost/quillpost/internal/profile"
	"github.com/quillpost/quillpost/internal/program"
)

// Issue 16, finding 4: the plot-time estimate is within 2 % of the firmware's own clock on
// rendered cards, for every profile. The virtual plotter times what it plans the way the
// firmware does (acceleration, junction deviation, a full planner's look-ahead, GRBL's 50 ms
// dwell steps, Z's own maximum rate); the program is streamed without its end sequence, which
// the estimate leaves out (the park move). The estimate counts the first pen lift once and
// starts where homing leaves the machine, as the program does.
func TestEstimateMatchesTheFirmwareClock(t *testing.T) {
	text, err := os.ReadFile("../../../testdata/texts/en-thanks.txt")
	if err != nil {
		t.Fatal(err)
	}
	face, err := font.Lookup("allure")
	if err != nil {
		t.Fatal(err)
	}
	format, err := hand.LookupFormat("a6")
	if err != nil {
		t.Fatal(err)
	}
	card, err := hand.Render(hand.Request{Text: string(text), Face: face, Format: format, Hand: hand.Hands()[0], Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range profile.All() {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			prog, err := program.Build(card, p, plan.OrderText, "estimate")
			if err != nil {
				t.Fatal(err)
			}
			lines := prog.GCode.Lines[:len(prog.GCode.Lines)-len(p.End)]
			sim := simFor(t, p, 0)
			c := senderFor(t, sim, p, "")
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if _, err := c.Stream(ctx, lines, nil); err != nil {
				t.Fatal(err)
			}
			firmware := sim.Stats().MachineSeconds
			// The estimate counts the card's first pen lift itself (plan.Motion.StartSeconds).
			est := prog.PlotSeconds
			// The estimate as it was: on the planned strokes, pen times without the firmware's dwell
			// rounding, Z pens from rest to rest.
			old := program.Motion(p)
			old.PenUpSeconds, old.PenDownSeconds = p.PenLiftSeconds()
			old.TravelEntry, old.TravelExit, old.DrawEntry, old.DrawExit = 0, 0, 0, 0
			old.StartSeconds, _ = p.PenLiftSeconds()
			before := plan.Estimate(prog.Strokes, program.Start(p), old)
			rel := (est - firmware) / firmware
			t.Logf("%s: firmware %.2f s, estimate %.2f s (%+.2f %%); before the fix %.2f s (%+.2f %%)",
				p.Name, firmware, est, 100*rel, before, 100*(before-firmware)/firmware)
			if math.Abs(rel) > 0.02 {
				t.Errorf("estimate %.2f s is %+.2f %% off the firmware's %.2f s, want within 2 %%", est, 100*rel, firmware)
			}
		})
	}
}

// GRBL rounds each dwell up to 50 ms steps; the profile's model and the simulator agree.
func TestDwellRounding(t *testing.T) {
	p, _ := profile.Lookup("grbl-servo")
	for _, c := range []struct{ in, want float64 }{{0.189, 0.2}, {0.2, 0.2}, {0.2001, 0.25}, {0.0301, 0.05}, {0, 0}} {
		if got := p.FirmwareDwell(c.in); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("FirmwareDwell(%g) = %g, want %g", c.in, got, c.want)
		}
	}
	m, _ := profile.Lookup("marlin-servo")
	if got := m.FirmwareDwell(0.1893); math.Abs(got-0.19) > 1e-9 {
		t.Errorf("Marlin dwell 0.1893 s runs %g, want 0.190 (to the millisecond)", got)
	}
	sim := simFor(t, p, 0)
	c := senderFor(t, sim, p, "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := c.Stream(ctx, []string{"G4 P0.189", "G4 P0.001"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := sim.Stats().MachineSeconds; math.Abs(got-0.25) > 1e-9 {
		t.Errorf("the virtual GRBL dwelt %g s for P0.189 and P0.001, want 0.250", got)
	}
}
