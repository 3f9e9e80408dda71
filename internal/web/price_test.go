package web

import (
	"strings"
	"testing"
)

func TestPriceTable(t *testing.T) {
	p := DefaultPrices()
	got, ok := p.Of("a6-white")
	if !ok || got.Net != 390 || got.VAT != 74 || got.Gross != 464 || got.Currency != "EUR" {
		t.Errorf("a6-white: %+v %v", got, ok)
	}
	if got, ok := p.Of("c6-kraft"); !ok || got.Net != 450 { // the "*" row
		t.Errorf("c6-kraft: %+v %v", got, ok)
	}
	for _, tt := range []struct{ lang, want string }{{"de", "4,64\u00a0€"}, {"en", "€4.64"}, {"fr", "4,64\u00a0€"}} {
		if m := money(tt.lang, 464, "EUR"); m != tt.want {
			t.Errorf("money(%s) = %q, want %q", tt.lang, m, tt.want)
		}
	}
	if m := money("de", 123456789, "EUR"); m != "1.234.567,89\u00a0€" {
		t.Errorf("grouped %q", m)
	}
	if s := percent("de", 19); s != "19\u00a0%" {
		t.Errorf("percent %q", s)
	}
	if s := percent("en", 7.5); s != "7.5%" {
		t.Errorf("percent %q", s)
	}
}

func TestParsePricesNamesTheField(t *testing.T) {
	for in, want := range map[string]string{
		`{"currency":"eur","vat_percent":19,"net_cents":{"*":1}}`:   "currency",
		`{"currency":"EUR","vat_percent":190,"net_cents":{"*":1}}`:  "vat_percent",
		`{"currency":"EUR","vat_percent":19,"net_cents":{}}`:        "net_cents",
		`{"currency":"EUR","vat_percent":19,"net_cents":{"a6":-5}}`: `net_cents["a6"]`,
		`{"currency":"EUR","vat":19}`:                               "unknown field",
		`{`:                                                         "unexpected EOF",
	} {
		_, err := ParsePrices([]byte(in), "p.json")
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "p.json") {
			t.Errorf("%s: %v, want it to name %s", in, err, want)
		}
	}
}

func FuzzParsePrices(f *testing.F) {
	f.Add(defaultPrices)
	f.Add([]byte(`{"currency":"CHF","vat_percent":8.1,"net_cents":{"*":100}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := ParsePrices(raw, "fuzz")
		if err != nil {
			return
		}
		for stock := range p.NetCents {
			pr, ok := p.Of(stock)
			if !ok || pr.Gross < pr.Net || pr.VAT < 0 {
				t.Fatalf("%s: %+v", stock, pr)
			}
			for _, l := range Languages() {
				if money(l, pr.Gross, p.Currency) == "" {
					t.Fatal("no money shown")
				}
			}
		}
	})
}
