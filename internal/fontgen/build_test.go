package fontgen

import (
	"bytes"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func buildMini(t *testing.T) (*font.File, *Report) {
	t.Helper()
	data, err := os.ReadFile("testdata/mini.svg")
	if err != nil {
		t.Fatal(err)
	}
	svg, err := ParseSVGFont(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{Name: "mini", Title: "Mini Test", SVG: "mini.svg", Cursive: true, License: "OFL-1.1"}
	f, rep, err := Build(spec, svg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f, rep
}

// TestGoldenMini converts the small fixture font and compares the JSON with the golden file
// (go test ./internal/fontgen -run Golden -update rewrites it).
func TestGoldenMini(t *testing.T) {
	f, _ := buildMini(t)
	got, err := Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := font.Parse(got); err != nil {
		t.Fatalf("generated face does not parse: %v", err)
	}
	const golden = "testdata/mini.golden.json"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("output differs from %s at line %d:\n got: %s\nwant: %s", golden, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("output differs from %s in length (%d vs %d lines)", golden, len(gl), len(wl))
	}
}

func TestBuildMini(t *testing.T) {
	f, rep := buildMini(t)
	face, err := font.FromFile(f)
	if err != nil {
		t.Fatal(err)
	}
	// Measured, not declared: median top of x u v w z is 400, E and H reach 700.
	if rep.XHeight != 400 || rep.CapHeight != 700 || rep.DeclaredXHeight != 300 || face.XHeight != 400 || face.CapHeight != 700 {
		t.Errorf("x-height %v (declared %v), cap height %v", rep.XHeight, rep.DeclaredXHeight, rep.CapHeight)
	}
	glyph := func(r rune) *font.Glyph {
		t.Helper()
		g, ok := face.Glyph(r)
		if !ok {
			t.Fatalf("no %q", r)
		}
		return g
	}
	// y is flipped: the x's top is at -400, its baseline points at 0.
	x := glyph('x')
	if bb := pathsBounds(x.Strokes); bb.Min.Y != -400 || bb.Max.Y != 0 {
		t.Errorf("x bounds %v", bb)
	}
	if slices.Contains(x.Late, true) {
		t.Error("x's cross stroke is marked late")
	}
	// The i's dot comes first in the source; it becomes the last, late stroke.
	i := glyph('i')
	if len(i.Strokes) != 2 || !slices.Equal(i.Late, []bool{false, true}) || i.Strokes[1].Start != (geom.Point{X: 100, Y: -550}) {
		t.Errorf("i = %+v", i)
	}
	if !i.Joins || i.LiftAfter || i.Entry != (geom.Point{X: 0, Y: -200}) || i.Exit != (geom.Point{X: 200, Y: -200}) {
		t.Errorf("i joins %v lift %v entry %v exit %v", i.Joins, i.LiftAfter, i.Entry, i.Exit)
	}
	if tg := glyph('t'); !slices.Equal(tg.Late, []bool{false, true}) {
		t.Errorf("t late = %v, want the bar late", tg.Late)
	}
	// The a is drawn from its exit in the source; fontgen turns it round.
	a := glyph('a')
	if a.Entry != (geom.Point{X: 280, Y: -280}) || a.Exit != (geom.Point{X: 400, Y: -200}) || a.Strokes[0].Start != a.Entry {
		t.Errorf("a entry %v exit %v start %v", a.Entry, a.Exit, a.Strokes[0].Start)
	}
	if a.Strokes[0].Segs[len(a.Strokes[0].Segs)-1].Kind != geom.Cubic {
		t.Error("reversing the a lost its curve")
	}
	// v ends high on the right: the writer lifts.
	if v := glyph('v'); !v.Joins || !v.LiftAfter {
		t.Errorf("v joins %v lift %v", v.Joins, v.LiftAfter)
	}
	// ä's dots are the strokes the a lacks.
	if ae := glyph('ä'); !slices.Equal(ae.Late, []bool{false, true, true}) || ae.Composed {
		t.Errorf("ä late %v composed %v", ae.Late, ae.Composed)
	}
	// The o's two halves touch: one stroke, curves kept.
	o := glyph('o')
	if len(o.Strokes) != 1 || len(o.Strokes[0].Segs) != 4 || o.Strokes[0].Segs[2].Kind != geom.Quad {
		t.Errorf("o = %+v", o.Strokes)
	}
	if rep.Merged < 1 {
		t.Errorf("merged %d strokes", rep.Merged)
	}
	// é is composed from e and ´: the accent is late and sits above the e.
	ee := glyph('é')
	if !ee.Composed || !slices.Equal(ee.Late, []bool{false, true}) {
		t.Fatalf("é = %+v", ee)
	}
	e := glyph('e')
	if pathsBounds(ee.Strokes[1:]).Max.Y >= pathsBounds(e.Strokes).Min.Y {
		t.Error("é's accent is not above the e")
	}
	// Quotes and the ellipsis are composed from the comma and period.
	comma := pathsBounds(glyph(',').Strokes)
	for _, c := range []struct {
		r       rune
		strokes int
	}{{'‚', 1}, {'„', 2}, {'’', 1}, {'‘', 1}, {'…', 3}} {
		g := glyph(c.r)
		if !g.Composed || len(g.Strokes) != c.strokes {
			t.Errorf("%q composed %v with %d strokes, want %d", c.r, g.Composed, len(g.Strokes), c.strokes)
		}
	}
	if bb := pathsBounds(glyph('’').Strokes); bb.Min.Y != -700 || bb.H() != comma.H() {
		t.Errorf("’ %v is not the comma %v raised to the quotes' top", bb, comma)
	}
	if bb := pathsBounds(glyph('‘').Strokes); bb.Min.Y != -700 || bb.W() != comma.W() {
		t.Errorf("‘ %v is not the turned comma %v", bb, comma)
	}
	// „ takes the spacing of ”'s two marks.
	if lq := glyph('„'); lq.Strokes[1].Start.X-lq.Strokes[0].Start.X != 80 {
		t.Errorf("„ marks %v apart, want 80", lq.Strokes[1].Start.X-lq.Strokes[0].Start.X)
	}
	if k := face.Kern('v', 'a'); k != -30 {
		t.Errorf("Kern(v, a) = %v, want -30", k)
	}
	if k := face.Kern('x', 'o'); k != 20 {
		t.Errorf("Kern(x, o) = %v, want 20", k)
	}
	if !slices.Contains(rep.Missing, 'A') || len(rep.Uncomposable) == 0 {
		t.Errorf("report does not list what the fixture lacks: missing %q", string(rep.Missing))
	}
}

func TestBuildDeterministic(t *testing.T) {
	a, _ := buildMini(t)
	b, _ := buildMini(t)
	ea, _ := Encode(a)
	eb, _ := Encode(b)
	if !bytes.Equal(ea, eb) {
		t.Error("two builds of the same font differ")
	}
}

func TestMergeTouching(t *testing.T) {
	line := func(pts ...float64) geom.Path {
		p := geom.Path{Start: geom.Point{X: pts[0], Y: pts[1]}}
		for i := 2; i < len(pts); i += 2 {
			p.Segs = append(p.Segs, geom.Seg{Kind: geom.Line, P: [3]geom.Point{{X: pts[i], Y: pts[i+1]}}})
		}
		return p
	}
	cases := []struct {
		name string
		in   []geom.Path
		want []string
	}{
		{"end to start", []geom.Path{line(0, 0, 1, 0), line(1, 0.5, 2, 0)}, []string{"M 0 0 L 1 0 L 2 0"}},
		{"start to end", []geom.Path{line(1, 0, 2, 0), line(0, 0, 1, 0)}, []string{"M 0 0 L 1 0 L 2 0"}},
		{"end to end", []geom.Path{line(0, 0, 1, 0), line(2, 0, 1, 0)}, []string{"M 0 0 L 1 0 L 2 0"}},
		{"start to start", []geom.Path{line(1, 0, 0, 0), line(1, 0, 2, 0)}, []string{"M 0 0 L 1 0 L 2 0"}},
		{"apart", []geom.Path{line(0, 0, 1, 0), line(5, 0, 6, 0)}, []string{"M 0 0 L 1 0", "M 5 0 L 6 0"}},
		{"chain of three", []geom.Path{line(0, 0, 1, 0), line(5, 0, 6, 0), line(1, 0, 5, 0)}, []string{"M 0 0 L 1 0 L 5 0 L 6 0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, late := mergeTouching(c.in, make([]bool, len(c.in)), 0.6)
			var got []string
			for _, p := range out {
				got = append(got, font.FormatPath(p))
			}
			if !slices.Equal(got, c.want) || len(late) != len(out) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	// Late strokes are never merged, even when they touch.
	out, _ := mergeTouching([]geom.Path{line(0, 0, 1, 0), line(1, 0, 2, 0)}, []bool{false, true}, 1)
	if len(out) != 2 {
		t.Error("merged a late stroke")
	}
}

func TestReversePath(t *testing.T) {
	p, err := font.ParsePath("M 0 0 L 1 0 Q 2 0 2 1 C 2 2 3 3 4 4")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := font.FormatPath(reversePath(p)), "M 4 4 C 3 3 2 2 2 1 Q 2 0 1 0 L 0 0"; got != want {
		t.Errorf("reversed = %q, want %q", got, want)
	}
	if got := font.FormatPath(reversePath(reversePath(p))); got != font.FormatPath(p) {
		t.Errorf("reversing twice gave %q", got)
	}
}
