package worker_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/plan"
	"github.com/quillpost/quillpost/internal/plotsim"
	"github.com/quillpost/quillpost/internal/profile"
	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/serialstream"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/sqlite"
	"github.com/quillpost/quillpost/internal/store/sqlstore"
	"github.com/quillpost/quillpost/internal/store/storetest"
	"github.com/quillpost/quillpost/internal/worker"
)

func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func openStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	s, err := sqlite.OpenDir(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// shortCard is a card that takes a few seconds on a real-time simulated plotter.
func shortCard(accountID string) store.NewCard {
	nc := storetest.SampleCard(accountID)
	nc.Message, nc.StrokeHash = "Danke, Ada!", ""
	return nc
}

func simPlotter(t *testing.T, speed float64) (*plotsim.Sim, *profile.Profile) {
	t.Helper()
	p, err := profile.Lookup("grbl-servo")
	if err != nil {
		t.Fatal(err)
	}
	// Set up as the profile asks, so that the firmware handshake lets the robot work.
	cfg, err := plotsim.ForProfile(p, plotsim.Config{Speed: speed, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := plotsim.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim, p
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
	}
}

// TestNATSOutageMidCard is finding 2: NATS goes away while a robot writes a card and comes back
// after the robot finished it. The robot's loop never waits for NATS (heartbeats and progress go
// through a buffer), the outcome is kept in the worker's journal on disk, and once NATS is back
// it is recorded: the card is written, not spoiled, exactly once. The worker reaches cards only
// over NATS (the remote store), so the outage cuts it off from the database too.
func TestNATSOutageMidCard(t *testing.T) {
	ctx := context.Background()
	natsDir := t.TempDir()
	listen := "127.0.0.1:" + freePort(t)
	srv, err := queue.StartEmbedded(natsDir, listen, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown() }()
	// The robot signs in with its own least-privilege credentials, as in a fleet.
	seed, err := queue.RegisterRobot(natsDir, queue.Robot{Name: "robot-1", Namespace: queue.DefaultNamespace, Lanes: []string{"a6-white"}})
	if err != nil {
		t.Fatal(err)
	}
	robotCreds := filepath.Join(t.TempDir(), "robot-1.creds")
	if err := os.WriteFile(robotCreds, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := srv.ReloadRobots(); err != nil {
		t.Fatal(err)
	}
	url := "nats://" + listen
	opts := queue.Options{Logger: testLogger()}
	// The serve side: the database and the card service.
	st := openStore(t)
	serveOpts := opts
	serveOpts.Manage = true
	serveQ, err := queue.Connect(ctx, queue.Dial{URL: url, Creds: srv.ServeCreds()}, serveOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer serveQ.Close()
	sctx, stopServe := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- serveQ.ServeCards(sctx, st) }()
	defer func() { stopServe(); <-served }()
	a := storetest.NewAccount(t, st)
	card, err := st.CreateCard(ctx, shortCard(a.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := serveQ.NewRelay(st).Flush(ctx); err != nil {
		t.Fatal(err)
	}

	// The robot's side: its own connection, a real-time plotter, a journal on disk.
	sim, p := simPlotter(t, 3)
	wq, err := queue.Connect(ctx, queue.Dial{URL: url, Creds: robotCreds, InboxPrefix: queue.NamesFor("").InboxPrefix("robot-1")}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer wq.Close()
	journal, sheets := t.TempDir(), t.TempDir()
	w, err := worker.New(worker.Config{
		Sheet: &worker.SheetConfig{Dir: sheets, Layout: crashLayout},
		Name:  "robot-1", Profile: p, Lanes: []string{"a6-white"}, AutoFeed: true, Order: plan.OrderOptimal,
		Store: wq.RemoteCards("robot-1", 2*time.Second), Queue: wq, JournalDir: journal,
		OpenPort: func(context.Context) (serialstream.Port, error) { return serialstream.Open(sim.Path(), p.Baud) },
		Logger:   testLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	wctx, stopWorker := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	stopped := false
	defer func() {
		if !stopped {
			stopWorker()
			<-done
		}
	}()

	waitFor(t, "the robot starts writing", 2*time.Minute, func() bool {
		hb := w.Heartbeat()
		return hb.State == queue.StatePlotting && hb.CardID == card.ID && hb.Progress > 0
	})
	before := w.Heartbeat().Progress
	srv.Shutdown() // NATS is gone: no heartbeats, no database, no acks
	waitFor(t, "the robot writes on during the outage", 2*time.Minute, func() bool { return w.Heartbeat().Progress > before })
	waitFor(t, "the robot finishes the card and keeps its outcome on disk", 5*time.Minute, func() bool {
		m, _ := filepath.Glob(filepath.Join(journal, "*.json"))
		return len(m) == 1
	})
	if c, _ := st.GetCard(ctx, store.AnyAccount, card.ID); c.Status != store.StatusPlotting {
		t.Fatalf("during the outage the card is %s; nothing could have recorded it", c.Status)
	}
	time.Sleep(time.Second)
	srv, err = queue.StartEmbedded(natsDir, listen, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the card is recorded written after NATS is back", 2*time.Minute, func() bool {
		c, _ := st.GetCard(ctx, store.AnyAccount, card.ID)
		return c.Status == store.StatusWritten
	})
	evs, _ := st.Events(ctx, store.AnyAccount, card.ID)
	for _, e := range evs {
		if e.To == store.StatusSpoiled || e.Attempt > 1 {
			t.Errorf("event %s→%s attempt %d (%s): the card was spoiled or retried", e.From, e.To, e.Attempt, e.Detail)
		}
	}
	if labels, _ := st.OpenLabels(ctx, "robot-1", 10); len(labels) != 1 || labels[0].CardID != card.ID {
		t.Errorf("labels %+v, want the written card's, on the robot's open sheet", labels)
	}
	waitFor(t, "the journal entry is removed once recorded", time.Minute, func() bool {
		m, _ := filepath.Glob(filepath.Join(journal, "*.json"))
		return len(m) == 0
	})
	if n := len(sim.Strokes()); n == 0 {
		t.Error("the plotter drew nothing")
	}
	// The robot's address sheet goes through serve too: at the end of the shift the card's label
	// is on a sheet PDF, recorded as printed.
	stopWorker()
	stopped = true
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	pdfs, _ := filepath.Glob(filepath.Join(sheets, "*.pdf"))
	if len(pdfs) != 1 || !strings.Contains(pdfText(t, pdfs[0]), card.ID) {
		t.Errorf("sheets %q, want one with card %s", pdfs, card.ID)
	}
	if open, _ := st.OpenLabels(ctx, "robot-1", 10); len(open) != 0 {
		t.Errorf("labels still open: %+v", open)
	}
	if unprinted, _ := st.UnprintedSheets(ctx, "robot-1"); len(unprinted) != 0 {
		t.Errorf("sheets not recorded printed: %q", unprinted)
	}
}
