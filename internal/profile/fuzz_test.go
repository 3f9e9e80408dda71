package profile

import (
	"math"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
)

func FuzzProfileParse(f *testing.F) {
	for _, name := range []string{"grbl-servo", "grbl-z", "marlin-servo", "fluidnc", "klipper"} {
		f.Add(name, embeddedText(f, name))
	}
	f.Add("x", "name = \"x\"\n[pen]\nactuator = 3")
	f.Add("x", "[[pen]]\n")
	f.Add("x", "\x00")
	f.Fuzz(func(t *testing.T, name, text string) {
		p, err := Parse(name+".toml", []byte(text))
		if err != nil {
			if p != nil {
				t.Fatal("Parse returned a profile with an error")
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("a parsed profile does not validate: %v", err)
		}
		up, down := p.PenLiftSeconds()
		if !(up > 0) || !(down > 0) || math.IsInf(up, 0) || math.IsInf(down, 0) {
			t.Fatalf("PenLiftSeconds = %g, %g", up, down)
		}
		if first := p.FirstLiftSeconds(); !(first >= p.PenUp.SettleSeconds) || math.IsInf(first, 0) {
			t.Fatalf("FirstLiftSeconds = %g", first)
		}
		if p.HasRest() && math.Abs(p.PenRest.Position-p.PenDown.Position) < math.Abs(p.PenUp.Position-p.PenDown.Position) {
			t.Fatalf("rest %g lies between up %g and down %g", p.PenRest.Position, p.PenUp.Position, p.PenDown.Position)
		}
		c := geom.Point{X: 12.5, Y: 7.25}
		if back := p.ToCard(p.ToMachine(c)); math.Abs(back.X-c.X) > 1e-9 || math.Abs(back.Y-c.Y) > 1e-9 {
			t.Fatalf("ToCard(ToMachine(%v)) = %v", c, back)
		}
	})
}
