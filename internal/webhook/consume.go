package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/store"
)

// ConsumerName is the durable consumer on the EVENTS stream that feeds the dispatchers. Every API
// process's dispatcher pulls through it, so each event is handled by one of them at a time.
const ConsumerName = "webhooks"

// Consume feeds the dispatcher from the queue's EVENTS stream until ctx ends. An event is
// acknowledged once its deliveries are stored; a failure leaves it to be redelivered.
func (d *Dispatcher) Consume(ctx context.Context, q *queue.Queue) error {
	names := q.Names()
	cons, err := q.JetStream().CreateOrUpdateConsumer(ctx, names.EventsStream, jetstream.ConsumerConfig{
		Durable:       ConsumerName,
		Description:   "webhook dispatchers",
		FilterSubject: names.EventsSubject + ".>",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 1000,
	})
	if err != nil {
		return fmt.Errorf("webhook consumer: %w", err)
	}
	for ctx.Err() == nil {
		batch, err := cons.Fetch(100, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			d.log.Warn("webhooks: fetching events failed; retrying", "err", err)
			sleep(ctx, time.Second)
			continue
		}
		for msg := range batch.Messages() {
			var ev store.Event
			if err := json.Unmarshal(msg.Data(), &ev); err != nil || ev.ID == "" {
				d.log.Warn("webhooks: skipping a message that is not an event", "subject", msg.Subject())
				_ = msg.Term()
				continue
			}
			if err := d.HandleEvent(ctx, ev); err != nil {
				d.log.Warn("webhooks: handling an event failed; it comes again", "event", ev.ID, "err", err)
				_ = msg.NakWithDelay(time.Second)
				continue
			}
			_ = msg.Ack()
		}
		if err := batch.Error(); err != nil && ctx.Err() == nil {
			d.log.Debug("webhooks: fetch ended", "err", err)
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
