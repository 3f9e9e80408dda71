// Package preview shows written cards to people: SVG in true millimetres, PNG rasterised with a
// pen's width and ink colour, and the JSON statistics scripts and operators read.
package preview

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strconv"

	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/rasterizer"

	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/hand"
)

// Colours of a blue ballpoint on cream card stock.
var (
	Ink  = color.RGBA{R: 0x1c, G: 0x2a, B: 0x6e, A: 0xff}
	Card = color.RGBA{R: 0xfc, G: 0xf9, B: 0xf0, A: 0xff}
)

// DefaultPenWidth is a fine ballpoint's line in mm.
const DefaultPenWidth = 0.5

// SVG writes the strokes as an SVG whose user unit is the millimetre and whose size is the
// card's, so that it prints at true size. Coordinates have three decimals (a micrometre), and
// the output depends on nothing but the arguments.
func SVG(w io.Writer, f hand.Format, strokes []geom.Stroke, penWidthMM float64) error {
	if err := checkPen(penWidthMM); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	W, H := num(f.W), num(f.H)
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%smm" height="%smm" viewBox="0 0 %s %s">`+"\n", W, H, W, H)
	fmt.Fprintf(bw, `<rect width="%s" height="%s" fill="%s"/>`+"\n", W, H, hex(Card))
	fmt.Fprintf(bw, `<g fill="none" stroke="%s" stroke-width="%s" stroke-linecap="round" stroke-linejoin="round">`+"\n", hex(Ink), num(penWidthMM))
	buf := make([]byte, 0, 64)
	for _, s := range strokes {
		if len(s) == 0 {
			continue
		}
		bw.WriteString(`<polyline points="`)
		for i, p := range s {
			buf = buf[:0]
			if i > 0 {
				buf = append(buf, ' ')
			}
			buf = fixed3(buf, p.X)
			buf = append(buf, ',')
			buf = fixed3(buf, p.Y)
			bw.Write(buf)
		}
		if len(s) == 1 {
			// A lone point still leaves a dot of ink.
			buf = append(buf[:0], ' ')
			buf = fixed3(buf, s[0].X)
			buf = append(buf, ',')
			buf = fixed3(buf, s[0].Y)
			bw.Write(buf)
		}
		bw.WriteString("\"/>\n")
	}
	bw.WriteString("</g>\n</svg>\n")
	return bw.Flush()
}

// fixed3 appends v with exactly three decimals, never "-0.000".
func fixed3(b []byte, v float64) []byte {
	v = math.Round(v*1000) / 1000
	if v == 0 {
		v = 0
	}
	return strconv.AppendFloat(b, v, 'f', 3, 64)
}

// num formats a size as short as it is exact: 148, 177.8.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func hex(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

func checkPen(w float64) error {
	if !(w > 0 && w <= 5) {
		return fmt.Errorf("pen width %g mm: want more than 0 and at most 5 mm", w)
	}
	return nil
}

// PNG rasterises the strokes on a cream card at dpi dots per inch with a round-tipped pen of
// penWidthMM, as the written card will look.
func PNG(w io.Writer, f hand.Format, strokes []geom.Stroke, penWidthMM, dpi float64) error {
	if err := checkPen(penWidthMM); err != nil {
		return err
	}
	if !(dpi >= 10 && dpi <= 1200) {
		return fmt.Errorf("resolution %g dpi: want 10 to 1200", dpi)
	}
	if !(f.W > 0 && f.H > 0 && f.W*f.H*dpi*dpi/(25.4*25.4) < 100e6) {
		return fmt.Errorf("card %g×%g mm at %g dpi is too large an image", f.W, f.H, dpi)
	}
	res := canvas.DPI(dpi)
	ras := rasterizer.New(f.W, f.H, res, canvas.DefaultColorSpace)
	draw.Draw(ras.Image, ras.Bounds(), image.NewUniform(Card), image.Point{}, draw.Src)
	style := canvas.DefaultStyle
	style.Fill = canvas.Paint{}
	style.Stroke = canvas.Paint{Color: Ink}
	style.StrokeWidth = penWidthMM
	style.StrokeCapper = canvas.RoundCap
	style.StrokeJoiner = canvas.RoundJoin
	for _, s := range strokes {
		if len(s) == 0 {
			continue
		}
		// canvas puts the origin bottom-left with y up; cards have it top-left with y down.
		p := &canvas.Path{}
		p.MoveTo(s[0].X, f.H-s[0].Y)
		for _, q := range s[1:] {
			p.LineTo(q.X, f.H-q.Y)
		}
		if len(s) == 1 || geom.Stroke(s).Length() < 1e-6 {
			// A dot: a zero-length segment has no direction to cap, so draw a pen-sized disc.
			ras.RenderPath(canvas.Circle(penWidthMM/2).Translate(s[0].X, f.H-s[0].Y),
				canvas.Style{Fill: canvas.Paint{Color: Ink}, FillRule: canvas.NonZero}, canvas.Identity)
			continue
		}
		ras.RenderPath(p, style, canvas.Identity)
	}
	ras.Close()
	return png.Encode(w, ras.Image)
}
