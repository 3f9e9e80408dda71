package store

import (
	"context"
	"time"
)

// The id prefixes of webhook endpoints, their deliveries (one per endpoint and event) and the
// attempts of a delivery (one per HTTP request, sent as the per-attempt delivery id).
const (
	PrefixWebhook  Prefix = "whk"
	PrefixDelivery Prefix = "dlv"
	PrefixAttempt  Prefix = "att"
)

// Webhook is an account's endpoint that receives card events.
type Webhook struct {
	ID         string   `json:"id"`
	AccountID  string   `json:"account_id"`
	URL        string   `json:"url"`
	EventTypes []string `json:"event_types"` // e.g. "card.written"; "*" for all
	Secret     string   `json:"-"`           // signs the payloads; shown once, at creation
	// Test endpoints (made with a test key) receive the events of test cards only; live
	// endpoints those of live cards only.
	Test      bool      `json:"test"`
	CreatedAt time.Time `json:"created_at"`
}

// Subscribed reports whether the endpoint wants events of the type.
func (w *Webhook) Subscribed(eventType string) bool {
	for _, t := range w.EventTypes {
		if t == "*" || t == eventType {
			return true
		}
	}
	return false
}

// NewWebhook is the input to CreateWebhook. Secret must be set by the caller (the API generates it).
type NewWebhook struct {
	AccountID  string
	URL        string
	EventTypes []string
	Secret     string
	Test       bool
}

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// The delivery statuses.
const (
	DeliveryPending   DeliveryStatus = "pending"   // waiting for its next attempt
	DeliverySucceeded DeliveryStatus = "succeeded" // the endpoint answered 2xx
	DeliveryFailed    DeliveryStatus = "failed"    // gave up after the allowed attempts; can be replayed
)

// Delivery is one event to one endpoint, with its attempts so far.
type Delivery struct {
	ID             string         `json:"id"`
	WebhookID      string         `json:"webhook_id"`
	AccountID      string         `json:"account_id"`
	EventID        string         `json:"event_id"`
	EventType      string         `json:"event_type"`
	CardID         string         `json:"card_id,omitempty"`
	Payload        []byte         `json:"-"` // the envelope JSON, signed as is
	Status         DeliveryStatus `json:"status"`
	Attempts       int            `json:"attempts"`
	NextAttemptAt  time.Time      `json:"next_attempt_at,omitzero"`
	LastStatusCode int            `json:"last_status_code,omitempty"`
	LastError      string         `json:"last_error,omitempty"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

// DeliveryAttempt is one HTTP request of a delivery: the delivery log.
type DeliveryAttempt struct {
	ID         string    `json:"id"` // sent as the per-attempt delivery id
	DeliveryID string    `json:"delivery_id"`
	Attempt    int       `json:"attempt"`
	StatusCode int       `json:"status_code,omitempty"` // 0: no answer (see Error)
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	CreatedAt  time.Time `json:"created_at"`
}

// DeliveryEvent is an event to fan out to the account's endpoints.
type DeliveryEvent struct {
	ID        string // the event id (evt_…): stable across attempts, for de-duplication
	AccountID string
	CardID    string
	Type      string
	CreatedAt time.Time
	Payload   []byte // the envelope JSON
	Test      bool   // the card's: decides whether test or live endpoints receive it
}

// DeliveryFilter selects deliveries for ListDeliveries. Zero fields do not filter.
type DeliveryFilter struct {
	Status DeliveryStatus
	After  string // cursor: the last id of the previous page; newest first
	Limit  int    // default 50, at most 1000
}

// WebhookStore keeps webhook endpoints, deliveries and the delivery log. The SQL stores implement
// it besides Store; the API and the dispatcher find it with a type assertion.
type WebhookStore interface {
	CreateWebhook(ctx context.Context, w NewWebhook) (*Webhook, error)
	GetWebhook(ctx context.Context, accountID, id string) (*Webhook, error)
	ListWebhooks(ctx context.Context, accountID string) ([]*Webhook, error)
	DeleteWebhook(ctx context.Context, accountID, id string) error
	// EnqueueDeliveries adds a pending delivery of the event for each endpoint of its account that
	// subscribes to its type and existed when the event happened. An (endpoint, event) pair that
	// already has a delivery is skipped, so handling an event twice sends it once. It returns how
	// many deliveries it added.
	EnqueueDeliveries(ctx context.Context, ev DeliveryEvent) (int, error)
	// ClaimDeliveries returns up to limit pending deliveries due by now and pushes their next
	// attempt lease into the future, so that another dispatcher does not take them meanwhile.
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*Delivery, error)
	// RecordAttempt logs an attempt and moves its delivery to status (with the next attempt time
	// for DeliveryPending).
	RecordAttempt(ctx context.Context, a DeliveryAttempt, status DeliveryStatus, next time.Time) error
	GetDelivery(ctx context.Context, accountID, id string) (*Delivery, error)
	ListDeliveries(ctx context.Context, accountID, webhookID string, f DeliveryFilter) (ds []*Delivery, next string, err error)
	DeliveryAttempts(ctx context.Context, accountID, deliveryID string) ([]DeliveryAttempt, error)
	// ReplayDeliveries makes failed deliveries of the endpoint pending again, due now: the ones
	// named, or all failed ones when ids is empty. It returns how many it replays.
	ReplayDeliveries(ctx context.Context, accountID, webhookID string, ids []string) (int, error)
}

// ErasureResult says what EraseCards did.
type ErasureResult struct {
	Erased    int // cards whose personal data was wiped
	Cancelled int // of those, cards that were still waiting to be written and were cancelled
	Skipped   int // cards being written right now: retry when they are written
}

// CardOps are card operations of the API beyond Store. The SQL stores implement them.
type CardOps interface {
	// ApproveCard clears a held card's approval_required flag and queues it when its send date is
	// due (otherwise the scheduler queues it then). ErrConflict when the card is not accepted or not
	// waiting for approval.
	ApproveCard(ctx context.Context, accountID, cardID, cause string) (*Card, error)
	// ReleaseCampaign approves every held card of the campaign in one transaction and queues the
	// due ones; it returns how many it queued.
	ReleaseCampaign(ctx context.Context, accountID, campaignID, cause string) (int, error)
	// EraseCards wipes the names, addresses, messages and metadata of the given cards of the
	// account (a person's data, for GDPR erasure), keeping the cards and their events as anonymous
	// counts. Cards not yet written are cancelled first; cards plotting right now are skipped.
	// Idempotency records and webhook payloads of the cards are wiped too.
	EraseCards(ctx context.Context, accountID string, cardIDs []string, cause string) (ErasureResult, error)
}
