package geom

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
)

// HashStrokes returns a hex SHA-256 over the strokes with coordinates rounded to a micrometre, so
// that "the preview is what gets written" can be checked between intake and worker.
func HashStrokes(strokes []Stroke) string {
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
