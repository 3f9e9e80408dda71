package worker_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"

	"github.com/quillpost/quillpost/internal/plan"
	"github.com/quillpost/quillpost/internal/profile"
	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/serialstream"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/sqlite"
	"github.com/quillpost/quillpost/internal/store/storetest"
	"github.com/quillpost/quillpost/internal/worker"
)

const crashLayout = "avery-l7163" // 14 labels a page: some sheets fill, some labels stay open

// robotConfig is the worker both the doomed process and its successor run.
func robotConfig(q *queue.Queue, st store.CardStore, p *profile.Profile, pty, sheets, journal string) worker.Config {
	return worker.Config{
		Name: "robot-1", Profile: p, Lanes: []string{"a6-white"}, AutoFeed: true, Order: plan.OrderOptimal,
		Store: st, Queue: q, JournalDir: journal, Lease: 2 * time.Second,
		Sheet:    &worker.SheetConfig{Dir: sheets, Layout: crashLayout},
		OpenPort: func(context.Context) (serialstream.Port, error) { return serialstream.Open(pty, p.Baud) },
		Logger:   testLogger(),
	}
}

// TestCrashHelper is the doomed worker process of TestWorkerKilledLabels; it does nothing in a
// normal test run.
func TestCrashHelper(t *testing.T) {
	if os.Getenv("QP_CRASH_HELPER") != "1" {
		t.Skip("helper process for TestWorkerKilledLabels")
	}
	ctx := context.Background()
	st, err := sqlite.OpenDir(ctx, os.Getenv("QP_DB"))
	if err != nil {
		t.Fatal(err)
	}
	q, err := queue.Connect(ctx, queue.Dial{URL: os.Getenv("QP_NATS"), Creds: os.Getenv("QP_NATS_CREDS")}, queue.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	p, err := profile.Lookup("grbl-servo")
	if err != nil {
		t.Fatal(err)
	}
	w, err := worker.New(robotConfig(q, st, p, os.Getenv("QP_PTY"), os.Getenv("QP_SHEETS"), os.Getenv("QP_JOURNAL")))
	if err != nil {
		t.Fatal(err)
	}
	t.Fatal(w.Run(ctx)) // runs until the parent kills the process
}

// TestWorkerKilledLabels is finding 5: a worker process is killed (SIGKILL) after writing some
// cards, with their labels on its open sheet. Its successor rebuilds the sheet from the labels the
// store recorded with each written card; at the end every written card is on exactly one sheet
// PDF, in writing order, and no label is lost.
func TestWorkerKilledLabels(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a worker in a child process")
	}
	ctx := context.Background()
	dbDir, sheets, journal := t.TempDir(), t.TempDir(), t.TempDir()
	st, err := sqlite.OpenDir(ctx, dbDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := queue.StartEmbedded(t.TempDir(), "127.0.0.1:"+freePort(t), testLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	q, err := srv.Queue(ctx, queue.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	// The serve side: the relay and the lease reconciler.
	sctx, stopServe := context.WithCancel(ctx)
	defer stopServe()
	relay := q.NewRelay(st)
	go relay.Run(sctx)
	go store.Reconciler(sctx, st, 200*time.Millisecond, store.JobOptions{Worker: "reconciler", MaxAttempts: 3},
		func([]*store.Card) { relay.Kick() }, nil)

	a := storetest.NewAccount(t, st)
	const n = 20
	var ids []string
	for range n {
		c, err := st.CreateCard(ctx, shortCard(a.ID))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	relay.Kick()
	sim, p := simPlotter(t, 30)

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.v")
	cmd.Env = append(os.Environ(), "QP_CRASH_HELPER=1", "QP_DB="+dbDir, "QP_NATS="+srv.ClientURL(), "QP_NATS_CREDS="+srv.ServeCreds(),
		"QP_PTY="+sim.Path(), "QP_SHEETS="+sheets, "QP_JOURNAL="+journal)
	if testing.Verbose() {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	written := func() int {
		page, err := st.ListCards(ctx, a.ID, store.CardFilter{Statuses: []store.Status{store.StatusWritten}, Limit: 1000})
		if err != nil {
			return 0
		}
		return len(page.Cards)
	}
	waitFor(t, "the doomed worker writes 4 cards", 3*time.Minute, func() bool { return written() >= 4 })
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killedAt := written()
	if pdfs, _ := filepath.Glob(filepath.Join(sheets, "*.pdf")); len(pdfs) != 0 && killedAt < 14 {
		t.Fatalf("sheets %q before any sheet was full", pdfs)
	}
	t.Logf("worker killed after %d written cards", killedAt)

	w, err := worker.New(robotConfig(q, st, p, sim.Path(), sheets, journal))
	if err != nil {
		t.Fatal(err)
	}
	wctx, stopWorker := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	waitFor(t, "all cards written", 5*time.Minute, func() bool { return written() == n })
	stopWorker() // end of shift: the open sheet is written
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// Every written card is on exactly one sheet PDF, in writing order.
	pdfs, _ := filepath.Glob(filepath.Join(sheets, "*.pdf"))
	seen := map[string]string{}
	for _, path := range pdfs {
		text := pdfText(t, path)
		for _, id := range ids {
			if i := strings.Index(text, id); i >= 0 {
				if prev, ok := seen[id]; ok {
					t.Errorf("card %s is on %s and on %s", id, prev, path)
				}
				seen[id] = path
			}
		}
	}
	for _, id := range ids {
		if _, ok := seen[id]; !ok {
			t.Errorf("written card %s has no label on any sheet (%d sheets)", id, len(pdfs))
		}
	}
	for _, id := range ids {
		labels, err := st.SheetLabels(ctx, strings.TrimSuffix(filepath.Base(seen[id]), ".pdf"))
		if err != nil || len(labels) == 0 {
			t.Errorf("sheet of %s not recorded: %v", id, err)
			continue
		}
		for i := 1; i < len(labels); i++ {
			if labels[i].Seq < labels[i-1].Seq || !labels[i].Printed {
				t.Errorf("sheet %s out of writing order or not printed: %+v", labels[i].Sheet, labels)
			}
		}
	}
	// Only the card under the pen when the process died may have been spoiled.
	spoiled := 0
	for _, id := range ids {
		evs, _ := st.Events(ctx, a.ID, id)
		for _, e := range evs {
			if e.To == store.StatusSpoiled {
				spoiled++
			}
		}
	}
	if spoiled > 1 {
		t.Errorf("%d blanks spoiled, want at most the one under the pen", spoiled)
	}
	if open, _ := st.OpenLabels(ctx, "robot-1", 100); len(open) != 0 {
		t.Errorf("%d labels still open after the end of the shift", len(open))
	}
	if unprinted, _ := st.UnprintedSheets(ctx, "robot-1"); len(unprinted) != 0 {
		t.Errorf("sheets not printed: %q", unprinted)
	}
}

// pdfText is the text of a PDF's pages, concatenated (card ids are plain ASCII).
func pdfText(t *testing.T, path string) string {
	t.Helper()
	f, r, err := pdf.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	var b strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		for _, tx := range r.Page(i).Content().Text {
			b.WriteString(tx.S)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
