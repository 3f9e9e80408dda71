package fontgen

import (
	"flag"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
)

var (
	specimen      = flag.String("specimen", "", "write a PNG specimen of every embedded face into this directory")
	specimenRunes = flag.String("specimen-runes", "", "draw only these characters, larger")
)

// TestSpecimen draws every glyph of every face for a human to inspect: body strokes in dark
// blue (the first one green), late strokes red, the entry a blue dot and the exit an orange
// one, the baseline and x-height grey. It runs only with -specimen DIR.
func TestSpecimen(t *testing.T) {
	if *specimen == "" {
		t.Skip("run with -specimen DIR to draw the faces")
	}
	for _, f := range font.Faces() {
		runes := f.Runes()
		cols, cell := 16, 120
		if *specimenRunes != "" {
			runes, cols, cell = []rune(*specimenRunes), 8, 240
		}
		rows := (len(runes) + cols - 1) / cols
		img := image.NewRGBA(image.Rect(0, 0, cols*cell, rows*cell))
		for i := range img.Pix {
			img.Pix[i] = 255
		}
		s := float64(cell) / 2 / f.CapHeight
		for k, r := range runes {
			g, ok := f.Glyph(r)
			if !ok {
				continue
			}
			ox, oy := float64(k%cols*cell+cell/5), float64(k/cols*cell+cell*7/10)
			to := func(p geom.Point) (float64, float64) { return ox + p.X*s, oy + p.Y*s }
			grey := color.RGBA{200, 200, 200, 255}
			line(img, ox-10, oy, ox+g.Advance*s, oy, 0.5, grey)
			line(img, ox-10, oy-f.XHeight*s, ox+g.Advance*s, oy-f.XHeight*s, 0.5, grey)
			for i, p := range g.Strokes {
				c := color.RGBA{30, 30, 140, 255}
				if i == 0 {
					c = color.RGBA{0, 150, 0, 255}
				}
				if g.Late[i] {
					c = color.RGBA{220, 0, 0, 255}
				}
				st := p.Flatten(0.5, nil)
				for j := 1; j < len(st); j++ {
					x0, y0 := to(st[j-1])
					x1, y1 := to(st[j])
					line(img, x0, y0, x1, y1, 1.2, c)
				}
			}
			if g.Joins {
				x, y := to(g.Entry)
				line(img, x, y, x, y, 3.5, color.RGBA{0, 90, 255, 255})
				x, y = to(g.Exit)
				oc := color.RGBA{255, 150, 0, 255}
				if g.LiftAfter {
					oc = color.RGBA{255, 0, 200, 255}
				}
				line(img, x, y, x, y, 3.5, oc)
			}
		}
		out, err := os.Create(filepath.Join(*specimen, f.Name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(out, img); err != nil {
			t.Fatal(err)
		}
		out.Close()
	}
}

// line stamps discs of radius w along a segment: crude, but enough to look at glyphs.
func line(img *image.RGBA, x0, y0, x1, y1, w float64, c color.RGBA) {
	n := int(math.Ceil(math.Hypot(x1-x0, y1-y0))) + 1
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(n)
		cx, cy := x0+(x1-x0)*t, y0+(y1-y0)*t
		for y := int(cy - w - 1); y <= int(cy+w+1); y++ {
			for x := int(cx - w - 1); x <= int(cx+w+1); x++ {
				if math.Hypot(float64(x)-cx, float64(y)-cy) <= w && image.Pt(x, y).In(img.Bounds()) {
					img.SetRGBA(x, y, c)
				}
			}
		}
	}
}
