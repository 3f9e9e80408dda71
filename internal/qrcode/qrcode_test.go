package qrcode

import (
	"image/color"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/boombuler/barcode/qr"
)

// samePayloads are what label codes hold (card ids, order/sequence) and payloads of every
// encoding mode and many versions.
func samePayloads() []string {
	ps := []string{"", "0", "12345678901234567890", "HELLO WORLD $%*+-./:", "card_01J9Z3K8Q4W7E2R5T6Y8U0I1O3",
		"ORD-4711/12", "ord_8f3a/99999", "Grüße aus Köln", strings.Repeat("A1", 200), strings.Repeat("9", 700),
		strings.Repeat("quillpost ", 60)}
	rng := rand.New(rand.NewPCG(7, 11))
	alphabets := []string{"0123456789", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:",
		"abcdefghijklmnopqrstuvwxyz0123456789_-/", "äöüßéèÀ€✓ab"}
	for i := range 400 {
		a := []rune(alphabets[i%len(alphabets)])
		n := 1 + rng.IntN(40)
		if i%10 == 0 {
			n = 1 + rng.IntN(300)
		}
		var b strings.Builder
		for range n {
			b.WriteRune(a[rng.IntN(len(a))])
		}
		ps = append(ps, b.String())
	}
	return ps
}

// TestSameAsBoombuler checks that every module of every code is the one the original package
// (github.com/boombuler/barcode/qr, from which this one is taken) draws: printed label codes
// and the golden label PDFs do not change.
func TestSameAsBoombuler(t *testing.T) {
	levels := []struct {
		ours   ErrorCorrectionLevel
		theirs qr.ErrorCorrectionLevel
	}{{L, qr.L}, {M, qr.M}, {Q, qr.Q}, {H, qr.H}}
	for i, p := range samePayloads() {
		lv := levels[i%len(levels)]
		if i%2 == 0 {
			lv = levels[1] // labels use M
		}
		want, werr := qr.Encode(p, lv.theirs, qr.Auto)
		got, gerr := Encode(p, lv.ours, Auto)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("%q: error %v, want %v", p, gerr, werr)
		}
		if werr != nil {
			continue
		}
		b := want.Bounds()
		if got.Size() != b.Dx() || got.Size() != b.Dy() {
			t.Fatalf("%q: %d modules a side, want %d", p, got.Size(), b.Dx())
		}
		for x := range got.Size() {
			for y := range got.Size() {
				dark := color.GrayModel.Convert(want.At(x, y)).(color.Gray).Y < 128
				if got.Get(x, y) != dark {
					t.Fatalf("%q (level %v): module %d,%d is %v, want %v", p, lv.ours, x, y, got.Get(x, y), dark)
				}
			}
		}
	}
}

func TestTooLong(t *testing.T) {
	if _, err := Encode(strings.Repeat("ü", 3000), M, Auto); err == nil {
		t.Error("3,000 umlauts encoded, want an error")
	}
}

// BenchmarkEncodeCardID encodes a card id as labels carry it.
func BenchmarkEncodeCardID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode("card_01J9Z3K8Q4W7E2R5T6Y8U0I1O3", M, Auto); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeCardIDBoombuler is the same with the original package, for comparison.
func BenchmarkEncodeCardIDBoombuler(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := qr.Encode("card_01J9Z3K8Q4W7E2R5T6Y8U0I1O3", qr.M, qr.Auto); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzSameAsBoombuler checks any payload against the original package: the same error or the
// same modules.
func FuzzSameAsBoombuler(f *testing.F) {
	for _, p := range samePayloads()[:12] {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if len(p) > 3000 {
			return
		}
		want, werr := qr.Encode(p, qr.M, qr.Auto)
		got, gerr := Encode(p, M, Auto)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("%q: error %v, want %v", p, gerr, werr)
		}
		if werr != nil {
			return
		}
		if got.Size() != want.Bounds().Dx() {
			t.Fatalf("%q: %d modules a side, want %d", p, got.Size(), want.Bounds().Dx())
		}
		for x := range got.Size() {
			for y := range got.Size() {
				if dark := color.GrayModel.Convert(want.At(x, y)).(color.Gray).Y < 128; got.Get(x, y) != dark {
					t.Fatalf("%q: module %d,%d is %v, want %v", p, x, y, got.Get(x, y), dark)
				}
			}
		}
	})
}
