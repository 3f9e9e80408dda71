package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
)

// testPosting: only written cards are posted, posting twice changes nothing, the change is an
// event with its outbox message, and the sheet summaries count posted cards.
func testPosting(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := NewAccount(t, s)
	robot := "robot-" + store.NewID("t")
	var written []string
	for range 3 {
		c := mustCard(t, s, SampleCard(a.ID))
		if _, err := store.Claim(ctx, s, store.Job{CardID: c.ID, Attempt: 1}, false, store.JobOptions{Worker: robot}); err != nil {
			t.Fatal(err)
		}
		mustTransition(t, s, store.Change{CardID: c.ID, From: store.StatusPlotting, To: store.StatusWritten, Attempt: 1, Cause: "worker.written", Worker: robot})
		written = append(written, c.ID)
	}
	queued := mustCard(t, s, SampleCard(a.ID))

	_, changed, err := store.OperatorPost(ctx, s, queued.ID, "operator ab12")
	var te *store.TransitionError
	if !errors.As(err, &te) || te.From != store.StatusQueued || te.To != store.StatusPosted || changed {
		t.Errorf("posting a queued card: %v (changed %v), want a TransitionError", err, changed)
	}
	if _, _, err := store.OperatorPost(ctx, s, "crd_nonesuch", "operator ab12"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("posting an unknown card: %v", err)
	}

	c, changed, err := store.OperatorPost(ctx, s, written[0], "operator ab12")
	if err != nil || !changed || c.Status != store.StatusPosted {
		t.Fatalf("posting a written card: %+v changed %v: %v", c, changed, err)
	}
	c, changed, err = store.OperatorPost(ctx, s, written[0], "operator ab12")
	if err != nil || changed || c.Status != store.StatusPosted {
		t.Errorf("posting it again: %s changed %v: %v, want posted, unchanged, no error", c.Status, changed, err)
	}
	h := history(t, s, a.ID, written[0])
	if want := "written>posted@1 " + store.CauseOperatorPosted; h[len(h)-1] != want || slices.Contains(h[:len(h)-1], want) {
		t.Errorf("history %q: want one %q at the end", h, want)
	}
	ev, err := s.Events(ctx, a.ID, written[0])
	if err != nil || ev[len(ev)-1].Detail != "operator ab12" {
		t.Errorf("posted event %+v: %v", ev[len(ev)-1], err)
	}
	if _, events := pendingFor(t, s, written[0]); !slices.ContainsFunc(events, func(e store.Event) bool { return e.To == store.StatusPosted }) {
		t.Errorf("no posted event in the outbox: %+v", events)
	}

	// PostCards: all or nothing, each card once.
	_, _, err = store.PostCards(ctx, s, []string{written[1], queued.ID}, "operator ab12")
	var pe *store.PostingError
	if !errors.As(err, &pe) || pe.Index != 1 || pe.CardID != queued.ID || pe.Status != store.StatusQueued || !errors.Is(err, store.ErrInvalidTransition) {
		t.Errorf("PostCards with a queued card: %v", err)
	}
	if c, _ := s.GetCard(ctx, a.ID, written[1]); c.Status != store.StatusWritten {
		t.Errorf("a refused PostCards changed %s to %s", written[1], c.Status)
	}
	if _, _, err := store.PostCards(ctx, s, []string{"crd_nonesuch"}, "x"); !errors.Is(err, store.ErrNotFound) || !errors.As(err, &pe) || pe.Index != 0 {
		t.Errorf("PostCards with an unknown card: %v", err)
	}
	posted, already, err := store.PostCards(ctx, s, []string{written[0], written[1], written[1]}, "operator ab12")
	if err != nil || !slices.Equal(posted, []string{written[1]}) || !slices.Equal(already, []string{written[0]}) {
		t.Errorf("PostCards: posted %q already %q: %v", posted, already, err)
	}

	// Sheets: the open labels per robot, then named sheets newest first, with posted counts.
	if err := s.AssignSheet(ctx, robot, robot+"-a", written[:2]); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSheetPrinted(ctx, robot+"-a"); err != nil {
		t.Fatal(err)
	}
	sheets, err := s.Sheets(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var open, named *store.Sheet
	for i, sh := range sheets {
		if sh.Robot != robot {
			continue
		}
		switch sh.Name {
		case "":
			open = &sheets[i]
		case robot + "-a":
			named = &sheets[i]
		}
	}
	if open == nil || open.Labels != 1 || open.Posted != 0 || open.Printed || open.FirstAt.IsZero() {
		t.Errorf("open labels of %s: %+v", robot, open)
	}
	if named == nil || named.Labels != 2 || named.Posted != 2 || !named.Printed || named.TestCards != 0 || named.LastAt.Before(named.FirstAt) {
		t.Errorf("sheet %s-a: %+v", robot, named)
	}
}
