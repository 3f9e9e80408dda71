package sheets

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/sfnt"
)

// The label font is Liberation Sans 2.1.5 (SIL OFL 1.1, see fonts/LiberationSans-LICENSE.txt),
// embedded unmodified. A TrueType font with the whole Latin, Greek and Cyrillic repertoire is what
// makes umlauts, accents and Polish or Czech letters print; fpdf subsets it into each PDF.
//
//go:embed fonts/LiberationSans-Regular.ttf
var fontTTF []byte

const fontFamily = "LiberationSans"

// Vertical metrics of the font, in ems (hhea ascender 1854, descender 434, units per em 2048),
// used to keep every line's ink inside its box.
const (
	fontAscent  = 0.905
	fontDescent = 0.212
	lineGap     = 1.2 // line pitch, in ems
)

// ptToMM converts a font size in points to millimetres.
const ptToMM = 25.4 / 72

var (
	sfntOnce sync.Once
	sfntFont *sfnt.Font
	sfntErr  error
)

// unprintable returns the runes of s that the label font has no glyph for, in order, each once.
// fpdf would print them as empty boxes; a label must rather be refused.
func unprintable(s string) []rune {
	sfntOnce.Do(func() { sfntFont, sfntErr = sfnt.Parse(fontTTF) })
	if sfntErr != nil {
		panic(fmt.Errorf("sheets: the embedded font does not parse: %w", sfntErr))
	}
	var buf sfnt.Buffer
	var out []rune
	for _, r := range s {
		if r == ' ' {
			continue
		}
		gi, err := sfntFont.GlyphIndex(&buf, r)
		// fpdf's CID map covers the Basic Multilingual Plane only.
		if err != nil || gi == 0 || r > 0xFFFF {
			if !strings.ContainsRune(string(out), r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// newPDF returns an fpdf document in millimetres with the label font, set up for byte-for-byte
// reproducible output.
func newPDF(page Size) *fpdf.Fpdf {
	// "P" keeps width and height as given; "L" would swap them. An envelope's page is simply wider
	// than it is tall.
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", Size: fpdf.SizeType{Wd: page.W, Ht: page.H}})
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.SetCatalogSort(true)
	pdf.SetProducer("quillpost", false)
	pdf.SetCreator("quillpost sheets", false)
	pdf.AddUTF8FontFromBytes(fontFamily, "", fontTTF)
	pdf.SetFont(fontFamily, "", 9)
	return pdf
}

// measurer measures text with fpdf's own widths, the ones it prints with, so that a line that
// measures as fitting does fit. One document is kept for it, guarded by a mutex; parsing the font
// takes milliseconds, measuring microseconds.
type measurer struct {
	mu   sync.Mutex
	pdf  *fpdf.Fpdf
	size float64
}

var sharedMeasurer = sync.OnceValue(func() *measurer {
	return &measurer{pdf: newPDF(Size{W: 210, H: 297})}
})

// width returns the width of s in millimetres at size pt. The caller holds m.mu.
func (m *measurer) width(s string, pt float64) float64 {
	if pt != m.size {
		m.pdf.SetFontSize(pt)
		m.size = pt
	}
	return m.pdf.GetStringWidth(s)
}
