package web_test

import (
	"net/url"
	"testing"

	"github.com/quillpost/quillpost/internal/app"
)

// FuzzOrderForm posts arbitrary form values to the public order page's three form endpoints
// (review/submit, live preview, address check) and arbitrary keys to the operator sign-in: no
// 5xx, no panic. Submits are rate-limited per client, which the fuzzer soon meets: a 429 is a
// proper answer.
func FuzzOrderForm(f *testing.F) {
	f.Add("Liebe Erika,\ndanke!", "Erika 😀 Müller", "10115", "Berlin", "DE", "review", "18446744073709551615")
	f.Add("\x00\u202e", "", "1e400", "NaN", "xx", "submit", "-1")
	f.Add("{{x}}", "A", "", "", "", "edit", "NaN")
	f.Add("Hallo ❤️ 👨‍👩‍👧 🇩🇪", "A", "10115", "2026-12-20", "fr", "relang", "1")
	s := startSystem(f, app.Config{})
	b := s.browser()
	_, doc, _ := b.get("/")
	base := formValues(find(doc, "form[id=order]")[0])
	f.Fuzz(func(t *testing.T, message, name, postal, city, country, step, seed string) {
		b := &browser{t: t, c: b.c, s: s}
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		v.Set("message", message)
		v.Set("to_name", name)
		v.Set("to_postal_code", postal)
		v.Set("to_city", city)
		v.Set("to_country", country)
		v.Set("step", step)
		v.Set("seed", seed)
		v.Set("which", step)
		v.Set("send_date", city)
		if step == "relang" {
			v.Set("relang", country)
		}
		for _, path := range []string{"/orders", "/orders/preview", "/orders/address"} {
			if code, _, _ := b.post(path, v); code >= 500 {
				t.Fatalf("POST %s with %v: status %d", path, v, code)
			}
		}
		login := url.Values{"csrf": base["csrf"], "key": {name}}
		if code, _, _ := b.post("/operator/login", login); code >= 500 {
			t.Fatalf("login with %q: status %d", name, code)
		}
	})
}
