package plan

import (
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
)

// TestNoJoinOrBridgeAcrossWords: two words whose strokes touch (or nearly) stay two pen-down
// paths when the strokes carry their words; unlabelled, the same strokes become one.
func TestNoJoinOrBridgeAcrossWords(t *testing.T) {
	for _, gap := range []float64{0, 0.1} { // joined ends, and a gap below MinGap
		strokes := []geom.Stroke{
			{{X: 0, Y: 0}, {X: 1, Y: 0}, {X: 2, Y: 0}},
			{{X: 2 + gap, Y: 0}, {X: 3, Y: 1}, {X: 4, Y: 0}},
		}
		if got := Optimize(strokes, geom.Point{}, Options{}); len(got) != 1 {
			t.Fatalf("gap %g, no words: %d strokes, want 1", gap, len(got))
		}
		got := Optimize(strokes, geom.Point{}, Options{Word: []int{0, 1}, Late: []bool{false, false}})
		if len(got) != 2 {
			t.Errorf("gap %g: strokes of two words became %d pen-down paths, want 2", gap, len(got))
		}
		// Within one word the gap is still drawn across.
		if got := Optimize(strokes, geom.Point{}, Options{Word: []int{0, 0}, Late: []bool{false, false}}); len(got) != 1 {
			t.Errorf("gap %g: one word's strokes became %d paths, want 1", gap, len(got))
		}
	}
}

// TestMarksAfterTheirWord: on every card of the corpus in the joined faces, OrderOptimal draws each word's late
// strokes (dots, bars, accents) after the word's last other stroke, and bridges nothing across
// words, while without the labels the optimiser is free to dot an i before its stem.
func TestMarksAfterTheirWord(t *testing.T) {
	if raceEnabled {
		t.Skip("optimises the whole corpus: too slow under the race detector")
	}
	early := 0
	for _, c := range orderingCorpus(t, "casual") {
		if !strings.Contains(c.name, "/allure/") && !strings.Contains(c.name, "/script/") {
			continue // the joined faces
		}
		for _, labelled := range []bool{true, false} {
			o := Options{}
			if labelled {
				o.Word, o.Late = c.word, c.late
			}
			out := Optimize(c.strokes, geom.Point{}, o)
			// Where each input stroke is drawn: the output stroke holding its end points.
			at := map[geom.Point]int{}
			for i, s := range out {
				for _, p := range s {
					if _, ok := at[p]; !ok {
						at[p] = i
					}
				}
			}
			lastBody := map[int]int{}
			wordOf := map[int]int{} // output stroke -> its word
			for i, s := range c.strokes {
				k, ok := at[s[0]]
				if !ok {
					t.Fatalf("%s: stroke %d's start is not drawn", c.name, i)
				}
				if w, seen := wordOf[k]; labelled && seen && w != c.word[i] {
					t.Fatalf("%s: output stroke %d draws words %d and %d", c.name, k, w, c.word[i])
				}
				wordOf[k] = c.word[i]
				if !c.late[i] {
					lastBody[c.word[i]] = max(lastBody[c.word[i]], k)
				}
			}
			for i, s := range c.strokes {
				if !c.late[i] {
					continue
				}
				if last, ok := lastBody[c.word[i]]; ok && at[s[0]] < last {
					if labelled {
						t.Errorf("%s: late stroke %d of word %d is drawn at %d, before the word's last stroke at %d", c.name, i, c.word[i], at[s[0]], last)
					} else {
						early++
					}
				}
			}
		}
	}
	if early == 0 {
		t.Error("without word labels no mark came before its word: the test cannot tell the constraint from luck")
	}
}
