package plan

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
)

func TestParseOrder(t *testing.T) {
	for _, o := range []Order{OrderOptimal, OrderNatural, OrderText} {
		got, err := ParseOrder(" " + o.String() + " ")
		if err != nil || got != o {
			t.Errorf("ParseOrder(%q) = %v, %v", o.String(), got, err)
		}
	}
	if got, err := ParseOrder("NATURAL"); err != nil || got != OrderNatural {
		t.Errorf("ParseOrder is not case-insensitive: %v, %v", got, err)
	}
	_, err := ParseOrder("fastest")
	if err == nil || err.Error() != `unknown stroke order "fastest": use optimal, natural or text` {
		t.Errorf("ParseOrder(fastest) error = %v", err)
	}
	if OrderOptimal != 0 {
		t.Error("OrderOptimal must be the zero value (the default)")
	}
}

func synthPages() map[string]page {
	return map[string]page{
		"print-1":   synthHand(1, cardPrint),
		"print-2":   synthHand(2, cardPrint),
		"cursive-1": synthHand(1, cardCursive),
		"cursive-2": synthHand(2, cardCursive),
	}
}

// maxShrink is how much shorter simplification may make the ink. Replacing a curve's polyline by
// chords within 0.05 mm shortens it slightly (about 1% on a 1 mm radius; the synthetic strokes'
// jitter adds a little): the shape is what the tolerance guarantees, checked point by point.
const maxShrink = 0.02

func TestOptimizeKeepsInk(t *testing.T) {
	t.Parallel()
	for name, pg := range synthPages() {
		for _, order := range []Order{OrderOptimal, OrderNatural, OrderText} {
			t.Run(fmt.Sprintf("%s/%v", name, order), func(t *testing.T) {
				o := Options{Order: order, Word: pg.Word, Late: pg.Late}
				out := Optimize(pg.Strokes, geom.Point{}, o)
				maxAdded := float64(len(pg.Strokes)) * DefaultMinGap
				if order == OrderText {
					maxAdded = 0
				}
				inkCheck(t, pg.Strokes, out, DefaultTolerance, maxShrink, maxAdded)
				if len(out) > len(pg.Strokes) {
					t.Errorf("%d strokes became %d", len(pg.Strokes), len(out))
				}
			})
		}
	}
}

func TestOptimizeIsDeterministic(t *testing.T) {
	t.Parallel()
	pg := synthHand(7, cardPrint)
	want := Optimize(pg.Strokes, geom.Point{X: 3, Y: 4}, Options{})
	// Concurrent calls share nothing (run with -race) and agree byte for byte.
	var wg sync.WaitGroup
	got := make([][]geom.Stroke, 4)
	for i := range got {
		wg.Go(func() { got[i] = Optimize(pg.Strokes, geom.Point{X: 3, Y: 4}, Options{}) })
	}
	wg.Wait()
	for i, g := range got {
		if !equalStrokes(g, want) {
			t.Fatalf("run %d differs from the first run", i)
		}
	}
	if geom.HashStrokes(got[0]) != geom.HashStrokes(want) {
		t.Fatal("hashes differ")
	}
}

func TestOptimizeDoesNotTouchInput(t *testing.T) {
	pg := synthHand(3, cardCursive)
	before := copyStrokes(pg.Strokes)
	out := Optimize(pg.Strokes, geom.Point{}, Options{})
	if !equalStrokes(before, pg.Strokes) {
		t.Fatal("Optimize modified its input")
	}
	// The output shares no memory with the input: scribbling on it leaves the input intact.
	for _, s := range out {
		for j := range s {
			s[j] = geom.Point{X: -1, Y: -1}
		}
	}
	if !equalStrokes(before, pg.Strokes) {
		t.Fatal("Optimize's output aliases its input")
	}
}

