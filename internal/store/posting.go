package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CauseOperatorPosted is the cause of the written → posted change: an operator put the card in
// the mail (marked by card, by scanning its label, or by its whole label sheet).
const CauseOperatorPosted = "operator.posted"

// OperatorPost records a written card as posted. It is idempotent: a card already posted is
// returned unchanged with changed false, so scanning a label twice or marking a sheet again is
// harmless. Any other status is a *TransitionError (only written cards go into the mail).
func OperatorPost(ctx context.Context, s CardStore, cardID, who string) (c *Card, changed bool, err error) {
	c, err = s.GetCard(ctx, AnyAccount, cardID)
	if err != nil {
		return nil, false, fmt.Errorf("post %s: %w", cardID, err)
	}
	switch c.Status {
	case StatusPosted:
		return c, false, nil
	case StatusWritten:
	default:
		return c, false, fmt.Errorf("post %s: %w", cardID, &TransitionError{CardID: cardID, From: c.Status, To: StatusPosted})
	}
	out, err := s.Transition(ctx, Change{CardID: cardID, From: StatusWritten, To: StatusPosted, Attempt: c.Attempts,
		Cause: CauseOperatorPosted, Detail: who})
	if errors.Is(err, ErrConflict) {
		// Someone else posted it in between: that is the outcome asked for.
		if cur, gerr := s.GetCard(ctx, AnyAccount, cardID); gerr == nil && cur.Status == StatusPosted {
			return cur, false, nil
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("post %s: %w", cardID, err)
	}
	return out, true, nil
}

// PostingError names the card that stops a posting: there is no such card (Status empty), or it
// is not written. It matches ErrNotFound or ErrInvalidTransition with errors.Is.
type PostingError struct {
	Index  int    // the card's position in the ids given
	CardID string //
	Status Status // the card's status; "" when there is no such card
}

func (e *PostingError) Error() string {
	if e.Status == "" {
		return fmt.Sprintf("there is no card %s", e.CardID)
	}
	return fmt.Sprintf("card %s cannot be posted: it is %s, and only written cards can be posted", e.CardID, e.Status)
}

// Is makes errors.Is(err, ErrNotFound) or errors.Is(err, ErrInvalidTransition) true.
func (e *PostingError) Is(target error) bool {
	if e.Status == "" {
		return target == ErrNotFound
	}
	return target == ErrInvalidTransition
}

// PostCards records cards posted, all or nothing: every card is checked first, so that one
// mistyped or unwritten card changes nothing (a *PostingError names it). A card named twice
// counts once; cards posted before are returned in already.
func PostCards(ctx context.Context, s CardStore, ids []string, who string) (posted, already []string, err error) {
	seen := map[string]bool{}
	var todo []string
	for i, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		c, err := s.GetCard(ctx, AnyAccount, id)
		if errors.Is(err, ErrNotFound) {
			return nil, nil, &PostingError{Index: i, CardID: id}
		}
		if err != nil {
			return nil, nil, fmt.Errorf("post %s: %w", id, err)
		}
		switch c.Status {
		case StatusPosted:
			already = append(already, id)
		case StatusWritten:
			todo = append(todo, id)
		default:
			return nil, nil, &PostingError{Index: i, CardID: id, Status: c.Status}
		}
	}
	for _, id := range todo {
		_, changed, err := OperatorPost(ctx, s, id, who)
		if err != nil {
			return posted, already, err
		}
		if changed {
			posted = append(posted, id)
		} else {
			already = append(already, id)
		}
	}
	return posted, already, nil
}

// Sheet sums up one label sheet for the operator: which robot's, how many labels, whether its PDF
// was printed and how many of its cards were posted. A robot's open labels (not yet on a sheet)
// are summed up as a Sheet with an empty Name.
type Sheet struct {
	Name      string
	Robot     string
	Labels    int
	Posted    int
	Printed   bool
	FirstSeq  int64 // the sheet's first label in writing order
	FirstAt   time.Time
	LastAt    time.Time
	TestCards int // labels of test cards (written by simulated robots)
}

// SheetStore lists label sheets; the operator dashboard reads it.
type SheetStore interface {
	// Sheets returns the robots' open labels and up to limit named sheets, newest first.
	Sheets(ctx context.Context, limit int) ([]Sheet, error)
}
