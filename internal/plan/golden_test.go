package plan

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden pins Optimize's output on fixed synthetic cards: its hash (1 µm), counts, lengths
// and estimated plot time per order. Any change to the algorithm shows up here; after checking
// that it is an improvement, rewrite with go test ./internal/plan -run Golden -update.
func TestGolden(t *testing.T) {
	var b strings.Builder
	fmt.Fprintln(&b, "# page order: strokes points pen_down_mm pen_up_mm seconds hash")
	for _, c := range []struct {
		name string
		pg   page
	}{
		{"print-11", synthHand(11, cardPrint)},
		{"cursive-12", synthHand(12, cardCursive)},
	} {
		for _, order := range []Order{OrderOptimal, OrderNatural, OrderText} {
			start := geom.Point{X: 2, Y: 3}
			out := Optimize(c.pg.Strokes, start, Options{Order: order, Word: c.pg.Word, Late: c.pg.Late})
			st := Measure(out, start)
			fmt.Fprintf(&b, "%s %s: %d %d %.3f %.3f %.3f %s\n", c.name, order, st.Strokes, st.Points,
				st.PenDownMM, st.PenUpMM, Estimate(out, start, grblServo), geom.HashStrokes(out)[:16])
		}
	}
	path := filepath.Join("testdata", "optimize.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("output differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
