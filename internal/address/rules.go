package address

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// The per-country rules and the country names are data, kept in JSON beside this file, so that a
// postal rule is fixed by editing a table rather than code, and a reviewer can read the table.
var (
	//go:embed countries.json
	countriesJSON []byte
	//go:embed names.json
	namesJSON []byte
)

// rules is one country's postal practice, as read from countries.json.
type rules struct {
	Code      string     `json:"-"`
	Adjective string     `json:"adjective"` // "a German": used in sentences about its postal codes
	Language  string     `json:"language"`  // language this country's senders name other countries in
	Layout    string     `json:"layout"`    // line template, see layout_codes in countries.json
	Upper     string     `json:"upper"`     // layout fields printed in capitals even for domestic mail
	MaxLine   int        `json:"max_line"`  // characters a line may have
	Postal    postalRule `json:"postal"`
	Region    regionRule `json:"region"`

	lines [][]token // Layout, parsed
}

type postalRule struct {
	Term      string `json:"term"`       // what the post calls it: postal code, postcode, ZIP code, Eircode
	Required  bool   `json:"required"`   // an address without one is not deliverable
	Pattern   string `json:"pattern"`    // matched against the normalised code, without separators
	Hint      string `json:"hint"`       // says the shape, ends the error sentence
	Strip     string `json:"strip"`      // separators removed before matching: safe, the shape is fixed
	OldPrefix string `json:"old_prefix"` // the country letters once written before codes: D-10115
	Split     int    `json:"split"`      // insert Sep after this many characters (before, if negative)
	Sep       string `json:"sep"`

	re *regexp.Regexp
}

type regionRule struct {
	Term     string                `json:"term"`
	Required bool                  `json:"required"`
	Pattern  string                `json:"pattern"`
	Hint     string                `json:"hint"`
	Codes    map[string]regionCode `json:"codes"`

	re     *regexp.Regexp
	byName map[string]string // folded name -> code
}

type regionCode struct {
	Name         string `json:"name"`
	PostalPrefix string `json:"postal_prefix"` // first letters of the postal codes in this region
}

// token is one piece of a layout line: a field letter, or literal text when Field is 0.
type token struct {
	Field byte
	Text  string
}

type ruleSet struct {
	def       rules
	countries map[string]*rules
	names     map[string]map[string]string // code -> language -> name
	byName    map[string]string            // folded country name in any language -> code
}

var (
	loadOnce sync.Once
	loaded   *ruleSet
	loadErr  error
)

// data returns the parsed tables. They are embedded, so an error is a defect in this package, caught
// by its tests; it panics rather than make every caller handle an impossible error.
func data() *ruleSet {
	loadOnce.Do(func() { loaded, loadErr = parseRules(countriesJSON, namesJSON) })
	if loadErr != nil {
		panic(loadErr)
	}
	return loaded
}

func parseRules(countries, names []byte) (*ruleSet, error) {
	var file struct {
		Format      string            `json:"format"`
		Source      string            `json:"source"`
		LayoutCodes string            `json:"layout_codes"`
		Default     rules             `json:"default"`
		Countries   map[string]*rules `json:"countries"`
	}
	dec := json.NewDecoder(strings.NewReader(string(countries)))
	dec.DisallowUnknownFields() // a misspelt key would silently drop a rule
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("countries.json: %w", err)
	}
	if file.Format != "quillpost-address-rules/1" {
		return nil, fmt.Errorf("countries.json: format is %q, want quillpost-address-rules/1", file.Format)
	}
	rs := &ruleSet{countries: map[string]*rules{}}
	if err := json.Unmarshal(names, &rs.names); err != nil {
		return nil, fmt.Errorf("names.json: %w", err)
	}
	rs.byName = map[string]string{}
	ambiguous := map[string]bool{}
	for code, byLang := range rs.names {
		if len(code) != 2 || strings.ToUpper(code) != code {
			return nil, fmt.Errorf("names.json: %q is not a two-letter upper-case code", code)
		}
		if byLang["en"] == "" || byLang["fr"] == "" || byLang["de"] == "" {
			return nil, fmt.Errorf("names.json: %s: needs at least the en, fr and de names", code)
		}
		for _, n := range byLang {
			k := fold(n)
			if other, ok := rs.byName[k]; ok && other != code {
				ambiguous[k] = true
			}
			rs.byName[k] = code
		}
	}
	for k := range ambiguous {
		delete(rs.byName, k)
	}
	file.Default.Code = ""
	if err := file.Default.compile("default", rs.names); err != nil {
		return nil, err
	}
	rs.def = file.Default
	for code, r := range file.Countries {
		if _, ok := rs.names[code]; !ok {
			return nil, fmt.Errorf("countries.json: %s: not a country in names.json", code)
		}
		r.Code = code
		if r.MaxLine == 0 {
			r.MaxLine = file.Default.MaxLine
		}
		if r.Language == "" {
			r.Language = file.Default.Language
		}
		if err := r.compile(code, rs.names); err != nil {
			return nil, err
		}
		rs.countries[code] = r
	}
	return rs, nil
}

