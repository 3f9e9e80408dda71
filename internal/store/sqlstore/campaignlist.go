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
	return queryPage(ctx, s, "list campaigns", query+` ORDER BY id DESC LIMIT ?`, args, f.Limit,
		scanListedCampaign, func(c *store.Campaign) string { return c.ID })
}

func scanListedCampaign(sc scanner) (*store.Campaign, error) {
	var (
		c                store.Campaign
		spec             string
		created, updated int64
	)
	if err := sc.Scan(&c.ID, &c.AccountID, &c.Name, &c.State, &spec, &created, &updated); err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	c.Spec = json.RawMessage(spec)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}
