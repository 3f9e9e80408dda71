package hand

import (
	"cmp"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
)

// The inter-line clearance check: does the ink of one line cross, or come within a pen's width
// of, the ink of another? It measures the written strokes as they are, segment against segment,
// and shares no code with the layout that spaces the lines (see separate.go), so that a fault in
// the layout's own reckoning cannot hide here.

// inkReport counts, over one card, the pairs of strokes on different lines whose centre lines
// cross, and those that do not cross but come closer than the pen's width (their ink touches).
type inkReport struct {
	crossings, touches int
	closest            float64 // smallest distance between the ink of two lines, mm
}

// seg is one segment of a written stroke with its box.
type seg struct {
	p, q                   geom.Point
	minX, maxX, minY, maxY float64
	stroke                 int
}

func lineClearance(c *Card, pen float64) inkReport {
	rep := inkReport{closest: math.Inf(1)}
	nl := 0
	for _, l := range c.Line {
		nl = max(nl, l+1)
	}
	segs := make([][]seg, nl)
	count := make([]int, nl)
	for si, s := range c.Strokes {
		count[c.Line[si]] += len(s)
	}
	for l := range segs {
		segs[l] = make([]seg, 0, count[l])
	}
	top := make([]float64, nl)
	bot := make([]float64, nl)
	for i := range top {
		top[i], bot[i] = math.Inf(1), math.Inf(-1)
	}
	for si, s := range c.Strokes {
		l := c.Line[si]
		for k := 1; k < len(s); k++ {
			p, q := s[k-1], s[k]
			sg := seg{p: p, q: q, minX: math.Min(p.X, q.X), maxX: math.Max(p.X, q.X),
				minY: math.Min(p.Y, q.Y), maxY: math.Max(p.Y, q.Y), stroke: si}
			segs[l] = append(segs[l], sg)
			top[l] = math.Min(top[l], sg.minY)
			bot[l] = math.Max(bot[l], sg.maxY)
		}
	}
	type pair struct{ a, b int }
	seen := map[pair]bool{}
	var ca, cb []seg
	for i := range nl {
		for j := i + 1; j < nl; j++ {
			if len(segs[i]) == 0 || len(segs[j]) == 0 || top[j] > bot[i]+pen || top[i] > bot[j]+pen {
				continue
			}
			// Only the parts of each line that reach into the other's band, mm by mm, can meet.
			ca = near(ca[:0], segs[i], segs[j], pen, false)
			cb = near(cb[:0], segs[j], segs[i], pen, true)
			slices.SortFunc(cb, func(x, y seg) int { return cmp.Compare(x.minX, y.minX) })
			wide := 0.0
			for _, b := range cb {
				wide = math.Max(wide, b.maxX-b.minX)
			}
			for _, a := range ca {
				from := sort.Search(len(cb), func(k int) bool { return cb[k].minX >= a.minX-pen-wide })
				for _, b := range cb[from:] {
					if b.minX > a.maxX+pen {
						break
					}
					if b.maxX < a.minX-pen || b.minY > a.maxY+pen || b.maxY < a.minY-pen {
						continue
					}
					d := segDist(a.p, a.q, b.p, b.q)
					rep.closest = math.Min(rep.closest, d)
					if d >= pen {
						continue
					}
					k := pair{a.stroke, b.stroke}
					crossed := d == 0
					if was, ok := seen[k]; ok && (was || !crossed) {
						continue
					} else if ok {
						rep.touches-- // a touch that turns out to cross counts as a crossing
					}
					seen[k] = crossed
					if crossed {
						rep.crossings++
					} else {
						rep.touches++
					}
				}
			}
		}
	}
	return rep
}

