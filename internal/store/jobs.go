package store

import (
	"context"
	"errors"
	"fmt"
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
}

// Claim starts writing a card for a job: queued → plotting, fenced by the job's attempt. It
// returns the card now plotting, or ErrStale (ack the message, take the next) or another error
// (transient: Nak the message so it comes back).
//
// If the card is already plotting under the same attempt and this delivery is a redelivery
// (redelivered: the message's delivery count is above 1), the queue gave the job out again
// because its holder stopped sending in-progress heartbeats (a crash or a lost connection): its
// physical card is spoiled, so Claim marks it spoiled and queues a fresh attempt (or fails the card
// after MaxAttempts), then returns ErrStale: the new attempt arrives as its own job. A first
// delivery finding the card plotting is a duplicate publish of the job (outside the queue's
// de-duplication window), not a lost holder: it is ErrStale and changes nothing.
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
			Cause: CauseClaim, Detail: o.Worker,
		})
		if errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalidTransition) {
			return c, fmt.Errorf("claim %s: %w: %v", job.CardID, ErrStale, err)
		}
		if err != nil {
			return c, fmt.Errorf("claim %s: %w", job.CardID, err)
		}
		return c2, nil
	case c.Status == StatusPlotting && redelivered:
		if _, err := Spoil(ctx, s, job, o, CauseLost, "job redelivered while plotting; taken by "+o.Worker); err != nil && !errors.Is(err, ErrConflict) {
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
	then := StatusQueued
	if o.MaxAttempts > 0 && job.Attempt >= o.MaxAttempts {
		then = StatusFailed
		detail = fmt.Sprintf("%s (attempt %d of %d)", detail, job.Attempt, o.MaxAttempts)
	}
	c, err := s.Transition(ctx, Change{
		CardID: job.CardID, From: StatusPlotting, To: StatusSpoiled, Then: then, Attempt: job.Attempt,
		Cause: cause, Detail: detail,
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
