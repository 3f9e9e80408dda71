package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/store"
)

func testTriggers(t *testing.T, s store.Store) {
	ts, ok := s.(store.TriggerStore)
	if !ok {
		t.Skip("the store keeps no triggers")
	}
	ctx := context.Background()
	a, b := NewAccount(t, s), NewAccount(t, s)
	if set, err := ts.GetTriggerSettings(ctx, a.ID); err != nil || set != store.DefaultTriggerSettings(a.ID) {
		t.Errorf("default settings = %+v, %v", set, err)
	}
	if err := ts.PutTriggerSettings(ctx, store.TriggerSettings{AccountID: a.ID, HoldForApproval: false, DailyCap: 3, MonthlyCap: 4}); err != nil {
		t.Fatal(err)
	}
	if set, _ := ts.GetTriggerSettings(ctx, a.ID); set.HoldForApproval || set.DailyCap != 3 || set.MonthlyCap != 4 {
		t.Errorf("settings after put: %+v", set)
	}
	tr, err := ts.CreateTrigger(ctx, store.Trigger{AccountID: a.ID, Name: "shop", Secret: "s3cret", DailyCap: 2})
	if err != nil || tr.State != store.RuleActive || !store.ValidID(store.PrefixTrigger, tr.ID) {
		t.Fatalf("CreateTrigger = %+v, %v", tr, err)
	}
	if _, err := ts.GetTrigger(ctx, b.ID, tr.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another account reads the trigger: %v", err)
	}
	day := time.Now().UTC().Truncate(24 * time.Hour)
	caps := store.TriggerCaps{TriggerDaily: tr.DailyCap, AccountDaily: 3, AccountMonthly: 4, DayStart: day, MonthStart: day.AddDate(0, 0, -day.Day()+1)}
	begin := func(eventID string) *store.TriggerEvent {
		t.Helper()
		e, err := ts.BeginTriggerEvent(ctx, store.TriggerEvent{TriggerID: tr.ID, AccountID: a.ID, EventID: eventID, Outcome: store.TriggerAdmitted}, caps)
		if err != nil {
			t.Fatalf("begin %s: %v", eventID, err)
		}
		return e
	}
	e1 := begin("order-1")
	if err := ts.FinishTriggerEvent(ctx, e1.ID, store.TriggerQueued, "", "crd_1"); err != nil {
		t.Fatal(err)
	}
	if err := ts.FinishTriggerEvent(ctx, e1.ID, store.TriggerHeld, "", "crd_1"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("finishing twice: %v", err)
	}
	dup, err := ts.BeginTriggerEvent(ctx, store.TriggerEvent{TriggerID: tr.ID, AccountID: a.ID, EventID: "order-1", Outcome: store.TriggerAdmitted}, caps)
	if !errors.Is(err, store.ErrDuplicate) || dup == nil || dup.ID != e1.ID || dup.CardID != "crd_1" {
		t.Errorf("same event again = %+v, %v; want the first with ErrDuplicate", dup, err)
	}
	// A refused event neither holds its id nor counts.
	ref, err := ts.BeginTriggerEvent(ctx, store.TriggerEvent{TriggerID: tr.ID, AccountID: a.ID, EventID: "order-2", Outcome: store.TriggerRefused,
		Reason: "postcode missing", Field: "shipping_address.zip"}, caps)
	if err != nil || ref.Outcome != store.TriggerRefused {
		t.Fatalf("refused: %+v %v", ref, err)
	}
	if e := begin("order-2"); e.Outcome != store.TriggerAdmitted {
		t.Errorf("order-2 after its refusal: %+v", e)
	}
	// The trigger's daily cap of 2 is reached now.
	if e := begin("order-3"); e.Outcome != store.TriggerCapped || !strings.Contains(e.Reason, "daily cap of 2") {
		t.Errorf("third of the day: %+v", e)
	}
	evs, next, err := ts.ListTriggerEvents(ctx, a.ID, tr.ID, store.OccasionFilter{Limit: 3})
	if err != nil || len(evs) != 3 || next == "" || evs[0].EventID != "order-3" {
		t.Fatalf("events page 1: %v %q %v", evs, next, err)
	}
	rest, next, err := ts.ListTriggerEvents(ctx, a.ID, "", store.OccasionFilter{After: next})
	if err != nil || len(rest) != 1 || rest[0].ID != e1.ID || next != "" {
		t.Errorf("events page 2: %v %q %v", rest, next, err)
	}
	if evs, _, _ := ts.ListTriggerEvents(ctx, b.ID, tr.ID, store.OccasionFilter{}); len(evs) != 0 {
		t.Errorf("another account lists %d events", len(evs))
	}
	up, err := ts.UpdateTrigger(ctx, a.ID, tr.ID, func(t *store.Trigger) error { t.State = store.RulePaused; return nil })
	if err != nil || up.State != store.RulePaused || up.Secret != "s3cret" {
		t.Errorf("pause: %+v %v", up, err)
	}
}

