package serialstream_test

import (
	"context"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/plotsim"
	"github.com/quillpost/quillpost/internal/plotsim/simtest"
	"github.com/quillpost/quillpost/internal/serialstream"
)

// A robot that sat idle for longer than its link and acknowledgement timeouts writes its next
// card: silence counts only while an answer is owed (issue 13, finding 3: the first status poll
// of a job used to be measured against the whole idle gap, failing the card at its first lines).
func TestIdleLinkWritesTheNextCard(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"grbl", "marlin", "klipper"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			pen, penUp, rapid := simtest.SpindlePen, []string{"M5"}, 0.0
			var simPen plotsim.PenFunc
			switch dialect {
			case "marlin":
				pen, penUp, rapid = simtest.ServoPen, simtest.ServoPen.Up, 9000
			case "klipper":
				pen, penUp, rapid, simPen = simtest.ZPen, simtest.ZPen.Up, 12000, plotsim.ZPen(1)
			}
			speed := 50.0
			if dialect == "grbl" {
				speed = 5 // homing from the far corner takes long enough that the first poll goes unanswered for a while
			}
			sim := startSim(t, plotsim.Config{Dialect: dialect, Speed: speed, Pen: simPen, BusyInterval: 250 * time.Millisecond})
			cfg := fastTimeouts(serialstream.Config{Dialect: dialect, PenUp: penUp})
			cfg.AckTimeout, cfg.LinkTimeout = time.Second, time.Second
			c := connect(t, sim, cfg)
			want, prog := card(7, 12, pen, rapid)
			if dialect == "grbl" {
				// The previous card parked far from home; this one starts with $H, as the profiles'
				// programs do. Its ok comes only when homing ends, so the first status poll of the
				// job is answered by the only bytes heard since the idle gap.
				within(t, time.Minute, func(ctx context.Context) {
					if _, err := c.Stream(ctx, []string{"G0 X300 Y220"}, nil); err != nil {
						t.Fatal(err)
					}
				})
				prog = append([]string{"; card", "$H"}, prog...)
			}
			time.Sleep(cfg.LinkTimeout + cfg.AckTimeout) // idle, longer than either timeout
			within(t, time.Minute, func(ctx context.Context) {
				sum, err := c.Stream(ctx, prog, nil)
				if err != nil {
					t.Fatalf("the first card after an idle spell: %v", err)
				}
				if sum.Recoveries != 0 {
					t.Errorf("%d acknowledgements presumed lost after the idle spell, want 0", sum.Recoveries)
				}
			})
			if d := simtest.Diff(sim.Strokes(), want, 1e-9); d != "" {
				t.Error(d)
			}
		})
	}
}

// A controller left in a feed hold while idle is reset before the card starts, instead of taking
// lines it would never run.
func TestStaleControllerIsResetBeforeTheCard(t *testing.T) {
	t.Parallel()
	sim := startSim(t, plotsim.Config{Speed: 50})
	c := connect(t, sim, fastTimeouts(serialstream.Config{Dialect: "grbl", PenUp: []string{"M5"}}))
	sim.Hold(true)
	time.Sleep(1500 * time.Millisecond) // idle: longer than a link counts as just heard from
	want, prog := card(8, 10, simtest.SpindlePen, 0)
	within(t, time.Minute, func(ctx context.Context) {
		if _, err := c.Stream(ctx, prog, nil); err != nil {
			t.Fatalf("card after a stale hold: %v", err)
		}
	})
	if d := simtest.Diff(sim.Strokes(), want, 1e-9); d != "" {
		t.Error(d)
	}
}
