package plan

import (
	"math"
	"slices"
)

// Local search over a tour: 2-opt and or-opt moves, each tried only towards the few nearest end
// points of the point being examined (neighbour lists from the k-d tree), driven by a work queue
// of points whose surroundings changed ("don't look bits"). This is the standard way to keep 2-opt
// near O(n log n) on large inputs: a point far away is never a candidate, so there is no O(n²)
// scan. After the first local optimum, iterated local search perturbs the tour with small double
// bridges and keeps what pays off. All limits are counts, never clock time, so the result is
// deterministic; the tour is an array, so a move costs O(its span), bounded in total by
// workPerNode.
const (
	maxChain    = 3    // or-opt moves chains of 1..maxChain strokes (bestMove's default)
	minGain     = 1e-7 // mm: smaller "improvements" are rounding noise and could cycle
	popsPerNode = 12   // queue pops allowed per tour point
)

// move is a candidate change to the tour.
type move struct {
	gain float64
	kind uint8 // moveNone, move2Opt or moveOrOpt
	l, r int   // the run seq[l..r] (l odd, r even) that is reversed or moved
	g    int   // or-opt: the run goes between seq[g] and seq[g+1]
	rev  bool  // or-opt: the run is inserted reversed
}

const (
	moveNone uint8 = iota
	move2Opt
	moveOrOpt
)

// improver runs the local search. Moves applied since the last checkpoint are journaled so that
// a perturbation that did not pay off can be undone exactly.
type improver struct {
	t          *tour
	nb         []int32 // neighbour lists, k per id
	k          int
	chain      int
	queue      []int32
	head       int
	inQ        []bool
	journal    []move
	gain       float64 // pen-up mm saved since the last checkpoint
	work       int     // array elements moved so far
	workBudget int
	run        []int32 // scratch for moveRun
}

// improve runs 2-opt and or-opt to a local optimum, then kicks perturbations: kicks rounds of
// a random local double bridge followed by local search, kept only when the tour got shorter
// (iterated local search). All randomness comes from a fixed-seed generator, so the result is
// deterministic. The work is bounded by counts proportional to the tour size.
func (t *tour) improve(kicks int) {
	n := uint64((len(t.seq) - 1) / 2)
	t.search(searchConfig{
		neighbours: 8, chain: maxChain, kicks: kicks, kickRun: kickRun,
		seed: n*0x9e3779b97f4a7c15 + 1, workBudget: workPerNode*len(t.seq) + 1_000_000,
	})
}

// bestOfRuns runs the search runs times from copies of t, each with its own generator, and
// returns the shortest tour.
func (t *tour) bestOfRuns(runs, kicks int) *tour {
	n := uint64((len(t.seq) - 1) / 2)
	var best *tour
	bestLen := math.Inf(1)
	nb := t.neighbourLists(10) // the same for every run: the end points do not move
	for r := range runs {
		c := &tour{strokes: t.strokes, pts: t.pts, seq: slices.Clone(t.seq), pos: slices.Clone(t.pos)}
		if r%2 == 1 {
			c.inGivenOrder()
		}
		c.search(searchConfig{
			neighbours: 10, nb: nb, chain: 5, kicks: kicks, kickRun: cardKickRun, slack: 0.003, cacheLinks: true,
			seed: n*0x9e3779b97f4a7c15 + uint64(r+1), workBudget: workPerNode*len(t.seq) + 1_000_000,
		})
		if l := c.penUp(); l < bestLen {
			best, bestLen = c, l
		}
	}
	return best
}

// inGivenOrder rebuilds t as the strokes in their given order (the writing order, line by line),
// each drawn from its end nearer the pen: a second starting point whose local optima differ
// from the greedy tour's.
func (t *tour) inGivenOrder() {
	n := len(t.strokes)
	t.seq = t.seq[:1]
	cur := t.pts[2*n]
	for i := range n {
		in, out := int32(2*i), int32(2*i+1)
		if dist2(cur, t.pts[out]) < dist2(cur, t.pts[in]) {
			in, out = out, in
		}
		t.pos[in], t.pos[out] = int32(len(t.seq)), int32(len(t.seq)+1)
		t.seq = append(t.seq, in, out)
		cur = t.pts[out]
	}
}

