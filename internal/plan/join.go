package plan

import "github.com/quillpost/quillpost/internal/geom"

// endpoints returns the end points of strokes by id: stroke i's start at 2i, its end at 2i+1.
func endpoints(strokes []geom.Stroke) []geom.Point {
	pts := make([]geom.Point, 2*len(strokes))
	for i, s := range strokes {
		pts[2*i], pts[2*i+1] = s[0], s[len(s)-1]
	}
	return pts
}

// link is one stroke of a chain, drawn forwards or reversed.
type link struct {
	stroke int32
	rev    bool
}

// join chains strokes whose ends lie within eps of each other into single strokes, reversing
// strokes as needed. Chains grow in input order, first at the tail, then at the head, always
// taking the nearest matching end, so the result is deterministic. Where two joined ends are
// not identical, both points are kept: the tiny link between them (shorter than eps) is drawn.
// A stroke never joins itself, so closed loops stay as they are. Strokes must not be empty.
func join(strokes []geom.Stroke, eps float64) []geom.Stroke {
	if len(strokes) < 2 {
		return strokes
	}
	eps2 := eps * eps
	t := newKDTree(endpoints(strokes))
	var chain, head []link
	out := make([]geom.Stroke, 0, len(strokes))
	var buf []geom.Point
	nPts := 0
	for _, s := range strokes {
		nPts += len(s)
	}
	buf = make([]geom.Point, 0, nPts)
	for i := range strokes {
		if t.dead[2*i] {
			continue
		}
		t.remove(int32(2 * i))
		t.remove(int32(2*i + 1))
		chain = append(chain[:0], link{int32(i), false})
		tail := strokes[i][len(strokes[i])-1]
		for {
			c, ok := t.nearest(tail, -1)
			if !ok || c.d > eps2 {
				break
			}
			j := c.id >> 1
			rev := c.id&1 == 1 // met at j's end: draw j backwards
			t.remove(2 * j)
			t.remove(2*j + 1)
			chain = append(chain, link{j, rev})
			tail = strokes[j][0]
			if !rev {
				tail = strokes[j][len(strokes[j])-1]
			}
		}
		head = head[:0]
		front := strokes[i][0]
		for {
			c, ok := t.nearest(front, -1)
			if !ok || c.d > eps2 {
				break
			}
			j := c.id >> 1
			rev := c.id&1 == 0 // met at j's start: j must end there, so draw it backwards
			t.remove(2 * j)
			t.remove(2*j + 1)
			head = append(head, link{j, rev})
			front = strokes[j][len(strokes[j])-1]
			if !rev {
				front = strokes[j][0]
			}
		}
		if len(chain) == 1 && len(head) == 0 {
			out = append(out, strokes[i])
			continue
		}
		k := len(buf)
		for h := len(head) - 1; h >= 0; h-- {
			buf = appendLink(buf, strokes, head[h], k)
		}
		for _, l := range chain {
			buf = appendLink(buf, strokes, l, k)
		}
		out = append(out, geom.Stroke(buf[k:len(buf):len(buf)]))
	}
	return out
}

// appendLink appends the link's stroke to buf, dropping its first point when it repeats the
// previous one exactly (the joined path already ends there). k is where the current path began.
func appendLink(buf []geom.Point, strokes []geom.Stroke, l link, k int) []geom.Point {
	s := strokes[l.stroke]
	first := true
	for n := range s {
		p := s[n]
		if l.rev {
			p = s[len(s)-1-n]
		}
		if first && len(buf) > k && buf[len(buf)-1] == p {
			first = false
			continue
		}
		first = false
		buf = append(buf, p)
	}
	return buf
}
