package worker_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/hand"
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

// robotMeets runs one robot with an operator who never loads a blank (AutoFeed off) until the
// card leaves the queue, and reports the card, whether the robot asked for a blank, and how many
// strokes the plotter drew.
func robotMeets(t *testing.T, nc store.NewCard) (card *store.Card, evs []store.Event, askedForBlank bool, drawn int) {
	t.Helper()
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
	nc.AccountID = a.ID
	card, err = st.CreateCard(ctx, nc)
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

	id := card.ID
	waitFor(t, "the card leaves the queue", 2*time.Minute, func() bool {
		if hb := w.Heartbeat(); hb.State == queue.StateWaiting && hb.CardID == id {
			askedForBlank = true
		}
		card, err = st.GetCard(ctx, store.AnyAccount, id)
		return err == nil && card.Status != store.StatusQueued && card.Status != store.StatusPlotting
	})
	evs, err = st.Events(ctx, store.AnyAccount, id)
	if err != nil {
		t.Fatal(err)
	}
	return card, evs, askedForBlank, len(sim.Strokes())
}

// TestProofChangedAfterUpgrade: a card accepted under the previous renderer reaches a robot
// after the upgrade. Before render versions it failed like a broken card (worker.unplottable),
// an operator's retry failed the same way every time, and the customer was never asked. Now the
// robot, before asking for a blank, holds it for the new proof's approval: accepted, approval
// required, proof_changed, with a proof.changed event (and so a webhook). No blank is asked for
// (nobody loads one, AutoFeed is off) and the plotter draws nothing.
func TestProofChangedAfterUpgrade(t *testing.T) {
	nc := previousEngineCard(t, "")
	nc.RenderVersion = hand.RenderVersion - 1
	card, evs, asked, drawn := robotMeets(t, nc)
	if asked {
		t.Error("the robot asked the operator for a blank for a card it must not write")
	}
	if drawn != 0 {
		t.Errorf("the plotter drew %d strokes", drawn)
	}
	if card.Status != store.StatusAccepted || !card.ApprovalRequired || !card.ProofChanged || card.StrokeHash != nc.StrokeHash {
		t.Errorf("card %s approval_required %v proof_changed %v", card.Status, card.ApprovalRequired, card.ProofChanged)
	}
	last := evs[len(evs)-1]
	if last.From != store.StatusPlotting || last.To != store.StatusAccepted || last.Cause != store.CauseProofChanged ||
		!strings.Contains(last.Detail, "no blank used") {
		t.Errorf("last event %+v", last)
	}
	for _, e := range evs {
		if e.To == store.StatusSpoiled || e.To == store.StatusFailed {
			t.Errorf("event %+v: a changed proof is neither a spoiled blank nor a failure", e)
		}
	}
}

// TestProofFromNewerRenderer: during a rolling upgrade a robot still on the old renderer meets a
// card whose new proof was approved under the new one. Holding it again would ask the customer
// to approve the old strokes; the card fails for the operator instead, naming the robot to
// upgrade, and no blank is used.
func TestProofFromNewerRenderer(t *testing.T) {
	nc := previousEngineCard(t, "")
	nc.RenderVersion = hand.RenderVersion + 1
	card, evs, asked, drawn := robotMeets(t, nc)
	if asked || drawn != 0 {
		t.Errorf("asked for a blank %v, drew %d strokes", asked, drawn)
	}
	last := evs[len(evs)-1]
	if card.Status != store.StatusFailed || last.Cause != worker.CauseUnplottable || !strings.Contains(last.Detail, "upgrade quillpost on this robot") {
		t.Errorf("card %s, last event %+v", card.Status, last)
	}
}