// TestPenUpTravel checks the optimiser against the peer baseline and the lower bounds on the
// synthetic cards. The target (1.3 × its bound) is reported, not asserted: that bound
// counts only each stroke's nearest neighbour, so on multi-stroke letters it stays far below any
// possible order (see TestLowerBoundsAreBounds, and TestMeasureTexts for real cards).
func TestPenUpTravel(t *testing.T) {
	t.Parallel()
	for name, pg := range synthPages() {
		opt := PenUpTravel(Optimize(pg.Strokes, geom.Point{}, Options{MinGap: -1}), geom.Point{})
		greedy := PenUpTravel(Greedy(pg.Strokes, geom.Point{}), geom.Point{})
		text := PenUpTravel(pg.Strokes, geom.Point{})
		lb, tree := PenUpLowerBound(pg.Strokes), PenUpTreeBound(pg.Strokes)
		t.Logf("%s: optimal %.1f, greedy %.1f, text %.1f, bound %.1f (×%.2f), tree bound %.1f (×%.2f)",
			name, opt, greedy, text, lb, opt/lb, tree, opt/tree)
		if opt > 0.85*greedy {
			t.Errorf("%s: optimal %.1f mm is not 15%% below greedy %.1f mm", name, opt, greedy)
		}
		if opt < tree-float64(len(pg.Strokes))*JoinDistance {
			t.Errorf("%s: optimal %.1f mm beats the tree bound %.1f mm: a bound is wrong", name, opt, tree)
		}
		if opt > 1.6*tree {
			t.Errorf("%s: optimal %.1f mm is more than 1.6 × the tree bound %.1f mm", name, opt, tree)
		}
	}
}

func TestOptimizeEdgeCases(t *testing.T) {
	p := func(x, y float64) geom.Point { return geom.Point{X: x, Y: y} }
	for _, order := range []Order{OrderOptimal, OrderNatural, OrderText} {
		o := Options{Order: order}
		if got := Optimize(nil, p(0, 0), o); len(got) != 0 {
			t.Errorf("%v: nil input gave %v", order, got)
		}
		if got := Optimize([]geom.Stroke{{}, {}}, p(0, 0), o); len(got) != 0 {
			t.Errorf("%v: empty strokes gave %v", order, got)
		}
		dot := []geom.Stroke{{p(5, 5)}}
		if got := Optimize(dot, p(0, 0), o); !equalStrokes(got, dot) {
			t.Errorf("%v: a dot became %v", order, got)
		}
	}
	// A single stroke is drawn from its nearer end.
	got := Optimize([]geom.Stroke{{p(10, 0), p(0, 0)}}, p(0, 0), Options{})
	if !equalStrokes(got, []geom.Stroke{{p(0, 0), p(10, 0)}}) {
		t.Errorf("single stroke not reversed towards the start: %v", got)
	}
	// NaN cannot be plotted: the input comes back unchanged for the bounds check to reject.
	bad := []geom.Stroke{{p(1, 1), p(2, 2)}, {p(3, 3), {X: nan(), Y: 0}}}
	if got := Optimize(bad, p(0, 0), Options{}); len(got) != 2 || len(got[1]) != 2 || got[1][1].X == got[1][1].X {
		t.Errorf("NaN input not passed through: %v", got)
	}
}

func TestTextOrderKeepsOrder(t *testing.T) {
	pg := synthHand(4, cardPrint)
	got := Optimize(pg.Strokes, geom.Point{}, Options{Order: OrderText, Tolerance: -1})
	if !equalStrokes(got, pg.Strokes) {
		t.Fatal("text order without simplification changed the strokes")
	}
	simple := Optimize(pg.Strokes, geom.Point{}, Options{Order: OrderText})
	if len(simple) != len(pg.Strokes) {
		t.Fatalf("text order changed the stroke count: %d -> %d", len(pg.Strokes), len(simple))
	}
	for i := range simple {
		a, b := simple[i], pg.Strokes[i]
		if a[0] != b[0] || a[len(a)-1] != b[len(b)-1] {
			t.Fatalf("stroke %d: ends moved", i)
		}
	}
}

