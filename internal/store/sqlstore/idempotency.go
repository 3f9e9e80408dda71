package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/quillpost/quillpost/internal/store"
)

// BeginIdempotent claims an idempotency key; see store.Store.
func (s *Store) BeginIdempotent(ctx context.Context, accountID, key, requestHash string, staleAfter time.Duration) (*store.Idempotency, bool, error) {
	if key == "" || len(key) > 255 {
		return nil, false, fmt.Errorf("idempotency key: %w: a key has 1 to 255 characters", store.ErrInvalid)
	}
	var (
		rec   *store.Idempotency
		fresh bool
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO idempotency_keys (account_id, key, request_hash, status_code, created_at)
			VALUES (?, ?, ?, 0, ?) ON CONFLICT DO NOTHING`), accountID, key, requestHash, micros(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			rec = &store.Idempotency{AccountID: accountID, Key: key, RequestHash: requestHash, CreatedAt: now}
			fresh = true
			return nil
		}
		var created int64
		rec = &store.Idempotency{AccountID: accountID, Key: key}
		err = tx.QueryRowContext(ctx, s.q(`SELECT request_hash, status_code, body, created_at FROM idempotency_keys
			WHERE account_id = ? AND key = ?`+s.d.ForUpdate), accountID, key).
			Scan(&rec.RequestHash, &rec.StatusCode, &rec.Body, &created)
		if err != nil {
			return err
		}
		rec.CreatedAt = fromMicros(created)
		if !rec.Done() && rec.RequestHash == requestHash && staleAfter > 0 && now.Sub(rec.CreatedAt) > staleAfter {
			res, err := tx.ExecContext(ctx, s.q(`UPDATE idempotency_keys SET created_at = ?
				WHERE account_id = ? AND key = ? AND status_code = 0 AND created_at = ?`), micros(now), accountID, key, created)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				rec.CreatedAt, fresh = now, true
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("idempotency key %q: %w", key, err)
	}
	return rec, fresh, nil
}

// FinishIdempotent records the response of the request holding the key.
func (s *Store) FinishIdempotent(ctx context.Context, accountID, key string, statusCode int, body []byte) error {
	if statusCode <= 0 {
		return fmt.Errorf("idempotency key %q: %w: status code %d", key, store.ErrInvalid, statusCode)
	}
	if body == nil {
		body = []byte{}
	}
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE idempotency_keys SET status_code = ?, body = ?
		WHERE account_id = ? AND key = ? AND status_code = 0`), statusCode, body, accountID, key)
	if err != nil {
		return fmt.Errorf("idempotency key %q: %w", key, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("idempotency key %q is not pending: %w", key, store.ErrConflict)
	}
	return nil
}

// AbandonIdempotent deletes a pending record so the key can be used again.
func (s *Store) AbandonIdempotent(ctx context.Context, accountID, key string) error {
	if _, err := s.w.ExecContext(ctx, s.q(`DELETE FROM idempotency_keys WHERE account_id = ? AND key = ? AND status_code = 0`),
		accountID, key); err != nil {
		return fmt.Errorf("idempotency key %q: %w", key, err)
	}
	return nil
}

// PruneIdempotency deletes records created before the given time.
func (s *Store) PruneIdempotency(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM idempotency_keys WHERE created_at < ?`), micros(before))
	if err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", err)
	}
	return res.RowsAffected()
}
