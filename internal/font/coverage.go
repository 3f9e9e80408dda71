package font

import (
	"slices"
	"strings"
)

// Repertoire is a named set of characters a face may cover.
type Repertoire struct {
	Name  string
	Chars string
	// Required repertoires are covered by every embedded face (a test enforces it); the others
	// are extras that faces cover where fontgen could compose them.
	Required bool
}

// Repertoires are the character sets quillpost reports coverage for, in display order.
var Repertoires = []Repertoire{
	{Name: "ASCII", Required: true, Chars: " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ" +
		"[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"},
	{Name: "punctuation", Required: true, Chars: "€„“”‚‘’«»‹›–—…"},
	{Name: "German", Required: true, Chars: "äöüÄÖÜß"},
	{Name: "French", Required: true, Chars: "àâæçéèêëîïôœùûüÿÀÂÆÇÉÈÊËÎÏÔŒÙÛÜŸ"},
	{Name: "Spanish", Required: true, Chars: "áéíóúüñÁÉÍÓÚÜÑ¿¡"},
	{Name: "Italian", Required: true, Chars: "àèéìíîòóùÀÈÉÌÍÎÒÓÙ"},
	{Name: "Central European", Chars: "ąćčęěėńňőřśšůűźżžĄĆČĘĚĖŃŇŐŘŚŠŮŰŹŻŽ"},
}

// RequiredRunes returns the union of the required repertoires, sorted and without repeats.
func RequiredRunes() []rune {
	var rs []rune
	for _, r := range Repertoires {
		if r.Required {
			rs = append(rs, []rune(r.Chars)...)
		}
	}
	slices.Sort(rs)
	return slices.Compact(rs)
}

// Covers reports whether the face has a glyph for every character of chars.
func (f *Face) Covers(chars string) bool {
	return !strings.ContainsFunc(chars, func(r rune) bool {
		_, ok := f.glyphs[r]
		return !ok
	})
}

// ComposedCount returns how many of the face's glyphs fontgen composed from other glyphs.
func (f *Face) ComposedCount() int {
	n := 0
	for _, g := range f.glyphs {
		if g.Composed {
			n++
		}
	}
	return n
}