func TestNaturalOrder(t *testing.T) {
	p := func(x float64) geom.Stroke { return geom.Stroke{{X: x, Y: 0}, {X: x + 0.5, Y: 1}} }
	// Two words; the i-dot (2) and t-bar (5) were emitted right after their letters.
	strokes := []geom.Stroke{p(0), p(2), p(2.1), p(4), p(6), p(6.5), p(8), p(20), p(22), p(22.2), p(24)}
	word := []int{0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1}
	late := []bool{false, false, true, false, false, true, false, false, false, true, false}
	got := naturalOrder(strokes, word, late)
	var order []int32
	for _, l := range got {
		if l.rev {
			t.Fatal("natural order reversed a stroke")
		}
		order = append(order, l.stroke)
	}
	want := []int32{0, 1, 3, 4, 6, 2, 5, 7, 8, 10, 9}
	if !slices.Equal(order, want) {
		t.Fatalf("natural order %v, want %v", order, want)
	}
	// Through Optimize, with nothing bridged or simplified, the strokes come out in that order.
	out := Optimize(strokes, geom.Point{}, Options{Order: OrderNatural, Word: word, Late: late, MinGap: -1, Tolerance: -1})
	for i, k := range want {
		if !slices.Equal(out[i], strokes[k]) {
			t.Fatalf("output %d is not stroke %d", i, k)
		}
	}
	// Without word data the given order stays.
	if got := naturalOrder(strokes, nil, late); len(got) != len(strokes) || got[2].stroke != 2 {
		t.Fatal("natural order without word data moved strokes")
	}
}

func TestNaturalOrderSynthetic(t *testing.T) {
	pg := synthHand(5, cardCursive)
	got := naturalOrder(pg.Strokes, pg.Word, pg.Late)
	seenLate := map[int]bool{} // words whose late strokes began
	lastWord := -1
	for _, l := range got {
		w := pg.Word[l.stroke]
		if pg.Late[l.stroke] {
			seenLate[w] = true
			continue
		}
		if seenLate[w] {
			t.Fatalf("word %d: a body stroke after its late strokes", w)
		}
		if w < lastWord {
			t.Fatalf("word %d drawn after word %d", w, lastWord)
		}
		lastWord = w
	}
}

func TestJoin(t *testing.T) {
	p := func(x, y float64) geom.Point { return geom.Point{X: x, Y: y} }
	strokes := []geom.Stroke{
		{p(0, 0), p(1, 0)},
		{p(2, 0), p(1, 0.005)},      // meets stroke 0's end with its end: reversed
		{p(-1, 0), p(0, 0)},         // meets stroke 0's start: goes in front
		{p(5, 5), p(6, 5), p(5, 5)}, // closed loop: never joins itself
		{p(9, 9), p(9, 10)},
	}
	got := join(strokes, JoinDistance)
	want := []geom.Stroke{
		{p(-1, 0), p(0, 0), p(1, 0), p(1, 0.005), p(2, 0)},
		{p(5, 5), p(6, 5), p(5, 5)},
		{p(9, 9), p(9, 10)},
	}
	if !equalStrokes(got, want) {
		t.Fatalf("join = %v\nwant %v", got, want)
	}
}

func TestBridge(t *testing.T) {
	p := func(x float64) geom.Point { return geom.Point{X: x} }
	strokes := []geom.Stroke{{p(0), p(1)}, {p(1.1), p(2)}, {p(2), p(3)}, {p(3.5), p(4)}, {p(4.05)}}
	got := bridge(strokes, identity(strokes), 0.2)
	want := []geom.Stroke{{p(0), p(1), p(1.1), p(2), p(3)}, {p(3.5), p(4), p(4.05)}}
	if !equalStrokes(got, want) {
		t.Fatalf("bridge = %v, want %v", got, want)
	}
	rev := bridge(strokes[:2], []link{{0, true}, {1, false}}, 0.2)
	if !equalStrokes(rev, []geom.Stroke{{p(1), p(0)}, {p(1.1), p(2)}}) {
		t.Fatalf("bridge with reversal = %v", rev)
	}
	if got := bridge(strokes, identity(strokes), 0); len(got) != 5 {
		t.Fatalf("gap 0 bridged: %v", got)
	}
}

