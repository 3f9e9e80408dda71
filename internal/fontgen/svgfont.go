package fontgen

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// SVGFont is what fontgen reads from an SVG 1.1 <font>: the face metrics as declared, each
// <glyph>, the <hkern> pairs and the text of <metadata> (where the EMS fonts keep their
// provenance).
type SVGFont struct {
	Family                  string
	Metadata                string
	UnitsPerEm, Ascent      float64
	Descent, CapHeight      float64 // Descent as declared (negative in SVG)
	XHeight, DefaultAdvance float64
	Glyphs                  []SVGGlyph
	Kerns                   []SVGKern
}

// SVGGlyph is one <glyph>. Advance is the glyph's horiz-adv-x or the font's default.
type SVGGlyph struct {
	Unicode, Name string
	Advance       float64
	D             string
}

// SVGKern is one <hkern>: u1/u2 are comma-separated character lists (single characters or
// U+ ranges are not used by the sources and are rejected), g1/g2 glyph-name lists.
type SVGKern struct {
	U1, U2, G1, G2 []string
	K              float64
}

// ParseSVGFont reads the first <font> of an SVG document.
func ParseSVGFont(r io.Reader) (*SVGFont, error) {
	dec := xml.NewDecoder(r)
	dec.Strict = false // the DTD's entities are not needed; unknown ones stay literal
	var f SVGFont
	inFont, inMeta, seenFont := false, false, false
	var meta strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading SVG: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			a := attrs(t)
			switch t.Name.Local {
			case "metadata":
				inMeta = true
			case "font":
				if seenFont {
					continue
				}
				inFont, seenFont = true, true
				if v, ok := a["horiz-adv-x"]; ok {
					if f.DefaultAdvance, err = num("font", "horiz-adv-x", v); err != nil {
						return nil, err
					}
				}
			case "font-face":
				if !inFont {
					continue
				}
				f.Family = a["font-family"]
				for _, m := range []struct {
					name string
					dst  *float64
				}{{"units-per-em", &f.UnitsPerEm}, {"ascent", &f.Ascent}, {"descent", &f.Descent},
					{"cap-height", &f.CapHeight}, {"x-height", &f.XHeight}} {
					if v, ok := a[m.name]; ok {
						if *m.dst, err = num("font-face", m.name, v); err != nil {
							return nil, err
						}
					}
				}
			case "glyph":
				if !inFont {
					continue
				}
				g := SVGGlyph{Unicode: a["unicode"], Name: a["glyph-name"], Advance: f.DefaultAdvance, D: a["d"]}
				if v, ok := a["horiz-adv-x"]; ok {
					if g.Advance, err = num("glyph "+strconv.Quote(g.Unicode), "horiz-adv-x", v); err != nil {
						return nil, err
					}
				}
				f.Glyphs = append(f.Glyphs, g)
			case "hkern":
				if !inFont {
					continue
				}
				k := SVGKern{U1: list(a["u1"]), U2: list(a["u2"]), G1: list(a["g1"]), G2: list(a["g2"])}
				if k.K, err = num("hkern", "k", a["k"]); err != nil {
					return nil, err
				}
				f.Kerns = append(f.Kerns, k)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "metadata":
				inMeta = false
			case "font":
				inFont = false
			}
		case xml.CharData:
			if inMeta {
				meta.Write(t)
			}
		case xml.Comment:
			if inMeta {
				meta.Write(t)
			}
		}
	}
	if !seenFont {
		return nil, fmt.Errorf("the SVG has no <font> element")
	}
	if f.UnitsPerEm <= 0 {
		f.UnitsPerEm = 1000 // the SVG 1.1 default
	}
	f.Metadata = strings.TrimSpace(meta.String())
	return &f, nil
}

func attrs(t xml.StartElement) map[string]string {
	m := make(map[string]string, len(t.Attr))
	for _, a := range t.Attr {
		m[a.Name.Local] = a.Value
	}
	return m
}

func num(elem, attr, v string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return 0, fmt.Errorf("<%s> attribute %s=%q is not a number", elem, attr, v)
	}
	return f, nil
}

func list(v string) []string {
	if v == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// MetadataField returns the value of a "Key: value" line of the metadata, "" if absent.
func (f *SVGFont) MetadataField(key string) string {
	for _, line := range strings.Split(f.Metadata, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
