package fontgen

import (
	"math"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
)

func inkBox(g *font.Glyph) geom.Rect {
	r := geom.EmptyRect
	for _, p := range g.Strokes {
		r = r.Union(geom.Bounds([]geom.Stroke{p.Flatten(0.5, nil)}))
	}
	return r
}

// TestShippedTypography checks the typography fixes on the committed faces: a hyphen shorter
// than the en dash, closing quotes as large as the opening low quote, a real ampersand in
// Felix, proportional and leaning digits and an S without its doubling lead-in in Script.
func TestShippedTypography(t *testing.T) {
	for _, f := range font.Faces() {
		glyph := func(r rune) *font.Glyph {
			g, ok := f.Glyph(r)
			if !ok {
				t.Fatalf("%s lacks %q", f.Name, r)
			}
			return g
		}
		if h, d := inkBox(glyph('-')).W(), inkBox(glyph('–')).W(); h >= 0.8*d {
			t.Errorf("%s: the hyphen is %.0f wide, the en dash %.0f: want a clearly shorter hyphen", f.Name, h, d)
		}
		low := inkBox(glyph('„')).H()
		for _, r := range "“”" {
			if h := inkBox(glyph(r)).H(); h < 0.75*low {
				t.Errorf("%s: %q is %.0f high, „ %.0f: the quotes of „…“ must balance", f.Name, r, h, low)
			}
		}
	}
	felix, _ := font.Lookup("felix")
	amp, _ := felix.Glyph('&')
	if b := inkBox(amp); len(amp.Strokes) != 1 || math.Abs(b.H()-felix.CapHeight) > 0.05*felix.CapHeight {
		t.Errorf("felix &: %d strokes, %.0f high (cap height %.0f): want the one-stroke ampersand", len(amp.Strokes), b.H(), felix.CapHeight)
	}
	script, _ := font.Lookup("script")
	one, _ := script.Glyph('1')
	zero, _ := script.Glyph('0')
	if one.Advance > 0.6*zero.Advance {
		t.Errorf("script digits: 1 advances %.0f, 0 %.0f: want proportional digits", one.Advance, zero.Advance)
	}
	if s := one.Strokes[len(one.Strokes)-1]; !(s.End().X < s.Segs[len(s.Segs)-2].End().X-20) {
		t.Errorf("script 1 does not lean: its stem runs %v → %v", s.Segs[len(s.Segs)-2].End(), s.End())
	}
	S, _ := script.Glyph('S')
	if y := S.Strokes[0].Start.Y; y > -0.6*script.CapHeight {
		t.Errorf("script S starts at y=%.0f: the lead-in from the baseline doubles the S", y)
	}
}

// TestAllureEszettDescender: Allure's ß reaches below the baseline instead of hooking back
// into its lower bowl, which made it a B.
func TestAllureEszettDescender(t *testing.T) {
	f, _ := font.Lookup("allure")
	g, _ := f.Glyph('ß')
	if b := inkBox(g); b.Max.Y < 0.4*f.XHeight {
		t.Errorf("allure ß reaches %.0f below the baseline, want a descender of about half an x-height", b.Max.Y)
	}
}
