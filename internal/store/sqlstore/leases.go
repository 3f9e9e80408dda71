package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/quillpost/quillpost/internal/store"
)

// RenewLease extends a plotting card's lease; see store.LeaseStore.
func (s *Store) RenewLease(ctx context.Context, cardID string, attempt int, ttl time.Duration) (time.Time, error) {
	if ttl <= 0 {
		ttl = store.DefaultLease
	}
	until := s.now().Add(ttl)
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE cards SET lease_until = ?
		WHERE id = ? AND status = ? AND attempts = ?`), micros(until), cardID, string(store.StatusPlotting), attempt)
	if err != nil {
		return time.Time{}, fmt.Errorf("renew lease of %s: %w", cardID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return time.Time{}, fmt.Errorf("renew lease of %s: %w", cardID, err)
	}
	if n != 1 {
		return time.Time{}, fmt.Errorf("renew lease of %s: not plotting at attempt %d: %w", cardID, attempt, store.ErrConflict)
	}
	return until.UTC(), nil
}

// ExpiredLeases lists plotting cards whose lease ran out; see store.LeaseStore.
func (s *Store) ExpiredLeases(ctx context.Context, now time.Time, limit int) ([]store.Lease, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT id, attempts, lease_holder, lease_until FROM cards
		WHERE status = ? AND lease_until < ? ORDER BY lease_until LIMIT ?`), string(store.StatusPlotting), micros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("expired leases: %w", err)
	}
	defer rows.Close()
	var out []store.Lease
	for rows.Next() {
		var (
			l     store.Lease
			until int64
		)
		if err := rows.Scan(&l.CardID, &l.Attempt, &l.Holder, &until); err != nil {
			return nil, fmt.Errorf("expired leases: %w", err)
		}
		l.Until = fromMicros(until)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("expired leases: %w", err)
	}
	return out, nil
}
