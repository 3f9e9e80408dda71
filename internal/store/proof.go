package store

import "context"

// Causes of the events a changed proof writes.
const (
	// CauseProofChanged: an upgraded renderer no longer draws the card's approved proof; the card
	// is held (accepted, approval required, ProofChanged) for the new proof's approval.
	CauseProofChanged = "proof.changed"
)

// ProofStore keeps cards' approved proofs across renderer upgrades. The SQL stores implement it.
// Holding a card whose proof changed is a Transition to StatusAccepted (the transition table's
// only way back there), so workers that reach the store over NATS can do it too.
type ProofStore interface {
	// ReapproveCard approves the new proof of a card held with ProofChanged: it records the
	// proof's stroke hash and render version and queues the card as ApproveCard does.
	// ErrConflict when the card is not held for a changed proof.
	ReapproveCard(ctx context.Context, accountID, cardID, strokeHash string, renderVersion int, cause string) (*Card, error)
	// ConfirmProof records that render version renderVersion still draws the card's approved
	// proof (its stroke hash is strokeHash): compare-and-set, ErrConflict when the card's proof
	// changed meanwhile.
	ConfirmProof(ctx context.Context, cardID, strokeHash string, renderVersion int) error
	// ProofsBefore lists, by id after after, up to limit cards that may still be written
	// (accepted, queued, failed), not already held for a changed proof, whose proof was drawn by
	// a render version below renderVersion.
	ProofsBefore(ctx context.Context, renderVersion int, after string, limit int) ([]*Card, error)
}
