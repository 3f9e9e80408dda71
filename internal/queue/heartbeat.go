package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// WorkerState is what a plotter worker is doing.
type WorkerState string

// The worker states.
const (
	StateIdle     WorkerState = "idle"             // connected, no job
	StateWaiting  WorkerState = "waiting-for-card" // holds a job, waits for the operator to load a blank card
	StatePlotting WorkerState = "plotting"         // writing; Progress says how far
	StatePaused   WorkerState = "paused"           // stopped by the operator
	StateError    WorkerState = "error"            // needs attention; Error says why
	// StateSetup: needs a human to set the robot up. The controller's settings disagree with the
	// firmware profile (Error names each setting and the value to set), or its origin is not set;
	// the robot takes no job and touches no blank until the firmware handshake passes.
	StateSetup   WorkerState = "needs-setup"
	StateOffline WorkerState = "offline" // shut down (or its heartbeat was deleted)
)

// Heartbeat is a worker's latest report in the workers bucket, keyed by worker name.
type Heartbeat struct {
	Worker        string      `json:"worker"`
	Lane          string      `json:"lane"`
	Profile       string      `json:"profile,omitempty"`
	State         WorkerState `json:"state"`
	CardID        string      `json:"card_id,omitempty"`
	Progress      float64     `json:"progress"` // percent of the current card, 0-100
	CardsWritten  int         `json:"cards_written"`
	PenDownMetres float64     `json:"pen_down_m"` // since the last pen change
	Error         string      `json:"error,omitempty"`
	UpdatedAt     time.Time   `json:"updated_at"`
}

// Stale reports whether the heartbeat is older than after at now: the worker is gone without
// saying so (a dashboard shows it as offline).
func (h Heartbeat) Stale(now time.Time, after time.Duration) bool {
	return now.Sub(h.UpdatedAt) > after
}

// validWorkerName keeps names usable as KV keys.
func validWorkerName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("worker name must have 1 to 64 characters, got %q", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("worker name %q may use only letters, digits, '-' and '_'", name)
		}
	}
	return nil
}

// PutHeartbeat stores the worker's heartbeat, stamping UpdatedAt if it is zero.
func (q *Queue) PutHeartbeat(ctx context.Context, h Heartbeat) error {
	if err := validWorkerName(h.Worker); err != nil {
		return err
	}
	if h.UpdatedAt.IsZero() {
		h.UpdatedAt = time.Now().UTC()
	}
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if _, err := q.kv.Put(ctx, h.Worker, b); err != nil {
		return fmt.Errorf("heartbeat of %s: %w", h.Worker, err)
	}
	return nil
}

// Heartbeat returns one worker's latest heartbeat; an unknown worker is jetstream.ErrKeyNotFound.
func (q *Queue) Heartbeat(ctx context.Context, worker string) (Heartbeat, error) {
	if err := validWorkerName(worker); err != nil {
		return Heartbeat{}, err
	}
	e, err := q.kv.Get(ctx, worker)
	if err != nil {
		return Heartbeat{}, fmt.Errorf("heartbeat of %s: %w", worker, err)
	}
	var h Heartbeat
	if err := json.Unmarshal(e.Value(), &h); err != nil {
		return Heartbeat{}, fmt.Errorf("heartbeat of %s: %w", worker, err)
	}
	return h, nil
}

// Heartbeats returns every worker's latest heartbeat, sorted by worker name.
func (q *Queue) Heartbeats(ctx context.Context) ([]Heartbeat, error) {
	w, err := q.kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("heartbeats: %w", err)
	}
	defer w.Stop()
	var out []Heartbeat
	for {
		select {
		case e := <-w.Updates():
			if e == nil { // end of the current values
				return out, nil
			}
			var h Heartbeat
			if err := json.Unmarshal(e.Value(), &h); err != nil {
				q.log.Warn("skipping a malformed heartbeat", "key", e.Key(), "err", err)
				continue
			}
			out = append(out, h)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// WatchHeartbeats sends every worker's current heartbeat and then each new one until ctx ends,
// when the channel closes. A deleted key arrives as an offline heartbeat for that worker.
func (q *Queue) WatchHeartbeats(ctx context.Context) (<-chan Heartbeat, error) {
	w, err := q.kv.WatchAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("watch heartbeats: %w", err)
	}
	out := make(chan Heartbeat, 16)
	go func() {
		defer close(out)
		defer w.Stop()
		for {
			var e jetstream.KeyValueEntry
			select {
			case <-ctx.Done():
				return
			case e = <-w.Updates():
			}
			if e == nil {
				continue // the marker between current values and updates
			}
			var h Heartbeat
			if e.Operation() != jetstream.KeyValuePut {
				h = Heartbeat{Worker: e.Key(), State: StateOffline, UpdatedAt: e.Created()}
			} else if err := json.Unmarshal(e.Value(), &h); err != nil {
				q.log.Warn("skipping a malformed heartbeat", "key", e.Key(), "err", err)
				continue
			}
			select {
			case out <- h:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// DeleteHeartbeat removes a worker from the bucket (an operator retiring a robot).
func (q *Queue) DeleteHeartbeat(ctx context.Context, worker string) error {
	if err := q.kv.Delete(ctx, worker); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("delete heartbeat of %s: %w", worker, err)
	}
	return nil
}
