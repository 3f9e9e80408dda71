package main

import (
	"bytes"
	"context"
	"database/sql"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/postgres"
)

// TestKeysOnPostgres: an installation on PostgreSQL (serve --db) gets its keys from the same
// commands as one on SQLite: keys create and keys list take --db. Without it an operator of such
// an installation could make no key at all.
func TestKeysOnPostgres(t *testing.T) {
	base := os.Getenv("QUILLPOST_TEST_POSTGRES")
	if base == "" {
		c, err := net.DialTimeout("tcp", "127.0.0.1:5432", time.Second)
		if err != nil {
			t.Skip("no PostgreSQL at 127.0.0.1:5432")
		}
		c.Close()
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx := context.Background()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		t.Skipf("PostgreSQL at %s does not answer: %v", base, err)
	}
	schema := "qt_" + strings.ToLower(store.NewID("s")[2:])
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	defer db.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	url := base + sep + "search_path=" + schema

	var out, errOut bytes.Buffer
	if err := runKeys(ctx, []string{"create", "--account", "ops", "--operator", "--db", url}, &out, &errOut); err != nil {
		t.Fatalf("keys create --db: %v\n%s", err, errOut.String())
	}
	secret := strings.TrimSpace(out.String())
	st, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.Authenticate(ctx, secret)
	if err != nil || p.Key.Kind != store.KeyOperator {
		t.Fatalf("the key made with --db: %+v %v, want an operator key in that database", p, err)
	}
	out.Reset()
	if err := runKeys(ctx, []string{"list", "--db", url}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), p.Key.ID) {
		t.Errorf("keys list --db does not show %s:\n%s", p.Key.ID, out.String())
	}
}
