// Package store keeps quillpost's truth: accounts and API keys, campaigns, cards with their status
// history (events), idempotency records and the outbox of messages still to publish. It defines the
// Store interface and the types; internal/store/sqlite and internal/store/postgres implement it with
// one shared SQL engine (internal/store/sqlstore), and internal/store/storetest is the suite both pass.
//
// Rules every implementation keeps:
//   - A card's status changes only through Store.Transition, which checks the transition table and
//     does compare-and-set in SQL, inserting the event in the same transaction. Losing the race is
//     ErrConflict, so no two workers can both write a card.
//   - Every entry into StatusQueued (creation, approval, a spoiled or released card, an operator's
//     retry) adds one job to the outbox in the same transaction and numbers it: the card's Attempts
//     becomes the job's Attempt. Every event also goes to the outbox. A crash between commit and
//     publish therefore never loses a job; the queue's relay publishes the outbox.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// Errors the implementations return (wrapped with context; test with errors.Is).
var (
	// ErrNotFound: no such record, or it belongs to another account (so ids don't leak).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the record changed under us (compare-and-set lost), or the expected status or
	// attempt did not match. The caller lost a race and must re-read.
	ErrConflict = errors.New("conflict")
	// ErrInvalidTransition: the status change is not in the transition table (*TransitionError).
	ErrInvalidTransition = errors.New("invalid status transition")
	// ErrDuplicate: a unique name or idempotency key is already taken.
	ErrDuplicate = errors.New("duplicate")
	// ErrUnauthorized: an API key that is malformed, unknown or revoked.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrInvalid: the input breaks a storage rule (missing account, bad stock name, ...).
	ErrInvalid = errors.New("invalid input")
)

// AnyAccount, passed where a method takes an account id, lifts the account scope. Only workers and
// operator endpoints may pass it; customer-facing code always passes the caller's account id.
const AnyAccount = ""

// Store is what the API, the worker and the outbox relay need from the database. Methods are safe
// for concurrent use, also from several processes sharing one database.
type Store interface {
	// Accounts and API keys.
	CreateAccount(ctx context.Context, name string) (*Account, error) // ErrDuplicate if the name is taken
	GetAccount(ctx context.Context, id string) (*Account, error)
	AccountByName(ctx context.Context, name string) (*Account, error)
	// CreateKey makes a new key; the secret is returned once and only its SHA-256 is stored.
	CreateKey(ctx context.Context, accountID string, kind KeyKind) (secret string, key *APIKey, err error)
	// Authenticate resolves a bearer secret to its account and key, or ErrUnauthorized.
	Authenticate(ctx context.Context, secret string) (*Principal, error)
	RevokeKey(ctx context.Context, accountID, keyID string) error

	// Campaigns.
	CreateCampaign(ctx context.Context, c NewCampaign) (*Campaign, error)
	GetCampaign(ctx context.Context, accountID, id string) (*Campaign, error)
	// UpdateCampaign reads the campaign, lets fn change Name, State and Spec, and writes it back in
	// one transaction. An error from fn aborts the update and is returned as is.
	UpdateCampaign(ctx context.Context, accountID, id string, fn func(*Campaign) error) (*Campaign, error)
	// CampaignCounts counts the campaign's cards by status (statuses without cards are absent).
	CampaignCounts(ctx context.Context, accountID, id string) (map[Status]int, error)

	// Cards.
	// CreateCard stores the card, its events and (unless held) its first job in one transaction.
	// If NewCard.IdempotencyKey was used before by the account, it returns the existing card and
	// an error matching ErrDuplicate.
	CreateCard(ctx context.Context, c NewCard) (*Card, error)
	// CreateCards is CreateCard for many cards in one transaction: all are stored or none.
	CreateCards(ctx context.Context, cs []NewCard) ([]*Card, error)
	// CreateCardsOnce is CreateCards for cards that each carry an idempotency key: a card whose
	// key the account already used for a card of the same campaign is not created again, and the
	// stored card is returned in its place (a key used outside the campaign is ErrDuplicate).
	// An upload written in several transactions is thus completed, not doubled, by a retry.
	CreateCardsOnce(ctx context.Context, cs []NewCard) ([]*Card, error)
	GetCard(ctx context.Context, accountID, id string) (*Card, error)
	ListCards(ctx context.Context, accountID string, f CardFilter) (*CardPage, error)
	// Events returns the card's history, oldest first.
	Events(ctx context.Context, accountID, cardID string) ([]Event, error)
	// Transition is the one way a card's status changes; see Change.
	Transition(ctx context.Context, ch Change) (*Card, error)

	// Idempotency records (API request replay).
	// BeginIdempotent claims (account, key) for a request with the given body hash. fresh is true
	// when the caller owns the key now and must process the request, then FinishIdempotent or
	// AbandonIdempotent. Otherwise rec is the earlier record: compare RequestHash (reuse with another
	// body), and replay it when Done (else the first request is still in flight). A pending record
	// older than staleAfter with the same hash is taken over (its request crashed).
	BeginIdempotent(ctx context.Context, accountID, key, requestHash string, staleAfter time.Duration) (rec *Idempotency, fresh bool, err error)
	FinishIdempotent(ctx context.Context, accountID, key string, statusCode int, body []byte) error
	// AbandonIdempotent forgets a pending record so the client may retry (after a 5xx).
	AbandonIdempotent(ctx context.Context, accountID, key string) error
	PruneIdempotency(ctx context.Context, before time.Time) (int64, error)

	// Outbox (for the queue's relay).
	// PendingOutbox returns up to limit unpublished messages, oldest first.
	PendingOutbox(ctx context.Context, limit int) ([]OutboxMessage, error)
	// MarkPublished is idempotent: marking a published message again changes nothing.
	MarkPublished(ctx context.Context, ids ...int64) error
	// PruneOutbox deletes messages published before the given time.
	PruneOutbox(ctx context.Context, before time.Time) (int64, error)

	LeaseStore
	LabelStore
	SheetStore

	Close() error
}

