package address

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// FieldError is one problem with one field of an address. Field is the JSON name of the field
// ("postal_code", "lines[0]", "country"); Reason is a plain sentence a customer can act on.
//
// Code and Args say the same in data, so that a page can say it in the customer's language:
// Code is one of the Code… constants, Args its values ("value", "n", "max", "term", "hint",
// "country", "char", "region", "prefixes"). Both stay out of the API's JSON, whose sentence is
// English.
type FieldError struct {
	Field  string            `json:"field"`
	Reason string            `json:"reason"`
	Code   string            `json:"-"`
	Args   map[string]string `json:"-"`
}

// The codes of FieldError.
const (
	CodeBadChars       = "bad_chars"            // char: the character (U+…), or "" for bad encoding
	CodeCountryMissing = "country_missing"      //
	CodeCountryUnknown = "country_unknown"      // value
	CodeNameMissing    = "name_missing"         //
	CodeTooLong        = "too_long"             // n, max
	CodeStreetMissing  = "street_missing"       //
	CodeTooManyLines   = "too_many_lines"       // n, max
	CodeCityMissing    = "city_missing"         //
	CodePostalMissing  = "postal_missing"       // term, country
	CodePostalInvalid  = "postal_invalid"       // term, value, country, hint
	CodeRegionMissing  = "region_missing"       // term, country, hint
	CodeRegionInvalid  = "region_invalid"       // term, value, country, hint
	CodePostalRegion   = "postal_not_in_region" // value, region, prefixes
	CodeUnprintable    = "unprintable"          // char: set by the label printer's check
)

