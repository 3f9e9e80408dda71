package intake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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

// TestErasureReachesTriggersAndOccasions: a person who reached quillpost through a trigger (a
// refused order, a held card) and an occasion list is erased by email, and afterwards no file of
// the database holds their name, street, postcode or email. A refused call's stored reason names
// the payload field and the problem, never the value.
func TestErasureReachesTriggersAndOccasions(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.OpenDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(observe(intake.New(intake.Config{Store: st, RateLimit: -1, Logger: quiet}).Handler()))
	t.Cleanup(srv.Close)
	api := &testAPI{t: t, srv: srv, store: st}
	key := api.key("shop", store.KeyLive)
	const secret = "shpss_erasure_0123456789abcdef"
	// The mapping builds its event ids of the customer's email, as a shop's own mapping may.
	var spec map[string]any
	if err := json.Unmarshal(fixture(t, "shopify-trigger.json"), &spec); err != nil {
		t.Fatal(err)
	}
	spec["secret"], spec["mapping"].(map[string]any)["event_id"] = secret, "{{email}}/{{id}}"
	specBody, _ := json.Marshal(spec)
	code, trg, _ := api.do("POST", "/v1/triggers", key, "erasure-trigger", string(specBody))
	if code != http.StatusCreated {
		t.Fatalf("create trigger: %d %v", code, trg)
	}
	url := trg["url"].(string)

	const first, last, street, badZip, email = "Quirinus", "Zabelsky", "Xylophonweg 17", "Q7X9", "quirinus.zabelsky@example.org"
	var doc map[string]any
	if err := json.Unmarshal(fixture(t, "shopify-order.json"), &doc); err != nil {
		t.Fatal(err)
	}
	doc["email"] = email
	doc["customer"].(map[string]any)["first_name"], doc["customer"].(map[string]any)["email"] = first, email
	ship := doc["shipping_address"].(map[string]any)
	ship["first_name"], ship["last_name"], ship["address1"], ship["zip"] = first, last, street, badZip
	order := func(id int) []byte {
		doc["id"] = id
		b, _ := json.Marshal(doc)
		return b
	}
	bad := order(1)
	code, m, _ := post(t, api, url, bad, map[string]string{trigger.ShopifyHeader: trigger.SignShopify(secret, bad)})
	if e, _ := m["error"].(map[string]any); code != http.StatusUnprocessableEntity || e["field"] != "shipping_address.zip" {
		t.Fatalf("order with a bad zip: %d %v", code, m)
	}
	ship["zip"] = "10115"
	good := order(2)
	if code, m, _ := post(t, api, url, good, map[string]string{trigger.ShopifyHeader: trigger.SignShopify(secret, good)}); code != http.StatusAccepted {
		t.Fatalf("good order: %d %v", code, m)
	}
	upload := `[{"to":{"name":"` + first + " " + last + `","lines":["` + street + `"],"postal_code":"10115","city":"Berlin","country":"DE"},
		"email":"` + strings.ToUpper(email) + `","dates":{"birthday":"1980-05-17"}}]`
	if code, m, _ := api.do("POST", "/v1/occasions/recipients", key, "", upload); code != http.StatusCreated || m["accepted"] != 1.0 {
		t.Fatalf("occasion upload: %d %v", code, m)
	}

	// The refused call is listed with the field and the problem, without the value.
	code, evs, _ := api.do("GET", url, key, "", "")
	var refused map[string]any
	for _, e := range evs["data"].([]any) {
		if e := e.(map[string]any); e["outcome"] == "refused" {
			refused = e
		}
	}
	if code != http.StatusOK || refused == nil || refused["field"] != "shipping_address.zip" || refused["reason"] != "the payload was refused: address_invalid (shipping_address.zip)" {
		t.Fatalf("refused event: %d %v", code, refused)
	}
	if r := refused["reason"].(string); strings.Contains(r, badZip) || strings.Contains(r, last) {
		t.Errorf("the stored reason quotes the payload: %q", r)
	}

	// A second person is only in the occasion list and in a refused call (no card of them).
	const other, otherEmail = "Ysolde Quappendorf", "ysolde.q@example.net"
	doc["email"], ship["last_name"], ship["zip"] = otherEmail, "Quappendorf", badZip
	refusedOther := order(3)
	if code, _, _ := post(t, api, url, refusedOther, map[string]string{trigger.ShopifyHeader: trigger.SignShopify(secret, refusedOther)}); code != http.StatusUnprocessableEntity {
		t.Fatalf("the other's order: %d", code)
	}
	if code, m, _ := api.do("POST", "/v1/occasions/recipients", key, "", `[{"to":{"name":"`+other+`","lines":["Rue 1"],"postal_code":"10115","city":"Berlin","country":"DE"},"email":"`+otherEmail+`","dates":{"birthday":"1970-01-02"}}]`); code != http.StatusCreated {
		t.Fatalf("the other's occasion upload: %d %v", code, m)
	}

	personal := []string{first + " " + last, last, street, badZip, email, other, otherEmail}
	found := func() []string {
		var hits []string
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range personal {
				if bytes.Contains(b, []byte(v)) {
					hits = append(hits, e.Name()+": "+v)
				}
			}
		}
		return hits
	}
	if len(found()) == 0 {
		t.Fatal("the person's data is not in the files before erasure; the test shows nothing")
	}
	code, m, _ = api.do("DELETE", "/v1/recipients?email="+email, key, "", "")
	if code != http.StatusOK || m["erased"] != 1.0 || m["occasion_recipients_removed"] != 1.0 {
		t.Fatalf("erasure: %d %v", code, m)
	}
	code, m, _ = api.do("DELETE", "/v1/recipients?email="+otherEmail, key, "", "")
	if code != http.StatusOK || m["erased"] != 0.0 || m["occasion_recipients_removed"] != 1.0 {
		t.Fatalf("the other's erasure: %d %v", code, m)
	}
	if hits := found(); len(hits) > 0 {
		t.Errorf("after erasure the database files still hold: %v", hits)
	}
	// The calls stay listed, with their ids as digests.
	_, evs, _ = api.do("GET", url, key, "", "")
	if n := len(evs["data"].([]any)); n != 3 {
		t.Errorf("%d events listed after erasure, want 3", n)
	}
	for _, e := range evs["data"].([]any) {
		if id := e.(map[string]any)["event_id"].(string); !strings.HasPrefix(id, "sha256:") {
			t.Errorf("event id %q kept after erasure", id)
		}
	}
	// The sender's retry of the erased person's order makes no new card of them.
	doc["email"], ship["last_name"], ship["zip"] = email, last, "10115"
	if code, m, _ := post(t, api, url, good, map[string]string{trigger.ShopifyHeader: trigger.SignShopify(secret, good)}); code != http.StatusOK || m["outcome"] != "held" {
		t.Errorf("retried order after erasure: %d %v; want the first, erased card", code, m)
	}
}

