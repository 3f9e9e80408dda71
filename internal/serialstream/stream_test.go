package serialstream_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/gcode"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/plotsim"
	"github.com/quillpost/quillpost/internal/plotsim/simtest"
	"github.com/quillpost/quillpost/internal/serialstream"
)

func TestGRBLCharCountDrawsTheProgram(t *testing.T) {
	t.Parallel()
	sim := startSim(t, plotsim.Config{})
	c := connect(t, sim, serialstream.Config{Dialect: "grbl", PenUp: []string{"M5"}})
	if info := c.Info(); info.RXBuffer != 128 || !info.RXReported || info.Blocks != 15 || info.Banner != "Grbl 1.1h ['$' for help]" {
		t.Errorf("info %+v", info)
	}
	want, prog := card(1, 60, simtest.SpindlePen, 0)
	var last serialstream.Progress
	within(t, 30*time.Second, func(ctx context.Context) {
		sum, err := c.Stream(ctx, prog, func(p serialstream.Progress) { last = p })
		if err != nil {
			t.Fatal(err)
		}
		n, bytes := simtest.Stripped(prog, gcode.Strip)
		if sum.Lines != n || sum.Bytes != int64(bytes) || sum.Recoveries != 0 {
			t.Errorf("summary %+v, want %d lines, %d bytes, no recoveries", sum, n, bytes)
		}
		if last.Acked != n || last.Total != n || last.Percent != 100 {
			t.Errorf("last progress %+v", last)
		}
	})
	if d := simtest.Diff(sim.Strokes(), want, 1e-9); d != "" {
		t.Error(d)
	}
	if err := sim.Err(); err != nil {
		t.Errorf("simulator saw a protocol violation: %v", err)
	}
}

func TestMarlinLineChecksumDrawsTheProgram(t *testing.T) {
	t.Parallel()
	sim := startSim(t, plotsim.Config{Dialect: "marlin", Speed: 50, BusyInterval: 250 * time.Millisecond})
	c := connect(t, sim, fastTimeouts(serialstream.Config{Dialect: "marlin", PenUp: simtest.ServoPen.Up}))
	if info := c.Info(); info.Protocol != "line-checksum" || info.Banner == "" {
		t.Errorf("info %+v", info)
	}
	want, prog := card(2, 30, simtest.ServoPen, 9000)
	within(t, 30*time.Second, func(ctx context.Context) {
		sum, err := c.Stream(ctx, prog, nil)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Recoveries != 0 || sum.Resends != 0 {
			t.Errorf("summary %+v on a clean link", sum)
		}
	})
	if d := simtest.Diff(sim.Strokes(), want, 1e-9); d != "" {
		t.Error(d)
	}
	if st := sim.Stats(); st.State != "Idle" || st.Pos.X != 0 || st.Pos.Y != 0 {
		t.Errorf("Stream returned before the machine finished: %+v", st)
	}
}

func TestSendWait(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, dialect, sim string
		pen                simtest.Pen
		simPen             plotsim.PenFunc
		rapid              float64
	}{
		{"grbl", "grbl", "grbl", simtest.SpindlePen, nil, 0},
		{"klipper", "klipper", "klipper", simtest.ZPen, plotsim.ZPen(1), 12000},
		{"marlin", "marlin", "marlin", simtest.ServoPen, nil, 9000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, plotsim.Config{Dialect: tc.sim, Speed: 50, Pen: tc.simPen, BusyInterval: 250 * time.Millisecond})
			c := connect(t, sim, fastTimeouts(serialstream.Config{Dialect: tc.dialect, Protocol: "send-wait", PenUp: tc.pen.Up}))
			want, prog := card(3, 15, tc.pen, tc.rapid)
			within(t, 30*time.Second, func(ctx context.Context) {
				if _, err := c.Stream(ctx, prog, nil); err != nil {
					t.Fatal(err)
				}
			})
			if d := simtest.Diff(sim.Strokes(), want, 1e-9); d != "" {
				t.Error(d)
			}
		})
	}
}

