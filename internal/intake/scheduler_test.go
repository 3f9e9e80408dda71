package intake_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/clock"
	"github.com/quillpost/quillpost/internal/intake"
	"github.com/quillpost/quillpost/internal/store"
)

// TestSchedulerRunsOnTheInjectedClock moves a manual clock past a card's send date: the
// scheduler loop queues it without any real time passing beyond the test's own work.
func TestSchedulerRunsOnTheInjectedClock(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyLive)
	later := time.Now().Add(3 * time.Hour).UTC()
	_, c, _ := api.do("POST", "/v1/cards", key, "clk-1", strings.Replace(goodCard, `"metadata"`, `"send_date":"`+later.Format(time.RFC3339)+`","metadata"`, 1))
	if c["status"] != "accepted" {
		t.Fatalf("future card is %v", c["status"])
	}
	id := c["id"].(string)
	clk := clock.NewManual(time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- intake.RunScheduler(ctx, api.store, clk, time.Hour, quiet) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunScheduler: %v", err)
		}
	}()
	status := func() store.Status {
		card, err := api.store.GetCard(ctx, store.AnyAccount, id)
		if err != nil {
			t.Fatal(err)
		}
		return card.Status
	}
	deadline := time.Now().Add(2 * time.Minute)
	for step := 0; status() != store.StatusQueued; {
		if time.Now().After(deadline) {
			t.Fatalf("card still %s after moving the clock %d hours", status(), step)
		}
		if clk.Waiters() == 0 {
			time.Sleep(time.Millisecond) // the loop is still at work; it sleeps on the clock next
			continue
		}
		if step == 2 && status() != store.StatusAccepted {
			t.Fatalf("card is %s two hours before its send date", status())
		}
		clk.Advance(time.Hour)
		step++
	}
	if got := clk.Now(); got.Before(later) {
		t.Errorf("card queued at %v, before its send date %v", got, later)
	}
}
