package storetest

import (
	"context"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
)

func testListCampaigns(t *testing.T, s store.Store) {
	cl, ok := s.(store.CampaignLister)
	if !ok {
		t.Skip("the store cannot list campaigns")
	}
	ctx := context.Background()
	a, b := NewAccount(t, s), NewAccount(t, s)
	var ids []string
	for i, st := range []string{"draft", "active", "paused", "active"} {
		c, err := s.CreateCampaign(ctx, store.NewCampaign{AccountID: a.ID, Name: "c" + string(rune('0'+i)), State: st})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	page, next, err := cl.ListCampaigns(ctx, a.ID, store.CampaignFilter{Limit: 3})
	if err != nil || len(page) != 3 || next == "" || page[0].ID != ids[3] {
		t.Fatalf("page 1: %v %q %v", page, next, err)
	}
	rest, next, err := cl.ListCampaigns(ctx, a.ID, store.CampaignFilter{After: next})
	if err != nil || len(rest) != 1 || rest[0].ID != ids[0] || next != "" {
		t.Errorf("page 2: %v %q %v", rest, next, err)
	}
	active, _, _ := cl.ListCampaigns(ctx, a.ID, store.CampaignFilter{State: "active"})
	if len(active) != 2 || active[0].ID != ids[3] || active[1].ID != ids[1] {
		t.Errorf("active: %v", active)
	}
	if other, _, _ := cl.ListCampaigns(ctx, b.ID, store.CampaignFilter{}); len(other) != 0 {
		t.Errorf("another account lists %d campaigns", len(other))
	}
}
