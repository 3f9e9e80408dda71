// Package sqlite opens quillpost's store in a SQLite file (modernc.org/sqlite, pure Go: no C
// compiler needed), the default for one machine.
//
// Concurrency: WAL mode so readers never block the writer; every transaction starts with BEGIN
// IMMEDIATE (it takes the write lock at once, so a transaction never fails half-way with
// SQLITE_BUSY when upgrading from read to write); one writer connection in this process so its own
// writers queue in Go instead of spinning on the lock; busy_timeout for other processes.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/quillpost/quillpost/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the database file OpenDir uses inside a data directory.
const FileName = "quillpost.db"

// Dialect is SQLite's SQL flavour for sqlstore.
func Dialect() sqlstore.Dialect {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded directory exists at build time
	}
	return sqlstore.Dialect{
		Name:          "sqlite",
		MetadataMatch: `EXISTS (SELECT 1 FROM json_each(c.metadata) j WHERE j.key = ? AND j.value = ?)`,
		IsUnique:      isUnique,
		Migrations:    sub,
		// With secure_delete on, the erased values were zeroed in the pages; the checkpoint
		// writes those pages into the database and empties the WAL, which held the old ones.
		AfterErase: []string{`PRAGMA wal_checkpoint(TRUNCATE)`},
	}
}

func isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// OpenDir opens (creating if needed) the store in dir/quillpost.db. A directory it creates is
// readable by the owner only.
func OpenDir(ctx context.Context, dir string) (*sqlstore.Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return Open(ctx, filepath.Join(dir, FileName))
}

// ownerOnly creates the database file with mode 0600 before SQLite opens it, or tightens an
// existing one, since SQLite would create it 0644 (world-readable: every card's address) and
// gives its WAL and shared-memory files the database file's mode.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Open opens (creating if needed) the store in a SQLite file and migrates it.
func Open(ctx context.Context, path string) (*sqlstore.Store, error) {
	dsn := func(readOnly bool) string {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "foreign_keys(1)")
		// Deleted and overwritten content is zeroed, not left in free pages and free cell
		// space where a copy of the file would still show an erased person's data.
		q.Add("_pragma", "secure_delete(1)")
		// NORMAL in WAL mode: a commit survives a process crash; only an OS crash or power loss
		// may drop the last commits (the database stays consistent). That buys ~10x insert speed.
		q.Add("_pragma", "synchronous(NORMAL)")
		if readOnly {
			q.Add("_pragma", "query_only(1)")
		} else {
			q.Set("_txlock", "immediate")
		}
		return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	}
	if err := ownerOnly(path); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	w, err := sql.Open("sqlite", dsn(false))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	s, err := sqlstore.Open(ctx, w, r, Dialect())
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}
