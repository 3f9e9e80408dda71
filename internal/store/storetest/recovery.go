package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/store"
)

// testLeases: a plotting card whose worker vanished is recovered by the reconciler, without any
// help from the queue; a lease renewed in time is never taken; several reconcilers at once recover
// each card once; and the fenced-off worker can neither renew nor record an outcome.
func testLeases(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := NewAccount(t, s)
	opts := store.JobOptions{Worker: "robot-a", MaxAttempts: 3, Lease: time.Hour}
	var dead, alive []*store.Card
	for i := range 6 {
		c := mustCard(t, s, SampleCard(a.ID))
		if _, err := store.Claim(ctx, s, store.Job{CardID: c.ID, Attempt: 1}, false, opts); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if _, err := s.RenewLease(ctx, c.ID, 1, time.Microsecond); err != nil {
				t.Fatal(err)
			}
			dead = append(dead, c)
		} else {
			alive = append(alive, c)
		}
	}
	time.Sleep(5 * time.Millisecond)
	now := time.Now()
	exp, err := s.ExpiredLeases(ctx, now, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range exp {
		if l.Holder != "robot-a" || l.Attempt != 1 || !l.Until.Before(now) {
			t.Errorf("expired lease %+v", l)
		}
		ids = append(ids, l.CardID)
	}
	for _, c := range dead {
		if !slices.Contains(ids, c.ID) {
			t.Errorf("card %s with a lapsed lease not listed", c.ID)
		}
	}
	for _, c := range alive {
		if slices.Contains(ids, c.ID) {
			t.Errorf("card %s with a live lease listed", c.ID)
		}
	}

	// Four reconcilers at once (four serve processes): every dead card recovered exactly once.
	var (
		mu        sync.Mutex
		recovered []string
		wg        sync.WaitGroup
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cs, err := store.ReconcileLeases(ctx, s, now, store.JobOptions{Worker: "reconciler", MaxAttempts: 3})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			for _, c := range cs {
				recovered = append(recovered, c.ID)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(recovered)
	var want []string
	for _, c := range dead {
		want = append(want, c.ID)
	}
	slices.Sort(want)
	if !slices.Equal(recovered, want) {
		t.Errorf("recovered %q, want each lapsed card once: %q", recovered, want)
	}
	for _, c := range dead {
		got, _ := s.GetCard(ctx, a.ID, c.ID)
		if got.Status != store.StatusQueued || got.Attempts != 2 || !got.LeaseUntil.IsZero() || got.LeaseHolder != "" {
			t.Errorf("recovered card: %s attempt %d lease %v %q", got.Status, got.Attempts, got.LeaseUntil, got.LeaseHolder)
		}
		h := history(t, s, a.ID, c.ID)
		if !slices.Equal(h[len(h)-2:], []string{"plotting>spoiled@1 lease.expired", "spoiled>queued@2 lease.expired"}) {
			t.Errorf("history %q", h)
		}
		jobs, _ := pendingFor(t, s, c.ID)
		if len(jobs) != 2 || jobs[1] != (store.Job{CardID: c.ID, Attempt: 2}) {
			t.Errorf("jobs %+v, want the fresh attempt queued", jobs)
		}
		// The old worker comes back: fenced off.
		if _, err := s.RenewLease(ctx, c.ID, 1, time.Minute); !errors.Is(err, store.ErrConflict) {
			t.Errorf("stale renew: %v", err)
		}
		if _, err := s.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusPlotting, To: store.StatusWritten, Attempt: 1, Cause: "worker.written"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("stale written: %v", err)
		}
	}
	for _, c := range alive {
		if got, _ := s.GetCard(ctx, a.ID, c.ID); got.Status != store.StatusPlotting {
			t.Errorf("live card %s is %s", c.ID, got.Status)
		}
	}

	// A lease renewed between listing and recovery is left alone (the compare-and-set).
	c := alive[0]
	if _, err := s.RenewLease(ctx, c.ID, 1, time.Microsecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	before := time.Now()
	until, err := s.RenewLease(ctx, c.ID, 1, time.Hour)
	if err != nil || until.Before(before.Add(50*time.Minute)) {
		t.Fatalf("renew: %v %v", until, err)
	}
	if _, err := s.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusPlotting, To: store.StatusSpoiled, Then: store.StatusQueued,
		Attempt: 1, Cause: store.CauseLeaseExpired, LeaseExpiredBy: before}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("recovering a renewed lease: %v, want ErrConflict", err)
	}
	// The last attempt's lapse fails the card for an operator.
	last := mustCard(t, s, SampleCard(a.ID))
	for attempt := 1; attempt <= 3; attempt++ {
		if _, err := store.Claim(ctx, s, store.Job{CardID: last.ID, Attempt: attempt}, false, store.JobOptions{Worker: "robot-b", Lease: time.Microsecond}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		if _, err := store.ReconcileLeases(ctx, s, time.Now(), store.JobOptions{MaxAttempts: 3}); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.GetCard(ctx, a.ID, last.ID); got.Status != store.StatusFailed {
		t.Errorf("after three lapsed leases the card is %s, want failed", got.Status)
	}
}

// testOperatorRecovery: an operator can retry or cancel a card in any status that is not final,
// including one stuck plotting or queued.
func testOperatorRecovery(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := NewAccount(t, s)
	plotting := func() *store.Card {
		c := mustCard(t, s, SampleCard(a.ID))
		if _, err := store.Claim(ctx, s, store.Job{CardID: c.ID, Attempt: 1}, false, store.JobOptions{Worker: "r"}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Retry a queued card (its job may be lost): a new attempt, a new job.
	q := mustCard(t, s, SampleCard(a.ID))
	got := mustTransition(t, s, store.Change{CardID: q.ID, From: store.StatusQueued, To: store.StatusQueued, Cause: "operator.retry"})
	if got.Attempts != 2 {
		t.Errorf("retry queued: attempt %d", got.Attempts)
	}
	if jobs, _ := pendingFor(t, s, q.ID); len(jobs) != 2 || jobs[1].Attempt != 2 {
		t.Errorf("retry queued jobs %+v", jobs)
	}
	// Retry a plotting card: its blank is spoiled, a fresh attempt queued.
	p := plotting()
	got = mustTransition(t, s, store.Change{CardID: p.ID, From: store.StatusPlotting, To: store.StatusSpoiled, Then: store.StatusQueued, Cause: "operator.retry"})
	if got.Status != store.StatusQueued || got.Attempts != 2 {
		t.Errorf("retry plotting: %s %d", got.Status, got.Attempts)
	}
	// Cancel a plotting card.
	p2 := plotting()
	got = mustTransition(t, s, store.Change{CardID: p2.ID, From: store.StatusPlotting, To: store.StatusSpoiled, Then: store.StatusCancelled, Cause: "operator.cancel"})
	if got.Status != store.StatusCancelled {
		t.Errorf("cancel plotting: %s", got.Status)
	}

	// The helpers the API and the dashboard use, from every status.
	for _, tc := range []struct {
		name  string
		setup func() *store.Card
		retry store.Status // "" : refused
		trail string       // the last events of a retry
	}{
		{"queued", func() *store.Card { return mustCard(t, s, SampleCard(a.ID)) }, store.StatusQueued, "queued>queued@2 operator.retry"},
		{"plotting", plotting, store.StatusQueued, "spoiled>queued@2 operator.retry"},
		{"failed", func() *store.Card {
			c := mustCard(t, s, SampleCard(a.ID))
			return mustTransition(t, s, store.Change{CardID: c.ID, To: store.StatusFailed, Cause: "test"})
		}, store.StatusQueued, "failed>queued@2 operator.retry"},
		{"written", func() *store.Card {
			c := plotting()
			return mustTransition(t, s, store.Change{CardID: c.ID, To: store.StatusWritten, Cause: "test"})
		}, "", ""},
		{"held", func() *store.Card {
			nc := SampleCard(a.ID)
			nc.ApprovalRequired = true
			return mustCard(t, s, nc)
		}, "", ""},
	} {
		c := tc.setup()
		got, err := store.OperatorRetry(ctx, s, c.ID, "ops")
		if tc.retry == "" {
			if !errors.Is(err, store.ErrInvalidTransition) {
				t.Errorf("retry %s: %v, want refused", tc.name, err)
			}
		} else if err != nil || got.Status != tc.retry {
			t.Errorf("retry %s: %+v %v", tc.name, got, err)
		} else if h := history(t, s, a.ID, c.ID); h[len(h)-1] != tc.trail {
			t.Errorf("retry %s history %q", tc.name, h)
		}
		got, err = store.OperatorCancel(ctx, s, c.ID, "ops")
		if tc.name == "written" {
			if !errors.Is(err, store.ErrInvalidTransition) {
				t.Errorf("cancel written: %v", err)
			}
			continue
		}
		if err != nil || got.Status != store.StatusCancelled {
			t.Errorf("cancel %s: %+v %v", tc.name, got, err)
		}
	}
	pc := plotting()
	if _, err := store.OperatorCancel(ctx, s, pc.ID, "ops"); err != nil {
		t.Fatal(err)
	}
	if h := history(t, s, a.ID, pc.ID); !slices.Equal(h[len(h)-2:], []string{"plotting>spoiled@1 operator.cancel", "spoiled>cancelled@1 operator.cancel"}) {
		t.Errorf("cancel plotting history %q", h)
	}
	// Its worker is fenced off.
	if _, err := s.RenewLease(ctx, pc.ID, 1, time.Minute); !errors.Is(err, store.ErrConflict) {
		t.Errorf("renewing a cancelled card's lease: %v", err)
	}
}

// testLabels: recording a card written records its label in the same step; sheets are named,
// then printed, and rebuilt in writing order.
func testLabels(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := NewAccount(t, s)
	robot := "robot-" + store.NewID("t")
	var written []string
	for i := range 5 {
		c := mustCard(t, s, SampleCard(a.ID))
		if _, err := store.Claim(ctx, s, store.Job{CardID: c.ID, Attempt: 1}, false, store.JobOptions{Worker: robot}); err != nil {
			t.Fatal(err)
		}
		if i == 4 {
			// Spoiled cards have no label.
			if _, err := store.Spoil(ctx, s, store.Job{CardID: c.ID, Attempt: 1}, store.JobOptions{Worker: robot}, "worker.fault", "jam"); err != nil {
				t.Fatal(err)
			}
			continue
		}
		mustTransition(t, s, store.Change{CardID: c.ID, From: store.StatusPlotting, To: store.StatusWritten, Attempt: 1, Cause: "worker.written", Worker: robot})
		written = append(written, c.ID)
	}
	open, err := s.OpenLabels(ctx, robot, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, l := range open {
		ids = append(ids, l.CardID)
		if l.Robot != robot || l.Attempt != 1 || l.Sheet != "" || l.Printed || len(l.To) == 0 || (i > 0 && l.Seq <= open[i-1].Seq) {
			t.Errorf("label %+v", l)
		}
	}
	if !slices.Equal(ids, written) {
		t.Fatalf("open labels %q, want the written cards in writing order %q", ids, written)
	}
	sheet := robot + "-sheet-1"
	if err := s.AssignSheet(ctx, robot, sheet, written[:2]); err != nil {
		t.Fatal(err)
	}
	if err := s.AssignSheet(ctx, robot, sheet+"x", written[1:3]); !errors.Is(err, store.ErrConflict) {
		t.Errorf("assigning a label twice: %v", err)
	}
	if open, _ := s.OpenLabels(ctx, robot, 100); len(open) != 2 || open[0].CardID != written[2] {
		t.Errorf("open after assign: %+v", open)
	}
	if names, _ := s.UnprintedSheets(ctx, robot); !slices.Equal(names, []string{sheet}) {
		t.Errorf("unprinted %q", names)
	}
	on, err := s.SheetLabels(ctx, sheet)
	if err != nil || len(on) != 2 || on[0].CardID != written[0] || on[1].CardID != written[1] {
		t.Errorf("sheet labels %+v %v", on, err)
	}
	if err := s.MarkSheetPrinted(ctx, sheet); err != nil {
		t.Fatal(err)
	}
	if names, _ := s.UnprintedSheets(ctx, robot); len(names) != 0 {
		t.Errorf("unprinted after print %q", names)
	}
}
