// Package capture turns handwriting recorded in a browser (pen strokes with their timing, one
// box of a guided sample sheet at a time) into a single-stroke face of the quillpost-font/1
// format: every accepted sample becomes a real variant of its character, normalised to the
// sheet's guides, smoothed and resampled, with its stroke order and direction as written.
// It is pure computation: no storage, network or clock.
package capture

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"unicode/utf8"
)

// Format is the value of a sample sheet's "format" field.
const Format = "quillpost-strokes/1"

// Limits of an uploaded sheet: generous for a person writing (a full sheet is some 300 boxes of
// a few hundred points each) and small enough that processing stays well under a second.
const (
	MaxBoxes           = 1000
	MaxStrokesPerBox   = 64
	MaxPointsPerStroke = 5000
	MaxPoints          = 400_000
	MaxTextRunes       = 40
	maxCoord           = 1e6
)

// Sheet is a recorded sample sheet: the face's name and every box the writer filled.
type Sheet struct {
	Format string `json:"format"`
	// Name is the face's name: lower-case letters, digits and dashes.
	Name  string `json:"name"`
	Title string `json:"title,omitempty"`
	Boxes []Box  `json:"boxes"`
}

// Box kinds.
const (
	KindChar      = "char"      // one character, written once
	KindWord      = "word"      // a word, written as the writer joins its letters
	KindSignature = "signature" // the writer's signature (Text is empty)
)

// Box is one sample: what the writer was asked to write, the guides drawn in the box and the
// strokes as written. Coordinates are the box's own (CSS pixels, y down).
type Box struct {
	Kind    string   `json:"kind"`
	Text    string   `json:"text"`
	Guides  Guides   `json:"guides"`
	Strokes []Stroke `json:"strokes"`
}

// Guides are the lines drawn in a box: the baseline and the x-height line (y, the x-height line
// above the baseline, so XHeight < Baseline).
type Guides struct {
	Baseline float64 `json:"baseline"`
	XHeight  float64 `json:"x_height"`
}

// Stroke is one pen-down path as the pointer reported it.
type Stroke struct {
	Points []Point `json:"points"`
}

// Point is one pointer sample: position, milliseconds since the stroke's box was begun, and the
// pen's pressure (0–1) where the device reports it.
type Point struct {
	X        float64  `json:"x"`
	Y        float64  `json:"y"`
	T        float64  `json:"t"`
	Pressure *float64 `json:"pressure,omitempty"`
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// InputError is a sheet that breaks a rule; Field names the JSON field (boxes[3].strokes[0]…).
type InputError struct {
	Field  string
	Reason string
}

func (e *InputError) Error() string { return e.Field + ": " + e.Reason }

// Parse reads and checks a sample sheet. Errors are *InputError naming the field.
func Parse(data []byte) (*Sheet, error) {
	var s Sheet
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, &InputError{Field: "body", Reason: fmt.Sprintf("the sample sheet is not valid JSON of the %s shape: %v", Format, err)}
	}
	if dec.More() {
		return nil, &InputError{Field: "body", Reason: "the sample sheet has data after its JSON object"}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Validate checks the sheet's fields and limits.
func (s *Sheet) Validate() error {
	if s.Format != Format {
		return &InputError{Field: "format", Reason: fmt.Sprintf("is %q, want %q", s.Format, Format)}
	}
	if !nameRE.MatchString(s.Name) {
		return &InputError{Field: "name", Reason: "must be 1 to 40 lower-case letters, digits and dashes, starting with a letter or digit"}
	}
	if utf8.RuneCountInString(s.Title) > 80 || !utf8.ValidString(s.Title) {
		return &InputError{Field: "title", Reason: "must be valid text of at most 80 characters"}
	}
	if len(s.Boxes) == 0 {
		return &InputError{Field: "boxes", Reason: "the sheet has no boxes"}
	}
	if len(s.Boxes) > MaxBoxes {
		return &InputError{Field: "boxes", Reason: fmt.Sprintf("has %d boxes, at most %d are allowed", len(s.Boxes), MaxBoxes)}
	}
	total := 0
	for i := range s.Boxes {
		b := &s.Boxes[i]
		field := fmt.Sprintf("boxes[%d]", i)
		if b.Kind == "" {
			b.Kind = KindChar
			if utf8.RuneCountInString(b.Text) > 1 {
				b.Kind = KindWord
			}
		}
		switch b.Kind {
		case KindChar:
			if utf8.RuneCountInString(b.Text) != 1 || !utf8.ValidString(b.Text) || b.Text == " " {
				return &InputError{Field: field + ".text", Reason: "a character box must name exactly one character other than a space"}
			}
		case KindWord:
			if n := utf8.RuneCountInString(b.Text); n < 2 || n > MaxTextRunes || !utf8.ValidString(b.Text) {
				return &InputError{Field: field + ".text", Reason: fmt.Sprintf("a word box must name 2 to %d characters", MaxTextRunes)}
			}
		case KindSignature:
			if b.Text != "" {
				return &InputError{Field: field + ".text", Reason: "a signature box has no text"}
			}
		default:
			return &InputError{Field: field + ".kind", Reason: fmt.Sprintf("is %q; use char, word or signature", b.Kind)}
		}
		g := b.Guides
		if !finite(g.Baseline) || !finite(g.XHeight) || math.Abs(g.Baseline) > maxCoord || math.Abs(g.XHeight) > maxCoord {
			return &InputError{Field: field + ".guides", Reason: "must be finite numbers"}
		}
		if !(g.Baseline-g.XHeight >= 4) {
			return &InputError{Field: field + ".guides", Reason: "the x-height line must lie at least 4 units above the baseline (smaller y)"}
		}
		if len(b.Strokes) > MaxStrokesPerBox {
			return &InputError{Field: field + ".strokes", Reason: fmt.Sprintf("has %d strokes, at most %d are allowed", len(b.Strokes), MaxStrokesPerBox)}
		}
		for j, st := range b.Strokes {
			sf := fmt.Sprintf("%s.strokes[%d].points", field, j)
			if len(st.Points) == 0 {
				return &InputError{Field: sf, Reason: "a stroke needs at least one point"}
			}
			if len(st.Points) > MaxPointsPerStroke {
				return &InputError{Field: sf, Reason: fmt.Sprintf("has %d points, at most %d are allowed", len(st.Points), MaxPointsPerStroke)}
			}
			total += len(st.Points)
			if total > MaxPoints {
				return &InputError{Field: "boxes", Reason: fmt.Sprintf("the sheet has more than %d points", MaxPoints)}
			}
			prevT := math.Inf(-1)
			for k, p := range st.Points {
				pf := fmt.Sprintf("%s[%d]", sf, k)
				if !finite(p.X) || !finite(p.Y) || !finite(p.T) || math.Abs(p.X) > maxCoord || math.Abs(p.Y) > maxCoord || p.T < 0 || p.T > 1e9 {
					return &InputError{Field: pf, Reason: "x, y and t must be finite numbers, t not negative"}
				}
				if p.T < prevT {
					return &InputError{Field: pf + ".t", Reason: "time runs backwards within the stroke"}
				}
				prevT = p.T
				if p.Pressure != nil && (!finite(*p.Pressure) || *p.Pressure < 0 || *p.Pressure > 1) {
					return &InputError{Field: pf + ".pressure", Reason: "must be a number from 0 to 1"}
				}
			}
		}
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
