package hand

import (
	"strconv"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/quillpost/quillpost/internal/font"
)

// MaxTextBytes bounds a card's text; far more than any card holds, small enough that a hostile
// request cannot make Render slow.
const MaxTextBytes = 16 << 10

// nbsp marks a no-break space inside a word: it is written as a space but never wrapped.
const nbsp = '\u00a0'

// thin is a narrow no-break space (U+202F), half a space wide: what French puts before ! ? : ;
// and inside « ». A space typed there becomes one, so the sign never starts a line alone.
const thin = '\u202f'

// isSpace reports the characters that separate words.
func isSpace(r rune) bool {
	return r == '\t' || r == ' ' || (unicode.Is(unicode.Zs, r) && r != nbsp && r != thin)
}

// frenchSpaced reports the signs that a space before them binds to the word before: they must
// not begin a line.
func frenchSpaced(r rune) bool {
	switch r {
	case '!', '?', ':', ';', '»':
		return true
	}
	return false
}

// nextAfterSpaces returns the first rune of s that is not a space.
func nextAfterSpaces(s string) rune {
	for _, r := range s {
		if !isSpace(r) {
			return r
		}
	}
	return -1
}

// text is the scanned input: runes without line breaks, words as ranges into them, paragraphs as
// ranges of words. A paragraph with no words is a blank line.
type text struct {
	runes []rune
	words []span // rune ranges
	paras []span // word ranges
}

type span struct{ a, b int }

// scan checks and splits the text. Every character the face lacks, every control or invisible
// character and undecodable byte is reported with its line:column, all at once.
func scan(s string, face *font.Face, t *text) error {
	if len(s) > MaxTextBytes {
		return &InputError{Problems: []Problem{{Reason: "the text is longer than a card can hold (" + strconv.Itoa(len(s)) + " bytes, at most " + strconv.Itoa(MaxTextBytes) + ")"}}}
	}
	// Decomposed accents (a + U+0308, as macOS pastes them) become the single characters the
	// faces have glyphs for.
	if !norm.NFC.IsNormalString(s) {
		s = norm.NFC.String(s)
	}
	t.runes = t.runes[:0]
	t.words = t.words[:0]
	t.paras = t.paras[:0]
	var probs []Problem
	line, col := 1, 0
	inWord := false
	paraStart := 0
	endWord := func() {
		if inWord {
			t.words[len(t.words)-1].b = len(t.runes)
			inWord = false
		}
	}
	endPara := func() {
		endWord()
		t.paras = append(t.paras, span{paraStart, len(t.words)})
		paraStart = len(t.words)
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		col++
		switch {
		case r == utf8.RuneError && n == 1:
			probs = append(probs, Problem{Line: line, Column: col, Reason: "bytes that are not UTF-8 text"})
			continue
		case r == '\n' || r == '\r':
			if r == '\r' && i < len(s) && s[i] == '\n' {
				i++
			}
			endPara()
			line, col = line+1, 0
			continue
		case isSpace(r):
			if inWord {
				last := t.runes[len(t.runes)-1]
				if last == thin {
					continue // more spaces after a thin space: one is enough
				}
				if last == '«' || frenchSpaced(nextAfterSpaces(s[i:])) {
					t.runes = append(t.runes, thin)
					continue
				}
			}
			endWord()
			continue
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029':
			probs = append(probs, Problem{Line: line, Column: col, Rune: r, Reason: "control character"})
			continue
		case isInvisible(r):
			probs = append(probs, Problem{Line: line, Column: col, Rune: r, Reason: "invisible formatting character; delete it"})
			continue
		}
		if r != nbsp && r != thin {
			if _, ok := face.Glyph(r); !ok {
				probs = append(probs, Problem{Line: line, Column: col, Rune: r, Reason: "the font " + face.Name + " has no glyph for it"})
				continue
			}
		}
		if !inWord {
			t.words = append(t.words, span{len(t.runes), len(t.runes)})
			inWord = true
		}
		t.runes = append(t.runes, r)
	}
	endPara()
	if len(probs) > 0 {
		return &InputError{Problems: probs}
	}
	// Blank lines at the start and end carry nothing a writer would put on a card.
	for len(t.paras) > 0 && t.paras[0].a == t.paras[0].b {
		t.paras = t.paras[1:]
	}
	for len(t.paras) > 0 && t.paras[len(t.paras)-1].a == t.paras[len(t.paras)-1].b {
		t.paras = t.paras[:len(t.paras)-1]
	}
	ink := false
	for _, r := range t.runes {
		if r != nbsp && r != thin {
			ink = true
			break
		}
	}
	if len(t.paras) == 0 || !ink {
		if len(s) == 0 {
			return &InputError{Problems: []Problem{{Reason: "the text is empty"}}}
		}
		return &InputError{Problems: []Problem{{Reason: "the text has only spaces and line breaks, nothing to write"}}}
	}
	return nil
}

// isInvisible reports zero-width and formatting characters (Unicode category Cf and friends):
// they would write nothing, or reorder text, so a text holding them is not what it looks like.
func isInvisible(r rune) bool {
	switch r {
	case '\u00ad', '\u034f', '\u061c', '\u115f', '\u1160', '\u17b4', '\u17b5', '\u180e', '\u3164', '\uffa0':
		return true
	}
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Mn, r) && r >= 0xfe00 && r <= 0xfe0f
}
