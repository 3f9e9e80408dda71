package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/quillpost/quillpost/internal/store"
)

var _ store.ProofStore = (*Store)(nil)

// ReapproveCard approves a changed proof; see store.ProofStore.
func (s *Store) ReapproveCard(ctx context.Context, accountID, cardID, strokeHash string, renderVersion int, cause string) (*store.Card, error) {
	var out *store.Card
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		c, err := s.getCard(ctx, tx, accountID, cardID, true)
		if err != nil {
			return err
		}
		if c.Status != store.StatusAccepted || !c.ProofChanged {
			return fmt.Errorf("card %s is %s and not waiting for a changed proof's approval: %w", c.ID, c.Status, store.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE cards SET stroke_hash = ?, render_version = ?, proof_changed = ? WHERE id = ?`),
			strokeHash, renderVersion, false, c.ID); err != nil {
			return err
		}
		c.StrokeHash, c.RenderVersion, c.ProofChanged = strokeHash, renderVersion, false
		out, err = s.approve(ctx, tx, c, cause)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("approve the new proof of %s: %w", cardID, err)
	}
	return out, nil
}

// ConfirmProof keeps a proof the new renderer still draws; see store.ProofStore.
func (s *Store) ConfirmProof(ctx context.Context, cardID, strokeHash string, renderVersion int) error {
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE cards SET render_version = ? WHERE id = ? AND stroke_hash = ? AND proof_changed = ?`),
		renderVersion, cardID, strokeHash, false)
	if err != nil {
		return fmt.Errorf("confirm the proof of %s: %w", cardID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return fmt.Errorf("confirm the proof of %s: its proof changed meanwhile: %w", cardID, store.ErrConflict)
	}
	return nil
}

// ProofsBefore lists cards proofed by an older renderer; see store.ProofStore.
func (s *Store) ProofsBefore(ctx context.Context, renderVersion int, after string, limit int) ([]*store.Card, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+cardCols+` FROM cards c
		WHERE c.render_version < ? AND c.status IN (?, ?, ?) AND c.proof_changed = ? AND c.id > ?
		ORDER BY c.id LIMIT ?`),
		renderVersion, string(store.StatusAccepted), string(store.StatusQueued), string(store.StatusFailed), false, after, limit)
	if err != nil {
		return nil, fmt.Errorf("cards proofed before render version %d: %w", renderVersion, err)
	}
	defer rows.Close()
	var out []*store.Card
	for rows.Next() {
		c, err := scanCard(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