// searchConfig sets the limits of one local search run.
type searchConfig struct {
	neighbours int     // candidate end points per end point
	nb         []int32 // the neighbour lists, when already computed for this tour's strokes
	chain      int     // or-opt moves chains of 1..chain strokes
	kicks      int     // perturbation rounds
	kickRun    int     // longest run of strokes a double bridge moves
	// cacheLinks keeps the pen-up link lengths in an array: it pays on a card, whose search
	// evaluates many moves per move made, not on a page, whose long moves would recompute them.
	cacheLinks bool
	seed       uint64  // of the kicks' generator
	workBudget int     // array elements moved, over the whole run
	slack      float64 // a kick that leaves the tour at most this fraction longer than the best is kept
}

// search runs the local search to a local optimum and then cfg.kicks rounds of iterated local
// search, and leaves the best tour it saw.
func (t *tour) search(cfg searchConfig) {
	m := len(t.seq)
	if m < 5 { // fewer than two strokes: only the single stroke's direction could change
		if m == 3 && t.d(t.seq[0], t.seq[2]) < t.d(t.seq[0], t.seq[1]) {
			t.reverse(1, 2)
		}
		return
	}
	if cfg.nb == nil {
		cfg.nb = t.neighbourLists(cfg.neighbours)
	}
	if cfg.cacheLinks {
		t.cacheLinks()
		defer func() { t.up = nil }()
	}
	im := &improver{
		t:          t,
		nb:         cfg.nb,
		k:          cfg.neighbours,
		chain:      cfg.chain,
		queue:      make([]int32, 0, m),
		inQ:        make([]bool, m),
		workBudget: cfg.workBudget,
	}
	for _, id := range t.seq {
		im.push(id)
	}
	im.search(popsPerNode * m)
	n := (m - 1) / 2
	rng := splitmix(cfg.seed)
	cost := t.penUp()
	best := cost
	// Without sideways steps the tour never gets longer than the best, so only a search with
	// slack keeps a copy of the best tour (a page's copies would cost more than its moves).
	var bestSeq []int32
	if cfg.slack > 0 {
		bestSeq = slices.Clone(t.seq)
	}
	for range cfg.kicks {
		if im.work >= im.workBudget {
			break
		}
		// A double bridge swaps two adjacent runs of strokes A B -> B A (A maybe reversed): a
		// change 2-opt and or-opt cannot make or undo in one step, so the search that follows
		// explores a new neighbourhood instead of falling straight back.
		i := rng.intN(n - 1)
		la := 1 + rng.intN(min(cfg.kickRun, n-1-i))
		lb := 1 + rng.intN(min(cfg.kickRun, n-i-la))
		l, r, g := 2*i+1, 2*(i+la), 2*(i+la+lb)
		rev := rng.intN(2) == 1
		im.journal, im.gain = im.journal[:0], 0
		im.apply(move{gain: t.orOptGain(l, r, g, rev), kind: moveOrOpt, l: l, r: r, g: g, rev: rev})
		im.search(kickPops)
		switch next := cost - im.gain; {
		case next < best-minGain:
			cost, best = next, next
			if bestSeq != nil {
				bestSeq = append(bestSeq[:0], t.seq...)
			}
		case cfg.slack > 0 && next <= best+cfg.slack*best:
			cost = next // a sideways step: worse than the best, but may lead out of its basin
		default:
			im.undo()
		}
	}
	if cost > best && bestSeq != nil {
		copy(t.seq, bestSeq)
		for i, id := range t.seq {
			t.pos[id] = int32(i)
		}
		t.refreshLinks(0, len(t.seq)-1)
	}
}

// Limits of the perturbation phase.
const (
	workPerNode = 1024 // array elements moved per tour point, over the whole search
	kickRun     = 16   // longest run of strokes a double bridge moves on a page
	// cardKickRun is a card's: on the test corpus bigger kicks find better tours (the mean gap to
	// the reference search falls from 1 % at 16 strokes to 0.2 % at 64), because a card's best
	// tours differ in how whole lines and words are threaded, not in a few strokes.
	cardKickRun = 64
	kickPops    = 64 // queue pops allowed after each kick
)

func (im *improver) push(id int32) {
	if !im.inQ[id] {
		im.inQ[id] = true
		im.queue = append(im.queue, id)
	}
}

