package syntax

import "testing"

func TestCanonical(t *testing.T) {
	cases := map[string]string{
		"M3 S90":              "M3S90",
		"m03 s90.0 (pen)":     "M3S90",
		"N7 M3 S90*12":        "M3S90",
		"G1 X-0.500 Y+2":      "G1X-0.5Y2",
		"M400 ; wait":         "M400",
		"; nothing but words": "",
	}
	for line, want := range cases {
		b, err := Parse(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if got := b.Canonical(); got != want {
			t.Errorf("Canonical(%q) = %q, want %q", line, got, want)
		}
	}
}

func TestCountGetHas(t *testing.T) {
	b, err := Parse("G0 X1 X2 Y3")
	if err != nil {
		t.Fatal(err)
	}
	if b.Count('X') != 2 || b.Count('Z') != 0 {
		t.Errorf("Count: X %d Z %d", b.Count('X'), b.Count('Z'))
	}
	if v, ok := b.Get('X'); !ok || v != 1 {
		t.Errorf("Get(X) = %v, %v; want the first", v, ok)
	}
	if !b.Has('G', 0) || b.Has('G', 1) {
		t.Error("Has")
	}
}

func TestParseErrors(t *testing.T) {
	for line, want := range map[string]string{
		"G1 X":      "letter X without a number at column 4",
		"G1 X1 (a":  "unclosed comment at column 7",
		"G1 X1.2.3": `bad number "1.2.3" at column 5`,
		"G1 #1":     `unexpected '#' at column 4`,
		"$H":        `unexpected '$' at column 1`,
	} {
		if _, err := Parse(line); err == nil || err.Error() != want {
			t.Errorf("Parse(%q) = %v, want %q", line, err, want)
		}
	}
	if got := Strip("G1 X1 (comment) Y2 ; more"); got != "G1X1Y2" {
		t.Errorf("Strip = %q", got)
	}
}
