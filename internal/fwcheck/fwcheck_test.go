package fwcheck

import (
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/profile"
)

// stockGRBL is what GRBL 1.1h prints for $$ with its shipped defaults, as on a fresh board.
var stockGRBL = strings.Split(`$0=10
$1=25
$2=0
$3=0
$4=0
$5=0
$6=0
$10=1
$11=0.010
$12=0.002
$13=0
$20=1
$21=0
$22=0
$23=0
$24=25.000
$25=500.000
$26=250
$27=1.000
$30=1000
$31=0
$32=0
$100=250.000
$101=250.000
$102=250.000
$110=8000.000
$111=8000.000
$112=500.000
$120=500.000
$121=500.000
$122=10.000
$130=300.000
$131=210.000
$132=200.000`, "\n")

func grblServo(t *testing.T) *profile.Profile {
	t.Helper()
	p, err := profile.Lookup("grbl-servo")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseGRBL(t *testing.T) {
	var s Settings
	if err := ParseGRBLSettings(&s, append(stockGRBL, "$22 = 1    (Homing cycle enable, boolean)", "$Homing/Cycle0=XY", "ok")); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get("$22"); v != 1 {
		t.Errorf("$22 = %v, want 1 (the 0.9-style line comes last)", v)
	}
	if v, _ := s.Get("$131"); v != 210 {
		t.Errorf("$131 = %v", v)
	}
	if err := ParseGRBLInfo(&s, []string{"[VER:1.1h.20190825:]", "[OPT:V,15,128]", "ok"}); err != nil {
		t.Fatal(err)
	}
	if s.Firmware != "1.1h.20190825" || s.Blocks != 15 || s.RXBuffer != 128 {
		t.Errorf("info %q %d %d", s.Firmware, s.Blocks, s.RXBuffer)
	}
	if err := ParseGRBLOffsets(&s, []string{"[G54:-300.000,-210.000,0.000]", "[G55:0.000,0.000,0.000]", "[TLO:0.000]"}); err != nil {
		t.Fatal(err)
	}
	if !s.HasWorkOffset || s.WorkOffset != (geom.Point{X: -300, Y: -210}) {
		t.Errorf("work offset %v %v", s.HasWorkOffset, s.WorkOffset)
	}
	if err := ParseGRBLSettings(&s, []string{"$110=fast"}); err == nil || err.Error() != `setting $110: "fast" is not a number` {
		t.Errorf("bad value: %v", err)
	}
}

func TestParseMarlinAndKlipper(t *testing.T) {
	var s Settings
	m503 := []string{
		"echo:; Linear Units:", "echo:  G21 ; (mm)", "echo:; Max feedrates (units/s):",
		"echo:  M203 X150.00 Y150.00 Z10.00 E50.00", "echo:  M201 X1000.00 Y1000.00 Z100.00 E5000.00",
		"echo:  M204 P1000.00 R5000.00 T1000.00", "echo:  M205 B20000.00 S0.00 T0.00 J0.013",
		"echo:  M301 P22.20 I1.08 D114.00", "ok",
	}
	if err := ParseMarlinSettings(&s, m503); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]float64{"M203 X": 150, "M204 P": 1000, "M205 J": 0.013, "M201 Y": 1000} {
		if v, ok := s.Get(k); !ok || v != want {
			t.Errorf("%s = %v %v, want %v", k, v, ok, want)
		}
	}
	if _, ok := s.Get("M301 P"); ok {
		t.Error("heater PID settings kept")
	}
	m115 := []string{"FIRMWARE_NAME:Marlin 2.1.2.1 (Github) SOURCE_CODE_URL:github.com/MarlinFirmware/Marlin PROTOCOL_VERSION:1.0 MACHINE_TYPE:Ender-3", "Cap:ARCS:1", "Cap:EEPROM:1", "ok"}
	if err := ParseMarlinCaps(&s, m115); err != nil {
		t.Fatal(err)
	}
	if s.Firmware != "Marlin 2.1.2.1 (Github)" || !s.Caps["ARCS"] {
		t.Errorf("firmware %q caps %v", s.Firmware, s.Caps)
	}
	var k Settings
	if err := ParseKlipperLimits(&k, []string{"// max_velocity: 200.000000", "// max_accel: 2000.000000", "// minimum_cruise_ratio: 0.500000", "// square_corner_velocity: 5.000000", "ok"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := k.Get("square_corner_velocity"); v != 5 {
		t.Errorf("scv %v", v)
	}
}

func reasons(ms []Mismatch) string {
	var b []string
	for _, m := range ms {
		b = append(b, m.Reason)
	}
	return strings.Join(b, "\n")
}

// A board with GRBL's shipped settings is refused for grbl-servo, each setting named with the
// value to set; once set as the profile needs, it passes.
func TestCheckStockGRBL(t *testing.T) {
	p := grblServo(t)
	var s Settings
	if err := ParseGRBLSettings(&s, stockGRBL); err != nil {
		t.Fatal(err)
	}
	got := Check(p, s)
	want := []string{
		`$22 (homing) is 0 but the profile grbl-servo needs homing: set $22=1 or set homing = "none" in the profile`,
		`$30 (max spindle speed) is 1000 but the profile grbl-servo maps the pen's S values to 0..255: set $30=255 or spindle_max = 1000 in the profile`,
		`the profile grbl-servo's work area X 0 to 300 lies at machine X 0 to 300, outside the controller's soft-limit travel X -300 to 0 ($20=1, $130=300, $23=0): set work_offset_x = -300 in the profile's [controller] table, or turn soft limits off with $20=0`,
		`the profile grbl-servo's work area Y 0 to 210 lies at machine Y 0 to 210, outside the controller's soft-limit travel Y -210 to 0 ($20=1, $131=210, $23=0): set work_offset_y = -210 in the profile's [controller] table, or turn soft limits off with $20=0`,
	}
	if g := reasons(got); g != strings.Join(want, "\n") {
		t.Errorf("mismatches:\n%s\nwant:\n%s", g, strings.Join(want, "\n"))
	}
	s.put("$22", 1)
	s.put("$30", 255)
	q := p.Clone()
	q.Controller.WorkOffset, q.Controller.HasWorkOffset = geom.Point{X: -300, Y: -210}, true
	if got := Check(q, s); len(got) != 0 {
		t.Errorf("after fixing: %s", reasons(got))
	}
	s.put("$120", 250)
	s.put("$11", 0.02)
	s.put("$110", 500)
	if g := reasons(Check(q, s)); !strings.Contains(g, "$120 (X acceleration) is 250 mm/s² but the profile grbl-servo plans with 500: set $120=500") ||
		!strings.Contains(g, "$11 (junction deviation) is 0.02 mm but the profile grbl-servo plans with 0.01: set $11=0.01") ||
		!strings.Contains(g, "$110 (X max rate) is 500 mm/min but the profile grbl-servo travels at 8000") {
		t.Errorf("rates and accelerations:\n%s", g)
	}
}

func TestCheckMarlinAndKlipper(t *testing.T) {
	m, _ := profile.Lookup("marlin-servo")
	s := Settings{Values: map[string]float64{"M203 X": 100, "M203 Y": 150, "M204 P": 1000, "M205 J": 0.013, "M201 X": 1000, "M201 Y": 1000}, Caps: map[string]bool{"ARCS": false}}
	want := "M203 X (max feedrate) is 100 mm/s but the profile marlin-servo travels at 9000 mm/min (150 mm/s): set M203 X150 and save with M500, or travel_feed = 6000 in the profile\n" +
		"the firmware reports Cap:ARCS:0 (built without ARC_SUPPORT) but the profile marlin-servo sends arcs: set arcs = false in the profile"
	if g := reasons(Check(m, s)); g != want {
		t.Errorf("marlin:\n%s\nwant\n%s", g, want)
	}
	k, _ := profile.Lookup("klipper")
	ks := Settings{Values: map[string]float64{"max_velocity": 300, "max_accel": 2000, "square_corner_velocity": 5}}
	if g := reasons(Check(k, ks)); g != "" {
		t.Errorf("klipper as configured: %s", g)
	}
	ks.Values["square_corner_velocity"] = 10
	if g := reasons(Check(k, ks)); !strings.HasPrefix(g, "square_corner_velocity is 10 mm/s, a junction deviation of 0.0207 mm, but the profile klipper plans with 0.0052: set square_corner_velocity: 5.01") {
		t.Errorf("klipper scv: %s", g)
	}
}

func FuzzParse(f *testing.F) {
	for _, l := range append(stockGRBL, "[VER:1.1h.20190825:]", "[OPT:V,15,128]", "[G54:-1,2,3]", "echo:  M203 X1 Y2", "Cap:ARCS:1",
		"FIRMWARE_NAME:Marlin 2 SOURCE_CODE_URL:x", "// max_accel: 3", "$22 = 1 (homing)", "[OPT:,,]", "$=", "echo:  M204 P", "Cap::") {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, text string) {
		lines := strings.Split(text, "\n")
		var s Settings
		for _, parse := range []func(*Settings, []string) error{ParseGRBLSettings, ParseGRBLInfo, ParseGRBLOffsets, ParseMarlinSettings, ParseMarlinCaps, ParseKlipperLimits} {
			_ = parse(&s, lines)
		}
		for k, v := range s.Values {
			if v != v || k == "" {
				t.Fatalf("%q = %v", k, v)
			}
		}
		if s.Blocks < 0 || s.RXBuffer < 0 {
			t.Fatalf("negative buffers %d %d", s.Blocks, s.RXBuffer)
		}
		for _, name := range []string{"grbl-servo", "marlin-servo", "klipper"} {
			p, _ := profile.Lookup(name)
			for _, m := range Check(p, s) {
				if m.Reason == "" || m.Setting == "" {
					t.Fatalf("empty mismatch %+v", m)
				}
			}
		}
	})
}
