package metrics_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/metrics"
	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/store"
)

// TestEventBeforeRunIsCounted: serve attaches the counters' consumer before it takes the first
// order, and runs it in the background later. An order accepted in between (a busy machine
// starts the goroutine late) must still be counted; the consumer delivers only new events, so
// before Attach existed this order was never counted.
func TestEventBeforeRunIsCounted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, err := queue.StartEmbedded(t.TempDir(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Shutdown)
	q, err := e.Queue(ctx, queue.Options{Manage: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)

	m := metrics.New(metrics.Sources{})
	if err := m.Attach(ctx, q); err != nil {
		t.Fatal(err)
	}
	ev, _ := json.Marshal(store.Event{CardID: "crd_1", To: store.StatusAccepted, CreatedAt: time.Now()})
	if _, err := q.JetStream().Publish(ctx, q.Names().EventsSubject+".acc_1.crd_1.accepted", ev); err != nil {
		t.Fatal(err)
	}
	go func() { _ = m.Run(ctx, q, history{}) }()

	want := `quillpost_orders_accepted_total{lane="a6-white"} 1`
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(scrape(t, m), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the order accepted before the counters ran was never counted; want %s", want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
