package hand

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a text, at a 1-based line and column (columns count runes, so
// "ä" is one column). Rune is the character at fault, 0 when the problem is not one character.
type Problem struct {
	Line, Column int
	Rune         rune
	Reason       string // a short phrase: "the font has no glyph for it", "control character", ...
}

// InputError says why a text cannot be written at all, whatever the size: characters the face
// lacks, control or invisible characters, or no text. Every problem is listed, so that a customer
// can fix them in one go.
type InputError struct {
	Problems []Problem
}

// maxListed caps the problems spelt out in Error; the full list stays in Problems.
const maxListed = 12

func (e *InputError) Error() string {
	if len(e.Problems) == 1 && e.Problems[0].Line == 0 {
		return e.Problems[0].Reason
	}
	var b strings.Builder
	if len(e.Problems) == 1 {
		b.WriteString("the text has 1 problem: ")
	} else {
		fmt.Fprintf(&b, "the text has %d problems: ", len(e.Problems))
	}
	for i, p := range e.Problems {
		if i == maxListed {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		if p.Rune != 0 {
			fmt.Fprintf(&b, "%s (U+%04X) at %d:%d: %s", quoteRune(p.Rune), p.Rune, p.Line, p.Column, p.Reason)
		} else {
			fmt.Fprintf(&b, "at %d:%d: %s", p.Line, p.Column, p.Reason)
		}
	}
	return b.String()
}

// quoteRune shows a character the way a customer would recognise it, unless it is invisible.
func quoteRune(r rune) string {
	if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || isInvisible(r) {
		return "a control character"
	}
	return "“" + string(r) + "”"
}

// FitError says the text is too long for the card even at the smallest letter size.
type FitError struct {
	Format         string  // the card format's title, e.g. "A6 postcard"
	LinesNeeded    int     // lines the text takes at the smallest size
	LinesAvailable int     // lines the card holds at the smallest size
	XHeight        float64 // the smallest x-height tried, mm
	Detail         string  // set instead of the line counts when one letter is wider than a line
}

func (e *FitError) Error() string {
	if e.Detail != "" {
		return e.Detail
	}
	return fmt.Sprintf("the text needs %d lines, the %s holds %d at the smallest size (x-height %.1f mm); shorten it by about %d%% or choose a larger card",
		e.LinesNeeded, e.Format, e.LinesAvailable, e.XHeight, shortenPercent(e.LinesNeeded, e.LinesAvailable))
}

// shortenPercent is a rough guide to how much text to cut: lines scale about linearly with text.
func shortenPercent(need, have int) int {
	if need <= 0 || have >= need {
		return 0
	}
	return (100*(need-have) + need - 1) / need
}
