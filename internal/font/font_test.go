package font

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
)

func mini(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/mini.json")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseMini(t *testing.T) {
	f, err := Parse(mini(t))
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "mini" || f.Title != "Mini test face" || !f.Cursive || f.LicenseFile != "mini.LICENSE.txt" ||
		f.UnitsPerEm != 1000 || f.XHeight != 400 || f.CapHeight != 700 || f.Ascent != 800 || f.Descent != 200 {
		t.Errorf("face metadata = %+v", f)
	}
	if got, want := string(f.Runes()), " AViä"; got != want {
		t.Errorf("Runes() = %q, want %q", got, want)
	}
	i, ok := f.Glyph('i')
	if !ok {
		t.Fatal("no i")
	}
	want := geom.Path{Start: geom.Point{X: 0, Y: -200}, Segs: []geom.Seg{
		{Kind: geom.Quad, P: [3]geom.Point{{X: 100, Y: -400}, {X: 100, Y: -300}}},
		{Kind: geom.Cubic, P: [3]geom.Point{{X: 100, Y: -100}, {X: 150, Y: 0}, {X: 250, Y: -200}}},
	}}
	if !samePath(i.Strokes[0], want) {
		t.Errorf("i stroke 0 = %+v, want %+v", i.Strokes[0], want)
	}
	if i.Rune != 'i' || i.Advance != 250 || !slices.Equal(i.Late, []bool{false, true}) || !i.Joins || i.LiftAfter || i.Composed {
		t.Errorf("i = %+v", i)
	}
	if i.Entry != (geom.Point{X: 0, Y: -200}) || i.Exit != (geom.Point{X: 250, Y: -200}) {
		t.Errorf("i entry/exit = %v %v", i.Entry, i.Exit)
	}
	// Without explicit entry/exit, a glyph enters at its first stroke and leaves at its last.
	a, _ := f.Glyph('A')
	if a.Entry != (geom.Point{X: 0, Y: 0}) || a.Exit != (geom.Point{X: 450, Y: -300}) {
		t.Errorf("A entry/exit = %v %v", a.Entry, a.Exit)
	}
	if k := f.Kern('A', 'V'); k != -80 {
		t.Errorf("Kern(A, V) = %v, want -80", k)
	}
	if k := f.Kern('V', 'A'); k != 0 {
		t.Errorf("Kern(V, A) = %v, want 0", k)
	}
	if _, ok := f.Glyph('z'); ok {
		t.Error("Glyph('z') found a glyph the face lacks")
	}
	// Runes returns a copy the caller may change.
	rs := f.Runes()
	rs[0] = 'Q'
	if f.Runes()[0] != ' ' {
		t.Error("Runes() exposes the face's slice")
	}
}

func samePath(a, b geom.Path) bool {
	if a.Start != b.Start || len(a.Segs) != len(b.Segs) {
		return false
	}
	for i := range a.Segs {
		if a.Segs[i] != b.Segs[i] {
			return false
		}
	}
	return true
}

