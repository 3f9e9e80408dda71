package capture

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/hand"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the golden file; run go test -run %s -update and look at the diff", name, t.Name())
	}
}

func mustFace(t testing.TB, name string) *font.Face {
	t.Helper()
	f, err := font.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// TestProcessSmallSheet processes a few characters, three samples each, and keeps the face file
// as a golden: normalisation, smoothing, resampling, entry and exit, alternates.
func TestProcessSmallSheet(t *testing.T) {
	var plan []PlanBox
	for _, r := range "aeitüç!" {
		for range 3 {
			plan = append(plan, PlanBox{Kind: KindChar, Text: string(r)})
		}
	}
	plan = append(plan, PlanBox{Kind: KindWord, Text: "ei"})
	sheet := Synthesize(mustFace(t, "script"), plan, "small", 1)
	res, err := Process(roundTrip(t, sheet))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejected) != 0 {
		t.Errorf("rejected %v", res.Rejected)
	}
	data := mustJSON(t, res.File)
	golden(t, "small-face.json", data)
	face, err := font.Parse(data)
	if err != nil {
		t.Fatalf("the made face does not parse: %v", err)
	}
	for _, r := range "aeitüç!" {
		g, ok := face.Glyph(r)
		if !ok {
			t.Fatalf("no glyph %q", r)
		}
		if len(g.Alternates) != 2 {
			t.Errorf("%q has %d alternates, want 2 (three samples)", r, len(g.Alternates))
		}
	}
	ü, _ := face.Glyph('ü')
	if n := countTrue(ü.Late); n != 2 {
		t.Errorf("ü has %d late strokes, want its two dots", n)
	}
	i, _ := face.Glyph('i')
	if n := countTrue(i.Late); n != 1 {
		t.Errorf("i has %d late strokes, want its dot", n)
	}
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// roundTrip sends a sheet through its JSON, as an upload would.
func roundTrip(t testing.TB, s *Sheet) *Sheet {
	t.Helper()
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNormalise writes one "n" badly placed (too high, too big, leaning hard) and checks that it
// comes out on the baseline, an x-height tall and leaning as the writer's other samples do.
func TestNormalise(t *testing.T) {
	n := func(dx, dy, scale, lean float64) Box {
		// An n as a person writes it: down, up and over, down; guides 100/50 px.
		pts := [][2]float64{{0, -50}, {0, 0}, {0, -35}, {10, -48}, {25, -50}, {32, -40}, {32, 0}}
		var st Stroke
		for i, p := range pts {
			x, y := p[0]*scale-lean*p[1]*scale+dx, 100+p[1]*scale+dy
			st.Points = append(st.Points, Point{X: x, Y: y, T: float64(i * 30)})
		}
		return Box{Kind: KindChar, Text: "n", Guides: Guides{Baseline: 100, XHeight: 50}, Strokes: []Stroke{st}}
	}
	sheet := &Sheet{Format: Format, Name: "norm", Boxes: []Box{
		n(10, 0, 1, 0.2), n(10, 0, 1, 0.2), n(30, -12, 1.15, 0.45),
	}}
	res, err := Process(roundTrip(t, sheet))
	if err != nil {
		t.Fatal(err)
	}
	face, err := font.FromFile(res.File)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := face.Glyph('n')
	all := append([]*font.Glyph{g}, g.Alternates...)
	if len(all) != 3 {
		t.Fatalf("%d samples of n kept, want 3 (rejected: %v)", len(all), res.Rejected)
	}
	var lines []string
	for _, a := range all {
		var ss []string
		for _, s := range a.Strokes {
			ss = append(ss, font.FormatPath(s))
		}
		lines = append(lines, strings.Join(ss, " | "))
		top, bottom := 0.0, -1e9
		for _, s := range a.Strokes {
			for _, p := range s.Flatten(1, nil) {
				top, bottom = min(top, p.Y), max(bottom, p.Y)
			}
		}
		if bottom < -2 || bottom > 2 {
			t.Errorf("a sample's foot is at y=%.1f, want on the baseline", bottom)
		}
		if top > -XHeight*0.95 || top < -XHeight*1.05 {
			t.Errorf("a sample's top is at y=%.1f, want an x-height (%d) up", top, XHeight)
		}
	}
	golden(t, "normalise.txt", []byte(strings.Join(lines, "\n")+"\n"))
	if res.Slant < 7 || res.Slant > 13 {
		t.Errorf("writer's slant %.1f°, want the median sample's (about 11°)", res.Slant)
	}
}

// TestRejectsScribbles: each kind of scribble is refused with its reason, and good samples of
// the same character are kept.
func TestRejectsScribbles(t *testing.T) {
	zig := func(n int, w float64) Stroke {
		var st Stroke
		for i := range n {
			x := 0.0
			if i%2 == 1 {
				x = w
			}
			st.Points = append(st.Points, Point{X: 10 + x, Y: 60 + float64(i%7)*5, T: float64(i)})
		}
		return st
	}
	line := func(x0, y0, x1, y1 float64) Stroke {
		return Stroke{Points: []Point{{X: x0, Y: y0}, {X: (x0 + x1) / 2, Y: (y0 + y1) / 2, T: 5}, {X: x1, Y: y1, T: 10}}}
	}
	g := Guides{Baseline: 100, XHeight: 50}
	many := make([]Stroke, 12)
	for i := range many {
		many[i] = line(float64(i*3), 60, float64(i*3)+2, 90)
	}
	sheet := &Sheet{Format: Format, Name: "scribbles", Boxes: []Box{
		{Kind: KindChar, Text: "l", Guides: g, Strokes: []Stroke{line(10, 10, 12, 100)}},
		{Kind: KindChar, Text: "l", Guides: g, Strokes: []Stroke{zig(60, 40)}},
		{Kind: KindChar, Text: "l", Guides: g, Strokes: []Stroke{line(10, -400, 12, 100)}},
		{Kind: KindChar, Text: "l", Guides: g, Strokes: many},
		{Kind: KindChar, Text: "l", Guides: g, Strokes: []Stroke{line(10, 100, 600, 100)}},
		{Kind: KindChar, Text: "l", Guides: g},
		{Kind: KindChar, Text: "l", Guides: g, Strokes: []Stroke{line(10, 5000, 12, 5040)}},
	}}
	res, err := Process(roundTrip(t, sheet))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "scribbles.json", mustJSON(t, res.Rejected))
	if len(res.Rejected) != 5 {
		t.Errorf("rejected %d samples, want 5: %v", len(res.Rejected), res.Rejected)
	}
	for _, r := range res.Rejected {
		if r.Box == 0 || r.Box == 5 {
			t.Errorf("box %d rejected: %s", r.Box, r.Reason)
		}
	}
}

// TestFullSheetCoverage processes a whole synthetic sheet (every character, word and the
// signature) and keeps its coverage as a golden.
func TestFullSheetCoverage(t *testing.T) {
	sheet := Synthesize(mustFace(t, "allure"), Plan(), "allure-hand", 7)
	res, err := Process(roundTrip(t, sheet))
	if err != nil {
		t.Fatal(err)
	}
	face, err := font.FromFile(res.File)
	if err != nil {
		t.Fatal(err)
	}
	cov := CoverageOf(face)
	golden(t, "coverage-full.json", mustJSON(t, struct {
		Coverage Coverage `json:"coverage"`
		*Result
	}{cov, res}))
	if cov.Missing != "" {
		t.Errorf("characters missing after a full sheet: %q (rejected: %v)", cov.Missing, res.Rejected)
	}
	if len(res.Signature) == 0 {
		t.Error("the signature was not kept")
	}
}

// TestCoveragePartial: a half-written sheet names what is still missing.
func TestCoveragePartial(t *testing.T) {
	var plan []PlanBox
	for _, pb := range Plan() {
		if pb.Kind == KindChar && strings.ContainsRune("abcxyz", []rune(pb.Text)[0]) {
			plan = append(plan, pb)
		}
	}
	res, err := Process(roundTrip(t, Synthesize(mustFace(t, "sans"), plan, "part", 3)))
	if err != nil {
		t.Fatal(err)
	}
	face, err := font.FromFile(res.File)
	if err != nil {
		t.Fatal(err)
	}
	cov := CoverageOf(face)
	golden(t, "coverage-partial.json", mustJSON(t, cov))
	if cov.Written != 6 || strings.ContainsAny(cov.Missing, "abcxyz") || !strings.Contains(cov.Missing, "d") {
		t.Errorf("coverage %d written, missing %q", cov.Written, cov.Missing)
	}
}

func BenchmarkProcessFullSheet(b *testing.B) {
	sheet := Synthesize(mustFace(b, "allure"), Plan(), "bench", 1)
	data, err := json.Marshal(sheet)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		s, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Process(s); err != nil {
			b.Fatal(err)
		}
	}
}

