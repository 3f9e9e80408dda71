package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/store"
)

// Finding 6: one client placed 150 live cards in under half a second on the public order page.
// Now a client gets a few orders at once and then a plain refusal, and nothing more is stored.
func TestOrderPageRateLimitedPerClient(t *testing.T) {
	s := startSystem(t, app.Config{})
	b := s.browser()
	codes := []int{}
	for i := range 7 {
		_, doc, _ := b.get("/")
		form := formValues(find(doc, "form[id=order]")[0])
		good := fillOrder(url.Values{}, "Danke, Nummer "+string(rune('A'+i)))
		for k, v := range form {
			if good.Get(k) == "" {
				good[k] = v
			}
		}
		code, doc, _ := b.post("/orders", good)
		if code != http.StatusOK {
			t.Fatalf("review %d: %d", i, code)
		}
		code, doc, _ = b.post("/orders", formValues(find(doc, "form[id=submit-order]")[0]))
		codes = append(codes, code)
		if code == http.StatusTooManyRequests && !strings.Contains(text(doc), "Too many orders") {
			t.Errorf("refusal without a plain reason: %q", text(doc))
		}
	}
	want := []int{303, 303, 303, 303, 303, 429, 429}
	for i := range want {
		if codes[i] != want[i] {
			t.Fatalf("submit statuses %v, want %v", codes, want)
		}
	}
	page, err := s.sys.Store.ListCards(context.Background(), store.AnyAccount, store.CardFilter{})
	if err != nil || len(page.Cards) != 5 {
		t.Fatalf("%d cards stored, want 5 (%v)", len(page.Cards), err)
	}
}

// Finding 7: the operator cookie held the raw key. Now it holds a random session token that the
// server can end: at logout (a copied cookie dies too) and when the key is revoked.
func TestOperatorSessionIsNotTheKey(t *testing.T) {
	s := startSystem(t, app.Config{})
	key := s.operatorKey()
	b := s.browser()
	_, doc, _ := b.get("/operator")
	v := formValues(find(doc, "form")[0])
	v.Set("key", key)
	code, _, resp := b.post("/operator/login", v)
	if code != http.StatusSeeOther {
		t.Fatalf("login: %d", code)
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "qp_op" {
			session = c
		}
	}
	if session == nil || strings.Contains(session.Value, key) || strings.Contains(session.Value, key[len("qp_op_"):]) ||
		!strings.HasPrefix(session.Value, "qps_") || len(session.Value) < 40 {
		t.Fatalf("session cookie %+v holds the key or is not a random token", session)
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.MaxAge <= 0 || session.MaxAge > 12*3600 {
		t.Errorf("cookie attributes %+v", session)
	}
	// A copy of the cookie, as a thief would hold it.
	thief := s.browser()
	u, _ := url.Parse(s.srv.URL)
	thief.c.Jar.SetCookies(u, []*http.Cookie{{Name: "qp_op", Value: session.Value, Path: "/"}})
	if _, doc, _ := thief.get("/operator"); len(find(doc, "form[action=/operator/logout]")) != 1 {
		t.Fatal("the copied session does not show the dashboard; the test cannot show logout ending it")
	}
	_, doc, _ = b.get("/operator")
	logout := formValues(find(doc, "form[action=/operator/logout]")[0])
	if code, _, _ := b.post("/operator/logout", logout); code != http.StatusSeeOther {
		t.Fatalf("logout: %d", code)
	}
	if _, doc, _ := thief.get("/operator"); len(find(doc, "input[name=key]")) != 1 {
		t.Error("the copied cookie still works after logout")
	}

	// Revoking the key ends its sessions at once.
	b2 := s.browser()
	b2.login(key)
	p, err := s.sys.Store.Authenticate(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.sys.Store.RevokeKey(context.Background(), p.Account.ID, p.Key.ID); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := b2.post("/operator/posted", url.Values{"cards": {"crd_x"}}); code != http.StatusUnauthorized {
		t.Errorf("session of a revoked key: %d, want 401 (sign in first)", code)
	}
}

// Finding 7: operator login was not throttled. After a few failures a client is refused without
// its key even being checked.
func TestOperatorLoginThrottled(t *testing.T) {
	s := startSystem(t, app.Config{})
	key := s.operatorKey()
	b := s.browser()
	_, doc, _ := b.get("/operator")
	v := formValues(find(doc, "form")[0])
	for i := range 5 {
		v.Set("key", "qp_op_guess"+string(rune('a'+i)))
		if code, _, _ := b.post("/operator/login", v); code != http.StatusUnauthorized {
			t.Fatalf("failed login %d: %d", i, code)
		}
	}
	v.Set("key", key)
	code, doc, resp := b.post("/operator/login", v)
	if code != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(text(doc), "Too many failed sign-ins") {
		t.Fatalf("sixth attempt: %d %q", code, text(doc))
	}
}

// The live preview renders a card per request: one client gets a generous burst, then 429s.
// The address check names a character the label font cannot print.
func TestOrderPreviewLimitedAndAddressCheckFont(t *testing.T) {
	s := startSystem(t, app.Config{})
	b := s.browser()
	_, doc, _ := b.get("/")
	v := fillOrder(formValues(find(doc, "form[id=order]")[0]), "Danke!")
	limited := 0
	for range 60 {
		if code, _, _ := b.post("/orders/preview", v); code == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Error("60 previews at once were all rendered")
	}
	v.Set("to_name", "Erika 😀 Müller")
	v.Set("which", "to_")
	_, _, resp := b.post("/orders/address", v)
	raw := make([]byte, 4096)
	n, _ := resp.Body.Read(raw)
	if !strings.Contains(string(raw[:n]), "U+1F600") {
		t.Errorf("address check: %s", raw[:n])
	}
}