func (r *rules) compile(where string, names map[string]map[string]string) error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("countries.json: %s: %s: %s", where, field, fmt.Sprintf(format, args...))
	}
	if r.MaxLine < 20 || r.MaxLine > 80 {
		return bad("max_line", "%d is not between 20 and 80", r.MaxLine)
	}
	if _, ok := names["DE"][r.Language]; !ok {
		return bad("language", "no country names in %q in names.json", r.Language)
	}
	lines, err := parseLayout(r.Layout)
	if err != nil {
		return bad("layout", "%v", err)
	}
	r.lines = lines
	for _, f := range r.Upper {
		if !strings.ContainsRune("NOACSZ", f) {
			return bad("upper", "%q is not a layout field", f)
		}
	}
	if r.Postal.Term == "" || r.Postal.Pattern == "" || r.Postal.Hint == "" {
		return bad("postal", "term, pattern and hint are needed")
	}
	if r.Postal.re, err = regexp.Compile(r.Postal.Pattern); err != nil {
		return bad("postal.pattern", "%v", err)
	}
	if r.Postal.Sep != "" && r.Postal.Split == 0 {
		return bad("postal.split", "a separator needs a split position")
	}
	if r.Region.Pattern != "" {
		if r.Region.re, err = regexp.Compile(r.Region.Pattern); err != nil {
			return bad("region.pattern", "%v", err)
		}
	}
	if r.Region.Required && r.Region.Hint == "" {
		return bad("region.hint", "a required region needs a hint")
	}
	if strings.Contains(r.Layout, "%S") && r.Region.Term == "" && where != "default" {
		return bad("region.term", "the layout prints a region, so name it")
	}
	if r.Region.Term == "" {
		r.Region.Term = "region"
	}
	r.Region.byName = map[string]string{}
	for code, rc := range r.Region.Codes {
		if rc.Name == "" {
			return bad("region.codes."+code, "name is missing")
		}
		r.Region.byName[fold(rc.Name)] = code
	}
	return nil
}

// parseLayout splits a layout such as "%N%n%O%n%A%n%Z %C" into lines of tokens.
func parseLayout(s string) ([][]token, error) {
	var lines [][]token
	var cur []token
	seen := map[byte]bool{}
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			j := strings.IndexByte(s[i:], '%')
			if j < 0 {
				j = len(s) - i
			}
			cur = append(cur, token{Text: s[i : i+j]})
			i += j - 1
			continue
		}
		if i+1 >= len(s) {
			return nil, fmt.Errorf("%q ends with a lone %%", s)
		}
		i++
		switch c := s[i]; c {
		case 'n':
			lines = append(lines, cur)
			cur = nil
		case 'N', 'O', 'A', 'Z', 'C', 'S':
			if seen[c] {
				return nil, fmt.Errorf("%q uses %%%c twice", s, c)
			}
			seen[c] = true
			cur = append(cur, token{Field: c})
		default:
			return nil, fmt.Errorf("%q: %%%c is not a layout code", s, c)
		}
	}
	lines = append(lines, cur)
	for _, f := range []byte("NACZ") {
		if !seen[f] {
			return nil, fmt.Errorf("%q does not print %%%c", s, f)
		}
	}
	for _, l := range lines {
		for _, t := range l {
			if t.Field == 'A' && len(l) != 1 {
				return nil, fmt.Errorf("%q: the street lines %%A need a line of their own", s)
			}
		}
	}
	return lines, nil
}

// rulesFor returns the rules for an upper-case ISO code, or the default rules.
func (rs *ruleSet) rulesFor(code string) *rules {
	if r, ok := rs.countries[code]; ok {
		return r
	}
	return &rs.def
}

// Countries returns the ISO 3166-1 alpha-2 codes the package knows, sorted. Every one of them is
// accepted as a destination; the ones with rules of their own are listed by FormattedCountries.
func Countries() []string {
	rs := data()
	out := make([]string, 0, len(rs.names))
	for c := range rs.names {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// FormattedCountries returns the codes of the countries with their own formatting and validation
// rules, sorted; every other country gets the fallback rules.
func FormattedCountries() []string {
	rs := data()
	out := make([]string, 0, len(rs.countries))
	for c := range rs.countries {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// CountryName returns the name of country code in language lang (a two-letter code such as "de"),
// falling back to English, and "" for an unknown code.
func CountryName(code, lang string) string {
	byLang := data().names[strings.ToUpper(strings.TrimSpace(code))]
	if n := byLang[lang]; n != "" {
		return n
	}
	return byLang["en"]
}
