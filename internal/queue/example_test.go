package queue_test

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/sqlite"
)

// Example_serve wires the one-machine mode: embedded NATS and SQLite in the data directory, the
// outbox relay, the dead-job watcher and the card service for remote workers.
func Example_serve() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	data := "/var/lib/quillpost"

	e, err := queue.StartEmbedded(data+"/nats", "", nil) // "127.0.0.1:4222" to let workers connect
	if err != nil {
		panic(err)
	}
	defer e.Shutdown()
	q, err := e.Queue(ctx, queue.Options{}) // or queue.Connect(ctx, queue.Dial{URL: url}, queue.Options{Manage: true, Replicas: 3})
	if err != nil {
		panic(err)
	}
	defer q.Close()
	st, err := sqlite.OpenDir(ctx, data)
	if err != nil {
		panic(err)
	}
	defer st.Close()

	relay := q.NewRelay(st)
	go relay.Run(ctx) // the API calls relay.Kick() after CreateCard / Transition for low latency
	go q.WatchDeadJobs(ctx, func(ctx context.Context, dj queue.DeadJob) error {
		_, err := store.FailJob(ctx, st, dj.Job, store.CauseMaxDeliveries, "the queue gave up after repeated deliveries")
		if errors.Is(err, store.ErrStale) {
			return nil // nothing to fail: the message is deleted all the same
		}
		return err
	})
	go q.ServeCards(ctx, st) // for `quillpost worker --nats URL` processes without the database
}

// Example_worker is the plotter worker's loop: pull a job, claim the card, keep the job alive while
// writing, then record the outcome and acknowledge.
func Example_worker() {
	ctx := context.Background()
	// The credentials come from 'quillpost keys worker --robot plotter-1 --lanes a6-white'; the inbox
	// prefix is the one they allow.
	q, err := queue.Connect(ctx, queue.Dial{URL: "nats://127.0.0.1:4222", Creds: "plotter-1.creds",
		InboxPrefix: queue.NamesFor("").InboxPrefix("plotter-1")}, queue.Options{})
	if err != nil {
		panic(err)
	}
	defer q.Close()
	cards := q.RemoteCards("plotter-1", 0) // or the store itself when the worker has the database
	opts := store.JobOptions{Worker: "plotter-1", MaxAttempts: 3}
	cons, err := q.Consumer(ctx, "a6-white") // "test-a6-white" for a simulated plotter
	if err != nil {
		panic(err)
	}
	_ = q.PutHeartbeat(ctx, queue.Heartbeat{Worker: opts.Worker, Lane: cons.Lane(), State: queue.StateIdle})
	for {
		d, err := cons.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			time.Sleep(time.Second) // connection trouble: try again
			continue
		}
		card, err := store.Claim(ctx, cards, d.Job, d.Redelivered(), opts)
		switch {
		case errors.Is(err, store.ErrStale):
			_ = d.Ack(ctx) // cancelled, finished, superseded, or its lost holder was just spoiled
			continue
		case err != nil && d.LastDelivery:
			_, _ = store.FailJob(ctx, cards, d.Job, store.CauseMaxDeliveries, err.Error())
			_ = d.Term()
			continue
		case err != nil:
			_ = d.Nak(5 * time.Second) // the database is unreachable: later
			continue
		}
		stop := d.KeepAlive(ctx) // in-progress signals while the robot writes
		plotErr := plot(card)    // render, check card.StrokeHash, emit G-code, wait for the card, stream
		for {
			if plotErr != nil {
				// The physical card is spoiled: a fresh attempt is queued as a new job (or the card
				// fails after MaxAttempts). The old job is done either way.
				_, err = store.Spoil(ctx, cards, d.Job, opts, "worker.fault", plotErr.Error())
			} else {
				_, err = cards.Transition(ctx, store.Change{CardID: card.ID, From: store.StatusPlotting,
					To: store.StatusWritten, Attempt: d.Job.Attempt, Cause: "worker.written", Detail: opts.Worker})
			}
			if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrInvalidTransition) {
				break
			}
			// The database is unreachable, but the card's fate is known: keep the job and retry.
			time.Sleep(time.Second)
		}
		stop()
		if errors.Is(err, store.ErrConflict) {
			slog.Warn("the card was taken from this worker meanwhile", "card", card.ID)
		}
		_ = d.Ack(ctx)
	}
}

func plot(*store.Card) error { return nil }
