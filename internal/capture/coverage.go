package capture

import (
	"strings"

	"github.com/quillpost/quillpost/internal/font"
)

// Coverage says which of the sheet's characters a face can write and how many real variants it
// has of each, and how much of quillpost's repertoires it covers.
type Coverage struct {
	// Written counts the sheet's characters with at least one sample, of Total.
	Written int `json:"written"`
	Total   int `json:"total"`
	// Missing are the sheet's characters without a sample, in sheet order.
	Missing string         `json:"missing"`
	Chars   []CharCoverage `json:"chars"`
	// Repertoires: per font.Repertoires entry, the characters of it the face lacks.
	Repertoires []RepertoireCoverage `json:"repertoires"`
	// Ready: every lower-case letter and the basic punctuation has a sample, so that a card's
	// ordinary sentence can be written (the capture page then shows its live preview).
	Ready bool `json:"ready"`
}

// CharCoverage is one character of the sheet: how many samples the face keeps of it.
type CharCoverage struct {
	Char    string `json:"char"`
	Samples int    `json:"samples"`
}

// RepertoireCoverage is one repertoire: how many of its characters are covered.
type RepertoireCoverage struct {
	Name    string `json:"name"`
	Covered int    `json:"covered"`
	Total   int    `json:"total"`
	Missing string `json:"missing"`
}

// ReadyChars must all be written before a card can be previewed.
const ReadyChars = "abcdefghijklmnopqrstuvwxyz.,"

// CoverageOf reports face's coverage of the sheet and the repertoires.
func CoverageOf(face *font.Face) Coverage {
	var c Coverage
	var missing strings.Builder
	for _, r := range Characters {
		c.Total++
		n := 0
		if g, ok := face.Glyph(r); ok {
			n = 1 + len(g.Alternates)
			c.Written++
		} else {
			missing.WriteRune(r)
		}
		c.Chars = append(c.Chars, CharCoverage{Char: string(r), Samples: n})
	}
	c.Missing = missing.String()
	for _, rep := range font.Repertoires {
		rc := RepertoireCoverage{Name: rep.Name}
		var m strings.Builder
		for _, r := range rep.Chars {
			rc.Total++
			if _, ok := face.Glyph(r); ok {
				rc.Covered++
			} else {
				m.WriteRune(r)
			}
		}
		rc.Missing = m.String()
		c.Repertoires = append(c.Repertoires, rc)
	}
	c.Ready = face.Covers(ReadyChars)
	return c
}
