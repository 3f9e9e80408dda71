package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/store"
)

// TestBrowserTriggerConsole pastes a shop's order into the test console: the page shows the
// mapped name and address and the card's proof; without the postcode it names the payload field.
func TestBrowserTriggerConsole(t *testing.T) {
	ctx := chrome(t)
	s := startSystem(t, app.Config{})
	acc, err := s.sys.Store.CreateAccount(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := s.sys.Store.CreateKey(context.Background(), acc.ID, store.KeyLive)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile("../../testdata/triggers/shopify-trigger.json")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", s.srv.URL+"/v1/triggers", bytes.NewReader(spec))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Idempotency-Key", "console-trigger")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create trigger: %v %v", resp.Status, err)
	}
	resp.Body.Close()
	order, err := os.ReadFile("../../testdata/triggers/shopify-order.json")
	if err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.srv.URL+"/triggers/console"),
		chromedp.WaitVisible(chromedp.CSS("#key")),
		setValue("#key", key),
		chromedp.Click(chromedp.CSS("#load")),
		chromedp.WaitReady(chromedp.CSS("#trigger option")),
		setValue("#payload", string(order)),
		chromedp.Click(chromedp.CSS("#try")),
		chromedp.WaitVisible(chromedp.CSS("#preview svg")),
	); err != nil {
		t.Fatal(err)
	}
	to, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#to")))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Erika Müller, Hauptstraße 5, 10115 Berlin, DE"; to != want {
		t.Errorf("mapped address %q, want %q", to, want)
	}
	msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#message")))
	if !strings.Contains(msg, "Liebe(r) Erika,") {
		t.Errorf("message %q", msg)
	}
	if h, _ := attr(ctx, "#preview", "data-hash"); len(h) != 64 {
		t.Errorf("preview hash %q", h)
	}
	screenshot(t, ctx, "trigger-console.png")

	var doc map[string]any
	_ = json.Unmarshal(order, &doc)
	delete(doc["shipping_address"].(map[string]any), "zip")
	noZip, _ := json.Marshal(doc)
	if err := chromedp.Do(ctx,
		setValue("#payload", string(noZip)),
		chromedp.Click(chromedp.CSS("#try")),
		chromedp.WaitVisible(chromedp.CSS("#missing")),
	); err != nil {
		t.Fatal(err)
	}
	if f, _ := attr(ctx, "#missing", "data-field"); f != "shipping_address.zip" {
		t.Errorf("missing field %q, want shipping_address.zip", f)
	}
	text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#missing")))
	if !strings.Contains(text, "shipping_address.zip") || !strings.Contains(text, "to.postal_code") {
		t.Errorf("missing-field message %q", text)
	}
	if vis, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("#mapped").hidden`)); !vis {
		t.Error("the previous card is still shown after a refused payload")
	}
}

// TestBrowserTriggerConsoleOnPhone: the console's form looks like the other pages (a panel of
// labelled fields) and fits a phone: nothing wider than the screen, every target 44 px high.
func TestBrowserTriggerConsoleOnPhone(t *testing.T) {
	ctx := chrome(t)
	s := startSystem(t, app.Config{})
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(s.srv.URL+"/triggers/console?lang=en"),
		chromedp.WaitVisible(chromedp.CSS("#key")),
	); err != nil {
		t.Fatal(err)
	}
	if small, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](smallTargets)); len(small) > 0 {
		t.Errorf("tap targets under 44 px: %q", small)
	}
	if !evalBool(t, ctx, `document.documentElement.scrollWidth <= window.innerWidth`) {
		t.Errorf("the console is wider than the phone: %s px", mustEval(ctx, `String(document.documentElement.scrollWidth)`))
	}
	if !evalBool(t, ctx, `(() => { const f = getComputedStyle(document.querySelector("#console"));
		return f.backgroundColor === "rgb(255, 255, 255)" && parseFloat(f.borderTopLeftRadius) > 0 })()`) {
		t.Errorf("the form is not a panel like the other pages' forms")
	}
	for _, id := range []string{"#key", "#trigger", "#payload"} {
		js := `(() => { const f = document.querySelector("#console"), e = document.querySelector("` + id + `");
			return e.getBoundingClientRect().width >= f.clientWidth - 60 && e.closest("label.field") !== null })()`
		if !evalBool(t, ctx, js) {
			t.Errorf("%s is not a full-width labelled field", id)
		}
	}
	screenshot(t, ctx, "trigger-console-phone.png")
}
