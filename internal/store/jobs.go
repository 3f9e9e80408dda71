package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrStale says a job no longer matches its card: the card was cancelled or finished, a newer
// attempt superseded the job, or the job's previous holder was lost and a fresh attempt has just
// been queued. The worker acknowledges the message and takes the next one.
var ErrStale = errors.New("stale job")

// Causes used by the job helpers (Event.Cause).
const (
	CauseClaim         = "worker.claim" // a worker took the job and starts writing
	CauseLost          = "worker.lost"  // the job came back while the card was plotting: its worker died
	CauseMaxDeliveries = "queue.max_deliveries"
)

// JobOptions are a worker's settings for Claim and Spoil.
type JobOptions struct {
	Worker      string // the worker's name, recorded in event details
	MaxAttempts int    // physical cards to try before the card fails; 0 means no limit
	// Lease is how long a claim holds without renewal (0: DefaultLease); see LeaseStore.
	Lease time.Duration
}

// Claim starts writing a card for a job: queued → plotting, fenced by the job's attempt, with a
// lease of o.Lease that the worker renews while it writes (LeaseRenewer). It returns the card now
// plotting, or ErrStale (ack the message, take the next) or another error (transient: Nak the
// message so it comes back).
//
// A card already plotting under the same attempt is held by a worker. If that worker's lease ran
// out, it is gone: its physical card is spoiled, so Claim marks it spoiled and queues a fresh attempt
// (or fails the card after MaxAttempts) exactly as the reconciler would, and returns ErrStale: the new
// attempt arrives as its own job. If the lease still holds, the delivery is a duplicate (a
// redelivery while the holder was cut off from NATS, or a publish outside the de-duplication
// window): ErrStale, nothing changes. redelivered only goes into the event's detail; the decision
// rests on the lease, never on the queue's redelivery flag, which a crashed server can lose.
func Claim(ctx context.Context, s CardStore, job Job, redelivered bool, o JobOptions) (*Card, error) {
	c, err := s.GetCard(ctx, AnyAccount, job.CardID)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("claim %s: %w: no such card", job.CardID, ErrStale)
	}
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", job.CardID, err)
	}
	if c.Attempts != job.Attempt {
		return c, fmt.Errorf("claim %s: %w: job attempt %d, card at attempt %d", job.CardID, ErrStale, job.Attempt, c.Attempts)
	}
	switch {
	case c.Status == StatusQueued:
		c2, err := s.Transition(ctx, Change{
			CardID: job.CardID, From: StatusQueued, To: StatusPlotting, Attempt: job.Attempt,
			Cause: CauseClaim, Detail: o.Worker, Worker: o.Worker, Lease: o.Lease,
		})
		if errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalidTransition) {
			return c, fmt.Errorf("claim %s: %w: %v", job.CardID, ErrStale, err)
		}
		if err != nil {
			return c, fmt.Errorf("claim %s: %w", job.CardID, err)
		}
		return c2, nil
	case c.Status == StatusPlotting:
		now := time.Now()
		if !c.LeaseUntil.Before(now) {
			return c, fmt.Errorf("claim %s: %w: %s holds it until %s", job.CardID, ErrStale, c.LeaseHolder, c.LeaseUntil.Format(time.RFC3339))
		}
		how := "job delivered again"
		if !redelivered {
			how = "job delivered"
		}
		_, err := s.Transition(ctx, Change{
			CardID: job.CardID, From: StatusPlotting, To: StatusSpoiled, Then: thenAfterSpoil(job.Attempt, o), Attempt: job.Attempt,
			Cause: CauseLost, Detail: fmt.Sprintf("%s while %s's lease had run out; taken by %s", how, c.LeaseHolder, o.Worker),
			Worker: o.Worker, LeaseExpiredBy: now,
		})
		if err != nil && !errors.Is(err, ErrConflict) {
			return c, fmt.Errorf("claim %s: %w", job.CardID, err)
		}
		return c, fmt.Errorf("claim %s: %w: previous holder lost, card spoiled", job.CardID, ErrStale)
	default:
		return c, fmt.Errorf("claim %s: %w: card is %s", job.CardID, ErrStale, c.Status)
	}
}

// Spoil records that the physical card of a job's attempt was spoiled (a fault mid-card) and, in
// the same transaction, queues a fresh attempt, or fails the card once job.Attempt reached
// o.MaxAttempts. The worker acknowledges the job message afterwards: the fresh attempt is a new
// job. ErrConflict means the job was no longer the card's current attempt.
func Spoil(ctx context.Context, s CardStore, job Job, o JobOptions, cause, detail string) (*Card, error) {
	then := thenAfterSpoil(job.Attempt, o)
	if then == StatusFailed {
		detail = fmt.Sprintf("%s (attempt %d of %d)", detail, job.Attempt, o.MaxAttempts)
	}
	c, err := s.Transition(ctx, Change{
		CardID: job.CardID, From: StatusPlotting, To: StatusSpoiled, Then: then, Attempt: job.Attempt,
		Cause: cause, Detail: detail, Worker: o.Worker,
	})
	if err != nil {
		return nil, fmt.Errorf("spoil %s: %w", job.CardID, err)
	}
	return c, nil
}

