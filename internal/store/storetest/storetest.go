// Package storetest is the one test suite every store.Store implementation passes (SQLite always,
// PostgreSQL when reachable), so the backends cannot drift apart.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/store"
)

// Opener returns a new, empty store for one test; it registers its own cleanup.
type Opener func(t *testing.T) store.Store

// Run runs the whole suite against stores made by open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"AccountsAndKeys", testAccountsAndKeys},
		{"CreateCard", testCreateCard},
		{"HeldCards", testHeldCards},
		{"AccountScope", testAccountScope},
		{"TransitionRules", testTransitionRules},
		{"ConcurrentClaim", testConcurrentClaim},
		{"JobHelpers", testJobHelpers},
		{"ListCards", testListCards},
		{"Campaigns", testCampaigns},
		{"Idempotency", testIdempotency},
		{"Outbox", testOutbox},
		{"CreateCardsAtomic", testCreateCardsAtomic},
		{"CreateCardsOnce", testCreateCardsOnce},
		{"CreateCardsBulkOrder", testCreateCardsBulkOrder},
		{"ConcurrentCreate", testConcurrentCreate},
		{"Leases", testLeases},
		{"OperatorRecovery", testOperatorRecovery},
		{"Labels", testLabels},
		{"Posting", testPosting},
		{"Faces", testFaces},
		{"Occasions", testOccasions},
		{"Triggers", testTriggers},
		{"TriggerAccountCapConcurrent", testTriggerAccountCapConcurrent},
		{"TriggerEventDigest", testTriggerEventDigest},
		{"ListCampaigns", testListCampaigns},
		{"Proofs", testProofs},
		{"CardLane", testCardLane},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// NewAccount creates an account with a unique name.
func NewAccount(t testing.TB, s store.Store) *store.Account {
	t.Helper()
	a, err := s.CreateAccount(context.Background(), "acct-"+store.NewID("t"))
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	return a
}

// SampleCard returns a valid NewCard for the account.
func SampleCard(accountID string) store.NewCard {
	return store.NewCard{
		AccountID: accountID, Message: "Dear Ada,\nthank you!", Font: "allure", Hand: "neat",
		Stock: "a6-white", Format: "a6", Seed: 0xfedcba9876543210, StrokeHash: strings.Repeat("ab", 32),
		To:       json.RawMessage(`{"name":"Ada Lovelace","lines":["12 St James's Square"],"postal_code":"SW1Y 4JH","city":"London","country":"GB"}`),
		From:     json.RawMessage(`{"name":"Quill Shop","lines":["1 Main St"],"postal_code":"10115","city":"Berlin","country":"DE"}`),
		Metadata: map[string]string{"crm_id": "42", "segment": "vip"},
	}
}

func mustCard(t *testing.T, s store.Store, nc store.NewCard) *store.Card {
	t.Helper()
	c, err := s.CreateCard(context.Background(), nc)
	if err != nil {
		t.Fatalf("CreateCard: %v", err)
	}
	return c
}

func mustTransition(t *testing.T, s store.Store, ch store.Change) *store.Card {
	t.Helper()
	c, err := s.Transition(context.Background(), ch)
	if err != nil {
		t.Fatalf("Transition %s→%s: %v", ch.From, ch.To, err)
	}
	return c
}

// history renders a card's events as "from>to@attempt cause" lines.
func history(t *testing.T, s store.Store, accountID, cardID string) []string {
	t.Helper()
	evs, err := s.Events(context.Background(), accountID, cardID)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	var out []string
	for i, e := range evs {
		if e.Seq != i+1 || e.CardID != cardID || !store.ValidID(store.PrefixEvent, e.ID) || e.CreatedAt.IsZero() {
			t.Errorf("event %d malformed: %+v", i, e)
		}
		out = append(out, fmt.Sprintf("%s>%s@%d %s", e.From, e.To, e.Attempt, e.Cause))
	}
	return out
}

// pendingFor returns the unpublished outbox messages about one card.
func pendingFor(t *testing.T, s store.Store, cardID string) (jobs []store.Job, events []store.Event) {
	t.Helper()
	msgs, err := s.PendingOutbox(context.Background(), 100000)
	if err != nil {
		t.Fatalf("PendingOutbox: %v", err)
	}
	for _, m := range msgs {
		switch m.Kind {
		case store.OutboxJob:
			var j store.Job
			if err := json.Unmarshal(m.Payload, &j); err != nil {
				t.Fatalf("job payload %s: %v", m.Payload, err)
			}
			if j.CardID != cardID {
				continue
			}
			if m.MsgID != j.MsgID() {
				t.Errorf("job msg id %q, want %q", m.MsgID, j.MsgID())
			}
			jobs = append(jobs, j)
		case store.OutboxEvent:
			var e store.Event
			if err := json.Unmarshal(m.Payload, &e); err != nil {
				t.Fatalf("event payload %s: %v", m.Payload, err)
			}
			if e.CardID != cardID {
				continue
			}
			if m.MsgID != e.ID || m.Key != e.AccountID+"."+e.CardID+"."+string(e.To) {
				t.Errorf("event outbox msg id %q key %q for %+v", m.MsgID, m.Key, e)
			}
			events = append(events, e)
		default:
			t.Errorf("unknown outbox kind %q", m.Kind)
		}
	}
	return jobs, events
}

func testAccountsAndKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := NewAccount(t, s)
	if !store.ValidID(store.PrefixAccount, a.ID) {
		t.Fatalf("account id %q", a.ID)
	}
	if _, err := s.CreateAccount(ctx, a.Name); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("duplicate account name: %v, want ErrDuplicate", err)
	}
	if _, err := s.CreateAccount(ctx, "  "); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("blank account name: %v, want ErrInvalid", err)
	}
	if got, err := s.AccountByName(ctx, a.Name); err != nil || got.ID != a.ID {
		t.Errorf("AccountByName = %+v, %v", got, err)
	}
	if got, err := s.GetAccount(ctx, a.ID); err != nil || got.Name != a.Name || !got.CreatedAt.Equal(a.CreatedAt) {
		t.Errorf("GetAccount = %+v, %v; want %+v", got, err, a)
	}
	if _, err := s.AccountByName(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
	prefixes := map[store.KeyKind]string{store.KeyLive: "qp_live_", store.KeyTest: "qp_test_", store.KeyOperator: "qp_op_"}
	secrets := map[store.KeyKind]string{}
	for kind, prefix := range prefixes {
		secret, key, err := s.CreateKey(ctx, a.ID, kind)
		if err != nil {
			t.Fatalf("CreateKey(%s): %v", kind, err)
		}
		if !strings.HasPrefix(secret, prefix) || len(secret) != len(prefix)+32 || !strings.HasPrefix(key.Hint, prefix) {
			t.Errorf("%s key %q hint %q", kind, secret, key.Hint)
		}
		secrets[kind] = secret
		p, err := s.Authenticate(ctx, secret)
		if err != nil {
			t.Fatalf("Authenticate(%s): %v", kind, err)
		}
		if p.Account.ID != a.ID || p.Account.Name != a.Name || p.Key.ID != key.ID || p.Key.Kind != kind {
			t.Errorf("Authenticate(%s) = %+v", kind, p)
		}
	}
	if _, _, err := s.CreateKey(ctx, a.ID, "root"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown kind: %v", err)
	}
	if _, _, err := s.CreateKey(ctx, "acc_00000000000000000000000000", store.KeyLive); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("key for unknown account: %v", err)
	}
	forged, _ := store.GenerateKey(store.KeyLive)
	for _, bad := range []string{"", "Bearer x", "qp_live_", secrets[store.KeyLive] + "x", forged, strings.ToUpper(secrets[store.KeyLive])} {
		if _, err := s.Authenticate(ctx, bad); !errors.Is(err, store.ErrUnauthorized) {
			t.Errorf("Authenticate(%q): %v, want ErrUnauthorized", bad, err)
		}
	}
	p, _ := s.Authenticate(ctx, secrets[store.KeyTest])
	other := NewAccount(t, s)
	if err := s.RevokeKey(ctx, other.ID, p.Key.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke another account's key: %v", err)
	}
	if err := s.RevokeKey(ctx, a.ID, p.Key.ID); err != nil {
		t.Fatalf("RevokeKey: %v", err)
	}
	if err := s.RevokeKey(ctx, a.ID, p.Key.ID); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	if _, err := s.Authenticate(ctx, secrets[store.KeyTest]); !errors.Is(err, store.ErrUnauthorized) {
		t.Errorf("revoked key: %v", err)
	}
	if _, err := s.Authenticate(ctx, secrets[store.KeyLive]); err != nil {
		t.Errorf("other keys still work: %v", err)
	}
}

