package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/quillpost/quillpost/internal/store"
)

// Options tune delivery. Zero fields take the defaults.
type Options struct {
	// BackoffBase is the wait after the first failed attempt; each further failure doubles it.
	// Default 30 s.
	BackoffBase time.Duration
	// BackoffMax caps the wait between attempts. Default 6 h.
	BackoffMax time.Duration
	// MaxAttempts after which a delivery fails (and waits for a replay). Default 12: with the
	// defaults, retries span about a day and a half.
	MaxAttempts int
	// Timeout of one HTTP request. Default 10 s.
	Timeout time.Duration
	// Concurrency is how many requests are in flight at once. Default 8.
	Concurrency int
	// Poll is how often due deliveries are looked for when nothing new arrived. Default 1 s.
	Poll time.Duration
	// Client sends the requests; default NewClient(AllowPrivate).
	Client *http.Client
	// AllowPrivate lets webhooks reach loopback, private and reserved addresses: for local
	// development only (serve --allow-private-webhooks).
	AllowPrivate bool
}

func (o Options) withDefaults() Options {
	if o.BackoffBase <= 0 {
		o.BackoffBase = 30 * time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 6 * time.Hour
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 12
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Client == nil {
		o.Client = NewClient(o.AllowPrivate)
	}
	return o
}

// Backoff is the wait after the n-th failed attempt (n from 1): base·2^(n-1), capped at max, less
// up to a tenth at random so that endpoints coming back are not hit by every retry at once.
func Backoff(n int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	return d - time.Duration(rand.Int64N(int64(d)/10+1))
}

// Stores is what the dispatcher reads and writes.
type Stores interface {
	GetCard(ctx context.Context, accountID, id string) (*store.Card, error)
	store.WebhookStore
}

// Dispatcher turns events into deliveries and sends them.
type Dispatcher struct {
	st   Stores
	o    Options
	log  *slog.Logger
	kick chan struct{}
}

// New returns a dispatcher; start it with Run (and feed it with Consume or HandleEvent).
func New(st Stores, o Options, log *slog.Logger) *Dispatcher {
	if log == nil {
		log = slog.Default()
	}
	return &Dispatcher{st: st, o: o.withDefaults(), log: log, kick: make(chan struct{}, 1)}
}

// Kick makes Run look for due deliveries at once (after a replay, or new deliveries).
func (d *Dispatcher) Kick() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// HandleEvent fans a stored event out to the endpoints subscribed to it. Handling the same event
// again adds nothing, so at-least-once event sources are fine.
func (d *Dispatcher) HandleEvent(ctx context.Context, ev store.Event) error {
	// Most accounts have no endpoint for most events (every card makes two or more): then the
	// card is not read for a payload nobody gets. EnqueueDeliveries judges the same way (and by
	// test or live, which needs the card).
	hooks, err := d.st.ListWebhooks(ctx, ev.AccountID)
	if err != nil {
		return fmt.Errorf("event %s: %w", ev.ID, err)
	}
	if !anySubscribed(hooks, EventType(ev.To), ev.CreatedAt) {
		return nil
	}
	card, err := d.st.GetCard(ctx, store.AnyAccount, ev.CardID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("event %s: %w", ev.ID, err)
	}
	if card != nil && card.Message == "" {
		card.Metadata = nil // erased meanwhile: the person's data is gone
	}
	payload, err := NewEnvelope(ev, card)
	if err != nil {
		return err
	}
	n, err := d.st.EnqueueDeliveries(ctx, store.DeliveryEvent{ID: ev.ID, AccountID: ev.AccountID, CardID: ev.CardID,
		Type: EventType(ev.To), CreatedAt: ev.CreatedAt, Payload: payload, Test: card != nil && card.Test})
	if err != nil {
		return err
	}
	if n > 0 {
		d.Kick()
	}
	return nil
}

// anySubscribed reports whether one of hooks subscribes to eventType and existed at the event's
// time (unknown when zero).
func anySubscribed(hooks []*store.Webhook, eventType string, at time.Time) bool {
	for _, w := range hooks {
		if w.Subscribed(eventType) && (at.IsZero() || !at.Before(w.CreatedAt)) {
			return true
		}
	}
	return false
}

// Run sends due deliveries until ctx ends, then returns nil.
func (d *Dispatcher) Run(ctx context.Context) error {
	t := time.NewTicker(d.o.Poll)
	defer t.Stop()
	for {
		for {
			n, err := d.DeliverDue(ctx)
			if err != nil && ctx.Err() == nil {
				d.log.Warn("webhooks: delivering failed; retrying", "err", err)
			}
			if n == 0 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-d.kick:
		}
	}
}

// DeliverDue sends the deliveries that are due now, at most one batch, and returns how many it
// attempted.
func (d *Dispatcher) DeliverDue(ctx context.Context) (int, error) {
	batch := 4 * d.o.Concurrency
	// The lease outlasts every attempt of the batch, so no other dispatcher sends them meanwhile.
	lease := d.o.Timeout*time.Duration(batch/d.o.Concurrency+1) + time.Minute
	ds, err := d.st.ClaimDeliveries(ctx, time.Now(), lease, batch)
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	sem := make(chan struct{}, d.o.Concurrency)
	var wg sync.WaitGroup
	for _, dl := range ds {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			d.attempt(ctx, dl)
		}()
	}
	wg.Wait()
	return len(ds), nil
}

