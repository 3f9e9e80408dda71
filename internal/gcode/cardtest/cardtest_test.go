package cardtest

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/gcode"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/hand"
	"github.com/quillpost/quillpost/internal/profile"
)

// texts are the holdout-like sample texts at the repository root.
func texts(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("../../../testdata/texts/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample texts in testdata/texts: %v", err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".txt")] = string(b)
	}
	return out
}

// TestFormatsFitEveryProfile: each card format lies inside each profile's work area.
func TestFormatsFitEveryProfile(t *testing.T) {
	for _, p := range profile.All() {
		for _, f := range hand.Formats() {
			for _, c := range []geom.Point{{X: 0, Y: 0}, {X: f.W, Y: 0}, {X: 0, Y: f.H}, {X: f.W, Y: f.H}} {
				if m := p.ToMachine(c); !p.WorkArea.Contains(m, 0) {
					t.Errorf("%s: %s card corner %v lands at machine %v, outside %v", p.Name, f.Name, c, m, p.WorkArea)
				}
			}
		}
	}
}

// TestRenderedCardsRoundTrip writes real cards (every face, several seeds, two formats) and
// checks that reading each program back gives the card's strokes, on every profile, with arcs
// off (within rounding) and on (within the profile's tolerance).
func TestRenderedCardsRoundTrip(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	if testing.Short() {
		seeds = seeds[:1]
	}
	hands := hand.Hands()
	cards := 0
	for name, text := range texts(t) {
		for _, face := range font.Faces() {
			for si, seed := range seeds {
				format, _ := hand.LookupFormat([]string{"a5", "a6"}[si%2])
				card, err := hand.Render(hand.Request{Text: text, Face: face, Format: format, Hand: hands[si%len(hands)], Seed: seed})
				var fit *hand.FitError
				var input *hand.InputError
				if errors.As(err, &fit) || errors.As(err, &input) {
					continue // this text does not go on this card in this face; not our concern
				}
				if err != nil {
					t.Fatalf("%s/%s/%d: Render: %v", name, face.Name, seed, err)
				}
				cards++
				for _, p := range profile.All() {
					for _, arcs := range []bool{false, true} {
						label := fmt.Sprintf("%s/%s/seed %d/%s/arcs=%v", name, face.Name, seed, p.Name, arcs)
						prog, err := gcode.Emit(card.Strokes, p, gcode.Options{Arcs: arcs, Title: name})
						if err != nil {
							t.Fatalf("%s: Emit: %v", label, err)
						}
						got, err := gcode.Read(prog.Lines, p)
						if err != nil {
							t.Fatalf("%s: Read: %v", label, err)
						}
						tol := 0.00075
						if arcs {
							tol += p.Tolerance + gcode.ReadArcTolerance
						}
						compare(t, label, card.Strokes, got, tol)
					}
				}
			}
		}
	}
	if cards == 0 {
		t.Fatal("no card rendered")
	}
	t.Logf("%d cards round-tripped through %d profiles", cards, len(profile.All()))
}

func compare(t *testing.T, label string, want, got []geom.Stroke, tol float64) {
	t.Helper()
	var nonEmpty []geom.Stroke
	for _, s := range want {
		if len(s) > 0 {
			nonEmpty = append(nonEmpty, s)
		}
	}
	if len(got) != len(nonEmpty) {
		t.Fatalf("%s: read %d strokes, want %d", label, len(got), len(nonEmpty))
	}
	for i, w := range nonEmpty {
		g := got[i]
		if g[0].Dist(w[0]) > 0.00075 || g[len(g)-1].Dist(w[len(w)-1]) > 0.00075 {
			t.Fatalf("%s: stroke %d ends moved", label, i)
		}
		if h := math.Max(geom.Deviation(w, g, tol), geom.Deviation(g, w, tol)); h > tol {
			t.Fatalf("%s: stroke %d deviates %g mm, more than %g", label, i, h, tol)
		}
	}
}
