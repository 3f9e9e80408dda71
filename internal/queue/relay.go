package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/quillpost/quillpost/internal/store"
)

// Outbox is what the relay needs from the store (store.Store has it).
type Outbox interface {
	PendingOutbox(ctx context.Context, limit int) ([]store.OutboxMessage, error)
	MarkPublished(ctx context.Context, ids ...int64) error
	PruneOutbox(ctx context.Context, before time.Time) (int64, error)
}

// Relay publishes the store's outbox: every job and event committed with a card change reaches
// JetStream even if the process died between the commit and the publish. Several relays (one per
// API process) may run against one database: each message carries its outbox message id as
// Nats-Msg-Id, so JetStream drops the second copy within the duplicate window, and marking a
// message published twice is harmless.
type Relay struct {
	q  *Queue
	ob Outbox
	// Interval between polls when nobody kicks the relay. Default 500 ms.
	Interval time.Duration
	// Batch is the most messages published per round trip. Default 256.
	Batch int
	// Retain is how long published messages stay in the outbox before pruning. Default 1 hour.
	Retain time.Duration

	kick chan struct{}
}

// NewRelay returns a relay from ob to q. Start it with Run.
func (q *Queue) NewRelay(ob Outbox) *Relay {
	return &Relay{q: q, ob: ob, Interval: 500 * time.Millisecond, Batch: 256, Retain: time.Hour, kick: make(chan struct{}, 1)}
}

// Kick wakes the relay at once (call it after committing a card, for low latency). It never
// blocks.
func (r *Relay) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run publishes the outbox until ctx ends, then returns nil. Errors (NATS or the database
// unavailable) are logged and retried on the next round.
func (r *Relay) Run(ctx context.Context) error {
	lastPrune := time.Time{}
	t := time.NewTicker(r.Interval)
	defer t.Stop()
	for {
		if _, err := r.Flush(ctx); err != nil && ctx.Err() == nil {
			r.q.log.Warn("outbox relay: publishing failed; retrying", "err", err)
		}
		if time.Since(lastPrune) > time.Minute {
			lastPrune = time.Now()
			if _, err := r.ob.PruneOutbox(ctx, time.Now().Add(-r.Retain)); err != nil && ctx.Err() == nil {
				r.q.log.Warn("outbox relay: pruning failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-r.kick:
		}
	}
}

// OutboxAfter is what the relay uses, when the store has it, to read the next messages while
// the acks of the previous ones are still on their way (sqlstore has it).
type OutboxAfter interface {
	PendingOutboxAfter(ctx context.Context, afterID int64, limit int) ([]store.OutboxMessage, error)
}

// maxRounds bounds the batches whose acks may be outstanding at once: at most
// maxRounds × Batch (1,024 by default) messages are published and not yet confirmed.
const maxRounds = 4

// Flush publishes every pending outbox message now and returns how many it published. With a
// store that reads after an id (OutboxAfter), reading the next batch from the database and
// publishing it overlap with the acks of the batches before; without, batch follows batch.
func (r *Relay) Flush(ctx context.Context) (int, error) {
	after, _ := r.ob.(OutboxAfter)
	total := 0
	var (
		rounds []*round
		last   int64 // the highest id read in this Flush; a lower id committed late is read by the next
		errs   []error
	)
	settle := func(rd *round) {
		done, err := rd.wait(ctx)
		if len(done) > 0 {
			if merr := r.ob.MarkPublished(ctx, done...); merr != nil {
				errs = append(errs, merr)
				return
			}
			total += len(done)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	for {
		var msgs []store.OutboxMessage
		var err error
		if after != nil {
			msgs, err = after.PendingOutboxAfter(ctx, last, r.Batch)
		} else {
			msgs, err = r.ob.PendingOutbox(ctx, r.Batch)
		}
		if err != nil {
			errs = append(errs, err)
		}
		if len(msgs) > 0 {
			last = msgs[len(msgs)-1].ID
			rounds = append(rounds, r.publish(msgs))
		}
		more := err == nil && len(msgs) == r.Batch
		for len(rounds) > 0 && (!more || after == nil || len(rounds) >= maxRounds) {
			settle(rounds[0])
			rounds = rounds[1:]
			if len(errs) > 0 {
				more = false
			}
		}
		if !more {
			return total, errors.Join(errs...)
		}
	}
}

// round is one batch published, its acks pending.
type round struct {
	inflight []pendingAck
	done     []int64 // dropped as unpublishable: done without an ack
	err      error   // a publish that could not even be sent
}

type pendingAck struct {
	id  int64
	ack jetstream.PubAckFuture
}

// wait collects the round's acks and returns the ids that are done: confirmed by the server
// (stored, or recognised as duplicates) or dropped as unpublishable.
func (rd *round) wait(ctx context.Context) ([]int64, error) {
	done := rd.done
	errs := []error{rd.err}
	for _, p := range rd.inflight {
		select {
		case <-p.ack.Ok():
			done = append(done, p.id)
		case err := <-p.ack.Err():
			errs = append(errs, fmt.Errorf("publish outbox message %d: %w", p.id, err))
		case <-ctx.Done():
			return done, ctx.Err()
		}
	}
	return done, errors.Join(errs...)
}

// subject maps an outbox message to its JetStream subject.
func (r *Relay) subject(m store.OutboxMessage) (string, error) {
	switch m.Kind {
	case store.OutboxJob:
		if err := store.ValidateLane(m.Key); err != nil {
			return "", err
		}
		var job store.Job
		if err := json.Unmarshal(m.Payload, &job); err != nil {
			return "", fmt.Errorf("job payload: %w", err)
		}
		if job.Attempt > 1 {
			return r.q.names.RetrySubject(m.Key), nil
		}
		return r.q.names.JobSubject(m.Key), nil
	case store.OutboxEvent:
		return r.q.names.EventsSubject + "." + m.Key, nil
	default:
		return "", fmt.Errorf("unknown outbox kind %q", m.Kind)
	}
}

// publish sends a batch asynchronously; round.wait collects the outcome.
func (r *Relay) publish(msgs []store.OutboxMessage) *round {
	rd := &round{}
	for _, m := range msgs {
		subj, err := r.subject(m)
		if err != nil {
			// It can never be published; keeping it would clog the outbox's head for ever.
			r.q.log.Error("outbox relay: dropping a message that has no subject", "outbox_id", m.ID, "kind", m.Kind, "key", m.Key, "err", err)
			rd.done = append(rd.done, m.ID)
			continue
		}
		msg := nats.NewMsg(subj)
		msg.Data = m.Payload
		msg.Header.Set(jetstream.MsgIDHeader, m.MsgID)
		if m.Kind == store.OutboxJob {
			if err := r.q.signJob(msg); err != nil {
				r.q.log.Error("outbox relay: dropping a job message that is not a job", "outbox_id", m.ID, "err", err)
				rd.done = append(rd.done, m.ID)
				continue
			}
		}
		f, err := r.q.js.PublishMsgAsync(msg)
		if err != nil {
			rd.err = fmt.Errorf("publish outbox message %d: %w", m.ID, err)
			break
		}
		rd.inflight = append(rd.inflight, pendingAck{m.ID, f})
	}
	return rd
}
