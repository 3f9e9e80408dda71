package gcode

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/quillpost/quillpost/internal/profile"
)

// gridTol is how far rounding to 3 decimals can move a point (half a micrometre per axis), with
// room for the float noise of parsing it back.
const gridTol = 0.00075

// TestRoundTrip is the property the rest of the system leans on: whatever the planner hands
// over, Emit then Read gives back the same pen-down paths, within rounding when lines are
// emitted and within the profile's tolerance when arcs replace them, on every profile.
func TestRoundTrip(t *testing.T) {
	seeds := 60
	if testing.Short() {
		seeds = 10
	}
	for _, p := range profile.All() {
		for _, arcs := range []bool{false, true} {
			ink := arcs // the varying feed and dwell must not change what is drawn
			t.Run(fmt.Sprintf("%s/arcs=%v", p.Name, arcs), func(t *testing.T) {
				t.Parallel()
				totalArcs := 0
				for seed := range uint64(seeds) {
					rng := rand.New(rand.NewPCG(seed, 42))
					strokes := randomStrokes(rng, 1+rng.IntN(25))
					prog, err := Emit(strokes, p, Options{Arcs: arcs, Ink: ink, Title: "round trip"})
					if err != nil {
						t.Fatalf("seed %d: Emit: %v", seed, err)
					}
					got, err := Read(prog.Lines, p)
					if err != nil {
						t.Fatalf("seed %d: Read: %v", seed, err)
					}
					tol := gridTol
					if arcs {
						tol = p.Tolerance + gridTol + ReadArcTolerance
					}
					sameStrokes(t, fmt.Sprintf("seed %d", seed), strokes, got, gridTol, tol)
					if prog.PenLifts != len(got) {
						t.Fatalf("seed %d: PenLifts = %d, read %d strokes", seed, prog.PenLifts, len(got))
					}
					totalArcs += prog.Arcs
				}
				if arcs && totalArcs == 0 {
					t.Error("no arcs were fitted to strokes full of arcs")
				}
				if !arcs && totalArcs != 0 {
					t.Errorf("%d arcs emitted with arcs off", totalArcs)
				}
			})
		}
	}
}
