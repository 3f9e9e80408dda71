package intake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/webhook"
)

// written orders a card and records it written by a robot, as a worker would.
func (a *testAPI) written(key, idem string) string {
	a.t.Helper()
	_, card, _ := a.do("POST", "/v1/cards", key, idem, goodCard)
	id := card["id"].(string)
	ctx := context.Background()
	if _, err := store.Claim(ctx, a.store, store.Job{CardID: id, Attempt: 1}, false, store.JobOptions{Worker: "robot-1"}); err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.store.Transition(ctx, store.Change{CardID: id, From: store.StatusPlotting, To: store.StatusWritten, Attempt: 1, Cause: "worker.written", Worker: "robot-1"}); err != nil {
		a.t.Fatal(err)
	}
	return id
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestOperatorPosting(t *testing.T) {
	api := newTestAPI(t)
	shop := api.key("shop", store.KeyLive)
	op := api.key("ops", store.KeyOperator)
	ctx := context.Background()
	w1, w2, w3 := api.written(shop, "p-1"), api.written(shop, "p-2"), api.written(shop, "p-3")
	_, q, _ := api.do("POST", "/v1/cards", shop, "p-q", goodCard)
	queued := q["id"].(string)

	code, m, _ := api.do("POST", "/v1/operator/postings", shop, "", `{"card_ids":["`+w1+`"]}`)
	if code != 403 || errorOf(t, m)["code"] != "operator_only" {
		t.Errorf("a shop key posting: %d %v", code, m)
	}
	for body, want := range map[string]string{
		`{}`:                             "posting_empty",
		`{"card_ids":["x"],"sheet":"s"}`: "posting_ambiguous",
		`{"card_ids":"` + w1 + `"}`:      "",
		`{"cards":["` + w1 + `"]}`:       "",
		`{"card_ids":[` + strings.Repeat(`"x",`, 1000) + `"x"]}`: "posting_too_large",
	} {
		code, m, _ := api.do("POST", "/v1/operator/postings", op, "", body)
		e := errorOf(t, m)
		if code/100 != 4 || (want != "" && e["code"] != want) || e["message"] == "" {
			t.Errorf("body %.60s: %d %v, want code %q", body, code, e, want)
		}
	}

	// One unwritten card among written ones: nothing changes, and the error names it.
	code, m, _ = api.do("POST", "/v1/operator/postings", op, "", `{"card_ids":["`+w1+`","`+queued+`"]}`)
	if e := errorOf(t, m); code != 409 || e["code"] != "card_not_postable" || e["field"] != "card_ids[1]" ||
		!strings.Contains(e["message"].(string), queued) || !strings.Contains(e["message"].(string), "queued") {
		t.Errorf("posting a queued card: %d %v", code, m)
	}
	code, m, _ = api.do("POST", "/v1/operator/postings", op, "", `{"card_ids":["`+w1+`","crd_nope"]}`)
	if e := errorOf(t, m); code != 404 || e["code"] != "card_not_found" || e["field"] != "card_ids[1]" {
		t.Errorf("posting an unknown card: %d %v", code, m)
	}
	if c, _ := api.store.GetCard(ctx, store.AnyAccount, w1); c.Status != store.StatusWritten {
		t.Errorf("a refused posting changed card %s to %s", w1, c.Status)
	}

	// By card (a scanned label), twice: the second time it is already posted.
	code, m, _ = api.do("POST", "/v1/operator/postings", op, "", `{"card_ids":["`+w1+`"]}`)
	if code != 200 || !slices.Equal(strs(m["posted"]), []string{w1}) || len(m["already_posted"].([]any)) != 0 {
		t.Errorf("posting %s: %d %v", w1, code, m)
	}
	code, m, _ = api.do("POST", "/v1/operator/postings", op, "", `{"card_ids":["`+w1+`"]}`)
	if code != 200 || len(m["posted"].([]any)) != 0 || !slices.Equal(strs(m["already_posted"]), []string{w1}) {
		t.Errorf("posting %s again: %d %v", w1, code, m)
	}
	_, c, _ := api.do("GET", "/v1/cards/"+w1, shop, "", "")
	evs := c["events"].([]any)
	if last := evs[len(evs)-1].(map[string]any); c["status"] != "posted" || last["to"] != "posted" || last["cause"] != store.CauseOperatorPosted || last["detail"] != "operator ops" {
		t.Errorf("the customer sees %v, last event %v", c["status"], last)
	}

	// By sheet: every card on it, the one posted before listed as such.
	if err := api.store.AssignSheet(ctx, "robot-1", "robot-1-sheet", []string{w1, w2, w3}); err != nil {
		t.Fatal(err)
	}
	code, m, _ = api.do("GET", "/v1/operator/sheets", op, "", "")
	if data, _ := m["data"].([]any); code != 200 || len(data) != 1 || data[0].(map[string]any)["name"] != "robot-1-sheet" ||
		data[0].(map[string]any)["labels"] != float64(3) || data[0].(map[string]any)["posted"] != float64(1) {
		t.Errorf("operator sheets: %d %v", code, m)
	}
	if code, _, _ := api.do("GET", "/v1/operator/sheets", shop, "", ""); code != 403 {
		t.Errorf("a shop key listing sheets: %d", code)
	}
	if code, _, _ := api.do("GET", "/v1/operator/sheets?limit=0", op, "", ""); code != 400 {
		t.Errorf("limit 0: %d", code)
	}
	code, m, _ = api.do("POST", "/v1/operator/postings", op, "", `{"sheet":"robot-1-sheet"}`)
	if code != 200 || m["sheet"] != "robot-1-sheet" || !slices.Equal(strs(m["posted"]), []string{w2, w3}) || !slices.Equal(strs(m["already_posted"]), []string{w1}) {
		t.Errorf("posting the sheet: %d %v", code, m)
	}
	code, m, _ = api.do("POST", "/v1/operator/postings", op, "", `{"sheet":"no-such-sheet"}`)
	if e := errorOf(t, m); code != 404 || e["code"] != "sheet_not_found" || e["field"] != "sheet" {
		t.Errorf("posting an unknown sheet: %d %v", code, m)
	}
}

// TestPostedWebhook: marking a card posted sends the account's webhook a signed card.posted
// event whose body matches the published schema's envelope strictly.
func TestPostedWebhook(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := newTestAPI(t)
	shop := api.key("shop", store.KeyLive)
	op := api.key("ops", store.KeyOperator)
	id := api.written(shop, "h-1")

	var mu sync.Mutex
	var bodies [][]byte
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify("whsec_posted", r.Header.Get(webhook.HeaderTimestamp), r.Header.Get(webhook.HeaderSignature), body, 0, time.Now()); err != nil {
			t.Errorf("signature: %v", err)
		}
		mu.Lock()
		bodies = append(bodies, body)
		mu.Unlock()
		w.WriteHeader(204)
	}))
	defer recv.Close()
	acc, err := api.store.AccountByName(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.store.(store.WebhookStore).CreateWebhook(ctx, store.NewWebhook{AccountID: acc.ID, URL: recv.URL,
		EventTypes: []string{"card.posted"}, Secret: "whsec_posted"}); err != nil {
		t.Fatal(err)
	}
	if code, m, _ := api.do("POST", "/v1/operator/postings", op, "", `{"card_ids":["`+id+`"]}`); code != 200 {
		t.Fatalf("posting: %d %v", code, m)
	}
	// The events reach the dispatcher as the queue hands them over: every event of the card.
	events, err := api.store.Events(ctx, acc.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	d := webhook.New(api.store.(webhook.Stores), webhook.Options{Poll: 10 * time.Millisecond, AllowPrivate: true}, nil)
	for _, ev := range events {
		if err := d.HandleEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	go d.Run(ctx)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		mu.Lock()
		n := len(bodies)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no card.posted webhook after 2 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 {
		t.Fatalf("%d deliveries, want the one card.posted", len(bodies))
	}
	var env webhook.Envelope
	dec := json.NewDecoder(bytes.NewReader(bodies[0]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil || env.Type != "card.posted" {
		t.Fatalf("envelope %s: %v", bodies[0], err)
	}
	var data webhook.CardEvent
	dec = json.NewDecoder(bytes.NewReader(env.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&data); err != nil || data.To != "posted" || data.Card.ID != id || data.Card.Status != "posted" || data.Cause != store.CauseOperatorPosted {
		t.Errorf("card.posted data %s: %v", env.Data, err)
	}
	// The schema's example is this same shape.
	ex, err := os.ReadFile(filepath.Join("schemas", "examples", "card.posted.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exEnv map[string]any
	var got map[string]any
	json.Unmarshal(ex, &exEnv)
	json.Unmarshal(bodies[0], &got)
	for k := range exEnv {
		if _, ok := got[k]; !ok {
			t.Errorf("the delivered envelope lacks %q, which the example has", k)
		}
	}
}
