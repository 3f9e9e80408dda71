// Package trigger turns a sender's own JSON (a Shopify order, a HubSpot workflow call, a Zapier
// step) into the parts of a card: path expressions pick values out of the payload, a mapping
// fills the recipient's address and the template's variables with them, and the sender's HMAC
// signature is checked in the format each sender uses. It is pure: no HTTP, no database.
package trigger

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Path is a parsed path expression such as shipping_address.zip or line_items[0].title. A key
// holding dots or brackets is written in quotes: properties["hs.zip"].value.
type Path struct {
	src   string
	steps []step
}

type step struct {
	key   string
	index int // -1: a key step
}

// String returns the expression as written.
func (p Path) String() string { return p.src }

// maxPathSteps bounds an expression (a payload nests only so deep).
const maxPathSteps = 32

// ParsePath parses a path expression; errors say where it breaks.
func ParsePath(s string) (Path, error) {
	src := strings.TrimSpace(s)
	p := Path{src: src}
	rest := src
	if rest == "" {
		return p, fmt.Errorf("the path is empty")
	}
	for rest != "" {
		if len(p.steps) >= maxPathSteps {
			return p, fmt.Errorf("the path %q has more than %d steps", src, maxPathSteps)
		}
		switch {
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return p, fmt.Errorf("the path %q opens a [ that is never closed", src)
			}
			inner := rest[1:end]
			if strings.HasPrefix(inner, `"`) {
				key, err := strconv.Unquote(inner)
				if err != nil {
					return p, fmt.Errorf("the path %q has a badly quoted key %s", src, inner)
				}
				p.steps = append(p.steps, step{key: key, index: -1})
			} else {
				n, err := strconv.Atoi(inner)
				if err != nil || n < 0 || n > 1_000_000 || inner != strconv.Itoa(n) {
					return p, fmt.Errorf("the path %q has [%s]: an index must be a number from 0, a key must be quoted", src, inner)
				}
				p.steps = append(p.steps, step{index: n})
			}
			rest = rest[end+1:]
			if strings.HasPrefix(rest, ".") {
				rest = rest[1:]
				if rest == "" || rest[0] == '.' || rest[0] == '[' {
					return p, fmt.Errorf("the path %q has an empty step", src)
				}
			}
		default:
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			key := rest[:end]
			if key == "" || strings.ContainsAny(key, `]{}|" `) {
				return p, fmt.Errorf("the path %q has an empty or invalid step %q", src, key)
			}
			p.steps = append(p.steps, step{key: key, index: -1})
			rest = rest[end:]
			if strings.HasPrefix(rest, ".") {
				rest = rest[1:]
				if rest == "" || rest[0] == '.' || rest[0] == '[' {
					return p, fmt.Errorf("the path %q has an empty step", src)
				}
			}
		}
	}
	return p, nil
}

// Lookup follows the path through a decoded JSON document (decoded with UseNumber). ok is false
// when a step is absent or the value is null.
func (p Path) Lookup(doc any) (v any, ok bool) {
	v = doc
	for _, s := range p.steps {
		switch cur := v.(type) {
		case map[string]any:
			if s.index >= 0 {
				v, ok = cur[strconv.Itoa(s.index)]
			} else {
				v, ok = cur[s.key]
			}
			if !ok {
				return nil, false
			}
		case []any:
			if s.index < 0 || s.index >= len(cur) {
				return nil, false
			}
			v = cur[s.index]
		default:
			return nil, false
		}
	}
	return v, v != nil
}

// Text returns the value at the path as text: strings as they are, numbers as written, true and
// false. An absent or null value is missing; an object or array is not text.
func (p Path) Text(doc any) (string, error) {
	v, ok := p.Lookup(doc)
	if !ok {
		return "", errMissing
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", errNotText
}

type textError string

func (e textError) Error() string { return string(e) }

const (
	errMissing = textError("missing")
	errNotText = textError("not text")
)

// Decode reads a payload for Lookup: numbers keep their digits (an order id of 20 digits stays
// exact).
func Decode(body []byte) (any, error) {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("the payload is not valid JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("the payload holds more than one JSON value")
	}
	return doc, nil
}
