package web

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzPreviewStates: whatever the customer types, the preview answers with a card (the text,
// the text without what cannot be written, or the blank card) and says why when it is not the
// text itself: never an empty preview, never an error without a card beside it.
func FuzzPreviewStates(f *testing.F) {
	for _, s := range []string{"Liebe Erika,\ndanke!", "❤️ 👨‍👩‍👧 🇩🇪🇫🇷 1️⃣", "✈\u200d\ufe0f", "\x00\r\n\u202e", strings.Repeat("Danke ", 400), "", " \n "} {
		f.Add(s)
	}
	s := &Server{cfg: Config{Stocks: []string{"a6-white"}, Now: time.Now}}
	f.Fuzz(func(t *testing.T, msg string) {
		if !utf8.ValidString(msg) {
			return // a form post is UTF-8 text
		}
		for _, lang := range Languages() {
			p := s.renderPreview(lang, orderForm{Message: msg, Stock: "a6-white", Font: "allure", Hand: "casual", Seed: 1})
			if !strings.Contains(p.SVG, "<svg") {
				t.Fatalf("%q (%s): no card in the preview: %+v", msg, lang, p)
			}
			switch p.State {
			case "ok", "sample":
				if len(p.Errors) > 0 {
					t.Fatalf("%q: state %s with errors %q", msg, p.State, p.Errors)
				}
			case "partial", "error":
				if len(p.Errors) == 0 || p.Note == "" {
					t.Fatalf("%q: state %s without a reason", msg, p.State)
				}
			default:
				t.Fatalf("%q: state %q", msg, p.State)
			}
			if p.Counter == "" {
				t.Fatalf("%q: no counter", msg)
			}
		}
	})
}
