package plan

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
)

// fuzzStrokes decodes bytes into strokes: each stroke is a length byte then that many points of
// two int16 coordinates in hundredths of a millimetre, so coincident ends, duplicates, dots and
// collinear runs are all easy for the fuzzer to reach.
func fuzzStrokes(data []byte) []geom.Stroke {
	var out []geom.Stroke
	for len(data) > 0 {
		n := int(data[0] % 16)
		data = data[1:]
		s := geom.Stroke{}
		for range n {
			if len(data) < 4 {
				break
			}
			x := int16(binary.LittleEndian.Uint16(data))
			y := int16(binary.LittleEndian.Uint16(data[2:]))
			data = data[4:]
			s = append(s, geom.Point{X: float64(x) / 100, Y: float64(y) / 100})
		}
		out = append(out, s)
	}
	return out
}

func FuzzOptimize(f *testing.F) {
	f.Add([]byte{2, 0, 0, 0, 0, 100, 0, 0, 0}, uint8(0))
	f.Add([]byte{1, 5, 0, 5, 0, 2, 5, 0, 5, 0, 6, 0, 5, 0, 3, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0}, uint8(1))
	f.Add([]byte{3, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 2, 10, 0, 0, 0, 20, 0, 0, 0, 0}, uint8(2))
	var seed []byte
	for _, s := range synthHand(1, cardPrint).Strokes[:40] {
		seed = append(seed, byte(len(s)%16))
		for _, p := range s[:len(s)%16] {
			seed = binary.LittleEndian.AppendUint16(seed, uint16(int16(p.X*100)))
			seed = binary.LittleEndian.AppendUint16(seed, uint16(int16(p.Y*100)))
		}
	}
	f.Add(seed, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		strokes := fuzzStrokes(data)
		order := Order(mode % 3)
		start := geom.Point{X: float64(mode) / 10}
		n := len(strokes)
		word, late := make([]int, n), make([]bool, n)
		for i := range strokes {
			word[i] = i / 3
			late[i] = i%4 == 3
		}
		o := Options{Order: order, Word: word, Late: late}
		out := Optimize(strokes, start, o)
		again := Optimize(strokes, start, o)
		if !equalStrokes(out, again) {
			t.Fatal("not deterministic")
		}
		maxAdded := float64(n) * (DefaultMinGap + JoinDistance)
		if order == OrderText {
			maxAdded = 0
		}
		// Fuzzed zigzags can lose any fraction of their length to simplification; the shape is
		// what the tolerance guarantees, so only growth is bounded here.
		inkCheck(t, strokes, out, DefaultTolerance, 1, maxAdded)
		g := Greedy(strokes, start)
		inkCheck(t, strokes, g, 0, 0, 0)
		if order == OrderOptimal {
			// Small inputs are solved exactly, so they cannot lose to greedy on the same (joined)
			// strokes. (Greedy on the unjoined strokes may win: joining ends that meet saves a pen
			// lift but can close a loop or fix a chain's ends.)
			exact := Optimize(strokes, start, Options{Tolerance: -1, MinGap: -1})
			joined := join(nonEmpty(strokes), JoinDistance)
			if d, gd := PenUpTravel(exact, start), PenUpTravel(Greedy(joined, start), start); d > gd+1e-6 && len(joined) <= exactMax {
				t.Fatalf("optimal %.4f mm longer than greedy %.4f mm on a small input", d, gd)
			}
			if d, lb := PenUpTravel(exact, start), PenUpTreeBound(strokes); d < lb-float64(n)*JoinDistance-1e-6 {
				t.Fatalf("pen-up %.4f mm below the tree bound %.4f mm", d, lb)
			}
		}
		for _, b := range []float64{PenUpLowerBound(strokes), PenUpTreeBound(strokes)} {
			if b < 0 || math.IsNaN(b) {
				t.Fatalf("bound %v", b)
			}
		}
		e := EstimateTimes(out, start, grblServo)
		if e.Total() < 0 || math.IsNaN(e.Total()) || math.IsInf(e.Total(), 0) {
			t.Fatalf("estimate %+v", e)
		}
	})
}
