package hand

import (
	"strings"
	"testing"
	"time"
)

// TestWorstCaseTime guards against work that grows faster than the text: the largest texts
// Render accepts, on A5 and on a 2 m card that holds all of them, each in well under a second
// (a quadratic step would take minutes). The bound is loose for a busy machine.
func TestWorstCaseTime(t *testing.T) {
	if raceEnabled {
		t.Skip("timing is meaningless under the race detector")
	}
	f := realFace(t, "allure")
	a5 := mustFormat(t, "a5")
	for _, text := range []string{
		strings.Repeat("a", MaxTextBytes),
		strings.Repeat("a ", MaxTextBytes/2),
		strings.Repeat("\n", MaxTextBytes-1) + "a",
		strings.Repeat("ab-", MaxTextBytes/3),
		strings.Repeat("Donaudampfschifffahrt", 40),
		strings.Repeat("i", 900),
		strings.Repeat("\u00a0a", 1000),
	} {
		for _, fm := range []Format{a5, {Name: "big", Title: "big", W: 2000, H: 2000, Margin: Margins{10, 10, 10, 10}}} {
			start := time.Now()
			_, err := Render(Request{Text: text, Face: f, Format: fm, Hand: mustHand(t, "neat")})
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("%.20q on %s: %v (%v)", text, fm.Name, d, err)
			}
		}
	}
}
