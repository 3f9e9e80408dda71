package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/quillpost/quillpost/internal/store"
)

var _ store.TriggerStore = (*Store)(nil)

const triggerCols = `id, account_id, test, name, state, secret, spec, daily_cap, monthly_cap, created_at, updated_at`

func scanTrigger(sc scanner) (*store.Trigger, error) {
	var (
		t                store.Trigger
		spec             string
		created, updated int64
	)
	if err := sc.Scan(&t.ID, &t.AccountID, &t.Test, &t.Name, &t.State, &t.Secret, &spec, &t.DailyCap, &t.MonthlyCap, &created, &updated); err != nil {
		return nil, err
	}
	t.Spec = json.RawMessage(spec)
	t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &t, nil
}

func checkTrigger(t *store.Trigger) error {
	if !validRuleState(t.State) || !json.Valid(t.Spec) || t.DailyCap < 0 || t.MonthlyCap < 0 || t.Secret == "" {
		return fmt.Errorf("trigger: %w: state, spec, secret or caps", store.ErrInvalid)
	}
	return nil
}

// CreateTrigger stores a new trigger.
func (s *Store) CreateTrigger(ctx context.Context, t store.Trigger) (*store.Trigger, error) {
	if !store.ValidID(store.PrefixAccount, t.AccountID) {
		return nil, fmt.Errorf("create trigger: %w: account id %q", store.ErrInvalid, t.AccountID)
	}
	if t.State == "" {
		t.State = store.RuleActive
	}
	if len(t.Spec) == 0 {
		t.Spec = json.RawMessage("{}")
	}
	if err := checkTrigger(&t); err != nil {
		return nil, err
	}
	now := s.now()
	t.ID, t.CreatedAt, t.UpdatedAt = store.NewID(store.PrefixTrigger), now, now
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO triggers (`+triggerCols+`) VALUES (`+placeholders(11)+`)`),
		t.ID, t.AccountID, t.Test, t.Name, t.State, t.Secret, string(t.Spec), t.DailyCap, t.MonthlyCap, micros(now), micros(now))
	if err != nil {
		return nil, fmt.Errorf("create trigger: %w", err)
	}
	return &t, nil
}

func (s *Store) getTrigger(ctx context.Context, q querier, accountID, id string, lock bool) (*store.Trigger, error) {
	return getOwned(ctx, s, q, "trigger", `SELECT `+triggerCols+` FROM triggers`, accountID, id, lock, scanTrigger)
}

// GetTrigger returns an account's trigger (any account's for AnyAccount).
func (s *Store) GetTrigger(ctx context.Context, accountID, id string) (*store.Trigger, error) {
	return s.getTrigger(ctx, s.r, accountID, id, false)
}

// ListTriggers pages through triggers in id order.
func (s *Store) ListTriggers(ctx context.Context, accountID string, f store.OccasionFilter) ([]*store.Trigger, string, error) {
	where, args := occWhere(accountID, f)
	return queryPage(ctx, s, "list triggers", `SELECT `+triggerCols+` FROM triggers`+where+` ORDER BY id LIMIT ?`, args, f.Limit,
		scanTrigger, func(x *store.Trigger) string { return x.ID })
}

// UpdateTrigger is a read-modify-write of a trigger in one transaction.
func (s *Store) UpdateTrigger(ctx context.Context, accountID, id string, fn func(*store.Trigger) error) (*store.Trigger, error) {
	var out *store.Trigger
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		t, err := s.getTrigger(ctx, tx, accountID, id, true)
		if err != nil {
			return err
		}
		orig := *t
		if err := fn(t); err != nil {
			return err
		}
		if err := checkTrigger(t); err != nil {
			return err
		}
		t.ID, t.AccountID, t.Test, t.CreatedAt, t.UpdatedAt = orig.ID, orig.AccountID, orig.Test, orig.CreatedAt, s.now()
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE triggers SET name = ?, state = ?, secret = ?, spec = ?, daily_cap = ?, monthly_cap = ?,
			updated_at = ? WHERE id = ?`), t.Name, t.State, t.Secret, string(t.Spec), t.DailyCap, t.MonthlyCap, micros(t.UpdatedAt), t.ID); err != nil {
			return fmt.Errorf("update trigger %s: %w", id, err)
		}
		out = t
		return nil
	})
	return out, err
}

// GetTriggerSettings returns the account's settings, or the defaults if it has none.
func (s *Store) GetTriggerSettings(ctx context.Context, accountID string) (store.TriggerSettings, error) {
	ts := store.TriggerSettings{AccountID: accountID}
	err := s.r.QueryRowContext(ctx, s.q(`SELECT hold_for_approval, daily_cap, monthly_cap FROM trigger_settings WHERE account_id = ?`), accountID).
		Scan(&ts.HoldForApproval, &ts.DailyCap, &ts.MonthlyCap)
	if errors.Is(err, sql.ErrNoRows) {
		return store.DefaultTriggerSettings(accountID), nil
	}
	if err != nil {
		return ts, fmt.Errorf("trigger settings %s: %w", accountID, err)
	}
	return ts, nil
}

// PutTriggerSettings stores the account's settings.
func (s *Store) PutTriggerSettings(ctx context.Context, ts store.TriggerSettings) error {
	if !store.ValidID(store.PrefixAccount, ts.AccountID) || ts.DailyCap < 0 || ts.MonthlyCap < 0 {
		return fmt.Errorf("trigger settings: %w", store.ErrInvalid)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE trigger_settings SET hold_for_approval = ?, daily_cap = ?, monthly_cap = ? WHERE account_id = ?`),
			ts.HoldForApproval, ts.DailyCap, ts.MonthlyCap, ts.AccountID)
		if err != nil {
			return fmt.Errorf("trigger settings: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO trigger_settings (account_id, hold_for_approval, daily_cap, monthly_cap) VALUES (?, ?, ?, ?)`),
			ts.AccountID, ts.HoldForApproval, ts.DailyCap, ts.MonthlyCap)
		if err != nil {
			return fmt.Errorf("trigger settings: %w", err)
		}
		return nil
	})
}