// search pops points off the queue and applies the best improving move around each, until the
// queue is empty or maxPops points were examined; what is left in the queue is dropped.
func (im *improver) search(maxPops int) {
	t := im.t
	for pops := 0; im.head < len(im.queue) && pops < maxPops; pops++ {
		p := im.queue[im.head]
		im.head++
		im.inQ[p] = false
		mv := t.bestMove(p, im.nb[int(p)*im.k:int(p+1)*im.k], im.chain)
		if mv.kind == moveNone || im.work+mv.span() > im.workBudget {
			continue
		}
		im.apply(mv)
		im.push(p)
	}
	for _, id := range im.queue[im.head:] {
		im.inQ[id] = false
	}
	im.queue, im.head = im.queue[:0], 0
}

// span returns how many array elements applying mv moves.
func (mv move) span() int {
	s := mv.r - mv.l + 1
	if mv.kind == moveOrOpt {
		s += max(mv.g-mv.r, mv.l-1-mv.g)
	}
	return s
}

// apply makes mv, journals it, and queues the points whose pen-up links changed.
func (im *improver) apply(mv move) {
	t := im.t
	m := len(t.seq)
	touched := [...]int{mv.l - 1, mv.l, mv.r, mv.r + 1, mv.g, mv.g + 1}
	var ids [len(touched)]int32
	for i, x := range touched {
		ids[i] = -1
		if x >= 0 && x < m && (mv.kind == moveOrOpt || i < 4) {
			ids[i] = t.seq[x]
		}
	}
	im.do(mv)
	im.journal = append(im.journal, mv)
	im.gain += mv.gain
	for _, id := range ids {
		if id >= 0 {
			im.push(id)
		}
	}
}

func (im *improver) do(mv move) {
	im.work += mv.span()
	if mv.kind == move2Opt {
		im.t.reverse(mv.l, mv.r)
	} else {
		im.run = im.t.moveRun(mv.l, mv.r, mv.g, mv.rev, im.run)
	}
}

// undo reverts the journaled moves, newest first. A reversal undoes itself; a run moved into the
// gap after g is moved back from where it landed into the gap it left.
func (im *improver) undo() {
	for i := len(im.journal) - 1; i >= 0; i-- {
		mv := im.journal[i]
		if mv.kind == moveOrOpt {
			n := mv.r - mv.l + 1
			if mv.g > mv.r {
				mv.l, mv.r, mv.g = mv.g-n+1, mv.g, mv.l-1
			} else {
				mv.l, mv.r, mv.g = mv.g+1, mv.g+n, mv.r
			}
		}
		im.do(mv)
	}
	im.journal, im.gain = im.journal[:0], 0
}

// neighbourLists returns, for every id (the start included), its nearest end points of other
// strokes, k per id, padded with -1.
func (t *tour) neighbourLists(k int) []int32 {
	n2 := len(t.pts) - 1
	tree := newKDTree(t.pts[:n2])
	nb := make([]int32, len(t.pts)*k)
	var buf []cand
	for id := range t.pts {
		skip := int32(id >> 1)
		if id == n2 {
			skip = -1
		}
		buf = tree.nearestK(t.pts[id], k, skip, buf)
		row := nb[id*k : (id+1)*k]
		for i := range row {
			row[i] = -1
			if i < len(buf) {
				row[i] = buf[i].id
			}
		}
	}
	return nb
}

