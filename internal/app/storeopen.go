package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/postgres"
	"github.com/quillpost/quillpost/internal/store/sqlite"
)

// OpenStore opens the database: PostgreSQL when dbURL is a postgres:// URL (a fleet), otherwise
// SQLite in dataDir (one machine). Migrations run on open.
func OpenStore(ctx context.Context, dataDir, dbURL string) (store.Store, error) {
	switch {
	case dbURL == "":
		st, err := sqlite.OpenDir(ctx, dataDir)
		if err != nil {
			return nil, fmt.Errorf("open SQLite store in %s: %w", dataDir, err)
		}
		return st, nil
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		st, err := postgres.Open(ctx, dbURL)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL store: %w", err)
		}
		return st, nil
	}
	return nil, fmt.Errorf("database URL %q: only postgres:// URLs are supported (leave it empty for SQLite in the data directory)", dbURL)
}
