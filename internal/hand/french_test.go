package hand

import (
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
)

// TestFrenchSpacing: a space typed before ! ? : ; » or after « becomes a thin no-break space,
// so the sign stays on its word's line; other spaces still separate words.
func TestFrenchSpacing(t *testing.T) {
	f := realFace(t, "allure")
	for _, c := range []struct{ in, want string }{
		{"Merci !", "Merci\u202f!"},
		{"Merci  ?", "Merci\u202f?"},
		{"code : MERCI15 ; bien", "code\u202f: MERCI15\u202f; bien"},
		{"« Jardin »", "«\u202fJardin\u202f»"},
		{"Merci!", "Merci!"},
		{"Hi: there", "Hi: there"},
		{"Merci\u202f!", "Merci\u202f!"},
	} {
		var tx text
		if err := scan(c.in, f, &tx); err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		var words []string
		for _, w := range tx.words {
			words = append(words, string(tx.runes[w.a:w.b]))
		}
		if got := strings.Join(words, " "); got != c.want {
			t.Errorf("%q scanned as %q, want %q", c.in, got, c.want)
		}
	}
}

// TestNoOrphanedPunctuation: over the French cards, every face, hand and ten seeds (so many
// different line breaks), no line starts with ! ? : ; or ».
func TestNoOrphanedPunctuation(t *testing.T) {
	texts := corpus(t)
	a6 := mustFormat(t, "a6")
	lines := 0
	for name, text := range texts {
		if !strings.HasPrefix(name, "fr-") {
			continue
		}
		for _, face := range font.Faces() {
			for _, h := range Hands() {
				for seed := uint64(1); seed <= 10; seed++ {
					r, err := prepare(Request{Text: text, Face: face, Format: a6, Hand: h, Seed: seed})
					if err != nil {
						t.Fatal(err)
					}
					if _, err := r.render(); err != nil {
						t.Fatal(err)
					}
					for _, ln := range r.lines {
						if ln.p0 == ln.p1 {
							continue
						}
						lines++
						if c := r.t.runes[r.pieces[ln.p0].a]; frenchSpaced(c) {
							t.Errorf("%s %s %s seed %d: a line starts with %q", name, face.Name, h.Name, seed, c)
						}
					}
				}
			}
		}
	}
	if lines < 1000 {
		t.Fatalf("only %d lines checked", lines)
	}
}
