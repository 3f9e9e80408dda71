package fontgen

import (
	"testing"

	"github.com/quillpost/quillpost/internal/font"
)

// TestHookedC: a c that starts at the tip of its top hook now starts on its back past the top
// and traces the hook out and back, so a connector reaches it without crossing the back.
func TestHookedC(t *testing.T) {
	c, err := font.ParsePath("M 243 -306 L 239 -350 L 198 -365 L 101 -328 L -15.8 -208 L -47.2 -170 L 56.7 -15.8 L 315 -183")
	if err != nil {
		t.Fatal(err)
	}
	got, ok := hookedStart(c)
	if !ok {
		t.Fatal("the hook was not redrawn")
	}
	want := "M 101 -328 L 198 -365 L 239 -350 L 243 -306 L 239 -350 L 198 -365 L 101 -328 L -15.8 -208 L -47.2 -170 L 56.7 -15.8 L 315 -183"
	if s := font.FormatPath(got); s != want {
		t.Errorf("got  %s\nwant %s", s, want)
	}
	// An o-like start that does not rise to a top left of it is left alone.
	o, _ := font.ParsePath("M 0 -300 L 100 -320 L 200 -300 L 200 0")
	if _, ok := hookedStart(o); ok {
		t.Error("a start without a hook was redrawn")
	}
	// The shipped cursive faces' c joins at its new entry.
	for _, name := range []string{"allure", "script"} {
		f, err := font.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := f.Glyph('c')
		if !g.Joins || g.Entry != g.Strokes[0].Start || g.Entry.X >= g.Strokes[0].Segs[2].End().X {
			t.Errorf("%s c: entry %v, first stroke %s: want a joining entry left of the hook's tip", name, g.Entry, font.FormatPath(g.Strokes[0]))
		}
	}
}