func testCreateCard(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := NewAccount(t, s)
	nc := SampleCard(a.ID)
	nc.Note = "address sent as entered"
	c := mustCard(t, s, nc)
	if !store.ValidID(store.PrefixCard, c.ID) || c.Status != store.StatusQueued || c.Attempts != 1 || c.Lane() != "a6-white" {
		t.Fatalf("created %+v", c)
	}
	got, err := s.GetCard(ctx, a.ID, c.ID)
	if err != nil {
		t.Fatalf("GetCard: %v", err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("GetCard differs from CreateCard:\n got %+v\nwant %+v", got, c)
	}
	if got.Seed != nc.Seed || got.Message != nc.Message || got.Metadata["crm_id"] != "42" || got.SendDate != (time.Time{}) {
		t.Errorf("round trip lost data: %+v", got)
	}
	var to map[string]any
	if err := json.Unmarshal(got.To, &to); err != nil || to["city"] != "London" {
		t.Errorf("to address %s: %v", got.To, err)
	}
	want := []string{"received>accepted@0 intake", "accepted>queued@1 intake"}
	if h := history(t, s, a.ID, c.ID); !slices.Equal(h, want) {
		t.Errorf("history %q, want %q", h, want)
	}
	evs, _ := s.Events(ctx, a.ID, c.ID)
	if evs[0].Detail != nc.Note {
		t.Errorf("acceptance detail %q", evs[0].Detail)
	}
	jobs, events := pendingFor(t, s, c.ID)
	if !slices.Equal(jobs, []store.Job{{CardID: c.ID, Attempt: 1}}) || len(events) != 2 {
		t.Errorf("outbox jobs %+v, %d events", jobs, len(events))
	}

	// A test card goes to the test lane.
	nc = SampleCard(a.ID)
	nc.Test = true
	tc := mustCard(t, s, nc)
	msgs, _ := s.PendingOutbox(ctx, 1000)
	found := false
	for _, m := range msgs {
		if m.Kind == store.OutboxJob && strings.Contains(string(m.Payload), tc.ID) {
			found = m.Key == "test-a6-white"
		}
	}
	if !found || !tc.Test {
		t.Errorf("test card job not on the test lane")
	}

	// Invalid input is refused before anything is written.
	for name, mut := range map[string]func(*store.NewCard){
		"stock with dot":  func(n *store.NewCard) { n.Stock = "a6.white" },
		"test-lane stock": func(n *store.NewCard) { n.Stock = "test-a6" },
		"no font":         func(n *store.NewCard) { n.Font = "" },
		"bad address":     func(n *store.NewCard) { n.To = json.RawMessage(`{"name":`) },
		"bad account":     func(n *store.NewCard) { n.AccountID = "crd_x" },
	} {
		nc := SampleCard(a.ID)
		mut(&nc)
		if _, err := s.CreateCard(ctx, nc); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if _, err := s.CreateCard(ctx, SampleCard("acc_00000000000000000000000000")); err == nil {
		t.Errorf("card for unknown account accepted")
	}

	// The idempotency key makes a replayed create return the first card.
	nc = SampleCard(a.ID)
	nc.IdempotencyKey = "order-1001"
	first := mustCard(t, s, nc)
	again, err := s.CreateCard(ctx, nc)
	if !errors.Is(err, store.ErrDuplicate) || again == nil || again.ID != first.ID {
		t.Errorf("replayed create: %v, %v; want the first card and ErrDuplicate", again, err)
	}
	other := NewAccount(t, s)
	nc.AccountID = other.ID
	if c, err := s.CreateCard(ctx, nc); err != nil || c.ID == first.ID {
		t.Errorf("same key, other account: %v %v", c, err)
	}
}

func testHeldCards(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := NewAccount(t, s)
	nc := SampleCard(a.ID)
	nc.ApprovalRequired = true
	held := mustCard(t, s, nc)
	if held.Status != store.StatusAccepted || held.Attempts != 0 || !held.ApprovalRequired {
		t.Fatalf("held card %+v", held)
	}
	if jobs, _ := pendingFor(t, s, held.ID); len(jobs) != 0 {
		t.Errorf("held card has jobs %+v", jobs)
	}
	c := mustTransition(t, s, store.Change{CardID: held.ID, AccountID: a.ID, From: store.StatusAccepted,
		To: store.StatusQueued, Cause: "approved"})
	if c.Status != store.StatusQueued || c.Attempts != 1 {
		t.Errorf("approved %+v", c)
	}
	if jobs, _ := pendingFor(t, s, held.ID); !slices.Equal(jobs, []store.Job{{CardID: held.ID, Attempt: 1}}) {
		t.Errorf("approved card jobs %+v", jobs)
	}

	now := time.Now().UTC()
	sendDate := now.Add(48 * time.Hour)
	nc = SampleCard(a.ID)
	nc.SendDate = sendDate
	later := mustCard(t, s, nc)
	nc.SendDate = now.Add(-time.Hour)
	due := mustCard(t, s, nc)
	if later.Status != store.StatusAccepted || due.Status != store.StatusQueued {
		t.Errorf("send dates: later %s, past %s", later.Status, due.Status)
	}
	if got, _ := s.GetCard(ctx, a.ID, later.ID); !got.SendDate.Equal(sendDate.Truncate(time.Microsecond)) {
		t.Errorf("send date %v, want %v", got.SendDate, sendDate)
	}
	page, err := s.ListCards(ctx, a.ID, store.CardFilter{Statuses: []store.Status{store.StatusAccepted}, DueBy: now.Add(72 * time.Hour)})
	if err != nil || len(page.Cards) != 1 || page.Cards[0].ID != later.ID {
		t.Errorf("due cards: %+v, %v", page, err)
	}
	page, _ = s.ListCards(ctx, a.ID, store.CardFilter{Statuses: []store.Status{store.StatusAccepted}, DueBy: now})
	if len(page.Cards) != 0 {
		t.Errorf("nothing due yet, got %d", len(page.Cards))
	}
}

func testAccountScope(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := NewAccount(t, s), NewAccount(t, s)
	c := mustCard(t, s, SampleCard(a.ID))
	if _, err := s.GetCard(ctx, b.ID, c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other account GetCard: %v", err)
	}
	if _, err := s.Events(ctx, b.ID, c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other account Events: %v", err)
	}
	if _, err := s.Transition(ctx, store.Change{CardID: c.ID, AccountID: b.ID, To: store.StatusCancelled, Cause: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other account cancel: %v", err)
	}
	if page, _ := s.ListCards(ctx, b.ID, store.CardFilter{}); len(page.Cards) != 0 {
		t.Errorf("other account lists %d cards", len(page.Cards))
	}
	for _, id := range []string{"", "crd_", "cmp_" + c.ID[4:], c.ID + "0", "crd_zzzzzzzzzzzzzzzzzzzzzzzzzz"} {
		if _, err := s.GetCard(ctx, a.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetCard(%q): %v", id, err)
		}
	}
	if got, err := s.GetCard(ctx, store.AnyAccount, c.ID); err != nil || got.ID != c.ID {
		t.Errorf("AnyAccount GetCard: %v", err)
	}
	if page, _ := s.ListCards(ctx, store.AnyAccount, store.CardFilter{}); len(page.Cards) < 1 {
		t.Errorf("AnyAccount lists nothing")
	}
}

func testTransitionRules(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := NewAccount(t, s)
	c := mustCard(t, s, SampleCard(a.ID))

	_, err := s.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusQueued, To: store.StatusWritten, Cause: "x"})
	var te *store.TransitionError
	if !errors.Is(err, store.ErrInvalidTransition) || !errors.As(err, &te) || te.From != store.StatusQueued || te.To != store.StatusWritten {
		t.Errorf("queued→written: %v", err)
	}
	if _, err := s.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusAccepted, To: store.StatusQueued, Cause: "x"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale From: %v", err)
	}
	if _, err := s.Transition(ctx, store.Change{CardID: c.ID, To: store.StatusPlotting, Attempt: 2, Cause: "x"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale Attempt: %v", err)
	}
	for name, ch := range map[string]store.Change{
		"no cause":          {CardID: c.ID, To: store.StatusPlotting},
		"unknown status":    {CardID: c.ID, To: "lost", Cause: "x"},
		"then after queued": {CardID: c.ID, To: store.StatusQueued, Then: store.StatusPlotting, Cause: "x"},
	} {
		if _, err := s.Transition(ctx, ch); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	// Rejected attempts changed nothing.
	if h := history(t, s, a.ID, c.ID); len(h) != 2 {
		t.Fatalf("history after refused changes: %q", h)
	}

	c = mustTransition(t, s, store.Change{CardID: c.ID, From: store.StatusQueued, To: store.StatusPlotting, Attempt: 1, Cause: "worker.claim"})
	c = mustTransition(t, s, store.Change{CardID: c.ID, From: store.StatusPlotting, To: store.StatusSpoiled, Then: store.StatusQueued, Attempt: 1, Cause: "worker.fault", Detail: "alarm 1"})
	if c.Status != store.StatusQueued || c.Attempts != 2 {
		t.Fatalf("after spoil: %s attempt %d", c.Status, c.Attempts)
	}
	c = mustTransition(t, s, store.Change{CardID: c.ID, From: store.StatusQueued, To: store.StatusPlotting, Attempt: 2, Cause: "worker.claim"})
	c = mustTransition(t, s, store.Change{CardID: c.ID, From: store.StatusPlotting, To: store.StatusWritten, Attempt: 2, Cause: "worker.done"})
	c = mustTransition(t, s, store.Change{CardID: c.ID, AccountID: a.ID, To: store.StatusPosted, Cause: "operator.posted"})
	if !c.Status.Terminal() {
		t.Errorf("posted is terminal")
	}
	if _, err := s.Transition(ctx, store.Change{CardID: c.ID, To: store.StatusCancelled, Cause: "x"}); !errors.Is(err, store.ErrInvalidTransition) {
		t.Errorf("cancel posted: %v", err)
	}
	want := []string{
		"received>accepted@0 intake", "accepted>queued@1 intake",
		"queued>plotting@1 worker.claim", "plotting>spoiled@1 worker.fault", "spoiled>queued@2 worker.fault",
		"queued>plotting@2 worker.claim", "plotting>written@2 worker.done", "written>posted@2 operator.posted",
	}
	if h := history(t, s, a.ID, c.ID); !slices.Equal(h, want) {
		t.Errorf("history\n got %q\nwant %q", h, want)
	}
	jobs, events := pendingFor(t, s, c.ID)
	if !slices.Equal(jobs, []store.Job{{CardID: c.ID, Attempt: 1}, {CardID: c.ID, Attempt: 2}}) || len(events) != len(want) {
		t.Errorf("outbox: jobs %+v, %d events", jobs, len(events))
	}

	// Failed cards wait for an operator, who may retry.
	f := mustCard(t, s, SampleCard(a.ID))
	f = mustTransition(t, s, store.Change{CardID: f.ID, To: store.StatusFailed, Attempt: 1, Cause: store.CauseMaxDeliveries})
	f = mustTransition(t, s, store.Change{CardID: f.ID, From: store.StatusFailed, To: store.StatusQueued, Cause: "operator.retry"})
	if f.Status != store.StatusQueued || f.Attempts != 2 {
		t.Errorf("retried: %+v", f)
	}
}

func testConcurrentClaim(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := NewAccount(t, s)
	for round := range 5 {
		c := mustCard(t, s, SampleCard(a.ID))
		const workers = 2 + 2 // two contenders per brief, plus two more for pressure
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			wins     []int
			failures []error
		)
		start := make(chan struct{})
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := s.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusQueued, To: store.StatusPlotting,
					Attempt: 1, Cause: "worker.claim", Detail: fmt.Sprint("w", w)})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					wins = append(wins, w)
				} else if !errors.Is(err, store.ErrConflict) {
					failures = append(failures, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if len(wins) != 1 || len(failures) != 0 {
			t.Fatalf("round %d: winners %v, unexpected errors %v", round, wins, failures)
		}
		evs, _ := s.Events(ctx, a.ID, c.ID)
		n := 0
		for _, e := range evs {
			if e.To == store.StatusPlotting {
				n++
				if e.Detail != fmt.Sprint("w", wins[0]) {
					t.Errorf("plotting event by %q, winner w%d", e.Detail, wins[0])
				}
			}
		}
		if n != 1 {
			t.Errorf("round %d: %d plotting events", round, n)
		}
	}
}

