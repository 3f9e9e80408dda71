package sheets

import (
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/quillpost/quillpost/internal/qrcode"
)

// pen tracks the current font size so that fpdf is told only about changes.
type pen struct {
	pdf  *fpdf.Fpdf
	size float64
}

func (p *pen) text(t TextLine) {
	if t.Size != p.size {
		p.pdf.SetFontSize(t.Size)
		p.size = t.Size
	}
	p.pdf.Text(t.X, t.Y, t.Text)
}

// draw renders the placements and the manifest.
func draw(w io.Writer, layout Layout, placements []Placement, opts Options) (*Result, error) {
	pdf := newPDF(layout.Page)
	title := opts.Title
	if title == "" {
		title = "Address labels"
	}
	pdf.SetTitle(title, true)
	created := opts.Created
	if created.IsZero() {
		created = time.Unix(0, 0)
	}
	pdf.SetCreationDate(created.UTC())
	pdf.SetModificationDate(created.UTC())

	codes, err := qrMatrices(placements)
	if err != nil {
		return nil, err
	}
	pn := &pen{pdf: pdf}
	page := 0
	for i, p := range placements {
		for page < p.Page {
			pdf.AddPage()
			pn.size = 0 // fpdf re-emits the font on a new page; ours follows from the next change
			page++
		}
		if opts.Outlines {
			pdf.SetDrawColor(180, 180, 180)
			pdf.SetLineWidth(0.1)
			pdf.RoundedRect(p.Cell.X, p.Cell.Y, p.Cell.W, p.Cell.H, 2, "1234", "D")
		}
		if p.Sender != nil {
			pn.text(*p.Sender)
			pdf.SetDrawColor(0, 0, 0)
			pdf.SetLineWidth(0.1)
			y := p.Sender.Y + fontDescent*p.Sender.Size*ptToMM + ruleGap/2
			pdf.Line(p.Sender.X, y, p.Sender.X+p.Sender.Width, y)
		}
		for _, t := range p.Lines {
			pn.text(t)
		}
		for _, t := range p.Mark {
			pn.text(t)
		}
		drawQR(pdf, codes[i], p.QR)
		opts.progress("drawing", i+1, len(placements))
	}
	res := &Result{Placements: placements, LabelPages: page}
	if !opts.NoManifest {
		drawManifest(pdf, layout, placements, title, opts)
	}
	res.Pages = pdf.PageNo()
	cw := &countingWriter{w: w}
	if err := pdf.Output(cw); err != nil {
		return nil, fmt.Errorf("writing the label PDF: %w", err)
	}
	res.Bytes = cw.n
	return res, nil
}

type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += n
	return n, err
}

// qrMatrix encodes payload as a QR code (error correction M: a smudged or scuffed label still
// reads) and returns its modules, dark = true, without the quiet zone.
func qrMatrix(payload string) ([][]bool, error) {
	code, err := qrcode.Encode(payload, qrcode.M, qrcode.Auto)
	if err != nil {
		return nil, fmt.Errorf("encoding %q as a QR code: %w", payload, err)
	}
	n := code.Size()
	m := make([][]bool, n)
	for y := range m {
		m[y] = make([]bool, n)
		for x := range m[y] {
			m[y][x] = code.Get(x, y)
		}
	}
	return m, nil
}

// qrMatrices encodes every label's code, on all cores: choosing a QR code's mask is most of the
// time a large document takes, and each code depends on its payload alone, so the output stays
// the same.
func qrMatrices(placements []Placement) ([][][]bool, error) {
	codes := make([][][]bool, len(placements))
	errs := make([]error, len(placements))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(placements)) {
		wg.Go(func() {
			for i := range next {
				codes[i], errs[i] = qrMatrix(placements[i].Payload)
			}
		})
	}
	for i := range placements {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("label %d: %w", placements[i].Label.Seq, err)
		}
	}
	return codes, nil
}

// drawQR draws the code as filled rectangles, one per run of dark modules in a row: vector, sharp
// at any printer resolution, and small.
func drawQR(pdf *fpdf.Fpdf, m [][]bool, box Box) {
	mod := box.W / float64(len(m))
	pdf.SetFillColor(0, 0, 0)
	for y, row := range m {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			pdf.Rect(box.X+float64(start)*mod, box.Y+float64(y)*mod, float64(x-start)*mod, mod, "F")
		}
	}
}

