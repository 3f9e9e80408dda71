package app_test

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/trigger"
)

// TestShopOrderIsWritten runs a shop's order webhook through the whole system: the trigger holds
// the card for approval, the account approves it, a simulated robot writes it; with the hold
// turned off the next order is written without anyone's click.
func TestShopOrderIsWritten(t *testing.T) {
	h := start(t, app.Config{SimPlotters: 1})
	h.run()
	const secret = "shpss_e2e_0123456789abcdef"
	spec, err := os.ReadFile("../../testdata/triggers/shopify-trigger.json")
	if err != nil {
		t.Fatal(err)
	}
	spec = []byte(strings.Replace(string(spec), `"name":`, `"secret": "`+secret+`", "name":`, 1))
	code, body := h.call(h.key, "POST", "/v1/triggers", "application/json", "shop-trigger", spec)
	var trg struct{ ID, URL string }
	if err := json.Unmarshal(body, &trg); code != http.StatusCreated || err != nil {
		t.Fatalf("create trigger: %d %s", code, body)
	}
	order, err := os.ReadFile("../../testdata/triggers/shopify-order.json")
	if err != nil {
		t.Fatal(err)
	}
	send := func(payload []byte) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", h.srv.URL+trg.URL, strings.NewReader(string(payload)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(trigger.ShopifyHeader, trigger.SignShopify(secret, payload))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ev struct {
			CardID string `json:"card_id"`
		}
		json.NewDecoder(resp.Body).Decode(&ev)
		return resp.StatusCode, ev.CardID
	}
	code, held := send(order)
	if code != http.StatusAccepted || held == "" {
		t.Fatalf("order: %d %q", code, held)
	}
	if code, body := h.call(h.key, "POST", "/v1/cards/"+held+"/approve", "application/json", "approve-1", nil); code != http.StatusOK {
		t.Fatalf("approve: %d %s", code, body)
	}
	if code, body := h.call(h.key, "PUT", "/v1/triggers/settings", "application/json", "", []byte(`{"hold_for_approval":false}`)); code != http.StatusOK {
		t.Fatalf("settings: %d %s", code, body)
	}
	second := []byte(strings.Replace(string(order), "820982911946154508", "820982911946154999", 1))
	code, direct := send(second)
	if code != http.StatusCreated || direct == "" {
		t.Fatalf("second order: %d %q", code, direct)
	}
	cards := h.waitAll([]string{held, direct}, 3*time.Minute)
	for id, c := range cards {
		if !strings.Contains(string(c.To), "Erika Müller") || !strings.Contains(c.Message, "Füllfederhalter Classic") {
			t.Errorf("card %s: %s / %q", id, c.To, c.Message)
		}
	}
}