// Hints returns every hint the postal rules may end a sentence with (Args["hint"]), so that a
// page translating them can check it knows each one.
func Hints() []string {
	rs := data()
	seen := map[string]bool{}
	var out []string
	add := func(h string) {
		if h != "" && !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	for _, r := range append([]*rules{&rs.def}, sortedRules(rs)...) {
		add(r.Postal.Hint)
		add(r.Region.Hint)
	}
	return out
}

// Terms returns every word the postal rules use for a postal code or region (Args["term"]).
func Terms() []string {
	rs := data()
	seen := map[string]bool{}
	var out []string
	for _, r := range append([]*rules{&rs.def}, sortedRules(rs)...) {
		for _, t := range []string{r.Postal.Term, r.Region.Term} {
			if t != "" && !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

func sortedRules(rs *ruleSet) []*rules {
	codes := make([]string, 0, len(rs.countries))
	for c := range rs.countries {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	out := make([]*rules, len(codes))
	for i, c := range codes {
		out[i] = rs.countries[c]
	}
	return out
}

// Error returns the reason, which names the field in words.
func (e FieldError) Error() string { return e.Reason }

// problem is a FieldError with what kind of problem it is, for Verify.
type problem struct {
	FieldError
	missing bool // the field is empty but needed, as opposed to present and wrong
}

// Validate checks that the address can be posted: its country is known, the fields that country
// needs are there, the postal code and region have its shape, and every field is printable (no
// control characters, not longer than a label line). It returns nil for a good address. The
// address is checked as Normalize would rewrite it, so "d-10115" is a good German postal code.
func Validate(a Address) []FieldError {
	ps := check(a)
	if len(ps) == 0 {
		return nil
	}
	out := make([]FieldError, len(ps))
	for i, p := range ps {
		out[i] = p.FieldError
	}
	return out
}

// Status is the outcome of Verify.
type Status string

const (
	Deliverable   Status = "deliverable"   // no problems: the address can be posted as it is
	MissingInfo   Status = "missing_info"  // only needed fields are empty; adding them fixes it
	Undeliverable Status = "undeliverable" // a field is wrong (unknown country, bad postal code, ...)
)

// Verification is what Verify says about an address, shaped for the API.
type Verification struct {
	Status     Status       `json:"status"`
	Problems   []FieldError `json:"problems,omitempty"`
	Normalized Address      `json:"normalized"`
	Lines      []string     `json:"lines,omitempty"` // as printed, for a deliverable address
}

// Verify validates the address and sorts the outcome into deliverable, missing_info or
// undeliverable; for a deliverable address it also returns the lines Format prints when posting
// from senderCountry.
func Verify(a Address, senderCountry string) Verification {
	v := Verification{Status: Deliverable, Normalized: Normalize(a)}
	for _, p := range check(a) {
		v.Problems = append(v.Problems, p.FieldError)
		switch {
		case !p.missing:
			v.Status = Undeliverable
		case v.Status == Deliverable:
			v.Status = MissingInfo
		}
	}
	if v.Status == Deliverable {
		v.Lines = Format(a, senderCountry)
	}
	return v
}

func check(raw Address) []problem {
	var ps []problem
	// add records a problem; code and kv (key, value, key, value…) go into Code and Args.
	add := func(missing bool, field, code string, kv []string, format string, args ...any) {
		fe := FieldError{Field: field, Reason: fmt.Sprintf(format, args...), Code: code, Args: map[string]string{}}
		for i := 0; i+1 < len(kv); i += 2 {
			fe.Args[kv[i]] = kv[i+1]
		}
		ps = append(ps, problem{fe, missing})
	}
	kv := func(x ...string) []string { return x }
	rs := data()
	a := Normalize(raw)

	// Characters first: a field with a control character is reported as such, not as "too long".
	fields := []struct{ name, label, raw string }{
		{"name", "the name", raw.Name},
		{"company", "the company", raw.Company},
		{"postal_code", "the postal code", raw.PostalCode},
		{"city", "the city", raw.City},
		{"region", "the region", raw.Region},
		{"country", "the country", raw.Country},
	}
	for i, l := range raw.Lines {
		fields = append(fields, struct{ name, label, raw string }{
			fmt.Sprintf("lines[%d]", i), fmt.Sprintf("address line %d", i+1), l})
	}
	bad := map[string]bool{}
	for _, f := range fields {
		if msg, c := badChars(f.raw); msg != "" {
			add(false, f.name, CodeBadChars, kv("char", c), "%s %s", f.label, msg)
			bad[f.name] = true
		}
	}

	// Country decides the rules for everything else.
	r := &rs.def
	countryOK := false
	switch _, known := rs.names[a.Country]; {
	case bad["country"]:
	case a.Country == "":
		add(true, "country", CodeCountryMissing, nil, "the country is missing: give its ISO 3166 code, such as DE, FR or US")
	case !known:
		add(false, "country", CodeCountryUnknown, kv("value", quote(a.Country)), "country %s is not an ISO 3166 country code (for example DE, FR, US)", quote(a.Country))
	default:
		r = rs.rulesFor(a.Country)
		countryOK = true
	}
	// anAddress is "a German address" or "an address in Japan", for sentences about what is needed.
	anAddress := r.Adjective + " address"
	if r.Adjective == "" {
		anAddress = "an address in " + CountryName(a.Country, "en")
	}

	long := func(field, label, v string) {
		if n := utf8.RuneCountInString(v); n > r.MaxLine && !bad[field] {
			add(false, field, CodeTooLong, kv("n", strconv.Itoa(n), "max", strconv.Itoa(r.MaxLine)), "%s has %d characters; at most %d fit on a line", label, n, r.MaxLine)
		}
	}
	if a.Name == "" && !bad["name"] {
		add(true, "name", CodeNameMissing, nil, "the recipient's name is missing")
	}
	long("name", "the name", a.Name)
	long("company", "the company", a.Company)

	street := 0
	for i, l := range a.Lines {
		if l != "" {
			street++
		}
		long(fmt.Sprintf("lines[%d]", i), fmt.Sprintf("address line %d", i+1), l)
	}
	switch {
	case street == 0 && !bad["lines[0]"]:
		add(true, "lines[0]", CodeStreetMissing, nil, "the street address is missing: give at least one address line")
	case street > MaxLines:
		add(false, "lines", CodeTooManyLines, kv("max", strconv.Itoa(MaxLines), "n", strconv.Itoa(street)), "an address has at most %d street lines; this one has %d", MaxLines, street)
	}

	if a.City == "" && !bad["city"] {
		add(true, "city", CodeCityMissing, nil, "the city is missing")
	}
	long("city", "the city", a.City)

	p := r.Postal
	switch {
	case bad["postal_code"]:
	case a.PostalCode == "" && p.Required:
		add(true, "postal_code", CodePostalMissing, kv("term", p.Term, "country", a.Country), "the %s is missing; %s needs one", p.Term, anAddress)
	case a.PostalCode != "" && countryOK && !p.re.MatchString(unsplit(p, a.PostalCode)):
		if r.Adjective != "" {
			add(false, "postal_code", CodePostalInvalid, kv("term", p.Term, "value", quote(a.PostalCode), "country", a.Country, "hint", p.Hint), "%s %s is not %s %s: %s", p.Term, quote(a.PostalCode), r.Adjective, p.Term, p.Hint)
		} else {
			add(false, "postal_code", CodePostalInvalid, kv("term", p.Term, "value", quote(a.PostalCode), "country", a.Country, "hint", p.Hint), "%s %s is not a valid %s for %s: %s", p.Term, quote(a.PostalCode), p.Term, CountryName(a.Country, "en"), p.Hint)
		}
	}

	g := r.Region
	switch {
	case bad["region"]:
	case a.Region == "" && g.Required:
		add(true, "region", CodeRegionMissing, kv("term", g.Term, "country", a.Country, "hint", g.Hint), "the %s is missing; %s needs one: %s", g.Term, anAddress, g.Hint)
	case a.Region == "":
	case len(g.Codes) > 0:
		rc, ok := g.Codes[a.Region]
		if !ok {
			add(false, "region", CodeRegionInvalid, kv("term", g.Term, "value", quote(a.Region), "country", a.Country, "hint", g.Hint), "%s %s is not %s %s: %s", g.Term, quote(a.Region), r.Adjective, g.Term, g.Hint)
			break
		}
		if rc.PostalPrefix != "" && a.PostalCode != "" && !bad["postal_code"] && p.re.MatchString(unsplit(p, a.PostalCode)) &&
			!strings.ContainsRune(rc.PostalPrefix, rune(a.PostalCode[0])) {
			add(false, "postal_code", CodePostalRegion, kv("value", a.PostalCode, "region", rc.Name, "prefixes", orList(rc.PostalPrefix)), "%s %s is not in %s (%s): codes there start with %s",
				p.Term, a.PostalCode, rc.Name, a.Region, orList(rc.PostalPrefix))
		}
	case g.re != nil && !g.re.MatchString(a.Region):
		add(false, "region", CodeRegionInvalid, kv("term", g.Term, "value", quote(a.Region), "country", a.Country, "hint", g.Hint), "%s %s is not %s %s code: %s", g.Term, quote(a.Region), r.Adjective, g.Term, g.Hint)
	default:
		long("region", "the "+g.Term, a.Region)
	}
	slices.SortStableFunc(ps, func(x, y problem) int { return fieldRank(x.Field) - fieldRank(y.Field) })
	return ps
}

// fieldRank orders problems as the fields appear on a form.
func fieldRank(field string) int {
	switch {
	case field == "name":
		return 0
	case field == "company":
		return 1
	case field == "lines":
		return 2
	case strings.HasPrefix(field, "lines["):
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(field, "lines["), "]"))
		return 3 + n
	case field == "postal_code":
		return 1000
	case field == "city":
		return 1001
	case field == "region":
		return 1002
	}
	return 1003
}

// unsplit undoes splitPostal: "00-950" -> "00950", the form the pattern describes.
func unsplit(p postalRule, code string) string {
	if p.Sep == "" {
		return code
	}
	return strings.Replace(code, p.Sep, "", 1)
}

// badChars describes the first character of s that no address may contain and names it (U+…;
// "" for text that is not UTF-8), or returns "".
func badChars(s string) (string, string) {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8 text; check the file's encoding", ""
	}
	for _, c := range s {
		switch {
		case c == '\uFFFD':
			return "contains U+FFFD, the mark of text read with the wrong encoding; check the file's encoding", "U+FFFD"
		case c == '\t' || c == '\n' || c == '\r':
			return fmt.Sprintf("contains a line break or tab (%U); each field must be one line", c), fmt.Sprintf("%U", c)
		case badRune(c):
			return fmt.Sprintf("contains the invisible or control character %U; remove it", c), fmt.Sprintf("%U", c)
		}
	}
	return "", ""
}

// quote keeps user text readable in a sentence but bounded, so a huge field cannot flood a log.
func quote(s string) string {
	if utf8.RuneCountInString(s) > 24 {
		r := []rune(s)
		return string(r[:24]) + "…"
	}
	return s
}

func orList(letters string) string {
	parts := strings.Split(letters, "")
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}
