package intake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/trigger"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "triggers", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// createTrigger makes a trigger from a fixture's trigger file with the given secret.
func createTrigger(t *testing.T, api *testAPI, key, file, secret string) map[string]any {
	t.Helper()
	var spec map[string]any
	if err := json.Unmarshal(fixture(t, file), &spec); err != nil {
		t.Fatal(err)
	}
	spec["secret"] = secret
	body, _ := json.Marshal(spec)
	code, m, _ := api.do("POST", "/v1/triggers", key, "trg-"+file, string(body))
	if code != http.StatusCreated || m["secret"] != secret || m["state"] != "active" {
		t.Fatalf("create trigger %s: %d %v", file, code, m)
	}
	return m
}

// post sends a payload to a trigger with the given headers.
func post(t *testing.T, api *testAPI, path string, body []byte, headers map[string]string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("POST", api.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m, resp.Header
}

// TestShopOrderTrigger is the second "done when": a shop's order posted twice gives one
// card with the mapped name and address; an order without a postcode is refused naming the path.
func TestShopOrderTrigger(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyLive)
	const secret = "shpss_0123456789abcdef0123456789"
	trg := createTrigger(t, api, key, "shopify-trigger.json", secret)
	url := trg["url"].(string)
	order := fixture(t, "shopify-order.json")
	sig := map[string]string{trigger.ShopifyHeader: trigger.SignShopify(secret, order), "X-Shopify-Topic": "orders/create"}

	code, first, _ := post(t, api, url, order, sig)
	if code != http.StatusAccepted || first["outcome"] != "held" {
		t.Fatalf("first post: %d %v", code, first)
	}
	code, again, h := post(t, api, url, order, sig)
	if code != http.StatusOK || again["card_id"] != first["card_id"] || h.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("second post: %d %v (first card %v)", code, again, first["card_id"])
	}
	page, err := api.store.ListCards(context.Background(), store.AnyAccount, store.CardFilter{Metadata: map[string]string{"trigger": trg["id"].(string)}})
	if err != nil || len(page.Cards) != 1 {
		t.Fatalf("cards of the trigger: %d (%v), want 1", len(page.Cards), err)
	}
	c := page.Cards[0]
	var to map[string]any
	_ = json.Unmarshal(c.To, &to)
	if to["name"] != "Erika Müller" || fmt.Sprint(to["lines"]) != "[Hauptstraße 5]" || to["postal_code"] != "10115" || to["city"] != "Berlin" || to["country"] != "DE" {
		t.Errorf("mapped address %v", to)
	}
	if !strings.Contains(c.Message, "Liebe(r) Erika,") || !strings.Contains(c.Message, "Füllfederhalter Classic") {
		t.Errorf("message %q", c.Message)
	}
	if c.Metadata["shopify_order"] != "#1017" || c.Metadata["email"] != "erika.mueller@example.org" || c.Metadata["trigger_event"] != "order-820982911946154508" {
		t.Errorf("metadata %v", c.Metadata)
	}
	if c.Status != store.StatusAccepted || !c.ApprovalRequired {
		t.Errorf("card %s approval %v; triggered cards wait for approval by default", c.Status, c.ApprovalRequired)
	}

	// Missing postcode: refused, naming the sender's field path.
	var doc map[string]any
	_ = json.Unmarshal(order, &doc)
	doc["id"] = 820982911946154509
	delete(doc["shipping_address"].(map[string]any), "zip")
	noZip, _ := json.Marshal(doc)
	code, m, _ := post(t, api, url, noZip, map[string]string{trigger.ShopifyHeader: trigger.SignShopify(secret, noZip)})
	e, _ := m["error"].(map[string]any)
	if code != http.StatusUnprocessableEntity || e["field"] != "shipping_address.zip" || !strings.Contains(fmt.Sprint(e["message"]), "to.postal_code") {
		t.Fatalf("order without zip: %d %v", code, m)
	}
	// The card field it was to fill comes as a value too, for pages that word it themselves.
	if pr, _ := e["problems"].([]any); len(pr) != 1 || pr[0].(map[string]any)["target"] != "to.postal_code" {
		t.Errorf("order without zip: problems %v, want the target to.postal_code", e["problems"])
	}
	// A postcode that is there but wrong is refused under the sender's field too.
	doc["shipping_address"].(map[string]any)["zip"] = "1011"
	badZip, _ := json.Marshal(doc)
	code, m, _ = post(t, api, url, badZip, map[string]string{trigger.ShopifyHeader: trigger.SignShopify(secret, badZip)})
	if e, _ := m["error"].(map[string]any); code != http.StatusUnprocessableEntity || e["field"] != "shipping_address.zip" {
		t.Errorf("order with a 4-digit zip: %d %v", code, m)
	}
	// Forged and unsigned calls are refused.
	if code, _, _ := post(t, api, url, order, map[string]string{trigger.ShopifyHeader: trigger.SignShopify("wrong-secret-000000", order)}); code != http.StatusUnauthorized {
		t.Errorf("forged signature: %d", code)
	}
	if code, _, _ := post(t, api, url, order, nil); code != http.StatusUnauthorized {
		t.Errorf("unsigned call: %d", code)
	}
	other := api.key("other-shop", store.KeyLive)
	if code, _, _ := post(t, api, url, order, map[string]string{"Authorization": "Bearer " + other}); code != http.StatusNotFound {
		t.Errorf("another account's key: %d", code)
	}

	// The list says what was triggered and why not.
	_, list, _ := api.do("GET", url, key, "", "")
	var lines []string
	for _, ev := range list["data"].([]any) {
		ev := ev.(map[string]any)
		lines = append(lines, fmt.Sprintf("%v %v %v", ev["event_id"], ev["outcome"], ev["field"]))
	}
	want := "order-820982911946154509 refused shipping_address.zip|order-820982911946154509 refused shipping_address.zip|order-820982911946154508 held <nil>"
	if got := strings.Join(lines, "|"); got != want {
		t.Errorf("events:\n got %s\nwant %s", got, want)
	}

	// Turning the hold off queues the next card at once.
	if code, s, _ := api.do("PUT", "/v1/triggers/settings", key, "", `{"hold_for_approval":false}`); code != 200 || s["hold_for_approval"] != false {
		t.Fatalf("settings: %d %v", code, s)
	}
	doc["shipping_address"].(map[string]any)["zip"] = "10117"
	okZip, _ := json.Marshal(doc)
	code, m, _ = post(t, api, url, okZip, map[string]string{trigger.ShopifyHeader: trigger.SignShopify(secret, okZip)})
	if code != http.StatusCreated || m["outcome"] != "queued" || m["card"].(map[string]any)["status"] != "queued" {
		t.Errorf("after the hold is off: %d %v", code, m)
	}
}

