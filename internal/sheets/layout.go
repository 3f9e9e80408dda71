package sheets

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

//go:embed layouts.json
var layoutsJSON []byte

// Kind says how a layout's pages are used.
type Kind string

const (
	KindSheet    Kind = "sheet"    // a sheet of self-adhesive labels in a grid
	KindEnvelope Kind = "envelope" // one envelope a page, printed directly
)

// Size is a width and height in millimetres.
type Size struct {
	W float64 `json:"w"`
	H float64 `json:"h"`
}

// Point is a position or distance in millimetres.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Box is a rectangle in millimetres: top-left corner, width, height.
type Box struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	W float64 `json:"w"`
	H float64 `json:"h"`
}

func (b Box) empty() bool { return b.W <= 0 || b.H <= 0 }

// inside reports whether b lies within o, allowing for rounding in the source figures.
func (b Box) inside(o Box) bool {
	const eps = 0.01
	return b.X >= o.X-eps && b.Y >= o.Y-eps && b.X+b.W <= o.X+o.W+eps && b.Y+b.H <= o.Y+o.H+eps
}

func (b Box) overlaps(o Box) bool {
	return b.X < o.X+o.W && o.X < b.X+b.W && b.Y < o.Y+o.H && o.Y < b.Y+b.H
}

// Layout is a label sheet or an envelope, as data. Sheets are a grid of Cols × Rows labels
// filled row by row, left to right, top to bottom. Envelopes have one "label", the whole page,
// with fixed boxes for the sender line, the card mark (barcode and numbers) and the address.
type Layout struct {
	Name      string  `json:"name"`
	Title     string  `json:"title"`
	Kind      Kind    `json:"kind"`
	Paper     string  `json:"paper"`
	Page      Size    `json:"page"`
	Cols      int     `json:"cols"`
	Rows      int     `json:"rows"`
	Label     Size    `json:"label"`
	Origin    Point   `json:"origin"`
	Pitch     Point   `json:"pitch"`
	Padding   Point   `json:"padding"`
	Sender    Box     `json:"sender,omitzero"`  // envelopes only: relative to the page
	Mark      Box     `json:"mark,omitzero"`    // envelopes only
	Address   Box     `json:"address,omitzero"` // envelopes only
	FontPt    float64 `json:"font_pt"`          // the address's size when it fits
	MinFontPt float64 `json:"min_font_pt"`      // long lines shrink down to this, then wrap
	Source    string  `json:"source"`           // where the figures come from
}

// PerPage is the number of labels on one page.
func (l Layout) PerPage() int { return l.Cols * l.Rows }

// Cell returns the label at row r, column c (0-based) on a page.
func (l Layout) Cell(r, c int) Box {
	return Box{X: l.Origin.X + float64(c)*l.Pitch.X, Y: l.Origin.Y + float64(r)*l.Pitch.Y, W: l.Label.W, H: l.Label.H}
}

var layoutName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,40}$`)

// ParseLayouts reads a layouts file ("quillpost-label-layouts/1", as layouts.json beside this
// file) and checks every layout: labels inside the page, no overlaps, room inside the padding.
// Errors name the file, the layout and the field.
func ParseLayouts(file string, data []byte) ([]Layout, error) {
	var doc struct {
		Format  string   `json:"format"`
		Notes   string   `json:"notes"`
		Layouts []Layout `json:"layouts"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if doc.Format != "quillpost-label-layouts/1" {
		return nil, fmt.Errorf("%s: format is %q, want quillpost-label-layouts/1", file, doc.Format)
	}
	seen := map[string]bool{}
	for i, l := range doc.Layouts {
		where := fmt.Sprintf("%s: layout %d (%s)", file, i+1, l.Name)
		if err := l.check(); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if seen[l.Name] {
			return nil, fmt.Errorf("%s: name: used twice", where)
		}
		seen[l.Name] = true
	}
	return doc.Layouts, nil
}

