package intake_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
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
