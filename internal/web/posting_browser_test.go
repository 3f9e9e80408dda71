package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/store"
)

// TestBrowserOperatorPostsCustomerSeesVerschickt: two cards ordered for the web shop are written
// by a robot and land on its address sheet. In the (German) dashboard the operator scans one
// card's label into the posting field, then marks the whole sheet posted; each customer's
// status page then says "Verschickt".
func TestBrowserOperatorPostsCustomerSeesVerschickt(t *testing.T) {
	ctx := chrome(t)
	s := startSystem(t, app.Config{SimPlotters: 1})
	bctx := context.Background()
	web, err := s.sys.Store.AccountByName(bctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	apiKey, _, err := s.sys.Store.CreateKey(bctx, web.ID, store.KeyLive)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 2 {
		body := fmt.Sprintf(`{"message":"Danke, Nr. %d!","to":{"name":"Kundin %d","lines":["Hauptstraße %d"],"postal_code":"10115","city":"Berlin","country":"DE"}}`, i, i, i+1)
		req, _ := http.NewRequest("POST", s.srv.URL+"/v1/cards", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+apiKey)
		req.Header.Set("Idempotency-Key", fmt.Sprint("post-", i))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("order %d: %v %v", i, err, resp)
		}
		var c struct{ ID string }
		err = json.NewDecoder(resp.Body).Decode(&c)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	waitFor(t, patience, "both cards written", func() bool {
		for _, id := range ids {
			if c, err := s.sys.Store.GetCard(bctx, store.AnyAccount, id); err != nil || c.Status != store.StatusWritten {
				return false
			}
		}
		return true
	})
	// The robot closes its sheet (as at the end of a shift): the dashboard lists that sheet.
	path, err := s.sys.Workers[0].FlushSheet()
	if err != nil || path == "" {
		t.Fatalf("flush the robot's sheet: %q %v", path, err)
	}

	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.srv.URL+"/operator?lang=de"),
		chromedp.SendKeys(chromedp.CSS("[name=key]"), s.operatorKey()),
		chromedp.Submit(chromedp.CSS("[name=key]")),
		chromedp.WaitVisible(chromedp.CSS("#posting-cards")),
	); err != nil {
		t.Fatal(err)
	}
	// A barcode scanner types the card id and Enter.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#posting-cards"), ids[1]+"\n"),
		chromedp.WaitVisible(chromedp.CSS("#flash")),
	); err != nil {
		t.Fatal(err)
	}
	if f, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#flash"))); !strings.Contains(f, "Als verschickt markiert: 1.") {
		t.Errorf("flash after the scan %q", f)
	}
	sheet := `tr[data-robot="sim-1"] button[data-action="posted"]`
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(sheet)),
		chromedp.Click(chromedp.CSS(sheet)),
	); err != nil {
		t.Fatal(err)
	}
	// The dashboard comes back with the sheet's confirmation (the scan's is gone).
	waitFor(t, patience, "the sheet's confirmation", func() bool {
		f, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#flash") || {}).textContent || ""`))
		return strings.Contains(f, "Bogen")
	})
	if f, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#flash"))); !strings.Contains(f, "neu verschickt: 1.") {
		t.Errorf("flash after marking the sheet posted %q, want one more card posted", f)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('button[data-action="posted"]').length`)); n != 0 {
		t.Errorf("%d sheets still offer to be marked posted", n)
	}
	for _, id := range ids {
		if err := chromedp.Do(ctx, chromedp.Navigate(s.srv.URL+"/orders/"+id+"?lang=de"), chromedp.WaitVisible(chromedp.CSS("#card-status"))); err != nil {
			t.Fatal(err)
		}
		waitAttr(t, ctx, patience, "#card-status", "data-status", func(v string) bool { return v == "posted" })
		badge, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#card-status")))
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(badge) != "Verschickt" {
			t.Errorf("card %s: the customer's page says %q, want Verschickt", id, badge)
		}
		steps, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".timeline li.done")].map(li => li.dataset.step)`))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(steps, ",") != "accepted,queued,plotting,written,posted" {
			t.Errorf("card %s: timeline done steps %v", id, steps)
		}
	}
}
