package profile

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
)

func TestEmbeddedProfiles(t *testing.T) {
	all := All()
	var names []string
	for _, p := range all {
		names = append(names, p.Name)
	}
	want := []string{"fluidnc", "grbl-servo", "grbl-z", "klipper", "marlin-servo"}
	if !slices.Equal(names, want) {
		t.Fatalf("profiles = %v, want %v", names, want)
	}
	for _, p := range all {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", p.Name, err)
		}
		// Every profile must hold the largest card format (A5, 210 x 148 mm) in its work area.
		for _, c := range []geom.Point{{X: 0, Y: 0}, {X: 210, Y: 0}, {X: 0, Y: 148}, {X: 210, Y: 148}} {
			if m := p.ToMachine(c); !p.WorkArea.Contains(m, 0) {
				t.Errorf("%s: card corner %v lands at %v, outside the work area %v", p.Name, c, m, p.WorkArea)
			}
		}
	}
	byName := map[string]*Profile{}
	for _, p := range all {
		byName[p.Name] = p
	}
	checks := []struct {
		name, dialect, protocol, actuator string
		rx, queue                         int
		minGap, tolerance                 float64
	}{
		// The GRBL profiles simplify finer than the default: GRBL slows for every corner of
		// the polyline, and a coarser one turns sharper corners. grbl-servo bridges gaps under
		// its pen's line width.
		{"grbl-servo", DialectGRBL, ProtocolCharCount, ActuatorServo, 128, 0, 0.4, 0.01},
		{"grbl-z", DialectGRBL, ProtocolCharCount, ActuatorZ, 128, 0, DefaultMinGap, 0.01},
		{"marlin-servo", DialectMarlin, ProtocolLineChecksum, ActuatorServo, 0, 4, DefaultMinGap, DefaultTolerance},
		{"fluidnc", DialectFluidNC, ProtocolCharCount, ActuatorZ, 256, 0, DefaultMinGap, DefaultTolerance},
		{"klipper", DialectKlipper, ProtocolSendWait, ActuatorZ, 0, 0, DefaultMinGap, DefaultTolerance},
	}
	for _, c := range checks {
		p := byName[c.name]
		if p.Dialect != c.dialect || p.Protocol.Kind != c.protocol || p.Actuator != c.actuator ||
			p.Protocol.RXBuffer != c.rx || p.Protocol.QueueDepth != c.queue {
			t.Errorf("%s: dialect %s protocol %+v actuator %s", c.name, p.Dialect, p.Protocol, p.Actuator)
		}
		if p.MinGap != c.minGap || p.Tolerance != c.tolerance || p.Precision != DefaultPrecision {
			t.Errorf("%s: min_gap %g tolerance %g precision %d, want %g, %g, %d", c.name, p.MinGap, p.Tolerance, p.Precision, c.minGap, c.tolerance, DefaultPrecision)
		}
	}
	if got := byName["grbl-servo"].PenDown.Commands; !slices.Equal(got, []string{"M3 S90"}) {
		t.Errorf("grbl-servo pen down = %q", got)
	}
	if got := byName["marlin-servo"].PenDown.Commands; !slices.Equal(got, []string{"M400", "M280 P0 S50"}) {
		t.Errorf("marlin-servo pen down = %q", got)
	}
}

func TestAllReturnsCopies(t *testing.T) {
	a := All()[0]
	a.Start[0] = "G0 X99999"
	a.DrawFeed = -1
	if b := All()[0]; b.Start[0] == "G0 X99999" || b.DrawFeed == -1 {
		t.Fatal("All shares its profiles with callers")
	}
}

func TestLookup(t *testing.T) {
	p, err := Lookup("grbl-z")
	if err != nil || p.Name != "grbl-z" {
		t.Fatalf("Lookup(grbl-z) = %v, %v", p, err)
	}
	_, err = Lookup("grbl")
	if err == nil || !strings.Contains(err.Error(), `unknown firmware profile "grbl"`) ||
		!strings.Contains(err.Error(), "fluidnc, grbl-servo, grbl-z, klipper, marlin-servo") {
		t.Fatalf("Lookup(grbl) error = %v", err)
	}
}

