package intake_test

import (
	"net/http"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
)

// Finding 4: webhooks could target the server itself, and POST /v1/webhooks ignored
// Idempotency-Key.
func TestWebhookTargetsScreenedAndIdempotent(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyLive)
	for _, u := range []string{"http://127.0.0.1:8080/", "http://[::ffff:127.0.0.1]/", "http://0x7f.1/", "http://localhost./",
		"http://169.254.169.254/latest/meta-data/", "http://10.0.0.7/hook", "http://100.64.1.1/"} {
		code, m, _ := api.do("POST", "/v1/webhooks", key, "", `{"url":"`+u+`"}`)
		if e := errorOf(t, m); code != http.StatusUnprocessableEntity || e["code"] != "url_forbidden" || e["field"] != "url" {
			t.Errorf("%s: %d %v", u, code, m)
		}
	}
	body := `{"url":"https://crm.example.com/hook"}`
	code, first, _ := api.do("POST", "/v1/webhooks", key, "wh-1", body)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, first)
	}
	code, again, h := api.do("POST", "/v1/webhooks", key, "wh-1", body)
	if code != http.StatusCreated || again["id"] != first["id"] || again["secret"] != first["secret"] || h.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: %d %v (first %v)", code, again, first["id"])
	}
	code, m, _ := api.do("POST", "/v1/webhooks", key, "wh-1", `{"url":"https://crm.example.com/other"}`)
	if code != http.StatusUnprocessableEntity || errorOf(t, m)["code"] != "idempotency_key_reuse" {
		t.Errorf("key reuse: %d %v", code, m)
	}
	_, list, _ := api.do("GET", "/v1/webhooks", key, "", "")
	if n := len(list["data"].([]any)); n != 1 {
		t.Errorf("%d webhooks after a replayed create, want 1", n)
	}
}
