package fontgen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/fonts"
	"github.com/quillpost/quillpost/internal/geom"
)

func TestParseJHF(t *testing.T) {
	// Two records: the space, and a "4"-like glyph whose record wraps onto a second line.
	data := "12345  1JZ\n  666  7H\\UFKTZT R\nUFU[\n"
	gs, err := ParseJHF([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 2 || gs[0].Left != -8 || gs[0].Right != 8 || len(gs[0].Strokes) != 0 {
		t.Fatalf("space = %+v", gs)
	}
	g := gs[1]
	want := [][]geom.Point{{{X: 3, Y: -12}, {X: -7, Y: 2}, {X: 8, Y: 2}}, {{X: 3, Y: -12}, {X: 3, Y: 9}}}
	if g.ID != 666 || g.Left != -10 || g.Right != 10 || len(g.Strokes) != 2 {
		t.Fatalf("glyph = %+v", g)
	}
	for i := range want {
		for j := range want[i] {
			if g.Strokes[i][j] != want[i][j] {
				t.Errorf("stroke %d point %d = %v, want %v", i, j, g.Strokes[i][j], want[i][j])
			}
		}
	}
	for _, bad := range []string{"12345", "abcde  1JZ", "12345 xx JZ", "12345  9JZ\n"} {
		if _, err := ParseJHF([]byte(bad)); err == nil {
			t.Errorf("ParseJHF(%q) accepted a broken record", bad)
		}
	}
}

func FuzzParseJHF(f *testing.F) {
	f.Add([]byte("12345  1JZ\n12345  9MWRFRT RRYQZR[SZRY\n"))
	f.Add([]byte("  666  7H\\UFKTZT R\nUFU[\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		gs, err := ParseJHF(data)
		if err != nil {
			return
		}
		for _, g := range gs {
			for _, s := range g.Strokes {
				if len(s) == 0 {
					t.Fatal("empty stroke")
				}
			}
		}
	})
}

func TestParseSVGFont(t *testing.T) {
	data, err := os.ReadFile("testdata/mini.svg")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseSVGFont(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if f.Family != "Mini Test" || f.UnitsPerEm != 1000 || f.Ascent != 800 || f.Descent != -200 || f.XHeight != 300 ||
		f.CapHeight != 500 || f.DefaultAdvance != 300 || len(f.Kerns) != 2 {
		t.Errorf("font = %+v", f)
	}
	if f.Glyphs[0].Unicode != " " || f.Glyphs[0].Advance != 300 || f.Glyphs[1].Advance != 400 {
		t.Errorf("glyphs = %+v", f.Glyphs[:2])
	}
	if got := f.MetadataField("Created by"); got != "A. Tester" {
		t.Errorf("Created by = %q", got)
	}
	if k := f.Kerns[1]; strings.Join(k.G2, ",") != "e,o" || k.K != -20 {
		t.Errorf("kern = %+v", k)
	}
	for _, bad := range []string{
		`<svg></svg>`,
		`<svg><font><glyph unicode="a" horiz-adv-x="wide"/></font></svg>`,
		`<svg><font><font-face units-per-em="x"/></font></svg>`,
		`<svg><font><hkern u1="a" u2="b" k=""/></font></svg>`,
		`<svg><font>`,
	} {
		if _, err := ParseSVGFont(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseSVGFont(%q) accepted it", bad)
		}
	}
}

func TestLicenceTexts(t *testing.T) {
	data, err := os.ReadFile("testdata/mini.svg")
	if err != nil {
		t.Fatal(err)
	}
	svg, err := ParseSVGFont(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := "Copyright (c) <dates>, <Copyright Holder>\nwith Reserved Font Name <Name>.\n\n" +
		"This Font Software is licensed under the SIL Open Font License, Version 1.1.\n" +
		"-----\nSIL OPEN FONT LICENSE Version 1.1 - 26 February 2007\nTERMINATION\n"
	spec := Spec{Name: "mini", Upstream: "Maxi: Copyright (c) 2011 Someone."}
	got, err := OFLText(spec, svg, []byte(tmpl))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Font name:               Mini Test", "Created by:              A. Tester",
		"Maxi: Copyright (c) 2011 Someone.", "SIL OPEN FONT LICENSE Version 1.1", "TERMINATION"} {
		if !strings.Contains(got, w) {
			t.Errorf("OFL text lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, "<Copyright Holder>") {
		t.Error("the template's placeholder copyright line survived")
	}
	if _, err := OFLText(Spec{Name: "x"}, svg, []byte(tmpl)); err == nil {
		t.Error("OFL text without upstream copyright lines was accepted")
	}
	copyright := "Files: *.jhf\nLicense: hershey-license\n This distribution of the Hershey Fonts\n \t1. The following acknowledgements:\n" +
		" \t\t- The Hershey Fonts were originally created by Dr.\n \t\t\tA. V. Hershey\n .\n \t\t\t\tJames Hurt\n\nLicense: GPL-2+\n GPL text\n"
	h, err := HersheyText(Spec{Name: "sans"}, svg, []byte(copyright))
	if err != nil {
		t.Fatal(err)
	}
	want := "This distribution of the Hershey Fonts\n\t1. The following acknowledgements:\n\t\t- The Hershey Fonts were originally created by Dr.\n\t\t\tA. V. Hershey\n\n\t\t\t\tJames Hurt\n"
	if !strings.HasSuffix(h, want) || strings.Contains(h, "GPL") {
		t.Errorf("Hershey text = %q, want it to end with the stanza verbatim %q", h, want)
	}
	if _, err := HersheyText(Spec{}, svg, []byte("License: GPL-2+\n x\n")); err == nil {
		t.Error("a copyright file without the Hershey stanza was accepted")
	}
}

// TestEmbeddedFacesUpToDate regenerates every face from the Debian sources, when they are
// unpacked where the generator looks for them, and compares with the committed files: the
// generate step is reproducible and nobody hand-edited a face.
func TestEmbeddedFacesUpToDate(t *testing.T) {
	svgDir := envOr("QUILLPOST_SVG_FONTS", "/tmp/inkscape/usr/share/inkscape/extensions/svg_fonts")
	hersheyDir := envOr("QUILLPOST_HERSHEY", "/tmp/hershey/usr/share")
	if _, err := os.Stat(filepath.Join(svgDir, "EMSAllure.svg")); err != nil {
		t.Skip("font sources not unpacked (see fonts/FORMAT.md)")
	}
	for _, spec := range Faces {
		data, err := os.ReadFile(filepath.Join(svgDir, spec.SVG))
		if err != nil {
			t.Fatal(err)
		}
		svg, err := ParseSVGFont(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		var jhf []JHFGlyph
		if spec.JHF != "" {
			raw, err := os.ReadFile(filepath.Join(hersheyDir, "hershey-fonts", spec.JHF))
			if err != nil {
				t.Fatal(err)
			}
			if jhf, err = ParseJHF(raw); err != nil {
				t.Fatal(err)
			}
		}
		f, rep, err := Build(spec, svg, jhf)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Missing) > 0 {
			t.Errorf("%s lacks %q", spec.Name, string(rep.Missing))
		}
		got, err := Encode(f)
		if err != nil {
			t.Fatal(err)
		}
		committed, err := fonts.FS.ReadFile(spec.Name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, committed) {
			t.Errorf("fonts/%s.json is not what go generate ./fonts makes from the sources", spec.Name)
		}
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func BenchmarkBuildAllure(b *testing.B) {
	data, err := os.ReadFile("/tmp/inkscape/usr/share/inkscape/extensions/svg_fonts/EMSAllure.svg")
	if err != nil {
		b.Skip("font sources not unpacked")
	}
	b.ReportAllocs()
	for b.Loop() {
		svg, err := ParseSVGFont(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := Build(Faces[0], svg, nil); err != nil {
			b.Fatal(err)
		}
	}
}
