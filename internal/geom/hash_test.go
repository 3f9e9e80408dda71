package geom

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"testing"
)

// hashStrokesEachWrite is HashStrokes as it was first written, one Write per integer: the
// bytes it hashes are the definition the stored stroke hashes were made with.
func hashStrokesEachWrite(strokes []Stroke) string {
	h := sha256.New()
	var buf [8]byte
	for _, s := range strokes {
		binary.LittleEndian.PutUint64(buf[:], uint64(len(s)))
		h.Write(buf[:])
		for _, p := range s {
			binary.LittleEndian.PutUint64(buf[:], uint64(int64(math.Round(p.X*1000))))
			h.Write(buf[:])
			binary.LittleEndian.PutUint64(buf[:], uint64(int64(math.Round(p.Y*1000))))
			h.Write(buf[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func randomStrokes(rng *rand.Rand, n int) []Stroke {
	var ss []Stroke
	for range n {
		s := make(Stroke, rng.IntN(300))
		for i := range s {
			s[i] = Point{X: rng.Float64()*300 - 50, Y: rng.Float64() * 200}
		}
		ss = append(ss, s)
	}
	return ss
}

// TestHashStrokesBytes checks that the buffered hash hashes the same bytes as one Write per
// integer, across buffer boundaries, for empty strokes and none: the worker compares the hash of
// cards accepted before with the one it draws.
func TestHashStrokesBytes(t *testing.T) {
	if got, want := HashStrokes(nil), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; got != want {
		t.Errorf("no strokes: %s, want %s", got, want)
	}
	one := []Stroke{{{X: 1.0004, Y: -2.0005}, {X: 3, Y: 4}}, {}}
	if got, want := HashStrokes(one), hashStrokesEachWrite(one); got != want {
		t.Errorf("two strokes: %s, want %s", got, want)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		ss := randomStrokes(rng, rng.IntN(20))
		if got, want := HashStrokes(ss), hashStrokesEachWrite(ss); got != want {
			t.Fatalf("case %d (%d strokes): %s, want %s", i, len(ss), got, want)
		}
	}
}

// BenchmarkHashStrokes hashes about the points of a 400-glyph card.
func BenchmarkHashStrokes(b *testing.B) {
	ss := randomStrokes(rand.New(rand.NewPCG(1, 2)), 200)
	b.ReportAllocs()
	for b.Loop() {
		HashStrokes(ss)
	}
}
