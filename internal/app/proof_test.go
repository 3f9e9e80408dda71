package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/webhook"
)

// TestUpgradeHoldsChangedProof is the whole story of a renderer upgrade: a card accepted by the
// previous release waits in the queue; the upgraded serve starts. The card is held for its new
// proof's approval (no blank spoiled, nothing failed), the CRM hears card.accepted with cause
// proof.changed, the customer approves the new proof with the approval call, and the robot writes
// exactly that proof.
func TestUpgradeHoldsChangedProof(t *testing.T) {
	h := start(t, app.Config{SimPlotters: 1, Webhooks: webhook.Options{BackoffBase: 50 * time.Millisecond, Poll: 50 * time.Millisecond, AllowPrivate: true}})
	ctx := context.Background()
	var mu sync.Mutex
	var heard []webhook.CardEvent
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var env struct{ Data webhook.CardEvent }
		if json.Unmarshal(body, &env) == nil {
			mu.Lock()
			heard = append(heard, env.Data)
			mu.Unlock()
		}
	}))
	defer hook.Close()
	if code, body := h.call(h.key, "POST", "/v1/webhooks", "application/json", "", []byte(`{"url":"`+hook.URL+`","event_types":["card.accepted"]}`)); code != 201 {
		t.Fatalf("webhook: %d %s", code, body)
	}
	acc, err := h.sys.Store.AccountByName(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	// Accepted by the previous release: its proof is strokes this renderer no longer draws.
	nc := store.NewCard{AccountID: acc.ID, Message: messages[1], Font: "allure", Hand: "casual", Stock: "a6-white", Format: "a6", Seed: 42,
		To:            json.RawMessage(`{"name":"Sam Doe","lines":["1 Main St"],"postal_code":"10115","city":"Berlin","country":"DE"}`),
		RenderVersion: cardspec.RenderVersion - 1}
	old, err := cardspec.Render(cardspec.Spec{Message: nc.Message, Font: nc.Font, Hand: nc.Hand, Stock: nc.Stock, Seed: 43})
	if err != nil {
		t.Fatal(err)
	}
	nc.StrokeHash = old.Hash()
	card, err := h.sys.Store.CreateCard(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	h.run()

	deadline := time.Now().Add(patience)
	for {
		c, err := h.sys.Store.GetCard(ctx, store.AnyAccount, card.ID)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		n := 0
		for _, e := range heard {
			if e.Card.ID == card.ID && e.To == store.StatusAccepted && e.Cause == store.CauseProofChanged {
				n++
			}
		}
		mu.Unlock()
		if c.Status == store.StatusAccepted && c.ProofChanged && n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("card %s proof_changed %v, %d proof.changed webhooks heard", c.Status, c.ProofChanged, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	code, body := h.call(h.key, "POST", "/v1/cards/"+card.ID+"/approve", "application/json", "", nil)
	if code != 200 {
		t.Fatalf("approve the new proof: %d %s", code, body)
	}
	cards := h.waitAll([]string{card.ID}, patience)
	if c := cards[card.ID]; c.Status != store.StatusWritten || c.StrokeHash == old.Hash() || c.RenderVersion != cardspec.RenderVersion {
		t.Errorf("written card %+v", c)
	}
	evs, err := h.sys.Store.Events(ctx, store.AnyAccount, card.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.To == store.StatusSpoiled || e.To == store.StatusFailed {
			t.Errorf("event %+v: a changed proof neither spoils a blank nor fails the card", e)
		}
	}
}
