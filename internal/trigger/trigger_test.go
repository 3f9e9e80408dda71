package trigger

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParsePath(t *testing.T) {
	doc, err := Decode([]byte(`{"a":{"b.c":[{"d":"x"},{"d":12345678901234567890}]},"e":true,"n":null,"m":{"0":"zero"}}`))
	if err != nil {
		t.Fatal(err)
	}
	for src, want := range map[string]string{
		`a["b.c"][0].d`: "x", `a["b.c"][1].d`: "12345678901234567890", "e": "true", "m[0]": "zero", " e ": "true",
	} {
		p, err := ParsePath(src)
		if err != nil {
			t.Fatalf("ParsePath(%q): %v", src, err)
		}
		if got, err := p.Text(doc); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", src, got, err, want)
		}
	}
	for _, src := range []string{"n", "x.y", `a["b.c"][2].d`, "e.f"} {
		p, _ := ParsePath(src)
		if _, err := p.Text(doc); err != errMissing {
			t.Errorf("%s: %v, want missing", src, err)
		}
	}
	if p, _ := ParsePath("a"); func() error { _, err := p.Text(doc); return err }() != errNotText {
		t.Error("an object read as text")
	}
	for _, src := range []string{"", "a..b", "a.", "a[", "a[-1]", "a[01]", "a[x]", `a["x]`, "a b", "a.[0]", "a|b"} {
		if _, err := ParsePath(src); err == nil {
			t.Errorf("ParsePath(%q) accepted", src)
		}
	}
}

func TestExpr(t *testing.T) {
	doc, _ := Decode([]byte(`{"f":"Erika","l":" Müller ","z":"","o":{"k":1}}`))
	for src, want := range map[string]string{
		"{{f}} {{l}}": "Erika Müller", "Hallo {{z|Freund}}": "Hallo Freund", "{{z|}}": "", "{{missing|}}x": "x", "plain": "plain",
	} {
		e, err := ParseExpr(src)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := e.Eval(doc, "to.name"); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", src, got, err, want)
		}
	}
	for src, want := range map[string]string{
		"{{z}}": "no value at z (wanted for to.name)", "{{o}}": "o is an object or a list", "{{q.r}}": "no value at q.r",
	} {
		e, _ := ParseExpr(src)
		_, err := e.Eval(doc, "to.name")
		var me *MissingError
		if !errors.As(err, &me) || !strings.Contains(me.Reason, want) || me.Target != "to.name" {
			t.Errorf("%s: %v, want a MissingError with %q", src, err, want)
		}
	}
	for _, src := range []string{"{{a", "a}}", "{{}}", "{{a..b}}", "x}}{{a}}"} {
		if _, err := ParseExpr(src); err == nil {
			t.Errorf("ParseExpr(%q) accepted", src)
		}
	}
}

// loadFixture reads a sender's payload and its trigger (mapping and template) from testdata.
func loadFixture(t testing.TB, payload, trig string) (any, Mapping) {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "triggers")
	body, err := os.ReadFile(filepath.Join(dir, payload))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, trig))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct{ Mapping Mapping }
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	return doc, spec.Mapping
}

func TestFixturesMap(t *testing.T) {
	for _, tc := range []struct {
		payload, trigger string
		want             string
	}{
		{"shopify-order.json", "shopify-trigger.json",
			`order-820982911946154508 {Erika Müller  [Hauptstraße 5] 10115 Berlin  DE} map[first_name:Erika product:Füllfederhalter Classic] map[shopify_order:#1017] erika.mueller@example.org`},
		{"hubspot-workflow.json", "hubspot-trigger.json",
			`contact-3234574-customer {Jonas Becker Becker & Söhne GmbH [Lindenallee 12] 50667 Köln  DE} map[first_name:Jonas] map[hubspot_contact:3234574] jonas.becker@example.com`},
		{"zapier.json", "zapier-trigger.json",
			`zap-7f3c2a91 {Claire Dubois  [12 rue de la Paix] 75002 Paris  FR} map[first_name:Claire occasion:votre anniversaire client] map[] `},
	} {
		doc, m := loadFixture(t, tc.payload, tc.trigger)
		c, err := m.Compile()
		if err != nil {
			t.Fatalf("%s: %v", tc.trigger, err)
		}
		r, err := c.Apply(doc)
		if err != nil {
			t.Fatalf("%s: %v", tc.payload, err)
		}
		got := strings.Join([]string{r.EventID, fmtAny(r.To), fmtAny(r.Variables), fmtAny(r.Metadata), r.Email}, " ")
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.payload, got, tc.want)
		}
	}
}

