package trigger

import (
	"fmt"
	"strings"
)

// Expr is a text with path fields: "{{shipping_address.first_name}} {{shipping_address.last_name}}".
// {{path|default}} gives a default for an absent or empty value; {{path|}} makes it optional.
type Expr struct {
	src   string
	parts []exprPart
}

type exprPart struct {
	text       string
	path       *Path
	def        string
	hasDefault bool
}

// maxExprLen bounds one mapping expression.
const maxExprLen = 2000

// ParseExpr parses an expression; a text without fields is a constant.
func ParseExpr(s string) (*Expr, error) {
	if len(s) > maxExprLen {
		return nil, fmt.Errorf("the expression is longer than %d bytes", maxExprLen)
	}
	e := &Expr{src: s}
	rest := s
	for rest != "" {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if strings.Contains(rest, "}}") {
				return nil, fmt.Errorf("%q: \"}}\" closes no field", s)
			}
			e.parts = append(e.parts, exprPart{text: rest})
			break
		}
		if strings.Contains(rest[:i], "}}") {
			return nil, fmt.Errorf("%q: \"}}\" closes no field", s)
		}
		if i > 0 {
			e.parts = append(e.parts, exprPart{text: rest[:i]})
		}
		body, after, ok := strings.Cut(rest[i+2:], "}}")
		if !ok {
			return nil, fmt.Errorf("%q: a field opened with \"{{\" is never closed", s)
		}
		ps, def, hasDef := strings.Cut(body, "|")
		p, err := ParsePath(ps)
		if err != nil {
			return nil, err
		}
		e.parts = append(e.parts, exprPart{path: &p, def: def, hasDefault: hasDef})
		rest = after
	}
	return e, nil
}

// String returns the expression as written.
func (e *Expr) String() string { return e.src }

// Paths lists the paths the expression reads.
func (e *Expr) Paths() []string {
	var out []string
	for _, p := range e.parts {
		if p.path != nil {
			out = append(out, p.path.String())
		}
	}
	return out
}

// MissingError names the payload path that has no usable value.
type MissingError struct {
	Path   string // in the payload: shipping_address.zip
	Target string // what it was to fill: to.postal_code
	Reason string
}

func (e *MissingError) Error() string { return e.Reason }

// Eval fills the expression from the payload. Values are trimmed; a field without a default whose
// value is absent, null, empty or not text is a *MissingError naming its path.
func (e *Expr) Eval(doc any, target string) (string, error) {
	var b strings.Builder
	for _, p := range e.parts {
		if p.path == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := p.path.Text(doc)
		v = strings.TrimSpace(v)
		if err == errNotText {
			return "", &MissingError{Path: p.path.String(), Target: target,
				Reason: fmt.Sprintf("The payload's %s is an object or a list, not a text value (wanted for %s).", p.path, target)}
		}
		if v == "" {
			if !p.hasDefault {
				return "", &MissingError{Path: p.path.String(), Target: target,
					Reason: fmt.Sprintf("The payload has no value at %s (wanted for %s).", p.path, target)}
			}
			v = p.def
		}
		b.WriteString(v)
	}
	return strings.TrimSpace(b.String()), nil
}
