package plan

import (
	"os"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/hand"
)

func expCards(t testing.TB) map[string][]geom.Stroke {
	text, _ := os.ReadFile("../../testdata/texts/de-danke.txt")
	f, _ := font.Lookup("allure")
	format, _ := hand.LookupFormat("a6")
	h, _ := hand.LookupHand("casual")
	c, err := hand.Render(hand.Request{Text: string(text), Face: f, Format: format, Hand: h, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]geom.Stroke{"de-danke/allure": c.Strokes}
}
