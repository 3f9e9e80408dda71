package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/plan"
	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/serialstream"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/storetest"
	"github.com/quillpost/quillpost/internal/worker"
)

// previousEngineCard is a card accepted before an upgrade that changed the renderer: its proof
// (stroke hash) is one the current engine no longer draws for its message, face, hand and seed.
// The strokes of another seed stand in for the old engine's strokes.
func previousEngineCard(t *testing.T, accountID string) store.NewCard {
	t.Helper()
	nc := shortCard(accountID)
	old := cardspec.FromCard(&store.Card{Message: nc.Message, Font: nc.Font, Hand: nc.Hand, Stock: nc.Stock, Align: nc.Align, Seed: nc.Seed + 1})
	hc, err := cardspec.Render(old)
	if err != nil {
		t.Fatal(err)
	}
	nc.StrokeHash = hc.Hash()
	return nc
}

// TestProofChangedAfterUpgrade: a card accepted under the previous renderer reaches a robot
// after the upgrade. The robot must not write it (the customer never saw these strokes), and no
// blank may be asked for or touched: the worker waits for no operator (AutoFeed is off, and
// nobody loads a card) and the plotter draws nothing.
func TestProofChangedAfterUpgrade(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	srv, err := queue.StartEmbedded(t.TempDir(), "", testLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	q, err := srv.Queue(ctx, queue.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	a := storetest.NewAccount(t, st)
	card, err := st.CreateCard(ctx, previousEngineCard(t, a.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.NewRelay(st).Flush(ctx); err != nil {
		t.Fatal(err)
	}
	sim, p := simPlotter(t, 50)
	w, err := worker.New(worker.Config{
		Name: "robot-1", Profile: p, Lanes: []string{"a6-white"}, Order: plan.OrderOptimal,
		Store: st, Queue: q, MaxAttempts: 3,
		OpenPort: func(context.Context) (serialstream.Port, error) { return serialstream.Open(sim.Path(), p.Baud) },
		Logger:   testLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	defer func() { stop(); <-done }()

	var waited bool
	var got *store.Card
	waitFor(t, "the card leaves the queue", 2*time.Minute, func() bool {
		if hb := w.Heartbeat(); hb.State == queue.StateWaiting && hb.CardID == card.ID {
			waited = true
		}
		got, err = st.GetCard(ctx, store.AnyAccount, card.ID)
		return err == nil && got.Status != store.StatusQueued && got.Status != store.StatusPlotting
	})
	if waited {
		t.Error("the robot asked the operator for a blank for a card it must not write")
	}
	if n := len(sim.Strokes()); n != 0 {
		t.Errorf("the plotter drew %d strokes", n)
	}
	evs, err := st.Events(ctx, store.AnyAccount, card.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	t.Logf("today: status %s, last event %s→%s cause %s: %s", got.Status, last.From, last.To, last.Cause, last.Detail)
	// Before render versions: the card fails like a broken one; an operator's retry fails the same
	// way, every time, and the customer is never asked to approve the new strokes.
	if got.Status != store.StatusFailed || last.Cause != worker.CauseUnplottable {
		t.Errorf("status %s cause %s", got.Status, last.Cause)
	}
}