// testTriggerAccountCapConcurrent calls several triggers of one account at once: the account's
// cap holds over all of them, not only per trigger (each trigger's own lock does not serialise
// calls of its siblings).
func testTriggerAccountCapConcurrent(t *testing.T, s store.Store) {
	ts, ok := s.(store.TriggerStore)
	if !ok {
		t.Skip("the store keeps no triggers")
	}
	ctx := context.Background()
	a := NewAccount(t, s)
	const triggers, callsEach, accountCap = 6, 8, 7
	var ids []string
	for i := range triggers {
		tr, err := ts.CreateTrigger(ctx, store.Trigger{AccountID: a.ID, Name: fmt.Sprintf("shop %d", i), Secret: "s3cret-s3cret-s3cret"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tr.ID)
	}
	day := time.Now().UTC().Truncate(24 * time.Hour)
	caps := store.TriggerCaps{AccountDaily: accountCap, DayStart: day, MonthStart: day.AddDate(0, 0, -day.Day()+1)}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		admitted int
		errs     []error
	)
	start := make(chan struct{})
	for i, id := range ids {
		for j := range callsEach {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				e, err := ts.BeginTriggerEvent(ctx, store.TriggerEvent{TriggerID: id, AccountID: a.ID, EventID: fmt.Sprintf("order-%d-%d", i, j),
					Outcome: store.TriggerAdmitted}, caps)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				if e.Outcome == store.TriggerAdmitted {
					admitted++
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d calls failed, first: %v", len(errs), errs[0])
	}
	if admitted != accountCap {
		t.Errorf("%d calls of %d triggers at once admitted %d cards; the account's daily cap is %d", triggers*callsEach, triggers, admitted, accountCap)
	}
	var counted int
	for _, id := range ids {
		evs, _, err := ts.ListTriggerEvents(ctx, a.ID, id, store.OccasionFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Counted() {
				counted++
			}
		}
	}
	if counted != accountCap {
		t.Errorf("%d counted events stored; the account's daily cap is %d", counted, accountCap)
	}
}

// testTriggerEventDigest: an erasure keeps event ids that may hold personal values only as
// digests (those of an erased card's events with the card, others by name), and a sender's retry
// of such an event still finds it.
func testTriggerEventDigest(t *testing.T, s store.Store) {
	ts, ok := s.(store.TriggerStore)
	ops, ok2 := s.(store.CardOps)
	if !ok || !ok2 {
		t.Skip("the store keeps no triggers")
	}
	ctx := context.Background()
	a, b := NewAccount(t, s), NewAccount(t, s)
	tr, err := ts.CreateTrigger(ctx, store.Trigger{AccountID: a.ID, Name: "shop", Secret: "s3cret-s3cret-s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Now().UTC().Truncate(24 * time.Hour)
	caps := store.TriggerCaps{DayStart: day, MonthStart: day.AddDate(0, 0, -day.Day()+1)}
	const made, refusedID = "anna@example.org/7", "anna@example.org/8"
	ev, err := ts.BeginTriggerEvent(ctx, store.TriggerEvent{TriggerID: tr.ID, AccountID: a.ID, EventID: made, Outcome: store.TriggerAdmitted}, caps)
	if err != nil {
		t.Fatal(err)
	}
	c := mustCard(t, s, SampleCard(a.ID))
	if err := ts.FinishTriggerEvent(ctx, ev.ID, store.TriggerHeld, "", c.ID); err != nil {
		t.Fatal(err)
	}
	ref, err := ts.BeginTriggerEvent(ctx, store.TriggerEvent{TriggerID: tr.ID, AccountID: a.ID, EventID: refusedID, Outcome: store.TriggerRefused}, caps)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := ts.DigestTriggerEvents(ctx, b.ID, []string{ref.ID}); err != nil || n != 0 {
		t.Errorf("another account digests the event: %d, %v", n, err)
	}
	if n, err := ts.DigestTriggerEvents(ctx, a.ID, []string{ref.ID, "tev_unknown"}); err != nil || n != 1 {
		t.Errorf("DigestTriggerEvents = %d, %v; want 1", n, err)
	}
	if n, err := ts.DigestTriggerEvents(ctx, a.ID, []string{ref.ID}); err != nil || n != 0 {
		t.Errorf("digesting a digest again = %d, %v; want 0", n, err)
	}
	if _, err := ops.EraseCards(ctx, a.ID, []string{c.ID}, "test.erasure"); err != nil {
		t.Fatal(err)
	}
	evs, _, err := ts.ListTriggerEvents(ctx, a.ID, tr.ID, store.OccasionFilter{})
	if err != nil || len(evs) != 2 {
		t.Fatalf("events: %v %v", evs, err)
	}
	for _, e := range evs {
		if !strings.HasPrefix(e.EventID, "sha256:") || strings.Contains(e.EventID, "anna") {
			t.Errorf("event %s keeps the id %q after erasure", e.ID, e.EventID)
		}
	}
	if evs[1].EventID != store.TriggerEventDigest(tr.ID, made) || evs[0].EventID != store.TriggerEventDigest(tr.ID, refusedID) {
		t.Errorf("digests %q %q", evs[1].EventID, evs[0].EventID)
	}
	again, err := ts.BeginTriggerEvent(ctx, store.TriggerEvent{TriggerID: tr.ID, AccountID: a.ID, EventID: made, Outcome: store.TriggerAdmitted}, caps)
	if !errors.Is(err, store.ErrDuplicate) || again == nil || again.ID != ev.ID || again.CardID != c.ID {
		t.Errorf("the erased event retried = %+v, %v; want the first event with ErrDuplicate", again, err)
	}
}
