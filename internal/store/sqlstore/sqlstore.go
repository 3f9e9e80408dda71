// Package sqlstore implements store.Store once, in portable SQL, for every database/sql backend;
// a Dialect supplies the few differences (placeholders, JSON matching, row locks, error codes,
// migrations). internal/store/sqlite and internal/store/postgres are thin openers around it.
//
// Portable choices: times are BIGINT microseconds since the Unix epoch (UTC), JSON is TEXT, booleans
// are written as Go bools (SQLite stores 0/1), statuses are TEXT with a CHECK constraint.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quillpost/quillpost/internal/store"
)

// Dialect is what differs between databases.
type Dialect struct {
	Name string
	// Numbered placeholders ($1, $2, ...) instead of '?'.
	Numbered bool
	// MetadataMatch is a boolean SQL expression over the cards table aliased c, with two
	// placeholders: a metadata key and the value it must have.
	MetadataMatch string
	// ForUpdate is appended to a SELECT that reads a row a transaction will change ("" where the
	// transaction already holds the write lock, as SQLite's BEGIN IMMEDIATE does).
	ForUpdate string
	// ForNoKeyUpdate locks a parent row against other lockers without blocking the foreign-key
	// checks of inserts that reference it (PostgreSQL's FOR NO KEY UPDATE; "" as ForUpdate).
	ForNoKeyUpdate string
	// IsUnique reports a unique-constraint violation.
	IsUnique func(error) bool
	// Migrations holds NNNN_name.sql files at its root, applied in number order.
	Migrations fs.FS
	// AfterErase are statements run, outside any transaction, after EraseCards changed rows, so
	// that the erased values leave the database files too: SQLite checkpoints its WAL back into the
	// database (whose freed space secure_delete has zeroed) and truncates it; PostgreSQL vacuums
	// the tables, removing the dead row versions.
	AfterErase []string
	// MigrationLock, if set, runs first in each migration transaction so that processes starting
	// together do not migrate twice (PostgreSQL: an advisory transaction lock).
	MigrationLock string
}

// Store is a store.Store over database/sql.
type Store struct {
	w, r *sql.DB // writes go to w; reads outside transactions to r (may be the same pool)
	d    Dialect
	now  func() time.Time

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // prepared hot statements on w, by rebound query text

	createCh chan *createReq // group commit of CreateCard (batch.go)
	stop     chan struct{}
	stopped  chan struct{}
}

var _ store.Store = (*Store)(nil)

// Open migrates the database and returns the store. writer takes every transaction; reader the
// plain reads (SQLite: a separate read-only pool, so reads never wait for the single writer).
// The store closes both pools on Close.
func Open(ctx context.Context, writer, reader *sql.DB, d Dialect) (*Store, error) {
	if reader == nil {
		reader = writer
	}
	s := &Store{w: writer, r: reader, d: d, now: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		stmts: map[string]*sql.Stmt{}}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	if err := s.prepareHot(ctx); err != nil {
		return nil, err
	}
	s.startBatcher()
	return s, nil
}

// Close closes the database pools.
func (s *Store) Close() error {
	s.stopBatcher()
	s.mu.Lock()
	var err error
	for _, st := range s.stmts {
		err = errors.Join(err, st.Close())
	}
	s.stmts = map[string]*sql.Stmt{}
	s.mu.Unlock()
	err = errors.Join(err, s.w.Close())
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// DB returns the writer pool, for tests and tools that inspect the schema.
func (s *Store) DB() *sql.DB { return s.w }

// q rewrites '?' placeholders for the dialect.
func (s *Store) q(query string) string {
	if !s.d.Numbered {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// txExec runs a write statement in tx, through a statement prepared in Open when it is one of the
// hot ones (parsing the SQL was a fifth of the cost of creating a card). Statements cannot be
// prepared lazily here: SQLite's writer pool has one connection, which tx holds.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	query = s.q(query)
	s.mu.Lock()
	st, ok := s.stmts[query]
	s.mu.Unlock()
	if !ok {
		return tx.ExecContext(ctx, query, args...)
	}
	return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

// prepareHot prepares the statements every card takes.
func (s *Store) prepareHot(ctx context.Context) error {
	for _, query := range []string{insertCardSQL, insertEventSQL, insertOutboxSQL, updateStatusSQL} {
		query = s.q(query)
		st, err := s.w.PrepareContext(ctx, query)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		s.mu.Lock()
		s.stmts[query] = st
		s.mu.Unlock()
	}
	return nil
}

// inTx runs fn in a write transaction and commits it, rolling back on error.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// micros and fromMicros convert times to and from the stored form.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(t), Valid: true}
}

func fromNullMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMicros(n.Int64)
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
