package address

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

type testCase struct {
	Case    string  `json:"case"`
	Address Address `json:"address"`
}

func loadCases(t *testing.T, path string) []testCase {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cs []testCase
	if err := json.Unmarshal(b, &cs); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cs
}

// golden compares got with the file, or rewrites the file with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the output (go test -update rewrites it):\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

// TestFormatGolden writes, per destination country, every sample address as posted domestically
// and from Germany, France and the US, and from an unknown sender.
func TestFormatGolden(t *testing.T) {
	cases := loadCases(t, "testdata/format/input.json")
	byCountry := map[string][]testCase{}
	for _, c := range cases {
		cc := Normalize(c.Address).Country
		byCountry[cc] = append(byCountry[cc], c)
	}
	for _, cc := range FormattedCountries() {
		if len(byCountry[cc]) == 0 {
			t.Errorf("country %s has rules but no golden case in testdata/format/input.json", cc)
		}
	}
	for cc, cs := range byCountry {
		t.Run(cc, func(t *testing.T) {
			var b strings.Builder
			for _, c := range cs {
				if errs := Validate(c.Address); errs != nil {
					t.Errorf("%s: sample address is invalid: %v", c.Case, errs)
				}
				fmt.Fprintf(&b, "# %s\n", c.Case)
				for _, from := range slices.Compact([]string{cc, "DE", "FR", "US", ""}) {
					label := from
					if from == "" {
						label = "unknown sender"
					}
					fmt.Fprintf(&b, "## from %s\n", label)
					for _, l := range Format(c.Address, from) {
						fmt.Fprintf(&b, "%s\n", l)
					}
				}
				b.WriteString("\n")
			}
			golden(t, filepath.Join("testdata", "format", cc+".golden"), b.String())
		})
	}
}

func TestValidateGolden(t *testing.T) {
	var b strings.Builder
	for _, c := range loadCases(t, "testdata/validate/input.json") {
		v := Verify(c.Address, "DE")
		fmt.Fprintf(&b, "# %s: %s\n", c.Case, v.Status)
		for _, e := range Validate(c.Address) {
			fmt.Fprintf(&b, "%s: %s\n", e.Field, e.Reason)
		}
		b.WriteString("\n")
	}
	golden(t, filepath.Join("testdata", "validate", "validate.golden"), b.String())
}

