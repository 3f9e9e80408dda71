package gcode

import (
	"math"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/profile"
)

func mustProfile(t testing.TB, name string) *profile.Profile {
	t.Helper()
	p, err := profile.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func near(a, b geom.Point) bool { return a.Dist(b) < 1e-9 }

// TestReadServo reads a hand-written program with the modal state a reader must follow:
// relative moves, inches, pen commands in other spellings, line numbers and checksums, an R arc.
func TestReadServo(t *testing.T) {
	p := mustProfile(t, "grbl-servo") // card (x, y) is machine (20+x, 160-y)
	prog := `; a comment
G21 G90
G0 X30 Y150
m03 s90.0 (pen down, spelled otherwise)
G4 P0.2
G1 X40
G91
G1 Y-10
G90
N7 M5*12
G20
G0 X1.5 Y5
G21
M3 S90
G2 X46.1 Y127 R5
M5
$H
`
	got, err := Read(strings.Split(prog, "\n"), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("read %d strokes, want 2: %v", len(got), got)
	}
	want := geom.Stroke{{X: 10, Y: 10}, {X: 20, Y: 10}, {X: 20, Y: 20}}
	if len(got[0]) != 3 || !near(got[0][0], want[0]) || !near(got[0][1], want[1]) || !near(got[0][2], want[2]) {
		t.Errorf("stroke 0 = %v, want %v", got[0], want)
	}
	arc := got[1]
	if !near(arc[0], geom.Point{X: 18.1, Y: 33}) || !near(arc[len(arc)-1], geom.Point{X: 26.1, Y: 33}) {
		t.Errorf("arc runs from %v to %v", arc[0], arc[len(arc)-1])
	}
	top := math.Inf(1)
	for _, q := range arc {
		// R5 over an 8 mm chord, clockwise: the centre is 3 mm below the chord (machine).
		if d := math.Abs(q.Dist(geom.Point{X: 22.1, Y: 36}) - 5); d > 1e-9 {
			t.Fatalf("arc point %v is %g off the circle", q, d)
		}
		top = math.Min(top, q.Y)
	}
	// G2 turns clockwise seen with machine Y up: over the top, which is card y 31.
	if math.Abs(top-31) > ReadArcTolerance {
		t.Errorf("arc reaches card y %g, want 31 (clockwise over the top)", top)
	}
	if len(arc) < 20 {
		t.Errorf("a 9 mm arc expanded to only %d points", len(arc))
	}
}

func TestReadZ(t *testing.T) {
	p := mustProfile(t, "grbl-z") // card (x, y) is machine (-280+x, -10-y); pen down at Z <= 1
	prog := []string{
		"G21", "G90", "G0 Z2",
		"G0 X-270 Y-20", // card (10, 10)
		"G1 Z0 F600",    // down
		"G1 X-260",      // card (20, 10)
		"G1 X-250 Z1.5", // lifts on the way: draws nothing
		"G1 X-240 Z0.5", // lowers on the way: the path starts at its end, card (40, 10)
		"G1 Y-30",       // card (40, 20); the program ends with the pen down
	}
	got, err := Read(prog, p)
	if err != nil {
		t.Fatal(err)
	}
	want := []geom.Stroke{{{X: 10, Y: 10}, {X: 20, Y: 10}}, {{X: 40, Y: 10}, {X: 40, Y: 20}}}
	if len(got) != 2 {
		t.Fatalf("read %v, want %v", got, want)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("stroke %d = %v, want %v", i, got[i], want[i])
		}
		for j := range want[i] {
			if !near(got[i][j], want[i][j]) {
				t.Fatalf("stroke %d = %v, want %v", i, got[i], want[i])
			}
		}
	}
}

