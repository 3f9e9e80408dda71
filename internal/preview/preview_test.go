package preview

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/hand"
)

var update = flag.Bool("update", false, "rewrite the golden SVGs in testdata/")

// miniFace is the hand package's small test face.
func miniFace(t *testing.T) *font.Face {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "hand", "testdata", "mini.json"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := font.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func a6(t *testing.T) hand.Format {
	f, err := hand.LookupFormat("a6")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func handNamed(t *testing.T, name string) hand.Hand {
	h, err := hand.LookupHand(name)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type golden struct {
	name string
	req  hand.Request
}

// goldens: fixed texts × faces × seeds. The shipped faces' goldens must be rewritten (-update)
// when a face's glyphs change on purpose.
func goldens(t *testing.T) []golden {
	short := "Liebe Grüße und danke für alles!\nYour friend, Zoë"
	var gs []golden
	for _, seed := range []uint64{1, 2} {
		gs = append(gs, golden{fmt.Sprintf("mini-neat-%d", seed), hand.Request{Text: "Dank dir, toll. Tee!\nDas Tal, die kanne.", Face: miniFace(t), Format: a6(t), Hand: handNamed(t, "neat"), Seed: seed}})
		for _, f := range font.Faces() {
			gs = append(gs, golden{fmt.Sprintf("%s-casual-%d", f.Name, seed), hand.Request{Text: short, Face: f, Format: a6(t), Hand: handNamed(t, "casual"), Seed: seed}})
		}
	}
	if f, err := font.Lookup("allure"); err == nil {
		text, err := os.ReadFile(filepath.Join("..", "..", "testdata", "texts", "de-danke.txt"))
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, golden{"allure-neat-card", hand.Request{Text: string(text), Face: f, Format: a6(t), Hand: handNamed(t, "neat"), Seed: 1}})
		gs = append(gs, golden{"allure-hurried-center", hand.Request{Text: "Herzlichen Glückwunsch!\nAlles Liebe", Face: f, Format: a6(t), Hand: handNamed(t, "hurried"), Seed: 9, Align: hand.AlignCenter}})
	}
	return gs
}

func TestSVGGolden(t *testing.T) {
	for _, g := range goldens(t) {
		t.Run(g.name, func(t *testing.T) {
			c, err := hand.Render(g.req)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := SVG(&buf, c.Format, c.Strokes, DefaultPenWidth); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", g.name+".svg")
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			compareSVG(t, want, buf.Bytes())
		})
	}
}

var polyRE = regexp.MustCompile(`<polyline points="([^"]*)"/>`)

// polylines parses the strokes back out of an SVG written by SVG.
func polylines(t *testing.T, svg []byte) []geom.Stroke {
	t.Helper()
	var out []geom.Stroke
	for _, m := range polyRE.FindAllSubmatch(svg, -1) {
		var s geom.Stroke
		for _, pair := range strings.Fields(string(m[1])) {
			x, y, ok := strings.Cut(pair, ",")
			if !ok {
				t.Fatalf("bad point %q", pair)
			}
			px, err1 := strconv.ParseFloat(x, 64)
			py, err2 := strconv.ParseFloat(y, 64)
			if err1 != nil || err2 != nil {
				t.Fatalf("bad point %q", pair)
			}
			s = append(s, geom.Point{X: px, Y: py})
		}
		out = append(out, s)
	}
	return out
}

// compareSVG compares two SVGs' geometry within 2 µm (one rounding step at three decimals, as a
// machine with fused multiply-add may round the last digit the other way) and their headers
// exactly.
func compareSVG(t *testing.T, want, got []byte) {
	t.Helper()
	head := func(b []byte) string { return string(b[:bytes.Index(b, []byte("<polyline"))]) }
	if bytes.Contains(want, []byte("<polyline")) && head(want) != head(got) {
		t.Fatalf("SVG header differs:\n got %s\nwant %s", head(got), head(want))
	}
	ws, gs := polylines(t, want), polylines(t, got)
	if len(ws) != len(gs) {
		t.Fatalf("%d strokes, golden has %d", len(gs), len(ws))
	}
	for i := range ws {
		if len(ws[i]) != len(gs[i]) {
			t.Fatalf("stroke %d has %d points, golden has %d", i, len(gs[i]), len(ws[i]))
		}
		for j := range ws[i] {
			if d := ws[i][j].Dist(gs[i][j]); d > 0.002 {
				t.Fatalf("stroke %d point %d is %v, golden %v", i, j, gs[i][j], ws[i][j])
			}
		}
	}
}

func TestSVGShape(t *testing.T) {
	f := hand.Format{Name: "x", W: 177.8, H: 127}
	strokes := []geom.Stroke{{{X: 1, Y: 2}, {X: 3.33333, Y: 4.0000001}}, {{X: 5, Y: 6}}, {}, {{X: -0.0000001, Y: 0}, {X: 1, Y: 1}}}
	var buf bytes.Buffer
	if err := SVG(&buf, f, strokes, 0.5); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, want := range []string{
		`width="177.8mm" height="127mm" viewBox="0 0 177.8 127"`,
		`stroke-width="0.5" stroke-linecap="round" stroke-linejoin="round"`,
		`<polyline points="1.000,2.000 3.333,4.000"/>`,
		`<polyline points="5.000,6.000 5.000,6.000"/>`, // a dot still inks
		`<polyline points="0.000,0.000 1.000,1.000"/>`, // never -0.000
	} {
		if !strings.Contains(s, want) {
			t.Errorf("SVG lacks %s:\n%s", want, s)
		}
	}
	if n := strings.Count(s, "<polyline"); n != 3 {
		t.Errorf("%d polylines, want 3 (the empty stroke is skipped)", n)
	}
	if err := SVG(&buf, f, strokes, 0); err == nil {
		t.Error("pen width 0 accepted")
	}
}

func TestDeterministicSVG(t *testing.T) {
	req := goldens(t)[0].req
	var a, b bytes.Buffer
	for _, buf := range []*bytes.Buffer{&a, &b} {
		c, err := hand.Render(req)
		if err != nil {
			t.Fatal(err)
		}
		if err := SVG(buf, c.Format, c.Strokes, 0.5); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the same request gave different SVG bytes")
	}
}

func TestPNG(t *testing.T) {
	f := a6(t)
	c, err := hand.Render(hand.Request{Text: "Dank dir, toll. Tee!", Face: miniFace(t), Format: f, Hand: handNamed(t, "neat"), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := PNG(&buf, f, c.Strokes, 0.5, 100); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	wantW, wantH := int(math.Round(148/25.4*100)), int(math.Round(105/25.4*100))
	if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
		t.Fatalf("image is %v, want %d×%d", b, wantW, wantH)
	}
	dpmm := 100 / 25.4
	isInk := func(x, y float64) bool {
		r, g, b, _ := img.At(int(x*dpmm), int(y*dpmm)).RGBA()
		return b > r+0x2000 && b > g+0x1000 // blue, not cream
	}
	if isInk(1, 1) || isInk(147, 104) {
		t.Error("the card's corners are inked")
	}
	// The middle of every stroke's middle segment is inked (the PNG is right side up).
	inked := 0
	for _, s := range c.Strokes {
		m := s[len(s)/2-1].Add(s[len(s)/2]).Scale(0.5)
		if isInk(m.X, m.Y) {
			inked++
		}
	}
	if inked < len(c.Strokes)*9/10 {
		t.Errorf("only %d of %d strokes show in the PNG", inked, len(c.Strokes))
	}
	if err := PNG(&buf, f, c.Strokes, 0.5, 5000); err == nil {
		t.Error("5000 dpi accepted")
	}
}

func TestStats(t *testing.T) {
	f := a6(t)
	c, err := hand.Render(hand.Request{Text: "Dank dir, toll. Tee!", Face: miniFace(t), Format: f, Hand: handNamed(t, "neat"), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	st := StatsOf(c)
	if st.Glyphs != 17 || st.Strokes != len(c.Strokes) || st.Lines != 1 || st.Card != "a6" || st.Hash != c.Hash() {
		t.Errorf("stats %+v", st)
	}
	if want := geom.PenDownLength(c.Strokes); math.Abs(st.PenDownMM-want) > 0.001 || want < 50 {
		t.Errorf("pen_down_mm %g, want %g", st.PenDownMM, want)
	}
	b := geom.Bounds(c.Strokes)
	if st.BBox == nil || math.Abs(st.BBox.MinX-b.Min.X) > 0.001 || math.Abs(st.BBox.MaxY-b.Max.Y) > 0.001 {
		t.Errorf("bbox %+v, want %v", st.BBox, b)
	}
	js, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"glyphs":17`, `"strokes":`, `"pen_down_mm":`, `"bbox":{"min_x":`} {
		if !bytes.Contains(js, []byte(key)) {
			t.Errorf("JSON %s lacks %s", js, key)
		}
	}
}