// TestAccountCapAcrossTriggers calls three triggers of one account at once, over HTTP, on SQLite
// and PostgreSQL: the account's daily cap holds over all of them together.
func TestAccountCapAcrossTriggers(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			api := newTestAPIOn(t, backend)
			key := api.key("crm", store.KeyLive)
			const accountCap, triggers, callsEach = 5, 3, 6
			if code, m, _ := api.do("PUT", "/v1/triggers/settings", key, "", `{"daily_cap":5}`); code != http.StatusOK || m["daily_cap"] != float64(accountCap) {
				t.Fatalf("settings: %d %v", code, m)
			}
			var urls []string
			for i := range triggers {
				code, zp, _ := api.do("POST", "/v1/triggers", key, "cap-"+strconv.Itoa(i), string(fixture(t, "zapier-trigger.json")))
				if code != http.StatusCreated {
					t.Fatalf("create trigger %d: %d %v", i, code, zp)
				}
				urls = append(urls, zp["url"].(string))
			}
			var doc map[string]any
			if err := json.Unmarshal(fixture(t, "zapier.json"), &doc); err != nil {
				t.Fatal(err)
			}
			type call struct {
				url  string
				body []byte
			}
			var calls []call
			for i, u := range urls {
				for j := range callsEach {
					doc["zap_event_id"] = "zap-" + strconv.Itoa(i) + "-" + strconv.Itoa(j)
					b, _ := json.Marshal(doc)
					calls = append(calls, call{u, b})
				}
			}
			codes := make([]int, len(calls))
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, c := range calls {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					codes[i], _, _ = post(t, api, c.url, c.body, map[string]string{"Authorization": "Bearer " + key})
				}()
			}
			close(start)
			wg.Wait()
			made, capped := 0, 0
			for _, c := range codes {
				switch c {
				case http.StatusAccepted, http.StatusCreated:
					made++
				case http.StatusTooManyRequests:
					capped++
				default:
					t.Errorf("a call answered %d", c)
				}
			}
			if made != accountCap || capped != len(calls)-accountCap {
				t.Errorf("%d calls of %d triggers at once: %d cards, %d capped; the account's daily cap is %d", len(calls), triggers, made, capped, accountCap)
			}
			page, err := api.store.ListCards(context.Background(), store.AnyAccount, store.CardFilter{Limit: 100})
			if err != nil || len(page.Cards) != accountCap {
				t.Errorf("%d cards stored (%v); the account's daily cap is %d", len(page.Cards), err, accountCap)
			}
		})
	}
}
