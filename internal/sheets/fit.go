package sheets

import (
	"fmt"
	"math"
	"strings"
)

// TextLine is one line of text as placed on the page.
type TextLine struct {
	Text  string  `json:"text"`
	X     float64 `json:"x"`     // left end of the baseline, mm from the page's left edge
	Y     float64 `json:"y"`     // baseline, mm from the page's top edge
	Size  float64 `json:"size"`  // points
	Width float64 `json:"width"` // mm, as fpdf measures it for printing
}

// Top and Bottom are the extent of the line's ink per the font's ascent and descent.
func (t TextLine) Top() float64    { return t.Y - fontAscent*t.Size*ptToMM }
func (t TextLine) Bottom() float64 { return t.Y + fontDescent*t.Size*ptToMM }

// sizeStep is how finely a block's size is reduced when its lines do not fit.
const sizeStep = 0.25

// errNoFit says a block cannot be fitted at any allowed size.
type errNoFit struct {
	lines int
	minPt float64
}

func (e errNoFit) Error() string {
	return fmt.Sprintf("the address needs more room than the label has, even at %g pt wrapped onto %d lines; shorten its lines", e.minPt, e.lines)
}

// fitBlock lays out src, top to bottom, into box so that nothing spills out of it. At the block
// size, a line that is too wide shrinks alone, down to minPt; a line too wide even then wraps at
// spaces (and between characters for a single word wider than the box). When the lines are too
// many for the box's height, the whole block goes down by sizeStep and is laid out again. Lines
// keep the block's line pitch whatever their own size, so the block stays one block.
//
// avail(top, bottom) is the width usable by a line occupying that band, so that lines beside the
// barcode are narrower than the lines below it.
func fitBlock(m *measurer, src []string, box Box, startPt, minPt float64, avail func(top, bottom float64) float64) ([]TextLine, error) {
	var last int
	for pt := startPt; pt >= minPt-1e-9; pt -= sizeStep {
		lines, ok := layoutAt(m, src, box, pt, minPt, avail)
		if ok {
			return lines, nil
		}
		last = len(lines)
	}
	return nil, errNoFit{lines: last, minPt: minPt}
}

// layoutAt lays src out at block size pt; ok is false when the lines overflow the box's height.
func layoutAt(m *measurer, src []string, box Box, pt, minPt float64, avail func(top, bottom float64) float64) ([]TextLine, bool) {
	em := pt * ptToMM
	pitch := em * lineGap
	// Half the leading above the ascent: the last line's descent then ends inside its slot.
	baseline := (lineGap-fontAscent-fontDescent)/2*em + fontAscent*em
	var out []TextLine
	y := box.Y
	place := func(text string, size float64, w float64) {
		out = append(out, TextLine{Text: text, X: box.X, Y: y + baseline, Size: size, Width: w})
		y += pitch
	}
	for _, s := range src {
		room := avail(y, y+pitch) - 0.01 // rounding in the PDF's two-decimal coordinates
		w := m.width(s, pt)
		if w <= room {
			place(s, pt, w)
			continue
		}
		// Shrink this line alone, as far as minPt.
		if shrunk := math.Floor(pt*room/w*20) / 20; shrunk >= minPt {
			for ; shrunk >= minPt; shrunk -= 0.05 {
				if w = m.width(s, shrunk); w <= room {
					break
				}
			}
			if shrunk >= minPt {
				place(s, shrunk, w)
				continue
			}
		}
		// Wrap at the block size.
		rest := s
		for rest != "" {
			room = avail(y, y+pitch) - 0.01
			piece, remain := breakLine(m, rest, pt, room)
			place(piece, pt, m.width(piece, pt))
			rest = remain
		}
	}
	return out, y <= box.Y+box.H+1e-9
}

// breakLine takes from s the longest head that fits room at size pt, breaking after a space when
// it can and between characters when a single word is too wide. It always takes at least one
// character, so wrapping ends.
func breakLine(m *measurer, s string, pt, room float64) (head, rest string) {
	if m.width(s, pt) <= room {
		return s, ""
	}
	words := strings.Split(s, " ")
	head = ""
	for i, w := range words {
		try := w
		if head != "" {
			try = head + " " + w
		}
		if m.width(try, pt) > room {
			if head != "" {
				return head, strings.Join(words[i:], " ")
			}
			break // the first word alone is too wide: break inside it
		}
		head = try
	}
	runes := []rune(s)
	n := 1
	for n < len(runes) && m.width(string(runes[:n+1]), pt) <= room {
		n++
	}
	return string(runes[:n]), strings.TrimLeft(string(runes[n:]), " ")
}

// fitLine returns s on one line at the largest size from startPt down to minPt that fits width,
// or ok false.
func fitLine(m *measurer, s string, startPt, minPt, width float64) (pt, w float64, ok bool) {
	for pt = startPt; pt >= minPt-1e-9; pt -= sizeStep {
		if w = m.width(s, pt); w <= width-0.01 {
			return pt, w, true
		}
	}
	return 0, 0, false
}
