package web

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"
)

// PriceTable is what a card costs on the order page: a net price per card stock and the VAT
// rate, shown with VAT on the page. Payment is not taken here (a shop's own checkout calls the
// API); the page says what is owed and when.
type PriceTable struct {
	Currency   string         `json:"currency"`    // ISO 4217, e.g. EUR
	VATPercent float64        `json:"vat_percent"` // e.g. 19
	NetCents   map[string]int `json:"net_cents"`   // stock → net price per card; "*" for the rest
	Note       string         `json:"note,omitempty"`
}

//go:embed prices.json
var defaultPrices []byte

// DefaultPrices is the price table built in (prices.json beside this file).
func DefaultPrices() PriceTable {
	p, err := ParsePrices(defaultPrices, "prices.json")
	if err != nil {
		panic(err) // embedded: a broken table fails every test
	}
	return p
}

// LoadPrices reads a price table from a JSON file shaped like prices.json.
func LoadPrices(path string) (PriceTable, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return PriceTable{}, fmt.Errorf("price table: %w", err)
	}
	return ParsePrices(raw, path)
}

// ParsePrices reads and checks a price table; errors name the file and the field.
func ParsePrices(raw []byte, name string) (PriceTable, error) {
	var p PriceTable
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return PriceTable{}, fmt.Errorf("price table %s: %w", name, err)
	}
	switch {
	case len(p.Currency) != 3 || strings.ToUpper(p.Currency) != p.Currency:
		return PriceTable{}, fmt.Errorf("price table %s: currency %q must be a three-letter ISO 4217 code such as EUR", name, p.Currency)
	case p.VATPercent < 0 || p.VATPercent > 100:
		return PriceTable{}, fmt.Errorf("price table %s: vat_percent %v must lie between 0 and 100", name, p.VATPercent)
	case len(p.NetCents) == 0:
		return PriceTable{}, fmt.Errorf("price table %s: net_cents names no stock", name)
	}
	for stock, c := range p.NetCents {
		if c <= 0 || c > 1_000_000 {
			return PriceTable{}, fmt.Errorf("price table %s: net_cents[%q] is %d; give a price between 1 and 1000000 cents", name, stock, c)
		}
	}
	return p, nil
}

// price is one card's price, worked out.
type price struct {
	Net, VAT, Gross int // cents
	Currency        string
	VATPercent      float64
}

// Of returns the price of a card of stock, and false when the table has none for it.
func (p PriceTable) Of(stock string) (price, bool) {
	net, ok := p.NetCents[stock]
	if !ok {
		net, ok = p.NetCents["*"]
	}
	if !ok {
		return price{}, false
	}
	// VAT is rounded half up to the cent, as an invoice shows it.
	vat := int((float64(net)*p.VATPercent + 50) / 100)
	return price{Net: net, VAT: vat, Gross: net + vat, Currency: p.Currency, VATPercent: p.VATPercent}, true
}

// money shows cents in the page's language: "4,64 €" in German, "€4.64" in English.
func money(lang string, cents int, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	whole, frac := cents/100, cents%100
	sym := map[string]string{"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}[currency]
	if sym == "" {
		sym = currency
	}
	switch lang {
	case "en":
		if utf8.RuneCountInString(sym) > 1 {
			return fmt.Sprintf("%s%s %s.%02d", sign, sym, group(whole, ","), frac)
		}
		return fmt.Sprintf("%s%s%s.%02d", sign, sym, group(whole, ","), frac)
	default: // de, fr: comma decimals, the symbol after
		sep := "."
		if lang == "fr" {
			sep = "\u202f"
		}
		return fmt.Sprintf("%s%s,%02d\u00a0%s", sign, group(whole, sep), frac, sym)
	}
}

// percent shows a VAT rate: "19 %" in German and French, "19%" in English.
func percent(lang string, v float64) string {
	s := strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
	if lang == "en" {
		return s + "%"
	}
	return strings.Replace(s, ".", ",", 1) + "\u00a0%"
}

func group(n int, sep string) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + sep + s[i:]
	}
	return s
}
