package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/sqlite"
	"github.com/quillpost/quillpost/internal/store/sqlstore"
	"github.com/quillpost/quillpost/internal/store/storetest"
)

func open(t testing.TB) *sqlstore.Store {
	t.Helper()
	s, err := sqlite.OpenDir(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	a := storetest.NewAccount(t, s)
	c, err := s.CreateCard(ctx, storetest.SampleCard(a.ID))
	if err != nil {
		t.Fatal(err)
	}
	v1, _ := s.SchemaVersion(ctx)
	s.Close()

	s, err = sqlite.OpenDir(ctx, dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if v2, _ := s.SchemaVersion(ctx); v2 != v1 || v1 < 1 {
		t.Errorf("schema version %d then %d", v1, v2)
	}
	if got, err := s.GetCard(ctx, a.ID, c.ID); err != nil || got.Status != store.StatusQueued {
		t.Errorf("card after reopen: %+v %v", got, err)
	}
	var mode string
	if err := s.DB().QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal mode %q %v", mode, err)
	}
	var fk int
	if err := s.DB().QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign keys %d %v", fk, err)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := sqlite.Open(ctx, path); err == nil {
		t.Fatal("opened a database with a newer schema")
	}
}

func TestCheckConstraintGuardsStatus(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	a := storetest.NewAccount(t, s)
	c, _ := s.CreateCard(ctx, storetest.SampleCard(a.ID))
	if _, err := s.DB().ExecContext(ctx, `UPDATE cards SET status = 'lost' WHERE id = ?`, c.ID); err == nil {
		t.Fatal("the CHECK constraint let an unknown status in")
	}
}