// CardStore is the part of Store a plotter worker needs: read a card, change its status. The job
// helpers (Claim, Spoil, FailJob) take it, and queue.RemoteCards implements it over NATS for a
// worker process without database access.
type CardStore interface {
	GetCard(ctx context.Context, accountID, id string) (*Card, error)
	Transition(ctx context.Context, ch Change) (*Card, error)
}

// Account owns cards, campaigns and keys.
type Account struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Campaign is a bulk job. Spec is the API's own JSON (template, stock, font, hand, schedule): the
// store keeps it without interpreting it. State is the API's too (e.g. "draft", "active").
type Campaign struct {
	ID        string          `json:"id"`
	AccountID string          `json:"account_id"`
	Name      string          `json:"name"`
	State     string          `json:"state"`
	Spec      json.RawMessage `json:"spec"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// NewCampaign is the input to CreateCampaign. Empty State means "draft"; nil Spec means {}.
type NewCampaign struct {
	AccountID string
	Name      string
	State     string
	Spec      json.RawMessage
}

// Card is one handwritten card and its job state.
type Card struct {
	ID             string `json:"id"`
	AccountID      string `json:"account_id"`
	CampaignID     string `json:"campaign_id,omitempty"`     // "" when not part of a campaign
	IdempotencyKey string `json:"idempotency_key,omitempty"` // the API request key that created it
	// RequestHash identifies the request that created the card, so that a retry with the same
	// IdempotencyKey can be told from a different request reusing the key.
	RequestHash string `json:"-"`
	// Test cards were made with a test key: they go to the test lane and never reach a real robot.
	Test       bool              `json:"test"`
	Message    string            `json:"message"`
	Font       string            `json:"font"`
	Hand       string            `json:"hand"`
	Stock      string            `json:"stock"`  // loaded card stock, e.g. "a6-white"; selects the queue lane
	Format     string            `json:"format"` // card format name, e.g. "a6"
	Align      string            `json:"align"`  // "left" or "center": the strokes depend on it
	Seed       uint64            `json:"seed"`
	StrokeHash string            `json:"stroke_hash"` // geom.HashStrokes of the intake render
	To         json.RawMessage   `json:"to"`          // recipient address JSON (address.Address)
	From       json.RawMessage   `json:"from"`        // return address JSON
	Metadata   map[string]string `json:"metadata"`
	Status     Status            `json:"status"`
	// Attempts counts the jobs issued for the card; the current job carries it as its Attempt and
	// transitions by workers pass it as Change.Attempt (a fencing token against stale workers).
	Attempts         int       `json:"attempts"`
	ApprovalRequired bool      `json:"approval_required"`
	SendDate         time.Time `json:"send_date,omitzero"` // zero: as soon as possible
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	// LeaseUntil is when the claim of a plotting card runs out unless its worker renews it (zero in
	// any other status); LeaseHolder is the robot holding it. See LeaseStore.
	LeaseUntil  time.Time `json:"lease_until,omitzero"`
	LeaseHolder string    `json:"lease_holder,omitempty"`

	// RenderVersion is the hand.RenderVersion that drew the proof StrokeHash holds (0: accepted
	// before versions were recorded). ProofChanged: an upgraded renderer no longer draws the
	// approved proof, so the card is held (accepted, ApprovalRequired) until the new proof is
	// approved (ProofStore.ReapproveCard); it is never written from a proof nobody approved.
	RenderVersion int  `json:"render_version"`
	ProofChanged  bool `json:"proof_changed"`
}

// Lane is the queue lane the card's jobs go to: its stock, or "test-<stock>" for test cards.
func (c *Card) Lane() string { return Lane(c.Stock, c.Test) }

// NewCard is the input to CreateCard. The card is created accepted and queued at once unless
// ApprovalRequired is set or SendDate lies in the future; then it stays accepted until someone
// calls Transition to StatusQueued (approval, or a scheduler finding due cards via CardFilter.DueBy).
type NewCard struct {
	AccountID        string
	CampaignID       string
	IdempotencyKey   string
	RequestHash      string // see Card.RequestHash
	Test             bool
	Message          string
	Font, Hand       string
	Stock, Format    string
	Align            string // "left" (default) or "center"
	Seed             uint64
	StrokeHash       string
	RenderVersion    int // the hand.RenderVersion that drew StrokeHash
	To, From         json.RawMessage
	Metadata         map[string]string
	ApprovalRequired bool
	SendDate         time.Time
	// Note goes into the detail of the "accepted" event (e.g. "address sent as entered").
	Note string
}

// Event is one status change of a card.
type Event struct {
	ID        string    `json:"id"`
	CardID    string    `json:"card_id"`
	AccountID string    `json:"account_id"`
	Seq       int       `json:"seq"`  // 1, 2, 3... per card: the order of its history
	From      Status    `json:"from"` // StatusReceived for the first event
	To        Status    `json:"to"`
	Attempt   int       `json:"attempt"` // the card's Attempts after the change
	Cause     string    `json:"cause"`   // machine-readable, e.g. "intake", "worker.fault"
	Detail    string    `json:"detail,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Change asks Transition to move a card from one status to another.
type Change struct {
	CardID string
	// AccountID scopes the change (AnyAccount for workers and operators); another account's card
	// is ErrNotFound.
	AccountID string
	// From is the status the caller saw. Empty means "whatever it is now" (still compare-and-set on
	// the status read in the same transaction).
	From Status
	To   Status
	// Then, if set, is a second step taken in the same transaction after To, for statuses that are
	// passed through: plotting → spoiled, then queued (a fresh attempt) or failed.
	Then Status
	// Attempt, if non-zero, must equal the card's Attempts: a worker passes its job's Attempt so a
	// stale worker whose job was given to another cannot change the card.
	Attempt int
	Cause   string // machine-readable reason; required
	Detail  string // free text for people (worker name, fault message)
	// Worker names the robot making the change. Entering plotting it becomes the lease holder;
	// entering written it is the robot whose address sheet gets the card's label (Detail if empty).
	Worker string
	// Lease is how long a claim (entering plotting) holds before it must be renewed; zero means
	// DefaultLease.
	Lease time.Duration
	// LeaseExpiredBy, if set, makes the change apply only to a plotting card whose lease ended
	// before this time (ErrConflict otherwise): the reconciler's compare-and-set, so that a lease
	// renewed meanwhile is never taken away.
	LeaseExpiredBy time.Time
}

// CardFilter selects cards for ListCards. Zero fields do not filter.
type CardFilter struct {
	Statuses   []Status
	CampaignID string
	Metadata   map[string]string // every key must have exactly this value
	Test       *bool             // only test (true) or only live (false) cards
	// DueBy selects cards whose send date is set and not after DueBy (a scheduler's query, with
	// Statuses = [accepted]).
	DueBy time.Time
	// ProofChanged selects only cards held for a changed proof's approval (Card.ProofChanged).
	ProofChanged bool
	// After is the cursor: the Next of the previous page. Cards come newest first.
	After string
	Limit int // default 50, at most 1000
}

// CardPage is one page of ListCards. Next is empty on the last page.
type CardPage struct {
	Cards []*Card `json:"cards"`
	Next  string  `json:"next,omitempty"`
}

// Idempotency is the record of one API request made with an Idempotency-Key.
type Idempotency struct {
	AccountID   string
	Key         string
	RequestHash string
	StatusCode  int // 0 while the first request is still being processed
	Body        []byte
	CreatedAt   time.Time
}

// Done reports whether the response was recorded and can be replayed.
func (i *Idempotency) Done() bool { return i.StatusCode != 0 }

// OutboxKind says what an outbox message is.
type OutboxKind string

// The outbox kinds.
const (
	// OutboxJob: a Job for lane Key; the queue publishes it on the CARDS stream.
	OutboxJob OutboxKind = "job"
	// OutboxEvent: an Event; Key is "<account id>.<card id>.<to status>", published on EVENTS.
	OutboxEvent OutboxKind = "event"
)

// OutboxMessage is a message committed with the change that caused it, waiting to be published.
type OutboxMessage struct {
	ID        int64
	Kind      OutboxKind
	Key       string // lane (jobs) or subject suffix (events)
	MsgID     string // de-duplication id for the queue (Nats-Msg-Id)
	Payload   []byte // JSON: Job or Event
	CreatedAt time.Time
}

// Job is the work message for a card: ids only, the database is the truth.
type Job struct {
	CardID  string `json:"card_id"`
	Attempt int    `json:"attempt"`
}

// MsgID is the job's de-duplication id: the same job published twice is stored once.
func (j Job) MsgID() string { return j.CardID + "/" + strconv.Itoa(j.Attempt) }
