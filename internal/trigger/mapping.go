package trigger

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/quillpost/quillpost/internal/address"
)

// Mapping says where in the sender's payload each part of the card is. Every value is an Expr.
type Mapping struct {
	// EventID identifies the sender's event (a retried webhook has the same); empty means the
	// sender's event header, else the SHA-256 of the body.
	EventID   string            `json:"event_id,omitempty"`
	To        AddressMapping    `json:"to"`
	Variables map[string]string `json:"variables,omitempty"`
	Metadata  map[string]string `json:"metadata,omitempty"`
	Email     string            `json:"email,omitempty"`
}

// AddressMapping maps the recipient's address. Lines that come out empty are dropped.
type AddressMapping struct {
	Name       string   `json:"name"`
	Company    string   `json:"company,omitempty"`
	Lines      []string `json:"lines"`
	PostalCode string   `json:"postal_code,omitempty"`
	City       string   `json:"city"`
	Region     string   `json:"region,omitempty"`
	Country    string   `json:"country"`
}

// Compiled is a checked Mapping, ready to Apply.
type Compiled struct {
	eventID *Expr
	fields  []field // in a fixed order, so the first missing field is always the same
}

type field struct {
	target string // to.postal_code, variables.first_name, metadata.order, email
	expr   *Expr
}

// Limits keep a mapping to the size of a card.
const (
	maxMappedVars = 50
	maxLines      = address.MaxLines
)

// Compile checks every expression; errors name the mapping field ("mapping.to.city: …").
func (m Mapping) Compile() (*Compiled, error) {
	c := &Compiled{}
	add := func(target, src string, required bool) error {
		if src == "" {
			if required {
				return fmt.Errorf("mapping.%s: give the payload path of the %s, such as {{shipping_address.city}}", target, target)
			}
			return nil
		}
		e, err := ParseExpr(src)
		if err != nil {
			return fmt.Errorf("mapping.%s: %w", target, err)
		}
		c.fields = append(c.fields, field{target: target, expr: e})
		return nil
	}
	if m.EventID != "" {
		e, err := ParseExpr(m.EventID)
		if err != nil {
			return nil, fmt.Errorf("mapping.event_id: %w", err)
		}
		c.eventID = e
	}
	if len(m.To.Lines) == 0 {
		return nil, fmt.Errorf("mapping.to.lines: give at least one street line, such as [\"{{shipping_address.address1}}\"]")
	}
	if len(m.To.Lines) > maxLines {
		return nil, fmt.Errorf("mapping.to.lines: at most %d lines fit an address", maxLines)
	}
	if len(m.Variables) > maxMappedVars || len(m.Metadata) > maxMappedVars {
		return nil, fmt.Errorf("mapping: at most %d variables and %d metadata keys", maxMappedVars, maxMappedVars)
	}
	for _, f := range []struct {
		target, src string
		required    bool
	}{
		{"to.name", m.To.Name, true}, {"to.company", m.To.Company, false},
	} {
		if err := add(f.target, f.src, f.required); err != nil {
			return nil, err
		}
	}
	for i, l := range m.To.Lines {
		if err := add(fmt.Sprintf("to.lines[%d]", i), l, i == 0); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		target, src string
		required    bool
	}{
		{"to.postal_code", m.To.PostalCode, false}, {"to.city", m.To.City, true}, {"to.region", m.To.Region, false},
		{"to.country", m.To.Country, true}, {"email", m.Email, false},
	} {
		if err := add(f.target, f.src, f.required); err != nil {
			return nil, err
		}
	}
	for _, group := range []struct {
		prefix string
		m      map[string]string
	}{{"variables.", m.Variables}, {"metadata.", m.Metadata}} {
		keys := make([]string, 0, len(group.m))
		for k := range group.m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := add(group.prefix+k, group.m[k], true); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

// Result is a payload mapped to the parts of a card.
type Result struct {
	EventID   string
	To        address.Address
	Variables map[string]string
	Metadata  map[string]string
	Email     string
	// Sources names, for each card field, the payload paths it came from (to report an address
	// problem under the sender's own field).
	Sources map[string][]string
}

// Apply maps a decoded payload. The first field without a value is a *MissingError naming its
// payload path and the card field it was for.
func (c *Compiled) Apply(doc any) (*Result, error) {
	r := &Result{Variables: map[string]string{}, Metadata: map[string]string{}, Sources: map[string][]string{}}
	if c.eventID != nil {
		id, err := c.eventID.Eval(doc, "event_id")
		if err != nil {
			return nil, err
		}
		r.EventID = id
	}
	for _, f := range c.fields {
		v, err := f.expr.Eval(doc, f.target)
		if err != nil {
			return nil, err
		}
		r.Sources[f.target] = f.expr.Paths()
		switch t := f.target; {
		case t == "to.name":
			r.To.Name = v
		case t == "to.company":
			r.To.Company = v
		case len(t) > 8 && t[:8] == "to.lines":
			if v != "" {
				r.To.Lines = append(r.To.Lines, v)
				r.Sources[fmt.Sprintf("to.lines[%d]", len(r.To.Lines)-1)] = f.expr.Paths()
			}
		case t == "to.postal_code":
			r.To.PostalCode = v
		case t == "to.city":
			r.To.City = v
		case t == "to.region":
			r.To.Region = v
		case t == "to.country":
			r.To.Country = v
		case t == "email":
			r.Email = v
		case len(t) > 10 && t[:10] == "variables.":
			r.Variables[t[10:]] = v
		case len(t) > 9 && t[:9] == "metadata.":
			if v != "" {
				r.Metadata[t[9:]] = v
			}
		}
	}
	return r, nil
}

// EventID evaluates only the event id ("" when the mapping names none), so that a payload refused
// for another field is still listed under the sender's event.
func (c *Compiled) EventID(doc any) (string, error) {
	if c.eventID == nil {
		return "", nil
	}
	return c.eventID.Eval(doc, "event_id")
}

// BodyEventID is the event id of a payload that names none: the hash of its bytes, so the same
// body sent again is the same event.
func BodyEventID(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:16])
}
