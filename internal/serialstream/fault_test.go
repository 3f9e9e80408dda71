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

// Each injected fault must end in the right error, quickly, with the pen up where the link still
// allows it, and with nothing left running.
func TestFaults(t *testing.T) {
	t.Parallel()
	type want struct {
		kind      error // nil: the job succeeds
		code      int
		line      bool // the error names the faulty line
		penLifted bool
		recovered int // watchdog recoveries on success
		resends   bool
	}
	const at = 40
	for _, tc := range []struct {
		name    string
		dialect string
		fault   plotsim.Fault
		want    want
	}{
		{"grbl error", "grbl", plotsim.Fault{Kind: plotsim.FaultError, Line: at}, want{kind: serialstream.ErrFirmware, code: 20, line: true, penLifted: true}},
		{"grbl error 33", "grbl", plotsim.Fault{Kind: plotsim.FaultError, Line: at, Code: 33}, want{kind: serialstream.ErrFirmware, code: 33, line: true, penLifted: true}},
		{"grbl alarm", "grbl", plotsim.Fault{Kind: plotsim.FaultAlarm, Line: at}, want{kind: serialstream.ErrAlarm, code: 1, line: true, penLifted: true}},
		{"grbl dropped byte", "grbl", plotsim.Fault{Kind: plotsim.FaultDrop, Line: at}, want{kind: serialstream.ErrFirmware, code: 1, line: true, penLifted: true}},
		{"grbl corrupted byte", "grbl", plotsim.Fault{Kind: plotsim.FaultCorrupt, Line: at}, want{kind: serialstream.ErrFirmware, code: 20, line: true, penLifted: true}},
		{"grbl lost ok", "grbl", plotsim.Fault{Kind: plotsim.FaultLoseOK, Line: at}, want{recovered: 1}},
		{"grbl disconnect", "grbl", plotsim.Fault{Kind: plotsim.FaultDisconnect, Line: at}, want{kind: serialstream.ErrDisconnected}},
		{"grbl stall", "grbl", plotsim.Fault{Kind: plotsim.FaultStall, Line: at}, want{kind: serialstream.ErrTimeout}},
		{"marlin corrupted byte", "marlin", plotsim.Fault{Kind: plotsim.FaultCorrupt, Line: at, Offset: 5}, want{resends: true}},
		{"marlin dropped newline", "marlin", plotsim.Fault{Kind: plotsim.FaultDrop, Line: at, Offset: -1}, want{resends: true, recovered: 1}}, // the merged line owes one ok for two
		{"marlin lost ok", "marlin", plotsim.Fault{Kind: plotsim.FaultLoseOK, Line: at}, want{recovered: 1}},
		{"marlin error", "marlin", plotsim.Fault{Kind: plotsim.FaultError, Line: at}, want{kind: serialstream.ErrFirmware, line: true, penLifted: true}},
		{"marlin disconnect", "marlin", plotsim.Fault{Kind: plotsim.FaultDisconnect, Line: at}, want{kind: serialstream.ErrDisconnected}},
		{"marlin stall", "marlin", plotsim.Fault{Kind: plotsim.FaultStall, Line: at}, want{kind: serialstream.ErrTimeout}},
		{"klipper error", "klipper", plotsim.Fault{Kind: plotsim.FaultError, Line: at}, want{kind: serialstream.ErrFirmware, line: true, penLifted: true}},
		{"klipper shutdown", "klipper", plotsim.Fault{Kind: plotsim.FaultAlarm, Line: at}, want{kind: serialstream.ErrFirmware, line: true}},
		{"klipper lost ok", "klipper", plotsim.Fault{Kind: plotsim.FaultLoseOK, Line: at}, want{recovered: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pen, penUp, rapid := simtest.SpindlePen, []string{"M5"}, 0.0
			var simPen plotsim.PenFunc
			switch tc.dialect {
			case "marlin":
				pen, penUp, rapid = simtest.ServoPen, []string{"M400", "M280 P0 S90"}, 9000
			case "klipper":
				pen, penUp, rapid, simPen = simtest.ZPen, simtest.ZPen.Up, 12000, plotsim.ZPen(1)
			}
			strokes, prog := card(7, 25, pen, rapid)
			// Real motion (100× faster) keeps lines in flight when the fault strikes.
			sim := startSim(t, plotsim.Config{Dialect: tc.dialect, Speed: 100, Faults: []plotsim.Fault{tc.fault}, Pen: simPen, BusyInterval: 250 * time.Millisecond})
			c := connect(t, sim, fastTimeouts(serialstream.Config{Dialect: tc.dialect, PenUp: penUp}))
			start := time.Now()
			within(t, 20*time.Second, func(ctx context.Context) {
				sum, err := c.Stream(ctx, prog, nil)
				elapsed := time.Since(start)
				if tc.want.kind == nil {
					if err != nil {
						t.Fatalf("job failed: %v", err)
					}
					if sum.Recoveries != tc.want.recovered || (sum.Resends > 0) != tc.want.resends {
						t.Errorf("summary %+v, want %d recoveries, resends %v", sum, tc.want.recovered, tc.want.resends)
					}
					if d := simtest.Diff(sim.Strokes(), strokes, 1e-9); d != "" {
						t.Errorf("drawing differs: %s", d)
					}
					return
				}
				var e *serialstream.Error
				if !errors.As(err, &e) || !errors.Is(err, tc.want.kind) {
					t.Fatalf("err = %v, want a *serialstream.Error of kind %v", err, tc.want.kind)
				}
				if !errors.Is(err, serialstream.ErrInterrupted) || !e.Started {
					t.Errorf("err = %v, want it to wrap ErrInterrupted: the card is marked", err)
				}
				if tc.want.code != 0 && e.Code != tc.want.code {
					t.Errorf("code %d, want %d (%v)", e.Code, tc.want.code, err)
				}
				if tc.want.line {
					if wl := srcLine(prog, at); e.Line != wl || e.Text != prog[wl-1] {
						t.Errorf("error names line %d %q, want %d %q", e.Line, e.Text, wl, prog[wl-1])
					}
				}
				if e.PenLifted != tc.want.penLifted {
					t.Errorf("PenLifted = %v, want %v (%v)", e.PenLifted, tc.want.penLifted, err)
				}
				if tc.want.penLifted && sim.PenDown() {
					t.Error("the simulator's pen is still down")
				}
				if elapsed > 12*time.Second {
					t.Errorf("took %v to fail", elapsed)
				}
				t.Logf("%v after %v", err, elapsed.Round(time.Millisecond))
			})
			if err := sim.Err(); err != nil {
				t.Errorf("simulator saw a protocol violation: %v", err)
			}
		})
	}
}
