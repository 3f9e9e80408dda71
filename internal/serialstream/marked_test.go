package serialstream_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/plotsim"
	"github.com/quillpost/quillpost/internal/plotsim/simtest"
	"github.com/quillpost/quillpost/internal/serialstream"
)

// A failed job reports whether the pen ever went down: only then is the card partly written
// (issue 16: "the card was partly written" was said of blanks no pen had touched).
func TestFailedJobSaysWhetherThePenWentDown(t *testing.T) {
	t.Parallel()
	_, prog := card(3, 30, simtest.SpindlePen, 0)
	outside := append([]string{"G21", "G90", "M5", "G0 X333.59 Y72.208"}, prog...) // soft limit: ALARM:2
	homed := append([]string{"G21", "G90", "$H"}, prog...)                         // nothing after $H is sent before it is answered
	for _, tc := range []struct {
		name    string
		prog    []string
		fault   []plotsim.Fault
		kind    error
		marked  bool // the card may carry a mark
		ran     bool // a pen-down command was acknowledged
		penDown []string
	}{
		{"alarm on the first move", outside, nil, serialstream.ErrAlarm, false, false, simtest.SpindlePen.Down},
		{"error before homing", homed, []plotsim.Fault{{Kind: plotsim.FaultError, Line: 2}}, serialstream.ErrFirmware, false, false, simtest.SpindlePen.Down},
		// GRBL carries on after an error:N, so a pen-down already in its buffer may run before
		// the feed hold: the card counts as marked.
		{"error with a pen-down in flight", prog, []plotsim.Fault{{Kind: plotsim.FaultError, Line: 1}}, serialstream.ErrFirmware, true, false, simtest.SpindlePen.Down},
		{"error mid-card", prog, []plotsim.Fault{{Kind: plotsim.FaultError, Line: 60}}, serialstream.ErrFirmware, true, true, simtest.SpindlePen.Down},
		{"pen commands unknown", homed, []plotsim.Fault{{Kind: plotsim.FaultError, Line: 2}}, serialstream.ErrFirmware, true, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, plotsim.Config{Speed: 50, Faults: tc.fault})
			c := connect(t, sim, fastTimeouts(serialstream.Config{Dialect: "grbl", PenUp: []string{"M5"}, PenDown: tc.penDown}))
			within(t, time.Minute, func(ctx context.Context) {
				sum, err := c.Stream(ctx, tc.prog, nil)
				var e *serialstream.Error
				if !errors.As(err, &e) || !errors.Is(err, tc.kind) {
					t.Fatalf("err = %v, want %v", err, tc.kind)
				}
				if e.Marked != tc.marked || serialstream.Marked(err) != tc.marked || sum.PenDown != tc.ran {
					t.Errorf("marked %v (summary pen down %v), want %v: %v", e.Marked, sum.PenDown, tc.marked, err)
				}
			})
			if drew := len(sim.Strokes()) > 0; drew && !tc.marked {
				t.Errorf("the simulator recorded %d strokes on a card said to be blank", len(sim.Strokes()))
			}
		})
	}
}
