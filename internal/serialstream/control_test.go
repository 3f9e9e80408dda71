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

// waitFor polls cond until it holds or the bound passes.
func waitFor(t *testing.T, what string, bound time.Duration, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within %v", what, bound)
		case <-tick.C:
		}
	}
}

type streamResult struct {
	sum serialstream.Summary
	err error
}

// streamInBackground starts a job and returns its result channel and a progress counter.
func streamInBackground(ctx context.Context, c *serialstream.Controller, prog []string) (<-chan streamResult, func() int) {
	res := make(chan streamResult, 1)
	acked := make(chan int, 1)
	acked <- 0
	go func() {
		sum, err := c.Stream(ctx, prog, func(p serialstream.Progress) {
			<-acked
			acked <- p.Acked
		})
		res <- streamResult{sum, err}
	}()
	return res, func() int {
		n := <-acked
		acked <- n
		return n
	}
}

func TestPauseResume(t *testing.T) {
	t.Parallel()
	sim := startSim(t, plotsim.Config{Speed: 20})
	c := connect(t, sim, fastTimeouts(serialstream.Config{Dialect: "grbl", PenUp: []string{"M5"}}))
	if err := c.Pause(); !errors.Is(err, serialstream.ErrIdle) {
		t.Errorf("Pause with no job: %v, want ErrIdle", err)
	}
	want, prog := card(5, 20, simtest.SpindlePen, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, acked := streamInBackground(ctx, c, prog)
	waitFor(t, "progress", 10*time.Second, func() bool { return acked() > 40 })
	if _, err := c.Stream(ctx, prog, nil); !errors.Is(err, serialstream.ErrBusy) {
		t.Errorf("a second job on a busy controller: %v, want ErrBusy", err)
	}
	if err := c.Pause(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "feed hold", 5*time.Second, func() bool { return sim.Stats().State == "Hold:0" })
	held := sim.Stats()
	time.Sleep(300 * time.Millisecond) // a paused machine must not move, however long it waits
	if now := sim.Stats(); now.Pos != held.Pos || now.State != "Hold:0" {
		t.Errorf("moved while paused: %v → %v (%s)", held.Pos, now.Pos, now.State)
	}
	if err := c.Resume(); err != nil {
		t.Fatal(err)
	}
	r := <-res
	if r.err != nil {
		t.Fatalf("job after resume: %v", r.err)
	}
	if d := simtest.Diff(sim.Strokes(), want, 1e-9); d != "" {
		t.Error(d)
	}
}

func TestAbortAndCancel(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"abort", "cancel"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, plotsim.Config{Speed: 10})
			c := connect(t, sim, fastTimeouts(serialstream.Config{Dialect: "grbl", PenUp: []string{"M5"}}))
			_, prog := card(6, 20, simtest.SpindlePen, 0)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			res, acked := streamInBackground(ctx, c, prog)
			// Stop in the middle of a stroke: the pen is down.
			waitFor(t, "pen down mid-job", 10*time.Second, func() bool { return acked() > 30 && sim.PenDown() })
			start := time.Now()
			if how == "abort" {
				if err := c.Abort(); err != nil {
					t.Fatal(err)
				}
			} else {
				cancel()
			}
			r := <-res
			var e *serialstream.Error
			if !errors.As(r.err, &e) || !errors.Is(r.err, serialstream.ErrAborted) || !errors.Is(r.err, serialstream.ErrInterrupted) || !e.PenLifted {
				t.Fatalf("err %v, want an interrupted, aborted job with the pen lifted", r.err)
			}
			if how == "cancel" && !errors.Is(r.err, context.Canceled) {
				t.Errorf("err %v does not carry the context's cancellation", r.err)
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("stopping took %v", time.Since(start))
			}
			if sim.PenDown() {
				t.Error("pen still down after the abort")
			}
			st := sim.Stats()
			if st.State != "Idle" || st.Resets == 0 {
				t.Errorf("controller %+v, want idle after a soft reset", st)
			}
			// The controller is usable again for the next card.
			within(t, 20*time.Second, func(ctx context.Context) {
				if _, err := c.Stream(ctx, []string{"G0 X1 Y1"}, nil); err != nil {
					t.Errorf("next job: %v", err)
				}
			})
		})
	}
}
