// Package plan turns a card's strokes into the order the pen should draw them in, and estimates how
// long a machine takes to plot them.
//
// Optimize simplifies each polyline within a tolerance, joins strokes whose ends meet, orders the
// strokes (reversing them where that helps) to cut pen-up travel, and draws across pen-up gaps too
// small to be worth a lift. Estimate runs a GRBL-like motion planner over the result. Every
// function here is deterministic: the same input gives the same output, byte for byte, because the
// improvement work is bounded by iteration counts, never by the clock.
package plan

import (
	"fmt"
	"math"
	"strings"

	"github.com/quillpost/quillpost/internal/geom"
)

// Order says how Optimize may reorder strokes.
type Order int

const (
	// OrderOptimal joins, reorders and reverses strokes to minimise pen-up travel.
	OrderOptimal Order = iota
	// OrderNatural keeps the human writing order, letter by letter, but draws a word's late strokes
	// (i-dots, t-bars, accents) right after the word, as a writer does (Options.Word and Late say
	// which). Strokes are simplified and tiny gaps bridged, but never reversed or joined otherwise.
	OrderNatural
	// OrderText keeps the given order and directions exactly; strokes are only simplified (empty
	// ones dropped), never joined or bridged. It is the unoptimised baseline the statistics
	// compare against.
	OrderText
)

// String returns the name ParseOrder accepts.
func (o Order) String() string {
	switch o {
	case OrderOptimal:
		return "optimal"
	case OrderNatural:
		return "natural"
	case OrderText:
		return "text"
	}
	return fmt.Sprintf("Order(%d)", int(o))
}

// ParseOrder parses "optimal", "natural" or "text" (case-insensitive, surrounding space ignored).
func ParseOrder(s string) (Order, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "optimal":
		return OrderOptimal, nil
	case "natural":
		return OrderNatural, nil
	case "text":
		return OrderText, nil
	}
	return 0, fmt.Errorf("unknown stroke order %q: use optimal, natural or text", s)
}

// Defaults used when an Options field is zero.
const (
	DefaultTolerance = 0.05 // mm: below a fine pen's line width, so simplification never shows
	DefaultMinGap    = 0.2  // mm: AxiDraw's default for drawing across a gap instead of lifting
	// JoinDistance is how close two stroke ends must be for OrderOptimal to treat them as one
	// pen-down path.
	JoinDistance = 0.01 // mm
)

// The iterated local search on a page runs kicksPerStroke perturbation rounds per stroke, at
// most maxKicks: a dense A4 page gets no more than fits its time target. A card (up to
// cardStrokes strokes) gets cardRuns short runs of cardKicksPerStroke rounds each, half from the
// greedy tour and half from the writing order, with wider neighbour lists, longer or-opt chains,
// bigger kicks and sideways steps, and keeps the shortest: runs settle in different basins, and
// on the test corpus the best of four short runs beats one run four times as long
// (TestOrderingNearBestFound compares it with a search about twenty times longer).
const (
	kicksPerStroke     = 10
	maxKicks           = 8000
	cardStrokes        = 1000
	cardRuns           = 4
	cardKicksPerStroke = 8
)

// Options controls Optimize.
type Options struct {
	Order Order
	// Tolerance is the largest distance simplification may move the ink, in mm: 0 means
	// DefaultTolerance, a negative value turns simplification off.
	Tolerance float64
	// MinGap is the shortest pen-up gap worth a lift, in mm: consecutive strokes closer than this
	// are drawn as one. 0 means DefaultMinGap, a negative value turns bridging off. OrderText never
	// bridges.
	MinGap float64
	// Word and Late run parallel to the strokes (hand.Card's fields): Word[i] is stroke i's word
	// index and Late[i] marks a stroke a writer adds after the word (an i-dot, a t-bar, an
	// accent). OrderNatural follows them. OrderOptimal joins and bridges strokes only within a
	// word and draws each word's late strokes after its last other stroke, as a writer does.
	// When either is missing or of the wrong length, OrderNatural keeps the given order and
	// OrderOptimal orders freely.
	Word []int
	Late []bool
}

