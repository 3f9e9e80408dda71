package intake

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// template is a parsed merge template: text with {{name}} and {{name|default}} fields. Merging
// substitutes values once, as data: a value containing "{{" stays literal text.
type template struct {
	parts []tplPart
}

type tplPart struct {
	text       string // literal text, when name is ""
	name       string // lower-case variable name
	def        string
	hasDefault bool
}

// Limits on templates and merge values.
const (
	maxTemplateLen = 10_000
	maxVarName     = 64
	maxVarValue    = 1_000
)

// parseTemplate parses a template; errors are sentences naming the position (line:column).
func parseTemplate(src string) (*template, error) {
	if len(src) > maxTemplateLen {
		return nil, fmt.Errorf("the template is longer than %d bytes", maxTemplateLen)
	}
	if !utf8.ValidString(src) {
		return nil, fmt.Errorf("the template is not valid UTF-8")
	}
	t := &template{}
	rest := src
	for rest != "" {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if j := strings.Index(rest, "}}"); j >= 0 {
				return nil, fmt.Errorf("at %s: \"}}\" closes no field", position(src, len(src)-len(rest)+j))
			}
			t.parts = append(t.parts, tplPart{text: rest})
			break
		}
		if j := strings.Index(rest[:i], "}}"); j >= 0 {
			return nil, fmt.Errorf("at %s: \"}}\" closes no field", position(src, len(src)-len(rest)+j))
		}
		if i > 0 {
			t.parts = append(t.parts, tplPart{text: rest[:i]})
		}
		start := len(src) - len(rest) + i
		body, after, ok := strings.Cut(rest[i+2:], "}}")
		if !ok {
			return nil, fmt.Errorf("at %s: the field opened with \"{{\" is never closed with \"}}\"", position(src, start))
		}
		if strings.Contains(body, "{{") {
			return nil, fmt.Errorf("at %s: a field cannot contain \"{{\"", position(src, start))
		}
		name, def, hasDef := strings.Cut(body, "|")
		name = strings.ToLower(strings.TrimSpace(name))
		if !validVarName(name) {
			return nil, fmt.Errorf("at %s: %q is not a variable name (letters, digits and _, up to %d characters)", position(src, start), strings.TrimSpace(body), maxVarName)
		}
		t.parts = append(t.parts, tplPart{name: name, def: strings.TrimSpace(def), hasDefault: hasDef})
		rest = after
	}
	return t, nil
}

func position(src string, off int) string {
	line, col := 1, 1
	for _, r := range src[:off] {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("%d:%d", line, col)
}

func validVarName(s string) bool {
	if s == "" || len(s) > maxVarName {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// normVarName maps a CSV header or JSON key to a variable name: "First Name" → first_name.
func normVarName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return r
	}, s)
}

// variables returns the names the template uses, sorted, and those without a default.
func (t *template) variables() (all, needed []string) {
	seen := map[string]bool{}
	need := map[string]bool{}
	for _, p := range t.parts {
		if p.name == "" {
			continue
		}
		seen[p.name] = true
		if !p.hasDefault {
			need[p.name] = true
		}
	}
	for n := range seen {
		all = append(all, n)
	}
	for n := range need {
		needed = append(needed, n)
	}
	sort.Strings(all)
	sort.Strings(needed)
	return all, needed
}

// mergeError names the variable at fault.
type mergeError struct{ Field, Code, Reason string }

// code is the API error code: variable_invalid for a value that cannot be merged, else
// variable_missing.
func (e *mergeError) code() string {
	if e.Code != "" {
		return e.Code
	}
	return "variable_missing"
}

// merge fills the fields from vars (keys already normalised or not). Required names must have a
// non-empty value even where the template gives a default. A value holding a control or
// direction-changing character is refused, naming the variable: dropping it silently would write
// something else than was sent. Surrounding space is trimmed.
func (t *template) merge(vars map[string]string, required []string) (string, *mergeError) {
	norm := make(map[string]string, len(vars))
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := vars[k]
		if r, bad := badValueRune(v); bad {
			name := normVarName(k)
			what := fmt.Sprintf("the control character %U", r)
			if r == utf8.RuneError {
				what = "bytes that are not UTF-8 text"
			}
			return "", &mergeError{Field: name, Code: "variable_invalid",
				Reason: fmt.Sprintf("The value of %s holds %s; remove it.", name, what)}
		}
		norm[normVarName(k)] = cleanValue(v)
	}
	for _, name := range required {
		if norm[name] == "" {
			return "", &mergeError{Field: name, Reason: fmt.Sprintf("The required variable %s is missing or empty.", name)}
		}
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.name == "" {
			b.WriteString(p.text)
			continue
		}
		v := norm[p.name]
		if len(v) > maxVarValue {
			return "", &mergeError{Field: p.name, Reason: fmt.Sprintf("The value of %s is longer than %d bytes.", p.name, maxVarValue)}
		}
		if v == "" {
			if !p.hasDefault {
				return "", &mergeError{Field: p.name, Reason: fmt.Sprintf("The variable %s is missing or empty and the template gives no default ({{%s|…}}).", p.name, p.name)}
			}
			v = p.def
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// badValueRune finds the first character no merge value may hold: invalid UTF-8, a control
// character (line breaks and tabs included: a value is one line of text) or a bidirectional
// override or isolate, which would reorder the written text.
func badValueRune(v string) (rune, bool) {
	for i, r := range v {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(v[i:]); size <= 1 {
				return r, true
			}
		case unicode.IsControl(r), r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
			return r, true
		}
	}
	return 0, false
}

// cleanValue makes a merge value plain text on one line.
func cleanValue(v string) string {
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	v = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, v)
	return strings.TrimSpace(v)
}
