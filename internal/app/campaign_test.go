package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/webhook"
)

// crm is the customer's webhook endpoint: it verifies signatures, fails the first attempt of every
// event (after recording it) and counts retried events as duplicates.
type crm struct {
	t      *testing.T
	mu     sync.Mutex
	secret []string       // one per endpoint: test and live cards go to separate endpoints
	events map[string]int // attempts per event id
	cards  map[string]bool
	bad    int
}

func (c *crm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	for _, secret := range c.secret {
		if err = webhook.Verify(secret, r.Header.Get(webhook.HeaderTimestamp), r.Header.Get(webhook.HeaderSignature), body, 0, time.Now()); err == nil {
			break
		}
	}
	if err != nil {
		c.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id := r.Header.Get(webhook.HeaderEventID)
	c.events[id]++
	if c.events[id] > 1 {
		w.WriteHeader(http.StatusOK) // a retry of an event already handled: de-duplicated
		return
	}
	var env struct {
		Type string
		Data webhook.CardEvent
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Type != "card.written" {
		c.t.Errorf("event %s: %v %q", id, err, env.Type)
	}
	c.cards[env.Data.Card.ID] = true
	w.WriteHeader(http.StatusServiceUnavailable)
}

func (h *harness) call(key, method, path, ctype, idem string, body []byte) (int, []byte) {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", ctype)
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// TestCampaign: a CRM creates a campaign, registers a webhook, uploads 400 recipients as a
// German spreadsheet CSV with some bad rows (each reported with row, field and reason), activates
// it; simulated plotters write every good card, and the CRM receives one signed card.written event
// per card, each retried once and de-duplicated.
// TestCampaign writes a campaign of 400 cards: large enough that four robots share two lanes
// for a while and the webhooks retry under load, small enough to settle fast on a busy machine.
func TestCampaign(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 400 cards")
	}
	h := start(t, app.Config{SimPlotters: 4, Webhooks: webhook.Options{BackoffBase: 50 * time.Millisecond, Poll: 50 * time.Millisecond, AllowPrivate: true}})
	h.run()
	rc := &crm{t: t, events: map[string]int{}, cards: map[string]bool{}}
	hookSrv := httptest.NewServer(rc)
	defer hookSrv.Close()

	// Half the recipients go through a live key, half through a test key: the simulated plotters
	// serve both lanes (a6-white and test-a6-white) in turn. Each key registers its endpoint:
	// test cards are announced to test endpoints only.
	acc, err := h.sys.Store.AccountByName(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	testKey, _, err := h.sys.Store.CreateKey(context.Background(), acc.ID, store.KeyTest)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{h.key, testKey} {
		code, body := h.call(key, "POST", "/v1/webhooks", "application/json", "", []byte(`{"url":"`+hookSrv.URL+`","event_types":["card.written"]}`))
		var hook struct{ ID, Secret string }
		if code != 201 || json.Unmarshal(body, &hook) != nil || hook.Secret == "" {
			t.Fatalf("webhook: %d %s", code, body)
		}
		rc.mu.Lock()
		rc.secret = append(rc.secret, hook.Secret)
		rc.mu.Unlock()
	}
	const good = 400
	var ids []string
	for part, key := range []string{h.key, testKey} {
		ids = append(ids, h.uploadCampaign(key, part, good/2)...)
	}
	startWrite := time.Now()
	cards := h.waitAll(ids, patience)
	t.Logf("%d cards written by 4 simulated plotters in %v", good, time.Since(startWrite))
	if spoiled := h.checkWrittenOnce(cards); spoiled != 0 {
		t.Errorf("%d cards spoiled", spoiled)
	}
	deadline := time.Now().Add(patience)
	for {
		rc.mu.Lock()
		delivered, retried := len(rc.cards), 0
		for _, n := range rc.events {
			if n > 1 {
				retried++
			}
		}
		rc.mu.Unlock()
		if delivered == good && retried == good {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhooks: %d of %d cards announced, %d retried and de-duplicated", delivered, good, retried)
		}
		time.Sleep(100 * time.Millisecond)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.bad != 0 {
		t.Errorf("%d deliveries with bad signatures", rc.bad)
	}
	for _, id := range ids {
		if !rc.cards[id] {
			t.Errorf("no card.written event for %s", id)
			break
		}
	}
}

// uploadCampaign creates a campaign, uploads n good recipients with a bad row every 100 (each
// reported with its line, column and reason), activates it and returns the card ids.
func (h *harness) uploadCampaign(key string, part, n int) []string {
	t := h.t
	code, body := h.call(key, "POST", "/v1/campaigns", "application/json", "", []byte(`{"name":"Herbst","template":"Hallo {{vorname|Freund}},\ndanke!","hand":"hurried","font":"allure"}`))
	var camp struct{ ID string }
	if code != 201 || json.Unmarshal(body, &camp) != nil {
		t.Fatalf("campaign: %d %s", code, body)
	}
	var csv strings.Builder
	csv.WriteString("\ufeffname;line1;postal_code;city;country;vorname\n")
	bad := map[int]string{} // line → column
	line := 1
	for i := 0; i < n; i++ {
		if i%100 == 50 { // alternately a bad postal code and a glyph the font lacks
			line++
			if len(bad)%2 == 0 {
				fmt.Fprintf(&csv, "Kunde X%d;Weg 1;123;Berlin;DE;X\n", i)
				bad[line] = "postal_code"
			} else {
				fmt.Fprintf(&csv, "Kunde Y%d;Weg 1;10115;Berlin;DE;Y ✈\n", i)
				bad[line] = "vorname"
			}
		}
		line++
		fmt.Fprintf(&csv, "Kundin %d-%d;Hauptstraße %d;10115;Berlin;DE;Anna %d\n", part, i, i+1, i)
	}
	start := time.Now()
	code, body = h.call(key, "POST", "/v1/campaigns/"+camp.ID+"/recipients", "text/csv; charset=utf-8", fmt.Sprintf("upload-%d", part), []byte(csv.String()))
	var batch struct {
		Accepted, Rejected int
		Cards              []struct{ ID string }
		Errors             []struct {
			Row           int
			Field, Reason string
		}
	}
	if code != 201 || json.Unmarshal(body, &batch) != nil {
		t.Fatalf("recipients: %d %.500s", code, body)
	}
	t.Logf("%d-row CSV accepted in %v", n+len(bad), time.Since(start))
	if batch.Accepted != n || batch.Rejected != len(bad) {
		t.Fatalf("accepted %d rejected %d, want %d and %d", batch.Accepted, batch.Rejected, n, len(bad))
	}
	for _, e := range batch.Errors {
		if bad[e.Row] != e.Field || e.Reason == "" {
			t.Errorf("row %d reported as %q (%s), want %q", e.Row, e.Field, e.Reason, bad[e.Row])
		}
	}
	code, body = h.call(key, "POST", "/v1/campaigns/"+camp.ID+"/activate", "application/json", "", nil)
	if code != 200 {
		t.Fatalf("activate: %d %s", code, body)
	}
	var ids []string
	for _, c := range batch.Cards {
		ids = append(ids, c.ID)
	}
	h.checkCampaign(key, camp.ID, n, ids)
	return ids
}

func (h *harness) checkCampaign(key, id string, n int, ids []string) {
	h.t.Cleanup(func() {
		if h.t.Failed() {
			return
		}
		code, body := h.call(key, "GET", "/v1/campaigns/"+id, "application/json", "", nil)
		var got struct{ Counts map[string]int }
		if code != 200 || json.Unmarshal(body, &got) != nil || got.Counts["written"] != n {
			h.t.Errorf("campaign counts: %d %s", code, body)
		}
	})
}