// bestMove returns the best improving move that gives p a pen-up link to one of its neighbours.
//
// Every move here cuts p's own pen-up link and gives p a new one to c, so a move can only pay when
// the new link is shorter (the gain criterion of Lin–Kernighan); the neighbours come nearest
// first, so the scan stops at the first that is not.
func (t *tour) bestMove(p int32, nb []int32, chain int) move {
	best := move{gain: minGain}
	x := int(t.pos[p])
	m := len(t.seq)
	var link float64
	if x%2 == 0 {
		link = t.after(x) // p's link: to the next stroke if p is where the pen lifts
	} else {
		link = t.after(x - 1) // from the previous stroke if p is where it goes down
	}
	for _, c := range nb {
		if c < 0 {
			break
		}
		dpc := t.d(p, c)
		if dpc >= link {
			break
		}
		y := int(t.pos[c])
		if x%2 == 0 {
			// p is where the pen lifts (or the start). 2-opt: reverse seq[x+1..y] so that the pen
			// goes from p to c, then from seq[x+1] on to seq[y+1].
			if y%2 == 0 && y > x {
				g := t.after(x) + t.after(y) - dpc - t.dTo(t.seq[x+1], y+1)
				if g > best.gain {
					best = move{gain: g, kind: move2Opt, l: x + 1, r: y}
				}
			}
			// or-opt: move the chain of strokes ending at p next to c.
			if x == 0 {
				continue
			}
			for L := 1; L <= chain; L++ {
				l := x - 2*L + 1
				if l < 1 {
					break
				}
				if y%2 == 1 { // forward, into the gap before c
					t.tryOrOpt(&best, l, x, y-1, false)
				} else { // reversed, into the gap after c
					t.tryOrOpt(&best, l, x, y, true)
				}
			}
			continue
		}
		// p is where the pen goes down. 2-opt: reverse seq[y..x-1] so that the pen goes from
		// seq[y-1] to seq[x-1], then from c to p.
		if y%2 == 1 && y < x {
			g := t.after(y-1) + t.after(x-1) - t.d(t.seq[y-1], t.seq[x-1]) - dpc
			if g > best.gain {
				best = move{gain: g, kind: move2Opt, l: y, r: x - 1}
			}
		}
		// or-opt: move the chain of strokes starting at p next to c.
		for L := 1; L <= chain; L++ {
			r := x + 2*L - 1
			if r >= m {
				break
			}
			if y%2 == 0 { // forward, into the gap after c
				t.tryOrOpt(&best, x, r, y, false)
			} else { // reversed, into the gap before c
				t.tryOrOpt(&best, x, r, y-1, true)
			}
		}
	}
	return best
}

// tryOrOpt evaluates moving the run seq[l..r] into the gap between seq[g] and seq[g+1] (reversed
// or not) and records it in best if it gains more.
func (t *tour) tryOrOpt(best *move, l, r, g int, rev bool) {
	if g >= l-1 && g <= r {
		return
	}
	if gain := t.orOptGain(l, r, g, rev); gain > best.gain {
		*best = move{gain: gain, kind: moveOrOpt, l: l, r: r, g: g, rev: rev}
	}
}

// orOptGain returns the pen-up mm saved by moving seq[l..r] (l odd, r even) into the gap after
// seq[g], g outside [l-1, r]: three pen-up links are cut and three made.
func (t *tour) orOptGain(l, r, g int, rev bool) float64 {
	removed := t.after(l-1) + t.after(r) + t.after(g)
	added := t.dTo(t.seq[l-1], r+1)
	in, out := t.seq[l], t.seq[r]
	if rev {
		in, out = out, in
	}
	added += t.d(t.seq[g], in) + t.dTo(out, g+1)
	return removed - added
}

// reverse reverses seq[l..r] and fixes pos.
func (t *tour) reverse(l, r int) {
	for i, j := l, r; i < j; i, j = i+1, j-1 {
		t.seq[i], t.seq[j] = t.seq[j], t.seq[i]
	}
	for i := l; i <= r; i++ {
		t.pos[t.seq[i]] = int32(i)
	}
	t.refreshLinks(l-1, r)
}

// moveRun moves seq[l..r] into the gap after seq[g] (g outside [l-1, r]), reversed if rev. It
// returns scratch (grown as needed) for reuse.
func (t *tour) moveRun(l, r, g int, rev bool, scratch []int32) []int32 {
	run := append(scratch[:0], t.seq[l:r+1]...)
	if rev {
		for i, j := 0, len(run)-1; i < j; i, j = i+1, j-1 {
			run[i], run[j] = run[j], run[i]
		}
	}
	n := len(run)
	lo, hi := g+1, r
	if g > r {
		copy(t.seq[l:], t.seq[r+1:g+1])
		copy(t.seq[g-n+1:], run)
		lo, hi = l, g
	} else {
		copy(t.seq[g+1+n:], t.seq[g+1:l])
		copy(t.seq[g+1:], run)
	}
	for i := lo; i <= hi; i++ {
		t.pos[t.seq[i]] = int32(i)
	}
	t.refreshLinks(lo-1, hi)
	return run
}

// rng is splitmix64: a tiny generator whose sequence is fixed forever, so the optimiser's output
// cannot change with a Go release.
type rng uint64

func splitmix(seed uint64) *rng { r := rng(seed); return &r }

func (r *rng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intN returns a number in [0, n), n > 0.
func (r *rng) intN(n int) int { return int((r.next() >> 32) * uint64(n) >> 32) }