func TestMissingPostcodeNamesThePath(t *testing.T) {
	doc, m := loadFixture(t, "shopify-order.json", "shopify-trigger.json")
	delete(doc.(map[string]any)["shipping_address"].(map[string]any), "zip")
	c, _ := m.Compile()
	_, err := c.Apply(doc)
	var me *MissingError
	if !errors.As(err, &me) || me.Path != "shipping_address.zip" || me.Target != "to.postal_code" {
		t.Fatalf("Apply without zip = %v", err)
	}
}

func TestCompileNamesTheMappingField(t *testing.T) {
	for m, want := range map[*Mapping]string{
		{To: AddressMapping{Name: "{{a}}", City: "{{c}}", Country: "DE"}}:                              "mapping.to.lines",
		{To: AddressMapping{Name: "{{a}}", Lines: []string{"{{l}}"}, Country: "DE"}}:                   "mapping.to.city",
		{To: AddressMapping{Name: "{{a..b}}", Lines: []string{"x"}, City: "c", Country: "DE"}}:         "mapping.to.name",
		{To: AddressMapping{Name: "n", Lines: []string{"x"}, City: "c", Country: "DE"}, EventID: "{{"}: "mapping.event_id",
	} {
		if _, err := m.Compile(); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Compile = %v, want an error starting %q", err, want)
		}
	}
}

func TestSignatures(t *testing.T) {
	body := []byte(`{"id":1}`)
	// Fixed vectors (openssl dgst -sha256 -hmac secret), so a change of format is caught.
	if got := SignGeneric("secret", body); got != "sha256=03def589620c813f198fd03d7967e292b163ef0435ebf43071ce0e9519763cb7" {
		t.Errorf("SignGeneric = %s", got)
	}
	if got := SignShopify("secret", body); got != "A971iWIMgT8Zj9A9eWfikrFj7wQ16/Qwcc4OlRl2PLc=" {
		t.Errorf("SignShopify = %s", got)
	}
	if !VerifyShopify("secret", body, SignShopify("secret", body)) || VerifyShopify("other", body, SignShopify("secret", body)) ||
		VerifyShopify("secret", []byte(`{"id":2}`), SignShopify("secret", body)) || VerifyShopify("secret", body, "%%%") {
		t.Error("Shopify signatures")
	}
	if !VerifyGeneric("secret", body, SignGeneric("secret", body)) || VerifyGeneric("secret", body, strings.TrimPrefix(SignGeneric("secret", body), "sha256=")) {
		t.Error("generic signatures")
	}
	now := time.UnixMilli(1764669600000)
	ts := "1764669600000"
	uri := "https://cards.example.org/v1/triggers/trg_1/events"
	sig := SignHubSpot("secret", "POST", uri, body, ts)
	if err := VerifyHubSpot("secret", "POST", []string{"http://x/", uri}, body, ts, sig, now.Add(time.Minute)); err != nil {
		t.Errorf("HubSpot: %v", err)
	}
	if err := VerifyHubSpot("secret", "POST", []string{uri}, body, ts, sig, now.Add(6*time.Minute)); err == nil || !strings.Contains(err.Error(), "old") {
		t.Errorf("stale HubSpot signature: %v", err)
	}
	if err := VerifyHubSpot("secret", "POST", []string{uri + "?x=1"}, body, ts, sig, now); err == nil {
		t.Error("HubSpot signature of another URI accepted")
	}
}

func fmtAny(v any) string {
	b := strings.Builder{}
	switch x := v.(type) {
	case map[string]string:
		b.WriteString(fmtMap(x))
	default:
		b.WriteString(strings.TrimSpace(strings.ReplaceAll(fmtStruct(x), "\n", " ")))
	}
	return b.String()
}
