// Package reproof checks, after an upgrade, every card that may still be written against the
// renderer now running: a card whose approved proof it still draws keeps it (only the render
// version recorded with the proof moves on); a card whose strokes changed is held for the new
// proof's approval before any robot meets it.
package reproof

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/hand"
	"github.com/quillpost/quillpost/internal/store"
)

// Store is what a re-proof reads and changes.
type Store interface {
	store.CardStore
	store.ProofStore
}

// Result counts what a re-proof did. Cards that changed meanwhile (claimed by a robot, cancelled)
// are skipped: a robot checks the proof itself before asking for a blank.
type Result struct {
	Checked   int      `json:"checked"`
	Unchanged int      `json:"unchanged"` // the renderer still draws the approved proof
	Held      int      `json:"held"`      // held for the new proof's approval (proof_changed)
	Skipped   int      `json:"skipped"`   // changed meanwhile
	HeldIDs   []string `json:"held_card_ids"`
}

// FaceFinder returns the faces a card may be written in (its account's own, for live cards).
type FaceFinder func(ctx context.Context, c *store.Card) cardspec.FaceFinder

// pageSize bounds the cards read at once.
const pageSize = 200

// Run re-proofs every card accepted, queued or failed whose proof an older renderer drew.
func Run(ctx context.Context, st Store, find FaceFinder, log *slog.Logger) (Result, error) {
	res := Result{HeldIDs: []string{}}
	for after := ""; ; {
		cards, err := st.ProofsBefore(ctx, hand.RenderVersion, after, pageSize)
		if err != nil {
			return res, err
		}
		if len(cards) == 0 {
			return res, nil
		}
		for _, c := range cards {
			res.Checked++
			held, err := one(ctx, st, find, c)
			switch {
			case errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrInvalidTransition) || errors.Is(err, store.ErrNotFound):
				res.Skipped++
				log.Info("card changed meanwhile; not re-proofed", "card", c.ID, "err", err)
			case err != nil:
				return res, err
			case held:
				res.Held++
				res.HeldIDs = append(res.HeldIDs, c.ID)
				log.Warn("card held for re-approval: the renderer no longer draws its approved proof", "card", c.ID, "render_version", c.RenderVersion)
			default:
				res.Unchanged++
			}
		}
		after = cards[len(cards)-1].ID
	}
}

func one(ctx context.Context, st Store, find FaceFinder, c *store.Card) (held bool, err error) {
	hc, _, rerr := cardspec.RenderWith(cardspec.FromCard(c), find(ctx, c))
	var fe *cardspec.FieldError
	if rerr != nil && !errors.As(rerr, &fe) {
		return false, fmt.Errorf("re-proof card %s: %w", c.ID, rerr)
	}
	if rerr == nil && (c.StrokeHash == "" || hc.Hash() == c.StrokeHash) {
		return false, st.ConfirmProof(ctx, c.ID, c.StrokeHash, hand.RenderVersion)
	}
	detail := fmt.Sprintf("after an upgrade the renderer (version %d) draws other strokes than the approved proof (version %d): approve the new proof to send it", hand.RenderVersion, c.RenderVersion)
	if rerr != nil {
		detail = fmt.Sprintf("after an upgrade the renderer (version %d) cannot write the card (%s): cancel it or order it again", hand.RenderVersion, rerr)
	}
	_, err = st.Transition(ctx, store.Change{CardID: c.ID, From: c.Status, To: store.StatusAccepted, Attempt: c.Attempts,
		Cause: store.CauseProofChanged, Detail: detail})
	return err == nil, err
}

// UnwritableError is Approve's answer when the renderer now running cannot write the card at
// all (say its text no longer fits): it stays held, to be cancelled or ordered again.
type UnwritableError struct{ Err error }

func (e *UnwritableError) Error() string { return e.Err.Error() }
func (e *UnwritableError) Unwrap() error { return e.Err }

// Approve approves the new proof of card c, held because its proof changed: it renders the card
// as the renderer now draws it (the proof its preview shows) and records that proof's stroke hash
// and render version, queueing the card. accountID scopes the change (store.AnyAccount for an
// operator); store.ErrConflict when the card is not held for a changed proof. The customer's
// approval and the operator's (API and dashboard) all come through here.
func Approve(ctx context.Context, st store.ProofStore, find cardspec.FaceFinder, accountID string, c *store.Card, cause string) (*store.Card, error) {
	hc, _, err := cardspec.RenderWith(cardspec.FromCard(c), find)
	if err != nil {
		return nil, &UnwritableError{Err: err}
	}
	return st.ReapproveCard(ctx, accountID, c.ID, hc.Hash(), cardspec.RenderVersion, cause)
}
