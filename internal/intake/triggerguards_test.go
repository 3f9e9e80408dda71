package intake_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/intake"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/sqlite"
	"github.com/quillpost/quillpost/internal/trigger"
)

// TestHubSpotBehindProxy: a proxy in front rewrites the Host header and strips a path prefix;
// with the public URL configured, HubSpot's signature over the URL it called is accepted, and
// one over the address the proxy forwarded to is not.
func TestHubSpotBehindProxy(t *testing.T) {
	st, err := sqlite.OpenDir(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	const public = "https://cards.example.org/quillpost"
	srv := httptest.NewServer(intake.New(intake.Config{Store: st, RateLimit: -1, Logger: quiet, PublicURL: public + "/"}).Handler())
	t.Cleanup(srv.Close)
	api := &testAPI{t: t, srv: srv, store: st}
	key := api.key("crm", store.KeyLive)
	const secret = "hubspot-client-secret-0123"
	hs := createTrigger(t, api, key, "hubspot-trigger.json", secret)
	path := hs["url"].(string) + "?portal=62515"
	body := fixture(t, "hubspot-workflow.json")
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	sign := func(uri string) map[string]string {
		return map[string]string{trigger.HubSpotHeader: trigger.SignHubSpot(secret, "POST", uri, body, ts), trigger.HubSpotTimestampHeader: ts}
	}
	if code, m, _ := post(t, api, path, body, sign(srv.URL+path)); code != http.StatusUnauthorized || m["error"].(map[string]any)["code"] != "signature_invalid" {
		t.Errorf("signed over the forwarded Host: %d %v; want 401 signature_invalid", code, m)
	}
	if code, m, _ := post(t, api, path, body, sign(public+path)); code != http.StatusAccepted || m["event_id"] != "contact-3234574-customer" {
		t.Fatalf("signed over the public URL: %d %v", code, m)
	}
}

func TestCheckPublicURL(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://cards.example.org": true, "https://cards.example.org/qp/": true, "http://localhost:8080": true,
		"cards.example.org": false, "ftp://cards.example.org": false, "https://": false,
		"https://cards.example.org/?a=1": false, "https://u:p@cards.example.org": false, "https://cards.example.org/#x": false,
	} {
		if err := intake.CheckPublicURL(u); (err == nil) != ok {
			t.Errorf("CheckPublicURL(%q) = %v", u, err)
		}
	}
}

// TestRotateTriggerSecret: the new secret is answered once and signs from then on; the old one
// is refused at once; a retried rotation answers the same secret; a test key cannot rotate a
// live trigger, and a cancelled trigger is not rotated.
func TestRotateTriggerSecret(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("crm", store.KeyLive)
	test := api.key("crm", store.KeyTest)
	const old = "zapier-secret-0123456789"
	zp := createTrigger(t, api, key, "zapier-trigger.json", old)
	id, url := zp["id"].(string), zp["url"].(string)
	body := fixture(t, "zapier.json")
	call := func(secret string) int {
		t.Helper()
		code, _, _ := post(t, api, url, body, map[string]string{trigger.GenericHeader: trigger.SignGeneric(secret, body)})
		return code
	}
	if code := call(old); code != http.StatusAccepted {
		t.Fatalf("call with the first secret: %d", code)
	}

	code, m, _ := api.do("POST", "/v1/triggers/"+id+"/rotate_secret", key, "rotate-1", "")
	fresh, _ := m["secret"].(string)
	if code != http.StatusOK || m["object"] != "trigger" || m["id"] != id || !strings.HasPrefix(fresh, "qpts_") || len(fresh) < 30 {
		t.Fatalf("rotate: %d %v", code, m)
	}
	if code, again, _ := api.do("POST", "/v1/triggers/"+id+"/rotate_secret", key, "rotate-1", ""); code != http.StatusOK || again["secret"] != fresh {
		t.Errorf("retried rotation: %d, secret %v; want the same %s", code, again["secret"], fresh)
	}
	if code := call(old); code != http.StatusUnauthorized {
		t.Errorf("call with the old secret after rotation: %d, want 401", code)
	}
	if code := call(fresh); code != http.StatusOK && code != http.StatusAccepted {
		t.Errorf("call with the new secret: %d", code)
	}
	if _, got, _ := api.do("GET", "/v1/triggers/"+id, key, "", ""); got["secret"] != nil {
		t.Errorf("GET shows the secret: %v", got["secret"])
	}

	// A sender that sets its own key: the secret comes in the body.
	if code, m, _ := api.do("POST", "/v1/triggers/"+id+"/rotate_secret", key, "", `{"secret":"short"}`); code != http.StatusUnprocessableEntity || m["error"].(map[string]any)["field"] != "secret" {
		t.Errorf("too short a secret: %d %v", code, m)
	}
	const own = "shop-app-secret-rotated-42"
	if code, m, _ := api.do("POST", "/v1/triggers/"+id+"/rotate_secret", key, "", `{"secret":"`+own+`"}`); code != http.StatusOK || m["secret"] != own {
		t.Fatalf("rotate to a given secret: %d %v", code, m)
	}
	if code := call(fresh); code != http.StatusUnauthorized {
		t.Errorf("the replaced random secret still works: %d", code)
	}
	if code := call(own); code != http.StatusOK && code != http.StatusAccepted {
		t.Errorf("call with the given secret: %d", code)
	}

	if code, _, _ := api.do("POST", "/v1/triggers/"+id+"/rotate_secret", test, "", ""); code != http.StatusNotFound {
		t.Errorf("a test key rotates a live trigger: %d", code)
	}
	if code, _, _ := api.do("POST", "/v1/triggers/"+id+"/cancel", key, "", ""); code != http.StatusOK {
		t.Fatalf("cancel: %d", code)
	}
	if code, m, _ := api.do("POST", "/v1/triggers/"+id+"/rotate_secret", key, "", ""); code != http.StatusConflict || m["error"].(map[string]any)["code"] != "trigger_cancelled" {
		t.Errorf("rotating a cancelled trigger: %d %v", code, m)
	}
}
