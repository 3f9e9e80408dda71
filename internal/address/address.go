// Package address knows how postal addresses are written and checked in each country: it
// validates a structured address at intake, with the field and a plain reason for every problem,
// and formats it into the lines printed on an envelope or label, domestic or international.
//
// The per-country rules (line order, postal-code shapes, required fields, capitals) and the
// country names are data in countries.json and names.json, embedded in the binary.
package address

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Address is a structured postal address. Country is an ISO 3166-1 alpha-2 code ("DE").
type Address struct {
	Name       string   `json:"name"`
	Company    string   `json:"company,omitempty"`
	Lines      []string `json:"lines"`
	PostalCode string   `json:"postal_code,omitempty"`
	City       string   `json:"city"`
	Region     string   `json:"region,omitempty"`
	Country    string   `json:"country"`
}

// MaxLines is the number of street lines an address may have; with name, company, city and
// country lines it is what still fits a 36 mm label at a readable size.
const MaxLines = 4

// countryAliases are codes people use that ISO does not assign to the country they mean.
var countryAliases = map[string]string{"UK": "GB", "EL": "GR"}

// Normalize returns the address in its canonical form: Unicode NFC, runs of white space collapsed,
// no control or bidirectional-override characters, the country as an upper-case ISO code (a
// country name in a language the package knows is turned into its code), the postal code in its
// country's canonical spelling where that is unambiguous (upper case, "1234 AB", "SW1A 1AA",
// "K1A 0B1", "00-950", "12345-6789", old prefixes such as "D-" dropped) and a region given by name
// turned into its code (California -> CA). It does not drop blank street lines, so that field
// names such as lines[2] keep pointing at what the user gave.
func Normalize(a Address) Address {
	rs := data()
	n := Address{
		Name:    clean(a.Name),
		Company: clean(a.Company),
		City:    clean(a.City),
		Region:  clean(a.Region),
		Country: normalizeCountry(rs, a.Country),
	}
	if a.Lines != nil {
		n.Lines = make([]string, len(a.Lines))
		for i, l := range a.Lines {
			n.Lines[i] = clean(l)
		}
	}
	r := rs.rulesFor(n.Country)
	n.PostalCode = normalizePostal(r, clean(a.PostalCode))
	n.Region = normalizeRegion(r, n.Region)
	return n
}

func normalizeCountry(rs *ruleSet, s string) string {
	c := strings.ToUpper(clean(s))
	if alias, ok := countryAliases[c]; ok {
		return alias
	}
	if _, ok := rs.names[c]; ok || c == "" {
		return c
	}
	if code, ok := rs.byName[fold(s)]; ok {
		return code
	}
	return c
}

// normalizePostal rewrites a postal code into its canonical form only when the result matches
// the country's pattern; anything else is left as given (cleaned), so that an error message quotes
// what the user typed.
func normalizePostal(r *rules, s string) string {
	if s == "" {
		return ""
	}
	p := r.Postal
	// Upper case is always safe here: the result is kept only if it matches the country's pattern.
	t := strings.Map(func(c rune) rune {
		if strings.ContainsRune(p.Strip, c) {
			return -1
		}
		return c
	}, strings.ToUpper(s))
	candidates := []string{t}
	if p.OldPrefix != "" {
		for _, pre := range []string{p.OldPrefix + "-", p.OldPrefix} {
			if rest, ok := strings.CutPrefix(t, pre); ok {
				candidates = append(candidates, strings.TrimLeft(rest, "- "))
			}
		}
	}
	for _, c := range candidates {
		if p.re.MatchString(c) {
			return splitPostal(p, c)
		}
	}
	return s
}

func splitPostal(p postalRule, c string) string {
	if p.Sep == "" {
		return c
	}
	at := p.Split
	if at < 0 {
		at = len(c) + at
	}
	if at <= 0 || at >= len(c) {
		return c
	}
	return c[:at] + p.Sep + c[at:]
}

func normalizeRegion(r *rules, s string) string {
	if s == "" {
		return ""
	}
	if len(r.Region.Codes) > 0 {
		if _, ok := r.Region.Codes[strings.ToUpper(s)]; ok {
			return strings.ToUpper(s)
		}
		if code, ok := r.Region.byName[fold(s)]; ok {
			return code
		}
		return s
	}
	if r.Region.re != nil && r.Region.re.MatchString(strings.ToUpper(s)) {
		return strings.ToUpper(s)
	}
	return s
}

// clean returns s in NFC with runs of white space collapsed to one space, trimmed, and without the
// characters no address may contain (see badRune). Invalid UTF-8 becomes U+FFFD first, which
// badRune then removes.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, c := range s {
		switch {
		case unicode.IsSpace(c) || c == '\u00a0':
			space = b.Len() > 0
		case badRune(c):
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(c)
		}
	}
	return b.String()
}

// badRune reports characters that have no place in a printed address: control characters,
// invisible format characters that can reorder or hide text (bidi overrides, zero-width joiners),
// private-use and unassigned code points, and U+FFFD, the mark of text decoded with the wrong
// encoding.
func badRune(c rune) bool {
	switch {
	case c == '\uFFFD':
		return true
	case unicode.IsControl(c):
		return true
	case unicode.Is(unicode.Cf, c), unicode.Is(unicode.Co, c), unicode.Is(unicode.Cs, c):
		return true
	case !unicode.In(c, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z):
		return true // unassigned, or a non-character
	}
	return false
}

// upper returns s in capitals as the posts write them: ß becomes SS, as Deutsche Post and the UPU
// spell WEISSENFELS, rather than the rarely supported capital ẞ.
func upper(s string) string {
	return strings.ToUpper(strings.ReplaceAll(s, "ß", "SS"))
}

// fold returns s in lower case without diacritics, for matching names typed in different ways.
func fold(s string) string {
	s = norm.NFD.String(clean(s))
	var b strings.Builder
	for _, c := range s {
		if unicode.Is(unicode.Mn, c) || c == '.' {
			continue
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}
