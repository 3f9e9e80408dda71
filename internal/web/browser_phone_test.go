package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/quillpost/quillpost/internal/app"
)

// smallTargets lists the visible controls a finger must hit that are less than 44 px high.
const smallTargets = `[...document.querySelectorAll("button, .button, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, textarea, .choice, .check, .lang a, summary")]
	.filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.height < 43.5 })
	.map(e => e.outerHTML.slice(0, 60))`

// orderOnPhone orders a card in German on a phone-sized window: the preview sits above the
// text it follows, every target is 44 px high, the price shows with VAT, and the summary shows
// the send date and what is owed before the binding button. It returns the status page's URL.
func orderOnPhone(t *testing.T, ctx context.Context, s *system) string {
	t.Helper()
	sendOn := time.Now().UTC() // today: due at once, so a robot can write it now
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(s.srv.URL+"/?lang=de"),
		chromedp.WaitVisible(chromedp.CSS("#preview svg")),
	); err != nil {
		t.Fatal(err)
	}
	if !evalBool(t, ctx, `document.querySelector("#preview").getBoundingClientRect().bottom <= document.querySelector("#message").getBoundingClientRect().top`) {
		t.Errorf("on a phone the preview is not above the message")
	}
	if small, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](smallTargets)); len(small) > 0 {
		t.Errorf("tap targets under 44 px: %q", small)
	}
	if p := strings.ReplaceAll(mustEval(ctx, `document.querySelector("#price").textContent`), "\u00a0", " "); !strings.Contains(p, "4,64 €") || !strings.Contains(p, "MwSt") {
		t.Errorf("price line %q", p)
	}
	first, _ := attr(ctx, "#preview", "data-hash")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#message"), "Liebe Frau Müller,\nvielen Dank für Ihre Treue!\nHerzlich, Ihr Papierladen"),
		chromedp.SendKeys(chromedp.CSS("[name=to_name]"), "Erika Müller"),
		chromedp.SendKeys(chromedp.CSS("[name=to_line1]"), "Hauptstraße 5"),
		chromedp.SendKeys(chromedp.CSS("[name=to_postal_code]"), "10115"),
		chromedp.SendKeys(chromedp.CSS("[name=to_city]"), "Berlin"),
		setValue("[name=send_date]", sendOn.Format("2006-01-02")),
	); err != nil {
		t.Fatal(err)
	}
	waitAttr(t, ctx, patience, "#preview", "data-hash", func(v string) bool { return v != "" && v != first })
	if c := mustEval(ctx, `document.querySelector("#counter").textContent`); !strings.HasSuffix(c, "/ 2000 Zeichen") {
		t.Errorf("counter %q", c)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#order button[type=submit].primary`)),
		chromedp.WaitVisible(chromedp.CSS("#submit-order")),
	); err != nil {
		t.Fatal(err)
	}
	summary := mustEval(ctx, `document.querySelector("#summary").innerText`)
	for _, want := range []string{"A6-Postkarte", "Erika Müller", "10115 Berlin", sendOn.Format("2006"), "Nettopreis", "3,90 €", "MwSt. 19 %", "0,74 €", "Gesamt", "4,64 €"} {
		if !strings.Contains(strings.ReplaceAll(summary, "\u00a0", " "), want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	if o := mustEval(ctx, `document.querySelector("#review-owed").textContent`); !strings.Contains(o, "4,64") || !strings.Contains(o, "sobald die Karte verschickt ist") {
		t.Errorf("what is owed and when: %q", o)
	}
	if b := mustEval(ctx, `document.querySelector("#submit-order button").textContent`); b != "Verbindlich bestellen" {
		t.Errorf("binding button %q", b)
	}
	if small, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](smallTargets)); len(small) > 0 {
		t.Errorf("tap targets under 44 px on the summary: %q", small)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#submit-order button")),
		chromedp.WaitVisible(chromedp.CSS("#timeline")),
	); err != nil {
		t.Fatal(err)
	}
	return mustEval(ctx, `location.href`)
}

func TestBrowserPhoneOrderInGerman(t *testing.T) {
	ctx := chrome(t)
	s := startSystem(t, app.Config{})
	status := orderOnPhone(t, ctx, s)
	if !strings.Contains(status, "/orders/crd_") {
		t.Fatalf("status page %q", status)
	}
	if d := mustEval(ctx, `document.querySelector("#status-senddate").textContent`); !strings.HasPrefix(d, "Wird am ") {
		t.Errorf("status page send date %q", d)
	}
}
