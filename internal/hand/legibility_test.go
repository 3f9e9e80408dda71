package hand

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
)

// legibleRunes are the letters the legibility check reads in every context.
const legibleRunes = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZäöüßéèêàç"

// The check's raster: cells of legCell x-heights over a frame centred on the letter's own ink
// horizontally and on the baseline vertically.
const (
	legCell = 0.05
	legW    = 96 // cells: ±2.4 x-heights
	legH    = 88 // cells: 2.9 x-heights above the baseline, 1.5 below
	legTop  = 2.9
	legXH   = 4.0 // mm
)

// legShape is the ink inside one letter's window, on the raster, with its distance transform.
type legShape struct {
	on    []int32   // indices of inked cells
	dt    []float32 // distance (cells) from every cell to the nearest inked cell
	holes int       // areas the ink encloses, as a pen of legPen draws it: e has one, c none
}

// legPen is the pen's radius in cells (0.1 x-height: a 0.5 mm pen at a 2.5 mm x-height) and
// legHoleCost what a difference of one enclosed area adds to the distance: the eye tells c
// from e and u from o by the loop before anything else.
const (
	legPen      = 2
	legHoleCost = 3
)

// countHoles counts the background areas of the raster, with the ink (the on cells) grown by
// legPen, that do not reach the border. Only the box around the grown ink is searched: every
// area outside it is open.
func countHoles(on []int32, dt []float32, seen []bool) int {
	if len(on) == 0 {
		return 0
	}
	x0, y0, x1, y1 := legW, legH, -1, -1
	for _, c := range on {
		x, y := int(c)%legW, int(c)/legW
		x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
	}
	m := legPen + 1
	x0, y0, x1, y1 = max(0, x0-m), max(0, y0-m), min(legW-1, x1+m), min(legH-1, y1+m)
	for y := y0; y <= y1; y++ {
		clear(seen[y*legW+x0 : y*legW+x1+1])
	}
	ink := func(i int) bool { return dt[i] <= legPen }
	var stack []int
	fill := func(i int) (bool, int) {
		border, area := false, 0
		stack = append(stack[:0], i)
		seen[i] = true
		for len(stack) > 0 {
			c := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			area++
			x, y := c%legW, c/legW
			if x == x0 || y == y0 || x == x1 || y == y1 {
				border = true
			}
			for _, n := range [4]int{c - 1, c + 1, c - legW, c + legW} {
				nx, ny := n%legW, n/legW
				if n < 0 || nx < x0 || nx > x1 || ny < y0 || ny > y1 || (nx != x && ny != y) {
					continue
				}
				if !seen[n] && !ink(n) {
					seen[n] = true
					stack = append(stack, n)
				}
			}
		}
		return border, area
	}
	holes := 0
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			i := y*legW + x
			if !seen[i] && !ink(i) {
				// A hole of a cell or two is the raster's, not the letter's.
				if border, area := fill(i); !border && area >= 3 {
					holes++
				}
			}
		}
	}
	return holes
}

// stillHand writes every letter exactly as the face draws it and always joins: what remains
// is the glyph contexts themselves.
func stillHand(t testing.TB) Hand {
	h := mustHand(t, "neat")
	h.Name = "still"
	h.MinXHeight, h.MaxXHeight = legXH, legXH
	h.LineSpacingJitter, h.LineSlope, h.CardSlope, h.LineBend, h.BaselineWander = 0, 0, 0, 0, 0
	h.MarginDrift, h.MarginTrend = 0, 0
	h.WordSpacingJitter, h.WordScaleJitter, h.WordBaseline = 0, 0, 0
	h.SlantJitter, h.RotationJitter, h.ScaleJitter, h.BaselineJitter, h.LetterSpacingJitter = 0, 0, 0, 0, 0
	h.VariantAffine, h.VariantWarp, h.InstanceWarp = 0, 0, 0
	h.LateShift, h.LateJitter, h.LateTurn = 0, 0, 0
	h.BreakChance = 0
	return h
}

