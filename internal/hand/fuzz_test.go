package hand

import (
	"errors"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
)

// FuzzRender feeds arbitrary text to the whole pipeline: the result must be strokes on the card
// or an *InputError / *FitError, never a panic, another error or a point off the card.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"Dank dir, toll. Tee!",
		"Liebe Frau Müller,\n\nvielen Dank!\r\nIhre Jana",
		"", " ", "\n\n\n", "\t", "a\u200bb", "\x00", "\xff\xfe", "Ä\u0308", "ß", "—…„“",
		"Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen",
		"a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a",
		"e\u00a0e\u00a0e\u00a0e\u00a0e\u00a0e\u00a0e\u00a0e\u00a0e\u00a0e\u00a0e\u00a0e\u00a0e\u00a0e\u00a0e\u00a0e",
		"-----------------------------------------------------------------------------------",
		"..,,!!", "T-e-e", "x\u202ey", "🙂",
		"Merci ! « Jardin » : oui ; non ?", "a  !\n! « »", "«   ", " ;",
		"Gg\nJj\nyy\n(12/03)\nTHANKYOU20 off your\nÄÖÜ", "gggggggggggggggggg\nÅÅÅÅÅÅÅÅÅÅÅÅ",
	} {
		f.Add(s, uint64(1), false, uint8(0))
	}
	faces := []*font.Face{miniFace(f)}
	faces = append(faces, font.Faces()...)
	formats := Formats()
	hands := Hands()
	f.Fuzz(func(t *testing.T, text string, seed uint64, center bool, pick uint8) {
		req := Request{
			Text:   text,
			Face:   faces[int(pick)%len(faces)],
			Format: formats[int(pick/8)%len(formats)],
			Hand:   hands[int(pick/64)%len(hands)],
			Seed:   seed,
		}
		if center {
			req.Align = AlignCenter
		}
		check := func(req Request) {
			r, err := prepare(req)
			var c *Card
			if err == nil {
				c, err = r.render()
			}
			if err != nil {
				var ie *InputError
				var fe *FitError
				if !errors.As(err, &ie) && !errors.As(err, &fe) {
					t.Fatalf("%q: unexpected error type %T: %v", req.Text, err, err)
				}
				if err.Error() == "" {
					t.Fatal("empty error message")
				}
				return
			}
			checkCard(t, c)
			// Lines may come closer than a pen's width only on a cramped card; they never cross.
			if rep := lineClearance(c, penWidth); rep.crossings > 0 || (rep.touches > 0 && !c.Cramped) {
				t.Fatalf("%q: %d crossings and %d touches between lines (cramped %v)", req.Text, rep.crossings, rep.touches, c.Cramped)
			}
			if r.clamped > 0 {
				t.Fatalf("%q: %d points fell off the card and were clamped", req.Text, r.clamped)
			}
			if c.Glyphs == 0 && len(c.Strokes) > 0 {
				t.Fatalf("%q: strokes without glyphs", req.Text)
			}
		}
		check(req)
		// Most random text holds characters the face lacks; map every character onto the
		// face's coverage (keeping line breaks and spaces) so that layout, hyphenation and
		// joins are fuzzed too.
		runes := req.Face.Runes()
		mapped := []rune(text)
		for i, r := range mapped {
			if r != '\n' && r != ' ' {
				mapped[i] = runes[uint32(r)%uint32(len(runes))]
			}
		}
		req.Text = string(mapped)
		check(req)
	})
}
