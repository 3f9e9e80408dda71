package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/quillpost/quillpost/internal/store"
)

// PendingOutbox returns unpublished messages, oldest first. It reads all unpublished rows rather
// than from a high-water mark, so a transaction that commits a lower id late is still seen.
func (s *Store) PendingOutbox(ctx context.Context, limit int) ([]store.OutboxMessage, error) {
	if limit <= 0 {
		limit = 100
	}
	return s.pendingOutbox(ctx, `SELECT id, kind, key, msg_id, payload, created_at FROM outbox
		WHERE published_at IS NULL ORDER BY id LIMIT ?`, limit)
}

func (s *Store) pendingOutbox(ctx context.Context, query string, args ...any) ([]store.OutboxMessage, error) {
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("pending outbox: %w", err)
	}
	defer rows.Close()
	var out []store.OutboxMessage
	for rows.Next() {
		var (
			m       store.OutboxMessage
			kind    string
			created int64
		)
		if err := rows.Scan(&m.ID, &kind, &m.Key, &m.MsgID, &m.Payload, &created); err != nil {
			return nil, fmt.Errorf("pending outbox: %w", err)
		}
		m.Kind, m.CreatedAt = store.OutboxKind(kind), fromMicros(created)
		out = append(out, m)
	}
	return out, rows.Err()
}

// MarkPublished marks messages published; already published ones keep their first time.
func (s *Store) MarkPublished(ctx context.Context, ids ...int64) error {
	now := micros(s.now())
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := []any{now}
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		if _, err := s.w.ExecContext(ctx, s.q(`UPDATE outbox SET published_at = ?
			WHERE published_at IS NULL AND id IN (`+placeholders(n)+`)`), args...); err != nil {
			return fmt.Errorf("mark outbox published: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// PruneOutbox deletes messages published before the given time.
func (s *Store) PruneOutbox(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < ?`), micros(before))
	if err != nil {
		return 0, fmt.Errorf("prune outbox: %w", err)
	}
	return res.RowsAffected()
}

// PendingOutboxAfter returns unpublished messages with ids above afterID, oldest first: the
// relay's next batch while the previous ones are still being confirmed.
func (s *Store) PendingOutboxAfter(ctx context.Context, afterID int64, limit int) ([]store.OutboxMessage, error) {
	if limit <= 0 {
		limit = 100
	}
	return s.pendingOutbox(ctx, `SELECT id, kind, key, msg_id, payload, created_at FROM outbox
		WHERE published_at IS NULL AND id > ? ORDER BY id LIMIT ?`, afterID, limit)
}
