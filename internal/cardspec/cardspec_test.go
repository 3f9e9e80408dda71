package cardspec

import (
	"errors"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/hand"
)

func TestFormatOfStock(t *testing.T) {
	for stock, want := range map[string]string{"a6-white": "a6", "dl-cream": "dl", "us5x7": "us5x7", "C6-kraft": "c6"} {
		f, err := FormatOfStock(stock)
		if err != nil || f.Name != want {
			t.Errorf("FormatOfStock(%q) = %q, %v; want %q", stock, f.Name, err, want)
		}
	}
	for _, bad := range []string{"", "-white", "b9-white"} {
		if _, err := FormatOfStock(bad); err == nil {
			t.Errorf("FormatOfStock(%q) accepted", bad)
		}
	}
}

func TestRenderIsTheProof(t *testing.T) {
	s := Spec{Message: "Danke für alles!", Seed: 42}.WithDefaults()
	a, err := Render(s)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Render(s)
	if a.Hash() != b.Hash() {
		t.Fatal("the same spec rendered two different cards")
	}
	s.Seed = 43
	if c, _ := Render(s); c.Hash() == a.Hash() {
		t.Error("another seed rendered the same card")
	}
	if a.Format.Name != "a6" {
		t.Errorf("default stock gave format %q", a.Format.Name)
	}
}

func TestRenderNamesTheField(t *testing.T) {
	base := Spec{Message: "Hallo", Seed: 1}.WithDefaults()
	cases := []struct {
		mod   func(*Spec)
		field string
	}{
		{func(s *Spec) { s.Font = "comic" }, "font"},
		{func(s *Spec) { s.Hand = "shaky" }, "hand"},
		{func(s *Spec) { s.Stock = "b9" }, "stock"},
		{func(s *Spec) { s.Align = "justify" }, "align"},
		{func(s *Spec) { s.Message = "Hallo ✈" }, "message"},
		{func(s *Spec) { s.Message = strings.Repeat("Vielen Dank für alles. ", 300) }, "message"},
	}
	for _, c := range cases {
		s := base
		c.mod(&s)
		_, err := Render(s)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%+v: error %v, want a FieldError on %s", s, err, c.field)
		}
	}
	s := base
	s.Message = "Hallo ✈"
	_, err := Render(s)
	var ie *hand.InputError
	if !errors.As(err, &ie) || ie.Problems[0].Column != 7 {
		t.Errorf("missing glyph: %v", err)
	}
}
