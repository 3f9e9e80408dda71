package reproof_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/hand"
	"github.com/quillpost/quillpost/internal/reproof"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/sqlite"
	"github.com/quillpost/quillpost/internal/store/storetest"
)

func builtIn(context.Context, *store.Card) cardspec.FaceFinder { return cardspec.BuiltIn }

// TestRunAfterUpgrade: of the cards waiting when the renderer changed, those it still draws
// keep their proof; the others — queued, held, failed — are held for the new proof's approval
// with a proof.changed event; cards already proofed by this renderer are not looked at. A second
// run finds nothing to do.
func TestRunAfterUpgrade(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.OpenDir(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := storetest.NewAccount(t, st)
	hashOf := func(nc store.NewCard) string {
		c, err := cardspec.Render(cardspec.Spec{Message: nc.Message, Font: nc.Font, Hand: nc.Hand, Stock: nc.Stock, Seed: nc.Seed})
		if err != nil {
			t.Fatal(err)
		}
		return c.Hash()
	}
	nc := storetest.SampleCard(a.ID)
	nc.StrokeHash, nc.RenderVersion = hashOf(nc), 0
	same, err := st.CreateCard(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	nc.RenderVersion = hand.RenderVersion
	current, _ := st.CreateCard(ctx, nc)
	old := nc
	old.Seed++
	nc.StrokeHash, nc.RenderVersion = hashOf(old), hand.RenderVersion-1 // what the old renderer drew
	queued, _ := st.CreateCard(ctx, nc)
	failed, _ := st.CreateCard(ctx, nc)
	if _, err := st.Transition(ctx, store.Change{CardID: failed.ID, From: store.StatusQueued, To: store.StatusFailed, Cause: "worker.unplottable"}); err != nil {
		t.Fatal(err)
	}
	nc.ApprovalRequired = true
	held, _ := st.CreateCard(ctx, nc)

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	res, err := reproof.Run(ctx, st, builtIn, log)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{queued.ID, failed.ID, held.ID}
	slices.Sort(want)
	if res.Checked != 4 || res.Unchanged != 1 || res.Held != 3 || !slices.Equal(res.HeldIDs, want) {
		t.Errorf("result %+v, want 4 checked, 1 unchanged, %v held", res, want)
	}
	if c, _ := st.GetCard(ctx, a.ID, same.ID); c.Status != store.StatusQueued || c.RenderVersion != hand.RenderVersion || c.ProofChanged {
		t.Errorf("unchanged proof: %+v", c)
	}
	if c, _ := st.GetCard(ctx, a.ID, current.ID); c.Status != store.StatusQueued || c.ProofChanged {
		t.Errorf("current proof: %+v", c)
	}
	for _, id := range want {
		c, _ := st.GetCard(ctx, a.ID, id)
		evs, _ := st.Events(ctx, a.ID, id)
		last := evs[len(evs)-1]
		if c.Status != store.StatusAccepted || !c.ProofChanged || !c.ApprovalRequired || last.To != store.StatusAccepted || last.Cause != store.CauseProofChanged {
			t.Errorf("card %s: %s proof_changed %v, last event %+v", id, c.Status, c.ProofChanged, last)
		}
	}
	if res, err := reproof.Run(ctx, st, builtIn, log); err != nil || res.Checked != 0 {
		t.Errorf("second run %+v %v", res, err)
	}
}

// BenchmarkRun re-proofs 100 cards an older renderer proofed (half still drawn the same, half
// held), as serve does at start after an upgrade; ns/op is per 100 cards.
func BenchmarkRun(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.OpenDir(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	a := storetest.NewAccount(b, st)
	nc := storetest.SampleCard(a.ID)
	hc, err := cardspec.Render(cardspec.Spec{Message: nc.Message, Font: nc.Font, Hand: nc.Hand, Stock: nc.Stock, Seed: nc.Seed})
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for b.Loop() {
		b.StopTimer()
		for i := range 100 {
			nc.StrokeHash = hc.Hash()
			if i%2 == 1 {
				nc.StrokeHash = "changed"
			}
			if _, err := st.CreateCard(ctx, nc); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if res, err := reproof.Run(ctx, st, builtIn, log); err != nil || res.Checked != 100 {
			b.Fatalf("%+v %v", res, err)
		}
	}
}
