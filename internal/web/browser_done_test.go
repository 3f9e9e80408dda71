package web_test

import (
	"context"
	"path"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/store"
)

// TestBrowserGermanPhoneOrderPosted is issue 17's "done when": a customer orders a card in
// German on a phone-sized window and sees the price, the send date and the summary before the
// binding button; a robot writes the card; the operator marks it posted by scanning its label;
// the customer's page then says "Verschickt".
func TestBrowserGermanPhoneOrderPosted(t *testing.T) {
	ctx := chrome(t)
	s := startSystem(t, app.Config{SimPlotters: 1})
	status := orderOnPhone(t, ctx, s)
	id := path.Base(strings.SplitN(status, "?", 2)[0])
	if !strings.HasPrefix(id, "crd_") {
		t.Fatalf("status page %q", status)
	}
	waitFor(t, patience, "the card written", func() bool {
		c, err := s.sys.Store.GetCard(context.Background(), store.AnyAccount, id)
		return err == nil && c.Status == store.StatusWritten
	})
	// The operator scans the card's label into the posting field (a scanner types the id and
	// Enter).
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.srv.URL+"/operator?lang=de"),
		chromedp.SendKeys(chromedp.CSS("[name=key]"), s.operatorKey()),
		chromedp.Submit(chromedp.CSS("[name=key]")),
		chromedp.WaitVisible(chromedp.CSS("#posting-cards")),
		chromedp.SendKeys(chromedp.CSS("#posting-cards"), id+"\n"),
		chromedp.WaitVisible(chromedp.CSS("#flash")),
	); err != nil {
		t.Fatal(err)
	}
	if f := mustEval(ctx, `document.querySelector("#flash").textContent`); !strings.Contains(f, "Als verschickt markiert: 1.") {
		t.Errorf("flash after the scan %q", f)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(status), chromedp.WaitVisible(chromedp.CSS("#card-status"))); err != nil {
		t.Fatal(err)
	}
	waitAttr(t, ctx, patience, "#card-status", "data-status", func(v string) bool { return v == "posted" })
	if b := strings.TrimSpace(mustEval(ctx, `document.querySelector("#card-status").textContent`)); b != "Verschickt" {
		t.Errorf("the customer's page says %q, want Verschickt", b)
	}
	if small, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](smallTargets)); len(small) > 0 {
		t.Errorf("tap targets under 44 px on the status page: %q", small)
	}
}
