package capture

import (
	"bytes"
	"encoding/xml"
	"fmt"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
)

// SVGFont writes face as an SVG font of single-stroke glyphs (the form of the Inkscape and
// Hershey sources that fontgen reads): y up, one <glyph> per character, an alternate as a further
// glyph named "<char>.altN" without a unicode of its own. Strokes are open paths: a tool that
// fills outlines draws them wrong, a plotter or a stroke renderer right.
func SVGFont(face *font.Face) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" version="1.1">` + "\n<defs>\n")
	fmt.Fprintf(&b, `<font id=%s horiz-adv-x="%s">`+"\n", attr(face.Name), font.FormatNumber(face.XHeight))
	fmt.Fprintf(&b, `<font-face font-family=%s units-per-em="%s" ascent="%s" descent="%s" x-height="%s" cap-height="%s"/>`+"\n",
		attr(face.Title), font.FormatNumber(face.UnitsPerEm), font.FormatNumber(face.Ascent),
		font.FormatNumber(-face.Descent), font.FormatNumber(face.XHeight), font.FormatNumber(face.CapHeight))
	for _, r := range face.Runes() {
		g, _ := face.Glyph(r)
		fmt.Fprintf(&b, `<glyph unicode=%s glyph-name=%s horiz-adv-x="%s" d=%s/>`+"\n",
			attr(string(r)), attr(fmt.Sprintf("u%04X", r)), font.FormatNumber(g.Advance), attr(svgPath(g)))
		for i, a := range g.Alternates {
			fmt.Fprintf(&b, `<glyph glyph-name=%s horiz-adv-x="%s" d=%s/>`+"\n",
				attr(fmt.Sprintf("u%04X.alt%d", r, i+1)), font.FormatNumber(a.Advance), attr(svgPath(a)))
		}
	}
	b.WriteString("</font>\n</defs>\n</svg>\n")
	return b.Bytes()
}

// svgPath is a glyph's strokes flipped to y up, one subpath each, in writing order.
func svgPath(g *font.Glyph) string {
	var b bytes.Buffer
	for i, s := range g.Strokes {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(font.FormatPath(s.Transform(func(p geom.Point) geom.Point { return geom.Point{X: p.X, Y: -p.Y} })))
	}
	return b.String()
}

func attr(s string) string {
	var b bytes.Buffer
	b.WriteByte('"')
	_ = xml.EscapeText(&b, []byte(s))
	b.WriteByte('"')
	return b.String()
}