func (l Layout) check() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...))
	}
	switch {
	case !layoutName.MatchString(l.Name):
		return bad("name", "%q is not lower-case letters, digits and hyphens", l.Name)
	case l.Title == "":
		return bad("title", "missing")
	case l.Kind != KindSheet && l.Kind != KindEnvelope:
		return bad("kind", "%q is neither sheet nor envelope", l.Kind)
	case l.Page.W < 50 || l.Page.H < 50 || l.Page.W > 500 || l.Page.H > 500:
		return bad("page", "%g × %g mm is not a plausible page", l.Page.W, l.Page.H)
	case l.Cols < 1 || l.Rows < 1 || l.Cols*l.Rows > 200:
		return bad("cols", "%d × %d labels is not a plausible grid", l.Cols, l.Rows)
	case l.Label.W < 20 || l.Label.H < 15:
		return bad("label", "%g × %g mm is too small for an address", l.Label.W, l.Label.H)
	case l.Cols > 1 && l.Pitch.X < l.Label.W-0.01, l.Rows > 1 && l.Pitch.Y < l.Label.H-0.01:
		return bad("pitch", "%g × %g mm is less than the label, so labels overlap", l.Pitch.X, l.Pitch.Y)
	case l.Padding.X < 0 || l.Padding.Y < 0 || 2*l.Padding.X >= l.Label.W-15 || 2*l.Padding.Y >= l.Label.H-10:
		return bad("padding", "%g × %g mm leaves no room for the address", l.Padding.X, l.Padding.Y)
	case l.MinFontPt < 4 || l.FontPt < l.MinFontPt || l.FontPt > 24:
		return bad("font_pt", "%g pt down to %g pt is not a usable range", l.FontPt, l.MinFontPt)
	case l.Source == "":
		return bad("source", "say where the figures come from")
	}
	page := Box{W: l.Page.W, H: l.Page.H}
	if last := l.Cell(l.Rows-1, l.Cols-1); !l.Cell(0, 0).inside(page) || !last.inside(page) {
		return bad("origin", "the labels run off the %g × %g mm page", l.Page.W, l.Page.H)
	}
	if l.Kind == KindSheet {
		if !l.Sender.empty() || !l.Mark.empty() || !l.Address.empty() {
			return bad("address", "sheets place their boxes from the label size; only envelopes give them")
		}
		return nil
	}
	if l.Cols != 1 || l.Rows != 1 {
		return bad("cols", "an envelope holds one address")
	}
	boxes := []struct {
		name string
		b    Box
	}{{"sender", l.Sender}, {"mark", l.Mark}, {"address", l.Address}}
	for i, x := range boxes {
		if x.b.empty() || !x.b.inside(page) {
			return bad(x.name, "the box must lie within the page")
		}
		for _, y := range boxes[i+1:] {
			if x.b.overlaps(y.b) {
				return bad(x.name, "overlaps the %s box", y.name)
			}
		}
	}
	if l.Address.W < 60 || l.Address.H < 25 {
		return bad("address", "%g × %g mm is too small for an address", l.Address.W, l.Address.H)
	}
	return nil
}

var (
	layoutsOnce sync.Once
	layouts     []Layout
	layoutsErr  error
)

// Layouts returns the built-in layouts in the order of layouts.json. The file is embedded; an error
// in it is a defect caught by this package's tests, so it panics rather than burden every caller.
func Layouts() []Layout {
	layoutsOnce.Do(func() { layouts, layoutsErr = ParseLayouts("layouts.json", layoutsJSON) })
	if layoutsErr != nil {
		panic(layoutsErr)
	}
	return append([]Layout(nil), layouts...)
}

// LookupLayout returns the built-in layout with that name; the error lists the known names.
func LookupLayout(name string) (Layout, error) {
	var names []string
	for _, l := range Layouts() {
		if l.Name == name {
			return l, nil
		}
		names = append(names, l.Name)
	}
	return Layout{}, fmt.Errorf("there is no label layout %q; the layouts are %s", name, strings.Join(names, ", "))
}
