package intake_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
)

// Every state-changing POST honours Idempotency-Key: a retried approval answers what the first
// one did instead of 409, and the key cannot be reused for another request.
func TestApproveReplaysWithIdempotencyKey(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyTest)
	held := strings.Replace(goodCard, `"metadata"`, `"approval_required":true,"metadata"`, 1)
	_, c, _ := api.do("POST", "/v1/cards", key, "held-1", held)
	id := c["id"].(string)
	code, first, _ := api.do("POST", "/v1/cards/"+id+"/approve", key, "ap-1", "")
	if code != http.StatusOK || first["status"] != "queued" {
		t.Fatalf("approve: %d %v", code, first)
	}
	code, again, h := api.do("POST", "/v1/cards/"+id+"/approve", key, "ap-1", "")
	if code != http.StatusOK || again["status"] != "queued" || h.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replayed approve: %d %v %v", code, again, h)
	}
	if code, _, _ := api.do("POST", "/v1/cards/"+id+"/approve", key, "ap-2", ""); code != http.StatusConflict {
		t.Errorf("a new approval of a queued card: %d, want 409", code)
	}
	code, m, _ := api.do("POST", "/v1/address_verifications", key, "ap-1", `{"address":{"country":"DE"}}`)
	if code != http.StatusUnprocessableEntity || errorOf(t, m)["code"] != "idempotency_key_reuse" {
		t.Errorf("key reused on another endpoint: %d %v", code, m)
	}
}
