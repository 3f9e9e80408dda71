package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/quillpost/quillpost/internal/store"
)

var _ store.WebhookStore = (*Store)(nil)

// CreateWebhook stores a new endpoint.
func (s *Store) CreateWebhook(ctx context.Context, nw store.NewWebhook) (*store.Webhook, error) {
	if !store.ValidID(store.PrefixAccount, nw.AccountID) {
		return nil, fmt.Errorf("create webhook: %w: account id %q", store.ErrInvalid, nw.AccountID)
	}
	if nw.URL == "" || nw.Secret == "" || len(nw.EventTypes) == 0 {
		return nil, fmt.Errorf("create webhook: %w: url, secret and event types are required", store.ErrInvalid)
	}
	types, err := json.Marshal(nw.EventTypes)
	if err != nil {
		return nil, err
	}
	w := &store.Webhook{ID: store.NewID(store.PrefixWebhook), AccountID: nw.AccountID, URL: nw.URL,
		EventTypes: append([]string(nil), nw.EventTypes...), Secret: nw.Secret, Test: nw.Test, CreatedAt: s.now()}
	if _, err := s.w.ExecContext(ctx, s.q(`INSERT INTO webhooks (id, account_id, url, event_types, secret, test, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`), w.ID, w.AccountID, w.URL, string(types), w.Secret, w.Test, micros(w.CreatedAt)); err != nil {
		return nil, fmt.Errorf("create webhook: %w", err)
	}
	return w, nil
}

const webhookCols = `id, account_id, url, event_types, secret, test, created_at`

func scanWebhook(sc scanner) (*store.Webhook, error) {
	var (
		w       store.Webhook
		types   string
		created int64
	)
	if err := sc.Scan(&w.ID, &w.AccountID, &w.URL, &types, &w.Secret, &w.Test, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(types), &w.EventTypes); err != nil {
		return nil, fmt.Errorf("webhook %s: event types: %w", w.ID, err)
	}
	w.CreatedAt = fromMicros(created)
	return &w, nil
}

// GetWebhook returns an account's live endpoint.
func (s *Store) GetWebhook(ctx context.Context, accountID, id string) (*store.Webhook, error) {
	if !store.ValidID(store.PrefixWebhook, id) {
		return nil, fmt.Errorf("webhook %q: %w", id, store.ErrNotFound)
	}
	query := `SELECT ` + webhookCols + ` FROM webhooks WHERE id = ? AND deleted_at IS NULL`
	args := []any{id}
	if accountID != store.AnyAccount {
		query += ` AND account_id = ?`
		args = append(args, accountID)
	}
	w, err := scanWebhook(s.r.QueryRowContext(ctx, s.q(query), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("webhook %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("webhook %s: %w", id, err)
	}
	return w, nil
}

// ListWebhooks returns an account's live endpoints, oldest first.
func (s *Store) ListWebhooks(ctx context.Context, accountID string) ([]*store.Webhook, error) {
	return s.listWebhooks(ctx, s.r, accountID)
}

func (s *Store) listWebhooks(ctx context.Context, q querier, accountID string) ([]*store.Webhook, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT `+webhookCols+` FROM webhooks
		WHERE account_id = ? AND deleted_at IS NULL ORDER BY id`), accountID)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	defer rows.Close()
	var out []*store.Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("list webhooks: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// DeleteWebhook stops an endpoint; its delivery log stays. Pending deliveries fail.
func (s *Store) DeleteWebhook(ctx context.Context, accountID, id string) error {
	if !store.ValidID(store.PrefixWebhook, id) {
		return fmt.Errorf("webhook %q: %w", id, store.ErrNotFound)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		now := micros(s.now())
		res, err := tx.ExecContext(ctx, s.q(`UPDATE webhooks SET deleted_at = ? WHERE id = ? AND account_id = ? AND deleted_at IS NULL`),
			now, id, accountID)
		if err != nil {
			return fmt.Errorf("delete webhook %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("webhook %s: %w", id, store.ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET status = 'failed', last_error = 'the webhook was deleted', updated_at = ?
			WHERE webhook_id = ? AND status = 'pending'`), now, id)
		return err
	})
}

