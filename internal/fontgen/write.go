package fontgen

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/quillpost/quillpost/internal/font"
)

// Encode writes a font file as JSON with one glyph per line: small diffs when a face is
// regenerated, keys in a fixed order, and no HTML escaping of < > & in glyph keys.
func Encode(f *font.File) ([]byte, error) {
	var buf bytes.Buffer
	marshal := func(v any) error {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return err
		}
		buf.Write(bytes.TrimRight(b.Bytes(), "\n"))
		return nil
	}
	// The metadata fields come first, indented, in the File's field order.
	header := struct {
		Format      string  `json:"format"`
		Name        string  `json:"name"`
		Title       string  `json:"title"`
		Cursive     bool    `json:"cursive"`
		License     string  `json:"license"`
		LicenseFile string  `json:"license_file"`
		Source      string  `json:"source"`
		UnitsPerEm  float64 `json:"units_per_em"`
		Ascent      float64 `json:"ascent"`
		Descent     float64 `json:"descent"`
		XHeight     float64 `json:"x_height"`
		CapHeight   float64 `json:"cap_height"`
	}{f.Format, f.Name, f.Title, f.Cursive, f.License, f.LicenseFile, f.Source,
		f.UnitsPerEm, f.Ascent, f.Descent, f.XHeight, f.CapHeight}
	var hb bytes.Buffer
	enc := json.NewEncoder(&hb)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&header); err != nil {
		return nil, err
	}
	// Drop the closing brace so that glyphs and kerning follow in the same object.
	buf.Write(bytes.TrimSuffix(bytes.TrimRight(hb.Bytes(), "\n"), []byte("\n}")))
	buf.WriteByte(',')
	buf.WriteString("\n  \"glyphs\": {")
	keys := make([]string, 0, len(f.Glyphs))
	for k := range f.Glyphs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n    ")
		if err := marshal(k); err != nil {
			return nil, err
		}
		buf.WriteString(": ")
		if err := marshal(f.Glyphs[k]); err != nil {
			return nil, err
		}
	}
	buf.WriteString("\n  }")
	if len(f.Kerning) > 0 {
		buf.WriteString(",\n  \"kerning\": ")
		if err := marshal(f.Kerning); err != nil {
			return nil, err
		}
	}
	buf.WriteString("\n}\n")
	return buf.Bytes(), nil
}
