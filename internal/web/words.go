package web

import (
	"fmt"
	"strings"

	"github.com/quillpost/quillpost/internal/address"
	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/hand"
)

// This file says the system's own things in the page's language: address problems (by their
// code, not their English sentence), hands, card stocks and the causes of card events.

// addressProblem is one address problem as a sentence in lang.
func addressProblem(lang string, p address.FieldError) string {
	a := p.Args
	term := func() string { return trOr(lang, "addr.term."+a["term"], a["term"]) }
	hint := func() string { return trOr(lang, "addr.hint."+a["hint"], a["hint"]) }
	country := func() string { return address.CountryName(a["country"], lang) }
	switch p.Code {
	case address.CodeBadChars:
		if a["char"] == "" {
			return tr(lang, "addr.err.encoding")
		}
		return tr(lang, "addr.err.bad_chars", a["char"])
	case address.CodeCountryUnknown:
		return tr(lang, "addr.err.country_unknown", a["value"])
	case address.CodeTooLong:
		return tr(lang, "addr.err.too_long", a["n"], a["max"])
	case address.CodeTooManyLines:
		return tr(lang, "addr.err.too_many_lines", a["n"], a["max"])
	case address.CodePostalMissing:
		return tr(lang, "addr.err.postal_missing", term(), country())
	case address.CodePostalInvalid:
		return tr(lang, "addr.err.postal_invalid", term(), a["value"], country(), hint())
	case address.CodeRegionMissing:
		return tr(lang, "addr.err.region_missing", term(), country(), hint())
	case address.CodeRegionInvalid:
		return tr(lang, "addr.err.region_invalid", term(), a["value"], country(), hint())
	case address.CodePostalRegion:
		return tr(lang, "addr.err.postal_not_in_region", a["value"], a["region"], strings.Join(strings.Split(a["prefixes"], ""), "/"))
	case address.CodeUnprintable:
		code := ""
		for _, r := range a["char"] {
			code = fmt.Sprintf("%U", r)
		}
		return tr(lang, "addr.err.unprintable", a["char"], code)
	case address.CodeCountryMissing, address.CodeNameMissing, address.CodeStreetMissing, address.CodeCityMissing:
		return tr(lang, "addr.err."+p.Code)
	}
	return tr(lang, "addr.err.other")
}

// handTitle is a hand's description in lang.
func handTitle(lang string, h hand.Hand) string { return trOr(lang, "hand."+h.Name, h.Title) }

// stockTitle names a card stock ("a6-white") in lang: "A6-Postkarte · weiß".
func stockTitle(lang, stock string) string {
	fm, err := cardspec.FormatOfStock(stock)
	if err != nil {
		return stock
	}
	title := trOr(lang, "format."+fm.Name, fm.Title)
	if _, paper, ok := strings.Cut(stock, "-"); ok && paper != "" {
		title += " · " + trOr(lang, "paper."+paper, paper)
	}
	return title
}

// causeText says why a card stopped (an event's cause) in lang.
func causeText(lang, cause string) string {
	return trOr(lang, "cause."+cause, tr(lang, "cause.other"))
}
