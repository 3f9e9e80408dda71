package sheets

import (
	"fmt"
	"math"

	"github.com/quillpost/quillpost/internal/address"
)

// Sizes of the small print, in points.
const (
	senderPt     = 5.5 // return address on a label, shrinking to senderMinPt
	senderMinPt  = 4.5
	envSenderPt  = 8 // return address on an envelope, shrinking to envSenderMinPt
	envSenderMin = 6
	markPt       = 5.5 // sequence number and ids on a label, shrinking to markMinPt
	markMinPt    = 4
	qrGap        = 2.5 // mm between the barcode and the address: about 4 modules of quiet zone
	qrMax        = 12  // mm, the barcode's side on a label at most
	qrMin        = 9   // mm, and at least: 0.3 mm modules for the longest ids, fine at 300 dpi
	ruleGap      = 0.5 // mm between the sender line and the rule under it
)

// placeLabel lays out label number i (0-based, in printing order) of a document.
func placeLabel(m *measurer, layout Layout, l Label, i int, opts Options) (Placement, error) {
	per := layout.PerPage()
	row, col := (i%per)/layout.Cols, (i%per)%layout.Cols
	p := Placement{
		Label:   l,
		Page:    i/per + 1,
		Row:     row + 1,
		Col:     col + 1,
		Cell:    layout.Cell(row, col),
		Payload: l.Payload(),
	}
	lines := address.Format(l.To, opts.SenderCountry)
	if layout.Kind == KindEnvelope {
		return placeEnvelope(m, layout, p, lines, opts)
	}
	return placeSheetLabel(m, layout, p, lines, opts)
}

// markText is the human-readable identification: sequence number, order and card.
func markText(l Label) []string {
	out := []string{fmt.Sprintf("#%d", l.Seq)}
	if l.OrderID != "" {
		out = append(out, l.OrderID)
	}
	if l.CardID != "" && l.CardID != l.OrderID {
		out = append(out, l.CardID)
	}
	return out
}

// placeSheetLabel lays out a label of a sheet:
//
//	┌───────────────────────────────┐
//	│ sender line (tiny, ruled)  ▛▀▜│
//	│ Recipient Name             ▙▄▟│  QR code top right
//	│ Street 1                      │
//	│ 12345 CITY                    │  lines below the code use the full width
//	│ COUNTRY                       │
//	│ #12 · order · card            │  footer
//	└───────────────────────────────┘
func placeSheetLabel(m *measurer, layout Layout, p Placement, lines []string, opts Options) (Placement, error) {
	inner := Box{X: p.Cell.X + layout.Padding.X, Y: p.Cell.Y + layout.Padding.Y,
		W: p.Cell.W - 2*layout.Padding.X, H: p.Cell.H - 2*layout.Padding.Y}

	// Footer: the numbers along the bottom, on one line, or two when long ids need them.
	parts := markText(p.Label)
	footer := []string{joinMark(parts)}
	if _, _, ok := fitLine(m, footer[0], markPt, markMinPt, inner.W); !ok && len(parts) == 3 {
		footer = []string{joinMark(parts[:2]), parts[2]}
	}
	footerTop := inner.Y + inner.H
	for i := len(footer) - 1; i >= 0; i-- {
		pt, w, ok := fitLine(m, footer[i], markPt, markMinPt, inner.W)
		if !ok {
			return p, fmt.Errorf("the numbers %q do not fit the label's width", footer[i])
		}
		p.Mark = append([]TextLine{{Text: footer[i], X: inner.X, Y: footerTop - fontDescent*pt*ptToMM, Size: pt, Width: w}}, p.Mark...)
		footerTop -= pt * ptToMM * lineGap
	}

	// QR code in the top-right corner, as large as qrMax; a crowded address gets a smaller code
	// (down to qrMin) before it is refused, and loses the sender line before the code shrinks.
	q := math.Min(qrMax, math.Min(footerTop-inner.Y-1, inner.W*0.24))
	block := Box{X: inner.X, Y: inner.Y, W: inner.W, H: footerTop - 0.6 - inner.Y}
	var err error
	for ; q >= qrMin-1e-9; q -= 1.5 {
		p.QR = Box{X: inner.X + inner.W - q, Y: inner.Y, W: q, H: q}
		narrow := inner.W - q - qrGap
		avail := func(top, bottom float64) float64 {
			if top < p.QR.Y+p.QR.H+0.5 {
				return narrow
			}
			return inner.W
		}
		if opts.Sender != "" {
			if spt, sw, ok := fitLine(m, opts.Sender, senderPt, senderMinPt, narrow); ok {
				h := spt*ptToMM*lineGap + ruleGap
				withSender := block
				withSender.Y += h
				withSender.H -= h
				if ls, err := fitBlock(m, lines, withSender, layout.FontPt, layout.MinFontPt, avail); err == nil {
					p.Sender = &TextLine{Text: opts.Sender, X: inner.X, Y: inner.Y + fontAscent*spt*ptToMM, Size: spt, Width: sw}
					p.Lines = ls
					return p, nil
				}
			}
		}
		var ls []TextLine
		if ls, err = fitBlock(m, lines, block, layout.FontPt, layout.MinFontPt, avail); err == nil {
			p.Lines = ls
			return p, nil
		}
	}
	return p, err
}

func joinMark(parts []string) string {
	s := parts[0]
	for _, x := range parts[1:] {
		s += " · " + x
	}
	return s
}

// placeEnvelope lays out an envelope: sender top left, the card mark under it, the address in
// the window-position box.
func placeEnvelope(m *measurer, layout Layout, p Placement, lines []string, opts Options) (Placement, error) {
	if opts.Sender != "" {
		if spt, sw, ok := fitLine(m, opts.Sender, envSenderPt, envSenderMin, layout.Sender.W); ok {
			p.Sender = &TextLine{Text: opts.Sender, X: layout.Sender.X, Y: layout.Sender.Y + fontAscent*spt*ptToMM, Size: spt, Width: sw}
		}
	}
	mk := layout.Mark
	q := math.Min(mk.H, mk.W/3)
	p.QR = Box{X: mk.X, Y: mk.Y, W: q, H: q}
	textBox := Box{X: mk.X + q + 3, Y: mk.Y, W: mk.W - q - 3, H: mk.H}
	parts := markText(p.Label)
	sizes := []float64{10, 8, 8}
	y := textBox.Y
	for i, s := range parts {
		pt, w, ok := fitLine(m, s, sizes[i], markMinPt, textBox.W)
		if !ok {
			return p, fmt.Errorf("%q does not fit beside the barcode", s)
		}
		y += fontAscent * pt * ptToMM
		p.Mark = append(p.Mark, TextLine{Text: s, X: textBox.X, Y: y, Size: pt, Width: w})
		y += (lineGap - fontAscent) * pt * ptToMM
	}
	if y > textBox.Y+textBox.H {
		return p, fmt.Errorf("the numbers do not fit beside the barcode")
	}
	ls, err := fitBlock(m, lines, layout.Address, layout.FontPt, layout.MinFontPt,
		func(float64, float64) float64 { return layout.Address.W })
	if err != nil {
		return p, err
	}
	p.Lines = ls
	return p, nil
}
