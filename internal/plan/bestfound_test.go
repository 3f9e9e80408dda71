package plan

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/hand"
)

// corpusCard is one card of the ordering corpus: testdata/texts written in every face.
type corpusCard struct {
	name    string
	strokes []geom.Stroke
	word    []int
	late    []bool
}

func orderingCorpus(t testing.TB, hands ...string) []corpusCard {
	t.Helper()
	files, _ := filepath.Glob("../../testdata/texts/*.txt")
	if len(files) == 0 {
		t.Skip("no texts in testdata/texts")
	}
	format, err := hand.LookupFormat("a6")
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusCard
	for _, hn := range hands {
		h, err := hand.LookupHand(hn)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, face := range font.Faces() {
				c, err := hand.Render(hand.Request{Text: string(text), Face: face, Format: format, Hand: h, Seed: 1})
				if err != nil {
					continue // a face without a glyph of this text
				}
				name := fmt.Sprintf("%s/%s/%s", strings.TrimSuffix(filepath.Base(f), ".txt"), face.Name, hn)
				out = append(out, corpusCard{name, c.Strokes, c.Word, c.Late})
			}
		}
	}
	slices.SortFunc(out, func(a, b corpusCard) int { return strings.Compare(a.name, b.name) })
	return out
}

// bestFound is the slow reference search: 24 runs of iterated local search, half from the
// greedy tour and half from the writing order, each with its own generator (none of Optimize's
// seeds), wider neighbour lists (12), longer or-opt chains (5), 40 kicks per stroke moving runs
// of up to 32 or 96 strokes, sideways steps up to 0.3 % and no work limit. It returns the shortest pen-up travel any run found for
// the strokes Optimize orders (joined and simplified), at about 20 times Optimize's work.
func bestFound(strokes []geom.Stroke, start geom.Point) float64 {
	simple := simplifyAll(join(nonEmpty(strokes), JoinDistance), DefaultTolerance)
	best := math.Inf(1)
	for r := range 24 {
		t := nearestNeighbour(simple, start)
		if r%2 == 1 {
			t.inGivenOrder()
		}
		t.search(searchConfig{
			neighbours: 12, chain: 5, kicks: 40 * len(simple), kickRun: 32 + 64*(r/2%2), slack: 0.003,
			seed: uint64(r+1) * 0x2545f4914f6cdd1d, workBudget: math.MaxInt,
		})
		best = min(best, t.penUp())
	}
	return best
}

// bestFoundFile holds bestFound's result per corpus card with the card's stroke hash: the
// reference search is too slow to run on every test, so -update runs it and stores the results,
// and a card whose strokes changed since (a new font or hand) is searched again on the spot.
const bestFoundFile = "testdata/bestfound.golden"

func loadBestFound(t *testing.T) map[string]bestFoundEntry {
	t.Helper()
	out := map[string]bestFoundEntry{}
	data, err := os.ReadFile(bestFoundFile)
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(data), "\n") {
		var name, hash string
		var mm float64
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if _, err := fmt.Sscanf(line, "%s %s %g", &name, &hash, &mm); err != nil {
			t.Fatalf("%s: %q: %v", bestFoundFile, line, err)
		}
		out[name] = bestFoundEntry{hash, mm}
	}
	return out
}

type bestFoundEntry struct {
	hash string
	mm   float64
}

// TestOrderingNearBestFound compares Optimize's pen-up travel on every card of the corpus
// (testdata/texts in every face, in the default casual hand) with the best the reference search found.
// Optimize must come within 2 % on every card and 1 % on average.
func TestOrderingNearBestFound(t *testing.T) {
	if raceEnabled {
		t.Skip("optimises the whole corpus: too slow under the race detector")
	}
	t.Parallel()
	start := geom.Point{}
	stored := loadBestFound(t)
	var sum, worst float64
	var worstName string
	var golden strings.Builder
	fmt.Fprintln(&golden, "# card stroke-hash best-found-pen-up-mm (go test ./internal/plan -run BestFound -update)")
	cards := orderingCorpus(t, "casual")
	stale := 0
	for _, c := range cards {
		hash := geom.HashStrokes(c.strokes)
		e, ok := stored[c.name]
		if *update || !ok || e.hash != hash {
			if !*update {
				stale++
			}
			e = bestFoundEntry{hash, bestFound(c.strokes, start)}
		}
		fmt.Fprintf(&golden, "%s %s %.4f\n", c.name, hash, e.mm)
		ours := PenUpTravel(Optimize(c.strokes, start, Options{MinGap: -1}), start)
		ratio := ours / e.mm
		sum += ratio
		if ratio > worst {
			worst, worstName = ratio, c.name
		}
		t.Logf("%-32s %4d strokes: ours %7.1f mm, best found %7.1f mm, ×%.4f", c.name, len(c.strokes), ours, e.mm, ratio)
		if ratio > 1.02 {
			t.Errorf("%s: pen-up travel %.1f mm is %.1f %% above the best found %.1f mm", c.name, ours, 100*(ratio-1), e.mm)
		}
	}
	mean := sum / float64(len(cards))
	t.Logf("%d cards: mean ×%.4f, worst ×%.4f (%s)", len(cards), mean, worst, worstName)
	if mean > 1.01 {
		t.Errorf("pen-up travel is on average %.1f %% above the best found", 100*(mean-1))
	}
	if *update {
		if err := os.WriteFile(bestFoundFile, []byte(golden.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if stale > 0 {
		t.Logf("%d cards were searched again because their strokes changed; run -update to store them", stale)
	}
}
