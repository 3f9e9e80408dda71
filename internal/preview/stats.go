package preview

import (
	"math"

	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/hand"
)

// Stats summarises a written card for scripts (quillpost render --stats) and the order API.
// Lengths are millimetres rounded to a micrometre, so the JSON is stable.
type Stats struct {
	Card      string  `json:"card"`
	Glyphs    int     `json:"glyphs"`
	Strokes   int     `json:"strokes"`
	Points    int     `json:"points"`
	Lines     int     `json:"lines"`
	XHeightMM float64 `json:"x_height_mm"`
	PenDownMM float64 `json:"pen_down_mm"`
	BBox      *BBox   `json:"bbox"` // nil for a card with no ink
	Hash      string  `json:"hash"`
}

// BBox is the ink's bounding box in card millimetres (origin top-left, y down).
type BBox struct {
	MinX float64 `json:"min_x"`
	MinY float64 `json:"min_y"`
	MaxX float64 `json:"max_x"`
	MaxY float64 `json:"max_y"`
}

// StatsOf measures a written card.
func StatsOf(c *hand.Card) Stats {
	st := Stats{
		Card:      c.Format.Name,
		Glyphs:    c.Glyphs,
		Strokes:   len(c.Strokes),
		Lines:     c.Lines,
		XHeightMM: round3(c.XHeight),
		PenDownMM: round3(geom.PenDownLength(c.Strokes)),
		Hash:      c.Hash(),
	}
	for _, s := range c.Strokes {
		st.Points += len(s)
	}
	if b := geom.Bounds(c.Strokes); !b.Empty() {
		st.BBox = &BBox{MinX: round3(b.Min.X), MinY: round3(b.Min.Y), MaxX: round3(b.Max.X), MaxY: round3(b.Max.Y)}
	}
	return st
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
