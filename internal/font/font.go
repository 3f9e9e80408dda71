// Package font loads quillpost's single-stroke font faces (the "quillpost-font/1" JSON files
// embedded by package fonts), validates them, and answers glyph, kerning and coverage questions.
// Faces are read-only once parsed and safe for concurrent use.
package font

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/quillpost/quillpost/internal/geom"
)

// Format is the value of the "format" field this package reads and fontgen writes.
const Format = "quillpost-font/1"

// Face is one font face. Units are font units, y down, baseline at y=0 (ascenders are
// negative), each glyph's origin at its left side bearing point.
type Face struct {
	Name, Title, License, LicenseFile, Source string
	Cursive                                   bool
	UnitsPerEm, Ascent, Descent               float64
	XHeight, CapHeight                        float64

	glyphs  map[rune]*Glyph
	kerning map[[2]rune]float64
	runes   []rune
}

// Glyph is one character of a face. Strokes are pen-down paths in writing order; Late[i] marks
// strokes a writer adds after finishing the word (i/j dots, umlaut dots, t-bars, accents).
// Entry and Exit are where a cursive join arrives and leaves; they are meaningful when Joins is
// set. LiftAfter says a writer lifts the pen after this letter instead of joining on. Composed
// marks glyphs built by fontgen from other glyphs because the source lacked them.
type Glyph struct {
	Rune                       rune
	Advance                    float64
	Strokes                    []geom.Path
	Late                       []bool
	Entry, Exit                geom.Point
	Joins, LiftAfter, Composed bool
	// Alternates are other real variants of the character (a captured hand keeps every sample
	// the writer gave); the hand picks among the glyph and its alternates before adding its own
	// variation. Alternates have none of their own. Empty for the built-in faces.
	Alternates []*Glyph
}

// File is the JSON shape of a font file. fontgen writes it; Parse reads it.
type File struct {
	Format      string               `json:"format"`
	Name        string               `json:"name"`
	Title       string               `json:"title"`
	Cursive     bool                 `json:"cursive"`
	License     string               `json:"license"`
	LicenseFile string               `json:"license_file"`
	Source      string               `json:"source"`
	UnitsPerEm  float64              `json:"units_per_em"`
	Ascent      float64              `json:"ascent"`
	Descent     float64              `json:"descent"`
	XHeight     float64              `json:"x_height"`
	CapHeight   float64              `json:"cap_height"`
	Glyphs      map[string]FileGlyph `json:"glyphs"`
	Kerning     map[string]float64   `json:"kerning,omitempty"`
}

// FileGlyph is the JSON shape of one glyph. Advance is a pointer so that a missing advance is
// an error rather than a silent zero.
type FileGlyph struct {
	Advance   *float64    `json:"advance"`
	Strokes   []string    `json:"strokes"`
	Late      []bool      `json:"late"`
	Entry     *[2]float64 `json:"entry,omitempty"`
	Exit      *[2]float64 `json:"exit,omitempty"`
	Joins     bool        `json:"joins"`
	LiftAfter bool        `json:"lift_after"`
	Composed  bool        `json:"composed"`
	// Alternates: see Glyph.Alternates.
	Alternates []FileGlyph `json:"alternates,omitempty"`
}

// MaxAlternates is how many alternates a glyph may have.
const MaxAlternates = 16

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Parse reads and validates a font file. Errors name the face, glyph and field at fault.
func Parse(data []byte) (*Face, error) {
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("font file is not valid JSON of the %s shape: %w", Format, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("font file has data after its JSON object")
	}
	return FromFile(&f)
}

// FromFile validates a decoded font file and builds the Face.
func FromFile(f *File) (*Face, error) {
	if f.Format != Format {
		return nil, fmt.Errorf("font %q: field format is %q, this program reads %q", f.Name, f.Format, Format)
	}
	if !nameRE.MatchString(f.Name) {
		return nil, fmt.Errorf("font %q: field name must be lower-case letters, digits and dashes", f.Name)
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("font %q: "+format, append([]any{f.Name}, a...)...)
	}
	if f.Title == "" {
		return nil, fail("field title is empty")
	}
	if f.License == "" {
		return nil, fail("field license is empty")
	}
	for _, m := range []struct {
		field string
		v     float64
		min   float64
	}{
		{"units_per_em", f.UnitsPerEm, 1},
		{"ascent", f.Ascent, 0},
		{"descent", f.Descent, 0},
		{"x_height", f.XHeight, 1},
		{"cap_height", f.CapHeight, 1},
	} {
		if !finite(m.v) || m.v < m.min || m.v > maxCoord {
			return nil, fail("field %s is %v, want a number from %v to %v", m.field, m.v, m.min, maxCoord)
		}
	}
	face := &Face{
		Name: f.Name, Title: f.Title, License: f.License, LicenseFile: f.LicenseFile, Source: f.Source,
		Cursive: f.Cursive, UnitsPerEm: f.UnitsPerEm, Ascent: f.Ascent, Descent: f.Descent,
		XHeight: f.XHeight, CapHeight: f.CapHeight,
		glyphs:  make(map[rune]*Glyph, len(f.Glyphs)),
		kerning: make(map[[2]rune]float64, len(f.Kerning)),
	}
	for key, fg := range f.Glyphs {
		r, size := utf8.DecodeRuneInString(key)
		if size == 0 || size != len(key) || r == utf8.RuneError {
			return nil, fail("glyph key %q must be exactly one character", key)
		}
		g, err := parseGlyph(r, fg)
		if err != nil {
			return nil, fail("glyph %q (%U): %w", key, r, err)
		}
		if len(fg.Alternates) > MaxAlternates {
			return nil, fail("glyph %q (%U): field alternates has %d entries, at most %d are allowed", key, r, len(fg.Alternates), MaxAlternates)
		}
		for i, afg := range fg.Alternates {
			if len(afg.Alternates) > 0 {
				return nil, fail("glyph %q (%U): alternates[%d] has alternates of its own", key, r, i)
			}
			a, err := parseGlyph(r, afg)
			if err != nil {
				return nil, fail("glyph %q (%U): alternates[%d]: %w", key, r, i, err)
			}
			g.Alternates = append(g.Alternates, a)
		}
		face.glyphs[r] = g
		face.runes = append(face.runes, r)
	}
	slices.Sort(face.runes)
	if sp, ok := face.glyphs[' ']; !ok || len(sp.Strokes) != 0 {
		return nil, fail("glyph \" \" (space) must exist and have no strokes")
	}
	for key, v := range f.Kerning {
		rs := []rune(key)
		if len(rs) != 2 || !utf8.ValidString(key) {
			return nil, fail("kerning key %q must be exactly two characters", key)
		}
		if !finite(v) || math.Abs(v) > f.UnitsPerEm {
			return nil, fail("kerning %q is %v, want at most units_per_em in size", key, v)
		}
		for _, r := range rs {
			if _, ok := face.glyphs[r]; !ok {
				return nil, fail("kerning %q names %q, which has no glyph", key, r)
			}
		}
		face.kerning[[2]rune{rs[0], rs[1]}] = v
	}
	return face, nil
}

