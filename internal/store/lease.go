package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DefaultLease is how long a claim holds without renewal. A worker renews it every few seconds
// while it writes, so it runs out only when the worker is gone or cut off for longer than this:
// long enough to ride out a short NATS or database outage without spoiling the card, short enough
// that a dead robot's card is requeued well before the queue's own ack wait.
const DefaultLease = 45 * time.Second

// CauseLeaseExpired: the reconciler found a plotting card whose worker stopped renewing its lease.
const CauseLeaseExpired = "lease.expired"

// LeaseStore keeps the leases of plotting cards. A lease is fenced by {card id, attempt}: a worker
// whose attempt was superseded can neither renew it nor record an outcome.
type LeaseStore interface {
	// RenewLease extends the lease of a card plotting at attempt to now+ttl. ErrConflict: the card
	// is no longer plotting at that attempt (the worker must stop claiming it).
	RenewLease(ctx context.Context, cardID string, attempt int, ttl time.Duration) (until time.Time, err error)
	// ExpiredLeases lists up to limit plotting cards whose lease ended before now, oldest first.
	ExpiredLeases(ctx context.Context, now time.Time, limit int) ([]Lease, error)
}

// LeaseRenewer is the part of LeaseStore a worker needs; queue.RemoteCards implements it too.
type LeaseRenewer interface {
	RenewLease(ctx context.Context, cardID string, attempt int, ttl time.Duration) (until time.Time, err error)
}

// Lease is one plotting card's claim.
type Lease struct {
	Job
	Holder string
	Until  time.Time
}

// ReconcileLeases spoils every plotting card whose lease ended before now and queues a fresh
// attempt (at the head of its lane: see queue's retry subjects), or fails the card once
// o.MaxAttempts are used up. Several processes may run it at once: each change is a
// compare-and-set on the card's status, attempt and expired lease, so a card is recovered once and
// a lease renewed meanwhile is left alone. It returns the cards it recovered.
func ReconcileLeases(ctx context.Context, s interface {
	CardStore
	LeaseStore
}, now time.Time, o JobOptions) ([]*Card, error) {
	var out []*Card
	for {
		leases, err := s.ExpiredLeases(ctx, now, 100)
		if err != nil {
			return out, fmt.Errorf("reconcile leases: %w", err)
		}
		done := 0
		for _, l := range leases {
			c, err := spoilExpired(ctx, s, l, now, o)
			if errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalidTransition) {
				continue // renewed, recorded or recovered by someone else meanwhile
			}
			if err != nil {
				return out, fmt.Errorf("reconcile leases: %w", err)
			}
			done++
			out = append(out, c)
		}
		if len(leases) < 100 || done == 0 {
			return out, nil
		}
	}
}

func spoilExpired(ctx context.Context, s CardStore, l Lease, now time.Time, o JobOptions) (*Card, error) {
	then := thenAfterSpoil(l.Attempt, o)
	detail := fmt.Sprintf("the lease of %s ran out at %s without renewal; its blank is spoiled", l.Holder, l.Until.UTC().Format(time.RFC3339))
	if then == StatusFailed {
		detail = fmt.Sprintf("%s (attempt %d of %d)", detail, l.Attempt, o.MaxAttempts)
	}
	return s.Transition(ctx, Change{
		CardID: l.CardID, From: StatusPlotting, To: StatusSpoiled, Then: then, Attempt: l.Attempt,
		Cause: CauseLeaseExpired, Detail: detail, Worker: o.Worker, LeaseExpiredBy: now,
	})
}

// Reconciler runs ReconcileLeases at start and then every interval until ctx ends.
func Reconciler(ctx context.Context, s interface {
	CardStore
	LeaseStore
}, interval time.Duration, o JobOptions, recovered func([]*Card), logf func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		cs, err := ReconcileLeases(ctx, s, time.Now(), o)
		if err != nil && ctx.Err() == nil && logf != nil {
			logf(err)
		}
		if len(cs) > 0 && recovered != nil {
			recovered(cs)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
