package main

import (
	"context"
	"database/sql"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/store"
)

// TestKeysPostgres: keys create, list and revoke reach serve's PostgreSQL database with --db,
// as they reach SQLite with --data.
func TestKeysPostgres(t *testing.T) {
	base := os.Getenv("QUILLPOST_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		c, err := net.DialTimeout("tcp", "127.0.0.1:5432", time.Second)
		if err != nil {
			t.Skip("no PostgreSQL at 127.0.0.1:5432")
		}
		c.Close()
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Skipf("PostgreSQL at %s does not answer: %v", base, err)
	}
	schema := "qt_" + strings.ToLower(store.NewID("s")[2:])
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`) })
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	url := base + sep + "search_path=" + schema

	code, stdout, stderr := runCLI(t, "keys", "create", "--account", "ops", "--operator", "--db", url)
	if code != 0 || !strings.Contains(stderr, "created operator key") {
		t.Fatalf("keys create --db: exit %d, %s", code, stderr)
	}
	secret := strings.TrimSpace(stdout)
	code, stdout, stderr = runCLI(t, "keys", "list", "--account", "ops", "--db", url)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(lines[1], "operator") {
		t.Fatalf("keys list --db: exit %d, %s%s", code, stdout, stderr)
	}
	id := strings.Fields(lines[1])[0]
	if code, _, stderr := runCLI(t, "keys", "revoke", "--db", url, id); code != 0 {
		t.Fatalf("keys revoke --db: %s", stderr)
	}
	st, err := app.OpenStore(ctx, "", url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Authenticate(ctx, secret); err == nil {
		t.Error("the revoked key still authenticates")
	}
}
