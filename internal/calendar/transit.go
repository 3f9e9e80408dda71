package calendar

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Transit is a route's delivery time in working days after the day of posting.
type Transit struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// TransitTable gives the transit time of a route. Lookup takes the first that matches: the route
// "FROM>TO", the sender's domestic time (FROM = TO), the EU time (both in EU), then Default.
type TransitTable struct {
	Routes   map[string]Transit `json:"routes,omitempty"` // "DE>AT"
	Domestic map[string]Transit `json:"domestic"`         // by country
	// DomesticDefault is the domestic time of countries Domestic does not list.
	DomesticDefault Transit  `json:"domestic_default"`
	EU              Transit  `json:"eu"`
	EUCountries     []string `json:"eu_countries"`
	Default         Transit  `json:"default"`
}

//go:embed transit.json
var defaultTransit []byte

// DefaultTransit is the shipped table: Deutsche Post's own times (Germany 1–2 working days, the EU
// 3–5), other domestic post 1–3, the rest of the world 5–10.
func DefaultTransit() *TransitTable {
	t, err := ReadTransit(strings.NewReader(string(defaultTransit)))
	if err != nil {
		panic("calendar: the embedded transit.json is broken: " + err.Error())
	}
	return t
}

// ReadTransit reads and checks a transit table in transit.json's form, so an installation can
// give its own (its post's times, its couriers).
func ReadTransit(r io.Reader) (*TransitTable, error) {
	var t TransitTable
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("transit table: %w", err)
	}
	check := func(where string, tr Transit) error {
		if tr.Min < 0 || tr.Max < tr.Min || tr.Max > 60 {
			return fmt.Errorf("transit table: %s: min %d and max %d must satisfy 0 ≤ min ≤ max ≤ 60", where, tr.Min, tr.Max)
		}
		return nil
	}
	for _, c := range []struct {
		where string
		tr    Transit
	}{{"domestic_default", t.DomesticDefault}, {"eu", t.EU}, {"default", t.Default}} {
		if err := check(c.where, c.tr); err != nil {
			return nil, err
		}
	}
	if t.Default.Max == 0 {
		return nil, fmt.Errorf("transit table: default: give the time of routes no other entry covers")
	}
	for k, tr := range t.Domestic {
		if err := check("domestic."+k, tr); err != nil {
			return nil, err
		}
	}
	for k, tr := range t.Routes {
		from, to, ok := strings.Cut(k, ">")
		if !ok || len(from) != 2 || len(to) != 2 {
			return nil, fmt.Errorf("transit table: routes.%s: name a route as FROM>TO with two-letter country codes", k)
		}
		if err := check("routes."+k, tr); err != nil {
			return nil, err
		}
	}
	return &t, nil
}

// Lookup returns the transit time from one country to another (ISO 3166-1 alpha-2).
func (t *TransitTable) Lookup(from, to string) Transit {
	from, to = strings.ToUpper(from), strings.ToUpper(to)
	if tr, ok := t.Routes[from+">"+to]; ok {
		return tr
	}
	if from == to {
		if tr, ok := t.Domestic[from]; ok {
			return tr
		}
		return t.DomesticDefault
	}
	if slices.Contains(t.EUCountries, from) && slices.Contains(t.EUCountries, to) {
		return t.EU
	}
	return t.Default
}