func testJobHelpers(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := NewAccount(t, s)
	c := mustCard(t, s, SampleCard(a.ID))
	job := store.Job{CardID: c.ID, Attempt: 1}

	got, err := store.Claim(ctx, s, job, false, store.JobOptions{Worker: "plotter-1", MaxAttempts: 3, Lease: time.Hour})
	if err != nil || got.Status != store.StatusPlotting || got.LeaseHolder != "plotter-1" || time.Until(got.LeaseUntil) < 50*time.Minute {
		t.Fatalf("Claim: %+v, %v", got, err)
	}
	// A duplicate publish of the job, or a redelivery while the holder's lease holds (it was cut off
	// from NATS for a while), changes nothing.
	for _, redelivered := range []bool{false, true} {
		if _, err := store.Claim(ctx, s, job, redelivered, store.JobOptions{Worker: "plotter-2", MaxAttempts: 3}); !errors.Is(err, store.ErrStale) {
			t.Fatalf("duplicate: %v, want ErrStale", err)
		}
	}
	if got, _ := s.GetCard(ctx, a.ID, c.ID); got.Status != store.StatusPlotting || got.Attempts != 1 {
		t.Fatalf("duplicate changed the card: %s attempt %d", got.Status, got.Attempts)
	}
	// The holder died: its lease runs out. The job delivered again, even without the redelivery
	// flag (a crashed server loses it), spoils the card and queues a fresh attempt.
	if _, err := s.RenewLease(ctx, c.ID, 1, time.Microsecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if _, err := store.Claim(ctx, s, job, false, store.JobOptions{Worker: "plotter-2", MaxAttempts: 3}); !errors.Is(err, store.ErrStale) {
		t.Fatalf("reclaim: %v, want ErrStale", err)
	}
	got, _ = s.GetCard(ctx, a.ID, c.ID)
	if got.Status != store.StatusQueued || got.Attempts != 2 {
		t.Fatalf("after lost worker: %s attempt %d", got.Status, got.Attempts)
	}
	// The old worker wakes up: its attempt is fenced off.
	if _, err := s.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusPlotting, To: store.StatusWritten, Attempt: 1, Cause: "worker.done"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale worker finishing: %v", err)
	}
	if _, err := store.Claim(ctx, s, job, true, store.JobOptions{Worker: "plotter-2", MaxAttempts: 3}); !errors.Is(err, store.ErrStale) {
		t.Errorf("old job: %v", err)
	}
	job2 := store.Job{CardID: c.ID, Attempt: 2}
	if _, err := store.Claim(ctx, s, job2, false, store.JobOptions{Worker: "plotter-2", MaxAttempts: 3}); err != nil {
		t.Fatalf("claim attempt 2: %v", err)
	}
	got, err = store.Spoil(ctx, s, job2, store.JobOptions{MaxAttempts: 3}, "worker.fault", "pen jam")
	if err != nil || got.Status != store.StatusQueued || got.Attempts != 3 {
		t.Fatalf("spoil attempt 2: %+v %v", got, err)
	}
	job3 := store.Job{CardID: c.ID, Attempt: 3}
	if _, err := store.Claim(ctx, s, job3, false, store.JobOptions{Worker: "plotter-1", MaxAttempts: 3}); err != nil {
		t.Fatalf("claim attempt 3: %v", err)
	}
	got, err = store.Spoil(ctx, s, job3, store.JobOptions{MaxAttempts: 3}, "worker.fault", "pen jam")
	if err != nil || got.Status != store.StatusFailed || got.Attempts != 3 {
		t.Fatalf("spoil last attempt: %+v %v", got, err)
	}
	h := history(t, s, a.ID, c.ID)
	want := []string{
		"received>accepted@0 intake", "accepted>queued@1 intake",
		"queued>plotting@1 worker.claim", "plotting>spoiled@1 worker.lost", "spoiled>queued@2 worker.lost",
		"queued>plotting@2 worker.claim", "plotting>spoiled@2 worker.fault", "spoiled>queued@3 worker.fault",
		"queued>plotting@3 worker.claim", "plotting>spoiled@3 worker.fault", "spoiled>failed@3 worker.fault",
	}
	if !slices.Equal(h, want) {
		t.Errorf("history\n got %q\nwant %q", h, want)
	}

	// FailJob: the queue gave up on a job.
	q := mustCard(t, s, SampleCard(a.ID))
	if got, err := store.FailJob(ctx, s, store.Job{CardID: q.ID, Attempt: 1}, store.CauseMaxDeliveries, "5 deliveries"); err != nil || got.Status != store.StatusFailed {
		t.Errorf("FailJob queued: %+v %v", got, err)
	}
	p := mustCard(t, s, SampleCard(a.ID))
	if _, err := store.Claim(ctx, s, store.Job{CardID: p.ID, Attempt: 1}, false, store.JobOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := store.FailJob(ctx, s, store.Job{CardID: p.ID, Attempt: 1}, store.CauseMaxDeliveries, ""); err != nil || got.Status != store.StatusFailed {
		t.Errorf("FailJob plotting: %+v %v", got, err)
	}
	if h := history(t, s, a.ID, p.ID); h[len(h)-2] != "plotting>spoiled@1 queue.max_deliveries" {
		t.Errorf("FailJob plotting history %q", h)
	}
	if _, err := store.FailJob(ctx, s, store.Job{CardID: p.ID, Attempt: 1}, store.CauseMaxDeliveries, ""); !errors.Is(err, store.ErrStale) {
		t.Errorf("FailJob on failed card: %v", err)
	}
	if _, err := store.Claim(ctx, s, store.Job{CardID: "crd_00000000000000000000000000", Attempt: 1}, false, store.JobOptions{}); !errors.Is(err, store.ErrStale) {
		t.Errorf("claim unknown card: %v", err)
	}
	cancelled := mustCard(t, s, SampleCard(a.ID))
	mustTransition(t, s, store.Change{CardID: cancelled.ID, AccountID: a.ID, To: store.StatusCancelled, Cause: "customer"})
	if _, err := store.Claim(ctx, s, store.Job{CardID: cancelled.ID, Attempt: 1}, false, store.JobOptions{}); !errors.Is(err, store.ErrStale) {
		t.Errorf("claim cancelled card: %v", err)
	}
}

func testListCards(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := NewAccount(t, s)
	cmp, err := s.CreateCampaign(ctx, store.NewCampaign{AccountID: a.ID, Name: "thanks"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 25 {
		nc := SampleCard(a.ID)
		nc.Metadata = map[string]string{"crm_id": fmt.Sprint(i), "parity": fmt.Sprint(i % 2)}
		if i%5 == 0 {
			nc.CampaignID = cmp.ID
		}
		nc.Test = i%3 == 0
		c := mustCard(t, s, nc)
		ids = append(ids, c.ID)
		if i%4 == 0 {
			mustTransition(t, s, store.Change{CardID: c.ID, To: store.StatusCancelled, Cause: "customer"})
		}
	}
	// Pages of 10, newest first, no gaps or repeats.
	var seen []string
	f := store.CardFilter{Limit: 10}
	for pages := 0; ; pages++ {
		page, err := s.ListCards(ctx, a.ID, f)
		if err != nil {
			t.Fatalf("ListCards: %v", err)
		}
		for _, c := range page.Cards {
			seen = append(seen, c.ID)
		}
		if page.Next == "" {
			if pages != 2 {
				t.Errorf("%d pages, want 3", pages+1)
			}
			break
		}
		f.After = page.Next
	}
	rev := slices.Clone(ids)
	slices.Reverse(rev)
	if !slices.Equal(seen, rev) {
		t.Errorf("pagination order\n got %q\nwant %q", seen, rev)
	}
	count := func(f store.CardFilter) int {
		t.Helper()
		f.Limit = 1000
		page, err := s.ListCards(ctx, a.ID, f)
		if err != nil {
			t.Fatalf("ListCards(%+v): %v", f, err)
		}
		return len(page.Cards)
	}
	yes := true
	checks := []struct {
		name string
		f    store.CardFilter
		want int
	}{
		{"cancelled", store.CardFilter{Statuses: []store.Status{store.StatusCancelled}}, 7},
		{"queued or cancelled", store.CardFilter{Statuses: []store.Status{store.StatusQueued, store.StatusCancelled}}, 25},
		{"campaign", store.CardFilter{CampaignID: cmp.ID}, 5},
		{"metadata", store.CardFilter{Metadata: map[string]string{"crm_id": "7"}}, 1},
		{"two metadata keys", store.CardFilter{Metadata: map[string]string{"crm_id": "7", "parity": "0"}}, 0},
		{"metadata parity", store.CardFilter{Metadata: map[string]string{"parity": "1"}}, 12},
		{"missing metadata key", store.CardFilter{Metadata: map[string]string{"nope": "1"}}, 0},
		{"metadata quote in key", store.CardFilter{Metadata: map[string]string{`a"b`: "1"}}, 0},
		{"test", store.CardFilter{Test: &yes}, 9},
		{"campaign and cancelled", store.CardFilter{CampaignID: cmp.ID, Statuses: []store.Status{store.StatusCancelled}}, 2},
	}
	for _, c := range checks {
		if got := count(c.f); got != c.want {
			t.Errorf("%s: %d cards, want %d", c.name, got, c.want)
		}
	}
	if _, err := s.ListCards(ctx, a.ID, store.CardFilter{After: "cmp_x"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad cursor: %v", err)
	}
	if _, err := s.ListCards(ctx, a.ID, store.CardFilter{Statuses: []store.Status{"lost"}}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad status: %v", err)
	}
}

func testCampaigns(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := NewAccount(t, s), NewAccount(t, s)
	cmp, err := s.CreateCampaign(ctx, store.NewCampaign{AccountID: a.ID, Name: "Q3 thanks", Spec: json.RawMessage(`{"template":"Hi {{first_name}}"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if !store.ValidID(store.PrefixCampaign, cmp.ID) || cmp.State != "draft" {
		t.Errorf("campaign %+v", cmp)
	}
	if _, err := s.GetCampaign(ctx, b.ID, cmp.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other account GetCampaign: %v", err)
	}
	if _, err := s.CampaignCounts(ctx, b.ID, cmp.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other account counts: %v", err)
	}
	nc := SampleCard(b.ID)
	nc.CampaignID = cmp.ID
	if _, err := s.CreateCard(ctx, nc); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("card in another account's campaign: %v", err)
	}
	up, err := s.UpdateCampaign(ctx, a.ID, cmp.ID, func(c *store.Campaign) error {
		c.State = "active"
		c.ID = "cmp_hijack"
		return nil
	})
	if err != nil || up.State != "active" || up.ID != cmp.ID {
		t.Errorf("UpdateCampaign: %+v %v", up, err)
	}
	boom := errors.New("boom")
	if _, err := s.UpdateCampaign(ctx, a.ID, cmp.ID, func(c *store.Campaign) error { c.State = "x"; return boom }); !errors.Is(err, boom) {
		t.Errorf("aborted update: %v", err)
	}
	got, _ := s.GetCampaign(ctx, a.ID, cmp.ID)
	var spec map[string]string
	if got.State != "active" || json.Unmarshal(got.Spec, &spec) != nil || spec["template"] != "Hi {{first_name}}" {
		t.Errorf("campaign after updates %+v", got)
	}
	var cs []store.NewCard
	for range 4 {
		nc := SampleCard(a.ID)
		nc.CampaignID = cmp.ID
		cs = append(cs, nc)
	}
	cards, err := s.CreateCards(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	mustTransition(t, s, store.Change{CardID: cards[0].ID, To: store.StatusCancelled, Cause: "customer"})
	mustTransition(t, s, store.Change{CardID: cards[1].ID, To: store.StatusPlotting, Cause: "worker.claim"})
	mustCard(t, s, SampleCard(a.ID)) // not in the campaign
	counts, err := s.CampaignCounts(ctx, a.ID, cmp.ID)
	want := map[store.Status]int{store.StatusQueued: 2, store.StatusCancelled: 1, store.StatusPlotting: 1}
	if err != nil || !reflect.DeepEqual(counts, want) {
		t.Errorf("counts %v %v, want %v", counts, err, want)
	}
}

func testIdempotency(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := NewAccount(t, s), NewAccount(t, s)
	rec, fresh, err := s.BeginIdempotent(ctx, a.ID, "k1", "hash-1", time.Minute)
	if err != nil || !fresh || rec.Done() {
		t.Fatalf("first Begin: %+v %v %v", rec, fresh, err)
	}
	rec, fresh, err = s.BeginIdempotent(ctx, a.ID, "k1", "hash-1", time.Minute)
	if err != nil || fresh || rec.Done() || rec.RequestHash != "hash-1" {
		t.Errorf("in-flight Begin: %+v %v %v", rec, fresh, err)
	}
	if _, fresh, _ := s.BeginIdempotent(ctx, b.ID, "k1", "hash-x", time.Minute); !fresh {
		t.Errorf("keys are per account")
	}
	body := []byte(`{"id":"crd_1"}`)
	if err := s.FinishIdempotent(ctx, a.ID, "k1", 201, body); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishIdempotent(ctx, a.ID, "k1", 201, body); !errors.Is(err, store.ErrConflict) {
		t.Errorf("finishing twice: %v", err)
	}
	rec, fresh, err = s.BeginIdempotent(ctx, a.ID, "k1", "hash-2", time.Minute)
	if err != nil || fresh || !rec.Done() || rec.StatusCode != 201 || string(rec.Body) != string(body) || rec.RequestHash != "hash-1" {
		t.Errorf("replay: %+v %v %v", rec, fresh, err)
	}
	// Abandon frees a pending key; a finished key stays.
	if _, fresh, _ := s.BeginIdempotent(ctx, a.ID, "k2", "h", time.Minute); !fresh {
		t.Fatal("k2 not fresh")
	}
	if err := s.AbandonIdempotent(ctx, a.ID, "k2"); err != nil {
		t.Fatal(err)
	}
	if _, fresh, _ := s.BeginIdempotent(ctx, a.ID, "k2", "h", time.Minute); !fresh {
		t.Errorf("abandoned key not reusable")
	}
	_ = s.AbandonIdempotent(ctx, a.ID, "k1")
	if rec, _, _ := s.BeginIdempotent(ctx, a.ID, "k1", "hash-1", time.Minute); !rec.Done() {
		t.Errorf("abandon removed a finished record")
	}
	// A pending record whose request crashed is taken over after staleAfter, with the same body only.
	if _, fresh, _ := s.BeginIdempotent(ctx, a.ID, "k3", "h3", time.Minute); !fresh {
		t.Fatal("k3 not fresh")
	}
	time.Sleep(2 * time.Millisecond)
	if _, fresh, _ := s.BeginIdempotent(ctx, a.ID, "k3", "other", time.Millisecond); fresh {
		t.Errorf("stale record taken over by another body")
	}
	if _, fresh, _ := s.BeginIdempotent(ctx, a.ID, "k3", "h3", time.Millisecond); !fresh {
		t.Errorf("stale record not taken over")
	}
	if _, _, err := s.BeginIdempotent(ctx, a.ID, "", "h", time.Minute); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("empty key: %v", err)
	}
	n, err := s.PruneIdempotency(ctx, time.Now().Add(time.Hour))
	if err != nil || n != 4 {
		t.Errorf("prune: %d %v", n, err)
	}
}

func testOutbox(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := NewAccount(t, s)
	for range 3 {
		mustCard(t, s, SampleCard(a.ID))
	}
	msgs, err := s.PendingOutbox(ctx, 100)
	if err != nil || len(msgs) != 9 {
		t.Fatalf("pending: %d %v", len(msgs), err)
	}
	for i := 1; i < len(msgs); i++ {
		if msgs[i].ID <= msgs[i-1].ID {
			t.Errorf("outbox not in id order")
		}
	}
	if few, _ := s.PendingOutbox(ctx, 4); len(few) != 4 || few[0].ID != msgs[0].ID {
		t.Errorf("limit 4 gave %d", len(few))
	}
	if err := s.MarkPublished(ctx, msgs[0].ID, msgs[1].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkPublished(ctx, msgs[0].ID, 999999); err != nil {
		t.Errorf("marking again: %v", err)
	}
	rest, _ := s.PendingOutbox(ctx, 100)
	if len(rest) != 7 || rest[0].ID != msgs[2].ID {
		t.Errorf("after marking two: %d left", len(rest))
	}
	if n, err := s.PruneOutbox(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("prune old: %d %v", n, err)
	}
	if n, err := s.PruneOutbox(ctx, time.Now().Add(time.Hour)); err != nil || n != 2 {
		t.Errorf("prune published: %d %v", n, err)
	}
	if rest2, _ := s.PendingOutbox(ctx, 100); len(rest2) != 7 {
		t.Errorf("prune removed pending messages")
	}
	var ids []int64
	for _, m := range rest {
		ids = append(ids, m.ID)
	}
	if err := s.MarkPublished(ctx, ids...); err != nil {
		t.Fatal(err)
	}
	if left, _ := s.PendingOutbox(ctx, 100); len(left) != 0 {
		t.Errorf("%d left", len(left))
	}
}

func testCreateCardsAtomic(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := NewAccount(t, s)
	var cs []store.NewCard
	for i := range 200 {
		nc := SampleCard(a.ID)
		nc.IdempotencyKey = fmt.Sprint("row-", i)
		cs = append(cs, nc)
	}
	cards, err := s.CreateCards(ctx, cs)
	if err != nil || len(cards) != 200 {
		t.Fatalf("CreateCards: %d %v", len(cards), err)
	}
	// A duplicate key in the batch rolls back the whole batch.
	bad := []store.NewCard{SampleCard(a.ID), SampleCard(a.ID)}
	bad[0].IdempotencyKey, bad[1].IdempotencyKey = "fresh", "row-7"
	if _, err := s.CreateCards(ctx, bad); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("batch with duplicate: %v", err)
	}
	page, _ := s.ListCards(ctx, a.ID, store.CardFilter{Limit: 1000})
	if len(page.Cards) != 200 {
		t.Errorf("%d cards after failed batch, want 200", len(page.Cards))
	}
}

// testCreateCardsOnce: a retried batch returns the cards stored the first time and stores only
// the rest; a key used outside the campaign is refused.
func testCreateCardsOnce(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := NewAccount(t, s)
	camp, err := s.CreateCampaign(ctx, store.NewCampaign{AccountID: a.ID, Name: "once"})
	if err != nil {
		t.Fatal(err)
	}
	batch := func(from, to int) []store.NewCard {
		var cs []store.NewCard
		for i := from; i < to; i++ {
			nc := SampleCard(a.ID)
			nc.CampaignID, nc.IdempotencyKey = camp.ID, fmt.Sprint("up/", i)
			cs = append(cs, nc)
		}
		return cs
	}
	first, err := s.CreateCardsOnce(ctx, batch(0, 300))
	if err != nil || len(first) != 300 {
		t.Fatalf("first: %d %v", len(first), err)
	}
	again, err := s.CreateCardsOnce(ctx, batch(0, 600))
	if err != nil || len(again) != 600 {
		t.Fatalf("again: %d %v", len(again), err)
	}
	for i := range first {
		if again[i].ID != first[i].ID {
			t.Fatalf("row %d: %s the second time, %s the first", i, again[i].ID, first[i].ID)
		}
	}
	if again[300] == nil || again[300].IdempotencyKey != "up/300" {
		t.Fatalf("row 300: %+v", again[300])
	}
	counts, err := s.CampaignCounts(ctx, a.ID, camp.ID)
	if err != nil || counts[store.StatusQueued] != 600 {
		t.Errorf("counts %v %v, want 600 queued", counts, err)
	}
	other := SampleCard(a.ID)
	other.IdempotencyKey = "up/5"
	if _, err := s.CreateCardsOnce(ctx, []store.NewCard{other}); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("key of another campaign's card: %v", err)
	}
	if _, err := s.CreateCardsOnce(ctx, []store.NewCard{SampleCard(a.ID)}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("card without key: %v", err)
	}
}

// testCreateCardsBulkOrder: cards written together (several multi-row statements) keep their
// order, their events and one job each, in the outbox in card order.
func testCreateCardsBulkOrder(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := NewAccount(t, s)
	var cs []store.NewCard
	for i := range 700 {
		nc := SampleCard(a.ID)
		nc.Message = fmt.Sprint("card ", i)
		nc.ApprovalRequired = i%2 == 1
		cs = append(cs, nc)
	}
	cards, err := s.CreateCards(ctx, cs)
	if err != nil || len(cards) != 700 {
		t.Fatalf("CreateCards: %d %v", len(cards), err)
	}
	for i, c := range cards {
		got, err := s.GetCard(ctx, a.ID, c.ID)
		if err != nil || got.Message != fmt.Sprint("card ", i) {
			t.Fatalf("card %d: %+v %v", i, got, err)
		}
		evs, err := s.Events(ctx, a.ID, c.ID)
		want := 2
		if i%2 == 1 {
			want = 1
		}
		if err != nil || len(evs) != want {
			t.Fatalf("card %d: %d events %v, want %d", i, len(evs), err, want)
		}
	}
	msgs, err := s.PendingOutbox(ctx, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	next := 0 // index of the next queued card whose job is expected
	for _, m := range msgs {
		if m.Kind != store.OutboxJob {
			continue
		}
		var job store.Job
		if err := json.Unmarshal(m.Payload, &job); err != nil {
			t.Fatal(err)
		}
		if job.CardID != cards[next].ID {
			continue // another test's card in a shared database
		}
		next += 2
	}
	if next != 700 {
		t.Errorf("jobs in card order up to card %d of 700", next)
	}
}

// testConcurrentCreate: many handlers create cards at once (the store may commit them together);
// a request that must fail (a taken idempotency key, a foreign campaign) fails alone.
func testConcurrentCreate(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := NewAccount(t, s), NewAccount(t, s)
	foreign, err := s.CreateCampaign(ctx, store.NewCampaign{AccountID: b.ID, Name: "theirs"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 48
	type result struct {
		i    int
		card *store.Card
		err  error
	}
	results := make(chan result, n)
	start := make(chan struct{})
	for i := range n {
		go func() {
			nc := SampleCard(a.ID)
			switch {
			case i%8 == 0:
				nc.CampaignID = foreign.ID // must fail: another account's campaign
			case i%3 == 0:
				nc.IdempotencyKey = fmt.Sprint("shared-", i%2) // two keys, each wanted by several requests
			}
			<-start
			c, err := s.CreateCard(ctx, nc)
			results <- result{i, c, err}
		}()
	}
	close(start)
	byKey := map[string]map[string]bool{}
	created, dups, foreignFails := 0, 0, 0
	for range n {
		r := <-results
		switch {
		case r.i%8 == 0:
			if !errors.Is(r.err, store.ErrNotFound) {
				t.Errorf("card %d in a foreign campaign: %v", r.i, r.err)
			}
			foreignFails++
		case r.i%3 == 0:
			key := fmt.Sprint("shared-", r.i%2)
			if r.err != nil && !errors.Is(r.err, store.ErrDuplicate) {
				t.Errorf("card %d: %v", r.i, r.err)
				continue
			}
			if r.err != nil {
				dups++
			} else {
				created++
			}
			if byKey[key] == nil {
				byKey[key] = map[string]bool{}
			}
			byKey[key][r.card.ID] = true
		default:
			if r.err != nil {
				t.Errorf("card %d: %v", r.i, r.err)
				continue
			}
			created++
		}
	}
	for key, ids := range byKey {
		if len(ids) != 1 {
			t.Errorf("key %s made %d cards", key, len(ids))
		}
	}
	page, _ := s.ListCards(ctx, a.ID, store.CardFilter{Limit: 1000})
	if len(page.Cards) != created || created+dups+foreignFails != n {
		t.Errorf("%d cards stored, %d created, %d duplicates, %d foreign", len(page.Cards), created, dups, foreignFails)
	}
}