// near appends the segments of line a that come within pen (vertically) of line b's ink in
// the same millimetre column or its neighbours: b's top edge when a is the line below, its
// bottom edge otherwise.
func near(dst, a, b []seg, pen float64, below bool) []seg {
	x0 := math.Inf(1)
	x1 := math.Inf(-1)
	for _, s := range b {
		x0, x1 = math.Min(x0, s.minX), math.Max(x1, s.maxX)
	}
	n := int(x1-x0) + 3
	edge := make([]float64, n)
	for k := range edge {
		edge[k] = math.Inf(1) // no ink of b in this column: nothing of a is near it
		if below {
			edge[k] = math.Inf(-1)
		}
	}
	for _, s := range b {
		for k := int(s.minX - x0); k <= int(s.maxX-x0) && k < n; k++ {
			if below {
				edge[k] = math.Max(edge[k], s.maxY)
			} else {
				edge[k] = math.Min(edge[k], s.minY)
			}
		}
	}
	for _, s := range a {
		k0, k1 := int(math.Floor(s.minX-pen-x0)), int(math.Floor(s.maxX+pen-x0))
		for k := max(k0, 0); k <= k1 && k < n; k++ {
			if (below && s.minY <= edge[k]+pen) || (!below && s.maxY >= edge[k]-pen) {
				dst = append(dst, s)
				break
			}
		}
	}
	return dst
}

// segDist is the distance between segments ab and cd, 0 when they cross or touch.
func segDist(a, b, c, d geom.Point) float64 {
	if segsCross(a, b, c, d) {
		return 0
	}
	return math.Min(math.Min(ptSeg(a, c, d), ptSeg(b, c, d)), math.Min(ptSeg(c, a, b), ptSeg(d, a, b)))
}

func cross(o, a, b geom.Point) float64 { return (a.X-o.X)*(b.Y-o.Y) - (a.Y-o.Y)*(b.X-o.X) }

func segsCross(a, b, c, d geom.Point) bool {
	d1, d2 := cross(c, d, a), cross(c, d, b)
	d3, d4 := cross(a, b, c), cross(a, b, d)
	return (d1 > 0) != (d2 > 0) && (d3 > 0) != (d4 > 0) && d1 != 0 && d2 != 0 && d3 != 0 && d4 != 0
}

func ptSeg(p, a, b geom.Point) float64 {
	dx, dy := b.X-a.X, b.Y-a.Y
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, ((p.X-a.X)*dx+(p.Y-a.Y)*dy)/l2))
	}
	return math.Hypot(p.X-a.X-t*dx, p.Y-a.Y-t*dy)
}

// corpus reads the card texts in testdata/cards: German, English and French, short and long,
// with long words, digits, capitals, descenders and the texts that once collided.
func corpus(t testing.TB) map[string]string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "cards", "*.txt"))
	if err != nil || len(names) < 10 {
		t.Fatalf("card corpus: %d texts (%v)", len(names), err)
	}
	texts := map[string]string{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		texts[strings.TrimSuffix(filepath.Base(n), ".txt")] = string(b)
	}
	return texts
}

// penWidth is the pen the clearance check assumes: ink closer than this touches.
const penWidth = 0.5

func TestLinesNeverCollide(t *testing.T) {
	texts := corpus(t)
	names := make([]string, 0, len(texts))
	for n := range texts {
		names = append(names, n)
	}
	sort.Strings(names)
	a6 := mustFormat(t, "a6")
	var renders, crossings, touches, cramped, bad int
	for _, face := range font.Faces() {
		fn := face.Name
		for _, h := range Hands() {
			for _, name := range names {
				for seed := uint64(1); seed <= 10; seed++ {
					c, err := Render(Request{Text: texts[name], Face: face, Format: a6, Hand: h, Seed: seed})
					if err != nil {
						t.Errorf("%s %s %s seed %d: %v", fn, h.Name, name, seed, err)
						continue
					}
					renders++
					rep := lineClearance(c, penWidth)
					crossings += rep.crossings
					touches += rep.touches
					if c.Cramped {
						cramped++
					}
					if rep.crossings > 0 || (rep.touches > 0 && !c.Cramped) {
						bad++
						if bad <= 12 {
							t.Errorf("%s %s %s seed %d: %d crossings, %d touches between lines (closest %.2f mm, x-height %.2f)",
								fn, h.Name, name, seed, rep.crossings, rep.touches, rep.closest, c.XHeight)
						}
					}
				}
			}
		}
	}
	t.Logf("%d renders: %d with ink of two lines within %.1f mm; %d crossings, %d touches; %d cramped", renders, bad, penWidth, crossings, touches, cramped)
}

