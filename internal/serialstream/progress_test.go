package serialstream_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/plotsim"
	"github.com/quillpost/quillpost/internal/plotsim/simtest"
	"github.com/quillpost/quillpost/internal/serialstream"
)

// Issue 16, finding 3: the controller keeps answering status requests but stops acknowledging
// lines (a feed hold from the machine's button, an open safety door). The sender used to wait
// forever; now it says what the controller reports and fails the card in bounded time, with the
// pen lifted.
func TestProgressWatchdogFailsAHeldJob(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault plotsim.Fault
		says  string
	}{
		{"feed hold", plotsim.Fault{Kind: plotsim.FaultHold, Line: 40}, "feed hold"},
		{"door", plotsim.Fault{Kind: plotsim.FaultHold, Line: 40, Code: 1}, "safety door is open"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, plotsim.Config{Speed: 20, Faults: []plotsim.Fault{tc.fault}})
			cfg := fastTimeouts(serialstream.Config{Dialect: "grbl", PenUp: []string{"M5"}, PenDown: simtest.SpindlePen.Down, RapidRate: 6000, Accel: 1000})
			cfg.ProgressGrace = time.Second
			c := connect(t, sim, cfg)
			_, prog := card(5, 60, simtest.SpindlePen, 0)
			var states []string
			start := time.Now()
			within(t, 2*time.Minute, func(ctx context.Context) {
				_, err := c.Stream(ctx, prog, func(p serialstream.Progress) {
					if n := len(states); n == 0 || states[n-1] != p.State {
						states = append(states, p.State)
					}
				})
				var e *serialstream.Error
				if !errors.As(err, &e) || !errors.Is(err, serialstream.ErrStalled) {
					t.Fatalf("err = %v, want ErrStalled", err)
				}
				if !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), "acknowledged nothing for") {
					t.Errorf("the reason does not say what the controller reports (%q): %v", tc.says, err)
				}
				if !e.PenLifted || !e.Marked {
					t.Errorf("pen lifted %v, marked %v: %v", e.PenLifted, e.Marked, err)
				}
			})
			held := "Hold"
			if tc.fault.Code == 1 {
				held = "Door"
			}
			if !strings.Contains(strings.Join(states, " "), held) {
				t.Errorf("progress never reported the held state to the operator: %v", states)
			}
			t.Logf("failed after %v; states %v", time.Since(start).Round(100*time.Millisecond), states)
			if sim.PenDown() {
				t.Error("the pen is still down")
			}
		})
	}
}

// An operator's own pause is not a stall: the job waits for as long as the operator wants.
func TestProgressWatchdogLeavesAnOperatorPauseAlone(t *testing.T) {
	t.Parallel()
	sim := startSim(t, plotsim.Config{Speed: 20})
	cfg := fastTimeouts(serialstream.Config{Dialect: "grbl", PenUp: []string{"M5"}, RapidRate: 6000, Accel: 1000})
	cfg.ProgressGrace = 300 * time.Millisecond
	c := connect(t, sim, cfg)
	want, prog := card(6, 30, simtest.SpindlePen, 0)
	within(t, 2*time.Minute, func(ctx context.Context) {
		paused := false
		_, err := c.Stream(ctx, prog, func(p serialstream.Progress) {
			if !paused && p.Acked > 30 {
				paused = true
				go func() {
					_ = c.Pause()
					time.Sleep(3 * time.Second)
					_ = c.Resume()
				}()
			}
		})
		if err != nil {
			t.Fatalf("paused job: %v", err)
		}
	})
	if d := simtest.Diff(sim.Strokes(), want, 1e-9); d != "" {
		t.Error(d)
	}
}
