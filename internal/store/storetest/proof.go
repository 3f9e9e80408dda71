package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
)

// testProofs: a renderer upgrade that changes a card's strokes holds the card for the new proof's
// approval, from whatever unwritten status it is in, and only approving the new proof (with its
// stroke hash and render version) sends it to a robot again.
func testProofs(t *testing.T, s store.Store) {
	ps, ok := s.(store.ProofStore)
	if !ok {
		t.Skip("store keeps no render versions")
	}
	ops := s.(store.CardOps)
	ctx := context.Background()
	a := NewAccount(t, s)
	oldHash, newHash := strings.Repeat("01", 32), strings.Repeat("02", 32)
	nc := SampleCard(a.ID)
	nc.StrokeHash, nc.RenderVersion = oldHash, 1
	queued := mustCard(t, s, nc)
	kept := mustCard(t, s, nc)
	nc.ApprovalRequired = true
	held := mustCard(t, s, nc)
	nc.ApprovalRequired, nc.RenderVersion = false, 2
	current := mustCard(t, s, nc)
	if queued.RenderVersion != 1 || current.RenderVersion != 2 || queued.ProofChanged {
		t.Fatalf("created %+v", queued)
	}
	if got, _ := s.GetCard(ctx, a.ID, current.ID); got.RenderVersion != 2 || got.StrokeHash != oldHash || got.ProofChanged {
		t.Errorf("read back %+v", got)
	}

	mine := func() []string {
		t.Helper()
		var ids []string
		for after := ""; ; {
			cs, err := ps.ProofsBefore(ctx, 2, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) == 0 {
				return ids
			}
			for _, c := range cs {
				if c.AccountID == a.ID {
					ids = append(ids, c.ID)
				}
			}
			after = cs[len(cs)-1].ID
		}
	}
	want := []string{queued.ID, kept.ID, held.ID}
	slices.Sort(want)
	if got := mine(); !slices.Equal(got, want) {
		t.Errorf("proofs before version 2: %v, want %v", got, want)
	}

	// The new renderer still draws kept's proof: only its version changes.
	if err := ps.ConfirmProof(ctx, kept.ID, newHash, 2); !errors.Is(err, store.ErrConflict) {
		t.Errorf("confirming another proof: %v", err)
	}
	if err := ps.ConfirmProof(ctx, kept.ID, oldHash, 2); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetCard(ctx, a.ID, kept.ID); got.RenderVersion != 2 || got.Status != store.StatusQueued || got.StrokeHash != oldHash {
		t.Errorf("confirmed %+v", got)
	}

	// A robot claims queued and finds, before asking for a blank, that its proof changed.
	mustTransition(t, s, store.Change{CardID: queued.ID, From: store.StatusQueued, To: store.StatusPlotting, Attempt: 1, Cause: "claim", Worker: "robot-1"})
	c := mustTransition(t, s, store.Change{CardID: queued.ID, From: store.StatusPlotting, To: store.StatusAccepted, Attempt: 1,
		Cause: store.CauseProofChanged, Detail: "render version 1 → 2", Worker: "robot-1"})
	if c.Status != store.StatusAccepted || !c.ApprovalRequired || !c.ProofChanged || c.Attempts != 1 || !c.LeaseUntil.IsZero() || c.LeaseHolder != "" {
		t.Errorf("held for its new proof: %+v", c)
	}
	if got, _ := s.GetCard(ctx, a.ID, queued.ID); !got.ProofChanged || !got.ApprovalRequired || got.Status != store.StatusAccepted {
		t.Errorf("read back %+v", got)
	}
	evs, err := s.Events(ctx, a.ID, queued.ID)
	if err != nil {
		t.Fatal(err)
	}
	if e := evs[len(evs)-1]; e.From != store.StatusPlotting || e.To != store.StatusAccepted || e.Cause != store.CauseProofChanged {
		t.Errorf("last event %+v", e)
	}
	// A held card whose proof changed is held for the new one.
	mustTransition(t, s, store.Change{CardID: held.ID, From: store.StatusAccepted, To: store.StatusAccepted, Cause: store.CauseProofChanged})
	if got := mine(); len(got) != 0 {
		t.Errorf("proofs before version 2 after re-proofing: %v", got)
	}
	// The operator's dashboard lists the held cards.
	page, err := s.ListCards(ctx, a.ID, store.CardFilter{ProofChanged: true})
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, c := range page.Cards {
		listed = append(listed, c.ID)
	}
	slices.Sort(listed)
	if want := slices.Sorted(slices.Values([]string{held.ID, queued.ID})); !slices.Equal(listed, want) {
		t.Errorf("cards held for a changed proof: %v, want %v", listed, want)
	}

	// The old proof cannot be approved, nor the new one by another account.
	if _, err := ops.ApproveCard(ctx, a.ID, queued.ID, "api.approve"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("approving the old proof: %v", err)
	}
	if _, err := ps.ReapproveCard(ctx, NewAccount(t, s).ID, queued.ID, newHash, 2, "api.approve"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another account approves: %v", err)
	}
	if _, err := ps.ReapproveCard(ctx, a.ID, current.ID, newHash, 2, "api.approve"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("approving a new proof of a card whose proof did not change: %v", err)
	}
	c, err = ps.ReapproveCard(ctx, a.ID, queued.ID, newHash, 2, "api.approve")
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != store.StatusQueued || c.Attempts != 2 || c.StrokeHash != newHash || c.RenderVersion != 2 || c.ProofChanged || c.ApprovalRequired {
		t.Errorf("new proof approved: %+v", c)
	}
	if jobs, _ := pendingFor(t, s, queued.ID); !slices.Contains(jobs, store.Job{CardID: queued.ID, Attempt: 2}) {
		t.Errorf("jobs after the new proof's approval %+v", jobs)
	}
	if _, err := ps.ReapproveCard(ctx, a.ID, queued.ID, newHash, 2, "api.approve"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("approving twice: %v", err)
	}
	// Releasing a campaign approves its held cards, but not an old proof nobody saw again.
	cmp, err := s.CreateCampaign(ctx, store.NewCampaign{AccountID: a.ID, Name: "after the upgrade"})
	if err != nil {
		t.Fatal(err)
	}
	nc.CampaignID, nc.ApprovalRequired, nc.RenderVersion = cmp.ID, true, 1
	plain, changed := mustCard(t, s, nc), mustCard(t, s, nc)
	mustTransition(t, s, store.Change{CardID: changed.ID, From: store.StatusAccepted, To: store.StatusAccepted, Cause: store.CauseProofChanged})
	if n, err := ops.ReleaseCampaign(ctx, a.ID, cmp.ID, "api.activate"); err != nil || n != 1 {
		t.Errorf("release: %d %v", n, err)
	}
	if got, _ := s.GetCard(ctx, a.ID, plain.ID); got.Status != store.StatusQueued {
		t.Errorf("released held card is %s", got.Status)
	}
	if got, _ := s.GetCard(ctx, a.ID, changed.ID); got.Status != store.StatusAccepted || !got.ProofChanged {
		t.Errorf("released a changed proof: %s proof_changed %v", got.Status, got.ProofChanged)
	}
	// A failed card (failed as unplottable before render versions) is held too.
	mustTransition(t, s, store.Change{CardID: kept.ID, From: store.StatusQueued, To: store.StatusFailed, Cause: "worker.unplottable"})
	if c := mustTransition(t, s, store.Change{CardID: kept.ID, From: store.StatusFailed, To: store.StatusAccepted, Cause: store.CauseProofChanged}); !c.ProofChanged {
		t.Errorf("failed card held: %+v", c)
	}
}
