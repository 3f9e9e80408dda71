package webhook

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/quillpost/quillpost/internal/store"
)

// Envelope is the body of every delivery.
type Envelope struct {
	ID        string          `json:"id"`   // the event id, evt_…
	Type      string          `json:"type"` // "card.<status>", e.g. card.written
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// CardEvent is the data of a card.* event: the status change and the card as it is after it.
type CardEvent struct {
	Card    CardSummary  `json:"card"`
	From    store.Status `json:"from"`
	To      store.Status `json:"to"`
	Attempt int          `json:"attempt"`
	Cause   string       `json:"cause"`
	Detail  string       `json:"detail,omitempty"`
}

// CardSummary is what a webhook says about a card: ids and state, the CRM's metadata, no address
// or message (those stay behind the authenticated API).
type CardSummary struct {
	ID         string            `json:"id"`
	Object     string            `json:"object"` // "card"
	Status     store.Status      `json:"status"`
	Test       bool              `json:"test"`
	CampaignID string            `json:"campaign_id,omitempty"`
	Stock      string            `json:"stock"`
	Format     string            `json:"format"`
	Attempts   int               `json:"attempts"`
	Metadata   map[string]string `json:"metadata"`
}

// EventType is the webhook type of a card event: "card." and the status it changed to.
func EventType(to store.Status) string { return "card." + string(to) }

// EventTypes lists every type an endpoint can subscribe to, in life order.
func EventTypes() []string {
	out := make([]string, 0, len(store.Statuses))
	for _, s := range store.Statuses {
		if s == store.StatusReceived {
			continue // no event ever changes a card to received
		}
		out = append(out, EventType(s))
	}
	return out
}

// ValidEventType reports whether t is a known event type or "*".
func ValidEventType(t string) bool {
	if t == "*" {
		return true
	}
	for _, k := range EventTypes() {
		if k == t {
			return true
		}
	}
	return false
}

// NewEnvelope builds the delivery body of a stored event. card is the card as read when the event
// is dispatched (nil if it is gone); the event's own status change is what the data reports.
func NewEnvelope(ev store.Event, card *store.Card) ([]byte, error) {
	data := CardEvent{From: ev.From, To: ev.To, Attempt: ev.Attempt, Cause: ev.Cause, Detail: ev.Detail,
		Card: CardSummary{ID: ev.CardID, Object: "card", Status: ev.To, Metadata: map[string]string{}}}
	if card != nil {
		data.Card.Test, data.Card.CampaignID = card.Test, card.CampaignID
		data.Card.Stock, data.Card.Format, data.Card.Attempts = card.Stock, card.Format, card.Attempts
		if card.Metadata != nil {
			data.Card.Metadata = card.Metadata
		}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", ev.ID, err)
	}
	return json.Marshal(Envelope{ID: ev.ID, Type: EventType(ev.To), CreatedAt: ev.CreatedAt.UTC(), Data: raw})
}
