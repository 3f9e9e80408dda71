package store

import (
	"context"
	"encoding/json"
	"time"
)

// The id prefixes of occasion recipients and occasion rules.
const (
	PrefixOccasionRecipient Prefix = "ocr"
	PrefixOccasionRule      Prefix = "ocl"
)

// OccasionRecipient is a person an account writes to on dates: a birthday, the day they became a
// customer, any named date. Its address, variables and dates are the API's, kept as given.
type OccasionRecipient struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	Test      bool   `json:"test"`
	// Key is the CRM's own id of the person, unique per account (and test flag): importing a
	// recipient with a known key updates it.
	Key       string            `json:"key"`
	To        json.RawMessage   `json:"to"`
	Variables map[string]string `json:"variables"`
	Metadata  map[string]string `json:"metadata"`
	Email     string            `json:"email,omitempty"`
	// Dates maps an occasion name ("birthday") to a date, 2006-01-02 or --01-02.
	Dates     map[string]string `json:"dates"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Occasion rule states: a paused rule queues nothing until resumed; a cancelled one never again.
const (
	RuleActive    = "active"
	RulePaused    = "paused"
	RuleCancelled = "cancelled"
)

// OccasionRule says: for the occasion, write this card so that it arrives DaysBefore days before
// the date. Spec is the API's JSON (template, face, hand, stock, sender); the store keeps it as is.
type OccasionRule struct {
	ID         string          `json:"id"`
	AccountID  string          `json:"account_id"`
	Test       bool            `json:"test"`
	Name       string          `json:"name"`
	Occasion   string          `json:"occasion"`
	DaysBefore int             `json:"days_before"`
	State      string          `json:"state"`
	Spec       json.RawMessage `json:"spec"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

// OccasionSend records that a rule's card for a recipient and year exists: the scheduler's note
// of what it has done (the card's own idempotency key is what makes it happen once).
type OccasionSend struct {
	RuleID      string    `json:"rule_id"`
	RecipientID string    `json:"recipient_id"`
	Year        int       `json:"year"`
	CardID      string    `json:"card_id"`
	WriteOn     string    `json:"write_on"` // the planned writing day, 2006-01-02
	CreatedAt   time.Time `json:"created_at"`
}

// OccasionFilter selects recipients or rules. Zero fields do not filter.
type OccasionFilter struct {
	Test  *bool
	State string // rules only
	// After is the cursor (the last id of the previous page); pages come in id order.
	After string
	Limit int // default 100, at most 1000
}

// OccasionStore keeps occasion recipients, rules and what was sent. AccountID AnyAccount lifts the
// scope (the scheduler).
type OccasionStore interface {
	// PutOccasionRecipients inserts the recipients or, where the account already has one with the
	// same Key and test flag, replaces its address, variables, metadata, email and dates; all in
	// one transaction. The stored recipients come back in input order.
	PutOccasionRecipients(ctx context.Context, rs []OccasionRecipient) ([]*OccasionRecipient, error)
	GetOccasionRecipient(ctx context.Context, accountID, id string) (*OccasionRecipient, error)
	ListOccasionRecipients(ctx context.Context, accountID string, f OccasionFilter) ([]*OccasionRecipient, string, error)
	// DeleteOccasionRecipients removes recipients for good: they get no card any more.
	DeleteOccasionRecipients(ctx context.Context, accountID string, ids ...string) (int, error)

	CreateOccasionRule(ctx context.Context, r OccasionRule) (*OccasionRule, error)
	GetOccasionRule(ctx context.Context, accountID, id string) (*OccasionRule, error)
	ListOccasionRules(ctx context.Context, accountID string, f OccasionFilter) ([]*OccasionRule, string, error)
	// UpdateOccasionRule reads the rule, lets fn change Name, State, DaysBefore and Spec, and
	// writes it back in one transaction; an error from fn is returned as is.
	UpdateOccasionRule(ctx context.Context, accountID, id string, fn func(*OccasionRule) error) (*OccasionRule, error)

	// RecordOccasionSend notes a sent card; ErrDuplicate if the rule, recipient and year have one.
	RecordOccasionSend(ctx context.Context, s OccasionSend) error
	// OccasionSends returns the rule's sends of a year by recipient id.
	OccasionSends(ctx context.Context, ruleID string, year int) (map[string]OccasionSend, error)
}