func TestGreedy(t *testing.T) {
	p := func(x, y float64) geom.Point { return geom.Point{X: x, Y: y} }
	strokes := []geom.Stroke{{p(10, 0), p(11, 0)}, {p(3, 0), p(1, 0)}, {p(5, 0), p(4, 0)}}
	got := Greedy(strokes, p(0, 0))
	want := []geom.Stroke{{p(1, 0), p(3, 0)}, {p(4, 0), p(5, 0)}, {p(10, 0), p(11, 0)}}
	if !equalStrokes(got, want) {
		t.Fatalf("Greedy = %v, want %v", got, want)
	}
	pg := synthHand(2, cardPrint)
	inkCheck(t, pg.Strokes, Greedy(pg.Strokes, geom.Point{}), 0, 0, 0)
}

func TestImproveKeepsTourValid(t *testing.T) {
	pg := synthHand(6, cardPrint)
	s := simplifyAll(join(nonEmpty(pg.Strokes), JoinDistance), DefaultTolerance)
	tr := nearestNeighbour(s, geom.Point{X: 50, Y: 50})
	validTour(t, tr)
	before := tr.cost()
	tr.improve(2000)
	validTour(t, tr)
	if after := tr.cost(); after >= before {
		t.Fatalf("improve did not shorten the tour: %.2f -> %.2f", before, after)
	}
	// An undone perturbation restores the tour exactly.
	im := &improver{t: tr, inQ: make([]bool, len(tr.seq)), workBudget: 1 << 40}
	seq := slices.Clone(tr.seq)
	im.apply(move{kind: moveOrOpt, l: 11, r: 20, g: 40, rev: true})
	im.apply(move{kind: move2Opt, l: 5, r: 30})
	im.apply(move{kind: moveOrOpt, l: 41, r: 44, g: 2, rev: false})
	validTour(t, tr)
	im.undo()
	if !slices.Equal(seq, tr.seq) {
		t.Fatal("undo did not restore the tour")
	}
	validTour(t, tr)
}

// TestMoveGains checks every move's predicted gain against the tour's actual change in length.
func TestMoveGains(t *testing.T) {
	pg := synthHand(8, cardCursive)
	s := simplifyAll(nonEmpty(pg.Strokes), DefaultTolerance)
	tr := nearestNeighbour(s, geom.Point{})
	m := len(tr.seq)
	r := splitmix(42)
	for range 2000 {
		var mv move
		l := 2*r.intN((m-1)/2) + 1
		if r.intN(2) == 0 {
			rr := l + 2*r.intN((m-l)/2+1) - 1
			if rr <= l {
				continue
			}
			mv = move{kind: move2Opt, l: l, r: rr}
			mv.gain = tr.after(l-1) + tr.after(rr) - tr.d(tr.seq[l-1], tr.seq[rr]) - tr.dTo(tr.seq[l], rr+1)
		} else {
			rr := l + 2*r.intN(maxChain) + 1
			g := 2 * r.intN((m+1)/2)
			if rr >= m || (g >= l-1 && g <= rr) {
				continue
			}
			mv = move{kind: moveOrOpt, l: l, r: rr, g: g, rev: r.intN(2) == 1}
			mv.gain = tr.orOptGain(l, rr, g, mv.rev)
		}
		before := tr.cost()
		im := &improver{t: tr, inQ: make([]bool, m), workBudget: 1 << 40}
		im.apply(mv)
		if d := before - tr.cost(); d-mv.gain > 1e-6 || mv.gain-d > 1e-6 {
			t.Fatalf("%+v: predicted gain %.6f, actual %.6f", mv, mv.gain, d)
		}
		validTour(t, tr)
	}
}

func nan() float64 { var z float64; return z / z }
