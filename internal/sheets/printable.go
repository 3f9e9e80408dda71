package sheets

import (
	"fmt"

	"github.com/quillpost/quillpost/internal/address"
)

// UnprintableFields checks every field of an address against the label font and returns one
// problem per field that holds a character the font has no glyph for, naming the field and the
// first such character. Intake asks this before it accepts a card, because the label is printed
// only after the card is written, when nobody can fix the address any more.
func UnprintableFields(a address.Address) []address.FieldError {
	var out []address.FieldError
	check := func(field, v string) {
		if bad := unprintable(v); len(bad) > 0 {
			out = append(out, address.FieldError{Field: field, Reason: unprintableReason(bad[0]),
				Code: address.CodeUnprintable, Args: map[string]string{"char": string(bad[0])}})
		}
	}
	check("name", a.Name)
	check("company", a.Company)
	for i, l := range a.Lines {
		check(fmt.Sprintf("lines[%d]", i), l)
	}
	check("postal_code", a.PostalCode)
	check("city", a.City)
	check("region", a.Region)
	check("country", a.Country)
	return out
}

// Unprintable returns the characters of s the label font cannot print, in order, each once.
func Unprintable(s string) []rune { return unprintable(s) }

func unprintableReason(r rune) string {
	return fmt.Sprintf("the character %s (%U) cannot be printed on the address label", string(r), r)
}

// Printable splits labels into those that can be printed with opts and those that cannot, so
// that one unprintable address (a character the font lacks, an erased card's remains) costs only
// its own label and never the whole sheet. The rejected keep their position in labels as Index.
func Printable(labels []Label, opts Options) (ok []Label, rejected []*LabelError) {
	for i, l := range labels {
		if err := CheckLabel(l, opts); err != nil {
			le, isLabel := err.(*LabelError)
			if !isLabel {
				le = &LabelError{Seq: l.Seq, OrderID: l.OrderID, Err: err}
			}
			le.Index = i
			rejected = append(rejected, le)
			continue
		}
		ok = append(ok, l)
	}
	return ok, rejected
}

// SafeTitle replaces the characters of a document title that the label font cannot print with
// "?", so that a campaign's name never stops its labels from printing.
func SafeTitle(title string) string {
	bad := unprintable(title)
	if len(bad) == 0 {
		return title
	}
	out := []rune(title)
	for i, r := range out {
		for _, b := range bad {
			if r == b {
				out[i] = '?'
			}
		}
	}
	return string(out)
}
