package capture

import (
	"math"
	"math/rand/v2"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
)

// Synthetic sheets: a sample sheet "written" with a built-in face's strokes, each sample moved,
// scaled, leaned and shaken a little as a person's would be, with pointer timestamps at a pen's
// pace. Tests and demonstrations feed them in where a person would write, so that what the face
// must come out as is known.

// SynthBox is the size of a synthetic box, CSS pixels: the x-height line 60 px above a baseline
// at 130 px, as the capture page draws its boxes.
const (
	SynthBaseline = 130
	SynthXHeight  = 70
)

// Synthesize writes plan with face, seeded. Characters the face lacks are left unwritten.
func Synthesize(face *font.Face, plan []PlanBox, name string, seed uint64) *Sheet {
	rng := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	s := &Sheet{Format: Format, Name: name, Title: "Synthetic hand from " + face.Name}
	for _, pb := range plan {
		b := Box{Kind: pb.Kind, Text: pb.Text, Guides: Guides{Baseline: SynthBaseline, XHeight: SynthBaseline - SynthXHeight}}
		text := pb.Text
		if pb.Kind == KindSignature {
			text = "Anna"
		}
		b.Strokes = SynthStrokes(face, text, rng)
		s.Boxes = append(s.Boxes, b)
	}
	return s
}

// SynthStrokes writes text in a box's coordinates (see SynthBaseline): the face's glyphs side
// by side, each stroke as pointer samples about 2 px apart, 8 ms each.
func SynthStrokes(face *font.Face, text string, rng *rand.Rand) []Stroke {
	k := SynthXHeight / face.XHeight
	// One sample's own hand: a little bigger or smaller, leaning, off the guides.
	sc := 1 + 0.05*rng.NormFloat64()
	lean := 0.06 * rng.NormFloat64()
	dx, dy := 12+4*rng.Float64(), 3*rng.NormFloat64()
	var out []Stroke
	x, t := 0.0, 0.0
	for _, r := range text {
		g, ok := face.Glyph(r)
		if !ok {
			return nil
		}
		for _, p := range g.Strokes {
			flat := p.Flatten(0.5/k, nil)
			var pts []Point
			var prev geom.Point
			for i, q := range flat {
				if i > 0 && q.Dist(prev)*k < 2 && i != len(flat)-1 {
					continue
				}
				prev = q
				px := dx + (x+q.X-lean*q.Y)*k*sc + 0.3*rng.NormFloat64()
				py := SynthBaseline + dy + q.Y*k*sc + 0.3*rng.NormFloat64()
				pressure := math.Round((0.45+0.1*rng.Float64())*100) / 100
				pts = append(pts, Point{X: round2(px), Y: round2(py), T: math.Round(t), Pressure: &pressure})
				t += 8
			}
			out = append(out, Stroke{Points: pts})
			t += 120 // the pen in the air
		}
		x += g.Advance
	}
	return out
}
