package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/sqlite"
	"github.com/quillpost/quillpost/internal/webhook"
)

// receiver is a customer's endpoint: it verifies every signature, de-duplicates on the event id,
// and fails the first attempt of each event after recording it (as if its answer got lost).
type receiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	seen   map[string]int // attempts per event id
	unique []webhook.Envelope
	dupes  int
	ids    map[string]bool // per-attempt delivery ids
	fail   bool            // fail every request
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err := webhook.Verify(rc.secret, r.Header.Get(webhook.HeaderTimestamp), r.Header.Get(webhook.HeaderSignature), body, 0, time.Now()); err != nil {
		rc.t.Errorf("signature: %v", err)
		w.WriteHeader(400)
		return
	}
	if err := webhook.Verify("whsec_wrong", r.Header.Get(webhook.HeaderTimestamp), r.Header.Get(webhook.HeaderSignature), body, 0, time.Now()); err == nil {
		rc.t.Errorf("a wrong secret verifies")
	}
	did := r.Header.Get(webhook.HeaderDeliveryID)
	if rc.ids[did] {
		rc.t.Errorf("delivery id %s reused across attempts", did)
	}
	rc.ids[did] = true
	var env webhook.Envelope
	if err := json.Unmarshal(body, &env); err != nil || env.ID != r.Header.Get(webhook.HeaderEventID) {
		rc.t.Errorf("envelope %s / header %s: %v", env.ID, r.Header.Get(webhook.HeaderEventID), err)
	}
	if rc.fail {
		w.WriteHeader(503)
		return
	}
	rc.seen[env.ID]++
	if rc.seen[env.ID] == 1 {
		rc.unique = append(rc.unique, env)
		w.WriteHeader(500) // processed, but the answer is a failure: the sender retries
		return
	}
	rc.dupes++
	w.WriteHeader(204)
}

func setup(t *testing.T) (*sqlitestore, *store.Account) {
	st, err := sqlite.OpenDir(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	acc, err := st.CreateAccount(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	return st, acc
}

func TestDeliveryRetriesAndDeduplication(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, acc := setup(t)
	rc := &receiver{t: t, secret: "whsec_test", seen: map[string]int{}, ids: map[string]bool{}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	hook, err := st.CreateWebhook(ctx, store.NewWebhook{AccountID: acc.ID, URL: srv.URL, EventTypes: []string{"card.accepted", "card.queued"}, Secret: rc.secret})
	if err != nil {
		t.Fatal(err)
	}
	card, err := st.CreateCard(ctx, store.NewCard{AccountID: acc.ID, Message: "Hallo", Font: "allure", Hand: "neat", Stock: "a6-white",
		Format: "a6", StrokeHash: "h", To: json.RawMessage(`{"name":"A"}`), Metadata: map[string]string{"crm_id": "c-1"}})
	if err != nil {
		t.Fatal(err)
	}
	events, _ := st.Events(ctx, acc.ID, card.ID)
	d := webhook.New(st, webhook.Options{BackoffBase: 20 * time.Millisecond, Poll: 10 * time.Millisecond, AllowPrivate: true}, nil)
	for range 2 { // an at-least-once source hands every event twice
		for _, ev := range events {
			if err := d.HandleEvent(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	go d.Run(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, _, _ := st.ListDeliveries(ctx, acc.ID, hook.ID, store.DeliveryFilter{Status: store.DeliverySucceeded})
		done := len(ok)
		if done == len(events) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s, %d of %d events retried", done, len(events))
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.unique) != 2 || rc.unique[0].Type == rc.unique[1].Type {
		t.Errorf("unique events %+v", rc.unique)
	}
	var data webhook.CardEvent
	json.Unmarshal(rc.unique[0].Data, &data)
	if data.Card.ID != card.ID || data.Card.Metadata["crm_id"] != "c-1" || data.Card.Object != "card" {
		t.Errorf("event data %+v", data)
	}
	ds, _, err := st.ListDeliveries(context.Background(), acc.ID, hook.ID, store.DeliveryFilter{})
	if err != nil || len(ds) != 2 {
		t.Fatalf("deliveries %d (%v)", len(ds), err)
	}
	for _, dl := range ds {
		log, _ := st.DeliveryAttempts(context.Background(), acc.ID, dl.ID)
		if dl.Status != store.DeliverySucceeded || len(log) != 2 || log[0].StatusCode != 500 || log[1].StatusCode != 204 {
			t.Errorf("delivery %s: %s, log %+v", dl.ID, dl.Status, log)
		}
	}
}

func TestFailedDeliveryReplay(t *testing.T) {
	ctx := context.Background()
	st, acc := setup(t)
	rc := &receiver{t: t, secret: "whsec_r", seen: map[string]int{}, ids: map[string]bool{}, fail: true}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	hook, _ := st.CreateWebhook(ctx, store.NewWebhook{AccountID: acc.ID, URL: srv.URL, EventTypes: []string{"*"}, Secret: rc.secret})
	d := webhook.New(st, webhook.Options{MaxAttempts: 2, BackoffBase: time.Millisecond, AllowPrivate: true}, nil)
	ev := store.Event{ID: store.NewID(store.PrefixEvent), CardID: store.NewID(store.PrefixCard), AccountID: acc.ID,
		From: store.StatusPlotting, To: store.StatusWritten, Cause: "worker.written", CreatedAt: time.Now()}
	if err := d.HandleEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		time.Sleep(5 * time.Millisecond)
		if _, err := d.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ds, _, _ := st.ListDeliveries(ctx, acc.ID, hook.ID, store.DeliveryFilter{Status: store.DeliveryFailed})
	if len(ds) != 1 || ds[0].Attempts != 2 || !strings.Contains(ds[0].LastError, "503") {
		t.Fatalf("failed deliveries %+v", ds)
	}
	rc.mu.Lock()
	rc.fail = false
	rc.mu.Unlock()
	n, err := st.ReplayDeliveries(ctx, acc.ID, hook.ID, nil)
	if err != nil || n != 1 {
		t.Fatalf("replay %d %v", n, err)
	}
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	if len(rc.unique) != 1 || rc.unique[0].ID != ev.ID || rc.unique[0].Type != "card.written" {
		t.Errorf("replayed event %+v", rc.unique)
	}
	rc.mu.Unlock()
}

func TestBackoff(t *testing.T) {
	base, max := time.Second, time.Minute
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 10: time.Minute} {
		got := webhook.Backoff(n, base, max)
		if got > want || got < want-want/10 {
			t.Errorf("backoff %d = %v, want %v less up to 10%%", n, got, want)
		}
	}
}

func TestVerifyRejectsOldAndTampered(t *testing.T) {
	body := []byte(`{"id":"evt_1"}`)
	now := time.Now()
	sig := webhook.Sign("s", now.Unix(), body)
	if !strings.HasPrefix(sig, "sha256=") {
		t.Fatalf("signature %q", sig)
	}
	if err := webhook.Verify("s", itoa(now.Unix()), sig, body, 0, now); err != nil {
		t.Errorf("fresh: %v", err)
	}
	if err := webhook.Verify("s", itoa(now.Unix()), sig, []byte(`{"id":"evt_2"}`), 0, now); err == nil {
		t.Errorf("tampered body verifies")
	}
	if err := webhook.Verify("s", itoa(now.Unix()), sig, body, time.Minute, now.Add(10*time.Minute)); err == nil {
		t.Errorf("old timestamp verifies")
	}
	if err := webhook.Verify("s", itoa(now.Unix()), "sha256=00, "+sig, body, 0, now); err != nil {
		t.Errorf("rotated secrets list: %v", err)
	}
}
