package gcode

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/profile"
)

// TestInkVaries checks that with Options.Ink the drawing feed varies along strokes and the
// pen-down dwell per stroke, that no feed exceeds the profile's draw feed and no dwell falls
// short of the profile's, that strokes start slower than they cruise, and that the program is
// the same for the same strokes.
func TestInkVaries(t *testing.T) {
	for _, p := range profile.All() {
		t.Run(p.Name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 42))
			strokes := randomStrokes(rng, 30)
			prog, err := Emit(strokes, p, Options{Ink: true})
			if err != nil {
				t.Fatal(err)
			}
			again, _ := Emit(strokes, p, Options{Ink: true})
			if !slices.Equal(prog.Lines, again.Lines) {
				t.Fatal("the same strokes gave two different programs")
			}
			_, down := p.PenDwellSeconds()
			feeds := map[float64]int{}
			dwells := map[string]int{}
			firstFeeds, otherFeeds := 0.0, 0.0
			nFirst, nOther := 0, 0
			feed := 0.0
			afterDown := false
			downCmd := p.PenDown.Commands[len(p.PenDown.Commands)-1]
			expectDwell := false
			for i, l := range prog.Lines {
				if strings.HasPrefix(l, "$") || strings.HasPrefix(l, ";") {
					continue
				}
				blk, err := ParseLine(l)
				if err != nil {
					t.Fatalf("line %d %q: %v", i+1, l, err)
				}
				if l == downCmd {
					afterDown, expectDwell = true, true
					continue
				}
				if slices.Contains(p.PenUp.Commands, l) {
					afterDown = false
				}
				wasDwell := expectDwell
				expectDwell = false
				if wasDwell && strings.HasPrefix(l, "G4 ") {
					dwells[l]++
					sec, _ := blk.Get('P')
					if p.DwellMilliseconds() {
						sec /= 1000
					}
					if sec < down-1e-9 {
						t.Errorf("line %d %q: dwell %gs is shorter than the profile's %gs", i+1, l, sec, down)
					}
					continue
				}
				if f, ok := blk.Get('F'); ok && !slices.Contains(p.PenDown.Commands, l) && !slices.Contains(p.PenUp.Commands, l) {
					feed = f
				}
				if blk.Has('G', 1) || blk.Has('G', 2) || blk.Has('G', 3) {
					if blk.Count('Z') > 0 {
						continue
					}
					if feed > p.DrawFeed+1e-9 || feed < inkMinFactor*p.DrawFeed-1e-9 {
						t.Errorf("line %d %q draws at F%g, outside [%g, %g]", i+1, l, feed, inkMinFactor*p.DrawFeed, p.DrawFeed)
					}
					feeds[feed]++
					if afterDown {
						firstFeeds += feed
						nFirst++
					} else {
						otherFeeds += feed
						nOther++
					}
					afterDown = false
				}
			}
			if len(feeds) < 4 {
				t.Errorf("only %d different draw feeds: %v", len(feeds), feeds)
			}
			if down > 0 && len(dwells) < 5 {
				t.Errorf("only %d different pen-down dwells over %d strokes: %v", len(dwells), prog.PenLifts, dwells)
			}
			if nFirst == 0 || nOther == 0 || firstFeeds/float64(nFirst) >= 0.9*otherFeeds/float64(nOther) {
				t.Errorf("strokes start at F%.0f on average and go on at F%.0f: no slower start",
					firstFeeds/float64(max(1, nFirst)), otherFeeds/float64(max(1, nOther)))
			}
			// The reader hands a plot-time estimate the same feeds and dwells.
			drawn, err := ReadDrawn(prog.Lines, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(drawn.Feeds) != prog.PenLifts || len(drawn.Dwells) != prog.PenLifts {
				t.Fatalf("read back %d feed lists and %d dwells for %d strokes", len(drawn.Feeds), len(drawn.Dwells), prog.PenLifts)
			}
			readFeeds := map[float64]bool{}
			for i, fs := range drawn.Feeds {
				if len(fs) != len(drawn.Strokes[i]) {
					t.Fatalf("stroke %d: %d feeds for %d points", i, len(fs), len(drawn.Strokes[i]))
				}
				for _, f := range fs[1:] {
					readFeeds[f] = true
				}
			}
			for f := range feeds {
				if !readFeeds[f] {
					t.Errorf("the program draws at F%g, the reader never reports it (%v)", f, readFeeds)
				}
			}
			if len(readFeeds) != len(feeds) {
				t.Errorf("the reader reports feeds %v, the program draws at %v", readFeeds, feeds)
			}
			readDwells := map[float64]bool{}
			for i, d := range drawn.Dwells {
				if d < down-1e-9 || (down == 0 && d != 0) {
					t.Errorf("stroke %d: read-back dwell %gs, profile %gs", i, d, down)
				}
				readDwells[d] = true
			}
			if len(readDwells) != len(dwells) && down > 0 {
				t.Errorf("the reader reports %d different dwells, the program has %d", len(readDwells), len(dwells))
			}
			steady, _ := Emit(strokes, p, Options{})
			for _, l := range steady.Lines {
				if strings.Contains(l, "F") && (strings.HasPrefix(l, "G1 X") || strings.HasPrefix(l, "G1 Y")) &&
					!strings.Contains(l, " F"+formatNumber(p.DrawFeed, 3)) {
					t.Errorf("without ink %q does not draw at the draw feed", l)
				}
			}
		})
	}
}
