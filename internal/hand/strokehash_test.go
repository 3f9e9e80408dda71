package hand

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
)

// TestStrokeHashesStay renders every corpus text in every shipped face and hand with three seeds
// and compares each card's stroke hash with testdata/stroke-hashes.golden. The worker refuses a
// card whose strokes hash differently from what intake stored, so a change of the renderer that
// moves any point by a micrometre must be deliberate (rewrite with -update and say why); a
// change made for speed must leave this file as it is. RenderSummary must say what Render's
// card says.
func TestStrokeHashesStay(t *testing.T) {
	if testing.Short() {
		t.Skip("renders about 500 cards")
	}
	texts := corpus(t)
	names := make([]string, 0, len(texts))
	for n := range texts {
		names = append(names, n)
	}
	sort.Strings(names)
	a6 := mustFormat(t, "a6")
	var b strings.Builder
	for _, face := range font.Faces() {
		for _, h := range Hands() {
			for _, name := range names {
				for _, seed := range []uint64{1, 42, 1 << 40} {
					c, err := Render(Request{Text: texts[name], Face: face, Format: a6, Hand: h, Seed: seed})
					if err != nil {
						fmt.Fprintf(&b, "%s %s %s %d error %v\n", face.Name, h.Name, name, seed, err)
						continue
					}
					fmt.Fprintf(&b, "%s %s %s %d %s\n", face.Name, h.Name, name, seed, c.Hash())
					sum, err := RenderSummary(Request{Text: texts[name], Face: face, Format: a6, Hand: h, Seed: seed})
					want := Summary{Format: c.Format, Hash: c.Hash(), Glyphs: c.Glyphs, Lines: c.Lines, XHeight: c.XHeight, Cramped: c.Cramped}
					if err != nil || *sum != want {
						t.Errorf("%s %s %s %d: summary %+v (%v), want %+v", face.Name, h.Name, name, seed, sum, err, want)
					}
				}
			}
		}
	}
	path := filepath.Join("testdata", "stroke-hashes.golden")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(b.String(), "\n")
	for i, w := range strings.Split(string(want), "\n") {
		if i >= len(got) || got[i] != w {
			g := "(missing)"
			if i < len(got) {
				g = got[i]
			}
			t.Fatalf("line %d:\n got %s\nwant %s", i+1, g, w)
		}
	}
	if len(got) != len(strings.Split(string(want), "\n")) {
		t.Fatalf("%d lines, want %d", len(got), len(strings.Split(string(want), "\n")))
	}
}
