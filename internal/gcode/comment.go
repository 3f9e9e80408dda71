package gcode

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// MaxTitle is the longest sanitised title, in bytes. With "; title: " the comment line stays
// under GRBL's 80-byte line buffer and far under any receive buffer.
const MaxTitle = 48

// foldings spell the Latin letters that do not decompose into a base letter and accents.
var foldings = map[rune]string{
	'ß': "ss", 'æ': "ae", 'Æ': "AE", 'ø': "o", 'Ø': "O", 'œ': "oe", 'Œ': "OE",
	'ł': "l", 'Ł': "L", 'đ': "d", 'Đ': "D", 'þ': "th", 'Þ': "Th", 'ı': "i",
}

// SanitizeTitle reduces user text to what may appear inside a G-code comment: letters, digits,
// spaces and . , : - _ ' / & + @, at most MaxTitle bytes, one line. Accented letters lose their
// accents (Müller -> Muller); everything else goes. The excluded characters are the dangerous
// ones: ( ) and ; open and close comments, newlines end them, * starts a Marlin checksum, % and
// $ mean something at the start of a GRBL line, and GRBL and FluidNC act on ! ~ ? and control
// characters wherever they appear in the byte stream, comments included (feed hold, cycle
// start, status, reset).
func SanitizeTitle(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(s) {
		if f, ok := foldings[r]; ok {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteString(f)
			continue
		}
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(".,:-_'/&+@", r)):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r):
			// A combining accent left by the decomposition: drop it, keep the letter.
		default:
			// Spaces, line breaks and every refused character become one separating space.
			space = true
		}
		if b.Len() >= MaxTitle {
			break
		}
	}
	out := b.String()
	if len(out) > MaxTitle {
		out = out[:MaxTitle]
	}
	return strings.TrimSpace(out)
}