// TestManySamples: a sheet with more samples of a character than a glyph keeps variants (as
// another tool may send) keeps the most typical ones and still makes a face that parses.
func TestManySamples(t *testing.T) {
	var plan []PlanBox
	for range 25 {
		plan = append(plan, PlanBox{Kind: KindChar, Text: "a"})
	}
	res, err := Process(roundTrip(t, Synthesize(mustFace(t, "sans"), plan, "many", 5)))
	if err != nil {
		t.Fatal(err)
	}
	face, err := font.FromFile(res.File)
	if err != nil {
		t.Fatalf("the made face does not parse: %v", err)
	}
	if g, _ := face.Glyph('a'); len(g.Alternates) != font.MaxAlternates {
		t.Errorf("%d alternates kept, want %d", len(g.Alternates), font.MaxAlternates)
	}
}

// TestJoinedWordsMakeACursiveFace: a writer whose words are one pen stroke each joins letters,
// so the face is cursive and its lower-case letters that start low on their left accept a
// connector; a writer who lifts between letters gets a print face.
func TestJoinedWordsMakeACursiveFace(t *testing.T) {
	var plan []PlanBox
	for _, r := range "nu" {
		for range 3 {
			plan = append(plan, PlanBox{Kind: KindChar, Text: string(r)})
		}
	}
	sheet := Synthesize(mustFace(t, "sans"), plan, "joined", 4)
	printed := *sheet
	word := func(joined bool) Box {
		// "nun" as arches along the x-height band: one stroke, or one per letter.
		var strokes []Stroke
		var cur Stroke
		for k := range 3 {
			for i := range 20 {
				x := float64(k*60 + i*3)
				y := 130 - 70*float64((i/5)%2)
				cur.Points = append(cur.Points, Point{X: x, Y: y, T: float64(len(cur.Points) * 8)})
			}
			if !joined {
				strokes, cur = append(strokes, cur), Stroke{}
			}
		}
		if joined {
			strokes = append(strokes, cur)
		}
		return Box{Kind: KindWord, Text: "nun", Guides: Guides{Baseline: 130, XHeight: 60}, Strokes: strokes}
	}
	sheet.Boxes = append(sheet.Boxes, word(true), word(true))
	printed.Boxes = append(printed.Boxes[:len(printed.Boxes):len(printed.Boxes)], word(false), word(false))
	res, err := Process(roundTrip(t, sheet))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Cursive || !res.File.Cursive {
		t.Fatal("one stroke per word did not make a cursive face")
	}
	n := res.File.Glyphs["n"]
	if !n.Joins || n.Entry == nil || n.Entry[1] > 0.12*XHeight || n.Entry[1] < -1.15*XHeight {
		t.Errorf("n of a cursive face: joins %v, entry %v", n.Joins, n.Entry)
	}
	// The hand joins its letters: "nunu" is written with fewer pen lifts than letters.
	face, err := font.FromFile(res.File)
	if err != nil {
		t.Fatal(err)
	}
	format, _ := hand.LookupFormat("a6")
	h, _ := hand.LookupHand("neat")
	c, err := hand.Render(hand.Request{Text: "nunu", Face: face, Format: format, Hand: h, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	body := countFalse(c.Late)
	t.Logf("nunu: %d pen-down strokes", body)
	if body >= 4*2 {
		t.Errorf("nunu written with %d strokes: the letters were not joined", body)
	}
	if res, err := Process(roundTrip(t, &printed)); err != nil || res.Cursive || res.File.Glyphs["n"].Joins {
		t.Errorf("a pen lift per letter: cursive %v, %v", res.Cursive, err)
	}
}

func countFalse(bs []bool) int { return len(bs) - countTrue(bs) }

// TestEveryRejectionHasACode: every way a sample is refused gives one of RejectionCodes with
// its values, so that a page can say it in its reader's language; the English reason stays.
func TestEveryRejectionHasACode(t *testing.T) {
	line := func(x0, y0, x1, y1 float64) Stroke {
		return Stroke{Points: []Point{{X: x0, Y: y0}, {X: (x0 + x1) / 2, Y: (y0 + y1) / 2, T: 5}, {X: x1, Y: y1, T: 10}}}
	}
	// Twenty short moves back and forth: many turns, little ink.
	var back Stroke
	for i := range 20 {
		back.Points = append(back.Points, Point{X: 10 + float64(i%2)*6, Y: 60 + float64(i)*0.3, T: float64(i)})
	}
	var ink Stroke
	for i := range 60 {
		ink.Points = append(ink.Points, Point{X: 10 + float64(i%2)*40, Y: 60 + float64(i%7)*5, T: float64(i)})
	}
	many := make([]Stroke, 12)
	for i := range many {
		many[i] = line(float64(i*3), 60, float64(i*3)+2, 90)
	}
	g := Guides{Baseline: 100, XHeight: 50}
	sheet := &Sheet{Format: Format, Name: "codes", Boxes: []Box{
		{Kind: KindChar, Text: "l", Guides: g, Strokes: []Stroke{line(10, 10, 12, 100)}},
		{Kind: KindChar, Text: "l", Guides: g, Strokes: []Stroke{line(11, 12, 12, 100)}},
		{Kind: KindChar, Text: "l", Guides: g, Strokes: []Stroke{line(10, 11, 13, 100)}},
		{Kind: KindChar, Text: "l", Guides: g, Strokes: []Stroke{line(12, 10, 12, 100)}},
		{Kind: KindChar, Text: "l", Guides: g, Strokes: []Stroke{line(10, 90, 60, 20), line(60, 20, 110, 90)}},
		{Kind: KindChar, Text: "l", Guides: g, Strokes: []Stroke{back}},
		{Kind: KindChar, Text: "l", Guides: g, Strokes: []Stroke{ink}},
		{Kind: KindChar, Text: "l", Guides: g, Strokes: []Stroke{line(10, -400, 12, 100)}},
		{Kind: KindChar, Text: "l", Guides: g, Strokes: many},
		{Kind: KindChar, Text: "l", Guides: g, Strokes: []Stroke{line(10, 100, 600, 100)}},
		{Kind: KindChar, Text: "l", Guides: g, Strokes: []Stroke{line(10, 5000, 12, 5040)}},
	}}
	res, err := Process(roundTrip(t, sheet))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range res.Rejected {
		if !slices.Contains(RejectionCodes, r.Code) {
			t.Errorf("box %d (%s): code %q is not in RejectionCodes", r.Box, r.Reason, r.Code)
		}
		if r.Args == nil || r.Reason == "" {
			t.Errorf("box %d: code %q without its values or its reason: %+v", r.Box, r.Code, r)
		}
		seen[r.Code] = true
	}
	for _, c := range RejectionCodes {
		if !seen[c] {
			t.Errorf("no sample was refused with %q: %+v", c, res.Rejected)
		}
	}
	// The values are the numbers the English sentence names, as JSON gives them to a page.
	var got []Rejection
	if err := json.Unmarshal(mustJSON(t, res.Rejected), &got); err != nil {
		t.Fatal(err)
	}
	for _, r := range got {
		switch r.Code {
		case RejectTurns:
			if n, _ := r.Args["turns"].(float64); !strings.Contains(r.Reason, fmt.Sprintf("turns back %d times", int(n))) || n <= 10 {
				t.Errorf("turns %v, reason %q", r.Args["turns"], r.Reason)
			}
		case RejectUnlike:
			if r.Args["char"] != "l" {
				t.Errorf("unlike: char %v, want l", r.Args["char"])
			}
		case RejectTall:
			if n, _ := r.Args["x_heights"].(float64); !strings.Contains(r.Reason, fmt.Sprintf("%.1f x-heights", n)) {
				t.Errorf("tall %v, reason %q", r.Args["x_heights"], r.Reason)
			}
		}
	}
}