func TestLearnsReceiveBufferFromBf(t *testing.T) {
	t.Parallel()
	sim := startSim(t, plotsim.Config{RXBuffer: 1024})
	c := connect(t, sim, serialstream.Config{Dialect: "fluidnc", RXBuffer: 128})
	if info := c.Info(); info.RXBuffer != 1024 || !info.RXReported {
		t.Errorf("info %+v, want the 1024 bytes the controller reports", info)
	}
	want, prog := card(4, 20, simtest.SpindlePen, 0)
	within(t, 20*time.Second, func(ctx context.Context) {
		sum, err := c.Stream(ctx, prog, nil)
		if err != nil || sum.RXBuffer != 1024 {
			t.Fatalf("summary %+v, err %v", sum, err)
		}
	})
	if d := simtest.Diff(sim.Strokes(), want, 1e-9); d != "" {
		t.Error(d)
	}
}

// Long moves send no ok for seconds; GRBL's status reports (Run, position changing) and Marlin's
// busy keepalive show the controller alive, so neither the watchdog nor the link timeout fires.
func TestLongMovesAreNotADeadLink(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"grbl", "marlin"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, plotsim.Config{Dialect: dialect, Speed: 1, BusyInterval: 200 * time.Millisecond})
			cfg := fastTimeouts(serialstream.Config{Dialect: dialect})
			cfg.AckTimeout, cfg.LinkTimeout = 500*time.Millisecond, 800*time.Millisecond
			c := connect(t, sim, cfg)
			// Two moves of 1.5 s each, behind each other: acks stop for far longer than the timeouts.
			prog := []string{"G21", "G90", "G1 X150 F6000", "G1 X0"}
			var sum serialstream.Summary
			within(t, 30*time.Second, func(ctx context.Context) {
				var err error
				sum, err = c.Stream(ctx, prog, nil)
				if err != nil {
					t.Fatal(err)
				}
				if sum.Recoveries != 0 {
					t.Errorf("watchdog fired during long moves: %+v", sum)
				}
				if sum.Duration < 3*time.Second {
					t.Errorf("finished after %v, before the moves could have", sum.Duration)
				}
			})
			st := sim.Stats()
			if st.State != "Idle" {
				t.Errorf("Stream returned with the machine %s", st.State)
			}
			if dialect == "grbl" {
				// At most 5 status requests a second, the handshake's included.
				if limit := int(sum.Duration.Seconds()*5) + 3; st.StatusQueries > limit || st.StatusQueries < 10 {
					t.Errorf("%d status requests in %v, want 10 to %d", st.StatusQueries, sum.Duration, limit)
				}
			}
		})
	}
}

func TestSystemCommandsWaitForIdle(t *testing.T) {
	t.Parallel()
	sim := startSim(t, plotsim.Config{Speed: 50, Area: geom.Rect{Min: geom.Point{X: -290, Y: -170}}})
	c := connect(t, sim, serialstream.Config{Dialect: "grbl"})
	prog := []string{"G0 X-100 Y-100", "G0 X-200 Y-150", "$H", "G0 X-10 Y-10", "$$", "G0 X-20"}
	within(t, 20*time.Second, func(ctx context.Context) {
		if _, err := c.Stream(ctx, prog, nil); err != nil {
			t.Fatal(err) // $H sent while moving would be refused with error:8
		}
	})
	if p := sim.Stats().Pos; p != (geom.Point{X: -20, Y: -10}) {
		t.Errorf("ended at %v", p)
	}
}

func TestRefusesUnstreamablePrograms(t *testing.T) {
	t.Parallel()
	sim := startSim(t, plotsim.Config{})
	c := connect(t, sim, serialstream.Config{Dialect: "grbl"})
	for _, prog := range [][]string{
		{"G0 X1", "G1 X2 ?"},
		{"G0 X1", "G1 X" + strings.Repeat("1", 130)},
		{"G0 X1", "G1 X2 \x01"},
	} {
		_, err := c.Stream(context.Background(), prog, nil)
		var e *serialstream.Error
		if !errors.As(err, &e) || !errors.Is(err, serialstream.ErrProgram) || e.Line != 2 || e.Started || errors.Is(err, serialstream.ErrInterrupted) {
			t.Errorf("%q: err %v, want ErrProgram at line 2, not started", prog, err)
		}
	}
	if got := sim.Stats().Lines; got != 0 {
		t.Errorf("%d lines reached the controller", got)
	}
}
