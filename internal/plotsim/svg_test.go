package plotsim_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/quillpost/quillpost/internal/gcode"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/plotsim"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

func TestWriteSVG(t *testing.T) {
	strokes := []geom.Stroke{
		{{X: 10, Y: 10}, {X: 20.5, Y: 10}, {X: 20.5, Y: 19.9994}},
		{{X: 30, Y: 30}},
		{{X: -0.0001, Y: 5}, {X: 0.1234567, Y: 6}},
	}
	var b bytes.Buffer
	if err := plotsim.WriteSVG(&b, strokes, geom.Rect{Max: geom.Point{X: 100, Y: 50}}, 0.3); err != nil {
		t.Fatal(err)
	}
	golden(t, "recording.svg", b.Bytes())
	if err := plotsim.WriteSVG(&b, strokes, geom.EmptyRect, 0.3); err == nil {
		t.Error("an empty area was accepted")
	}
}

func TestCommandPen(t *testing.T) {
	block := func(s string) gcode.Block {
		b, err := gcode.ParseLine(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	servo, err := plotsim.CommandPen([]string{"M400", "M280 P0 S50"}, []string{"M400", "M280 P0 S90"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		line         string
		before, want bool
	}{
		{"M280 P0 S50", false, true}, {"m280s50p0", false, true}, {"M280 P0 S90", true, false},
		{"M400", true, true}, {"M400", false, false}, {"G1 X5", true, true}, {"M280 P0 S51", false, false},
	} {
		if got := servo(block(tc.line), 0, tc.before); got != tc.want {
			t.Errorf("servo pen: %q from %v = %v, want %v", tc.line, tc.before, got, tc.want)
		}
	}
	z, err := plotsim.CommandPen([]string{"G1 Z0 F600"}, []string{"G0 Z2"})
	if err != nil {
		t.Fatal(err)
	}
	if !z(block("G1 Z0.5"), 0.5, false) || z(block("G0 Z1.5"), 1.5, true) || !z(block("G1 X3"), 3, true) {
		t.Error("a Z pen follows Z with the threshold halfway between the profile's heights")
	}
	if _, err := plotsim.CommandPen([]string{"M400"}, []string{"M400"}); err == nil {
		t.Error("pen commands that cannot tell up from down were accepted")
	}
	if _, err := plotsim.CommandPen([]string{"M3 S("}, []string{"M5"}); err == nil {
		t.Error("a pen command that does not parse was accepted")
	}
}

func TestParseFaults(t *testing.T) {
	got, err := plotsim.ParseFaults("error@12:33, drop@40:-1,lose-ok@7,stall@90")
	if err != nil {
		t.Fatal(err)
	}
	want := []plotsim.Fault{
		{Kind: plotsim.FaultError, Line: 12, Code: 33}, {Kind: plotsim.FaultDrop, Line: 40, Offset: -1},
		{Kind: plotsim.FaultLoseOK, Line: 7}, {Kind: plotsim.FaultStall, Line: 90},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("fault %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"error", "melt@3", "error@0", "error@x", "stall@3:4", "error@3:999", "drop@2:x"} {
		if _, err := plotsim.ParseFault(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}
