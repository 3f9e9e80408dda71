package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// KeyKind says what an API key may do.
type KeyKind string

// The key kinds. Live and test keys act for their account; test keys make test cards (the test
// lane, simulated plotters only). Operator keys reach the operator endpoints.
const (
	KeyLive     KeyKind = "live"
	KeyTest     KeyKind = "test"
	KeyOperator KeyKind = "operator"
)

// keyPrefixes maps each kind to the start of its secrets: qp_live_…, qp_test_…, qp_op_….
var keyPrefixes = map[KeyKind]string{KeyLive: "qp_live_", KeyTest: "qp_test_", KeyOperator: "qp_op_"}

// Valid reports whether k is a known kind.
func (k KeyKind) Valid() bool { _, ok := keyPrefixes[k]; return ok }

// APIKey is a stored key. The secret itself is never stored, only its SHA-256.
type APIKey struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	Kind      KeyKind   `json:"kind"`
	Hint      string    `json:"hint"` // the secret's first characters, to tell keys apart in lists
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Principal is who a request acts for.
type Principal struct {
	Account Account
	Key     APIKey
}

// keySecretLen is the length of the random part: 20 bytes (160 bits) in base32.
const keySecretLen = 32

var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// GenerateKey returns a new random secret of the given kind, e.g. "qp_live_…".
func GenerateKey(kind KeyKind) (string, error) {
	prefix, ok := keyPrefixes[kind]
	if !ok {
		return "", fmt.Errorf("generate key: %w: unknown key kind %q", ErrInvalid, kind)
	}
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate key: %w", err)
	}
	return prefix + keyEncoding.EncodeToString(b[:]), nil
}

// ParseKey checks a secret's shape and returns its kind (the kind stored with the key is what
// counts; this only rejects garbage before a database lookup).
func ParseKey(secret string) (KeyKind, error) {
	for kind, prefix := range keyPrefixes {
		body, ok := strings.CutPrefix(secret, prefix)
		if !ok {
			continue
		}
		if len(body) != keySecretLen {
			break
		}
		for i := 0; i < len(body); i++ {
			if c := body[i]; !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
				return "", ErrUnauthorized
			}
		}
		return kind, nil
	}
	return "", ErrUnauthorized
}

// HashKey is the stored form of a secret: hex SHA-256. Keys carry 160 random bits, so a fast hash
// is enough (no password stretching needed) and lookups stay one indexed read.
func HashKey(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// KeyHint is the part of a secret shown in key lists.
func KeyHint(secret string) string {
	i := strings.LastIndexByte(secret, '_')
	if i < 0 || len(secret) < i+5 {
		return ""
	}
	return secret[:i+5] + "…"
}

// KeyAdmin lists an account's keys for the keys CLI and API. The SQL stores implement it besides
// Store; callers find it with a type assertion.
type KeyAdmin interface {
	// ListKeys returns the account's keys, revoked ones included, oldest first (AnyAccount: all).
	ListKeys(ctx context.Context, accountID string) ([]APIKey, error)
	// GetKey returns one key of the account (AnyAccount: of any account), revoked or not.
	GetKey(ctx context.Context, accountID, keyID string) (*APIKey, error)
}

// SessionStore keeps operator sessions: the browser holds a random token, the store only its
// hash. A session dies when it expires, at logout, and at once when its key is revoked.
type SessionStore interface {
	// CreateSession stores a session of the key that expires at expires.
	CreateSession(ctx context.Context, tokenHash, keyID string, expires time.Time) error
	// SessionPrincipal resolves a live session (not expired, its key not revoked) as of now, or
	// ErrUnauthorized.
	SessionPrincipal(ctx context.Context, tokenHash string, now time.Time) (*Principal, error)
	// DeleteSession ends a session; ending one that is gone is not an error.
	DeleteSession(ctx context.Context, tokenHash string) error
	// PruneSessions deletes sessions expired before now.
	PruneSessions(ctx context.Context, now time.Time) (int64, error)
}

// NewSessionToken returns a random session token (256 bits) and the hash the store keeps.
func NewSessionToken() (token, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("session token: %w", err)
	}
	token = "qps_" + keyEncoding.EncodeToString(b[:])
	return token, HashKey(token), nil
}