// attempt sends one delivery once and records the outcome.
func (d *Dispatcher) attempt(ctx context.Context, dl *store.Delivery) {
	hook, err := d.st.GetWebhook(ctx, dl.AccountID, dl.WebhookID)
	a := store.DeliveryAttempt{ID: store.NewID(store.PrefixAttempt), DeliveryID: dl.ID, Attempt: dl.Attempts + 1, CreatedAt: time.Now().UTC()}
	if errors.Is(err, store.ErrNotFound) {
		a.Error = "the webhook was deleted"
		d.record(ctx, a, store.DeliveryFailed, time.Time{})
		return
	}
	if err != nil {
		d.log.Warn("webhooks: reading the endpoint failed", "delivery", dl.ID, "err", err)
		return // the lease runs out and the delivery is tried again
	}
	start := time.Now()
	a.StatusCode, a.Error = d.send(ctx, hook, dl, a.ID)
	a.DurationMS = time.Since(start).Milliseconds()
	if ctx.Err() != nil {
		return // shutting down: not the endpoint's fault; the lease runs out and it is sent again
	}
	switch {
	case a.Error == "" && a.StatusCode >= 200 && a.StatusCode < 300:
		d.record(ctx, a, store.DeliverySucceeded, time.Time{})
	case a.Attempt >= d.o.MaxAttempts:
		d.log.Warn("webhooks: delivery failed for good", "delivery", dl.ID, "event", dl.EventID, "attempts", a.Attempt)
		d.record(ctx, a, store.DeliveryFailed, time.Time{})
	default:
		d.record(ctx, a, store.DeliveryPending, time.Now().Add(Backoff(a.Attempt, d.o.BackoffBase, d.o.BackoffMax)))
	}
}

func (d *Dispatcher) record(ctx context.Context, a store.DeliveryAttempt, status store.DeliveryStatus, next time.Time) {
	if err := d.st.RecordAttempt(ctx, a, status, next); err != nil {
		d.log.Warn("webhooks: recording an attempt failed", "delivery", a.DeliveryID, "err", err)
	}
}

// send makes the HTTP request and returns the status code, or an error text when there was no
// usable answer.
func (d *Dispatcher) send(ctx context.Context, hook *store.Webhook, dl *store.Delivery, attemptID string) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(dl.Payload))
	if err != nil {
		return 0, "the webhook URL is not usable"
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "quillpost-webhooks/1")
	req.Header.Set(HeaderEventID, dl.EventID)
	req.Header.Set(HeaderEventType, dl.EventType)
	req.Header.Set(HeaderDeliveryID, attemptID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(hook.Secret, ts, dl.Payload))
	resp, err := d.o.Client.Do(req)
	if err != nil {
		d.log.Info("webhooks: delivery attempt failed", "delivery", dl.ID, "err", err)
		return 0, describeError(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return resp.StatusCode, "the endpoint answered " + resp.Status
	}
	return resp.StatusCode, ""
}
