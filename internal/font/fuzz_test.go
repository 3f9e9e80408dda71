package font

import (
	"math"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse: it must return a face or an error, never panic,
// and a face it returns must keep the promises the renderer relies on.
func FuzzParse(f *testing.F) {
	data := mini(f)
	f.Add(data)
	f.Add([]byte(strings.Replace(string(data), `"advance":600`, `"advance":1e400`, 1)))
	f.Add([]byte(strings.Replace(string(data), `"M 0 -700 L 300 0 L 600 -700"`, `"M 0 -700 C 1 2 3"`, 1)))
	f.Add([]byte(strings.Replace(string(data), `"AV"`, `"A\u0000"`, 1)))
	f.Add([]byte(`{"format":"quillpost-font/1"}`))
	f.Add([]byte(`null`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		face, err := Parse(data)
		if err != nil {
			if face != nil {
				t.Fatal("Parse returned a face and an error")
			}
			return
		}
		if _, ok := face.Glyph(' '); !ok {
			t.Fatal("accepted a face without a space")
		}
		for _, r := range face.Runes() {
			g, _ := face.Glyph(r)
			if len(g.Late) != len(g.Strokes) || g.Advance < 0 || math.IsInf(g.Advance, 0) || math.IsNaN(g.Advance) {
				t.Fatalf("%q: accepted glyph %+v", r, g)
			}
			for _, s := range g.Strokes {
				if len(s.Segs) == 0 {
					t.Fatalf("%q: accepted an empty stroke", r)
				}
				if _, err := ParsePath(FormatPath(s)); err != nil {
					t.Fatalf("%q: accepted stroke does not survive FormatPath: %v", r, err)
				}
			}
		}
		_ = face.Missing(string(data))
	})
}

// FuzzParsePath: ParsePath never panics, and what it accepts formats back into a path that
// parses to the same points within the format's 0.01 rounding.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"M 0 0 L 1 2", "M 1 2 Q 3 4 5 6 C 7 8 9 10 11 12", "M0,0L1,2 3,4", "M 1e5 -1e5 L 0 0",
		"M 1 2 M 3 4", "M", "M 1", "L 1 2", "M 1 2 Z", "M 1 2 L 3 4 x", "M 1.5.5 2", "M -- 1",
		"M 1 2 L 1e400 1", "M 1 2 C 1 2 3 4",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		if len(p.Segs) == 0 {
			t.Fatal("accepted a path without segments")
		}
		q, err := ParsePath(FormatPath(p))
		if err != nil {
			t.Fatalf("FormatPath output %q does not parse: %v", FormatPath(p), err)
		}
		if len(q.Segs) != len(p.Segs) || q.Start.Dist(p.Start) > 0.01 || q.End().Dist(p.End()) > 0.01 {
			t.Fatalf("round trip changed %q into %q", s, FormatPath(q))
		}
	})
}
