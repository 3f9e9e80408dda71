package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/store"
)

// ConsumerName is the durable consumer on the EVENTS stream that all processes share, so that
// each event is counted by exactly one of them.
const ConsumerName = "metrics"

// EventReader is what the counters need from the store: a card (for its lane) and its history
// (for the plot duration).
type EventReader interface {
	GetCard(ctx context.Context, accountID, id string) (*store.Card, error)
	Events(ctx context.Context, accountID, cardID string) ([]store.Event, error)
}

// laneReader is a store that reads a card's lane alone, without the rest of the card (the SQL
// stores do): every accepted card is counted by lane.
type laneReader interface {
	CardLane(ctx context.Context, id string) (string, error)
}

// Attach makes the shared durable consumer. It delivers only events published after its first
// creation, so a process calls Attach before it accepts the first order: an event published before
// the consumer exists would never be counted.
func (m *Metrics) Attach(ctx context.Context, q *queue.Queue) error {
	n := q.Names()
	cons, err := q.JetStream().CreateOrUpdateConsumer(ctx, n.EventsStream, jetstream.ConsumerConfig{
		Durable:       ConsumerName,
		Description:   "quillpost /metrics counters: each event is counted by one process",
		FilterSubject: n.EventsSubject + ".>",
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverNewPolicy,
		AckWait:       30 * time.Second,
		MaxAckPending: 1000,
	})
	if err != nil {
		return fmt.Errorf("metrics consumer: %w", err)
	}
	m.mu.Lock()
	m.cons = cons
	m.mu.Unlock()
	return nil
}

// Run counts card events from the shared durable consumer until ctx ends, attaching first if
// Attach was not called or failed.
func (m *Metrics) Run(ctx context.Context, q *queue.Queue, st EventReader) error {
	m.mu.Lock()
	cons := m.cons
	m.mu.Unlock()
	if cons == nil {
		if err := m.Attach(ctx, q); err != nil {
			return err
		}
		m.mu.Lock()
		cons = m.cons
		m.mu.Unlock()
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		var e store.Event
		if err := json.Unmarshal(msg.Data(), &e); err == nil {
			m.Count(ctx, e, st)
		}
		_ = msg.Ack()
	})
	if err != nil {
		return fmt.Errorf("metrics consumer: %w", err)
	}
	<-ctx.Done()
	cc.Stop()
	return nil
}

// Count adds one card event to the counters. st may be nil (no lane label, no plot duration).
func (m *Metrics) Count(ctx context.Context, e store.Event, st EventReader) {
	m.eventsCounted.Inc()
	switch e.To {
	case store.StatusAccepted:
		lane := "unknown"
		if lr, ok := st.(laneReader); ok {
			if l, err := lr.CardLane(ctx, e.CardID); err == nil {
				lane = l
			}
		} else if st != nil {
			if c, err := st.GetCard(ctx, store.AnyAccount, e.CardID); err == nil {
				lane = c.Lane()
			}
		}
		m.ordersAccepted.WithLabelValues(lane).Inc()
	case store.StatusWritten:
		m.cardsWritten.WithLabelValues(workerOf(e.Detail)).Inc()
		if st != nil {
			if d, err := plotDuration(ctx, st, e); err == nil {
				m.plotSeconds.Observe(d.Seconds())
			}
		}
	case store.StatusSpoiled:
		m.cardsSpoiled.WithLabelValues(e.Cause).Inc()
		if e.Cause == "worker.fault" {
			m.serialErrors.WithLabelValues(workerOf(e.Detail)).Inc()
		}
	case store.StatusFailed:
		m.cardsFailed.WithLabelValues(e.Cause).Inc()
	}
}

// workerOf takes the robot's name from an event detail: workers write "<name>" or "<name>: why".
func workerOf(detail string) string {
	name, _, _ := strings.Cut(detail, ":")
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, " \t") || len(name) > 64 {
		return "unknown"
	}
	return name
}

// plotDuration is the time from the claim of the written attempt to the written event.
func plotDuration(ctx context.Context, st EventReader, written store.Event) (time.Duration, error) {
	events, err := st.Events(ctx, store.AnyAccount, written.CardID)
	if err != nil {
		return 0, err
	}
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		if e.To == store.StatusPlotting && e.Attempt == written.Attempt && !e.CreatedAt.After(written.CreatedAt) {
			return written.CreatedAt.Sub(e.CreatedAt), nil
		}
	}
	return 0, errors.New("no claim event")
}