func TestTriggerSendersAndGuards(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("crm", store.KeyLive)
	test := api.key("crm", store.KeyTest)
	ctx := context.Background()

	// HubSpot v3 signature over method, URL, body and timestamp.
	hs := createTrigger(t, api, key, "hubspot-trigger.json", "hubspot-client-secret-0123")
	body := fixture(t, "hubspot-workflow.json")
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	uri := "http://" + strings.TrimPrefix(api.srv.URL, "http://") + hs["url"].(string)
	code, m, _ := post(t, api, hs["url"].(string), body, map[string]string{
		trigger.HubSpotHeader: trigger.SignHubSpot("hubspot-client-secret-0123", "POST", uri, body, ts), trigger.HubSpotTimestampHeader: ts})
	if code != http.StatusAccepted || m["event_id"] != "contact-3234574-customer" {
		t.Fatalf("hubspot: %d %v", code, m)
	}
	old := strconv.FormatInt(time.Now().Add(-10*time.Minute).UnixMilli(), 10)
	if code, _, _ := post(t, api, hs["url"].(string), body, map[string]string{
		trigger.HubSpotHeader: trigger.SignHubSpot("hubspot-client-secret-0123", "POST", uri, body, old), trigger.HubSpotTimestampHeader: old}); code != http.StatusUnauthorized {
		t.Errorf("replayed old HubSpot call: %d", code)
	}

	// Zapier with an API key; a generic sha256= signature works as well.
	zp := createTrigger(t, api, key, "zapier-trigger.json", "zapier-secret-0123456789")
	zbody := fixture(t, "zapier.json")
	if code, m, _ := post(t, api, zp["url"].(string), zbody, map[string]string{"Authorization": "Bearer " + key}); code != http.StatusAccepted || m["event_id"] != "zap-7f3c2a91" {
		t.Fatalf("zapier with key: %d %v", code, m)
	}
	if code, _, _ := post(t, api, zp["url"].(string), zbody, map[string]string{trigger.GenericHeader: trigger.SignGeneric("zapier-secret-0123456789", zbody)}); code != http.StatusOK {
		t.Errorf("zapier signed, same event: %d, want the first answer again", code)
	}
	// A test key cannot call a live trigger.
	if code, _, _ := post(t, api, zp["url"].(string), zbody, map[string]string{"Authorization": "Bearer " + test}); code != http.StatusNotFound {
		t.Errorf("test key on a live trigger: %d", code)
	}

	// Caps: a trigger capped at 2 a day refuses the third event.
	var spec map[string]any
	_ = json.Unmarshal(fixture(t, "zapier-trigger.json"), &spec)
	spec["daily_cap"] = 2
	raw, _ := json.Marshal(spec)
	_, capped, _ := api.do("POST", "/v1/triggers", key, "capped", string(raw))
	for i := range 3 {
		b := bytes.Replace(zbody, []byte("zap-7f3c2a91"), []byte(fmt.Sprintf("zap-cap-%d", i)), 1)
		code, m, h := post(t, api, capped["url"].(string), b, map[string]string{"Authorization": "Bearer " + key})
		if i < 2 && code != http.StatusAccepted {
			t.Errorf("event %d under the cap: %d %v", i, code, m)
		}
		if i == 2 && (code != http.StatusTooManyRequests || h.Get("Retry-After") == "" || !strings.Contains(fmt.Sprint(m), "daily cap of 2")) {
			t.Errorf("event over the cap: %d %v", code, m)
		}
	}

	// Pause refuses calls (listed), resume takes them again, cancel cancels the held cards.
	id := zp["id"].(string)
	if code, m, _ := api.do("POST", "/v1/triggers/"+id+"/pause", key, "", ""); code != 200 || m["state"] != "paused" {
		t.Fatalf("pause: %d %v", code, m)
	}
	b := bytes.Replace(zbody, []byte("zap-7f3c2a91"), []byte("zap-paused"), 1)
	if code, _, _ := post(t, api, zp["url"].(string), b, map[string]string{"Authorization": "Bearer " + key}); code != http.StatusConflict {
		t.Errorf("call while paused: %d", code)
	}
	if code, m, _ := api.do("POST", "/v1/triggers/"+id+"/resume", key, "", ""); code != 200 || m["state"] != "active" {
		t.Fatalf("resume: %d %v", code, m)
	}
	if code, _, _ := post(t, api, zp["url"].(string), b, map[string]string{"Authorization": "Bearer " + key}); code != http.StatusAccepted {
		t.Errorf("call after resume: %d", code)
	}
	code, m, _ = api.do("POST", "/v1/triggers/"+id+"/cancel", key, "", "")
	if code != 200 || m["state"] != "cancelled" || m["cards_cancelled"] != 2.0 {
		t.Fatalf("cancel: %d %v", code, m)
	}
	page, _ := api.store.ListCards(ctx, store.AnyAccount, store.CardFilter{Metadata: map[string]string{"trigger": id}})
	for _, c := range page.Cards {
		if c.Status != store.StatusCancelled || !strings.Contains(history(t, api, c.ID), "trigger.cancel") {
			t.Errorf("card %s after cancel: %s %s", c.ID, c.Status, history(t, api, c.ID))
		}
	}
	if code, _, _ := api.do("POST", "/v1/triggers/"+id+"/resume", key, "", ""); code != http.StatusConflict {
		t.Errorf("resume after cancel: %d", code)
	}
	_, l, _ := api.do("GET", "/v1/triggers?state=active", key, "", "")
	if n := len(l["data"].([]any)); n != 2 {
		t.Errorf("%d active triggers, want 2 (hubspot, capped)", n)
	}
	_, ev, _ := api.do("GET", "/v1/triggers/"+id+"/events", key, "", "")
	if s := fmt.Sprint(ev["data"]); !strings.Contains(s, "outcome:paused") || !strings.Contains(s, "reason:the trigger is paused") {
		t.Errorf("events lack the paused call: %s", s)
	}

	// The account's list spans its triggers, newest first; a test key sees none of these live ones.
	_, all, _ := api.do("GET", "/v1/triggers/events?limit=2", key, "", "")
	if d := all["data"].([]any); len(d) != 2 || all["next"] == nil || d[0].(map[string]any)["event_id"] != "zap-paused" {
		t.Errorf("account's events: %v", all)
	}
	if _, all, _ := api.do("GET", "/v1/triggers/events", test, "", ""); len(all["data"].([]any)) != 0 {
		t.Errorf("test key sees live trigger events: %v", all["data"])
	}

	// The dry run maps without storing.
	code, m, _ = api.do("POST", "/v1/triggers/"+hs["id"].(string)+"/test", key, "", string(body))
	if code != 200 || !strings.Contains(fmt.Sprint(m["message"]), "Hallo Jonas") || fmt.Sprint(m["to"].(map[string]any)["company"]) != "Becker & Söhne GmbH" {
		t.Errorf("test: %d %v", code, m)
	}
	code, m, _ = api.do("POST", "/v1/triggers/"+hs["id"].(string)+"/test", key, "", `{"vid":1,"properties":{}}`)
	if e, _ := m["error"].(map[string]any); code != http.StatusUnprocessableEntity || e["field"] != "properties.lifecyclestage.value" {
		t.Errorf("test with an empty contact: %d %v", code, m)
	}
	// Settings: a test key may not lift the guards.
	if code, _, _ := api.do("PUT", "/v1/triggers/settings", test, "", `{"hold_for_approval":false}`); code != http.StatusForbidden {
		t.Errorf("test key changes settings: %d", code)
	}
	if code, s, _ := api.do("GET", "/v1/triggers/settings", key, "", ""); code != 200 || s["hold_for_approval"] != true || s["daily_cap"] != 500.0 {
		t.Errorf("default settings: %d %v", code, s)
	}
	code, m, _ = api.do("POST", "/v1/triggers", key, "bad-map", `{"name":"x","template":"Hallo","mapping":{"to":{"name":"{{a}}","city":"{{c}}","country":"DE"}}}`)
	if e, _ := m["error"].(map[string]any); code != http.StatusUnprocessableEntity || e["field"] != "mapping.to.lines" {
		t.Errorf("mapping without lines: %d %v", code, m)
	}
}
