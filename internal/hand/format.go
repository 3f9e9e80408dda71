package hand

import (
	"fmt"
	"math"
	"strings"
)

// Margins are the blank borders of a card in millimetres. They are generous on purpose: the
// variation (drifting left margin, sloping lines, letters leaning out) must never reach the edge.
type Margins struct {
	Top    float64 `json:"top"`
	Right  float64 `json:"right"`
	Bottom float64 `json:"bottom"`
	Left   float64 `json:"left"`
}

// Format is a card or envelope as the plotter sees it, in millimetres, origin top-left, y down.
// All formats are landscape (W > H): the robots take every stock the same way round, and a
// landscape A6 card is how a postcard is written. A portrait card is a Format with W and H swapped.
type Format struct {
	Name   string  `json:"name"`
	Title  string  `json:"title"`
	W      float64 `json:"w_mm"`
	H      float64 `json:"h_mm"`
	Margin Margins `json:"margin"`
}

const inch = 25.4

var formats = []Format{
	{Name: "a6", Title: "A6 postcard", W: 148, H: 105, Margin: Margins{Top: 10, Right: 10, Bottom: 9, Left: 11}},
	{Name: "a5", Title: "A5 card", W: 210, H: 148, Margin: Margins{Top: 14, Right: 14, Bottom: 13, Left: 15}},
	{Name: "dl", Title: "DL card", W: 210, H: 99, Margin: Margins{Top: 10, Right: 13, Bottom: 9, Left: 14}},
	{Name: "us5x7", Title: "US 5×7 in card", W: 7 * inch, H: 5 * inch, Margin: Margins{Top: 12, Right: 12, Bottom: 11, Left: 13}},
	{Name: "us4x6", Title: "US 4×6 in postcard", W: 6 * inch, H: 4 * inch, Margin: Margins{Top: 10, Right: 10, Bottom: 9, Left: 11}},
	{Name: "c6", Title: "C6 envelope", W: 162, H: 114, Margin: Margins{Top: 12, Right: 12, Bottom: 11, Left: 13}},
}

// Formats returns the known card formats, a6 first.
func Formats() []Format {
	return append([]Format(nil), formats...)
}

// LookupFormat finds a format by name, case-insensitively.
func LookupFormat(name string) (Format, error) {
	for _, f := range formats {
		if strings.EqualFold(f.Name, name) {
			return f, nil
		}
	}
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.Name
	}
	return Format{}, fmt.Errorf("unknown card format %q; known formats: %s", name, strings.Join(names, ", "))
}

// Validate checks that a format (perhaps built by hand) leaves room to write.
func (f Format) Validate() error {
	vals := []float64{f.W, f.H, f.Margin.Top, f.Margin.Right, f.Margin.Bottom, f.Margin.Left}
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("card format %q has a size that is not a number", f.Name)
		}
	}
	if f.W <= 0 || f.H <= 0 || f.W > 2000 || f.H > 2000 {
		return fmt.Errorf("card format %q is %g×%g mm; each side must be between 0 and 2000 mm", f.Name, f.W, f.H)
	}
	if f.Margin.Top < 0 || f.Margin.Right < 0 || f.Margin.Bottom < 0 || f.Margin.Left < 0 {
		return fmt.Errorf("card format %q has a negative margin", f.Name)
	}
	if f.W-f.Margin.Left-f.Margin.Right < 10 || f.H-f.Margin.Top-f.Margin.Bottom < 5 {
		return fmt.Errorf("card format %q leaves less than 10×5 mm inside its margins", f.Name)
	}
	return nil
}
