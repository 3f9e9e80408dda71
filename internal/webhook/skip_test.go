package webhook_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/webhook"
)

// countingStore is the real SQLite store, counting the cards read.
type countingStore struct {
	*sqlitestore
	reads atomic.Int64
}

func (c *countingStore) GetCard(ctx context.Context, accountID, id string) (*store.Card, error) {
	c.reads.Add(1)
	return c.sqlitestore.GetCard(ctx, accountID, id)
}

// TestEventsWithoutEndpointReadNoCard checks that an event nobody subscribes to (no endpoint,
// an endpoint for other types, or one made after the event) reads no card and queues nothing,
// and that one subscribed endpoint still gets its delivery with the card.
func TestEventsWithoutEndpointReadNoCard(t *testing.T) {
	ctx := context.Background()
	st, acc := setup(t)
	cs := &countingStore{sqlitestore: st}
	d := webhook.New(cs, webhook.Options{}, nil)
	newEvents := func() []store.Event {
		t.Helper()
		c, err := st.CreateCard(ctx, store.NewCard{AccountID: acc.ID, Message: "Hallo", Font: "allure", Hand: "neat",
			Stock: "a6-white", Format: "a6", StrokeHash: "h", To: []byte(`{"name":"A"}`)})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := st.Events(ctx, acc.ID, c.ID)
		if err != nil || len(evs) == 0 {
			t.Fatalf("events %v (%v)", evs, err)
		}
		return evs
	}
	handle := func(evs []store.Event) {
		t.Helper()
		for _, ev := range evs {
			if err := d.HandleEvent(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	noHook := newEvents()
	handle(noHook)
	if n := cs.reads.Load(); n != 0 {
		t.Errorf("no endpoint: %d cards read, want 0", n)
	}
	other, err := st.CreateWebhook(ctx, store.NewWebhook{AccountID: acc.ID, URL: "https://crm.example.com/w", EventTypes: []string{"card.written"}, Secret: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	handle(noHook) // events from before any endpoint existed
	handle(newEvents())
	if n := cs.reads.Load(); n != 0 {
		t.Errorf("an endpoint for other events: %d cards read, want 0", n)
	}
	all, err := st.CreateWebhook(ctx, store.NewWebhook{AccountID: acc.ID, URL: "https://crm.example.com/all", EventTypes: []string{"*"}, Secret: "s2"})
	if err != nil {
		t.Fatal(err)
	}
	handle(noHook) // made before the endpoint: not sent to it
	if n := cs.reads.Load(); n != 0 {
		t.Errorf("events older than the endpoint: %d cards read, want 0", n)
	}
	evs := newEvents()
	handle(evs)
	if n := cs.reads.Load(); n != int64(len(evs)) {
		t.Errorf("subscribed: %d cards read, want %d", n, len(evs))
	}
	for _, h := range []*store.Webhook{other, all} {
		ds, _, err := st.ListDeliveries(ctx, acc.ID, h.ID, store.DeliveryFilter{})
		want := 0
		if h == all {
			want = len(evs)
		}
		if err != nil || len(ds) != want {
			t.Errorf("endpoint %s: %d deliveries (%v), want %d", h.URL, len(ds), err, want)
		}
		for _, dl := range ds {
			if dl.CardID != evs[0].CardID {
				t.Errorf("delivery of card %s, want %s", dl.CardID, evs[0].CardID)
			}
		}
	}
}
