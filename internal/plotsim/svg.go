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
	r, err := NewSVGRecorder(w, area, penWidth)
	if err != nil {
		return err
	}
	for _, s := range strokes {
		r.Stroke(s)
	}
	return r.Close()
}

// SVGRecorder writes strokes to an SVG document as they come (Config.Record = r.Stroke), holding
// only a small buffer: a recording of thousands of cards costs no memory. Close ends the document.
type SVGRecorder struct {
	bw       *bufio.Writer
	penWidth float64
	pts      []byte
	err      error
}

// NewSVGRecorder starts the document (see WriteSVG for the coordinates).
func NewSVGRecorder(w io.Writer, area geom.Rect, penWidth float64) (*SVGRecorder, error) {
	if area.Empty() || area.W() <= 0 || area.H() <= 0 {
		return nil, fmt.Errorf("write SVG: empty area %v", area)
	}
	if penWidth <= 0 {
		penWidth = 0.4
	}
	r := &SVGRecorder{bw: bufio.NewWriter(w), penWidth: penWidth}
	n := num
	fmt.Fprintf(r.bw, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	fmt.Fprintf(r.bw, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%smm\" height=\"%smm\" viewBox=\"%s %s %s %s\">\n",
		n(area.W()), n(area.H()), n(area.Min.X), n(area.Min.Y), n(area.W()), n(area.H()))
	fmt.Fprintf(r.bw, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"white\"/>\n", n(area.Min.X), n(area.Min.Y), n(area.W()), n(area.H()))
	fmt.Fprintf(r.bw, "<g fill=\"none\" stroke=\"black\" stroke-width=\"%s\" stroke-linecap=\"round\" stroke-linejoin=\"round\">\n", n(penWidth))
	return r, nil
}

// Stroke appends one stroke. A write error is kept and returned by Close.
func (r *SVGRecorder) Stroke(s geom.Stroke) {
	if r.err != nil {
		return
	}
	switch len(s) {
	case 0:
		return
	case 1:
		_, r.err = fmt.Fprintf(r.bw, "<circle cx=\"%s\" cy=\"%s\" r=\"%s\" fill=\"black\" stroke=\"none\"/>\n", num(s[0].X), num(s[0].Y), num(r.penWidth/2))
		return
	}
	r.pts = r.pts[:0]
	for i, p := range s {
		if i > 0 {
			r.pts = append(r.pts, ' ')
		}
		r.pts = appendNum(r.pts, p.X)
		r.pts = append(r.pts, ',')
		r.pts = appendNum(r.pts, p.Y)
	}
	r.bw.WriteString("<polyline points=\"")
	r.bw.Write(r.pts)
	_, r.err = r.bw.WriteString("\"/>\n")
}

// Close ends the document and flushes it; the underlying writer stays open.
func (r *SVGRecorder) Close() error {
	if r.err != nil {
		return fmt.Errorf("write SVG: %w", r.err)
	}
	r.bw.WriteString("</g>\n</svg>\n")
	if err := r.bw.Flush(); err != nil {
		return fmt.Errorf("write SVG: %w", err)
	}
	return nil
}

// appendNum is num without an allocation per number.
func appendNum(b []byte, v float64) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, v, 'f', 3, 64)
	for b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	if b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	if string(b[start:]) == "-0" {
		b = append(b[:start], '0')
	}
	return b
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