// TestFormatRules pins the rules the issue names, independent of the golden files.
func TestFormatRules(t *testing.T) {
	tests := []struct {
		name string
		a    Address
		from string
		want []string
	}{
		{"DE domestic: code before city", Address{Name: "A", Lines: []string{"Hauptstr. 1"}, PostalCode: "12345", City: "Berlin", Country: "DE"}, "DE",
			[]string{"A", "Hauptstr. 1", "12345 Berlin"}},
		{"DE from FR: city in capitals, country in French", Address{Name: "A", Lines: []string{"Hauptstr. 1"}, PostalCode: "12345", City: "Berlin", Country: "DE"}, "FR",
			[]string{"A", "Hauptstr. 1", "12345 BERLIN", "ALLEMAGNE"}},
		{"DE from US: country in English", Address{Name: "A", Lines: []string{"Hauptstr. 1"}, PostalCode: "12345", City: "Weißenfels", Country: "DE"}, "US",
			[]string{"A", "Hauptstr. 1", "12345 WEISSENFELS", "GERMANY"}},
		{"GB: town in capitals, then postcode", Address{Name: "A", Lines: []string{"1 High St"}, PostalCode: "ec1a1bb", City: "London", Country: "GB"}, "GB",
			[]string{"A", "1 High St", "LONDON", "EC1A 1BB"}},
		{"US: CITY ST ZIP", Address{Name: "A", Lines: []string{"1 Main St"}, PostalCode: "12345", City: "Springfield", Region: "Illinois", Country: "US"}, "US",
			[]string{"A", "1 Main St", "SPRINGFIELD IL 12345"}},
		{"NL: 1234 AB Amsterdam", Address{Name: "A", Lines: []string{"Dam 1"}, PostalCode: "1234ab", City: "Amsterdam", Country: "NL"}, "NL",
			[]string{"A", "Dam 1", "1234 AB Amsterdam"}},
		{"AT from DE: country in German", Address{Name: "A", Lines: []string{"Ring 1"}, PostalCode: "1010", City: "Wien", Country: "AT"}, "DE",
			[]string{"A", "Ring 1", "1010 WIEN", "ÖSTERREICH"}},
		{"CA: two spaces before the postal code", Address{Name: "A", Lines: []string{"1 Main St"}, PostalCode: "k1a 0b1", City: "Ottawa", Region: "on", Country: "CA"}, "CA",
			[]string{"A", "1 Main St", "OTTAWA ON  K1A 0B1"}},
		{"LU keeps L-", Address{Name: "A", Lines: []string{"1 rue"}, PostalCode: "2417", City: "Luxembourg", Country: "LU"}, "LU",
			[]string{"A", "1 rue", "L-2417 Luxembourg"}},
		{"blank lines skipped", Address{Name: "A", Lines: []string{"", " 1 rue  de   Paris ", ""}, PostalCode: "75001", City: "Paris", Country: "FR"}, "FR",
			[]string{"A", "1 rue de Paris", "75001 PARIS"}},
		{"unknown sender is international, English", Address{Name: "A", Lines: []string{"Dam 1"}, PostalCode: "1234 AB", City: "Amsterdam", Country: "NL"}, "",
			[]string{"A", "Dam 1", "1234 AB AMSTERDAM", "NETHERLANDS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if errs := Validate(tt.a); errs != nil {
				t.Fatalf("Validate: %v", errs)
			}
			if got := Format(tt.a, tt.from); !slices.Equal(got, tt.want) {
				t.Errorf("Format = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidateMessages(t *testing.T) {
	a := Address{Name: "A", Lines: []string{"Hauptstr. 1"}, PostalCode: "1234", City: "Berlin", Country: "DE"}
	got := Validate(a)
	want := []FieldError{{Field: "postal_code", Reason: "postal code 1234 is not a German postal code: it needs 5 digits",
		Code: CodePostalInvalid, Args: map[string]string{"term": "postal code", "value": "1234", "country": "DE", "hint": "it needs 5 digits"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Validate = %#v, want %#v", got, want)
	}
	if got[0].Error() != want[0].Reason {
		t.Errorf("Error() = %q", got[0].Error())
	}

	fields := func(errs []FieldError) []string {
		var out []string
		for _, e := range errs {
			out = append(out, e.Field)
		}
		return out
	}
	empty := Validate(Address{})
	if f := fields(empty); !slices.Equal(f, []string{"name", "lines[0]", "city", "country"}) {
		t.Errorf("empty address: fields %q", f)
	}
	ctl := Validate(Address{Name: "A", Lines: []string{"x", "a\x00b"}, PostalCode: "10115", City: "Berlin", Country: "DE"})
	if f := fields(ctl); !slices.Equal(f, []string{"lines[1]"}) {
		t.Errorf("control character: fields %q", f)
	}
}

func TestVerify(t *testing.T) {
	good := Address{Name: "A", Lines: []string{"Hauptstr. 1"}, PostalCode: "10115", City: "Berlin", Country: "DE"}
	if v := Verify(good, "DE"); v.Status != Deliverable || len(v.Problems) != 0 || len(v.Lines) != 3 {
		t.Errorf("good: %+v", v)
	}
	missing := good
	missing.PostalCode = ""
	if v := Verify(missing, "DE"); v.Status != MissingInfo || len(v.Lines) != 0 {
		t.Errorf("missing postal code: %+v", v)
	}
	wrong := good
	wrong.PostalCode = "1"
	wrong.City = ""
	if v := Verify(wrong, "DE"); v.Status != Undeliverable || len(v.Problems) != 2 {
		t.Errorf("wrong postal code and missing city: %+v", v)
	}
	b, err := json.Marshal(Verify(missing, "DE"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"status":"missing_info"`) || !strings.Contains(string(b), `"field":"postal_code"`) {
		t.Errorf("JSON: %s", b)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ country, in, want string }{
		{"DE", "d-10115", "10115"},
		{"DE", "D 10115", "10115"},
		{"PL", "00950", "00-950"},
		{"PL", "PL-00-950", "00-950"},
		{"NL", "1234ab", "1234 AB"},
		{"GB", "sw1a1aa", "SW1A 1AA"},
		{"GB", "SW1A  1AA", "SW1A 1AA"},
		{"CA", "k1a-0b1", "K1A 0B1"},
		{"US", "123456789", "12345-6789"},
		{"US", "12345", "12345"},
		{"IE", "d02x285", "D02 X285"},
		{"LU", "L-2417", "2417"},
		{"DE", "1234", "1234"}, // invalid: left as given
		{"JP", "100-0001", "100-0001"},
	}
	for _, tt := range tests {
		got := Normalize(Address{PostalCode: tt.in, Country: tt.country}).PostalCode
		if got != tt.want {
			t.Errorf("%s %q -> %q, want %q", tt.country, tt.in, got, tt.want)
		}
	}
	for in, want := range map[string]string{"uk": "GB", " de ": "DE", "Deutschland": "DE", "Allemagne": "DE", "Germany": "DE", "ÉTATS-UNIS": "US", "Narnia": "NARNIA"} {
		if got := Normalize(Address{Country: in}).Country; got != want {
			t.Errorf("country %q -> %q, want %q", in, got, want)
		}
	}
	n := Normalize(Address{Name: "  Zoë\u00a0 \u202eMüller ", Region: "québec", Country: "CA"})
	if n.Name != "Zoë Müller" || n.Region != "QC" {
		t.Errorf("Normalize: name %q region %q", n.Name, n.Region)
	}
	decomposed := Normalize(Address{Name: "Mu\u0308ller"}).Name
	if decomposed != "Müller" {
		t.Errorf("NFC: %q", decomposed)
	}
}

func TestCountryTables(t *testing.T) {
	if n := len(Countries()); n != 249 {
		t.Errorf("Countries: %d codes, ISO 3166-1 has 249", n)
	}
	for _, cc := range []string{"DE", "AT", "CH", "FR", "NL", "BE", "LU", "IT", "ES", "DK", "PL", "GB", "IE", "US", "CA"} {
		if !slices.Contains(FormattedCountries(), cc) {
			t.Errorf("no rules for %s", cc)
		}
		for _, lang := range []string{"de", "en", "fr"} {
			if CountryName(cc, lang) == "" {
				t.Errorf("no %s name for %s", lang, cc)
			}
		}
	}
	if got := CountryName("ch", "fr"); got != "Suisse" {
		t.Errorf("CountryName(ch, fr) = %q", got)
	}
	if got := CountryName("ZZ", "en"); got != "" {
		t.Errorf("CountryName(ZZ) = %q", got)
	}
}

// TestRulesRejectBadData checks that a broken rules file is refused with the file, field and reason.
func TestRulesRejectBadData(t *testing.T) {
	base := func(country string) []byte {
		return []byte(`{"format": "quillpost-address-rules/1",
		  "default": {"language": "en", "layout": "%N%n%A%n%Z %C", "max_line": 40,
		    "postal": {"term": "postal code", "pattern": "^[0-9]+$", "hint": "digits"}},
		  "countries": {` + country + `}}`)
	}
	tests := []struct{ json, want string }{
		{`"DE": {"layout": "%N%n%A%n%Z %C", "postal": {"term": "x", "pattern": "(", "hint": "h"}}`, "DE: postal.pattern"},
		{`"DE": {"layout": "%N%n%A %Z%n%C", "postal": {"term": "x", "pattern": "1", "hint": "h"}}`, "DE: layout"},
		{`"DE": {"layout": "%N%n%A%n%Z %C %Q", "postal": {"term": "x", "pattern": "1", "hint": "h"}}`, "not a layout code"},
		{`"DE": {"layout": "%N%n%A%n%Z %C", "upper": "X", "postal": {"term": "x", "pattern": "1", "hint": "h"}}`, "DE: upper"},
		{`"DE": {"layout": "%N%n%A%n%Z %C", "postcode": {}}`, "unknown field"},
		{`"QQ": {"layout": "%N%n%A%n%Z %C", "postal": {"term": "x", "pattern": "1", "hint": "h"}}`, "QQ: not a country"},
		{`"DE": {"layout": "%N%n%A%n%Z %C", "postal": {"term": "x", "pattern": "1", "hint": "h"}, "region": {"term": "state", "required": true}}`, "region.hint"},
	}
	for _, tt := range tests {
		_, err := parseRules(base(tt.json), namesJSON)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "countries.json: ") {
			t.Errorf("%s: error %v, want one containing %q", tt.json, err, tt.want)
		}
	}
	if _, err := parseRules(base(""), namesJSON); err != nil {
		t.Errorf("minimal rules: %v", err)
	}
}

// Every problem carries a code, so that pages can say it in their customer's language.
func TestEveryProblemHasACode(t *testing.T) {
	for _, a := range []Address{
		{},
		{Country: "XX"},
		{Name: "A\tB", Lines: []string{"Hauptstr. 1", "b", "c", "d", "e"}, PostalCode: "12", City: "x", Country: "DE"},
		{Name: "A", Lines: []string{"1 Main St"}, City: "Albany", Country: "US"},
		{Name: "A", Lines: []string{"1 Main St"}, City: "Albany", PostalCode: "90210", Region: "NY", Country: "US"},
		{Name: "A", Lines: []string{"1 Main St"}, City: "Albany", PostalCode: "12207", Region: "Q1", Country: "US"},
		{Name: "A", Lines: []string{string(make([]byte, 200))}, City: "Paris", PostalCode: "75001", Country: "FR"},
	} {
		for _, p := range Validate(a) {
			if p.Code == "" {
				t.Errorf("%+v: problem %q has no code", a, p.Reason)
			}
		}
	}
	if len(Hints()) < 10 || len(Terms()) < 4 {
		t.Errorf("hints %q, terms %q", Hints(), Terms())
	}
}
