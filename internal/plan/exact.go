package plan

import "math"

// exactMax is the largest stroke count solved exactly: Held–Karp over subsets costs
// O(2ⁿ·n²), about 400,000 steps at n = 10, less than the local search would spend.
const exactMax = 10

// solveExact replaces the tour by a shortest one (dynamic programming over the subsets of strokes
// drawn, keyed by the end the pen lifts at). Ties go to the first found, so it is deterministic.
func (t *tour) solveExact() {
	m := len(t.seq)
	n := (m - 1) / 2
	if n == 0 || n > exactMax {
		return
	}
	start := int32(2 * n)
	ends := 2 * n
	full := 1<<n - 1
	cost := make([]float64, (full+1)*ends)
	from := make([]int32, (full+1)*ends) // the previous lift point, or start
	for i := range cost {
		cost[i] = math.Inf(1)
	}
	for y := range int32(ends) { // draw stroke y>>1 first, entering at y, lifting at y^1
		k := int(y >> 1)
		i := (1<<k)*ends + int(y^1)
		cost[i], from[i] = t.d(start, y), start
	}
	for mask := 1; mask <= full; mask++ {
		for x := range int32(ends) {
			c := cost[mask*ends+int(x)]
			if math.IsInf(c, 1) {
				continue
			}
			for y := range int32(ends) {
				k := int(y >> 1)
				if mask&(1<<k) != 0 {
					continue
				}
				next := (mask|1<<k)*ends + int(y^1)
				if nc := c + t.d(x, y); nc < cost[next] {
					cost[next], from[next] = nc, x
				}
			}
		}
	}
	best, x := math.Inf(1), int32(-1)
	for e := range int32(ends) {
		if c := cost[full*ends+int(e)]; c < best {
			best, x = c, e
		}
	}
	// Walk back from the last lift point, filling seq from the end.
	mask := full
	for i := m - 1; i > 0; i -= 2 {
		prev := from[mask*ends+int(x)]
		t.seq[i], t.seq[i-1] = x, x^1
		mask &^= 1 << (x >> 1)
		x = prev
	}
	for i, id := range t.seq {
		t.pos[id] = int32(i)
	}
}
