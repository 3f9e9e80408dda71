package plotsim_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/plotsim"
)

func TestGRBLBannerStatusAndQueries(t *testing.T) {
	t.Parallel()
	sim := startSim(t, plotsim.Config{})
	c := dial(t, sim)
	c.reset()
	c.send("?")
	if got, want := c.expectPrefix("<"), "<Idle|MPos:0.000,0.000,0.000|Bf:15,128|FS:0,0>"; got != want {
		t.Errorf("status %q, want %q", got, want)
	}
	settings := c.roundTrip("$$")
	for _, want := range []string{"$130=300.000", "$131=220.000", "$110=6000.000", "$20=1", "ok"} {
		if !slices.Contains(settings, want) {
			t.Errorf("$$ lacks %q: %q", want, settings)
		}
	}
	if got := c.roundTrip("$I"); !slices.Contains(got, "[OPT:V,15,128]") || last(got) != "ok" {
		t.Errorf("$I = %q, want [OPT:V,15,128] and ok", got)
	}
	if got := c.roundTrip("$G"); !strings.HasPrefix(got[0], "[GC:G0 G54 G17 G21 G90 G94 M5") {
		t.Errorf("$G = %q", got)
	}
	if got := c.roundTrip("$131=180"); last(got) != "ok" {
		t.Errorf("$131=180 = %q", got)
	}
	if got := c.roundTrip("$$"); !slices.Contains(got, "$131=180.000") {
		t.Errorf("setting $131 did not stick: %q", got)
	}
}

func TestGRBLErrorCodes(t *testing.T) {
	t.Parallel()
	sim := startSim(t, plotsim.Config{})
	c := dial(t, sim)
	c.reset()
	for _, tc := range []struct{ line, want string }{
		{"G1 X10", "error:22"},                          // no feed rate yet
		{"G99", "error:20"},                             // unsupported command
		{"G1 X1.2.3 F100", "error:2"},                   // bad number
		{"1X10", "error:1"},                             // no letter
		{"G0 G1 X1", "error:21"},                        // two motion commands
		{"G1 X1 X2 F100", "error:25"},                   // repeated word
		{"$Q", "error:3"},                               // unknown $ command
		{"G2 X10 Y0 I1 J0 F100", "error:33"},            // end point off the arc
		{strings.Repeat("G1X1", 21) + "F1", "error:11"}, // longer than GRBL's line buffer
		{"G1 X10 Y5 F1200", "ok"},
		{"", "ok"}, // GRBL answers an empty line
	} {
		if got := last(c.roundTrip(tc.line)); got != tc.want {
			t.Errorf("%q answered %q, want %q", tc.line, got, tc.want)
		}
	}
}

func TestGRBLSoftLimitAlarmNeedsResetAndUnlock(t *testing.T) {
	t.Parallel()
	sim := startSim(t, plotsim.Config{})
	c := dial(t, sim)
	c.reset()
	c.send("G0 X500\n")
	c.expectLine("ALARM:2")
	c.expectLine("[MSG:Reset to continue]")
	c.send("G0 X1\n?") // ignored in the alarm loop; status still answered
	if got := c.expectPrefix("<"); !strings.HasPrefix(got, "<Alarm|") {
		t.Errorf("status in alarm: %q", got)
	}
	c.reset()
	c.expectLine("[MSG:'$H'|'$X' to unlock]")
	if got := last(c.roundTrip("G0 X1")); got != "error:9" {
		t.Errorf("G-code in alarm: %q, want error:9", got)
	}
	if got := c.roundTrip("$X"); !slices.Contains(got, "[MSG:Caution: Unlocked]") || last(got) != "ok" {
		t.Errorf("$X = %q", got)
	}
	if got := last(c.roundTrip("G0 X1")); got != "ok" {
		t.Errorf("after unlock: %q", got)
	}
	if st := sim.Stats(); st.Alarms != 1 || st.Resets != 2 {
		t.Errorf("stats %+v, want one alarm and two resets", st)
	}
}

