package capture

import "strings"

// Characters is what the sample sheet asks for (issue 18): letters, digits, German and French
// letters, and the punctuation of a card.
const Characters = "abcdefghijklmnopqrstuvwxyz" +
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ" +
	"0123456789" +
	"äöüÄÖÜß" +
	"éèêàâçëïôûñ" +
	"„“‚‘\"'.,;:!?-–()&@€/"

// Words are written whole so that the writer's joins (or lifts) between letters are recorded.
var Words = []string{"anna", "bitte", "danke", "freund", "glück", "herzlich", "jeder", "komm", "quer", "sowie", "wovon", "zeit"}

// Repeats is how often the sheet asks for a character: lower-case letters, which a card is
// mostly made of, three times; everything else twice.
func Repeats(r rune) int {
	if r >= 'a' && r <= 'z' {
		return 3
	}
	return 2
}

// PlanBox is one box of the sheet as the capture page lays it out.
type PlanBox struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// Plan is the whole sheet, in the order the page asks for it: every character its Repeats
// times (one after the other, so the writer settles into each), the words, the signature.
func Plan() []PlanBox {
	var out []PlanBox
	for _, r := range Characters {
		for range Repeats(r) {
			out = append(out, PlanBox{Kind: KindChar, Text: string(r)})
		}
	}
	for _, w := range Words {
		out = append(out, PlanBox{Kind: KindWord, Text: w})
	}
	return append(out, PlanBox{Kind: KindSignature})
}

// isLower reports whether r is one of the sheet's lower-case letters (joins apply to them).
func isLower(r rune) bool {
	return strings.ContainsRune("abcdefghijklmnopqrstuvwxyzäöüßéèêàâçëïôûñ", r)
}
