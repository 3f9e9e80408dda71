package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/quillpost/quillpost/internal/store"
)

// CreateCampaign stores a new campaign.
func (s *Store) CreateCampaign(ctx context.Context, nc store.NewCampaign) (*store.Campaign, error) {
	if !store.ValidID(store.PrefixAccount, nc.AccountID) {
		return nil, fmt.Errorf("create campaign: %w: account id %q", store.ErrInvalid, nc.AccountID)
	}
	spec := nc.Spec
	if len(spec) == 0 {
		spec = json.RawMessage("{}")
	}
	if !json.Valid(spec) {
		return nil, fmt.Errorf("create campaign: %w: the spec is not valid JSON", store.ErrInvalid)
	}
	state := nc.State
	if state == "" {
		state = "draft"
	}
	now := s.now()
	c := &store.Campaign{ID: store.NewID(store.PrefixCampaign), AccountID: nc.AccountID, Name: nc.Name,
		State: state, Spec: spec, CreatedAt: now, UpdatedAt: now}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM accounts WHERE id = ?`), nc.AccountID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("account %s: %w", nc.AccountID, store.ErrNotFound)
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO campaigns (id, account_id, name, state, spec, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), c.ID, c.AccountID, c.Name, c.State, string(c.Spec), micros(now), micros(now))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create campaign: %w", err)
	}
	return c, nil
}

func (s *Store) getCampaign(ctx context.Context, q querier, accountID, id string, lock bool) (*store.Campaign, error) {
	if !store.ValidID(store.PrefixCampaign, id) {
		return nil, fmt.Errorf("campaign %q: %w", id, store.ErrNotFound)
	}
	query := `SELECT id, account_id, name, state, spec, created_at, updated_at FROM campaigns WHERE id = ?`
	args := []any{id}
	if accountID != store.AnyAccount {
		query += ` AND account_id = ?`
		args = append(args, accountID)
	}
	if lock {
		query += s.d.ForUpdate
	}
	var (
		c                store.Campaign
		spec             string
		created, updated int64
	)
	err := q.QueryRowContext(ctx, s.q(query), args...).Scan(&c.ID, &c.AccountID, &c.Name, &c.State, &spec, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("campaign %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("campaign %s: %w", id, err)
	}
	c.Spec = json.RawMessage(spec)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

// GetCampaign returns an account's campaign.
func (s *Store) GetCampaign(ctx context.Context, accountID, id string) (*store.Campaign, error) {
	return s.getCampaign(ctx, s.r, accountID, id, false)
}

// UpdateCampaign changes a campaign's name, state and spec in one read-modify-write transaction.
func (s *Store) UpdateCampaign(ctx context.Context, accountID, id string, fn func(*store.Campaign) error) (*store.Campaign, error) {
	var out *store.Campaign
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		c, err := s.getCampaign(ctx, tx, accountID, id, true)
		if err != nil {
			return err
		}
		orig := *c
		if err := fn(c); err != nil {
			return err
		}
		if len(c.Spec) == 0 {
			c.Spec = json.RawMessage("{}")
		}
		if !json.Valid(c.Spec) {
			return fmt.Errorf("update campaign %s: %w: the spec is not valid JSON", id, store.ErrInvalid)
		}
		c.ID, c.AccountID, c.CreatedAt = orig.ID, orig.AccountID, orig.CreatedAt
		c.UpdatedAt = s.now()
		_, err = tx.ExecContext(ctx, s.q(`UPDATE campaigns SET name = ?, state = ?, spec = ?, updated_at = ? WHERE id = ?`),
			c.Name, c.State, string(c.Spec), micros(c.UpdatedAt), c.ID)
		if err != nil {
			return fmt.Errorf("update campaign %s: %w", id, err)
		}
		out = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CampaignCounts counts a campaign's cards by status.
func (s *Store) CampaignCounts(ctx context.Context, accountID, id string) (map[store.Status]int, error) {
	if _, err := s.GetCampaign(ctx, accountID, id); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT status, COUNT(*) FROM cards WHERE campaign_id = ? GROUP BY status`), id)
	if err != nil {
		return nil, fmt.Errorf("campaign %s counts: %w", id, err)
	}
	defer rows.Close()
	out := map[store.Status]int{}
	for rows.Next() {
		var (
			st string
			n  int
		)
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("campaign %s counts: %w", id, err)
		}
		out[store.Status(st)] = n
	}
	return out, rows.Err()
}
