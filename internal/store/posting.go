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