func parseGlyph(r rune, fg FileGlyph) (*Glyph, error) {
	if fg.Advance == nil {
		return nil, fmt.Errorf("field advance is missing")
	}
	if adv := *fg.Advance; !finite(adv) || adv < 0 || adv > maxCoord {
		return nil, fmt.Errorf("field advance is %v, want a non-negative number", adv)
	}
	if fg.Late != nil && len(fg.Late) != len(fg.Strokes) {
		return nil, fmt.Errorf("field late has %d entries for %d strokes", len(fg.Late), len(fg.Strokes))
	}
	g := &Glyph{
		Rune: r, Advance: *fg.Advance, Joins: fg.Joins, LiftAfter: fg.LiftAfter, Composed: fg.Composed,
		Strokes: make([]geom.Path, len(fg.Strokes)), Late: make([]bool, len(fg.Strokes)),
	}
	copy(g.Late, fg.Late)
	for i, s := range fg.Strokes {
		p, err := ParsePath(s)
		if err != nil {
			return nil, fmt.Errorf("field strokes[%d]: %w", i, err)
		}
		g.Strokes[i] = p
	}
	// Without explicit points a glyph enters at its first stroke and leaves at its last one.
	switch {
	case len(g.Strokes) > 0:
		g.Entry, g.Exit = g.Strokes[0].Start, g.Strokes[len(g.Strokes)-1].End()
	default:
		g.Exit = geom.Point{X: g.Advance}
	}
	for _, pt := range []struct {
		field string
		v     *[2]float64
		dst   *geom.Point
	}{{"entry", fg.Entry, &g.Entry}, {"exit", fg.Exit, &g.Exit}} {
		if pt.v == nil {
			continue
		}
		if !finite(pt.v[0]) || !finite(pt.v[1]) || math.Abs(pt.v[0]) > maxCoord || math.Abs(pt.v[1]) > maxCoord {
			return nil, fmt.Errorf("field %s is not a finite point", pt.field)
		}
		*pt.dst = geom.Point{X: pt.v[0], Y: pt.v[1]}
	}
	if g.Joins && len(g.Strokes) == 0 {
		return nil, fmt.Errorf("field joins is true but the glyph has no strokes")
	}
	return g, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Glyph returns the glyph for r. The glyph is shared: callers must not modify it.
func (f *Face) Glyph(r rune) (*Glyph, bool) {
	g, ok := f.glyphs[r]
	return g, ok
}

// Kern returns the kerning adjustment between a and b in font units (negative pulls b closer),
// 0 when the face has none for the pair.
func (f *Face) Kern(a, b rune) float64 { return f.kerning[[2]rune{a, b}] }

// Runes returns the characters the face covers, sorted.
func (f *Face) Runes() []rune { return slices.Clone(f.runes) }

// Missing is a character of a text that the face has no glyph for. Line and Column are 1-based;
// columns count characters (runes), not bytes.
type Missing struct {
	Rune         rune
	Line, Column int
}

// Missing lists every character of text the face cannot write, in text order. Line breaks
// ("\n" and the "\r" of "\r\n") are not characters; everything else, control characters and
// invalid UTF-8 (reported as U+FFFD) included, is looked up.
func (f *Face) Missing(text string) []Missing {
	var out []Missing
	line, col := 1, 0
	for i, r := range text {
		if r == '\n' {
			line, col = line+1, 0
			continue
		}
		if r == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			continue
		}
		col++
		if _, ok := f.glyphs[r]; !ok || (r == utf8.RuneError && isInvalidAt(text, i)) {
			out = append(out, Missing{Rune: r, Line: line, Column: col})
		}
	}
	return out
}

// isInvalidAt reports whether the RuneError at byte i is an encoding error rather than a
// literal U+FFFD, which a face could in principle cover.
func isInvalidAt(text string, i int) bool {
	_, size := utf8.DecodeRuneInString(text[i:])
	return size == 1
}