func TestSecretsAreNotStored(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	a := storetest.NewAccount(t, s)
	secret, _, err := s.CreateKey(ctx, a.ID, store.KeyLive)
	if err != nil {
		t.Fatal(err)
	}
	var hash string
	if err := s.DB().QueryRowContext(ctx, `SELECT hash FROM api_keys`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if hash != store.HashKey(secret) || hash == secret {
		t.Errorf("stored %q for secret %q", hash, secret)
	}
}

// TestTwoProcessesShareTheFile opens the same file twice (as two processes would) and writes from
// both at once: BEGIN IMMEDIATE plus busy_timeout must avoid SQLITE_BUSY failures.
func TestTwoProcessesShareTheFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s1, err := sqlite.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	s2, err := sqlite.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	a := storetest.NewAccount(t, s1)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for _, s := range []*sqlstore.Store{s1, s2} {
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 25 {
					c, err := s.CreateCard(ctx, storetest.SampleCard(a.ID))
					if err != nil {
						errs <- err
						return
					}
					if _, err := s.Transition(ctx, store.Change{CardID: c.ID, To: store.StatusPlotting, Cause: "x"}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	page, _ := s2.ListCards(ctx, a.ID, store.CardFilter{Limit: 1000, Statuses: []store.Status{store.StatusPlotting}})
	if len(page.Cards) != 200 {
		t.Errorf("%d cards plotting, want 200", len(page.Cards))
	}
}

// FuzzTransition applies random change sequences to a card and checks that it never reaches a
// state the transition table forbids: every accepted change is an allowed edge, refused changes
// leave no trace, the history replays to the current status, and every entry into queued issued
// exactly one job numbered like the card's attempts.
func FuzzTransition(f *testing.F) {
	f.Add([]byte{2, 3, 4, 5})           // claim, written, posted
	f.Add([]byte{2, 7, 1, 2, 3})        // spoil then queue, retry
	f.Add([]byte{0x27 | 0x80, 3, 8, 9}) // with attempt fencing
	f.Add([]byte{9, 1, 8, 1, 6, 5, 4})  // failed, retried, cancelled
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x47, 0x17})
	s := open(f)
	ctx := context.Background()
	a := storetest.NewAccount(f, s)
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		c, err := s.CreateCard(ctx, storetest.SampleCard(a.ID))
		if err != nil {
			t.Fatal(err)
		}
		status, attempts, jobs := c.Status, c.Attempts, 1
		for _, op := range ops {
			to := store.Statuses[int(op&0x0f)%len(store.Statuses)]
			then := store.Status("")
			if op&0x30 == 0x20 {
				then = store.Statuses[int(op>>6)%len(store.Statuses)+0]
			}
			ch := store.Change{CardID: c.ID, To: to, Then: then, Cause: "fuzz"}
			if op&0x80 != 0 {
				ch.Attempt = attempts + int(op>>6&1) // sometimes the right attempt, sometimes a stale one
			}
			if op&0x40 != 0 {
				ch.From = status
			}
			got, err := s.Transition(ctx, ch)
			steps := []store.Status{to}
			if then != "" {
				steps = append(steps, then)
			}
			allowed, cur := to != store.StatusQueued || then == "", status
			for _, st := range steps {
				allowed = allowed && store.CanTransition(cur, st)
				cur = st
			}
			allowed = allowed && (ch.Attempt == 0 || ch.Attempt == attempts)
			switch {
			case err == nil && !allowed:
				t.Fatalf("%s → %v accepted (attempt %d vs %d)", status, steps, ch.Attempt, attempts)
			case err != nil && allowed:
				t.Fatalf("%s → %v refused: %v", status, steps, err)
			case err != nil:
				if !errors.Is(err, store.ErrInvalidTransition) && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrInvalid) {
					t.Fatalf("unexpected error kind: %v", err)
				}
				continue
			}
			status = cur
			if status == store.StatusQueued {
				attempts++
				jobs++
			}
			if got.Status != status || got.Attempts != attempts {
				t.Fatalf("card %s@%d, want %s@%d", got.Status, got.Attempts, status, attempts)
			}
		}
		evs, err := s.Events(ctx, a.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		replay := store.StatusReceived
		for _, e := range evs {
			if e.From != replay || !store.CanTransition(e.From, e.To) {
				t.Fatalf("history breaks at %+v (was %s)", e, replay)
			}
			replay = e.To
		}
		final, _ := s.GetCard(ctx, a.ID, c.ID)
		if replay != final.Status || final.Status != status || final.Attempts != attempts || !final.Status.Valid() {
			t.Fatalf("history ends at %s, card %s@%d, model %s@%d", replay, final.Status, final.Attempts, status, attempts)
		}
		msgs, _ := s.PendingOutbox(ctx, 1<<20)
		n := 0
		var ids []int64
		for _, m := range msgs {
			ids = append(ids, m.ID)
			if m.Kind == store.OutboxJob && m.MsgID[:len(c.ID)] == c.ID {
				n++
				if want := fmt.Sprintf("%s/%d", c.ID, n); m.MsgID != want {
					t.Fatalf("job %d msg id %s, want %s", n, m.MsgID, want)
				}
			}
		}
		if n != jobs {
			t.Fatalf("%d jobs issued, want %d", n, jobs)
		}
		_ = s.MarkPublished(ctx, ids...) // keep the outbox small across fuzz inputs
	})
}

// BenchmarkCreateCard measures intake throughput: one transaction with the card, its two events,
// their outbox messages and the job.
func BenchmarkCreateCard(b *testing.B) {
	s := open(b)
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

// BenchmarkCreateCardParallel is intake from several HTTP handlers at once.
func BenchmarkCreateCardParallel(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	a := storetest.NewAccount(b, s)
	nc := storetest.SampleCard(a.ID)
	b.ReportAllocs()
	b.SetParallelism(16) // 32 goroutines on 2 cores: HTTP handlers under load
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

// BenchmarkCreateCards1000 is a campaign batch of 1,000 cards in one transaction.
func BenchmarkCreateCards1000(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	a := storetest.NewAccount(b, s)
	batch := make([]store.NewCard, 1000)
	for i := range batch {
		batch[i] = storetest.SampleCard(a.ID)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.CreateCards(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "cards/s")
}

func BenchmarkTransition(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	a := storetest.NewAccount(b, s)
	c, _ := s.CreateCard(ctx, storetest.SampleCard(a.ID))
	b.ReportAllocs()
	for b.Loop() {
		c, _ = s.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusQueued, To: store.StatusPlotting, Attempt: c.Attempts, Cause: "bench"})
		var err error
		c, err = s.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusPlotting, To: store.StatusQueued, Attempt: c.Attempts, Cause: "bench"})
		if err != nil {
			b.Fatal(err)
		}
	}
}