// FailJob marks a job's card failed because the queue gave up on the job (it reached its maximum
// deliveries without being acknowledged). A card that was plotting passes through spoiled, since
// its physical card was abandoned. A job that is no longer the card's current attempt, or a card
// that is done, is ErrStale: nothing to do.
func FailJob(ctx context.Context, s CardStore, job Job, cause, detail string) (*Card, error) {
	c, err := s.GetCard(ctx, AnyAccount, job.CardID)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("fail %s: %w: no such card", job.CardID, ErrStale)
	}
	if err != nil {
		return nil, fmt.Errorf("fail %s: %w", job.CardID, err)
	}
	if c.Attempts != job.Attempt {
		return c, fmt.Errorf("fail %s: %w: job attempt %d, card at attempt %d", job.CardID, ErrStale, job.Attempt, c.Attempts)
	}
	ch := Change{CardID: job.CardID, From: c.Status, To: StatusFailed, Attempt: job.Attempt, Cause: cause, Detail: detail}
	switch c.Status {
	case StatusQueued:
	case StatusPlotting:
		ch.To, ch.Then = StatusSpoiled, StatusFailed
	default:
		return c, fmt.Errorf("fail %s: %w: card is %s", job.CardID, ErrStale, c.Status)
	}
	c, err = s.Transition(ctx, ch)
	if err != nil {
		return nil, fmt.Errorf("fail %s: %w", job.CardID, err)
	}
	return c, nil
}

// thenAfterSpoil is where a spoiled card goes: a fresh attempt, or failed once the attempts are used.
func thenAfterSpoil(attempt int, o JobOptions) Status {
	if o.MaxAttempts > 0 && attempt >= o.MaxAttempts {
		return StatusFailed
	}
	return StatusQueued
}

// Causes of operators' recovery actions.
const (
	CauseOperatorRetry  = "operator.retry"
	CauseOperatorCancel = "operator.cancel"
)

// OperatorRetry gives a card a fresh attempt from any status an operator may need to recover it
// from: failed or spoiled; queued (its job may be lost: the new attempt is a new job and fences
// the old one); plotting (stuck, or its robot is known to be gone: the blank under the pen is
// spoiled and the holder fenced off). A held card (accepted) is approved, not retried; a finished
// or cancelled one cannot be. The change is a compare-and-set on the status and attempt seen.
func OperatorRetry(ctx context.Context, s CardStore, cardID, who string) (*Card, error) {
	c, err := s.GetCard(ctx, AnyAccount, cardID)
	if err != nil {
		return nil, fmt.Errorf("retry %s: %w", cardID, err)
	}
	ch := Change{CardID: cardID, From: c.Status, To: StatusQueued, Attempt: c.Attempts, Cause: CauseOperatorRetry, Detail: who}
	switch c.Status {
	case StatusFailed, StatusSpoiled, StatusQueued:
	case StatusPlotting:
		ch.To, ch.Then, ch.Detail = StatusSpoiled, StatusQueued, who+": retried while plotting; the blank under the pen is spoiled"
	default:
		return c, fmt.Errorf("retry %s: %w", cardID, &TransitionError{CardID: cardID, From: c.Status, To: StatusQueued})
	}
	out, err := s.Transition(ctx, ch)
	if err != nil {
		return nil, fmt.Errorf("retry %s: %w", cardID, err)
	}
	return out, nil
}

// OperatorCancel cancels a card in any status that is not final. A card being written passes
// through spoiled (its blank is discarded) and its worker, fenced off, stops at its next lease
// renewal.
func OperatorCancel(ctx context.Context, s CardStore, cardID, who string) (*Card, error) {
	c, err := s.GetCard(ctx, AnyAccount, cardID)
	if err != nil {
		return nil, fmt.Errorf("cancel %s: %w", cardID, err)
	}
	ch := Change{CardID: cardID, From: c.Status, To: StatusCancelled, Attempt: c.Attempts, Cause: CauseOperatorCancel, Detail: who}
	if c.Status == StatusPlotting {
		ch.To, ch.Then, ch.Detail = StatusSpoiled, StatusCancelled, who+": cancelled while plotting; the blank under the pen is spoiled"
	}
	out, err := s.Transition(ctx, ch)
	if err != nil {
		return nil, fmt.Errorf("cancel %s: %w", cardID, err)
	}
	return out, nil
}
