package hand

import "unicode"

// Hyphenation of words too long for a line, by rule rather than dictionary: a German or English
// word splits between syllables, found as the consonants between two vowel groups. One consonant
// (or an inseparable cluster: sch, ch, ck, ph, th, sh, and a stop followed by l or r) starts the
// next syllable; of several consonants only the last moves on (Fens-ter, Kin-der, Zen-trum,
// Dan-ke-schön). The stop-plus-l/r clusters are the ones that can begin a syllable (br, pl, tr;
// not dl or tl). Common prefixes win when a vowel follows them (ver-ein-bart, Er-in-ne-rung,
// un-end-lich). Neither part may keep fewer than two letters. An explicit hyphen is always a break.

// breakAt is a place where a word may be split: before rune index I; Hyphen is false after an
// explicit hyphen, which needs no second one.
type breakAt struct {
	I      int
	Hyphen bool
}

var prefixes = [][]rune{
	// Longest first, so "unter" wins over "un".
	[]rune("auseinander"), []rune("zusammen"), []rune("inter"), []rune("unter"), []rune("under"), []rune("über"),
	[]rune("voll"), []rune("miss"), []rune("over"), []rune("zer"), []rune("ver"), []rune("ent"), []rune("emp"),
	[]rune("vor"), []rune("aus"), []rune("ein"), []rune("auf"), []rune("dar"), []rune("her"), []rune("hin"),
	[]rune("dis"), []rune("pre"), []rune("an"), []rune("ab"), []rune("be"), []rune("er"), []rune("ge"),
	[]rune("un"), []rune("zu"), []rune("re"),
}

// hyphenBreaks appends the allowed breaks of w, in increasing order, to dst.
func hyphenBreaks(w []rune, dst []breakAt) []breakAt {
	for i := 0; i < len(w); {
		if !unicode.IsLetter(w[i]) {
			if w[i] == '-' && i > 0 && i+1 < len(w) {
				dst = append(dst, breakAt{I: i + 1})
			}
			i++
			continue
		}
		j := i
		for j < len(w) && unicode.IsLetter(w[j]) {
			j++
		}
		dst = syllables(w, i, j, dst)
		i = j
	}
	return dst
}

// syllables appends the syllable breaks inside the letter run w[a:b].
func syllables(w []rune, a, b int, dst []breakAt) []breakAt {
	if b-a < 4 {
		return dst
	}
	pre := 0
	for _, p := range prefixes {
		// A two-letter prefix needs a long rest: "Abend" is not ab-end, "anerkennen" is an-er….
		rest := b - a - len(p)
		if rest >= 2 && (len(p) > 2 || rest >= 4) && hasPrefixFold(w[a:b], p) && isVowel(w, a+len(p)) {
			pre = len(p)
			break
		}
	}
	var cand [64]int
	n := 0
	add := func(i int) {
		if i-a >= 2 && b-i >= 2 && n < len(cand) && (n == 0 || cand[n-1] < i) {
			cand[n] = i
			n++
		}
	}
	if pre > 0 {
		add(a + pre)
	}
	// Walk vowel groups; the consonants between two groups hold one break.
	i := a
	for i < b && !isVowel(w, i) {
		i++
	}
	for i < b {
		for i < b && isVowel(w, i) {
			i++
		}
		c := i // first consonant after the vowel group
		for i < b && !isVowel(w, i) {
			i++
		}
		if i >= b {
			break // no vowel after these consonants: they end the word
		}
		// Consonants w[c:i]; split before the last inseparable unit.
		at := lastUnit(w, c, i)
		if at <= a+pre {
			continue // inside the prefix
		}
		add(at)
	}
	for k := range n {
		dst = append(dst, breakAt{I: cand[k], Hyphen: true})
	}
	return dst
}

// lastUnit returns where the last inseparable consonant unit of w[c:e] starts.
func lastUnit(w []rune, c, e int) int {
	if e-c >= 3 && lowerIs(w, e-3, 's', 'c', 'h') {
		return e - 3
	}
	if e-c >= 2 {
		x, y := unicode.ToLower(w[e-2]), unicode.ToLower(w[e-1])
		switch {
		case x == 'c' && (y == 'h' || y == 'k'),
			(x == 'p' || x == 't' || x == 's') && y == 'h',
			y == 'r' && isStop(x), y == 'l' && isStop(x) && x != 'd' && x != 't':
			return e - 2
		}
	}
	return e - 1
}

func isStop(r rune) bool {
	switch r {
	case 'b', 'c', 'd', 'f', 'g', 'k', 'p', 't':
		return true
	}
	return false
}

func lowerIs(w []rune, i int, s ...rune) bool {
	for k, r := range s {
		if unicode.ToLower(w[i+k]) != r {
			return false
		}
	}
	return true
}

func hasPrefixFold(w, p []rune) bool {
	if len(w) < len(p) {
		return false
	}
	for i, r := range p {
		if unicode.ToLower(w[i]) != r {
			return false
		}
	}
	return true
}

// isVowel reports whether w[i] is a vowel sound: "u" after "q" is not, nor "y" before a vowel.
// The recursion for "y" looks only forward past a non-y letter, so it ends.
func isVowel(w []rune, i int) bool {
	if i < 0 || i >= len(w) {
		return false
	}
	r := unicode.ToLower(w[i])
	switch r {
	case 'a', 'e', 'i', 'o', 'ä', 'ö', 'ü', 'á', 'à', 'â', 'é', 'è', 'ê', 'ë', 'í', 'ì', 'î', 'ï', 'ó', 'ò', 'ô', 'ú', 'ù', 'û', 'æ', 'œ', 'ø', 'å':
		return true
	case 'u':
		return i == 0 || unicode.ToLower(w[i-1]) != 'q'
	case 'y':
		// "y" before a vowel is a consonant (you, beyond); otherwise a vowel (Party, Hymne).
		return i+1 >= len(w) || unicode.ToLower(w[i+1]) == 'y' || !isVowel(w, i+1)
	}
	return false
}
