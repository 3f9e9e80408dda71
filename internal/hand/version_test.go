package hand

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
)

// versionGolden holds, under the render version that drew them, the stroke hashes of cards across
// every face, hand, two formats, both alignments and several seeds.
var versionGolden = filepath.Join("testdata", "render-version.golden")

const versionText = "Liebe Ada,\nvielen Dank für den schönen Abend! Bis bald, und grüß alle herzlich.\nDeine Bea"

func versionHashes(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, face := range font.Faces() {
		for _, h := range Hands() {
			for _, fname := range []string{"a6", "dl"} {
				format, err := LookupFormat(fname)
				if err != nil {
					t.Fatal(err)
				}
				for _, align := range []Align{AlignLeft, AlignCenter} {
					for _, seed := range []uint64{1, 2, 0xfedcba9876543210} {
						c, err := Render(Request{Text: versionText, Face: face, Format: format, Hand: h, Seed: seed, Align: align})
						if err != nil {
							t.Fatalf("%s %s %s %s %d: %v", face.Name, h.Name, fname, align, seed, err)
						}
						out = append(out, fmt.Sprintf("%s %s %s %s %d %s", face.Name, h.Name, fname, align, seed, c.Hash()))
					}
				}
			}
		}
	}
	return out
}

// TestRenderVersion fails when the renderer's strokes changed but RenderVersion did not: cards
// accepted under the old strokes must be told apart from cards accepted under the new ones.
// After bumping the version, `go test ./internal/hand -run TestRenderVersion -update` records the
// new strokes.
func TestRenderVersion(t *testing.T) {
	got := versionHashes(t)
	if *update {
		var b bytes.Buffer
		fmt.Fprintf(&b, "version %d\n", RenderVersion)
		for _, l := range got {
			b.WriteString(l + "\n")
		}
		if err := os.WriteFile(versionGolden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(versionGolden)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Scan()
	v, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "version "))
	if err != nil {
		t.Fatalf("%s: first line %q is not \"version N\"", versionGolden, sc.Text())
	}
	var want []string
	for sc.Scan() {
		want = append(want, sc.Text())
	}
	changed := 0
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) || got[i] != want[i] {
			changed++
		}
	}
	switch {
	case changed > 0 && v == RenderVersion:
		t.Errorf("%d of %d cards draw different strokes than under render version %d, which was not bumped: "+
			"bump hand.RenderVersion, then run go test ./internal/hand -run TestRenderVersion -update", changed, len(want), v)
	case v != RenderVersion:
		t.Errorf("%s holds version %d's strokes, the renderer is version %d: run go test ./internal/hand -run TestRenderVersion -update",
			versionGolden, v, RenderVersion)
	}
}
