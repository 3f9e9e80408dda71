package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/quillpost/quillpost/internal/store"
)

var _ store.OccasionStore = (*Store)(nil)

const occRecipientCols = `id, account_id, test, ext_key, to_address, variables, metadata, email, dates, created_at, updated_at`

func scanOccRecipient(sc scanner) (*store.OccasionRecipient, error) {
	var (
		r                     store.OccasionRecipient
		to, vars, meta, dates string
		created, updated      int64
	)
	if err := sc.Scan(&r.ID, &r.AccountID, &r.Test, &r.Key, &to, &vars, &meta, &r.Email, &dates, &created, &updated); err != nil {
		return nil, err
	}
	r.To = json.RawMessage(to)
	for _, f := range []struct {
		raw string
		dst *map[string]string
	}{{vars, &r.Variables}, {meta, &r.Metadata}, {dates, &r.Dates}} {
		if err := json.Unmarshal([]byte(f.raw), f.dst); err != nil {
			return nil, fmt.Errorf("occasion recipient %s: %w", r.ID, err)
		}
	}
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &r, nil
}

func jsonMap(m map[string]string) string {
	if m == nil {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// PutOccasionRecipients inserts or updates (by account, test flag and key) in one transaction.
func (s *Store) PutOccasionRecipients(ctx context.Context, rs []store.OccasionRecipient) ([]*store.OccasionRecipient, error) {
	out := make([]*store.OccasionRecipient, 0, len(rs))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		now := s.now()
		for i, r := range rs {
			if !store.ValidID(store.PrefixAccount, r.AccountID) || r.Key == "" || len(r.To) == 0 || !json.Valid(r.To) {
				return fmt.Errorf("put occasion recipient %d: %w: account, key and address are required", i+1, store.ErrInvalid)
			}
			var id string
			var created int64
			err := tx.QueryRowContext(ctx, s.q(`SELECT id, created_at FROM occasion_recipients WHERE account_id = ? AND test = ? AND ext_key = ?`+s.d.ForUpdate),
				r.AccountID, r.Test, r.Key).Scan(&id, &created)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				r.ID, r.CreatedAt = store.NewID(store.PrefixOccasionRecipient), now
				_, err = tx.ExecContext(ctx, s.q(`INSERT INTO occasion_recipients (`+occRecipientCols+`) VALUES (`+placeholders(11)+`)`),
					r.ID, r.AccountID, r.Test, r.Key, string(r.To), jsonMap(r.Variables), jsonMap(r.Metadata), r.Email, jsonMap(r.Dates),
					micros(now), micros(now))
			case err == nil:
				r.ID, r.CreatedAt = id, fromMicros(created)
				_, err = tx.ExecContext(ctx, s.q(`UPDATE occasion_recipients SET to_address = ?, variables = ?, metadata = ?, email = ?,
					dates = ?, updated_at = ? WHERE id = ?`),
					string(r.To), jsonMap(r.Variables), jsonMap(r.Metadata), r.Email, jsonMap(r.Dates), micros(now), id)
			}
			if err != nil {
				return fmt.Errorf("put occasion recipient %d: %w", i+1, err)
			}
			r.UpdatedAt = now
			out = append(out, &r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetOccasionRecipient returns an account's recipient.
func (s *Store) GetOccasionRecipient(ctx context.Context, accountID, id string) (*store.OccasionRecipient, error) {
	return getOwned(ctx, s, s.r, "occasion recipient", `SELECT `+occRecipientCols+` FROM occasion_recipients`, accountID, id, false, scanOccRecipient)
}

// ListOccasionRecipients pages through recipients in id order.
func (s *Store) ListOccasionRecipients(ctx context.Context, accountID string, f store.OccasionFilter) ([]*store.OccasionRecipient, string, error) {
	where, args := occWhere(accountID, f)
	return queryPage(ctx, s, "list occasion recipients", `SELECT `+occRecipientCols+` FROM occasion_recipients`+where+` ORDER BY id LIMIT ?`, args, f.Limit,
		scanOccRecipient, func(x *store.OccasionRecipient) string { return x.ID })
}

func occWhere(accountID string, f store.OccasionFilter) (string, []any) {
	var conds []string
	var args []any
	if accountID != store.AnyAccount {
		conds, args = append(conds, "account_id = ?"), append(args, accountID)
	}
	if f.Test != nil {
		conds, args = append(conds, "test = ?"), append(args, *f.Test)
	}
	if f.State != "" {
		conds, args = append(conds, "state = ?"), append(args, f.State)
	}
	if f.After != "" {
		conds, args = append(conds, "id > ?"), append(args, f.After)
	}
	if len(conds) == 0 {
		return "", nil
	}
	w := " WHERE " + conds[0]
	for _, c := range conds[1:] {
		w += " AND " + c
	}
	return w, args
}

// DeleteOccasionRecipients deletes the account's recipients with the given ids.
func (s *Store) DeleteOccasionRecipients(ctx context.Context, accountID string, ids ...string) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, id := range ids {
			query, args := `DELETE FROM occasion_recipients WHERE id = ?`, []any{id}
			if accountID != store.AnyAccount {
				query += ` AND account_id = ?`
				args = append(args, accountID)
			}
			res, err := tx.ExecContext(ctx, s.q(query), args...)
			if err != nil {
				return fmt.Errorf("delete occasion recipient %s: %w", id, err)
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	// A removed person's name, address and dates leave the files as an erased card's do (SQLite's
	// WAL would keep the deleted row until its next checkpoint, PostgreSQL the dead row version).
	if n > 0 {
		if err := s.afterErase(ctx); err != nil {
			return n, fmt.Errorf("delete occasion recipients: %w", err)
		}
	}
	return n, nil
}

const occRuleCols = `id, account_id, test, name, occasion, days_before, state, spec, created_at, updated_at`

func scanOccRule(sc scanner) (*store.OccasionRule, error) {
	var (
		r                store.OccasionRule
		spec             string
		created, updated int64
	)
	if err := sc.Scan(&r.ID, &r.AccountID, &r.Test, &r.Name, &r.Occasion, &r.DaysBefore, &r.State, &spec, &created, &updated); err != nil {
		return nil, err
	}
	r.Spec = json.RawMessage(spec)
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &r, nil
}

func validRuleState(st string) bool {
	return st == store.RuleActive || st == store.RulePaused || st == store.RuleCancelled
}

// CreateOccasionRule stores a new rule.
func (s *Store) CreateOccasionRule(ctx context.Context, r store.OccasionRule) (*store.OccasionRule, error) {
	if !store.ValidID(store.PrefixAccount, r.AccountID) || r.Occasion == "" {
		return nil, fmt.Errorf("create occasion rule: %w: account and occasion are required", store.ErrInvalid)
	}
	if r.State == "" {
		r.State = store.RuleActive
	}
	if len(r.Spec) == 0 {
		r.Spec = json.RawMessage("{}")
	}
	if !validRuleState(r.State) || !json.Valid(r.Spec) || r.DaysBefore < 0 || r.DaysBefore > 60 {
		return nil, fmt.Errorf("create occasion rule: %w: state, spec or days_before", store.ErrInvalid)
	}
	now := s.now()
	r.ID, r.CreatedAt, r.UpdatedAt = store.NewID(store.PrefixOccasionRule), now, now
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO occasion_rules (`+occRuleCols+`) VALUES (`+placeholders(10)+`)`),
		r.ID, r.AccountID, r.Test, r.Name, r.Occasion, r.DaysBefore, r.State, string(r.Spec), micros(now), micros(now))
	if err != nil {
		return nil, fmt.Errorf("create occasion rule: %w", err)
	}
	return &r, nil
}

func (s *Store) getOccRule(ctx context.Context, q querier, accountID, id string, lock bool) (*store.OccasionRule, error) {
	return getOwned(ctx, s, q, "occasion rule", `SELECT `+occRuleCols+` FROM occasion_rules`, accountID, id, lock, scanOccRule)
}

// GetOccasionRule returns an account's rule.
func (s *Store) GetOccasionRule(ctx context.Context, accountID, id string) (*store.OccasionRule, error) {
	return s.getOccRule(ctx, s.r, accountID, id, false)
}

// ListOccasionRules pages through rules in id order.
func (s *Store) ListOccasionRules(ctx context.Context, accountID string, f store.OccasionFilter) ([]*store.OccasionRule, string, error) {
	where, args := occWhere(accountID, f)
	return queryPage(ctx, s, "list occasion rules", `SELECT `+occRuleCols+` FROM occasion_rules`+where+` ORDER BY id LIMIT ?`, args, f.Limit,
		scanOccRule, func(x *store.OccasionRule) string { return x.ID })
}

// UpdateOccasionRule is a read-modify-write of a rule in one transaction.
func (s *Store) UpdateOccasionRule(ctx context.Context, accountID, id string, fn func(*store.OccasionRule) error) (*store.OccasionRule, error) {
	var out *store.OccasionRule
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := s.getOccRule(ctx, tx, accountID, id, true)
		if err != nil {
			return err
		}
		orig := *r
		if err := fn(r); err != nil {
			return err
		}
		if !validRuleState(r.State) || !json.Valid(r.Spec) || r.DaysBefore < 0 || r.DaysBefore > 60 {
			return fmt.Errorf("update occasion rule %s: %w: state, spec or days_before", id, store.ErrInvalid)
		}
		r.ID, r.AccountID, r.Test, r.Occasion, r.CreatedAt = orig.ID, orig.AccountID, orig.Test, orig.Occasion, orig.CreatedAt
		r.UpdatedAt = s.now()
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE occasion_rules SET name = ?, days_before = ?, state = ?, spec = ?, updated_at = ? WHERE id = ?`),
			r.Name, r.DaysBefore, r.State, string(r.Spec), micros(r.UpdatedAt), r.ID); err != nil {
			return fmt.Errorf("update occasion rule %s: %w", id, err)
		}
		out = r
		return nil
	})
	return out, err
}

// RecordOccasionSend notes a sent card once.
func (s *Store) RecordOccasionSend(ctx context.Context, os store.OccasionSend) error {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO occasion_sends (rule_id, recipient_id, year, card_id, write_on, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`), os.RuleID, os.RecipientID, os.Year, os.CardID, os.WriteOn, micros(s.now()))
	if err != nil && s.d.IsUnique(err) {
		return fmt.Errorf("occasion send %s/%s/%d: %w", os.RuleID, os.RecipientID, os.Year, store.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("occasion send %s/%s/%d: %w", os.RuleID, os.RecipientID, os.Year, err)
	}
	return nil
}

// OccasionSends returns a rule's sends of a year.
func (s *Store) OccasionSends(ctx context.Context, ruleID string, year int) (map[string]store.OccasionSend, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT recipient_id, card_id, write_on, created_at FROM occasion_sends WHERE rule_id = ? AND year = ?`), ruleID, year)
	if err != nil {
		return nil, fmt.Errorf("occasion sends %s/%d: %w", ruleID, year, err)
	}
	defer rows.Close()
	out := map[string]store.OccasionSend{}
	for rows.Next() {
		os := store.OccasionSend{RuleID: ruleID, Year: year}
		var created int64
		if err := rows.Scan(&os.RecipientID, &os.CardID, &os.WriteOn, &created); err != nil {
			return nil, err
		}
		os.CreatedAt = fromMicros(created)
		out[os.RecipientID] = os
	}
	return out, rows.Err()
}
