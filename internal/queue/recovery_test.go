package queue_test

import (
	"context"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/store"
)

// TestRequeuedJobsFirst: a card whose robot died (its lease lapsed) is requeued at the head of its
// lane, ahead of a backlog of first attempts, and without waiting for the queue's ack wait: the
// reconciler, not JetStream's redelivery, brings it back (finding 9).
func TestRequeuedJobsFirst(t *testing.T) {
	for name, b := range map[string]backend{"embedded": embeddedBackend, "external": externalBackend} {
		t.Run(name, func(t *testing.T) {
			if name == "external" && !externalReachable() {
				t.Skip("no NATS server at 127.0.0.1:4222")
			}
			testRequeuedJobsFirst(t, b)
		})
	}
}

func testRequeuedJobsFirst(t *testing.T, b backend) {
	ctx := context.Background()
	// An ack wait far longer than the test: only the reconciler can bring the job back in time.
	q, s := b(t, queue.Options{AckWait: time.Hour}), openStore(t)
	cards := newCards(t, s, 4, false)
	relay := q.NewRelay(s)
	flush(t, relay)
	c := consumer(t, q, "a6-white")
	d := next(t, c, time.Minute)
	if d.Job != (store.Job{CardID: cards[0].ID, Attempt: 1}) {
		t.Fatalf("first job %+v", d.Job)
	}
	// The robot claims the card and dies: no ack, no renewal.
	if _, err := store.Claim(ctx, s, d.Job, d.Redelivered(), store.JobOptions{Worker: "dead", Lease: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	got, err := store.ReconcileLeases(ctx, s, time.Now(), store.JobOptions{MaxAttempts: 3})
	if err != nil || len(got) != 1 || got[0].ID != cards[0].ID || got[0].Status != store.StatusQueued || got[0].Attempts != 2 {
		t.Fatalf("reconcile: %+v %v", got, err)
	}
	flush(t, relay)
	// The requeued card comes before cards 2..4, which were waiting first.
	d2 := next(t, c, time.Minute)
	if d2.Job != (store.Job{CardID: cards[0].ID, Attempt: 2}) {
		t.Fatalf("after recovery the next job is %+v, want card 1 attempt 2 at the head of the lane", d2.Job)
	}
	if dp, err := q.Depth(ctx, "a6-white"); err != nil || dp.Pending != 3 || dp.InFlight != 2 {
		t.Errorf("depth %+v %v: want the 3 waiting jobs pending and both deliveries of card 1 in flight", dp, err)
	}
	_ = d2.Ack(ctx)
	d3 := next(t, c, time.Minute)
	if d3.Job.CardID != cards[1].ID {
		t.Errorf("then %+v, want card 2", d3.Job)
	}
}
