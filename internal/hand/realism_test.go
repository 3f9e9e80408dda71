package hand

import (
	"fmt"
	"math"
	"sort"
	"testing"
	"unicode"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
)

// instance is one written glyph, its strokes resampled and moved so that it starts at 0,0.
type instance []geom.Point

// resample spaces n points evenly by arc length along s.
func resample(s geom.Stroke, n int) []geom.Point {
	out := make([]geom.Point, 0, n)
	total := s.Length()
	if total == 0 || len(s) < 2 {
		for range n {
			out = append(out, s[0])
		}
		return out
	}
	step := total / float64(n-1)
	seg, acc := 1, 0.0 // acc: arc length at s[seg-1]
	for i := range n {
		d := float64(i) * step
		for seg < len(s)-1 && acc+s[seg-1].Dist(s[seg]) < d {
			acc += s[seg-1].Dist(s[seg])
			seg++
		}
		l := s[seg-1].Dist(s[seg])
		t := 0.0
		if l > 0 {
			t = math.Min(1, (d-acc)/l)
		}
		out = append(out, s[seg-1].Add(s[seg].Sub(s[seg-1]).Scale(t)))
	}
	return out
}

func makeInstance(strokes []geom.Stroke) instance {
	var pts instance
	for _, s := range strokes {
		pts = append(pts, resample(s, 48)...)
	}
	o := pts[0]
	for i := range pts {
		pts[i] = pts[i].Sub(o)
	}
	return pts
}

// hausdorff is the largest distance from a point of one instance to the other instance.
func hausdorff(a, b instance) float64 {
	directed := func(a, b instance) float64 {
		worst := 0.0
		for _, p := range a {
			best := math.Inf(1)
			for _, q := range b {
				dx, dy := p.X-q.X, p.Y-q.Y
				if d := dx*dx + dy*dy; d < best {
					best = d
				}
			}
			worst = math.Max(worst, best)
		}
		return math.Sqrt(worst)
	}
	return math.Max(directed(a, b), directed(b, a))
}

type realism struct {
	pairs, stamped int
	pointwise      int       // pairs stamped by the looser point-by-point reading
	closest        []float64 // per pair, in x-heights
}

// pointwise is the largest distance between corresponding resampled points.
func pointwise(a, b instance) float64 {
	worst := 0.0
	for i := range a {
		worst = math.Max(worst, a[i].Dist(b[i]))
	}
	return worst
}

// measureRealism writes text and compares every pair of instances of each letter.
func measureRealism(t *testing.T, req Request) realism {
	r, err := prepare(req)
	if err != nil {
		t.Fatal(err)
	}
	byRune := map[rune][]instance{}
	r.trace = func(c rune, strokes []geom.Stroke) {
		byRune[c] = append(byRune[c], makeInstance(strokes))
	}
	card, err := r.render()
	if err != nil {
		t.Fatal(err)
	}
	var m realism
	for c, insts := range byRune {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			continue // a full stop is a dot in every hand
		}
		for i := range insts {
			for j := i + 1; j < len(insts); j++ {
				if len(insts[i]) != len(insts[j]) {
					t.Fatalf("two instances of one glyph have different stroke counts")
				}
				d := hausdorff(insts[i], insts[j]) / card.XHeight
				m.pairs++
				m.closest = append(m.closest, d)
				if d < 0.01 {
					m.stamped++
					t.Logf("stamped %q: %.4f", c, d)
				}
				if pointwise(insts[i], insts[j])/card.XHeight < 0.01 {
					m.pointwise++
				}
			}
		}
	}
	return m
}

// TestRealism: no two instances of a letter may be "stamped" copies (every point of one within
// 1 % of the x-height of the other once aligned on their starting points), the tell-tale of
// robot writing. "Within" is read strictly: the distance from each point to the nearest point
// of the other instance (Hausdorff, over 48 points per stroke spaced by arc length), which
// also catches copies whose points merely slide along the stroke; the point-by-point reading
// (i-th point against i-th point) is counted as well. Faces × hands × the three test texts.
func TestRealism(t *testing.T) {
	faces := font.Faces()
	faces = append(faces, miniFace(t))
	texts := []string{"de-danke.txt", "en-thanks.txt", "de-geburtstag.txt"}
	total, stamped, pw := 0, 0, 0
	var all []float64
	for _, f := range faces {
		for _, h := range Hands() {
			for _, name := range texts {
				text := testText(t, name)
				if f.Name == "mini" {
					text = "Dank dir, toll. Tee! Das Tal, die kanne, Tee da draussen, alle anderen sollen sehen."
				}
				m := measureRealism(t, Request{Text: text, Face: f, Format: mustFormat(t, "a6"), Hand: h, Seed: 11})
				total += m.pairs
				stamped += m.stamped
				pw += m.pointwise
				all = append(all, m.closest...)
				if m.stamped > 0 {
					t.Errorf("%s, %s, %s: %d of %d pairs stamped", f.Name, h.Name, name, m.stamped, m.pairs)
				}
				if f.Name == "mini" {
					break
				}
			}
		}
	}
	sort.Float64s(all)
	q := func(p float64) string { return fmt.Sprintf("%.3f", all[int(p*float64(len(all)-1))]) }
	t.Logf("realism: %d of %d same-letter pairs stamped (%.2f %%; point by point: %d); pair distance in x-heights: min %s, 1%% %s, median %s",
		stamped, total, 100*float64(stamped)/float64(max(total, 1)), pw, q(0), q(0.01), q(0.5))
	if pw > 0 {
		t.Errorf("%d pairs stamped point by point", pw)
	}
}

func TestVariantsNeverRepeatInAWord(t *testing.T) {
	r := &renderer{h: mustHand(t, "neat")}
	for seed := range 50 {
		s := newStream(uint64(seed))
		r.used = r.used[:0]
		seen := map[int]bool{}
		for range r.h.Variants {
			v := r.pickVariant('e', &s)
			if seen[v] || v < 0 || v >= r.h.Variants {
				t.Fatalf("seed %d: variant %d twice or out of range", seed, v)
			}
			seen[v] = true
			r.pickVariant('a', &s) // other letters do not disturb e's set
		}
		// The set is used up: the next pick starts a fresh round.
		if v := r.pickVariant('e', &s); v < 0 || v >= r.h.Variants {
			t.Fatalf("variant %d out of range", v)
		}
	}
}

func TestBump(t *testing.T) {
	for i := 0; i <= 1000; i++ {
		x := float64(i) / 1000
		if d := math.Abs(bump(x) - math.Sin(math.Pi*x)); d > 0.002 {
			t.Fatalf("bump(%g) = %g, sin(πx) = %g", x, bump(x), math.Sin(math.Pi*x))
		}
	}
	if bump(0.5) != 1 || bump(-1) != 0 || bump(2) != 0 {
		t.Error("bump's peak or outside values are off")
	}
}
