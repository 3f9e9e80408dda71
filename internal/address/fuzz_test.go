package address

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func fuzzSeeds(f *testing.F) {
	f.Add("Jürgen Weiß", "", "Straße 1", "", "D-10115", "Berlin", "", "de", "FR")
	f.Add("Jane", "Acme", "1 Main St", "Suite 2", "12345-6789", "Springfield", "Illinois", "US", "US")
	f.Add("", "", "", "", "", "", "", "", "")
	f.Add("a\x00b", "\u202e", "\t", "\xff\xfe", "sw1a1aa", "London", "", "uk", "")
	f.Add("Zoë", "", "Dam 1", "", "1234ab", "Amsterdam", "", "Nederland", "XX")
	f.Add("x", "", "y", "", "k1a0b1", "Québec", "québec", "CA", "CA")
	f.Add("x", "", "y", "", "L-", "z", "", "LU", "DE")
}

// FuzzValidate: any input gets an answer, never a panic, and every problem names a real field
// and says something.
func FuzzValidate(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, name, company, l1, l2, postal, city, region, country, sender string) {
		a := Address{Name: name, Company: company, Lines: []string{l1, l2}, PostalCode: postal, City: city, Region: region, Country: country}
		errs := Validate(a)
		for _, e := range errs {
			switch e.Field {
			case "name", "company", "lines", "lines[0]", "lines[1]", "postal_code", "city", "region", "country":
			default:
				t.Errorf("unknown field %q", e.Field)
			}
			if e.Reason == "" || !utf8.ValidString(e.Reason) {
				t.Errorf("%s: bad reason %q", e.Field, e.Reason)
			}
		}
		v := Verify(a, sender)
		if (v.Status == Deliverable) != (len(errs) == 0) {
			t.Errorf("Verify says %s with %d problems", v.Status, len(errs))
		}
		// A valid address stays valid once normalised: Normalize is what intake stores.
		if len(errs) == 0 {
			if again := Validate(v.Normalized); again != nil {
				t.Errorf("normalised address %+v is invalid: %v", v.Normalized, again)
			}
		}
	})
}

// FuzzFormat: the printed lines are never empty, never padded, and carry no control characters,
// whatever the input; a valid address prints at least name, street and city.
func FuzzFormat(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, name, company, l1, l2, postal, city, region, country, sender string) {
		a := Address{Name: name, Company: company, Lines: []string{l1, l2}, PostalCode: postal, City: city, Region: region, Country: country}
		lines := Format(a, sender)
		for i, l := range lines {
			if l == "" || strings.TrimSpace(l) != l {
				t.Errorf("line %d is %q", i, l)
			}
			if !utf8.ValidString(l) {
				t.Errorf("line %d is not UTF-8: %q", i, l)
			}
			for _, c := range l {
				if badRune(c) {
					t.Errorf("line %d has %U: %q", i, c, l)
				}
			}
		}
		if Validate(a) == nil && len(lines) < 3 {
			t.Errorf("valid address printed as %q", lines)
		}
	})
}
