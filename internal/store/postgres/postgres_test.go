package postgres_test

import (
	"context"
	"database/sql"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/postgres"
	"github.com/quillpost/quillpost/internal/store/sqlstore"
	"github.com/quillpost/quillpost/internal/store/storetest"
)

// baseDSN is the machine's PostgreSQL (trust auth); QUILLPOST_TEST_POSTGRES overrides it.
func baseDSN() string {
	if dsn := os.Getenv("QUILLPOST_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// admin connects to the test database, skipping the test when PostgreSQL is not there.
func admin(t testing.TB) *sql.DB {
	t.Helper()
	if os.Getenv("QUILLPOST_TEST_POSTGRES") == "" {
		c, err := net.DialTimeout("tcp", "127.0.0.1:5432", time.Second)
		if err != nil {
			t.Skip("no PostgreSQL at 127.0.0.1:5432; the PostgreSQL store suite is skipped")
		}
		c.Close()
	}
	db, err := sql.Open("pgx", baseDSN())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		t.Skipf("PostgreSQL at %s does not answer (%v); the PostgreSQL store suite is skipped", baseDSN(), err)
	}
	return db
}

// open makes a store in a fresh schema of its own, dropped after the test.
func open(t testing.TB, db *sql.DB) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	schema := "qt_" + strings.ToLower(store.NewID("s")[2:])
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := db.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	sep := "?"
	if strings.Contains(baseDSN(), "?") {
		sep = "&"
	}
	s, err := postgres.Open(ctx, baseDSN()+sep+"search_path="+schema)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	db := admin(t)
	t.Cleanup(func() { db.Close() })
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, db) })
}

func TestMigrateTwiceConcurrently(t *testing.T) {
	db := admin(t)
	t.Cleanup(func() { db.Close() })
	s := open(t, db)
	ctx := context.Background()
	v, err := s.SchemaVersion(ctx)
	if err != nil || v < 1 {
		t.Fatalf("schema version %d %v", v, err)
	}
	var search string
	if err := s.DB().QueryRowContext(ctx, `SHOW search_path`).Scan(&search); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			s2, err := postgres.Open(ctx, baseDSN()+"&search_path="+search)
			if err == nil {
				s2.Close()
			}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent open: %v", err)
		}
	}
}

func BenchmarkCreateCard(b *testing.B) {
	db := admin(b)
	b.Cleanup(func() { db.Close() })
	s := open(b, db)
	ctx := context.Background()
	a := storetest.NewAccount(b, s)
	nc := storetest.SampleCard(a.ID)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.CreateCard(ctx, nc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cards/s")
}

func BenchmarkCreateCardParallel(b *testing.B) {
	db := admin(b)
	b.Cleanup(func() { db.Close() })
	s := open(b, db)
	ctx := context.Background()
	a := storetest.NewAccount(b, s)
	nc := storetest.SampleCard(a.ID)
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.CreateCard(ctx, nc); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cards/s")
}
