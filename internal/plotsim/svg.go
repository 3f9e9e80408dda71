package plotsim

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/quillpost/quillpost/internal/geom"
)

// WriteSVG draws strokes as an SVG document in true millimetres: the view box is area, in the
// strokes' own coordinates (for a recording, machine coordinates, so a machine whose Y axis points
// away from the operator comes out upside down). A one-point stroke, a dot, is a filled circle.
func WriteSVG(w io.Writer, strokes []geom.Stroke, area geom.Rect, penWidth float64) error {
	if area.Empty() || area.W() <= 0 || area.H() <= 0 {
		return fmt.Errorf("write SVG: empty area %v", area)
	}
	if penWidth <= 0 {
		penWidth = 0.4
	}
	bw := bufio.NewWriter(w)
	n := num
	fmt.Fprintf(bw, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	fmt.Fprintf(bw, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%smm\" height=\"%smm\" viewBox=\"%s %s %s %s\">\n",
		n(area.W()), n(area.H()), n(area.Min.X), n(area.Min.Y), n(area.W()), n(area.H()))
	fmt.Fprintf(bw, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"white\"/>\n", n(area.Min.X), n(area.Min.Y), n(area.W()), n(area.H()))
	fmt.Fprintf(bw, "<g fill=\"none\" stroke=\"black\" stroke-width=\"%s\" stroke-linecap=\"round\" stroke-linejoin=\"round\">\n", n(penWidth))
	for _, s := range strokes {
		switch len(s) {
		case 0:
		case 1:
			fmt.Fprintf(bw, "<circle cx=\"%s\" cy=\"%s\" r=\"%s\" fill=\"black\" stroke=\"none\"/>\n", n(s[0].X), n(s[0].Y), n(penWidth/2))
		default:
			var b strings.Builder
			for i, p := range s {
				if i > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(n(p.X))
				b.WriteByte(',')
				b.WriteString(n(p.Y))
			}
			fmt.Fprintf(bw, "<polyline points=\"%s\"/>\n", b.String())
		}
	}
	fmt.Fprintf(bw, "</g>\n</svg>\n")
	return bw.Flush()
}

// num formats a millimetre value with at most 3 decimals (a micrometre) and no trailing zeros.
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 3, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// WriteSVG writes the recording so far as SVG over the simulator's work area.
func (s *Sim) WriteSVG(w io.Writer) error {
	return WriteSVG(w, s.Strokes(), s.cfg.Area, 0.4)
}
