package intake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/quillpost/quillpost/internal/calendar"
	"github.com/quillpost/quillpost/internal/clock"
	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/webhook"
)

// BackgroundOptions tune RunBackground's schedulers; zero values take the defaults.
type BackgroundOptions struct {
	Clock    clock.Clock            // nil: the wall clock
	Transit  *calendar.TransitTable // postal transit times of occasion cards; nil: calendar.DefaultTransit
	OnQueued func()                 // wakes the outbox relay after occasion cards were queued
}

// RunBackground does the API's work that no request waits for, until ctx ends: the webhook
// dispatcher, fed by the queue's EVENTS stream, the scheduler that queues cards whose send date
// has come, and the occasion scheduler. Every API process may run it; all are safe to run several
// times over one database and queue.
func RunBackground(ctx context.Context, st store.Store, q *queue.Queue, o webhook.Options, log *slog.Logger, opts ...BackgroundOptions) error {
	var bo BackgroundOptions
	if len(opts) > 0 {
		bo = opts[0]
	}
	if log == nil {
		log = slog.Default()
	}
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	run := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	if ws, ok := st.(webhook.Stores); ok {
		d := webhook.New(ws, o, log.With("component", "webhooks"))
		run("webhook dispatcher", d.Run)
		run("webhook events", func(ctx context.Context) error { return d.Consume(ctx, q) })
	}
	run("scheduler", func(ctx context.Context) error { return RunScheduler(ctx, st, bo.Clock, 15*time.Second, log) })
	occ := &OccasionScheduler{Store: st, Clock: bo.Clock, Transit: bo.Transit, Log: log.With("component", "occasions"), OnQueued: bo.OnQueued}
	run("occasions", func(ctx context.Context) error { return occ.Run(ctx, 10*time.Minute) })
	wg.Wait()
	close(errc)
	return <-errc
}

// RunScheduler queues accepted cards whose send date has come (and that wait for no approval)
// every interval of clk until ctx ends. It also deletes expired operator sessions. The time comes
// from clk, so a test can move it (clock.Manual) instead of waiting.
func RunScheduler(ctx context.Context, st store.Store, clk clock.Clock, interval time.Duration, log *slog.Logger) error {
	clk = clock.Or(clk)
	for {
		if _, err := QueueDue(ctx, st, clk.Now()); err != nil && ctx.Err() == nil {
			log.Warn("scheduler: queueing due cards failed; retrying", "err", err)
		}
		if ss, ok := st.(store.SessionStore); ok {
			if _, err := ss.PruneSessions(ctx, clk.Now()); err != nil && ctx.Err() == nil {
				log.Warn("scheduler: pruning expired sessions failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-clk.After(interval):
		}
	}
}

// QueueDue queues the due cards once and returns how many it queued. Cards of a paused campaign
// wait until it is resumed.
func QueueDue(ctx context.Context, st store.Store, now time.Time) (int, error) {
	n := 0
	f := store.CardFilter{Statuses: []store.Status{store.StatusAccepted}, DueBy: now, Limit: 500}
	paused := map[string]bool{}
	for {
		page, err := st.ListCards(ctx, store.AnyAccount, f)
		if err != nil {
			return n, err
		}
		for _, c := range page.Cards {
			if c.ApprovalRequired {
				continue
			}
			if c.CampaignID != "" {
				p, seen := paused[c.CampaignID]
				if !seen {
					cmp, err := st.GetCampaign(ctx, store.AnyAccount, c.CampaignID)
					if err != nil {
						return n, err
					}
					p = cmp.State == campaignPaused
					paused[c.CampaignID] = p
				}
				if p {
					continue
				}
			}
			_, err := st.Transition(ctx, store.Change{CardID: c.ID, AccountID: store.AnyAccount, From: store.StatusAccepted,
				To: store.StatusQueued, Cause: "schedule.send_date"})
			if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrInvalidTransition) {
				continue // another scheduler, or the customer, was quicker
			}
			if err != nil {
				return n, err
			}
			n++
		}
		if page.Next == "" {
			return n, nil
		}
		f.After = page.Next
	}
}
