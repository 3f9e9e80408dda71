package address

import "strings"

// Format returns the lines to print on the envelope, top to bottom, for mail posted in
// senderCountry (an ISO code). Domestic mail follows the destination's own layout. International
// mail (senderCountry differs from the address's country, or is empty or unknown) also writes the
// city in capitals and adds the destination country alone on the last line, in capitals, named in
// the sender's language (English when the sender's country is unknown), as the UPU asks.
//
// Format never fails: it prints what it can of an invalid address (Validate says what is wrong),
// and every line it returns is non-empty and free of control characters.
func Format(a Address, senderCountry string) []string {
	rs := data()
	a = Normalize(a)
	r := rs.rulesFor(a.Country)
	sender := normalizeCountry(rs, senderCountry)
	international := a.Country != "" && a.Country != sender

	upperFields := r.Upper
	if international {
		upperFields += "C"
	}
	value := func(f byte) string {
		var v string
		switch f {
		case 'N':
			v = a.Name
		case 'O':
			v = a.Company
		case 'Z':
			v = a.PostalCode
		case 'C':
			v = a.City
		case 'S':
			v = a.Region
		}
		if strings.IndexByte(upperFields, f) >= 0 {
			v = upper(v)
		}
		return v
	}

	var out []string
	for _, line := range r.lines {
		if len(line) == 1 && line[0].Field == 'A' {
			for _, l := range a.Lines {
				if l != "" {
					out = append(out, l)
				}
			}
			continue
		}
		if s := renderLine(line, value); s != "" {
			out = append(out, s)
		}
	}
	if international {
		lang := "en"
		if _, ok := rs.names[sender]; ok {
			lang = rs.rulesFor(sender).Language
		}
		name := CountryName(a.Country, lang)
		if name == "" {
			name = a.Country // unknown code: print what was given, Validate reports it
		}
		out = append(out, upper(name))
	}
	return out
}

// renderLine joins a layout line's fields. Literal text before a field belongs to it and is
// dropped with it when the field is empty, so "%C %S %Z" without a region prints "CITY 12345",
// and "L-%Z %C" without a postal code does not print a lone "L-".
func renderLine(line []token, value func(byte) string) string {
	var b strings.Builder
	pending := ""
	for _, t := range line {
		if t.Field == 0 {
			pending += t.Text
			continue
		}
		v := value(t.Field)
		if v == "" {
			pending = ""
			continue
		}
		b.WriteString(pending)
		b.WriteString(v)
		pending = ""
	}
	return strings.TrimSpace(b.String())
}
