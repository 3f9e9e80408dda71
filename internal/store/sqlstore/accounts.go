package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/quillpost/quillpost/internal/store"
)

// CreateAccount adds an account with a unique name.
func (s *Store) CreateAccount(ctx context.Context, name string) (*store.Account, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return nil, fmt.Errorf("create account: %w: an account name has 1 to 200 characters", store.ErrInvalid)
	}
	a := &store.Account{ID: store.NewID(store.PrefixAccount), Name: name, CreatedAt: s.now()}
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)`),
		a.ID, a.Name, micros(a.CreatedAt))
	if err != nil {
		if s.d.IsUnique(err) {
			return nil, fmt.Errorf("create account: %w: an account named %q exists", store.ErrDuplicate, name)
		}
		return nil, fmt.Errorf("create account: %w", err)
	}
	return a, nil
}

func (s *Store) account(ctx context.Context, where string, arg any) (*store.Account, error) {
	var (
		a       store.Account
		created int64
	)
	err := s.r.QueryRowContext(ctx, s.q(`SELECT id, name, created_at FROM accounts WHERE `+where), arg).
		Scan(&a.ID, &a.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	a.CreatedAt = fromMicros(created)
	return &a, nil
}

// GetAccount returns an account by id.
func (s *Store) GetAccount(ctx context.Context, id string) (*store.Account, error) {
	a, err := s.account(ctx, "id = ?", id)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", id, err)
	}
	return a, nil
}

// AccountByName returns an account by its name.
func (s *Store) AccountByName(ctx context.Context, name string) (*store.Account, error) {
	a, err := s.account(ctx, "name = ?", strings.TrimSpace(name))
	if err != nil {
		return nil, fmt.Errorf("account %q: %w", name, err)
	}
	return a, nil
}

// CreateKey makes a key for the account and returns its secret (shown once).
func (s *Store) CreateKey(ctx context.Context, accountID string, kind store.KeyKind) (string, *store.APIKey, error) {
	secret, err := store.GenerateKey(kind)
	if err != nil {
		return "", nil, err
	}
	k := &store.APIKey{ID: store.NewID(store.PrefixKey), AccountID: accountID, Kind: kind,
		Hint: store.KeyHint(secret), CreatedAt: s.now()}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM accounts WHERE id = ?`), accountID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("account %s: %w", accountID, store.ErrNotFound)
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO api_keys (id, account_id, kind, hash, hint, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`), k.ID, k.AccountID, string(k.Kind), store.HashKey(secret), k.Hint, micros(k.CreatedAt))
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("create key: %w", err)
	}
	return secret, k, nil
}

// Authenticate resolves a secret to its account and key.
func (s *Store) Authenticate(ctx context.Context, secret string) (*store.Principal, error) {
	if _, err := store.ParseKey(secret); err != nil {
		return nil, fmt.Errorf("authenticate: %w", store.ErrUnauthorized)
	}
	var (
		p                      store.Principal
		kind                   string
		keyCreated, accCreated int64
	)
	err := s.r.QueryRowContext(ctx, s.q(`SELECT k.id, k.account_id, k.kind, k.hint, k.created_at, a.name, a.created_at
		FROM api_keys k JOIN accounts a ON a.id = k.account_id
		WHERE k.hash = ? AND k.revoked_at IS NULL`), store.HashKey(secret)).
		Scan(&p.Key.ID, &p.Key.AccountID, &kind, &p.Key.Hint, &keyCreated, &p.Account.Name, &accCreated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("authenticate: %w", store.ErrUnauthorized)
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	p.Key.Kind = store.KeyKind(kind)
	p.Key.CreatedAt = fromMicros(keyCreated)
	p.Account.ID, p.Account.CreatedAt = p.Key.AccountID, fromMicros(accCreated)
	return &p, nil
}

// RevokeKey revokes an account's key; revoking it again is not an error.
func (s *Store) RevokeKey(ctx context.Context, accountID, keyID string) error {
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE api_keys SET revoked_at = ?
		WHERE id = ? AND account_id = ? AND revoked_at IS NULL`), micros(s.now()), keyID, accountID)
	if err != nil {
		return fmt.Errorf("revoke key %s: %w", keyID, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var n int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM api_keys WHERE id = ? AND account_id = ?`),
		keyID, accountID).Scan(&n); err != nil {
		return fmt.Errorf("revoke key %s: %w", keyID, err)
	}
	if n == 0 {
		return fmt.Errorf("revoke key %s: %w", keyID, store.ErrNotFound)
	}
	return nil
}
