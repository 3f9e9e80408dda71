package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
)

func testOccasions(t *testing.T, s store.Store) {
	os, ok := s.(store.OccasionStore)
	if !ok {
		t.Skip("the store keeps no occasions")
	}
	ctx := context.Background()
	a, b := NewAccount(t, s), NewAccount(t, s)
	to := json.RawMessage(`{"name":"Ada","lines":["Weg 1"],"postal_code":"10115","city":"Berlin","country":"DE"}`)
	put, err := os.PutOccasionRecipients(ctx, []store.OccasionRecipient{
		{AccountID: a.ID, Key: "crm-1", To: to, Dates: map[string]string{"birthday": "1980-05-17"}, Email: "ada@example.org"},
		{AccountID: a.ID, Key: "crm-2", To: to, Variables: map[string]string{"first_name": "Ben"}},
		{AccountID: a.ID, Key: "crm-1", Test: true, To: to},
	})
	if err != nil || len(put) != 3 || !store.ValidID(store.PrefixOccasionRecipient, put[0].ID) {
		t.Fatalf("PutOccasionRecipients = %v, %v", put, err)
	}
	// The same key again updates the recipient in place.
	again, err := os.PutOccasionRecipients(ctx, []store.OccasionRecipient{
		{AccountID: a.ID, Key: "crm-1", To: to, Dates: map[string]string{"birthday": "1980-05-18", "customer_since": "2020-01-02"}},
	})
	if err != nil || again[0].ID != put[0].ID {
		t.Fatalf("update by key: %v, %v (want id %s)", again, err, put[0].ID)
	}
	got, err := os.GetOccasionRecipient(ctx, a.ID, put[0].ID)
	if err != nil || got.Dates["birthday"] != "1980-05-18" || got.Dates["customer_since"] != "2020-01-02" || got.Email != "" || got.Key != "crm-1" {
		t.Fatalf("after update: %+v, %v", got, err)
	}
	if _, err := os.GetOccasionRecipient(ctx, b.ID, put[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another account reads the recipient: %v", err)
	}
	live := false
	page, next, err := os.ListOccasionRecipients(ctx, a.ID, store.OccasionFilter{Test: &live, Limit: 1})
	if err != nil || len(page) != 1 || next == "" {
		t.Fatalf("page 1: %v %q %v", page, next, err)
	}
	page2, next2, err := os.ListOccasionRecipients(ctx, a.ID, store.OccasionFilter{Test: &live, After: next, Limit: 1})
	if err != nil || len(page2) != 1 || next2 != "" || page2[0].ID == page[0].ID {
		t.Fatalf("page 2: %v %q %v", page2, next2, err)
	}
	if n, err := os.DeleteOccasionRecipients(ctx, b.ID, put[1].ID); n != 0 || err != nil {
		t.Errorf("another account deleted %d (%v)", n, err)
	}
	if n, err := os.DeleteOccasionRecipients(ctx, a.ID, put[1].ID); n != 1 || err != nil {
		t.Errorf("delete = %d, %v", n, err)
	}
	if _, err := os.GetOccasionRecipient(ctx, a.ID, put[1].ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted recipient still read: %v", err)
	}

	rule, err := os.CreateOccasionRule(ctx, store.OccasionRule{AccountID: a.ID, Name: "Birthdays", Occasion: "birthday", DaysBefore: 2,
		Spec: json.RawMessage(`{"template":"Happy birthday"}`)})
	if err != nil || rule.State != store.RuleActive || !store.ValidID(store.PrefixOccasionRule, rule.ID) {
		t.Fatalf("CreateOccasionRule = %+v, %v", rule, err)
	}
	if _, err := os.CreateOccasionRule(ctx, store.OccasionRule{AccountID: a.ID, Occasion: "x", State: "sleeping"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown state: %v", err)
	}
	paused, err := os.UpdateOccasionRule(ctx, a.ID, rule.ID, func(r *store.OccasionRule) error { r.State = store.RulePaused; return nil })
	if err != nil || paused.State != store.RulePaused {
		t.Fatalf("pause: %+v %v", paused, err)
	}
	if _, err := os.UpdateOccasionRule(ctx, b.ID, rule.ID, func(r *store.OccasionRule) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another account updates the rule: %v", err)
	}
	rules, _, err := os.ListOccasionRules(ctx, store.AnyAccount, store.OccasionFilter{State: store.RulePaused})
	found := false
	for _, r := range rules {
		found = found || r.ID == rule.ID
	}
	if err != nil || !found {
		t.Errorf("paused rule not listed by state: %v %v", rules, err)
	}

	send := store.OccasionSend{RuleID: rule.ID, RecipientID: put[0].ID, Year: 2027, CardID: "crd_x", WriteOn: "2027-05-13"}
	if err := os.RecordOccasionSend(ctx, send); err != nil {
		t.Fatal(err)
	}
	if err := os.RecordOccasionSend(ctx, send); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("second send of the same year: %v, want ErrDuplicate", err)
	}
	sends, err := os.OccasionSends(ctx, rule.ID, 2027)
	if err != nil || len(sends) != 1 || sends[put[0].ID].CardID != "crd_x" || sends[put[0].ID].WriteOn != "2027-05-13" {
		t.Errorf("OccasionSends = %v, %v", sends, err)
	}
	if other, _ := os.OccasionSends(ctx, rule.ID, 2028); len(other) != 0 {
		t.Errorf("sends of 2028: %v", other)
	}
}