const triggerEventCols = `id, trigger_id, account_id, event_id, outcome, reason, field, card_id, created_at`

func scanTriggerEvent(sc scanner) (*store.TriggerEvent, error) {
	var (
		e       store.TriggerEvent
		created int64
	)
	if err := sc.Scan(&e.ID, &e.TriggerID, &e.AccountID, &e.EventID, &e.Outcome, &e.Reason, &e.Field, &e.CardID, &created); err != nil {
		return nil, err
	}
	e.CreatedAt = fromMicros(created)
	return &e, nil
}

// BeginTriggerEvent records a call, checking the idempotency of its event id and the caps in one
// transaction. The account's row is locked first, then the trigger's, so that calls of any of the
// account's triggers are counted one after the other: a lock on the trigger alone would let two
// triggers of one account each see the account one below its cap and both pass it. (SQLite's
// write transactions are serial anyway.)
func (s *Store) BeginTriggerEvent(ctx context.Context, ev store.TriggerEvent, caps store.TriggerCaps) (*store.TriggerEvent, error) {
	var out *store.TriggerEvent
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var acct string
		err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM accounts WHERE id = ?`+s.d.ForNoKeyUpdate), ev.AccountID).Scan(&acct)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("account %s: %w", ev.AccountID, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("lock account %s: %w", ev.AccountID, err)
		}
		if _, err := s.getTrigger(ctx, tx, ev.AccountID, ev.TriggerID, true); err != nil {
			return err
		}
		e := ev
		e.ID, e.CreatedAt = store.NewID(store.PrefixTriggerEvent), s.now()
		if e.Counted() {
			// An erased person's events are kept under the digest of their id (EraseCards).
			prev, err := scanTriggerEvent(tx.QueryRowContext(ctx, s.q(`SELECT `+triggerEventCols+` FROM trigger_events
				WHERE trigger_id = ? AND event_id IN (?, ?) AND counted = ?`), e.TriggerID, e.EventID,
				store.TriggerEventDigest(e.TriggerID, e.EventID), true))
			if err == nil {
				out = prev
				return store.ErrDuplicate
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			count := func(col, id string, since int64) (int, error) {
				var n int
				err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM trigger_events WHERE `+col+` = ? AND counted = ? AND created_at >= ?`),
					id, true, since).Scan(&n)
				return n, err
			}
			for _, c := range []struct {
				limit   int
				col, id string
				since   int64
				why     string
			}{
				{caps.TriggerDaily, "trigger_id", e.TriggerID, micros(caps.DayStart), "the trigger's daily cap of %d cards is reached"},
				{caps.TriggerMonthly, "trigger_id", e.TriggerID, micros(caps.MonthStart), "the trigger's monthly cap of %d cards is reached"},
				{caps.AccountDaily, "account_id", e.AccountID, micros(caps.DayStart), "the account's daily cap of %d triggered cards is reached"},
				{caps.AccountMonthly, "account_id", e.AccountID, micros(caps.MonthStart), "the account's monthly cap of %d triggered cards is reached"},
			} {
				if c.limit <= 0 {
					continue
				}
				n, err := count(c.col, c.id, c.since)
				if err != nil {
					return err
				}
				if n >= c.limit {
					e.Outcome, e.Reason = store.TriggerCapped, fmt.Sprintf(c.why, c.limit)
					break
				}
			}
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO trigger_events (`+triggerEventCols+`, counted) VALUES (`+placeholders(10)+`)`),
			e.ID, e.TriggerID, e.AccountID, e.EventID, e.Outcome, e.Reason, e.Field, e.CardID, micros(e.CreatedAt), e.Counted())
		if err != nil {
			return fmt.Errorf("record trigger event: %w", err)
		}
		out = &e
		return nil
	})
	if errors.Is(err, store.ErrDuplicate) {
		return out, fmt.Errorf("trigger %s event %q: %w", ev.TriggerID, ev.EventID, store.ErrDuplicate)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FinishTriggerEvent sets an admitted event's outcome.
func (s *Store) FinishTriggerEvent(ctx context.Context, id, outcome, reason, cardID string) error {
	e := store.TriggerEvent{Outcome: outcome}
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE trigger_events SET outcome = ?, counted = ?, reason = ?, card_id = ? WHERE id = ? AND outcome = ?`),
		outcome, e.Counted(), reason, cardID, id, store.TriggerAdmitted)
	if err != nil {
		return fmt.Errorf("finish trigger event %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("finish trigger event %s: %w", id, store.ErrConflict)
	}
	return nil
}

// ListTriggerEvents pages through events newest first.
func (s *Store) ListTriggerEvents(ctx context.Context, accountID, triggerID string, f store.OccasionFilter) ([]*store.TriggerEvent, string, error) {
	query, args := `SELECT `+triggerEventCols+` FROM trigger_events WHERE account_id = ?`, []any{accountID}
	if triggerID != "" {
		query += ` AND trigger_id = ?`
		args = append(args, triggerID)
	}
	if f.After != "" {
		query += ` AND id < ?`
		args = append(args, f.After)
	}
	return queryPage(ctx, s, "list trigger events", query+` ORDER BY id DESC LIMIT ?`, args, f.Limit,
		scanTriggerEvent, func(x *store.TriggerEvent) string { return x.ID })
}
