package hand

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// altFace is a face whose "o" has two alternates told apart by their stroke count: the glyph
// itself one stroke, the first alternate two, the second three.
func altFace(t *testing.T) *font.Face {
	t.Helper()
	adv := func(v float64) *float64 { return &v }
	o := func(n int) font.FileGlyph {
		g := font.FileGlyph{Advance: adv(420)}
		for i := range n {
			x := 60 + float64(i)*100
			g.Strokes = append(g.Strokes, fmt.Sprintf("M %v -400 C %v -420 %v -300 %v 0", x, x+80, x+90, x+20))
			g.Late = append(g.Late, false)
		}
		return g
	}
	prim := o(1)
	prim.Alternates = []font.FileGlyph{o(2), o(3)}
	f, err := font.FromFile(&font.File{
		Format: font.Format, Name: "alt", Title: "Alternates", License: "test", UnitsPerEm: 1000,
		Ascent: 800, Descent: 300, XHeight: 400, CapHeight: 700,
		Glyphs: map[string]font.FileGlyph{" ": {Advance: adv(260)}, "o": prim},
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// chosen renders text and returns, word by word, which alternate each word's o's were (by
// their stroke counts: 0 the glyph, 1 and 2 its alternates).
func chosen(t *testing.T, face *font.Face, text string, seed uint64) string {
	t.Helper()
	c := render(t, Request{Text: text, Face: face, Format: mustFormat(t, "a6"), Hand: mustHand(t, "casual"), Seed: seed})
	per := map[int]int{}
	words := 0
	for _, w := range c.Word {
		per[w]++
		words = max(words, w+1)
	}
	var b strings.Builder
	for w := range words {
		// Strokes per word: 1, 2 or 3 per o; the test's words are single o's or "ooo".
		b.WriteString(fmt.Sprint(per[w]))
		b.WriteByte(' ')
	}
	return strings.TrimSpace(b.String())
}

// TestAlternatesChosen: the hand writes every real variant, the same ones for the same seed,
// and never the same one twice in a word before all have been used.
func TestAlternatesChosen(t *testing.T) {
	face := altFace(t)
	single := strings.TrimSpace(strings.Repeat("o ", 24))
	var lines []string
	for seed := uint64(1); seed <= 4; seed++ {
		got := chosen(t, face, single, seed)
		if again := chosen(t, face, single, seed); again != got {
			t.Errorf("seed %d: %q then %q", seed, got, again)
		}
		for _, n := range []string{"1", "2", "3"} {
			if !strings.Contains(" "+got+" ", " "+n+" ") {
				t.Errorf("seed %d: variant with %s strokes never written: %s", seed, n, got)
			}
		}
		lines = append(lines, fmt.Sprintf("seed %d: %s", seed, got))
	}
	// Three o's in one word: each variant once, so six strokes.
	for seed := uint64(1); seed <= 8; seed++ {
		if got := chosen(t, face, "ooo ooo", seed); got != "6 6" {
			t.Errorf("seed %d: strokes per word %q, want every variant once per word (6 6)", seed, got)
		}
	}
	goldenFile(t, "alternates.golden", strings.Join(lines, "\n")+"\n")
}

func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update writes it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s:\ngot  %s\nwant %s", name, got, want)
	}
}