// EnqueueDeliveries fans an event out to the subscribed endpoints; see store.WebhookStore.
func (s *Store) EnqueueDeliveries(ctx context.Context, ev store.DeliveryEvent) (int, error) {
	if ev.ID == "" || ev.AccountID == "" || ev.Type == "" || len(ev.Payload) == 0 {
		return 0, fmt.Errorf("enqueue deliveries: %w: event id, account, type and payload are required", store.ErrInvalid)
	}
	hooks, err := s.listWebhooks(ctx, s.r, ev.AccountID)
	if err != nil || len(hooks) == 0 {
		return 0, err
	}
	n := 0
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		n = 0
		now := s.now()
		for _, w := range hooks {
			if w.Test != ev.Test || !w.Subscribed(ev.Type) || (!ev.CreatedAt.IsZero() && ev.CreatedAt.Before(w.CreatedAt)) {
				continue
			}
			res, err := tx.ExecContext(ctx, s.q(`INSERT INTO webhook_deliveries (id, webhook_id, account_id, event_id, event_type,
				card_id, payload, status, attempts, next_attempt_at, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT (webhook_id, event_id) DO NOTHING`),
				store.NewID(store.PrefixDelivery), w.ID, ev.AccountID, ev.ID, ev.Type, ev.CardID, ev.Payload,
				micros(now), micros(now), micros(now))
			if err != nil {
				return fmt.Errorf("enqueue delivery of %s: %w", ev.ID, err)
			}
			if k, _ := res.RowsAffected(); k == 1 {
				n++
			}
		}
		return nil
	})
	return n, err
}

const deliveryCols = `d.id, d.webhook_id, d.account_id, d.event_id, d.event_type, d.card_id, d.payload, d.status,
	d.attempts, d.next_attempt_at, d.last_status_code, d.last_error, d.created_at, d.updated_at`

func scanDelivery(sc scanner) (*store.Delivery, error) {
	var (
		d                      store.Delivery
		status                 string
		next, created, updated int64
	)
	if err := sc.Scan(&d.ID, &d.WebhookID, &d.AccountID, &d.EventID, &d.EventType, &d.CardID, &d.Payload, &status,
		&d.Attempts, &next, &d.LastStatusCode, &d.LastError, &created, &updated); err != nil {
		return nil, err
	}
	d.Status = store.DeliveryStatus(status)
	if d.Status == store.DeliveryPending {
		d.NextAttemptAt = fromMicros(next)
	}
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &d, nil
}

// ClaimDeliveries leases due deliveries; see store.WebhookStore.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*store.Delivery, error) {
	if limit <= 0 {
		limit = 50
	}
	var out []*store.Delivery
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, s.q(`SELECT `+deliveryCols+` FROM webhook_deliveries d
			WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at LIMIT ?`+s.d.ForUpdate), micros(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		until := micros(now.Add(lease))
		for _, d := range out {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ?`), until, d.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return out, nil
}

// RecordAttempt logs an attempt and moves its delivery on; see store.WebhookStore.
func (s *Store) RecordAttempt(ctx context.Context, a store.DeliveryAttempt, status store.DeliveryStatus, next time.Time) error {
	if a.ID == "" {
		a.ID = store.NewID(store.PrefixAttempt)
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now()
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO webhook_attempts (id, delivery_id, attempt, status_code, error, duration_ms, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), a.ID, a.DeliveryID, a.Attempt, a.StatusCode, a.Error, a.DurationMS, micros(a.CreatedAt)); err != nil {
			return fmt.Errorf("record attempt of %s: %w", a.DeliveryID, err)
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?,
			last_status_code = ?, last_error = ?, updated_at = ? WHERE id = ? AND status = 'pending'`),
			string(status), a.Attempt, micros(next), a.StatusCode, a.Error, micros(s.now()), a.DeliveryID)
		if err != nil {
			return fmt.Errorf("record attempt of %s: %w", a.DeliveryID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("delivery %s is not pending: %w", a.DeliveryID, store.ErrConflict)
		}
		return nil
	})
}

