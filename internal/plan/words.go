package plan

import (
	"math"
	"slices"

	"github.com/quillpost/quillpost/internal/geom"
)

// words labels strokes with the word they belong to and whether a writer adds them after the
// word (Options.Word and Late), for the strokes OrderOptimal orders.
type words struct {
	word []int
	late []bool
}

// wordsOf returns the labels of n strokes from the options when they are usable: one word and
// one late flag per stroke. Otherwise it returns nil.
func wordsOf(o Options, n int) *words {
	if len(o.Word) != n || len(o.Late) != n || n == 0 {
		return nil
	}
	return &words{word: o.Word, late: o.Late}
}

// joinWithinWords is join for labelled strokes: strokes join only with strokes of the same word
// and the same kind (late or not), so no two words ever become one pen-down path and a dot never
// fuses with its stem. It returns the joined strokes and their labels, group by group in the
// order the groups first appear. Empty strokes are dropped.
func joinWithinWords(strokes []geom.Stroke, ws *words) ([]geom.Stroke, *words) {
	type key struct {
		word int
		late bool
	}
	var keys []key
	groups := map[key][]geom.Stroke{}
	for i, s := range strokes {
		if len(s) == 0 {
			continue
		}
		k := key{ws.word[i], ws.late[i]}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], s)
	}
	out := make([]geom.Stroke, 0, len(strokes))
	labels := &words{}
	for _, k := range keys {
		for _, s := range join(groups[k], JoinDistance) {
			out = append(out, s)
			labels.word = append(labels.word, k.word)
			labels.late = append(labels.late, k.late)
		}
	}
	return out, labels
}

// lateWindow is how many places after its word's last stroke marksAfterWords looks for the
// cheapest place to draw a late stroke: a dot belongs near its word, and the bound keeps the pass
// linear on a page of thousands of words.
const lateWindow = 64

// marksAfterWords moves every late stroke that the tour draws before its word is finished to the
// cheapest place (and direction) after the word's last other stroke, within lateWindow places,
// as a writer dots the i after writing the word. Late strokes are placed in tour order, each
// after the previous one's move, so the result is deterministic.
func marksAfterWords(t *tour, order []link, ws *words) []link {
	lastBody := map[int]int{} // word -> position of its last body stroke in order
	for i, l := range order {
		if !ws.late[l.stroke] {
			lastBody[ws.word[l.stroke]] = i
		}
	}
	var early []int32
	for i, l := range order {
		if last, ok := lastBody[ws.word[l.stroke]]; ok && ws.late[l.stroke] && i < last {
			early = append(early, l.stroke)
		}
	}
	if len(early) == 0 {
		return order
	}
	isEarly := map[int32]bool{}
	for _, s := range early {
		isEarly[s] = true
	}
	out := slices.DeleteFunc(slices.Clone(order), func(l link) bool { return isEarly[l.stroke] })
	// Pen positions: where the pen is before drawing out[i], i.e. the end of out[i-1] (or the start).
	end := func(l link) geom.Point {
		if l.rev {
			return t.pts[2*l.stroke]
		}
		return t.pts[2*l.stroke+1]
	}
	for _, s := range early {
		w := ws.word[s]
		last := -1
		for i := len(out) - 1; i >= 0; i-- {
			if !ws.late[out[i].stroke] && ws.word[out[i].stroke] == w {
				last = i
				break
			}
		}
		a, b := t.pts[2*s], t.pts[2*s+1]
		bestCost, bestAt, bestRev := math.Inf(1), last+1, false
		for at := last + 1; at <= min(len(out), last+1+lateWindow); at++ {
			from := end(out[at-1])
			var next geom.Point
			hasNext := at < len(out)
			if hasNext {
				next = t.pts[2*out[at].stroke]
				if out[at].rev {
					next = t.pts[2*out[at].stroke+1]
				}
			}
			for _, rev := range [2]bool{false, true} {
				in, outP := a, b
				if rev {
					in, outP = b, a
				}
				c := from.Dist(in)
				if hasNext {
					c += outP.Dist(next) - from.Dist(next)
				}
				if c < bestCost {
					bestCost, bestAt, bestRev = c, at, rev
				}
			}
		}
		out = slices.Insert(out, bestAt, link{stroke: s, rev: bestRev})
	}
	return out
}

// bridgeWithin is bridge that draws across a gap only between two strokes of the same word.
func bridgeWithin(strokes []geom.Stroke, order []link, gap float64, word []int) []geom.Stroke {
	return bridgeIf(strokes, order, gap, func(a, b int32) bool { return word[a] == word[b] })
}
