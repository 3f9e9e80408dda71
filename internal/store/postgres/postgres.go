// Package postgres opens quillpost's store in PostgreSQL (github.com/jackc/pgx/v5 through
// database/sql), for fleets where API processes on several machines share one database.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/quillpost/quillpost/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect is PostgreSQL's SQL flavour for sqlstore.
func Dialect() sqlstore.Dialect {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded directory exists at build time
	}
	return sqlstore.Dialect{
		Name:           "postgres",
		Numbered:       true,
		MetadataMatch:  `(c.metadata::jsonb ->> CAST(? AS TEXT)) = CAST(? AS TEXT)`,
		ForUpdate:      ` FOR UPDATE`,
		ForNoKeyUpdate: ` FOR NO KEY UPDATE`,
		IsUnique:       isUnique,
		Migrations:     sub,
		// Dead row versions of erased cards leave the tables (PostgreSQL has no secure_delete:
		// the bytes may stay in free disk blocks, WAL archives and backups until overwritten).
		AfterErase: []string{`VACUUM cards`, `VACUUM events`, `VACUUM webhook_deliveries`, `VACUUM idempotency_keys`,
			`VACUUM occasion_recipients`, `VACUUM trigger_events`},
		// Processes starting together take turns migrating.
		MigrationLock: `SELECT pg_advisory_xact_lock(7732011)`,
	}
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// Open connects to PostgreSQL (a URL such as "postgres://user@host:5432/db?sslmode=disable"; a
// search_path parameter selects a schema) and migrates the database.
func Open(ctx context.Context, dsn string) (*sqlstore.Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	s, err := sqlstore.Open(ctx, db, db, Dialect())
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return s, nil
}