// GetDelivery returns one delivery of the account.
func (s *Store) GetDelivery(ctx context.Context, accountID, id string) (*store.Delivery, error) {
	if !store.ValidID(store.PrefixDelivery, id) {
		return nil, fmt.Errorf("delivery %q: %w", id, store.ErrNotFound)
	}
	query := `SELECT ` + deliveryCols + ` FROM webhook_deliveries d WHERE d.id = ?`
	args := []any{id}
	if accountID != store.AnyAccount {
		query += ` AND d.account_id = ?`
		args = append(args, accountID)
	}
	d, err := scanDelivery(s.r.QueryRowContext(ctx, s.q(query), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("delivery %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("delivery %s: %w", id, err)
	}
	return d, nil
}

// ListDeliveries returns a page of an endpoint's deliveries, newest first.
func (s *Store) ListDeliveries(ctx context.Context, accountID, webhookID string, f store.DeliveryFilter) ([]*store.Delivery, string, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	where := []string{"d.webhook_id = ?"}
	args := []any{webhookID}
	if accountID != store.AnyAccount {
		where, args = append(where, "d.account_id = ?"), append(args, accountID)
	}
	if f.Status != "" {
		where, args = append(where, "d.status = ?"), append(args, string(f.Status))
	}
	if f.After != "" {
		if !store.ValidID(store.PrefixDelivery, f.After) {
			return nil, "", fmt.Errorf("list deliveries: %w: cursor %q is not a delivery id", store.ErrInvalid, f.After)
		}
		where, args = append(where, "d.id < ?"), append(args, f.After)
	}
	args = append(args, limit+1)
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+deliveryCols+` FROM webhook_deliveries d WHERE `+
		strings.Join(where, " AND ")+` ORDER BY d.id DESC LIMIT ?`), args...)
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	var out []*store.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// DeliveryAttempts returns a delivery's log, oldest first.
func (s *Store) DeliveryAttempts(ctx context.Context, accountID, deliveryID string) ([]store.DeliveryAttempt, error) {
	if _, err := s.GetDelivery(ctx, accountID, deliveryID); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT id, delivery_id, attempt, status_code, error, duration_ms, created_at
		FROM webhook_attempts WHERE delivery_id = ? ORDER BY created_at, attempt`), deliveryID)
	if err != nil {
		return nil, fmt.Errorf("attempts of %s: %w", deliveryID, err)
	}
	defer rows.Close()
	var out []store.DeliveryAttempt
	for rows.Next() {
		var (
			a       store.DeliveryAttempt
			created int64
		)
		if err := rows.Scan(&a.ID, &a.DeliveryID, &a.Attempt, &a.StatusCode, &a.Error, &a.DurationMS, &created); err != nil {
			return nil, fmt.Errorf("attempts of %s: %w", deliveryID, err)
		}
		a.CreatedAt = fromMicros(created)
		out = append(out, a)
	}
	return out, rows.Err()
}

// ReplayDeliveries makes failed deliveries pending again; see store.WebhookStore.
func (s *Store) ReplayDeliveries(ctx context.Context, accountID, webhookID string, ids []string) (int, error) {
	if _, err := s.GetWebhook(ctx, accountID, webhookID); err != nil {
		return 0, err
	}
	now := micros(s.now())
	// attempts restarts at 0: a replay gets the full retry budget again (the log keeps every attempt).
	query := `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?
		WHERE webhook_id = ? AND account_id = ? AND status = 'failed'`
	args := []any{now, now, webhookID, accountID}
	if len(ids) > 0 {
		query += ` AND id IN (` + placeholders(len(ids)) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	res, err := s.w.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return 0, fmt.Errorf("replay deliveries of %s: %w", webhookID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
