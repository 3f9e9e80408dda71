package store

import "fmt"

// Status is a card's place in its life (../shared/DESIGN.md, "A card's life"). The database keeps it
// as an enumerated column with a CHECK constraint listing exactly these values.
type Status string

// The card statuses.
const (
	StatusReceived  Status = "received"  // the order arrived; not yet validated
	StatusAccepted  Status = "accepted"  // validated and stored; held for approval or its send date
	StatusQueued    Status = "queued"    // a job for the current attempt is (or will be) on the queue
	StatusPlotting  Status = "plotting"  // a worker holds the job and a robot is writing the card
	StatusWritten   Status = "written"   // the robot finished the card
	StatusPosted    Status = "posted"    // the card went into the mail
	StatusRejected  Status = "rejected"  // validation refused it
	StatusSpoiled   Status = "spoiled"   // a fault spoiled the physical card; passes on to queued or failed
	StatusCancelled Status = "cancelled" // the customer or an operator cancelled it before plotting
	StatusFailed    Status = "failed"    // gave up after the allowed attempts; waits for an operator
)

// Statuses lists every status in life order.
var Statuses = []Status{
	StatusReceived, StatusAccepted, StatusQueued, StatusPlotting, StatusWritten, StatusPosted,
	StatusRejected, StatusSpoiled, StatusCancelled, StatusFailed,
}

// transitions is the one table of allowed status changes. Why each edge exists:
//   - plotting → queued: a worker releases a job it claimed before the pen touched the card
//     (graceful shutdown while waiting for the operator to load a card).
//   - plotting → spoiled → queued|failed: a fault mid-card; the physical card is discarded and a new
//     attempt is queued, or the card fails once its attempts are used up.
//   - failed → queued: an operator retries.
//   - queued → queued: an operator retries a queued card whose job may be lost; the new attempt
//     is a new job and fences the old one.
//   - plotting → spoiled → queued|cancelled: an operator retries or cancels a card being written,
//     or the reconciler finds its lease ran out; the blank under the pen is discarded.
//   - queued → failed: the queue gave up (max deliveries) or the worker found the job unplottable.
//   - accepted|queued|plotting|failed → accepted: an upgraded renderer no longer draws the card's
//     approved proof (the worker found it before asking for a blank, or a re-proof after the
//     upgrade did); the card is held for the new proof's approval (Card.ProofChanged). This is the
//     only way back into accepted, and the store sets the hold with it.
var transitions = map[Status][]Status{
	StatusReceived:  {StatusAccepted, StatusRejected, StatusCancelled},
	StatusAccepted:  {StatusQueued, StatusRejected, StatusCancelled, StatusAccepted},
	StatusQueued:    {StatusPlotting, StatusCancelled, StatusFailed, StatusQueued, StatusAccepted},
	StatusPlotting:  {StatusWritten, StatusSpoiled, StatusFailed, StatusQueued, StatusAccepted},
	StatusWritten:   {StatusPosted},
	StatusSpoiled:   {StatusQueued, StatusFailed, StatusCancelled},
	StatusFailed:    {StatusQueued, StatusCancelled, StatusAccepted},
	StatusPosted:    nil,
	StatusRejected:  nil,
	StatusCancelled: nil,
}

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// Terminal reports whether no change can leave s.
func (s Status) Terminal() bool { return s.Valid() && len(transitions[s]) == 0 }

// Next returns the statuses s may change to.
func (s Status) Next() []Status { return append([]Status(nil), transitions[s]...) }

// CanTransition reports whether a card may change from one status to the other.
func CanTransition(from, to Status) bool {
	for _, n := range transitions[from] {
		if n == to {
			return true
		}
	}
	return false
}

// TransitionError says a requested status change is not in the table. It matches
// ErrInvalidTransition with errors.Is.
type TransitionError struct {
	CardID   string
	From, To Status
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("card %s cannot change from %s to %s", e.CardID, e.From, e.To)
}

// Is makes errors.Is(err, ErrInvalidTransition) true.
func (e *TransitionError) Is(target error) bool { return target == ErrInvalidTransition }
