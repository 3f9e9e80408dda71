package plan_test

import (
	"math"

	"github.com/quillpost/quillpost/internal/geom"
)

// heldKarpBound returns a lower bound on the pen-up travel of any order of strokes from start
// (each stroke reversible): the Held–Karp Lagrangian bound on the shortest Hamiltonian path that
// begins at start, over the graph whose nodes are start and the strokes and whose edge weights
// are the distances between their nearest ends. For penalties π on the strokes, any such path P
// with w'(u,v) = w(u,v) + π_u + π_v satisfies cost(P) = w'(P) − 2Σπ + π_last ≥ MST(w') − 2Σπ +
// min π, so every π gives a valid bound; subgradient steps (degree − 2) push the tree towards a
// path. Dense O(n²) per step: a test tool for cards, far too slow for a 10,000-stroke page.
// upper is a known path cost (the optimiser's) that sizes the steps.
func heldKarpBound(strokes []geom.Stroke, start geom.Point, upper float64, steps int) float64 {
	var s []geom.Stroke
	for _, st := range strokes {
		if len(st) > 0 {
			s = append(s, st)
		}
	}
	n := len(s) + 1 // node 0 is the start
	if n < 2 {
		return 0
	}
	ends := func(i int) []geom.Point {
		if i == 0 {
			return []geom.Point{start}
		}
		st := s[i-1]
		return []geom.Point{st[0], st[len(st)-1]}
	}
	w := make([]float64, n*n)
	for i := range n {
		for j := i + 1; j < n; j++ {
			d := math.Inf(1)
			for _, a := range ends(i) {
				for _, b := range ends(j) {
					d = min(d, a.Dist(b))
				}
			}
			w[i*n+j], w[j*n+i] = d, d
		}
	}
	pi := make([]float64, n)
	deg := make([]int, n)
	key := make([]float64, n)
	parent := make([]int, n)
	in := make([]bool, n)
	best := 0.0
	lambda := 2.0
	sinceBest := 0
	for range steps {
		// Prim on w'.
		for i := range n {
			key[i], parent[i], in[i], deg[i] = math.Inf(1), -1, false, 0
		}
		key[0] = 0
		tree := 0.0
		for range n {
			u := -1
			for i := range n {
				if !in[i] && (u < 0 || key[i] < key[u]) {
					u = i
				}
			}
			in[u] = true
			tree += key[u]
			if parent[u] >= 0 {
				deg[u]++
				deg[parent[u]]++
			}
			for v := range n {
				if !in[v] {
					if c := w[u*n+v] + pi[u] + pi[v]; c < key[v] {
						key[v], parent[v] = c, u
					}
				}
			}
		}
		sum, minPi := 0.0, math.Inf(1)
		for i := 1; i < n; i++ {
			sum += pi[i]
			minPi = min(minPi, pi[i])
		}
		lb := tree - 2*sum + minPi
		if lb > best+1e-9 {
			best, sinceBest = lb, 0
		} else if sinceBest++; sinceBest > 20 {
			lambda, sinceBest = lambda/2, 0
		}
		// Subgradient: strokes want degree 2 (one of them 1, ignored), the start degree 1.
		norm := 0.0
		for i := 1; i < n; i++ {
			g := float64(deg[i] - 2)
			norm += g * g
		}
		if norm == 0 || lambda < 1e-6 {
			break
		}
		step := lambda * (upper - lb) / norm
		for i := 1; i < n; i++ {
			pi[i] += step * float64(deg[i]-2)
		}
	}
	return best
}
