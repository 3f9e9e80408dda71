package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// The id prefixes of triggers and the events they received.
const (
	PrefixTrigger      Prefix = "trg"
	PrefixTriggerEvent Prefix = "tev"
)

// Trigger is an endpoint a CRM or shop calls with its own JSON; Spec (the API's) maps it to a card.
// State is RuleActive, RulePaused or RuleCancelled.
type Trigger struct {
	ID         string          `json:"id"`
	AccountID  string          `json:"account_id"`
	Test       bool            `json:"test"`
	Name       string          `json:"name"`
	State      string          `json:"state"`
	Secret     string          `json:"-"` // HMAC key of the sender's signatures; kept, not hashed
	Spec       json.RawMessage `json:"spec"`
	DailyCap   int             `json:"daily_cap"`   // 0: only the account's cap
	MonthlyCap int             `json:"monthly_cap"` // 0: only the account's cap
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

// Trigger event outcomes. Admitted is the reservation while its card is made; queued and held
// (waiting for approval) count against the caps, the others do not and may be retried.
const (
	TriggerAdmitted = "admitted"
	TriggerQueued   = "queued"
	TriggerHeld     = "held"
	TriggerRefused  = "refused" // the payload did not map to a card that can be written
	TriggerCapped   = "capped"  // a daily or monthly cap was reached
	TriggerPaused   = "paused"  // the trigger was paused or cancelled
	TriggerFailed   = "failed"  // our side failed; the sender's retry is processed afresh
)

// TriggerEvent is one call of a trigger: what came, what became of it and why.
type TriggerEvent struct {
	ID        string    `json:"id"`
	TriggerID string    `json:"trigger_id"`
	AccountID string    `json:"account_id"`
	EventID   string    `json:"event_id"` // the sender's id of the event
	Outcome   string    `json:"outcome"`
	Reason    string    `json:"reason,omitempty"`
	Field     string    `json:"field,omitempty"` // the payload path or card field at fault
	CardID    string    `json:"card_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// TriggerEventDigest is the form a trigger event's id is kept in once its card was erased, and
// the form triggered cards' idempotency keys carry: a mapping may build the event id of personal
// values ("{{email}}-{{id}}"), which must not outlive the person's erasure, while a sender's retry
// of the erased event must still find it and make no new card. Salted with the trigger's id, so
// that one digest table does not fit every trigger.
func TriggerEventDigest(triggerID, eventID string) string {
	if strings.HasPrefix(eventID, eventDigestPrefix) {
		return eventID
	}
	sum := sha256.Sum256([]byte(triggerID + "\x00" + eventID))
	return eventDigestPrefix + hex.EncodeToString(sum[:])
}

const eventDigestPrefix = "sha256:"

// Counted reports whether the outcome holds the event id and counts against the caps.
func (e *TriggerEvent) Counted() bool {
	return e.Outcome == TriggerAdmitted || e.Outcome == TriggerQueued || e.Outcome == TriggerHeld
}

// TriggerSettings are an account's guards over all its triggers.
type TriggerSettings struct {
	AccountID string `json:"-"`
	// HoldForApproval keeps every triggered card waiting for approval (POST /v1/cards/{id}/approve)
	// until the account turns it off.
	HoldForApproval bool `json:"hold_for_approval"`
	DailyCap        int  `json:"daily_cap"`
	MonthlyCap      int  `json:"monthly_cap"`
}

// DefaultTriggerSettings hold cards for approval and cap an account at 500 cards a day and 5,000
// a month: a misconfigured shop cannot order a lorry-load of cards overnight.
func DefaultTriggerSettings(accountID string) TriggerSettings {
	return TriggerSettings{AccountID: accountID, HoldForApproval: true, DailyCap: 500, MonthlyCap: 5000}
}

// TriggerCaps are the limits BeginTriggerEvent checks, with the start of the current day and
// month (the caller's calendar).
type TriggerCaps struct {
	TriggerDaily, TriggerMonthly int // 0: none
	AccountDaily, AccountMonthly int // 0: none
	DayStart, MonthStart         time.Time
}

// TriggerStore keeps triggers, their events and the accounts' trigger settings.
type TriggerStore interface {
	CreateTrigger(ctx context.Context, t Trigger) (*Trigger, error)
	GetTrigger(ctx context.Context, accountID, id string) (*Trigger, error)
	ListTriggers(ctx context.Context, accountID string, f OccasionFilter) ([]*Trigger, string, error)
	// UpdateTrigger lets fn change Name, State, Spec, Secret and the caps in one transaction.
	UpdateTrigger(ctx context.Context, accountID, id string, fn func(*Trigger) error) (*Trigger, error)

	GetTriggerSettings(ctx context.Context, accountID string) (TriggerSettings, error)
	PutTriggerSettings(ctx context.Context, s TriggerSettings) error

	// BeginTriggerEvent records a call. If the trigger already holds the event id in a counted
	// event, that event comes back with ErrDuplicate. Otherwise a counted outcome (admitted) is
	// checked against the caps in the same transaction: over a cap, the event is stored as capped
	// with the reason instead. Uncounted outcomes (refused, paused) are stored as given.
	BeginTriggerEvent(ctx context.Context, ev TriggerEvent, caps TriggerCaps) (*TriggerEvent, error)
	// FinishTriggerEvent sets an admitted event's outcome, reason and card.
	FinishTriggerEvent(ctx context.Context, id, outcome, reason, cardID string) error
	// DigestTriggerEvents keeps the ids of an account's named events only as digests
	// (TriggerEventDigest), for the erasure of a person a mapping built into event ids; the
	// removed ids leave the database files too. It returns how many events changed.
	DigestTriggerEvents(ctx context.Context, accountID string, ids []string) (int, error)
	// ListTriggerEvents pages through an account's events (of one trigger, or all for ""),
	// newest first; f.After is the cursor.
	ListTriggerEvents(ctx context.Context, accountID, triggerID string, f OccasionFilter) ([]*TriggerEvent, string, error)
}
