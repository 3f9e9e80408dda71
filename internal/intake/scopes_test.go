package intake_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
)

// Finding 3: a test key could approve, activate and cancel live cards and campaigns. Now every
// live object is invisible to a test key: 404 as if it did not exist, and untouched.
func TestTestKeyCannotTouchLiveObjects(t *testing.T) {
	api := newTestAPI(t)
	live := api.key("shop", store.KeyLive)
	test := api.key("shop", store.KeyTest)
	held := strings.Replace(goodCard, `"metadata"`, `"approval_required":true,"metadata"`, 1)
	code, card, _ := api.do("POST", "/v1/cards", live, "live-1", held)
	if code != http.StatusCreated || card["test"] != false {
		t.Fatalf("live card: %d %v", code, card)
	}
	id := card["id"].(string)
	cmp := createCampaign(t, api, live)

	for _, rq := range []struct{ method, path, body string }{
		{"GET", "/v1/cards/" + id, ""},
		{"GET", "/v1/cards/" + id + "/preview", ""},
		{"POST", "/v1/cards/" + id + "/approve", ""},
		{"DELETE", "/v1/cards/" + id, ""},
		{"GET", "/v1/campaigns/" + cmp, ""},
		{"POST", "/v1/campaigns/" + cmp + "/activate", ""},
		{"POST", "/v1/campaigns/" + cmp + "/recipients", `[]`},
		{"POST", "/v1/campaigns/" + cmp + "/preview", `{"variables":{"count":"1"}}`},
		{"GET", "/v1/campaigns/" + cmp + "/labels.pdf", ""},
	} {
		code, m, _ := api.do(rq.method, rq.path, test, "scope-"+rq.method+rq.path, rq.body)
		if code != http.StatusNotFound {
			t.Errorf("test key %s %s: %d %v, want 404", rq.method, rq.path, code, m)
		}
	}
	// Lists and erasure leave live cards out.
	_, list, _ := api.do("GET", "/v1/cards", test, "", "")
	if data := list["data"].([]any); len(data) != 0 {
		t.Errorf("test key lists %d live cards", len(data))
	}
	code, er, _ := api.do("DELETE", "/v1/recipients?metadata.crm_id=c-42", test, "", "")
	if code != http.StatusOK || er["matched"] != float64(0) {
		t.Errorf("test key erasure: %d %v", code, er)
	}
	// The live objects are as they were.
	_, got, _ := api.do("GET", "/v1/cards/"+id, live, "", "")
	if got["status"] != "accepted" || got["message"] == "" {
		t.Errorf("live card changed: %v", got)
	}
	_, c, _ := api.do("GET", "/v1/campaigns/"+cmp, live, "", "")
	if c["state"] != "draft" {
		t.Errorf("live campaign changed: %v", c["state"])
	}
	// The live key still may act on its own test cards (it owns the account).
	code, tc, _ := api.do("POST", "/v1/cards", test, "test-1", goodCard)
	if code != http.StatusCreated || tc["test"] != true {
		t.Fatalf("test card: %d %v", code, tc)
	}
	if code, _, _ := api.do("GET", "/v1/cards/"+tc["id"].(string), live, "", ""); code != http.StatusOK {
		t.Errorf("live key reading a test card: %d", code)
	}
}

// Webhooks are separate per mode: a test key neither sees nor deletes the live endpoint.
func TestWebhooksSeparatedByMode(t *testing.T) {
	api := newTestAPI(t)
	live := api.key("shop", store.KeyLive)
	test := api.key("shop", store.KeyTest)
	code, hook, _ := api.do("POST", "/v1/webhooks", live, "wh-1", `{"url":"https://crm.example.com/hook"}`)
	if code != http.StatusCreated || hook["test"] != false {
		t.Fatalf("create: %d %v", code, hook)
	}
	id := hook["id"].(string)
	if code, _, _ := api.do("DELETE", "/v1/webhooks/"+id, test, "", ""); code != http.StatusNotFound {
		t.Errorf("test key deleting a live webhook: %d", code)
	}
	if code, _, _ := api.do("POST", "/v1/webhooks/"+id+"/replay", test, "wh-r", `{}`); code != http.StatusNotFound {
		t.Errorf("test key replaying a live webhook: %d", code)
	}
	_, list, _ := api.do("GET", "/v1/webhooks", test, "", "")
	if n := len(list["data"].([]any)); n != 0 {
		t.Errorf("test key lists %d live webhooks", n)
	}
	if code, _, _ := api.do("GET", "/v1/webhooks/"+id, live, "", ""); code != http.StatusOK {
		t.Errorf("live webhook gone: %d", code)
	}
}

// Keys can be listed and revoked over the API; a revoked key fails on its very next request.
func TestKeysListAndRevokeImmediately(t *testing.T) {
	api := newTestAPI(t)
	live := api.key("shop", store.KeyLive)
	test := api.key("shop", store.KeyTest)
	other := api.key("shop", store.KeyTest)
	api.key("elsewhere", store.KeyLive)

	_, list, _ := api.do("GET", "/v1/keys", live, "", "")
	if n := len(list["data"].([]any)); n != 3 {
		t.Fatalf("live key lists %d keys, want its account's 3: %v", n, list)
	}
	_, tl, _ := api.do("GET", "/v1/keys", test, "", "")
	var liveID, otherID string
	for _, k := range list["data"].([]any) {
		k := k.(map[string]any)
		switch {
		case k["kind"] == "live":
			liveID = k["id"].(string)
		case k["current"] != true && strings.HasPrefix(other, strings.TrimSuffix(k["hint"].(string), "…")):
			otherID = k["id"].(string)
		}
	}
	if n := len(tl["data"].([]any)); n != 2 {
		t.Errorf("test key lists %d keys, want the 2 test keys", n)
	}
	if code, _, _ := api.do("DELETE", "/v1/keys/"+liveID, test, "", ""); code != http.StatusNotFound {
		t.Errorf("test key revoking the live key: %d", code)
	}
	// Warm up any cache there might be, then revoke and use the key at once.
	if code, _, _ := api.do("GET", "/v1/cards", other, "", ""); code != http.StatusOK {
		t.Fatalf("other key: %d", code)
	}
	code, rk, _ := api.do("DELETE", "/v1/keys/"+otherID, live, "", "")
	if code != http.StatusOK || rk["revoked_at"] == nil {
		t.Fatalf("revoke: %d %v", code, rk)
	}
	if code, _, _ := api.do("GET", "/v1/cards", other, "", ""); code != http.StatusUnauthorized {
		t.Errorf("revoked key still works: %d", code)
	}
}
