package geom

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
)

// HashStrokes returns a hex SHA-256 over the strokes with coordinates rounded to a micrometre, so
// that "the preview is what gets written" can be checked between intake and worker.
//
// The hashed bytes are, per stroke, its point count and then each point's X and Y, all as
// little-endian 64-bit integers. They are gathered in a buffer and written to the hash a few
// kilobytes at a time: one Write per 8 bytes cost more than the hashing itself (hashes of cards
// already accepted stay as they were, see TestHashStrokesBytes).
func HashStrokes(strokes []Stroke) string {
	h := sha256.New()
	var buf [4096]byte
	n := 0
	put := func(v uint64) {
		if n == len(buf) {
			h.Write(buf[:])
			n = 0
		}
		binary.LittleEndian.PutUint64(buf[n:], v)
		n += 8
	}
	for _, s := range strokes {
		put(uint64(len(s)))
		for _, p := range s {
			put(uint64(int64(math.Round(p.X * 1000))))
			put(uint64(int64(math.Round(p.Y * 1000))))
		}
	}
	h.Write(buf[:n])
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}
