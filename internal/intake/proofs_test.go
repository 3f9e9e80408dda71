package intake_test

import (
	"context"
	"testing"

	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/store"
)

// TestReapproveChangedProof: cards accepted under the previous renderer (their stored proof is
// strokes the current one no longer draws) are found by one operator call after the upgrade and
// held; the customer sees the new proof and approves it with the approval call they already use
// (or an operator does), and only then is the card queued, carrying the new proof's hash.
func TestReapproveChangedProof(t *testing.T) {
	ctx := context.Background()
	api := newTestAPI(t)
	key := api.key("shop", store.KeyLive)
	other := api.key("other", store.KeyLive)
	op := api.key("ops", store.KeyOperator)
	code, fresh, _ := api.do("POST", "/v1/cards", key, "rp-1", goodCard)
	if code != 201 || fresh["render_version"] != float64(cardspec.RenderVersion) || fresh["proof_changed"] != false {
		t.Fatalf("create: %d %v", code, fresh)
	}
	freshCard, err := api.store.GetCard(ctx, store.AnyAccount, fresh["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	// Two cards from before the upgrade: their proof is what the old renderer drew.
	var old []string
	for range 2 {
		nc := store.NewCard{AccountID: freshCard.AccountID, Message: freshCard.Message, Font: freshCard.Font, Hand: freshCard.Hand,
			Stock: freshCard.Stock, Format: freshCard.Format, Align: freshCard.Align, Seed: freshCard.Seed + 1, To: freshCard.To, From: freshCard.From,
			RenderVersion: cardspec.RenderVersion - 1}
		hc, err := cardspec.Render(cardspec.FromCard(&store.Card{Message: nc.Message, Font: nc.Font, Hand: nc.Hand, Stock: nc.Stock, Seed: nc.Seed + 7}))
		if err != nil {
			t.Fatal(err)
		}
		nc.StrokeHash = hc.Hash()
		c, err := api.store.CreateCard(ctx, nc)
		if err != nil {
			t.Fatal(err)
		}
		old = append(old, c.ID)
	}

	if code, m, _ := api.do("POST", "/v1/operator/reproof", key, "", ""); code != 403 {
		t.Errorf("re-proof with a shop's key: %d %v", code, m)
	}
	code, m, _ := api.do("POST", "/v1/operator/reproof", op, "", "")
	if code != 200 || m["checked"] != float64(2) || m["held"] != float64(2) || m["unchanged"] != float64(0) {
		t.Fatalf("re-proof: %d %v", code, m)
	}
	code, c, _ := api.do("GET", "/v1/cards/"+old[0], key, "", "")
	if code != 200 || c["status"] != "accepted" || c["proof_changed"] != true || c["approval_required"] != true {
		t.Fatalf("held card: %d %v", code, c)
	}
	evs := c["events"].([]any)
	if last := evs[len(evs)-1].(map[string]any); last["cause"] != store.CauseProofChanged || last["to"] != "accepted" {
		t.Errorf("last event %v", last)
	}
	_, preview, _ := api.do("GET", "/v1/cards/"+old[0]+"/preview", key, "", "")
	newHash, _ := preview["stroke_hash"].(string)
	if newHash == "" || newHash == c["stroke_hash"] {
		t.Fatalf("new proof %q, old %v", newHash, c["stroke_hash"])
	}

	// Nobody else approves it, and an operator's approval is only for changed proofs.
	if code, m, _ := api.do("POST", "/v1/cards/"+old[0]+"/approve", other, "", ""); code != 404 {
		t.Errorf("another account approves: %d %v", code, m)
	}
	if code, m, _ := api.do("POST", "/v1/operator/cards/"+fresh["id"].(string)+"/approve", op, "", ""); code != 409 || errorOf(t, m)["code"] != "proof_unchanged" {
		t.Errorf("operator approves a card whose proof did not change: %d %v", code, m)
	}
	// The customer approves the new proof.
	code, m, _ = api.do("POST", "/v1/cards/"+old[0]+"/approve", key, "", "")
	if code != 200 || m["status"] != "queued" || m["stroke_hash"] != newHash || m["proof_changed"] != false ||
		m["approval_required"] != false || m["render_version"] != float64(cardspec.RenderVersion) {
		t.Fatalf("approve the new proof: %d %v", code, m)
	}
	if code, m, _ := api.do("POST", "/v1/cards/"+old[0]+"/approve", key, "", ""); code != 409 {
		t.Errorf("approve twice: %d %v", code, m)
	}
	// An operator approves the other one for its customer.
	code, m, _ = api.do("POST", "/v1/operator/cards/"+old[1]+"/approve", op, "", "")
	if code != 200 || m["status"] != "queued" || m["proof_changed"] != false {
		t.Fatalf("operator approves the new proof: %d %v", code, m)
	}
	if got, _ := api.store.GetCard(ctx, store.AnyAccount, old[1]); got.StrokeHash == "" || got.RenderVersion != cardspec.RenderVersion {
		t.Errorf("stored after operator approval: %+v", got)
	}
	// Nothing left to re-proof.
	if code, m, _ := api.do("POST", "/v1/operator/reproof", op, "", ""); code != 200 || m["checked"] != float64(0) {
		t.Errorf("second re-proof: %d %v", code, m)
	}
}
