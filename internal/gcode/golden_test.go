package gcode

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/profile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenStrokes is a small fixed card: a corner, a handwritten loop, a circle that arcs can
// replace, a dot, and coordinates that need rounding.
func goldenStrokes() []geom.Stroke {
	loop := geom.Path{Start: geom.Point{X: 30, Y: 40}, Segs: []geom.Seg{
		{Kind: geom.Cubic, P: [3]geom.Point{{X: 34, Y: 30}, {X: 42, Y: 30}, {X: 40, Y: 38}}},
		{Kind: geom.Cubic, P: [3]geom.Point{{X: 38, Y: 46}, {X: 30, Y: 48}, {X: 36, Y: 50}}},
	}}
	var circle geom.Stroke
	for i := 0; i <= 48; i++ {
		a := 2 * math.Pi * float64(i) / 48
		circle = append(circle, geom.Point{X: 60 + 6*math.Cos(a), Y: 40 + 6*math.Sin(a)})
	}
	return []geom.Stroke{
		{{X: 10, Y: 10}, {X: 10, Y: 30}, {X: 25, Y: 30}},
		loop.Flatten(0.02, nil),
		circle,
		{{X: 80, Y: 20}},
		{{X: 100.12345, Y: 50.98765}, {X: 110.5, Y: 50.0004}, {X: 110.50001, Y: 50.0001}},
	}
}

func TestGolden(t *testing.T) {
	type run struct {
		file string
		p    *profile.Profile
		arcs bool
	}
	var runs []run
	for _, p := range profile.All() {
		runs = append(runs, run{p.Name + ".gcode", p, true})
	}
	runs = append(runs, run{"grbl-servo-lines.gcode", mustProfile(t, "grbl-servo"), false})
	for _, r := range runs {
		prog, err := Emit(goldenStrokes(), r.p, Options{Title: "Golden card: Zoë & Co. (test)!", Arcs: r.arcs})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", r.file)
		if *update {
			if err := os.WriteFile(path, prog.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(prog.Bytes(), want) {
			t.Errorf("%s differs from the emitted program; if the change is intended, run go test -update and review the diff", path)
		}
	}
}
