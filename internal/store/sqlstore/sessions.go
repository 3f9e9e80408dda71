package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/quillpost/quillpost/internal/store"
)

var (
	_ store.KeyAdmin     = (*Store)(nil)
	_ store.SessionStore = (*Store)(nil)
)

const keyCols = `id, account_id, kind, hint, created_at, revoked_at`

func scanKey(sc scanner) (store.APIKey, error) {
	var (
		k       store.APIKey
		kind    string
		created int64
		revoked sql.NullInt64
	)
	if err := sc.Scan(&k.ID, &k.AccountID, &kind, &k.Hint, &created, &revoked); err != nil {
		return k, err
	}
	k.Kind, k.CreatedAt, k.RevokedAt = store.KeyKind(kind), fromMicros(created), fromNullMicros(revoked)
	return k, nil
}

// ListKeys returns the account's keys, oldest first; see store.KeyAdmin.
func (s *Store) ListKeys(ctx context.Context, accountID string) ([]store.APIKey, error) {
	query, args := `SELECT `+keyCols+` FROM api_keys`, []any{}
	if accountID != store.AnyAccount {
		query, args = query+` WHERE account_id = ?`, append(args, accountID)
	}
	rows, err := s.r.QueryContext(ctx, s.q(query+` ORDER BY created_at, id`), args...)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	defer rows.Close()
	var out []store.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// GetKey returns one key; see store.KeyAdmin.
func (s *Store) GetKey(ctx context.Context, accountID, keyID string) (*store.APIKey, error) {
	query, args := `SELECT `+keyCols+` FROM api_keys WHERE id = ?`, []any{keyID}
	if accountID != store.AnyAccount {
		query, args = query+` AND account_id = ?`, append(args, accountID)
	}
	k, err := scanKey(s.r.QueryRowContext(ctx, s.q(query), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("key %s: %w", keyID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", keyID, err)
	}
	return &k, nil
}

// CreateSession stores an operator session; see store.SessionStore.
func (s *Store) CreateSession(ctx context.Context, tokenHash, keyID string, expires time.Time) error {
	if _, err := s.w.ExecContext(ctx, s.q(`INSERT INTO operator_sessions (token_hash, key_id, created_at, expires_at)
		VALUES (?, ?, ?, ?)`), tokenHash, keyID, micros(s.now()), micros(expires)); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionPrincipal resolves a session; see store.SessionStore. The key's revocation is read in
// the same query, so revoking a key ends its sessions at once.
func (s *Store) SessionPrincipal(ctx context.Context, tokenHash string, now time.Time) (*store.Principal, error) {
	var (
		p                      store.Principal
		kind                   string
		keyCreated, accCreated int64
	)
	err := s.r.QueryRowContext(ctx, s.q(`SELECT k.id, k.account_id, k.kind, k.hint, k.created_at, a.name, a.created_at
		FROM operator_sessions o JOIN api_keys k ON k.id = o.key_id JOIN accounts a ON a.id = k.account_id
		WHERE o.token_hash = ? AND o.expires_at > ? AND k.revoked_at IS NULL`), tokenHash, micros(now)).
		Scan(&p.Key.ID, &p.Key.AccountID, &kind, &p.Key.Hint, &keyCreated, &p.Account.Name, &accCreated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("session: %w", store.ErrUnauthorized)
	}
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	p.Key.Kind = store.KeyKind(kind)
	p.Key.CreatedAt = fromMicros(keyCreated)
	p.Account.ID, p.Account.CreatedAt = p.Key.AccountID, fromMicros(accCreated)
	return &p, nil
}

// DeleteSession ends a session; see store.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.w.ExecContext(ctx, s.q(`DELETE FROM operator_sessions WHERE token_hash = ?`), tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// PruneSessions deletes expired sessions; see store.SessionStore.
func (s *Store) PruneSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM operator_sessions WHERE expires_at <= ?`), micros(now))
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	return res.RowsAffected()
}
