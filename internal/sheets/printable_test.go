package sheets

import (
	"bytes"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/address"
)

func TestUnprintableFieldsNamesFieldAndCharacter(t *testing.T) {
	a := address.Address{Name: "Erika 😀 Müller", Lines: []string{"Hauptstraße 5", "Hof ☃"}, PostalCode: "10115", City: "Berlin", Country: "DE"}
	got := UnprintableFields(a)
	if len(got) != 2 {
		t.Fatalf("problems %v, want name and lines[1]", got)
	}
	if got[0].Field != "name" || got[0].Reason != "the character 😀 (U+1F600) cannot be printed on the address label" {
		t.Errorf("first problem %+v", got[0])
	}
	if got[1].Field != "lines[1]" || !strings.Contains(got[1].Reason, "U+2603") {
		t.Errorf("second problem %+v", got[1])
	}
	if p := UnprintableFields(address.Address{Name: "Łukasz Żółć", City: "Kraków", Country: "PL"}); p != nil {
		t.Errorf("Polish letters refused: %v", p)
	}
}

// One label that cannot print (an emoji, an erased card's remains) costs only itself: the sheet
// of the others still prints.
func TestPrintableKeepsTheSheet(t *testing.T) {
	layout := mustLayout(t, "zweckform-3475")
	labels := manyLabels(3)
	labels[1].To.Name = "Ben 🎉 Meyer"
	labels = append(labels, Label{OrderID: "erased", To: address.Address{Country: "DE"}})
	if _, err := Render(&bytes.Buffer{}, layout, labels, Options{}); err == nil {
		t.Fatal("Render accepted an unprintable label; this test no longer shows the defence")
	}
	ok, rejected := Printable(labels, Options{})
	if len(ok) != 2 || len(rejected) != 2 || rejected[0].Index != 1 || rejected[1].Index != 3 {
		t.Fatalf("ok %d, rejected %v", len(ok), rejected)
	}
	if !strings.Contains(rejected[0].Error(), "U+1F389") {
		t.Errorf("rejection %v does not name the character", rejected[0])
	}
	var buf bytes.Buffer
	res, err := Render(&buf, layout, ok, Options{Title: SafeTitle("Danke 🎉 Q3")})
	if err != nil || len(res.Placements) != 2 {
		t.Fatalf("render the rest: %v", err)
	}
	if SafeTitle("Danke 🎉 Q3") != "Danke ? Q3" {
		t.Errorf("SafeTitle = %q", SafeTitle("Danke 🎉 Q3"))
	}
}

// Finding 5: a label waiting on a worker's open sheet when its card's data is erased must not
// be printed when the sheet is flushed later.
func TestBuilderDropsErasedAtFlush(t *testing.T) {
	b, err := NewBuilder(mustLayout(t, "zweckform-3475"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	labels := manyLabels(3)
	for _, l := range labels {
		if _, err := b.Add(l); err != nil {
			t.Fatal(err)
		}
	}
	erased := labels[1].OrderID
	b.SetKeep(func(l Label) bool { return l.OrderID != erased })
	_, res, err := b.Flush()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Placements) != 2 {
		t.Fatalf("%d labels printed, want 2", len(res.Placements))
	}
	for _, p := range res.Placements {
		if p.Label.OrderID == erased {
			t.Errorf("the erased card's label was printed")
		}
	}
	b.SetKeep(func(Label) bool { return false })
	b.Add(labels[0])
	if _, _, err := b.Flush(); err != ErrEmpty {
		t.Errorf("flush with every label dropped: %v, want ErrEmpty", err)
	}
}

// FuzzUnprintableFields: a field is reported exactly when the label font lacks one of its
// characters.
func FuzzUnprintableFields(f *testing.F) {
	f.Add("Erika 😀 Müller", "Hauptstraße 5", "東京", "\u0000\uFFFD")
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, name, line, city, region string) {
		a := address.Address{Name: name, Lines: []string{line}, City: city, Region: region, Country: "DE"}
		got := map[string]bool{}
		for _, p := range UnprintableFields(a) {
			got[p.Field] = true
		}
		for field, v := range map[string]string{"name": name, "lines[0]": line, "city": city, "region": region} {
			if want := len(Unprintable(v)) > 0; got[field] != want {
				t.Errorf("%s %q: reported %v, want %v", field, v, got[field], want)
			}
		}
	})
}
