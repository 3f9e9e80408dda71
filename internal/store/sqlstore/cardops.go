package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/quillpost/quillpost/internal/store"
)

var _ store.CardOps = (*Store)(nil)

// ApproveCard approves a held card; see store.CardOps.
func (s *Store) ApproveCard(ctx context.Context, accountID, cardID, cause string) (*store.Card, error) {
	var out *store.Card
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		c, err := s.getCard(ctx, tx, accountID, cardID, true)
		if err != nil {
			return err
		}
		if c.Status != store.StatusAccepted || !c.ApprovalRequired {
			return fmt.Errorf("card %s is %s and not waiting for approval: %w", c.ID, c.Status, store.ErrConflict)
		}
		if c.ProofChanged {
			return fmt.Errorf("card %s waits for its new proof's approval (ReapproveCard): %w", c.ID, store.ErrConflict)
		}
		out, err = s.approve(ctx, tx, c, cause)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("approve %s: %w", cardID, err)
	}
	return out, nil
}

// approve clears the flag and, when the card is due, queues it with its event and job.
func (s *Store) approve(ctx context.Context, tx *sql.Tx, c *store.Card, cause string) (*store.Card, error) {
	now := s.now()
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE cards SET approval_required = ?, updated_at = ? WHERE id = ?`), false, micros(now), c.ID); err != nil {
		return nil, fmt.Errorf("approve %s: %w", c.ID, err)
	}
	c.ApprovalRequired, c.UpdatedAt = false, now
	if !c.SendDate.IsZero() && c.SendDate.After(now) {
		return c, nil // the scheduler queues it on its send date
	}
	// Queueing goes through the one transition function: it checks the table, compares and sets,
	// and adds the event and the job to the outbox.
	q, err := s.TransitionTx(ctx, tx, store.Change{
		CardID: c.ID, From: store.StatusAccepted, To: store.StatusQueued, Attempt: c.Attempts, Cause: cause,
	})
	if err != nil {
		return nil, fmt.Errorf("queue %s: %w", c.ID, err)
	}
	return q, nil
}

// ReleaseCampaign approves a campaign's held cards; see store.CardOps.
func (s *Store) ReleaseCampaign(ctx context.Context, accountID, campaignID, cause string) (int, error) {
	if _, err := s.GetCampaign(ctx, accountID, campaignID); err != nil {
		return 0, err
	}
	queued := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		queued = 0
		rows, err := tx.QueryContext(ctx, s.q(`SELECT `+cardCols+` FROM cards c
			WHERE c.campaign_id = ? AND c.account_id = ? AND c.status = ? AND c.approval_required = ?
			AND c.proof_changed = ? ORDER BY c.id`),
			campaignID, accountID, string(store.StatusAccepted), true, false)
		if err != nil {
			return err
		}
		var held []*store.Card
		for rows.Next() {
			c, err := scanCard(rows)
			if err != nil {
				rows.Close()
				return err
			}
			held = append(held, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range held {
			c, err := s.approve(ctx, tx, c, cause)
			if err != nil {
				return err
			}
			if c.Status == store.StatusQueued {
				queued++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("release campaign %s: %w", campaignID, err)
	}
	return queued, nil
}

// EraseCards wipes a person's data from cards; see store.CardOps.
func (s *Store) EraseCards(ctx context.Context, accountID string, cardIDs []string, cause string) (store.ErasureResult, error) {
	var r store.ErasureResult
	for _, id := range cardIDs {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			c, err := s.getCard(ctx, tx, accountID, id, true)
			if err != nil {
				return err
			}
			switch c.Status {
			case store.StatusPlotting:
				r.Skipped++
				return nil
			case store.StatusAccepted, store.StatusQueued, store.StatusFailed, store.StatusSpoiled:
				if err := s.cancelInTx(ctx, tx, c, cause); err != nil {
					return err
				}
				r.Cancelled++
			}
			var to struct {
				Country string `json:"country,omitempty"`
			}
			_ = json.Unmarshal(c.To, &to) // an unreadable address is wiped all the same
			anon, _ := json.Marshal(to)
			now := micros(s.now())
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE cards SET message = '', to_address = ?, metadata = '{}', updated_at = ?
				WHERE id = ?`), string(anon), now, c.ID); err != nil {
				return fmt.Errorf("erase %s: %w", c.ID, err)
			}
			if c.IdempotencyKey != "" {
				if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM idempotency_keys WHERE account_id = ? AND key = ?`),
					c.AccountID, c.IdempotencyKey); err != nil {
					return fmt.Errorf("erase %s: idempotency record: %w", c.ID, err)
				}
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET payload = ? WHERE card_id = ?`),
				[]byte(`{"erased":true}`), c.ID); err != nil {
				return fmt.Errorf("erase %s: webhook payloads: %w", c.ID, err)
			}
			if err := s.eraseTriggerEvents(ctx, tx, c); err != nil {
				return fmt.Errorf("erase %s: %w", c.ID, err)
			}
			// The acceptance note of an address sent as entered quotes the fields it overrode.
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE events SET detail = '' WHERE card_id = ? AND detail LIKE 'address sent as entered%'`),
				c.ID); err != nil {
				return fmt.Errorf("erase %s: event notes: %w", c.ID, err)
			}
			r.Erased++
			return nil
		})
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return r, fmt.Errorf("erase cards: %w", err)
		}
	}
	if r.Erased > 0 {
		if err := s.afterErase(ctx); err != nil {
			return r, fmt.Errorf("erase cards: %w", err)
		}
	}
	return r, nil
}

// eraseTriggerEvents keeps the ids of the trigger events that made a card only as digests: a
// mapping may build an event id of personal values. The digest still holds the event for the
// sender's retry, so the erased person gets no new card from it.
func (s *Store) eraseTriggerEvents(ctx context.Context, tx *sql.Tx, c *store.Card) error {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT id, trigger_id, event_id FROM trigger_events WHERE account_id = ? AND card_id = ?`), c.AccountID, c.ID)
	if err != nil {
		return fmt.Errorf("trigger events: %w", err)
	}
	type ev struct{ id, trigger, event string }
	var evs []ev
	for rows.Next() {
		var e ev
		if err := rows.Scan(&e.id, &e.trigger, &e.event); err != nil {
			rows.Close()
			return fmt.Errorf("trigger events: %w", err)
		}
		evs = append(evs, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("trigger events: %w", err)
	}
	for _, e := range evs {
		if _, err := s.digestTriggerEvent(ctx, tx, c.AccountID, e.id, e.trigger, e.event); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) digestTriggerEvent(ctx context.Context, tx *sql.Tx, accountID, id, triggerID, eventID string) (bool, error) {
	d := store.TriggerEventDigest(triggerID, eventID)
	if d == eventID {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE trigger_events SET event_id = ? WHERE id = ? AND account_id = ?`), d, id, accountID); err != nil {
		return false, fmt.Errorf("trigger event %s: %w", id, err)
	}
	return true, nil
}

// DigestTriggerEvents keeps the named events' ids only as digests; see store.TriggerStore.
func (s *Store) DigestTriggerEvents(ctx context.Context, accountID string, ids []string) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, id := range ids {
			var trigger, event string
			err := tx.QueryRowContext(ctx, s.q(`SELECT trigger_id, event_id FROM trigger_events WHERE id = ? AND account_id = ?`), id, accountID).
				Scan(&trigger, &event)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return fmt.Errorf("trigger event %s: %w", id, err)
			}
			changed, err := s.digestTriggerEvent(ctx, tx, accountID, id, trigger, event)
			if err != nil {
				return err
			}
			if changed {
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("digest trigger events: %w", err)
	}
	if n > 0 {
		if err := s.afterErase(ctx); err != nil {
			return n, fmt.Errorf("digest trigger events: %w", err)
		}
	}
	return n, nil
}

// afterErase runs the dialect's AfterErase statements, so that rows just wiped or deleted leave
// the database files too.
func (s *Store) afterErase(ctx context.Context) error {
	for _, stmt := range s.d.AfterErase {
		if _, err := s.w.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}

// cancelInTx cancels a card that is not being written, with its event.
func (s *Store) cancelInTx(ctx context.Context, tx *sql.Tx, c *store.Card, cause string) error {
	if _, err := s.TransitionTx(ctx, tx, store.Change{
		CardID: c.ID, From: c.Status, To: store.StatusCancelled, Attempt: c.Attempts,
		Cause: cause, Detail: "erasure of the recipient's data",
	}); err != nil {
		return fmt.Errorf("cancel %s: %w", c.ID, err)
	}
	c.Status = store.StatusCancelled
	return nil
}