func TestPlacement(t *testing.T) {
	// Where card +x and card +y go for each rotation and flip, as the Placement table says.
	cases := []struct {
		rot          int
		flipX, flipY bool
		x, y         geom.Point
	}{
		{0, false, false, geom.Point{X: 1}, geom.Point{Y: 1}},
		{90, false, false, geom.Point{Y: 1}, geom.Point{X: -1}},
		{180, false, false, geom.Point{X: -1}, geom.Point{Y: -1}},
		{270, false, false, geom.Point{Y: -1}, geom.Point{X: 1}},
		{0, false, true, geom.Point{X: 1}, geom.Point{Y: -1}},
		{90, true, false, geom.Point{Y: 1}, geom.Point{X: 1}},
	}
	for _, c := range cases {
		p := &Profile{Card: Placement{Offset: geom.Point{X: 10, Y: 20}, Rotation: c.rot, FlipX: c.flipX, FlipY: c.flipY}}
		o := p.ToMachine(geom.Point{})
		if o != (geom.Point{X: 10, Y: 20}) {
			t.Errorf("rot %d: origin -> %v, want the offset", c.rot, o)
		}
		if got := p.ToMachine(geom.Point{X: 1}).Sub(o); got != c.x {
			t.Errorf("rot %d flip %v/%v: card +x -> %v, want %v", c.rot, c.flipX, c.flipY, got, c.x)
		}
		if got := p.ToMachine(geom.Point{Y: 1}).Sub(o); got != c.y {
			t.Errorf("rot %d flip %v/%v: card +y -> %v, want %v", c.rot, c.flipX, c.flipY, got, c.y)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range All() {
		for range 1000 {
			c := geom.Point{X: rng.Float64() * 210, Y: rng.Float64() * 148}
			if back := p.ToCard(p.ToMachine(c)); math.Abs(back.X-c.X) > 1e-12 || math.Abs(back.Y-c.Y) > 1e-12 {
				t.Fatalf("%s: ToCard(ToMachine(%v)) = %v", p.Name, c, back)
			}
		}
	}
}

func TestPenTimes(t *testing.T) {
	p, _ := Lookup("grbl-servo")
	up, down := p.PenLiftSeconds()
	// Between strokes the servo swings only from 63.5 to 55.76 degrees at 400 degrees/s, plus
	// the settle times; the first lift of a card swings from rest (0 degrees) to 55.76.
	if math.Abs(up-(0.03+7.74/400)) > 1e-12 || math.Abs(down-(0.08+7.74/400)) > 1e-12 {
		t.Errorf("grbl-servo PenLiftSeconds = %g, %g", up, down)
	}
	if first := p.FirstLiftSeconds(); math.Abs(first-(0.03+55.76/400)) > 1e-12 || p.FirstLiftDwellSeconds() != first {
		t.Errorf("grbl-servo FirstLiftSeconds = %g, dwell %g", first, p.FirstLiftDwellSeconds())
	}
	if du, dd := p.PenDwellSeconds(); du != up || dd != down {
		t.Errorf("a servo's dwell must cover its travel: %g, %g", du, dd)
	}
	// A servo that swings twice as far takes longer.
	q := p.Clone()
	q.PenDown.Position = 127
	if u2, _ := q.PenLiftSeconds(); u2 <= up {
		t.Errorf("longer servo travel did not take longer: %g <= %g", u2, up)
	}
	z, _ := Lookup("grbl-z")
	up, down = z.PenLiftSeconds()
	if math.Abs(up-0.1) > 1e-12 || math.Abs(down-0.15) > 1e-12 {
		t.Errorf("grbl-z PenLiftSeconds = %g, %g, want 0.1, 0.15", up, down)
	}
	if z.HasRest() || z.FirstLiftSeconds() != up || z.FirstLiftDwellSeconds() != 0 {
		t.Errorf("grbl-z has no rest: first lift %g (dwell %g), want a full lift %g (dwell 0)", z.FirstLiftSeconds(), z.FirstLiftDwellSeconds(), up)
	}
	if du, dd := z.PenDwellSeconds(); du != 0 || dd != 0.05 {
		t.Errorf("a Z pen dwells for its settle only: %g, %g", du, dd)
	}
}

func TestDialectFacts(t *testing.T) {
	for _, p := range All() {
		ms := p.Dialect == DialectMarlin || p.Dialect == DialectKlipper
		if p.DwellMilliseconds() != ms || p.RapidUsesFeed() != ms {
			t.Errorf("%s: DwellMilliseconds %v RapidUsesFeed %v", p.Name, p.DwellMilliseconds(), p.RapidUsesFeed())
		}
	}
}

// TestSettleDefault: a pen move without settle_seconds settles for DefaultSettleSeconds, not 0,
// so a profile that forgets it blots no card.
func TestSettleDefault(t *testing.T) {
	text := embeddedText(t, "grbl-servo")
	text = strings.Replace(text, "settle_seconds = 0.08", "", 1)
	p, err := Parse("grbl-servo.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if p.PenDown.SettleSeconds != DefaultSettleSeconds || p.PenUp.SettleSeconds != 0.03 {
		t.Errorf("settle = %g up, %g down; want 0.03 as given and the default %g", p.PenUp.SettleSeconds, p.PenDown.SettleSeconds, DefaultSettleSeconds)
	}
}

// The first lift of a card costs what the firmware runs: GRBL rounds a servo's dwell up to its
// 50 ms step; a Z pen is a planned move from a standstill plus its settle.
func TestFirstLiftCycleSeconds(t *testing.T) {
	s, _ := Lookup("grbl-servo")
	if got, want := s.FirstLiftCycleSeconds(), s.FirmwareDwell(s.FirstLiftSeconds()); math.Abs(got-want) > 1e-9 || math.Abs(got-0.2) > 1e-9 {
		t.Errorf("grbl-servo first lift %g s, want the 0.2 s GRBL dwells for %g s", got, s.FirstLiftSeconds())
	}
	z, _ := Lookup("grbl-z")
	// 1 mm at 10 mm/s and 300 mm/s²: accelerate to 10 mm/s (1/30 s, 1/6 mm), cruise, and slow to
	// the 2.69 mm/s corner into the travel.
	corner, _, _, _ := z.PenCorners()
	want := 10.0/300 + (10-corner)/300 + (1-100.0/600-(100-corner*corner)/600)/10
	if got := z.FirstLiftCycleSeconds(); math.Abs(got-want) > 1e-9 {
		t.Errorf("grbl-z first lift %g s, want %g", got, want)
	}
}