// TestClearanceCheckCanFail shows the check catching what it is for: two lines crossing, two
// lines touching, two lines clear.
func TestClearanceCheckCanFail(t *testing.T) {
	mk := func(dy float64) *Card {
		return &Card{
			Strokes: []geom.Stroke{
				{{X: 10, Y: 10}, {X: 12, Y: 14}, {X: 14, Y: 10}}, // a descender-like V on line 0
				{{X: 11, Y: 14 + dy}, {X: 13, Y: 14 + dy}},       // a bar on line 1
			},
			Line: []int{0, 1},
		}
	}
	for _, c := range []struct {
		dy                 float64
		crossings, touches int
	}{{-1, 1, 0}, {0.3, 0, 1}, {0.6, 0, 0}} {
		rep := lineClearance(mk(c.dy), penWidth)
		if rep.crossings != c.crossings || rep.touches != c.touches {
			t.Errorf("bar %.1f mm below the V: %d crossings, %d touches; want %d, %d", c.dy, rep.crossings, rep.touches, c.crossings, c.touches)
		}
	}
}

func BenchmarkLineClearance(b *testing.B) {
	c, err := Render(Request{Text: benchText, Face: realFace(b, "script"), Format: mustFormat(b, "a5"), Hand: mustHand(b, "hurried"), Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		lineClearance(c, penWidth)
	}
}

// TestFullCardsNeverCross: texts from short to too long, on the faces with the tallest
// ascenders and descenders. Every card either fits with its lines clear of each other (or, if
// it had to be cramped, at least not crossing) or is refused with a FitError that says how
// many lines fit; never written with lines through each other.
func TestFullCardsNeverCross(t *testing.T) {
	sentence := "Gregor, Jürgen und Philipp fügen hinzu: Flitterwochen in Portugal (12/03) gab es nie! "
	a6 := mustFormat(t, "a6")
	fits, cramped, refused := 0, 0, 0
	for _, fn := range []string{"script", "allure"} {
		face := realFace(t, fn)
		for _, h := range Hands() {
			for n := 1; n <= 9; n++ {
				for seed := uint64(1); seed <= 3; seed++ {
					c, err := Render(Request{Text: strings.Repeat(sentence, n), Face: face, Format: a6, Hand: h, Seed: seed})
					var fe *FitError
					if errors.As(err, &fe) {
						refused++
						if fe.LinesNeeded <= fe.LinesAvailable || fe.LinesAvailable < 8 {
							t.Errorf("%s %s %d sentences: %v (%+v)", fn, h.Name, n, err, fe)
						}
						continue
					}
					if err != nil {
						t.Fatal(err)
					}
					fits++
					if c.Cramped {
						cramped++
					}
					rep := lineClearance(c, penWidth)
					if rep.crossings > 0 || (rep.touches > 0 && !c.Cramped) {
						t.Errorf("%s %s %d sentences seed %d: %d crossings, %d touches (cramped %v)", fn, h.Name, n, seed, rep.crossings, rep.touches, c.Cramped)
					}
				}
			}
		}
	}
	if refused == 0 || cramped == 0 || fits < refused {
		t.Errorf("%d cards fitted, %d refused: the texts should span roomy, cramped and too long", fits, refused)
	}
	t.Logf("%d fitted (%d cramped), %d refused", fits, cramped, refused)
}
