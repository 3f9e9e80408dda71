package plan

import "github.com/quillpost/quillpost/internal/geom"

// naturalOrder keeps the writing order but moves each word's late strokes (i-dots, t-bars,
// accents) to right after the word's last ordinary stroke, keeping their relative order. A late
// stroke whose word has no ordinary stroke stays where it is. Without usable word and late data
// (nil or not parallel to strokes) the given order is kept. Empty strokes are skipped; no stroke
// is reversed.
func naturalOrder(strokes []geom.Stroke, word []int, late []bool) []link {
	if len(word) != len(strokes) || len(late) != len(strokes) {
		return identity(strokes)
	}
	lastBody := make(map[int]int) // word -> index of its last ordinary, non-empty stroke
	lateOf := make(map[int][]int32)
	for i, s := range strokes {
		if len(s) == 0 {
			continue
		}
		if late[i] {
			lateOf[word[i]] = append(lateOf[word[i]], int32(i))
		} else {
			lastBody[word[i]] = i
		}
	}
	out := make([]link, 0, len(strokes))
	for i, s := range strokes {
		if len(s) == 0 {
			continue
		}
		w := word[i]
		last, hasBody := lastBody[w]
		if late[i] {
			if !hasBody {
				out = append(out, link{stroke: int32(i)})
			}
			continue
		}
		out = append(out, link{stroke: int32(i)})
		if i == last {
			for _, j := range lateOf[w] {
				out = append(out, link{stroke: j})
			}
		}
	}
	return out
}