// legReader writes words with the still hand and rasterises what a reader sees of one letter
// in them. It reuses one renderer and its buffers: the check writes thousands of words.
type legReader struct {
	t    testing.TB
	r    *renderer
	req  Request
	base float64 // the baseline of the word last written, where the layout placed it, mm
	own  []geom.Stroke
	k, n int
	// Buffers for the contexts' rasters.
	grid []bool
	dt   []float32
	seen []bool
	on   []int32
}

func newLegReader(t testing.TB, f *font.Face) *legReader {
	lr := &legReader{t: t, r: new(renderer),
		req:  Request{Face: f, Format: mustFormat(t, "a5"), Hand: stillHand(t), Seed: 1},
		grid: make([]bool, legW*legH), dt: make([]float32, legW*legH), seen: make([]bool, legW*legH)}
	return lr
}

// write writes word and returns all its ink; lr.own receives the own strokes of its glyph
// number k (counting glyphs with ink).
func (lr *legReader) write(word string, k int) []geom.Stroke {
	lr.req.Text = word
	if err := lr.r.reset(lr.req); err != nil {
		lr.t.Fatalf("%s %q: %v", lr.req.Face.Name, word, err)
	}
	lr.k, lr.n, lr.own = k, 0, lr.own[:0]
	lr.r.trace = func(c rune, strokes []geom.Stroke) {
		if lr.n == lr.k {
			// The body only: the frame stays on the letter wherever its dot or accent had
			// to move to keep clear of a neighbour.
			nBody := 0
			for _, l := range lr.r.fi.glyph(c).g.Late {
				if !l {
					nBody++
				}
			}
			lr.own = append(lr.own, strokes[:nBody]...) // the renderer reuses the slice, not the strokes
		}
		lr.n++
	}
	c, err := lr.r.render()
	if err != nil {
		lr.t.Fatalf("%s %q: %v", lr.req.Face.Name, word, err)
	}
	if lr.r.refits > 0 || c.Lines != 1 {
		lr.t.Fatalf("%s %q: written on %d lines or moved by guard: no known baseline", lr.req.Face.Name, word, c.Lines)
	}
	// The layout places the line lower on the card by what its ink and the seed ask for: the
	// raster follows it, so that every word is read on its own baseline.
	lr.base = lr.r.bases[0] + lr.r.moves[0]
	return c.Strokes
}

// legNear is how close (x-heights) ink of the context must come to a letter's own ink to count
// as part of what a reader sees of the letter: connectors, neighbours' tails and loops that
// touch or cross it, ink that hides its dot.
const legNear = 0.2

// raster puts the ink of strokes on the raster, centred on the box of lr.own (the letter's body) horizontally and
// on the baseline vertically. With near (a distance transform of the letter's isolated ink)
// only ink within legNear of the letter counts.
func (lr *legReader) raster(strokes []geom.Stroke, near []float32) legShape {
	minX, maxX := math.Inf(1), math.Inf(-1)
	for _, s := range lr.own {
		for _, p := range s {
			minX, maxX = min(minX, p.X), max(maxX, p.X)
		}
	}
	cx := (minX + maxX) / 2
	// A reference keeps its raster; a context's reuses the reader's buffers.
	grid, dt, on := make([]bool, legW*legH), make([]float32, legW*legH), []int32(nil)
	if near != nil {
		grid, dt, on = lr.grid, lr.dt, lr.on[:0]
		clear(grid)
	}
	sh := legShape{on: on}
	put := func(p geom.Point) {
		i := int(math.Floor((p.X-cx)/legXH/legCell)) + legW/2
		j := int(math.Floor((p.Y-lr.base)/legXH/legCell + legTop/legCell))
		if i < 0 || i >= legW || j < 0 || j >= legH {
			return
		}
		c := j*legW + i
		if grid[c] || (near != nil && near[c] > legNear/legCell) {
			return
		}
		grid[c] = true
		sh.on = append(sh.on, int32(c))
	}
	step := 0.25 * legCell * legXH
	for _, s := range strokes {
		put(s[0])
		for i := 1; i < len(s); i++ {
			a, b := s[i-1], s[i]
			n := int(math.Ceil(a.Dist(b) / step))
			for k := 1; k <= n; k++ {
				put(a.Add(b.Sub(a).Scale(float64(k) / float64(n))))
			}
		}
	}
	sh.dt = distanceTransform(grid, dt)
	sh.holes = countHoles(sh.on, sh.dt, lr.seen)
	if near != nil {
		lr.on = sh.on
	}
	return sh
}

