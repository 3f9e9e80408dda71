package address

import (
	"slices"
	"strings"
	"testing"
)

func TestReadCSV(t *testing.T) {
	in := "\ufeffname;company;line1;line2;postal_code;city;region;country;order_id\n" +
		"Jürgen Weiß;;Große Burgstraße 3;;06667;Weißenfels;;DE;A-1\n" +
		"\"Anna; the second\";ACME;\"Dam 1\nHinterhaus\";;1012JS;Amsterdam;;NL;A-2\n" +
		"Bad Code;;Hauptstr. 1;;1234;Berlin;;DE;A-3\n" +
		"\n" +
		"No Street;;;;10115;Berlin;;DE;A-4\n" +
		"Too;many;fields;;10115;Berlin;;DE;A-5;extra\n" +
		"Jane Doe;;1 Main St;;12345;Springfield;il;US;A-6\n"
	recs, errs := ReadCSV(strings.NewReader(in))
	var rows []int
	for _, r := range recs {
		rows = append(rows, r.Row)
	}
	if !slices.Equal(rows, []int{2, 9}) {
		t.Errorf("good rows %v, want [2 9]", rows)
	}
	// The quoted field with a line break is one address line with a break in it: refused.
	want := []RowError{
		{Row: 3, Field: "line1", Reason: "address line 1 contains a line break or tab (U+000A); each field must be one line"},
		{Row: 5, Field: "postal_code", Reason: "postal code 1234 is not a German postal code: it needs 5 digits"},
		{Row: 7, Field: "line1", Reason: "the street address is missing: give at least one address line"},
		{Row: 8, Reason: "the row has 10 fields but the header 9; a separator inside a field needs quotes"},
	}
	if !slices.Equal(errs, want) {
		t.Errorf("errors:\n%q\nwant\n%q", errs, want)
	}
	if len(recs) > 0 && recs[0].Extra["order_id"] != "A-1" {
		t.Errorf("extra columns: %v", recs[0].Extra)
	}
	if len(errs) > 0 && errs[1].Error() != "row 5, postal_code: postal code 1234 is not a German postal code: it needs 5 digits" {
		t.Errorf("Error() = %q", errs[1].Error())
	}
}

func TestReadCSVHeader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "the file is empty"},
		{"name,line1,city\n", "no postal_code, country column"},
		{"name,name,line1,postal_code,city,country\n", "names column name twice"},
		{"name,\"line1,postal_code,city,country\n", "the header cannot be read"},
	}
	for _, tt := range tests {
		recs, errs := ReadCSV(strings.NewReader(tt.in))
		if len(recs) != 0 || len(errs) != 1 || errs[0].Row != 1 || !strings.Contains(errs[0].Reason, tt.want) {
			t.Errorf("%q: %v %v, want %q", tt.in, recs, errs, tt.want)
		}
	}
	recs, errs := ReadCSV(strings.NewReader(CSVHeader + "\r\nA,,Dam 1,,1012 JS,Amsterdam,,NL\r\n"))
	if len(recs) != 1 || errs != nil || recs[0].Address.Lines[0] != "Dam 1" {
		t.Errorf("comma file with CRLF: %v %v", recs, errs)
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add(CSVHeader + "\nA,,Dam 1,,1012 JS,Amsterdam,,NL\n")
	f.Add("\ufeffname;line1;postal_code;city;country\nA;B;10115;Berlin;DE\n\"x;y\n")
	f.Add("name,line1,postal_code,city,country\n\"a\"\"b\",\"c\nd\",1,2,3\n,,,,\n")
	f.Fuzz(func(t *testing.T, in string) {
		recs, errs := ReadCSV(strings.NewReader(in))
		last := 1
		for _, r := range recs {
			if r.Row <= last {
				t.Errorf("record row %d after %d", r.Row, last)
			}
			last = r.Row
			if Validate(r.Address) != nil {
				t.Errorf("row %d returned although invalid", r.Row)
			}
		}
		for _, e := range errs {
			if e.Reason == "" || e.Row < 0 {
				t.Errorf("bad error %+v", e)
			}
		}
	})
}
