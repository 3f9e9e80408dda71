package app_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/plotsim"
	"github.com/quillpost/quillpost/internal/profile"
	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/serialstream"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/worker"
)

// robot starts a worker in the way 'quillpost worker' does: over TCP, with credentials from
// 'quillpost keys worker', reaching cards only through serve.
func robot(t *testing.T, h *harness, name string, lanes []string) {
	t.Helper()
	e := h.sys.Embedded()
	seed, err := queue.RegisterRobot(e.Dir(), queue.Robot{Name: name, Namespace: queue.DefaultNamespace, Lanes: lanes})
	if err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(t.TempDir(), name+".creds")
	if err := os.WriteFile(creds, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.ReloadRobots(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	q, err := queue.Connect(ctx, queue.Dial{URL: e.ClientURL(), Creds: creds, InboxPrefix: queue.NamesFor("").InboxPrefix(name)},
		queue.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("robot %s connects: %v", name, err)
	}
	claim, err := q.ClaimRobot(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := profile.Lookup("grbl-servo")
	if err != nil {
		t.Fatal(err)
	}
	// The plotter matches the profile, so the worker's firmware handshake passes.
	simCfg, err := plotsim.ForProfile(p, plotsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := plotsim.Start(simCfg)
	if err != nil {
		t.Fatal(err)
	}
	w, err := worker.New(worker.Config{
		Name: name, Profile: p, Lanes: lanes, AutoFeed: true,
		Store: q.RemoteCards(name, 10*time.Second), Queue: q,
		OpenPort:  func(context.Context) (serialstream.Port, error) { return serialstream.Open(sim.Path(), p.Baud) },
		OnWritten: h.log.record, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("robot %s: %v", name, err)
		}
		claim.Release()
		q.Close()
		sim.Close()
	})
}

// TestRobotWithOwnCredentials (issue 14 finding 1): a robot in its own process gets only its
// least-privilege credentials, and with them does all of its work: pulls, claims, heartbeats,
// takes operator commands, writes every card exactly once.
func TestRobotWithOwnCredentials(t *testing.T) {
	h := start(t, app.Config{NATSListen: "127.0.0.1:0"})
	h.run()
	robot(t, h, "robot-1", []string{"a6-white"})
	ids := []string{h.submit(0), h.submit(1)}
	cards := h.waitAll(ids, 2*time.Minute)
	if spoiled := h.checkWrittenOnce(cards); spoiled != 0 {
		t.Errorf("%d cards spoiled", spoiled)
	}
	if got := len(h.log.cards["robot-1"]); got != 2 {
		t.Errorf("robot-1 wrote %d cards, want 2", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := worker.Send(ctx, h.sys.Queue, "robot-1", worker.CmdPenChanged); err != nil {
		t.Errorf("operator command to the robot: %v", err)
	}
	hb, err := h.sys.Queue.Heartbeat(ctx, "robot-1")
	if err != nil || hb.CardsWritten != 2 {
		t.Errorf("robot-1's heartbeat: %+v %v", hb, err)
	}
}

// TestRealRobotRefusesTestCard (issue 14 finding 1): a real robot never writes a test card, even
// when it is (wrongly) given the test lane; the card fails with the reason for an operator.
func TestRealRobotRefusesTestCard(t *testing.T) {
	h := start(t, app.Config{NATSListen: "127.0.0.1:0"})
	h.run()
	robot(t, h, "robot-1", []string{"test-a6-white"})
	acc, err := h.sys.Store.AccountByName(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	h.key, _, err = h.sys.Store.CreateKey(context.Background(), acc.ID, store.KeyTest)
	if err != nil {
		t.Fatal(err)
	}
	id := h.submit(0)
	c := h.waitAll([]string{id}, 2*time.Minute)[id]
	if c.Status != store.StatusFailed {
		t.Fatalf("test card on a real robot is %s, want failed", c.Status)
	}
	if got := len(h.log.cards["robot-1"]); got != 0 {
		t.Errorf("the real robot wrote %d test cards", got)
	}
	events, err := h.sys.Store.Events(context.Background(), store.AnyAccount, id)
	if err != nil {
		t.Fatal(err)
	}
	if last := events[len(events)-1]; !strings.Contains(last.Detail, "a test card is never written by a real robot") {
		t.Errorf("last event %+v, want the reason", last)
	}
}