// distanceTransform is the two-pass chamfer (1, √2) distance from every cell to the nearest
// true cell.
func distanceTransform(grid []bool, d []float32) []float32 {
	const inf = 1e6
	for i, g := range grid {
		d[i] = 0
		if !g {
			d[i] = inf
		}
	}
	const diag = 1.4142135
	at := func(x, y int) float32 {
		if x < 0 || x >= legW || y < 0 || y >= legH {
			return inf
		}
		return d[y*legW+x]
	}
	for y := range legH {
		for x := range legW {
			v := d[y*legW+x]
			v = min(v, at(x-1, y)+1, at(x, y-1)+1, at(x-1, y-1)+diag, at(x+1, y-1)+diag)
			d[y*legW+x] = v
		}
	}
	for y := legH - 1; y >= 0; y-- {
		for x := legW - 1; x >= 0; x-- {
			v := d[y*legW+x]
			v = min(v, at(x+1, y)+1, at(x, y+1)+1, at(x+1, y+1)+diag, at(x-1, y+1)+diag)
			d[y*legW+x] = v
		}
	}
	return d
}

// legDist is the symmetric mean chamfer distance between two shapes, in cells.
func legDist(a, b *legShape) float64 {
	if len(a.on) == 0 || len(b.on) == 0 {
		return math.Inf(1)
	}
	var sa, sb float64
	for _, i := range a.on {
		sa += float64(b.dt[i])
	}
	for _, i := range b.on {
		sb += float64(a.dt[i])
	}
	holes := math.Abs(float64(a.holes - b.holes))
	return sa/float64(len(a.on)) + sb/float64(len(b.on)) + legHoleCost*holes
}

// legConfusions writes every letter of legibleRunes of face f between every other one (left
// and right neighbour; joined where the face joins) and returns the contexts in which the
// letter is nearer another letter's isolated shape than its own, as "ctx→read" strings.
func legConfusions(t *testing.T, f *font.Face) []string {
	lr := newLegReader(t, f)
	letters := []rune(legibleRunes)
	refs := make([]legShape, len(letters))
	for i, c := range letters {
		refs[i] = lr.raster(lr.write(string(c), 0), nil)
	}
	// Letters the face itself draws alike (sans l and I) cannot be told apart in any context.
	same := func(i, j int) bool { return i == j || legDist(&refs[i], &refs[j]) < 0.5 }
	var bad []string
	check := func(word string, k, target int) {
		strokes := lr.write(word, k)
		sh := lr.raster(strokes, refs[target].dt)
		mine := legDist(&sh, &refs[target])
		best, read := mine, target
		for j := range refs {
			if same(j, target) {
				continue
			}
			if d := legDist(&sh, &refs[j]); d < best {
				best, read = d, j
			}
		}
		if read != target {
			bad = append(bad, fmt.Sprintf("%s→%c (%.2f<%.2f)", word, letters[read], best, mine))
		}
	}
	// Under -short and the race detector (10× slower) every letter still meets a fifth of the
	// neighbours, a different fifth for each letter.
	stride := 1
	if testing.Short() || raceEnabled {
		stride = 5
	}
	for ti, c := range letters {
		for oi, o := range letters {
			if (oi+ti)%stride != 0 {
				continue
			}
			check(string(o)+string(c), 1, ti)
			check(string(c)+string(o), 0, ti)
		}
	}
	return bad
}

// TestLegibilityInContext is the confusion check: in every face, each letter written after and
// before every other letter must stay nearer its own isolated shape than any other letter's.
func TestLegibilityInContext(t *testing.T) {
	for _, f := range font.Faces() {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			bad := legConfusions(t, f)
			if len(bad) > 0 {
				t.Errorf("%d contexts misread, e.g. %s", len(bad), strings.Join(bad[:min(len(bad), 40)], " "))
			}
		})
	}
}
