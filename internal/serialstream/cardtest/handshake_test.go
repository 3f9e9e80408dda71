package cardtest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/fwcheck"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/plotsim"
	"github.com/quillpost/quillpost/internal/profile"
	"github.com/quillpost/quillpost/internal/serialstream"
)

// stockSim is a virtual GRBL 1.1 board with the settings it ships with (homing off, soft limits
// on, $30=1000), its travel at negative machine coordinates as after homing.
func stockSim(t *testing.T, p *profile.Profile) *plotsim.Sim {
	t.Helper()
	cfg, err := plotsim.ForProfile(p, plotsim.Config{Speed: 0})
	if err != nil {
		t.Fatal(err)
	}
	cfg = plotsim.StockGRBL(cfg, p.WorkArea.W(), p.WorkArea.H())
	sim, err := plotsim.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

func handshake(t *testing.T, c *serialstream.Controller, p *profile.Profile) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.Handshake(ctx, p)
	return err
}

func writeCard(t *testing.T, c *serialstream.Controller, sim *plotsim.Sim, p *profile.Profile) {
	t.Helper()
	prog := render(t, "Dear Oliver,\nthank you!", "allure", 7, p, p.Arcs)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := c.Stream(ctx, prog.Lines, nil); err != nil {
		t.Fatalf("writing the card: %v", err)
	}
	if n := len(sim.Strokes()); n == 0 {
		t.Fatal("nothing drawn")
	}
	if err := sim.Err(); err != nil {
		t.Fatal(err)
	}
}

// Issue 16, findings 1 and 2, on a board configured like stock GRBL 1.1: the handshake refuses
// grbl-servo with every disagreeing setting named and the value to set, moving nothing; once the
// settings are fixed and the profile names the work offset of GRBL's negative machine space, the
// card is written.
func TestHandshakeRefusesStockGRBLUntilSetUp(t *testing.T) {
	t.Parallel()
	p, _ := profile.Lookup("grbl-servo")
	sim := stockSim(t, p)
	c := senderFor(t, sim, p, "")
	err := handshake(t, c, p)
	var fe *fwcheck.Error
	if !errors.As(err, &fe) {
		t.Fatalf("handshake on a stock board: %v, want a refusal", err)
	}
	for _, want := range []string{
		`$22 (homing) is 0 but the profile grbl-servo needs homing: set $22=1 or set homing = "none" in the profile`,
		`$30 (max spindle speed) is 1000 but the profile grbl-servo maps the pen's S values to 0..255: set $30=255`,
		`set work_offset_x = -300 in the profile's [controller] table`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal does not say %q:\n%v", want, err)
		}
	}
	if st := sim.Stats(); len(sim.Strokes()) != 0 || st.PenDown || st.Pos != (geom.Point{}) {
		t.Errorf("the handshake moved the machine: %+v", st)
	}

	// The operator sets what the refusal names.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := c.Stream(ctx, []string{"$22=1", "$30=255"}, nil); err != nil {
		t.Fatal(err)
	}
	err = handshake(t, c, p)
	if err == nil || strings.Contains(err.Error(), "$22") || !strings.Contains(err.Error(), "work_offset_y = -210") {
		t.Fatalf("with the settings fixed but no work offset: %v", err)
	}
	q := p.Clone()
	q.Controller.WorkOffset, q.Controller.HasWorkOffset = geom.Point{X: -300, Y: -210}, true
	if err := handshake(t, c, q); err != nil {
		t.Fatalf("handshake after setup: %v", err)
	}
	writeCard(t, c, sim, q)
	for _, s := range sim.Strokes() {
		for _, m := range s {
			if m.X > 0 || m.Y > 0 || m.X < -300 || m.Y < -210 {
				t.Fatalf("drew at machine %v, outside GRBL's travel", m)
			}
		}
	}
}

// Without homing switches: the profile says homing = "none", the operator jogs the pen to the
// work area's corner and sets the origin there; the handshake passes and the card is written.
func TestHomingNoneWithOperatorOrigin(t *testing.T) {
	t.Parallel()
	p, _ := profile.Lookup("grbl-servo")
	q := p.Clone()
	q.Homing, q.Start = profile.HomingNone, []string{"G21", "G90", "G94", "G17"}
	q.Controller.SpindleMax = 1000 // as shipped; the pen's S values are the profile's to choose
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	sim := stockSim(t, q)
	c := senderFor(t, sim, q, "")
	err := handshake(t, c, q)
	if err == nil || !strings.Contains(err.Error(), "work_offset_x") {
		t.Fatalf("before the origin is set: %v, want the travel named", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := c.Stream(ctx, []string{"$J=G53 X-300 Y-210 F3000"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.SetOrigin(ctx); err != nil {
		t.Fatal(err)
	}
	if err := handshake(t, c, q); err != nil {
		t.Fatalf("handshake after setting the origin: %v", err)
	}
	writeCard(t, c, sim, q)
}

// A board whose homing is on but has no switches ends $H in an alarm: the card's program fails
// before any pen-down, so the card is not marked.
func TestHomingWithoutSwitchesLeavesTheCardBlank(t *testing.T) {
	t.Parallel()
	p, _ := profile.Lookup("grbl-servo")
	cfg, err := plotsim.ForProfile(p, plotsim.Config{NoSwitches: true})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := plotsim.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	c := senderFor(t, sim, p, "")
	if err := handshake(t, c, p); err != nil {
		t.Fatal(err)
	}
	prog := render(t, "Hi", "allure", 1, p, p.Arcs)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = c.Stream(ctx, prog.Lines, nil)
	if !errors.Is(err, serialstream.ErrAlarm) || serialstream.Marked(err) {
		t.Fatalf("homing without switches: %v (marked %v), want an alarm on a blank card", err, serialstream.Marked(err))
	}
}

// Every profile's handshake passes on a controller set up as the profile expects, and names the
// setting when one disagrees: GRBL and FluidNC through $$, Marlin through M503, Klipper through
// SET_VELOCITY_LIMIT.
func TestHandshakeEveryDialect(t *testing.T) {
	t.Parallel()
	wrong := map[string]string{
		"grbl-servo":   "$120 (X acceleration) is 250 mm/s² but the profile grbl-servo plans with 500: set $120=500",
		"grbl-z":       "$120 (X acceleration) is 150 mm/s² but the profile grbl-z plans with 300: set $120=300",
		"fluidnc":      "$120 (X acceleration) is 400 mm/s² but the profile fluidnc plans with 800: set $120=800",
		"marlin-servo": "M204 P (printing acceleration) is 500 mm/s² but the profile marlin-servo plans with 1000: set M204 P1000",
		"klipper":      "max_accel is 1000 mm/s² but the profile klipper plans with 2000: set max_accel: 2000 in printer.cfg",
	}
	for _, p := range profile.All() {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			c := senderFor(t, simFor(t, p, 0), p, "")
			if err := handshake(t, c, p); err != nil {
				t.Fatalf("handshake with a controller set up as the profile says: %v", err)
			}
			cfg, err := plotsim.ForProfile(p, plotsim.Config{BusyInterval: 250 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			cfg.Accel = p.Accel / 2
			sim, err := plotsim.Start(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer sim.Close()
			err = handshake(t, senderFor(t, sim, p, ""), p)
			if want := wrong[p.Name]; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("half the acceleration: %v\nwant it to say %q", err, want)
			}
		})
	}
}
