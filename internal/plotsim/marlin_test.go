package plotsim_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/plotsim"
)

func numbered(n int, cmd string) string {
	l := fmt.Sprintf("N%d %s", n, cmd)
	return fmt.Sprintf("%s*%d", l, plotsim.Checksum(l))
}

func TestMarlinLineNumbersChecksumsAndResend(t *testing.T) {
	t.Parallel()
	sim := startSim(t, plotsim.Config{Dialect: "marlin"})
	c := dial(t, sim)
	c.expectLine("start")
	c.expectLine("echo:quillpost plotsim, pen plotter")
	for _, tc := range []struct {
		send string
		want []string // the answer, in order, ending with its ok
	}{
		{"M110 N0", []string{"ok"}},
		{numbered(1, "G1 X10 Y10 F3000"), []string{"ok"}},
		{"N2 G1 X20*0", []string{"Error:checksum mismatch, Last Line: 1", "Resend: 2", "ok"}},
		{numbered(3, "G1 X20"), []string{"Error:Line Number is not Last Line Number+1, Last Line: 1", "Resend: 2", "ok"}},
		{"N2 G1 X20", []string{"Error:No Checksum with line number, Last Line: 1", "Resend: 2", "ok"}},
		{"G1 X20*12", []string{"Error:No Line Number with checksum, Last Line: 1", "Resend: 2", "ok"}},
		{numbered(2, "G1 X20"), []string{"ok"}},
		{"M114", []string{"X:20.00 Y:10.00 Z:0.00 E:0.00 Count X:0 Y:0 Z:0", "ok"}},
		{"M105", []string{"ok T:0.00 /0.00 B:0.00 /0.00 @:0 B@:0"}},
		{"M12345", []string{`echo:Unknown command: "M12345"`, "ok"}},
		{"M280 P0 S50", []string{"ok"}},
		{"G1 X30", []string{"ok"}},
		{"M280 P0 S90", []string{"ok"}},
		{numbered(3, "M110 N100"), []string{"ok"}},
		{numbered(101, "G0 X1"), []string{"ok"}},
	} {
		c.send(tc.send + "\n")
		got := c.expect("answer to "+tc.send, func(l string) bool { return strings.HasPrefix(l, "ok") })
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q answered %q, want %q", tc.send, got, tc.want)
		}
	}
	if got := c.roundTrip("M115"); !strings.HasPrefix(got[0], "FIRMWARE_NAME:Marlin") {
		t.Errorf("M115 = %q", got)
	}
	if got, want := sim.Strokes(), []geom.Stroke{{{X: 20, Y: 10}, {X: 30, Y: 10}}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("drew %v, want %v", got, want)
	}
	if st := sim.Stats(); st.Resends != 4 {
		t.Errorf("%d resends, want 4", st.Resends)
	}
	// M112 halts at once; only M999 is heard after that.
	c.send("M112\nG1 X50\nM999\n")
	c.expectLine("Error:Printer halted. kill() called!")
	c.expectLine("ok")
	if got := last(c.roundTrip("M114")); got != "ok" {
		t.Errorf("after M999: %q", got)
	}
	if p := sim.Stats().Pos; p.X != 1 {
		t.Errorf("a line sent while halted moved the machine to %v", p)
	}
}

func TestMarlinBusyKeepaliveAndM400(t *testing.T) {
	t.Parallel()
	sim := startSim(t, plotsim.Config{Dialect: "marlin", Speed: 1, BusyInterval: 100 * time.Millisecond})
	c := dial(t, sim)
	c.roundTrip("G1 X30 F3000") // 0.6 s + acceleration; answered when planned
	start := time.Now()
	got := c.roundTrip("M400")
	if !slices.Contains(got, "echo:busy: processing") {
		t.Errorf("no keepalive while M400 waited: %q", got)
	}
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("M400 answered after %v, before the move could end", d)
	}
	if p := sim.Stats().Pos; p.X != 30 {
		t.Errorf("M400 answered with the machine at %v", p)
	}
}

// A sender that ignores flow control overflows the receive buffer while the planner is full;
// the simulator must say so loudly rather than draw something else quietly.
func TestReceiveBufferOverflowIsReported(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"grbl", "marlin"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, plotsim.Config{Dialect: dialect, Speed: 1})
			c := dial(t, sim)
			var b strings.Builder
			for i := range 200 {
				fmt.Fprintf(&b, "G1 X%d Y%d F600\n", 10+i%2*100, 10+i%50)
			}
			c.send(b.String())
			c.expectLine("[MSG:RX buffer overflow]")
			if err := sim.Err(); !errors.Is(err, plotsim.ErrOverflow) {
				t.Fatalf("Err() = %v, want ErrOverflow", err)
			}
			if st := sim.Stats(); st.Overflows == 0 {
				t.Errorf("stats %+v count no lost byte", st)
			}
		})
	}
}

func TestThrottledLinkTakesByteTime(t *testing.T) {
	t.Parallel()
	sim := startSim(t, plotsim.Config{Baud: 9600}) // 960 bytes a second
	c := dial(t, sim)
	c.reset()
	start := time.Now()
	got := c.roundTrip("$$") // 6 bytes up, about 450 down
	d := time.Since(start)
	n := 0
	for _, l := range got {
		n += len(l) + 2
	}
	if min := time.Duration(n+6) * time.Second / 960; d < min*9/10 {
		t.Errorf("%d bytes crossed a 9600 baud link in %v, want at least %v", n+6, d, min)
	}
}
