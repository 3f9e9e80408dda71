package trigger

import (
	"errors"
	"testing"
)

// FuzzExpr: any expression over any payload either fails to parse, or evaluates to text or a
// MissingError naming a path the expression reads; never a panic.
func FuzzExpr(f *testing.F) {
	f.Add("{{shipping_address.zip}}", []byte(`{"shipping_address":{"zip":"10115"}}`))
	f.Add(`{{a["b.c"][0]|x}} {{n}}`, []byte(`{"a":{"b.c":["v"]},"n":1.5e3}`))
	f.Add("{{x[3]}}", []byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, src string, body []byte) {
		e, err := ParseExpr(src)
		if err != nil {
			return
		}
		doc, err := Decode(body)
		if err != nil {
			return
		}
		_, err = e.Eval(doc, "to.name")
		var me *MissingError
		if err != nil && (!errors.As(err, &me) || me.Path == "" || me.Target != "to.name") {
			t.Fatalf("Eval(%q): %v", src, err)
		}
	})
}