func TestGRBLFeedHoldResumeAndResetInMotion(t *testing.T) {
	t.Parallel()
	sim := startSim(t, plotsim.Config{Speed: 1})
	c := dial(t, sim)
	c.reset()
	c.roundTrip("G1 X100 F600") // ten seconds of motion
	c.send("?")
	if got := c.expectPrefix("<"); !strings.HasPrefix(got, "<Run|") || !strings.Contains(got, "|Bf:14,128|FS:600,0>") {
		t.Errorf("moving: %q", got)
	}
	c.send("!?")
	held := c.expectPrefix("<")
	if !strings.HasPrefix(held, "<Hold:0|") {
		t.Fatalf("after feed hold: %q", held)
	}
	c.send("?")
	if again := c.expectPrefix("<"); again != held {
		t.Errorf("position moved during hold: %q then %q", held, again)
	}
	c.send("~?")
	if got := c.expectPrefix("<"); !strings.HasPrefix(got, "<Run|") {
		t.Errorf("after cycle start: %q", got)
	}
	c.send("\x18")
	c.expectLine("ALARM:3")
	c.expectPrefix("Grbl 1.1h")
	c.expectLine("[MSG:'$H'|'$X' to unlock]")
	c.send("?")
	if got := c.expectPrefix("<"); !strings.HasPrefix(got, "<Alarm|") {
		t.Errorf("after reset in motion: %q", got)
	}
	if p := sim.Stats().Pos; p.X <= 0 || p.X >= 100 {
		t.Errorf("stopped at X=%g, want somewhere along the move", p.X)
	}
}

func TestGRBLRecordsPenDownPaths(t *testing.T) {
	t.Parallel()
	sim := startSim(t, plotsim.Config{})
	c := dial(t, sim)
	c.reset()
	for _, l := range []string{
		"G0 X10 Y10", "M3 S90", "G1 X20 Y10 F3000", "G1 X20 Y20", "M5", "G0 X30 Y30", "M3 S90", "M5",
		"G0 X40 Y40", "M3", "G2 X50 Y40 I5 J0", "M5", "G91 G0 X-10", "G90",
	} {
		if got := last(c.roundTrip(l)); got != "ok" {
			t.Fatalf("%q answered %q", l, got)
		}
	}
	got := sim.Strokes()
	if len(got) != 3 {
		t.Fatalf("recorded %d strokes, want 3: %v", len(got), got)
	}
	want0 := geom.Stroke{{X: 10, Y: 10}, {X: 20, Y: 10}, {X: 20, Y: 20}}
	if !slices.Equal(got[0], want0) {
		t.Errorf("stroke 1 = %v, want %v", got[0], want0)
	}
	if !slices.Equal(got[1], geom.Stroke{{X: 30, Y: 30}}) {
		t.Errorf("stroke 2 (a dot) = %v", got[1])
	}
	arc := got[2]
	if arc[0] != (geom.Point{X: 40, Y: 40}) || arc[len(arc)-1] != (geom.Point{X: 50, Y: 40}) || len(arc) < 20 {
		t.Errorf("arc stroke has %d points from %v to %v", len(arc), arc[0], arc[len(arc)-1])
	}
	for _, p := range arc {
		if d := p.Dist(geom.Point{X: 45, Y: 40}); d < 5-0.003 || d > 5+0.003 {
			t.Fatalf("arc point %v is %.4f mm from the centre, want 5", p, d)
		}
		if p.Y < 40-1e-9 {
			t.Fatalf("clockwise arc from (40,40) to (50,40) about (45,40) went below: %v", p)
		}
	}
	if sim.PenDown() {
		t.Error("pen still down after M5")
	}
	if st := sim.Stats(); st.Pos != (geom.Point{X: 40, Y: 40}) {
		t.Errorf("ended at %v, want (40,40) after the relative move", st.Pos)
	}
}

// Like stock GRBL 1.1: homing off refuses $H with error:5, a move into positive machine space
// raises ALARM:2 with soft limits on, and without switches $H ends in ALARM:8.
func TestGRBLStockSettings(t *testing.T) {
	t.Parallel()
	sim := startSim(t, plotsim.StockGRBL(plotsim.Config{}, 300, 210))
	c := dial(t, sim)
	c.reset()
	settings := c.roundTrip("$$")
	for _, want := range []string{"$22=0", "$20=1", "$23=0", "$30=1000.000", "$130=300.000", "$131=210.000"} {
		if !slices.Contains(settings, want) {
			t.Errorf("$$ lacks %q: %q", want, settings)
		}
	}
	if got := last(c.roundTrip("$H")); got != "error:5" {
		t.Errorf("$H with homing off answered %q, want error:5", got)
	}
	c.send("G0 X33.59 Y72.208\n")
	if got := c.expectPrefix("ALARM"); got != "ALARM:2" {
		t.Errorf("a move into positive machine space answered %q, want ALARM:2", got)
	}
	sw := startSim(t, plotsim.Config{NoSwitches: true})
	d := dial(t, sw)
	d.reset()
	d.send("$H\n")
	if got := d.expectPrefix("ALARM"); got != "ALARM:8" {
		t.Errorf("$H without switches answered %q, want ALARM:8", got)
	}
}