// TestParseErrors checks that every broken field is refused with a message naming the glyph
// and the field, so that a hand-edited face is easy to fix.
func TestParseErrors(t *testing.T) {
	base := string(mini(t))
	cases := []struct {
		name, old, new string
		want           []string
	}{
		{"unknown version", `"quillpost-font/1"`, `"quillpost-font/2"`, []string{"format", "quillpost-font/2"}},
		{"missing advance", `"V": {"advance":600,`, `"V": {`, []string{`glyph "V"`, "advance is missing"}},
		{"negative advance", `"V": {"advance":600,`, `"V": {"advance":-1,`, []string{`glyph "V"`, "advance"}},
		{"bad path command", `"M 0 -700 L 300 0 L 600 -700"`, `"M 0 -700 Z"`, []string{`glyph "V"`, "strokes[0]", "'Z'"}},
		{"relative path", `"M 0 -700 L 300 0 L 600 -700"`, `"M 0 -700 l 300 0"`, []string{`glyph "V"`, "strokes[0]"}},
		{"path without M", `"M 0 -700 L 300 0 L 600 -700"`, `"L 300 0"`, []string{`glyph "V"`, "strokes[0]", "start with M"}},
		{"two subpaths", `"M 0 -700 L 300 0 L 600 -700"`, `"M 0 -700 L 300 0 M 1 2 L 3 4"`, []string{`glyph "V"`, "second M"}},
		{"lone M", `"M 0 -700 L 300 0 L 600 -700"`, `"M 0 -700"`, []string{`glyph "V"`, "no segment"}},
		{"short coordinates", `"M 0 -700 L 300 0 L 600 -700"`, `"M 0 -700 L 300"`, []string{`glyph "V"`, "strokes[0]", "number"}},
		{"huge coordinate", `"M 0 -700 L 300 0 L 600 -700"`, `"M 0 -700 L 3e9 0"`, []string{`glyph "V"`, "3e9"}},
		{"late length", `"late":[false,true],"entry":[0,-200]`, `"late":[false],"entry":[0,-200]`, []string{`glyph "i"`, "late has 1 entries for 2 strokes"}},
		{"glyph key", `"V": {`, `"VW": {`, []string{`glyph key "VW"`}},
		{"no space", `" ": {`, `"_": {`, []string{"space"}},
		{"kerning key", `"AV": -80`, `"A": -80`, []string{`kerning key "A"`}},
		{"kerning glyph", `"AV": -80`, `"AZ": -80`, []string{`kerning "AZ"`, "no glyph"}},
		{"kerning size", `"AV": -80`, `"AV": -8000`, []string{`kerning "AV"`}},
		{"name", `"name": "mini"`, `"name": "Mini Face"`, []string{"name"}},
		{"x height", `"x_height": 400`, `"x_height": 0`, []string{"x_height"}},
		{"units", `"units_per_em": 1000`, `"units_per_em": -5`, []string{"units_per_em"}},
		{"unknown field", `"cursive": true`, `"cursive": true, "curvy": 1`, []string{"curvy"}},
		{"trailing data", "\n}\n", "\n}\n{}", []string{"after"}},
		{"joins without strokes", `" ": {"advance":300,"strokes":[],"late":[],"entry":[0,0],"exit":[300,0],"joins":false`, `" ": {"advance":300,"strokes":[],"late":[],"entry":[0,0],"exit":[300,0],"joins":true`, []string{"joins"}},
		{"not json", `{`, `[`, []string{"JSON"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(base, c.old, c.new, 1)
			if src == base {
				t.Fatalf("fixture has no %q", c.old)
			}
			_, err := Parse([]byte(src))
			if err == nil {
				t.Fatal("Parse accepted a broken face")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestParsePathRoundTrip(t *testing.T) {
	for _, s := range []string{
		"M 0 0 L 1 2",
		"M -1.5 2.25 Q 3 4 5 6 C 7 8 9 10 11.01 -12",
		"M 100 -500 L 100 -500",
	} {
		p, err := ParsePath(s)
		if err != nil {
			t.Fatalf("ParsePath(%q): %v", s, err)
		}
		if got := FormatPath(p); got != s {
			t.Errorf("FormatPath(ParsePath(%q)) = %q", s, got)
		}
	}
	// Implicit repeats, commas and exponents are accepted on input.
	p, err := ParsePath("M0,0L1,2 3,4C1e1 2 3 4 5 6")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := FormatPath(p), "M 0 0 L 1 2 L 3 4 C 10 2 3 4 5 6"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := FormatNumber(-0.001); got != "0" {
		t.Errorf("FormatNumber(-0.001) = %q, want 0", got)
	}
	if got := FormatNumber(1.005); got != "1" && got != "1.01" {
		t.Errorf("FormatNumber(1.005) = %q", got)
	}
}

func TestMissing(t *testing.T) {
	f, err := Parse(mini(t))
	if err != nil {
		t.Fatal(err)
	}
	got := f.Missing("Ai ä\r\nVxä\n\tA\xff")
	want := []Missing{{'x', 2, 2}, {'\t', 3, 1}, {'\uFFFD', 3, 3}}
	if !slices.Equal(got, want) {
		t.Errorf("Missing = %v, want %v", got, want)
	}
	if m := f.Missing("AV iä"); m != nil {
		t.Errorf("Missing of covered text = %v", m)
	}
	if m := f.Missing("a\rb"); len(m) != 3 || m[1].Rune != '\r' || m[2].Column != 3 {
		t.Errorf("a lone carriage return is a character: %v", m)
	}
}
