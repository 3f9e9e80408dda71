package hand

import "testing"

// benchText is a German thank-you card of about 400 glyphs, umlauts and ß included.
const benchText = `Liebe Frau Müller,

vielen herzlichen Dank für Ihre Bestellung und Ihr Vertrauen! Wir haben uns sehr gefreut, dass Ihnen unsere Gewürzmischungen so gut schmecken. Anbei finden Sie eine kleine Überraschung für die nächste Grillsaison: unser neues Kräutersalz mit Bärlauch. Wir wünschen Ihnen schöne Sommertage und würden uns freuen, bald wieder von Ihnen zu hören. Das Rezept für den Kartoffelsalat liegt bei.

Herzliche Grüße aus Köln
Ihre Jana Schäfer`

func BenchmarkRenderCard(b *testing.B) {
	f := realFace(b, "allure")
	req := Request{Text: benchText, Face: f, Format: mustFormat(b, "a6"), Hand: mustHand(b, "casual"), Seed: 1}
	c, err := Render(req)
	if err != nil {
		b.Fatal(err)
	}
	if c.Glyphs < 380 || c.Glyphs > 420 {
		b.Fatalf("the benchmark card has %d glyphs, want about 400", c.Glyphs)
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := Render(req); err != nil {
			b.Fatal(err)
		}
	}
	if cpu := cpuTime() - cpu0; cpu > 0 {
		// CPU time per card (GC included) is the figure to compare on a shared machine.
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(c.Glyphs), "ns/glyph")
}

// BenchmarkRenderShortCard is a campaign's card (the template of the intake benchmarks, merged):
// about 60 glyphs, where a card's fixed costs weigh more than in BenchmarkRenderCard.
func BenchmarkRenderShortCard(b *testing.B) {
	f := realFace(b, "allure")
	req := Request{Text: "Liebe(r) Anna 4711,\ndanke für 5 Bestellungen!\nIhr Papierladen", Face: f, Format: mustFormat(b, "a6"), Hand: mustHand(b, "neat"), Seed: 1}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := Render(req); err != nil {
			b.Fatal(err)
		}
	}
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkHandValidate is the check every render makes of its hand.
func BenchmarkHandValidate(b *testing.B) {
	h := mustHand(b, "casual")
	b.ReportAllocs()
	for b.Loop() {
		if err := h.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderSummary is BenchmarkRenderShortCard as intake renders it: the hash, no strokes.
func BenchmarkRenderSummary(b *testing.B) {
	f := realFace(b, "allure")
	req := Request{Text: "Liebe(r) Anna 4711,\ndanke für 5 Bestellungen!\nIhr Papierladen", Face: f, Format: mustFormat(b, "a6"), Hand: mustHand(b, "neat"), Seed: 1}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := RenderSummary(req); err != nil {
			b.Fatal(err)
		}
	}
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