func (o Options) tolerance() float64 {
	switch {
	case o.Tolerance == 0:
		return DefaultTolerance
	case o.Tolerance < 0 || math.IsNaN(o.Tolerance):
		return 0
	}
	return o.Tolerance
}

func (o Options) minGap() float64 {
	switch {
	case o.MinGap == 0:
		return DefaultMinGap
	case o.MinGap < 0 || math.IsNaN(o.MinGap):
		return 0
	}
	return o.MinGap
}

// Optimize returns the strokes in the order and direction the pen should draw them, starting with
// the pen up at start (the machine's position when the card begins, in card mm).
//
// OrderOptimal joins strokes whose ends lie within JoinDistance, simplifies, orders the strokes
// to minimise pen-up travel (exactly for up to 10 strokes; otherwise nearest neighbour over a k-d
// tree, then 2-opt and or-opt over nearest-neighbour candidates, then iterated local search
// bounded by counts proportional to the stroke count) and finally bridges gaps shorter than
// MinGap. OrderNatural and OrderText are described at their constants.
//
// The result never loses ink: every output point is an input point, every input point lies within
// the tolerance of the output, and the only ink added is the bridges across gaps shorter than
// MinGap (and across joined ends closer than JoinDistance). Empty strokes are dropped. The input is
// never modified and the output shares no memory with it. A stroke with a NaN or infinite
// coordinate cannot be plotted: if there is one, Optimize returns an unmodified copy of the input
// so that the G-code bounds check reports it.
func Optimize(strokes []geom.Stroke, start geom.Point, o Options) []geom.Stroke {
	if !allFinite(strokes) || !finite(start) {
		return copyStrokes(strokes)
	}
	tol, gap := o.tolerance(), o.minGap()
	switch o.Order {
	case OrderText:
		return simplifyAll(nonEmpty(strokes), tol)
	case OrderNatural:
		return bridge(simplifyAll(strokes, tol), naturalOrder(strokes, o.Word, o.Late), gap)
	}
	var joined []geom.Stroke
	words := wordsOf(o, len(strokes))
	if words != nil {
		joined, words = joinWithinWords(strokes, words)
	} else {
		joined = join(nonEmpty(strokes), JoinDistance)
	}
	simple := simplifyAll(joined, tol)
	if len(simple) == 0 {
		return []geom.Stroke{}
	}
	t := nearestNeighbour(simple, start)
	switch n := len(simple); {
	case n <= exactMax:
		t.solveExact()
	case n <= cardStrokes:
		t = t.bestOfRuns(cardRuns, cardKicksPerStroke*n)
	default:
		t.improve(min(kicksPerStroke*n, maxKicks))
	}
	order := t.links()
	if words != nil {
		order = marksAfterWords(t, order, words)
		return bridgeWithin(simple, order, gap, words.word)
	}
	return bridge(simple, order, gap)
}

func finite(p geom.Point) bool {
	return !math.IsNaN(p.X) && !math.IsInf(p.X, 0) && !math.IsNaN(p.Y) && !math.IsInf(p.Y, 0)
}

func allFinite(strokes []geom.Stroke) bool {
	for _, s := range strokes {
		for _, p := range s {
			if !finite(p) {
				return false
			}
		}
	}
	return true
}

func nonEmpty(strokes []geom.Stroke) []geom.Stroke {
	out := make([]geom.Stroke, 0, len(strokes))
	for _, s := range strokes {
		if len(s) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// copyStrokes copies strokes into one backing array (one allocation for all points).
func copyStrokes(strokes []geom.Stroke) []geom.Stroke {
	n := 0
	for _, s := range strokes {
		n += len(s)
	}
	buf := make([]geom.Point, 0, n)
	out := make([]geom.Stroke, len(strokes))
	for i, s := range strokes {
		k := len(buf)
		buf = append(buf, s...)
		out[i] = geom.Stroke(buf[k:len(buf):len(buf)])
	}
	return out
}
