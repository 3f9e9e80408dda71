package font

import (
	"math"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/fonts"
	"github.com/quillpost/quillpost/internal/geom"
)

func TestEmbeddedFacesLoad(t *testing.T) {
	all, err := loadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range all {
		names = append(names, f.Name)
	}
	if got, want := strings.Join(names, " "), "allure felix readability sans script"; got != want {
		t.Errorf("faces = %q, want %q", got, want)
	}
	for _, n := range names {
		f, err := Lookup(n)
		if err != nil || f.Name != n {
			t.Errorf("Lookup(%q) = %v, %v", n, f, err)
		}
	}
	_, err = Lookup("comic")
	if err == nil || !strings.Contains(err.Error(), `"comic"`) || !strings.Contains(err.Error(), "allure, felix") {
		t.Errorf("Lookup(comic) error = %v; want it to name the face and list the known ones", err)
	}
	// Faces hands out a fresh slice over shared faces.
	a, b := Faces(), Faces()
	a[0] = nil
	if b[0] == nil || Faces()[0] == nil {
		t.Error("Faces() shares its slice")
	}
}

// TestCoverage: every face covers every required repertoire, composed glyphs included.
func TestCoverage(t *testing.T) {
	for _, f := range Faces() {
		var missing []string
		for _, r := range RequiredRunes() {
			if _, ok := f.Glyph(r); !ok {
				missing = append(missing, string(r))
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s lacks %s", f.Name, strings.Join(missing, " "))
		}
		for _, rep := range Repertoires {
			if rep.Required && !f.Covers(rep.Chars) {
				t.Errorf("%s does not cover %s", f.Name, rep.Name)
			}
		}
		if m := f.Missing("Grüße aus Köln – „Œuvre“, l’été… ¿Qué tal? ¡Olé! «Très» € 5"); len(m) > 0 {
			t.Errorf("%s: Missing reports %v", f.Name, m)
		}
		// The characters the EMS and Hershey sources lack are composed, never dropped.
		for _, r := range "„‚‘’…œŒ" {
			if g, ok := f.Glyph(r); !ok || !g.Composed || len(g.Strokes) == 0 {
				t.Errorf("%s: %q should be composed from the face's strokes", f.Name, r)
			}
		}
		for _, r := range "aäé“”€«" {
			if g, _ := f.Glyph(r); g.Composed {
				t.Errorf("%s: %q is in the source but marked composed", f.Name, r)
			}
		}
	}
}

// TestFaceSanity checks the measured metrics and the structural promises of FORMAT.md on
// every glyph of every face.
func TestFaceSanity(t *testing.T) {
	for _, f := range Faces() {
		t.Run(f.Name, func(t *testing.T) {
			// Hershey Script's x-height is 0.28 em (0.43 of its cap height), as small as script
			// x-heights are; the print faces reach 0.48 em.
			if f.XHeight < 0.25*f.UnitsPerEm || f.XHeight > 0.7*f.UnitsPerEm {
				t.Errorf("x-height %v is outside 0.25..0.7 em", f.XHeight)
			}
			if r := f.XHeight / f.CapHeight; r < 0.35 || r > 0.8 {
				t.Errorf("x-height is %.2f of the cap height", r)
			}
			if f.CapHeight <= f.XHeight*1.2 || f.CapHeight > f.Ascent {
				t.Errorf("cap height %v does not fit x-height %v and ascent %v", f.CapHeight, f.XHeight, f.Ascent)
			}
			// The measured x-height is the height of x: its top lies within 2 % of it.
			x, _ := f.Glyph('x')
			if top := -inkBounds(x.Strokes).Min.Y; math.Abs(top-f.XHeight) > 0.1*f.XHeight {
				t.Errorf("x reaches %v, x-height says %v", top, f.XHeight)
			}
			if sp, ok := f.Glyph(' '); !ok || len(sp.Strokes) != 0 || sp.Advance <= 0 {
				t.Errorf("space glyph = %+v", sp)
			}
			for _, r := range f.Runes() {
				g, _ := f.Glyph(r)
				checkGlyph(t, f, g)
			}
			checkLate(t, f)
			if f.Cursive {
				checkJoins(t, f)
			}
		})
	}
}

func checkGlyph(t *testing.T, f *Face, g *Glyph) {
	t.Helper()
	bb := inkBounds(g.Strokes)
	if !bb.Empty() && (bb.Min.Y < -f.Ascent-0.01 || bb.Max.Y > f.Descent+0.01) {
		t.Errorf("%q ink %v leaves ascent %v / descent %v", g.Rune, bb, f.Ascent, f.Descent)
	}
	if g.Advance <= 0 && g.Rune != 0 {
		t.Errorf("%q advance %v", g.Rune, g.Advance)
	}
	seenLate := false
	lastBody := -1
	for i, l := range g.Late {
		if l {
			seenLate = true
		} else {
			if seenLate {
				t.Errorf("%q: body stroke %d after a late stroke", g.Rune, i)
			}
			lastBody = i
		}
	}
	if g.Joins {
		if lastBody < 0 {
			t.Fatalf("%q joins without a body stroke", g.Rune)
		}
		if g.Entry.Dist(g.Strokes[0].Start) > 0.01 {
			t.Errorf("%q: entry %v is not the first stroke's start %v", g.Rune, g.Entry, g.Strokes[0].Start)
		}
		if g.Exit.Dist(g.Strokes[lastBody].End()) > 0.01 {
			t.Errorf("%q: exit %v is not the last body stroke's end %v", g.Rune, g.Exit, g.Strokes[lastBody].End())
		}
		// The entry lies in the join zone between a little below the baseline and a little
		// above the x-height.
		if g.Entry.Y < -1.15*f.XHeight-0.01 || g.Entry.Y > 0.12*f.XHeight+0.01 {
			t.Errorf("%q: entry %v outside the join zone", g.Rune, g.Entry)
		}
		if !g.LiftAfter && (g.Exit.X < 0.5*g.Advance-0.01 || g.Exit.Y < -0.8*f.XHeight-0.01 || g.Exit.Y > 0.12*f.XHeight+0.01) {
			t.Errorf("%q: joins on from exit %v that is not on the right in the zone", g.Rune, g.Exit)
		}
	}
	if !g.Joins && !g.LiftAfter {
		t.Errorf("%q neither joins nor lifts after", g.Rune)
	}
}

// checkLate: dots, t-bars and accents are late; nothing else in plain letters is.
func checkLate(t *testing.T, f *Face) {
	t.Helper()
	late := func(r rune) int {
		g, _ := f.Glyph(r)
		n := 0
		for _, l := range g.Late {
			if l {
				n++
			}
		}
		return n
	}
	for _, r := range "ijäöüéèêçñÄÖÜÉàÀ" {
		if late(r) == 0 {
			t.Errorf("%q has no late stroke", r)
		}
	}
	// A t drawn in one stroke (Felix, Readability) has no bar to add later.
	if g, _ := f.Glyph('t'); len(g.Strokes) > 1 && late('t') != 1 {
		t.Errorf("t has %d strokes but %d late ones", len(g.Strokes), late('t'))
	}
	for _, r := range "abcdefghklmnopqrsuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" {
		if n := late(r); n != 0 {
			t.Errorf("%q has %d late strokes", r, n)
		}
	}
	// Umlaut dots (two, or one stroke through both) sit above the letter's body.
	g, _ := f.Glyph('ü')
	body := geom.EmptyRect
	for i, s := range g.Strokes {
		if !g.Late[i] {
			body = body.Union(inkBounds([]geom.Path{s}))
		}
	}
	for i, s := range g.Strokes {
		if g.Late[i] && inkBounds([]geom.Path{s}).Max.Y > body.Min.Y+0.05*f.XHeight {
			t.Errorf("ü: late stroke %d is not above the body", i)
		}
	}
}

func checkJoins(t *testing.T, f *Face) {
	t.Helper()
	joining, onward := 0, 0
	for _, r := range "abcdefghijklmnopqrstuvwxyz" {
		g, _ := f.Glyph(r)
		if g.Joins {
			joining++
			if !g.LiftAfter {
				onward++
			}
		}
	}
	if joining < 24 || onward < 15 {
		t.Errorf("only %d lower-case letters join and %d join on; a cursive face needs most", joining, onward)
	}
	for _, r := range "AZ09.!" {
		if g, _ := f.Glyph(r); g.Joins {
			t.Errorf("%q joins; only lower-case letters do", r)
		}
	}
}

func inkBounds(paths []geom.Path) geom.Rect {
	var strokes []geom.Stroke
	for _, p := range paths {
		strokes = append(strokes, p.Flatten(0.5, nil))
	}
	return geom.Bounds(strokes)
}

func TestLicenceFiles(t *testing.T) {
	for _, f := range Faces() {
		data, err := fonts.FS.ReadFile(f.LicenseFile)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		text := string(data)
		var want []string
		switch f.License {
		case "OFL-1.1":
			want = []string{"SIL OPEN FONT LICENSE Version 1.1", "Copyright", "Sheldon B. Michaels", "Windell H. Oskay",
				"TERMINATION", "DISCLAIMER"}
		case "Hershey":
			want = []string{"The Hershey Fonts were originally created by Dr.", "A. V. Hershey",
				"National Bureau of Standards.", "James Hurt", "Cognition, Inc.", "(mit-eddie!ci-dandelion!hurt)",
				"*EXCEPT* the format distributed by"}
		default:
			t.Errorf("%s: unknown licence %q", f.Name, f.License)
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: %s lacks %q", f.Name, f.LicenseFile, w)
			}
		}
	}
}

func BenchmarkLoadFaces(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := loadEmbedded(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFaces(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if len(Faces()) == 0 {
			b.Fatal("no faces")
		}
	}
}

func BenchmarkMissing(b *testing.B) {
	f, err := Lookup("allure")
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("Liebe Grüße aus Köln – bis bald!\n", 12)
	b.ReportAllocs()
	for b.Loop() {
		if m := f.Missing(text); m != nil {
			b.Fatal(m)
		}
	}
}
