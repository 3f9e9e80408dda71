package queue_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/postgres"
	"github.com/quillpost/quillpost/internal/store/sqlite"
	"github.com/quillpost/quillpost/internal/store/sqlstore"
	"github.com/quillpost/quillpost/internal/store/storetest"
)

// externalURL is the machine's NATS server (2.9, JetStream on); the suite runs against it too
// when it answers.
const externalURL = "nats://127.0.0.1:4222"

// backend makes a fresh Queue with the given options for one test.
type backend func(t *testing.T, o queue.Options) *queue.Queue

func embeddedBackend(t *testing.T, o queue.Options) *queue.Queue {
	t.Helper()
	e, err := queue.StartEmbedded(t.TempDir(), "", nil)
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(e.Shutdown)
	q, err := e.Queue(context.Background(), o)
	if err != nil {
		t.Fatalf("Queue: %v", err)
	}
	t.Cleanup(q.Close)
	return q
}

func externalBackend(t *testing.T, o queue.Options) *queue.Queue {
	t.Helper()
	// A namespace per test: tests run in parallel and beside the end-to-end test's streams.
	o.Namespace = "qt" + store.NewID("x")[len("x_")+10:]
	o.Manage = true
	q, err := queue.Connect(context.Background(), queue.Dial{URL: externalURL}, o)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Teardown(ctx); err != nil {
			t.Errorf("Teardown: %v", err)
		}
		q.Close()
	})
	return q
}

func externalReachable() bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:4222", time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func TestEmbedded(t *testing.T) { runSuite(t, embeddedBackend) }

func TestExternal(t *testing.T) {
	if !externalReachable() {
		t.Skip("no NATS server at 127.0.0.1:4222; the external suite is skipped")
	}
	runSuite(t, externalBackend)
}

func runSuite(t *testing.T, b backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b backend)
	}{
		{"RelayPublishesJobsAndEvents", testRelay},
		{"OutboxCrashBeforePublish", testCrashBeforePublish},
		{"OutboxCrashAfterPublish", testCrashAfterPublish},
		{"ConcurrentRelays", testConcurrentRelays},
		{"RelayPipelinesRounds", testRelayPipelines},
		{"LanesAreSeparate", testLanes},
		{"RedeliveryAfterNak", testNak},
		{"RedeliveryAfterAckWait", testAckWait},
		{"KeepAliveHoldsTheJob", testKeepAlive},
		{"MaxDeliverFailsTheCard", testMaxDeliver},
		{"WorkerCrashSpoilsAndRetries", testWorkerCrash},
		{"Heartbeats", testHeartbeats},
		{"Depth", testDepth},
		{"RemoteCards", testRemoteCards},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, b)
		})
	}
}

func openStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	s, err := sqlite.OpenDir(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newCards(t *testing.T, s store.Store, n int, test bool) []*store.Card {
	t.Helper()
	a := storetest.NewAccount(t, s)
	var out []*store.Card
	for range n {
		nc := storetest.SampleCard(a.ID)
		nc.Test = test
		c, err := s.CreateCard(context.Background(), nc)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func consumer(t *testing.T, q *queue.Queue, lane string) *queue.Consumer {
	t.Helper()
	c, err := q.Consumer(context.Background(), lane)
	if err != nil {
		t.Fatalf("Consumer(%s): %v", lane, err)
	}
	return c
}

// next waits up to d for a job.
func next(t *testing.T, c *queue.Consumer, d time.Duration) *queue.Delivery {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	del, err := c.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return del
}

// none checks that no job arrives within d.
func none(t *testing.T, c *queue.Consumer, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if del, err := c.Next(ctx); err == nil {
		t.Fatalf("unexpected job %+v (delivery %d)", del.Job, del.Delivered)
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next: %v", err)
	}
}

func flush(t *testing.T, r *queue.Relay) int {
	t.Helper()
	n, err := r.Flush(context.Background())
	if err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return n
}

// lanesMessages counts the messages stored for a lane.
func laneMessages(t *testing.T, q *queue.Queue, lane string) int {
	t.Helper()
	d, err := q.Depth(context.Background(), lane)
	if err != nil {
		t.Fatal(err)
	}
	return d.Total()
}

func testRelay(t *testing.T, b backend) {
	ctx := context.Background()
	q, s := b(t, queue.Options{}), openStore(t)
	cards := newCards(t, s, 3, false)
	if n := flush(t, q.NewRelay(s)); n != 9 { // per card: a job and two events
		t.Fatalf("published %d, want 9", n)
	}
	if pending, _ := s.PendingOutbox(ctx, 100); len(pending) != 0 {
		t.Errorf("%d outbox messages left", len(pending))
	}
	c := consumer(t, q, "a6-white")
	var got []string
	for range cards {
		d := next(t, c, 5*time.Second)
		if d.Delivered != 1 || d.Redelivered() || d.LastDelivery || d.Job.Attempt != 1 {
			t.Errorf("delivery %+v", d)
		}
		got = append(got, d.Job.CardID)
		if err := d.Ack(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for _, c := range cards {
		want = append(want, c.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("jobs %v, want %v (in order)", got, want)
	}
	none(t, c, 300*time.Millisecond)
	if n := laneMessages(t, q, "a6-white"); n != 0 {
		t.Errorf("%d jobs left after acks (work-queue retention)", n)
	}
	// The events stream has the two events of each card under events.<account>.<card>.<status>.
	es, err := q.JetStream().Stream(ctx, q.Names().EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := es.Info(ctx, jetstream.WithSubjectFilter(q.Names().EventsSubject+".>"))
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 6 {
		t.Errorf("%d events in the stream, want 6", info.State.Msgs)
	}
	subj := fmt.Sprintf("%s.%s.%s.queued", q.Names().EventsSubject, cards[0].AccountID, cards[0].ID)
	if info.State.Subjects[subj] != 1 {
		t.Errorf("no event on %s: %v", subj, info.State.Subjects)
	}
}

// failingMarks is an outbox whose MarkPublished fails: the process "crashes" after publishing and
// before recording it.
type failingMarks struct{ queue.Outbox }

func (failingMarks) MarkPublished(context.Context, ...int64) error { return errors.New("crash") }

func testCrashBeforePublish(t *testing.T, b backend) {
	q, s := b(t, queue.Options{}), openStore(t)
	c := newCards(t, s, 1, false)[0]
	// The API process died right after committing: nothing was published. A relay started later
	// (after a restart) publishes the job exactly once.
	if n := laneMessages(t, q, "a6-white"); n != 0 {
		t.Fatalf("%d jobs before any relay ran", n)
	}
	if n := flush(t, q.NewRelay(s)); n != 3 {
		t.Fatalf("published %d, want 3", n)
	}
	if n := flush(t, q.NewRelay(s)); n != 0 {
		t.Fatalf("second relay published %d, want 0", n)
	}
	cons := consumer(t, q, "a6-white")
	d := next(t, cons, 5*time.Second)
	if d.Job != (store.Job{CardID: c.ID, Attempt: 1}) {
		t.Errorf("job %+v", d.Job)
	}
	_ = d.Ack(context.Background())
	none(t, cons, 300*time.Millisecond)
}

func testCrashAfterPublish(t *testing.T, b backend) {
	q, s := b(t, queue.Options{}), openStore(t)
	c := newCards(t, s, 1, false)[0]
	// The relay published but died before marking: the outbox still lists the messages.
	if _, err := q.NewRelay(failingMarks{s}).Flush(context.Background()); err == nil {
		t.Fatal("the failing outbox did not fail")
	}
	if pending, _ := s.PendingOutbox(context.Background(), 100); len(pending) != 3 {
		t.Fatalf("%d pending after the crash, want 3", len(pending))
	}
	// The restarted relay publishes again; JetStream drops the duplicates by message id.
	if n := flush(t, q.NewRelay(s)); n != 3 {
		t.Fatalf("republished %d, want 3", n)
	}
	if n := laneMessages(t, q, "a6-white"); n != 1 {
		t.Fatalf("%d job messages, want exactly 1", n)
	}
	cons := consumer(t, q, "a6-white")
	d := next(t, cons, 5*time.Second)
	if d.Job.CardID != c.ID {
		t.Errorf("job %+v", d.Job)
	}
	_ = d.Ack(context.Background())
	none(t, cons, 300*time.Millisecond)
}

// testRelayPipelines: with small batches, many rounds overlap (the next batch is read while the
// previous ones await their acks); every job arrives once and in order, and nothing is left.
func testRelayPipelines(t *testing.T, b backend) {
	ctx := context.Background()
	q, s := b(t, queue.Options{}), openStore(t)
	cards := newCards(t, s, 150, false)
	r := q.NewRelay(s)
	r.Batch = 20 // 450 messages: 23 rounds, up to 4 in flight
	if n := flush(t, r); n != 450 {
		t.Fatalf("published %d, want 450", n)
	}
	if pending, _ := s.PendingOutbox(ctx, 1000); len(pending) != 0 {
		t.Errorf("%d outbox messages left", len(pending))
	}
	c := consumer(t, q, "a6-white")
	for i := range cards {
		d := next(t, c, 5*time.Second)
		if d.Job.CardID != cards[i].ID {
			t.Fatalf("job %d is card %s, want %s", i, d.Job.CardID, cards[i].ID)
		}
		d.Ack(ctx)
	}
	none(t, c, 300*time.Millisecond)
}

func testConcurrentRelays(t *testing.T, b backend) {
	q, s := b(t, queue.Options{}), openStore(t)
	cards := newCards(t, s, 40, false)
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := q.NewRelay(s)
			r.Batch = 16
			if _, err := r.Flush(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := laneMessages(t, q, "a6-white"); n != len(cards) {
		t.Fatalf("%d job messages for %d cards", n, len(cards))
	}
}

func testLanes(t *testing.T, b backend) {
	q, s := b(t, queue.Options{}), openStore(t)
	live := newCards(t, s, 1, false)[0]
	test := newCards(t, s, 1, true)[0]
	flush(t, q.NewRelay(s))
	robot, sim := consumer(t, q, "a6-white"), consumer(t, q, "test-a6-white")
	if d := next(t, robot, 5*time.Second); d.Job.CardID != live.ID {
		t.Errorf("robot lane got %s", d.Job.CardID)
	} else {
		_ = d.Ack(context.Background())
	}
	none(t, robot, 300*time.Millisecond)
	if d := next(t, sim, 5*time.Second); d.Job.CardID != test.ID {
		t.Errorf("test lane got %s", d.Job.CardID)
	}
	if _, err := q.Consumer(context.Background(), "a6.white"); err == nil {
		t.Errorf("a lane with a dot was accepted")
	}
}

func testNak(t *testing.T, b backend) {
	q, s := b(t, queue.Options{}), openStore(t)
	c := newCards(t, s, 1, false)[0]
	flush(t, q.NewRelay(s))
	cons := consumer(t, q, "a6-white")
	d := next(t, cons, 5*time.Second)
	if err := d.Nak(0); err != nil {
		t.Fatal(err)
	}
	d2 := next(t, cons, 5*time.Second)
	if d2.Job.CardID != c.ID || d2.Delivered != 2 || !d2.Redelivered() {
		t.Errorf("after Nak: %+v", d2)
	}
	start := time.Now()
	if err := d2.Nak(400 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	d3 := next(t, cons, 5*time.Second)
	if waited := time.Since(start); d3.Delivered != 3 || waited < 300*time.Millisecond {
		t.Errorf("Nak with delay: delivery %d after %v", d3.Delivered, waited)
	}
	_ = d3.Ack(context.Background())
}

func testAckWait(t *testing.T, b backend) {
	q, s := b(t, queue.Options{AckWait: time.Second}), openStore(t)
	c := newCards(t, s, 1, false)[0]
	flush(t, q.NewRelay(s))
	cons := consumer(t, q, "a6-white")
	d := next(t, cons, 5*time.Second)
	start := time.Now()
	_ = d // the worker holds it and goes silent
	d2 := next(t, cons, 5*time.Second)
	if waited := time.Since(start); d2.Job.CardID != c.ID || d2.Delivered != 2 || waited < 800*time.Millisecond {
		t.Errorf("redelivered %+v after %v", d2, waited)
	}
	_ = d2.Ack(context.Background())
}

func testKeepAlive(t *testing.T, b backend) {
	q, s := b(t, queue.Options{AckWait: time.Second}), openStore(t)
	newCards(t, s, 1, false)
	flush(t, q.NewRelay(s))
	cons := consumer(t, q, "a6-white")
	d := next(t, cons, 5*time.Second)
	stop := d.KeepAlive(context.Background())
	none(t, cons, 2500*time.Millisecond) // well past AckWait: the job stays with its holder
	stop()
	if err := d.Ack(context.Background()); err != nil {
		t.Fatal(err)
	}
	none(t, cons, 1500*time.Millisecond)
}

func testMaxDeliver(t *testing.T, b backend) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	q, s := b(t, queue.Options{MaxDeliver: 2}), openStore(t)
	c := newCards(t, s, 1, false)[0]
	failed := make(chan queue.DeadJob, 1)
	watching := make(chan error, 1)
	go func() {
		watching <- q.WatchDeadJobs(ctx, func(ctx context.Context, dj queue.DeadJob) error {
			_, err := store.FailJob(ctx, s, dj.Job, store.CauseMaxDeliveries, fmt.Sprintf("%d deliveries", dj.Deliveries))
			failed <- dj
			return err
		})
	}()
	time.Sleep(100 * time.Millisecond) // let the watcher subscribe
	flush(t, q.NewRelay(s))
	cons := consumer(t, q, "a6-white")
	d1 := next(t, cons, 5*time.Second)
	if d1.LastDelivery {
		t.Errorf("first of two deliveries marked last")
	}
	_ = d1.Nak(0)
	d2 := next(t, cons, 5*time.Second)
	if !d2.LastDelivery || d2.Delivered != 2 {
		t.Errorf("second delivery: %+v", d2)
	}
	_ = d2.Nak(0) // a worker that ignores LastDelivery: JetStream gives up, the advisory fails the card
	// JetStream notices on the next pull (or the AckWait timer, had the worker died): a worker
	// waiting for its next job.
	none(t, cons, time.Second)
	select {
	case dj := <-failed:
		if dj.Job.CardID != c.ID || dj.Lane != "a6-white" || dj.Deliveries < 2 {
			t.Errorf("dead job %+v", dj)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no max-deliveries advisory")
	}
	got, _ := s.GetCard(ctx, store.AnyAccount, c.ID)
	if got.Status != store.StatusFailed {
		t.Errorf("card is %s, want failed", got.Status)
	}
	deadline := time.Now().Add(5 * time.Second)
	for laneMessages(t, q, "a6-white") != 0 || storedMessages(t, q) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the dead job stays in the stream")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-watching; err != nil {
		t.Errorf("WatchDeadJobs: %v", err)
	}
}

func storedMessages(t *testing.T, q *queue.Queue) uint64 {
	t.Helper()
	st, err := q.JetStream().Stream(context.Background(), q.Names().CardsStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// testWorkerCrash is the queue half of the crash test: a worker claims a card and dies mid-card;
// the job comes back to another worker, which spoils the card; the fresh attempt is written once.
func testWorkerCrash(t *testing.T, b backend) {
	ctx := context.Background()
	q, s := b(t, queue.Options{AckWait: time.Second}), openStore(t)
	c := newCards(t, s, 1, false)[0]
	relay := q.NewRelay(s)
	flush(t, relay)
	cons := consumer(t, q, "a6-white")
	// A lease shorter than the ack wait: by the time the job comes back, the holder's lease lapsed.
	opts := store.JobOptions{Worker: "plotter-1", MaxAttempts: 3, Lease: 500 * time.Millisecond}

	d := next(t, cons, 5*time.Second)
	if _, err := store.Claim(ctx, s, d.Job, d.Redelivered(), opts); err != nil {
		t.Fatalf("claim: %v", err)
	}
	// plotter-1 dies here: no ack, no heartbeats.
	opts.Worker = "plotter-2"
	d = next(t, cons, 5*time.Second)
	if !d.Redelivered() {
		t.Fatalf("expected the redelivered job, got %+v", d)
	}
	if _, err := store.Claim(ctx, s, d.Job, d.Redelivered(), opts); !errors.Is(err, store.ErrStale) {
		t.Fatalf("claim of the lost job: %v, want ErrStale", err)
	}
	if err := d.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	flush(t, relay) // the fresh attempt's job
	d = next(t, cons, 5*time.Second)
	if d.Job != (store.Job{CardID: c.ID, Attempt: 2}) || d.Redelivered() {
		t.Fatalf("fresh attempt %+v", d)
	}
	if _, err := store.Claim(ctx, s, d.Job, d.Redelivered(), opts); err != nil {
		t.Fatalf("claim attempt 2: %v", err)
	}
	stop := d.KeepAlive(ctx)
	if _, err := s.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusPlotting, To: store.StatusWritten, Attempt: d.Job.Attempt, Cause: "worker.done"}); err != nil {
		t.Fatal(err)
	}
	stop()
	if err := d.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	none(t, cons, 1500*time.Millisecond)
	evs, _ := s.Events(ctx, store.AnyAccount, c.ID)
	var trail []string
	written := 0
	for _, e := range evs {
		trail = append(trail, string(e.To))
		if e.To == store.StatusWritten {
			written++
		}
	}
	want := []string{"accepted", "queued", "plotting", "spoiled", "queued", "plotting", "written"}
	if !slices.Equal(trail, want) || written != 1 {
		t.Errorf("history %v, want %v", trail, want)
	}
}

func testHeartbeats(t *testing.T, b backend) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	q := b(t, queue.Options{})
	if hbs, err := q.Heartbeats(ctx); err != nil || len(hbs) != 0 {
		t.Fatalf("empty bucket: %v %v", hbs, err)
	}
	watch, err := q.WatchHeartbeats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hb := queue.Heartbeat{Worker: "plotter-1", Lane: "a6-white", Profile: "grbl-servo", State: queue.StatePlotting,
		CardID: "crd_01j9x3k7q8r2m5v6w7y8z9a0bc", Progress: 42.5, CardsWritten: 17, PenDownMetres: 12.25,
		UpdatedAt: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	if err := q.PutHeartbeat(ctx, hb); err != nil {
		t.Fatal(err)
	}
	got, err := q.Heartbeat(ctx, "plotter-1")
	if err != nil || got != hb {
		t.Errorf("Heartbeat = %+v, %v; want %+v", got, err, hb)
	}
	if err := q.PutHeartbeat(ctx, queue.Heartbeat{Worker: "plotter-2", Lane: "test-a6-white", State: queue.StateIdle}); err != nil {
		t.Fatal(err)
	}
	hbs, err := q.Heartbeats(ctx)
	if err != nil || len(hbs) != 2 || hbs[0].Worker != "plotter-1" || hbs[1].UpdatedAt.IsZero() {
		t.Errorf("Heartbeats = %+v, %v", hbs, err)
	}
	if !hb.Stale(time.Now(), time.Minute) || hbs[1].Stale(time.Now(), time.Minute) {
		t.Errorf("Stale wrong")
	}
	if err := q.DeleteHeartbeat(ctx, "plotter-2"); err != nil {
		t.Fatal(err)
	}
	// The watch starts its consumer asynchronously; on a busy machine it may begin after the puts
	// and then delivers each robot's latest state, which is what a dashboard needs: wait for that.
	latest := map[string]queue.WorkerState{}
	want := map[string]queue.WorkerState{"plotter-1": queue.StatePlotting, "plotter-2": queue.StateOffline}
	timeout := time.After(2 * time.Minute)
	for !maps.Equal(latest, want) {
		select {
		case h := <-watch:
			latest[h.Worker] = h.State
		case <-timeout:
			t.Fatalf("watch saw %v, want %v", latest, want)
		}
	}
	if err := q.PutHeartbeat(ctx, queue.Heartbeat{Worker: "bad name"}); err == nil {
		t.Errorf("a worker name with a space was accepted")
	}
	if _, err := q.Heartbeat(ctx, "nobody"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("unknown worker: %v", err)
	}
}

func testDepth(t *testing.T, b backend) {
	ctx := context.Background()
	q, s := b(t, queue.Options{}), openStore(t)
	newCards(t, s, 3, false)
	newCards(t, s, 1, true)
	flush(t, q.NewRelay(s))
	if d, err := q.Depth(ctx, "a6-white"); err != nil || d != (queue.Depth{Lane: "a6-white", Pending: 3}) {
		t.Errorf("depth before any consumer: %+v %v", d, err)
	}
	cons := consumer(t, q, "a6-white")
	consumer(t, q, "test-a6-white")
	del := next(t, cons, 5*time.Second)
	d, err := q.Depth(ctx, "a6-white")
	if err != nil || d.Pending != 2 || d.InFlight != 1 || d.Total() != 3 {
		t.Errorf("depth with one in flight: %+v %v", d, err)
	}
	_ = del.Ack(ctx)
	ds, err := q.Depths(ctx)
	want := []queue.Depth{{Lane: "a6-white", Pending: 2}, {Lane: "test-a6-white", Pending: 1}}
	if err != nil || !slices.Equal(ds, want) {
		t.Errorf("Depths = %+v %v, want %+v", ds, err, want)
	}
}

// TestEmbeddedListensAndPersists starts the embedded server on a port, uses it like a worker in
// another process would, restarts it on the same directory and finds the job still queued.
func TestEmbeddedListensAndPersists(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, err := queue.StartEmbedded(dir, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.ClientURL() == "" {
		t.Fatal("no client URL while listening")
	}
	q, err := queue.Connect(ctx, queue.Dial{URL: e.ClientURL(), Creds: e.ServeCreds()}, queue.Options{Manage: true})
	if err != nil {
		t.Fatalf("Connect over TCP: %v", err)
	}
	s := openStore(t)
	c := newCards(t, s, 1, false)[0]
	flush(t, q.NewRelay(s))
	q.Close()
	e.Shutdown()

	e, err = queue.StartEmbedded(dir, "", nil)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer e.Shutdown()
	if e.ClientURL() != "" {
		t.Errorf("client URL %q without listening", e.ClientURL())
	}
	q, err = e.Queue(ctx, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	d := next(t, consumer(t, q, "a6-white"), 5*time.Second)
	if d.Job.CardID != c.ID {
		t.Errorf("after restart: %+v", d.Job)
	}
}

func TestOptionsValidation(t *testing.T) {
	e, err := queue.StartEmbedded(t.TempDir(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown()
	if _, err := e.Queue(context.Background(), queue.Options{Namespace: "a.b"}); err == nil {
		t.Error("a namespace with a dot was accepted")
	}
	if _, err := queue.StartEmbedded(t.TempDir(), "nonsense", nil); err == nil {
		t.Error("a bad listen address was accepted")
	}
	q, err := e.Queue(context.Background(), queue.Options{Namespace: "ns1"})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	want := queue.Names{Namespace: "ns1", CardsStream: "ns1_CARDS", CardsSubject: "ns1.cards", EventsStream: "ns1_EVENTS",
		EventsSubject: "ns1.events", WorkersBucket: "ns1_workers", RobotsBucket: "ns1_robots", ConfigBucket: "ns1_config"}
	if q.Names() != want || q.Names().JobSubject("a6") != "ns1.cards.a6" || queue.ConsumerName("a6") != "worker-a6" {
		t.Errorf("names %+v", q.Names())
	}
	o := q.Options()
	if o.AckWait != time.Minute || o.MaxDeliver != 5 || o.Replicas != 0 || o.DuplicateWindow != 2*time.Minute {
		t.Errorf("defaults %+v", o)
	}
	// Setting up twice (a second process starting) is fine.
	q2, err := e.Queue(context.Background(), queue.Options{Namespace: "ns1"})
	if err != nil {
		t.Fatalf("second setup: %v", err)
	}
	q2.Close()
}

// testRemoteCards: a worker without database access reads and changes cards through a server.
func testRemoteCards(t *testing.T, b backend) {
	ctx, cancel := context.WithCancel(context.Background())
	q, s := b(t, queue.Options{}), openStore(t)
	remote := q.RemoteCards("remote-1", 5*time.Second)
	if _, err := remote.GetCard(ctx, store.AnyAccount, "crd_00000000000000000000000000"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("without a server: %v, want a transient error", err)
	}
	served := make(chan error, 1)
	go func() { served <- q.ServeCards(ctx, s) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("ServeCards: %v", err)
		}
	}()
	c := newCards(t, s, 1, false)[0]
	// Before the job was delivered to this robot, the card service tells it nothing.
	var err error
	for range 50 { // until the server's subscription is in place
		if _, err = remote.GetCard(ctx, store.AnyAccount, c.ID); !errors.Is(err, nats.ErrNoResponders) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !errors.Is(err, queue.ErrForbidden) {
		t.Fatalf("GetCard of a card not given to the robot: %v, want ErrForbidden", err)
	}
	flush(t, q.NewRelay(s))
	d := next(t, consumer(t, q, "a6-white"), 5*time.Second)
	got, err := remote.GetCard(ctx, store.AnyAccount, c.ID)
	if err != nil || !reflect.DeepEqual(got, c) {
		t.Fatalf("remote GetCard = %+v, %v\nwant %+v", got, err, c)
	}
	if _, err := remote.GetCard(ctx, "acc_00000000000000000000000000", c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other account: %v", err)
	}
	job := d.Job
	opts := store.JobOptions{Worker: "remote-1", MaxAttempts: 2}
	// A robot cannot claim in another robot's name: the claim records the robot that asked.
	if got, err := store.Claim(ctx, remote, job, false, store.JobOptions{Worker: "someone-else", MaxAttempts: 2}); err != nil || got.Status != store.StatusPlotting {
		t.Fatalf("remote Claim: %+v %v", got, err)
	}
	if evs, err := s.Events(ctx, store.AnyAccount, c.ID); err != nil || evs[len(evs)-1].Detail != "remote-1" {
		t.Errorf("claim recorded as %+v %v, want remote-1", evs[len(evs)-1], err)
	}
	if _, err := remote.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusQueued, To: store.StatusPlotting, Attempt: 1, Cause: "x"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale remote change: %v", err)
	}
	// A robot moves cards only as a worker does: never to posted, never for another attempt.
	if _, err := remote.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusPlotting, To: store.StatusPosted, Attempt: 1, Cause: "x"}); !errors.Is(err, queue.ErrForbidden) {
		t.Errorf("remote change to posted: %v, want ErrForbidden", err)
	}
	if _, err := remote.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusPlotting, To: store.StatusWritten, Attempt: 2, Cause: "x"}); !errors.Is(err, queue.ErrForbidden) {
		t.Errorf("remote change of another attempt: %v, want ErrForbidden", err)
	}
	if _, err := remote.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusPlotting, To: store.StatusWritten, Attempt: 1}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("remote change without cause: %v", err)
	}
	if got, err := store.Spoil(ctx, remote, job, opts, "worker.fault", "alarm"); err != nil || got.Status != store.StatusQueued || got.Attempts != 2 {
		t.Errorf("remote Spoil: %+v %v", got, err)
	}
	local, _ := s.GetCard(ctx, store.AnyAccount, c.ID)
	if local.Status != store.StatusQueued || local.Attempts != 2 {
		t.Errorf("the database has %s@%d", local.Status, local.Attempts)
	}
	if err := d.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	// Acknowledged: the robot no longer holds the job.
	if _, err := remote.GetCard(ctx, store.AnyAccount, c.ID); !errors.Is(err, queue.ErrForbidden) {
		t.Errorf("GetCard after the ack: %v, want ErrForbidden", err)
	}
}

// memOutbox is an in-memory outbox for relay edge cases.
type memOutbox struct {
	mu     sync.Mutex
	msgs   []store.OutboxMessage
	marked map[int64]bool
}

func (m *memOutbox) PendingOutbox(_ context.Context, limit int) ([]store.OutboxMessage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.OutboxMessage
	for _, msg := range m.msgs {
		if !m.marked[msg.ID] && len(out) < limit {
			out = append(out, msg)
		}
	}
	return out, nil
}

func (m *memOutbox) MarkPublished(_ context.Context, ids ...int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		m.marked[id] = true
	}
	return nil
}

func (m *memOutbox) PruneOutbox(context.Context, time.Time) (int64, error) { return 0, nil }

// TestRelayDropsUnpublishable: a message that can never be published (no valid subject) is dropped
// instead of blocking the outbox; the good ones around it go out.
func TestRelayDropsUnpublishable(t *testing.T) {
	q := embeddedBackend(t, queue.Options{})
	ob := &memOutbox{marked: map[int64]bool{}}
	ob.msgs = []store.OutboxMessage{
		{ID: 1, Kind: store.OutboxJob, Key: "a6.white", MsgID: "bad/1", Payload: []byte(`{}`)},
		{ID: 2, Kind: "mystery", Key: "x", MsgID: "bad/2", Payload: []byte(`{}`)},
		{ID: 3, Kind: store.OutboxJob, Key: "a6-white", MsgID: "crd_01j9x3k7q8r2m5v6w7y8z9a0bc/1",
			Payload: []byte(`{"card_id":"crd_01j9x3k7q8r2m5v6w7y8z9a0bc","attempt":1}`)},
	}
	r := q.NewRelay(ob)
	r.Batch = 2
	n, err := r.Flush(context.Background())
	if err != nil || n != 3 {
		t.Fatalf("Flush = %d, %v; want 3 done", n, err)
	}
	if d := next(t, consumer(t, q, "a6-white"), 5*time.Second); d.Job.CardID != "crd_01j9x3k7q8r2m5v6w7y8z9a0bc" {
		t.Errorf("job %+v", d.Job)
	}
}

// TestRelayRun: the relay publishes in the background, promptly after a Kick.
func TestRelayRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	q, s := embeddedBackend(t, queue.Options{}), openStore(t)
	r := q.NewRelay(s)
	r.Interval = time.Hour // only Kick wakes it after the first round
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	cons := consumer(t, q, "a6-white")
	c := newCards(t, s, 1, false)[0]
	r.Kick()
	if d := next(t, cons, 5*time.Second); d.Job.CardID != c.ID {
		t.Errorf("job %+v", d.Job)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// BenchmarkRelayFlush measures outbox publishing, per card a job and two events: SQLite with the
// embedded NATS, and PostgreSQL with the machine's NATS server (where round trips count).
func BenchmarkRelayFlush(b *testing.B) {
	b.Run("sqlite-embedded", func(b *testing.B) {
		e, err := queue.StartEmbedded(b.TempDir(), "", nil)
		if err != nil {
			b.Fatal(err)
		}
		defer e.Shutdown()
		q, err := e.Queue(context.Background(), queue.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close()
		s, err := sqlite.OpenDir(context.Background(), b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchRelay(b, q, s)
	})
	b.Run("postgres-external", func(b *testing.B) {
		if !externalReachable() {
			b.Skip("no NATS at 127.0.0.1:4222")
		}
		s := openPostgres(b)
		q, err := queue.Connect(context.Background(), queue.Dial{URL: externalURL},
			queue.Options{Namespace: fmt.Sprintf("bench%d", time.Now().UnixNano()), Manage: true})
		if err != nil {
			b.Fatal(err)
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			q.Teardown(ctx)
			cancel()
			q.Close()
		}()
		benchRelay(b, q, s)
	})
}

// openPostgres opens a store in a fresh schema of the machine's PostgreSQL, skipping without one.
func openPostgres(b *testing.B) *sqlstore.Store {
	dsn := "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	if c, err := net.DialTimeout("tcp", "127.0.0.1:5432", time.Second); err != nil {
		b.Skip("no PostgreSQL at 127.0.0.1:5432")
	} else {
		c.Close()
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	schema := "qq_" + strings.ToLower(store.NewID("s")[2:])
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		b.Skipf("PostgreSQL does not answer: %v", err)
	}
	b.Cleanup(func() { db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`) })
	s, err := postgres.Open(context.Background(), dsn+"&search_path="+schema)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func benchRelay(b *testing.B, q *queue.Queue, s *sqlstore.Store) {
	a := storetest.NewAccount(b, s)
	batch := make([]store.NewCard, 500)
	for i := range batch {
		batch[i] = storetest.SampleCard(a.ID)
	}
	r := q.NewRelay(s)
	published := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if _, err := s.CreateCards(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		n, err := r.Flush(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		published += n
	}
	b.ReportMetric(float64(published)/b.Elapsed().Seconds(), "msgs/s")
}
