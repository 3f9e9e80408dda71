package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/quillpost/quillpost/internal/store"
)

var _ store.CampaignLister = (*Store)(nil)

// ListCampaigns pages through an account's campaigns, newest first.
func (s *Store) ListCampaigns(ctx context.Context, accountID string, f store.CampaignFilter) ([]*store.Campaign, string, error) {
	query, args := `SELECT id, account_id, name, state, spec, created_at, updated_at FROM campaigns WHERE account_id = ?`, []any{accountID}
	if f.State != "" {
		query += ` AND state = ?`
		args = append(args, f.State)
	}
	if f.After != "" {
		query += ` AND id < ?`
		args = append(args, f.After)
	}
	limit := pageLimit(f.Limit)
	rows, err := s.r.QueryContext(ctx, s.q(query+` ORDER BY id DESC LIMIT ?`), append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list campaigns: %w", err)
	}
	defer rows.Close()
	var out []*store.Campaign
	for rows.Next() {
		var (
			c                store.Campaign
			spec             string
			created, updated int64
		)
		if err := rows.Scan(&c.ID, &c.AccountID, &c.Name, &c.State, &spec, &created, &updated); err != nil {
			return nil, "", fmt.Errorf("list campaigns: %w", err)
		}
		c.Spec = json.RawMessage(spec)
		c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
		out = append(out, &c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}