// Manifest page geometry, in mm and points.
const (
	manifestMargin = 15
	manifestRow    = 4.6
	manifestPt     = 8
	manifestMinPt  = 5
)

type manifestColumn struct {
	title string
	width float64
	value func(p Placement) string
}

// drawManifest lists the labels in printing order on plain pages of the sheet's paper (A4 for
// envelopes): where each label is, its sequence number, order, card and recipient, so that an
// operator can tick them off.
func drawManifest(pdf *fpdf.Fpdf, layout Layout, placements []Placement, title string, opts Options) {
	page := layout.Page
	if layout.Kind == KindEnvelope {
		page = Size{W: 210, H: 297}
	}
	position := func(p Placement) string {
		if layout.Kind == KindEnvelope {
			return fmt.Sprintf("envelope %d", p.Page)
		}
		return fmt.Sprintf("p%d r%d c%d", p.Page, p.Row, p.Col)
	}
	cols := []manifestColumn{
		{"#", 12, func(p Placement) string { return fmt.Sprint(p.Label.Seq) }},
		{"Label", 22, position},
		{"Order", 28, func(p Placement) string { return p.Label.OrderID }},
		{"Barcode", 28, func(p Placement) string { return p.Payload }},
		{"Recipient", 42, func(p Placement) string { return p.Label.To.Name }},
		{"Postal code, city", 36, func(p Placement) string { return p.Label.To.PostalCode + " " + p.Label.To.City }},
		{"Country", 12, func(p Placement) string { return p.Label.To.Country }},
	}
	// Spread the spare width over the columns, so that Letter and A4 both fill the page.
	total := 0.0
	for _, c := range cols {
		total += c.width
	}
	scale := (page.W - 2*manifestMargin) / total

	m := sharedMeasurer() // the plan holds no lock now; measuring for the manifest needs it
	m.mu.Lock()
	defer m.mu.Unlock()

	pn := &pen{pdf: pdf}
	y := 0.0
	pages := 0
	newPage := func() {
		pdf.AddPageFormat("P", fpdf.SizeType{Wd: page.W, Ht: page.H})
		pn.size = 0
		pages++
		y = manifestMargin
		head := fmt.Sprintf("%s: manifest, %d labels on %s, %s order", title, len(placements), layout.Name, opts.Sort)
		if pages > 1 {
			head += fmt.Sprintf(" (continued, page %d)", pages)
		}
		pn.text(fitCell(m, head, manifestMargin, y+4, page.W-2*manifestMargin, 10))
		y += 9
		x := float64(manifestMargin)
		for _, c := range cols {
			pn.text(fitCell(m, c.title, x, y, c.width*scale-1.5, manifestPt))
			x += c.width * scale
		}
		pdf.SetDrawColor(0, 0, 0)
		pdf.SetLineWidth(0.2)
		pdf.Line(manifestMargin, y+1.4, page.W-manifestMargin, y+1.4)
		y += manifestRow
	}
	newPage()
	for i, p := range placements {
		if y > page.H-manifestMargin {
			newPage()
		}
		x := float64(manifestMargin)
		for _, c := range cols {
			pn.text(fitCell(m, c.value(p), x, y, c.width*scale-1.5, manifestPt))
			x += c.width * scale
		}
		if i+1 < len(placements) && placements[i+1].Page != p.Page && layout.Kind == KindSheet {
			pdf.SetLineWidth(0.1)
			pdf.Line(manifestMargin, y+1.4, page.W-manifestMargin, y+1.4)
		}
		y += manifestRow
	}
}

// fitCell shrinks s to fit a manifest cell, and shortens it with an ellipsis if even the smallest
// size is too wide: the manifest is a checklist, and the label itself is never shortened.
func fitCell(m *measurer, s string, x, y, width, pt float64) TextLine {
	if size, w, ok := fitLine(m, s, pt, manifestMinPt, width); ok {
		return TextLine{Text: s, X: x, Y: y, Size: size, Width: w}
	}
	r := []rune(s)
	for len(r) > 1 {
		r = r[:len(r)-1]
		t := string(r) + "…"
		if w := m.width(t, manifestMinPt); w <= width {
			return TextLine{Text: t, X: x, Y: y, Size: manifestMinPt, Width: w}
		}
	}
	return TextLine{Text: "…", X: x, Y: y, Size: manifestMinPt, Width: m.width("…", manifestMinPt)}
}