func TestReadErrors(t *testing.T) {
	servo := mustProfile(t, "grbl-servo")
	cases := []struct {
		prog, want string
	}{
		{"M3 S90", "read G-code: line 1: the pen goes down at an unknown position"},
		{"G0 X30 Y150\n$H\nM3 S90", "read G-code: line 3: the pen goes down at an unknown position"},
		{"G21\nG90\nG92 X0", "read G-code: line 3: unsupported command G92"},
		{"G0 X30 Y150\nM3 S90\nG2 X40 Y150 I1 J0", "read G-code: line 3: the arc's end lies"},
		{"G0 X30 Y150\nG2 X40 Y150", "read G-code: line 2: an arc needs I and J or R"},
		{"G0 X30 Y150\nG2 X80 Y150 R5", "read G-code: line 2: the arc's radius cannot reach its end point"},
		{"G2", "read G-code: line 1: an arc needs an end point"},
		{"G91\nG2 X1 Y1 I1", "read G-code: line 2: an arc from or to an unknown position"},
		{"G18", "read G-code: line 1: only the XY plane (G17) is supported"},
		{"G1 X1 Q5", "read G-code: line 1: word Q is not supported"},
		{"G0 X30 Y150\nM3 S90\nG28", "read G-code: line 3: homes with the pen down"},
		{"G0 X30 Y150\nM3 S90\n$H", "read G-code: line 3: homes with the pen down"},
		{"G1 X1 (open", "read G-code: line 1: unclosed comment at column 7"},
	}
	for _, c := range cases {
		_, err := Read(strings.Split(c.prog, "\n"), servo)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.prog, err, c.want)
		}
	}
	if _, err := Read(nil, nil); err == nil {
		t.Error("Read without a profile succeeded")
	}
}

// TestReadBigArcIsBounded: a hostile arc cannot make the reader allocate without bound.
func TestReadBigArcIsBounded(t *testing.T) {
	p := mustProfile(t, "grbl-servo")
	_, err := Read([]string{"G0 X30 Y150", "M3 S90", "G2 X30 Y150 I100000000 J0"}, p)
	if err == nil || !strings.Contains(err.Error(), "segments") {
		t.Fatalf("err = %v", err)
	}
}

// TestReadDrawnFeedsAndDwells: the reader reports each drawn point's feed as the firmware runs
// it (F is modal across G0 and G1, scaled by G20 in its own block, carried through an arc's
// chords) and the dwell after each pen-down before the first move, in the dialect's units.
func TestReadDrawnFeedsAndDwells(t *testing.T) {
	grbl := mustProfile(t, "grbl-servo") // card (x, y) is machine (20+x, 160-y)
	prog := `G21 G90
G0 X30 Y150 F6000
M3 S90
G4 P0.2
G4 P0.05
G1 X40 F1500
G1 Y140
G4 P1
G20 G1 X1.6 F100
G21
M5
G0 X30 Y150
M3 S90
G2 X40 Y150 R5
M5
`
	d, err := ReadDrawn(strings.Split(prog, "\n"), grbl)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Strokes) != 2 || len(d.Feeds) != 2 || len(d.Dwells) != 2 {
		t.Fatalf("read %d strokes, %d feed lists, %d dwells, want 2 each", len(d.Strokes), len(d.Feeds), len(d.Dwells))
	}
	want := []float64{0, 1500, 1500, 2540}
	if len(d.Feeds[0]) != len(want) {
		t.Fatalf("stroke 0 feeds %v, want %v", d.Feeds[0], want)
	}
	for i, f := range want {
		if math.Abs(d.Feeds[0][i]-f) > 1e-9 {
			t.Errorf("stroke 0 feeds %v, want %v", d.Feeds[0], want)
			break
		}
	}
	if math.Abs(d.Dwells[0]-0.25) > 1e-12 || d.Dwells[1] != 0 {
		t.Errorf("dwells %v, want [0.25 0]: the G4 inside the stroke is not a landing", d.Dwells)
	}
	arc := d.Feeds[1]
	if len(arc) < 10 || arc[0] != 0 {
		t.Fatalf("arc feeds %v", arc)
	}
	for _, f := range arc[1:] {
		if math.Abs(f-2540) > 1e-9 {
			t.Fatalf("an arc chord at F%g, want the modal F2540", f)
		}
	}

	marlin := mustProfile(t, "marlin-servo")
	down := marlin.PenDown.Commands
	lines := append([]string{"G28", "G0 X30 Y150"}, down...)
	lines = append(lines, "G4 P250", "G4 S1", "G1 X40 F900")
	lines = append(lines, marlin.PenUp.Commands...)
	d, err = ReadDrawn(lines, marlin)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Dwells) != 1 || math.Abs(d.Dwells[0]-1.25) > 1e-12 || d.Feeds[0][1] != 900 {
		t.Errorf("marlin: dwells %v feeds %v, want [1.25] and F900", d.Dwells, d.Feeds)
	}
}
