package app_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/store"
)

// The intake benchmarks run the whole system as serve does (relay, card service, reconciler
// running), on SQLite with the embedded NATS and on PostgreSQL with the machine's NATS server.

func pgDSN() string {
	if dsn := os.Getenv("QUILLPOST_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// pgSchema makes a fresh schema for one benchmark and returns its DSN, skipping without
// PostgreSQL.
func pgSchema(b *testing.B) string {
	b.Helper()
	if c, err := net.DialTimeout("tcp", "127.0.0.1:5432", time.Second); err != nil {
		b.Skip("no PostgreSQL at 127.0.0.1:5432")
	} else {
		c.Close()
	}
	db, err := sql.Open("pgx", pgDSN())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	schema := "qb_" + strings.ToLower(store.NewID("s")[2:])
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		b.Skipf("PostgreSQL does not answer: %v", err)
	}
	b.Cleanup(func() { db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`) })
	sep := "?"
	if strings.Contains(pgDSN(), "?") {
		sep = "&"
	}
	return pgDSN() + sep + "search_path=" + schema
}

type benchSystem struct {
	url, key string
	sys      *app.System
}

func startBench(b *testing.B, backend string) *benchSystem {
	b.Helper()
	cfg := app.Config{DataDir: b.TempDir(), APIRateLimit: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	switch backend {
	case "sqlite":
	case "postgres":
		cfg.DatabaseURL = pgSchema(b)
		if c, err := net.DialTimeout("tcp", "127.0.0.1:4222", time.Second); err != nil {
			b.Skip("no NATS at 127.0.0.1:4222")
		} else {
			c.Close()
		}
		cfg.NATSURL = externalNATS
		cfg.Queue = queue.Options{Namespace: fmt.Sprintf("bench%d", time.Now().UnixNano())}
	}
	ctx, cancel := context.WithCancel(context.Background())
	sys, err := app.Start(ctx, cfg)
	if err != nil {
		cancel()
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sys.Run(ctx) }()
	srv := httptest.NewServer(sys.Handler())
	b.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		if cfg.NATSURL != "" {
			tctx, tcancel := context.WithTimeout(context.Background(), 10*time.Second)
			sys.Queue.Teardown(tctx)
			tcancel()
		}
		sys.Close()
	})
	acc, err := sys.Store.CreateAccount(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	key, _, err := sys.Store.CreateKey(ctx, acc.ID, store.KeyLive)
	if err != nil {
		b.Fatal(err)
	}
	return &benchSystem{url: srv.URL, key: key, sys: sys}
}

const benchCard = `{"message":"Liebe Frau Müller,\nvielen Dank für Ihre Treue!","font":"allure","hand":"casual","stock":"a6-white",
	 "to":{"name":"Erika Müller","lines":["Hauptstraße 5"],"postal_code":"10115","city":"Berlin","country":"DE"}}`

// BenchmarkIntakeHTTP measures POST /v1/cards per second with 8 and 64 concurrent clients.
func BenchmarkIntakeHTTP(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		for _, conns := range []int{8, 64} {
			b.Run(fmt.Sprintf("%s/conns=%d", backend, conns), func(b *testing.B) {
				s := startBench(b, backend)
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns}}
				var (
					n    atomic.Int64
					work = make(chan struct{})
					wg   sync.WaitGroup
				)
				for range conns {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range work {
							req, _ := http.NewRequest("POST", s.url+"/v1/cards", strings.NewReader(benchCard))
							req.Header.Set("Authorization", "Bearer "+s.key)
							req.Header.Set("Idempotency-Key", "b-"+strconv.FormatInt(n.Add(1), 10))
							req.Header.Set("Content-Type", "application/json")
							resp, err := client.Do(req)
							if err != nil {
								b.Error(err)
								continue
							}
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							if resp.StatusCode != 201 {
								b.Errorf("status %d", resp.StatusCode)
							}
						}
					}()
				}
				b.ReportAllocs()
				cpu0 := cpuTime()
				for b.Loop() {
					work <- struct{}{}
				}
				close(work)
				wg.Wait()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cards/s")
				// This process's CPU per card (API, relay, webhooks; not PostgreSQL's or NATS's):
				// what a loaded, shared machine cannot steal.
				b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/card")
			})
		}
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
