package hand

import (
	"strings"
	"testing"
)

// hyphenate shows a word's breaks as "Dan-ke-schön" for the table below.
func hyphenate(w string) string {
	rs := []rune(w)
	var b strings.Builder
	last := 0
	for _, br := range hyphenBreaks(rs, nil) {
		b.WriteString(string(rs[last:br.I]))
		if br.Hyphen {
			b.WriteByte('-')
		} else {
			b.WriteByte('|')
		}
		last = br.I
	}
	b.WriteString(string(rs[last:]))
	return b.String()
}

func TestHyphenBreaks(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Dankeschön", "Dan-ke-schön"},
		{"Geburtstag", "Ge-burts-tag"},
		{"herzlichen", "herz-li-chen"},
		{"Weihnachten", "Weih-nach-ten"},
		{"Glückwünsche", "Glück-wün-sche"},
		{"Überraschung", "Über-ra-schung"},
		{"Zucker", "Zu-cker"},
		{"Fenster", "Fens-ter"},
		{"Zentrum", "Zen-trum"},
		{"vereinbart", "ver-ein-bart"},
		{"Erinnerung", "Er-in-ne-rung"},
		{"unendlich", "un-end-lich"},
		{"Gewürzmischungen", "Ge-würz-mi-schun-gen"},
		{"congratulations", "con-gra-tu-la-tions"},
		{"wonderful", "won-der-ful"},
		{"beyond", "be-yond"},
		{"Hals-Nasen-Ohren", "Hals-|Na-sen-|Oh-ren"},
		{"Grillsaison", "Grill-sai-son"},
		{"Tee", "Tee"},
		{"oben", "oben"}, // o-ben would leave one letter
		{"Abend,", "Abend,"},
		{"quer", "quer"},
		{"schmecken.", "schme-cken."},
	} {
		if got := hyphenate(tc.in); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestHyphenNeverShortParts(t *testing.T) {
	for _, w := range []string{"Ab", "abc", "aber", "Ideen", "Auto", "xyzxyz", "aaaaaa", "ßßßß", "Yyyy", "yyya", "äöü"} {
		rs := []rune(w)
		for _, b := range hyphenBreaks(rs, nil) {
			if b.Hyphen && (b.I < 2 || len(rs)-b.I < 2) {
				t.Errorf("%s: break at %d leaves fewer than two letters", w, b.I)
			}
		}
	}
}
