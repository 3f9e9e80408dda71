package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/gcode"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/plotsim"
	"github.com/quillpost/quillpost/internal/profile"
	"github.com/quillpost/quillpost/internal/program"
	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/serialstream"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/worker"
)

// externalNATS is the machine's NATS server (2.9, JetStream on) that CI provides.
const externalNATS = "nats://127.0.0.1:4222"

// written records, per robot, the cards it reported written and their programs, in order.
type written struct {
	mu    sync.Mutex
	cards map[string][]writtenCard
}

type writtenCard struct {
	id   string
	prog *program.Program
}

func (w *written) record(_ context.Context, worker string, c *store.Card, p *program.Program) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cards[worker] = append(w.cards[worker], writtenCard{c.ID, p})
}

type harness struct {
	t   *testing.T
	sys *app.System
	srv *httptest.Server
	key string
	log *written
	run func() // starts the system's workers, relay and watchers
}

func start(t *testing.T, cfg app.Config) *harness {
	t.Helper()
	h := &harness{t: t, log: &written{cards: map[string][]writtenCard{}}}
	cfg.DataDir = t.TempDir()
	cfg.OnWritten = h.log.record
	if cfg.SimKeepStrokes == 0 {
		cfg.SimKeepStrokes = -1 // checkDrawings compares whole drawings
	}
	// These tests order with live keys; the simulated robots stand in for real ones.
	cfg.SimTakesLive = true
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		if testing.Verbose() {
			cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	sys, err := app.Start(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	h.sys = sys
	var done chan error
	h.run = func() {
		done = make(chan error, 1)
		go func() { done <- sys.Run(ctx) }()
	}
	h.srv = httptest.NewServer(sys.Handler())
	t.Cleanup(func() {
		h.srv.Close()
		cancel()
		if done != nil {
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("system stopped with: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Errorf("system did not shut down within 30 s")
			}
		}
		if cfg.NATSURL != "" {
			tctx, tcancel := context.WithTimeout(context.Background(), 10*time.Second)
			sys.Queue.Teardown(tctx)
			tcancel()
		}
		sys.Close()
	})
	acc, err := sys.Store.CreateAccount(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	h.key, _, err = sys.Store.CreateKey(ctx, acc.ID, store.KeyLive)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

var messages = []string{
	"Liebe Frau Müller,\nvielen Dank für Ihre Treue! Wir freuen uns auf Ihren nächsten Besuch.\nHerzliche Grüße, Ihr Papierladen",
	"Dear Sam,\nthank you so much for your order. It made our week!\nWarmly, Jo",
	"Lieber Jörg,\ndanke für das schöne Gespräch über Füller und Tinte.\nBis bald!",
}

func (h *harness) submit(i int) string {
	h.t.Helper()
	// Every fourth card is centred: the worker must render it exactly as intake did.
	body := fmt.Sprintf(`{"message":%q,"font":%q,"hand":"casual","stock":"a6-white","align":%q,
	  "to":{"name":"Kundin %d","lines":["Hauptstraße %d"],"postal_code":"10115","city":"Berlin","country":"DE"}}`,
		messages[i%len(messages)], []string{"allure", "script", "felix"}[i%3], []string{"centre", "left", "left", "left"}[i%4], i, i+1)
	req, _ := http.NewRequest("POST", h.srv.URL+"/v1/cards", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.key)
	req.Header.Set("Idempotency-Key", fmt.Sprintf("order-%d", i))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var card struct{ ID, Status string }
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &card) != nil {
		h.t.Fatalf("card %d: %d %s", i, resp.StatusCode, raw)
	}
	return card.ID
}

// patience bounds every wait for cards to settle. It is generous on purpose: the tests run on
// busy two-core machines beside other test binaries, and a wait only costs time when it fails.
const patience = 8 * time.Minute

// waitAll waits until every card reached one of the final statuses, failing after timeout.
func (h *harness) waitAll(ids []string, timeout time.Duration) map[string]*store.Card {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		cards := map[string]*store.Card{}
		done, written := 0, 0
		for _, id := range ids {
			c, err := h.sys.Store.GetCard(context.Background(), store.AnyAccount, id)
			if err != nil {
				h.t.Fatal(err)
			}
			cards[id] = c
			if c.Status == store.StatusWritten || c.Status == store.StatusFailed {
				done++
			}
			if c.Status == store.StatusWritten {
				written++
			}
		}
		// A card's status changes before its worker's OnWritten hook runs: wait for both.
		if done == len(ids) && h.reported() >= written {
			return cards
		}
		if time.Now().After(deadline) {
			var left []string
			for id, c := range cards {
				if c.Status != store.StatusWritten {
					left = append(left, id+":"+string(c.Status))
				}
			}
			h.t.Fatalf("after %v, %d of %d cards are not written: %v", timeout, len(ids)-done, len(ids), left)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// reported counts the cards the workers' OnWritten hooks reported.
func (h *harness) reported() int {
	h.log.mu.Lock()
	defer h.log.mu.Unlock()
	n := 0
	for _, l := range h.log.cards {
		n += len(l)
	}
	return n
}

// checkWrittenOnce asserts every card is written, by exactly one written event, and returns how
// many were spoiled on the way.
func (h *harness) checkWrittenOnce(cards map[string]*store.Card) (spoiled int) {
	h.t.Helper()
	for id, c := range cards {
		if c.Status != store.StatusWritten {
			h.t.Errorf("card %s is %s, want written", id, c.Status)
		}
		events, err := h.sys.Store.Events(context.Background(), store.AnyAccount, id)
		if err != nil {
			h.t.Fatal(err)
		}
		n := 0
		for _, e := range events {
			switch e.To {
			case store.StatusWritten:
				n++
			case store.StatusSpoiled:
				spoiled++
				h.t.Logf("card %s spoiled: %s: %s", id, e.Cause, e.Detail)
			}
		}
		if n != 1 {
			h.t.Errorf("card %s has %d written events, want exactly 1", id, n)
		}
	}
	h.log.mu.Lock()
	defer h.log.mu.Unlock()
	seen := map[string]string{}
	for w, list := range h.log.cards {
		for _, wc := range list {
			if other, dup := seen[wc.id]; dup {
				h.t.Errorf("card %s reported written by %s and by %s", wc.id, other, w)
			}
			seen[wc.id] = w
		}
	}
	if len(seen) != len(cards) {
		h.t.Errorf("%d cards reported written, want %d", len(seen), len(cards))
	}
	return spoiled
}

// checkDrawings asserts that each simulated plotter drew exactly the pen-down paths of the
// programs of the cards its worker wrote, in order (spoiled partial cards excluded: robots with
// spoiled cards are skipped).
func (h *harness) checkDrawings(skip map[int]bool) {
	h.t.Helper()
	p, err := profile.Lookup("grbl-servo")
	if err != nil {
		h.t.Fatal(err)
	}
	h.log.mu.Lock()
	defer h.log.mu.Unlock()
	for i, sim := range h.sys.Sims {
		if skip[i] {
			continue
		}
		name := h.sys.Workers[i].Name()
		var want []geom.Stroke
		for _, wc := range h.log.cards[name] {
			s, err := gcode.Read(wc.prog.GCode.Lines, p)
			if err != nil {
				h.t.Fatal(err)
			}
			want = append(want, s...)
		}
		var got []geom.Stroke
		for _, s := range sim.Strokes() {
			cs := make(geom.Stroke, len(s))
			for j, pt := range s {
				cs[j] = p.ToCard(pt)
			}
			got = append(got, cs)
		}
		if len(h.log.cards[name]) == 0 {
			h.t.Errorf("%s wrote no card", name)
		}
		if err := sameDrawing(got, want, 0.01); err != nil {
			h.t.Errorf("%s: the plotter's drawing differs from its %d cards' programs: %v", name, len(h.log.cards[name]), err)
		}
	}
}

// checkSheets flushes each robot's open address sheet and checks that its PDF labels the robot's
// cards, in the order they were written.
func (h *harness) checkSheets() {
	h.t.Helper()
	h.log.mu.Lock()
	defer h.log.mu.Unlock()
	for _, w := range h.sys.Workers {
		path, err := w.FlushSheet()
		if err != nil {
			h.t.Fatalf("%s: flush sheet: %v", w.Name(), err)
		}
		text := pdfText(h.t, path)
		last := -1
		for _, wc := range h.log.cards[w.Name()] {
			at := strings.Index(text, wc.id)
			if at < 0 {
				h.t.Errorf("%s: the address sheet %s has no label for card %s", w.Name(), path, wc.id)
				continue
			}
			if at < last {
				h.t.Errorf("%s: card %s is labelled out of writing order", w.Name(), wc.id)
			}
			last = at
		}
	}
}

func pdfText(t *testing.T, path string) string {
	t.Helper()
	f, r, err := pdf.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var b strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		p := r.Page(i)
		if p.V.IsNull() {
			continue
		}
		txt, err := p.GetPlainText(nil)
		if err != nil {
			t.Fatalf("read %s page %d: %v", path, i, err)
		}
		b.WriteString(txt)
	}
	return b.String()
}

// sameDrawing compares two drawings stroke by stroke: same count, and every point of each stroke
// within tol of the other stroke's polyline (the simulator expands arcs at its own resolution).
func sameDrawing(got, want []geom.Stroke, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d strokes drawn, %d in the programs", len(got), len(want))
	}
	for i := range got {
		if d := geom.Deviation(got[i], want[i], tol); d > tol {
			return fmt.Errorf("stroke %d: a drawn point lies %.4f mm from the program's path", i, d)
		}
		if d := geom.Deviation(want[i], got[i], tol); d > tol {
			return fmt.Errorf("stroke %d: a program point lies %.4f mm from the drawn path", i, d)
		}
	}
	return nil
}

func runPipeline(t *testing.T, cfg app.Config) {
	cfg.SimPlotters = 2
	h := start(t, cfg)
	h.run()
	ids := make([]string, 30)
	for i := range ids {
		ids[i] = h.submit(i)
	}
	cards := h.waitAll(ids, patience)
	if spoiled := h.checkWrittenOnce(cards); spoiled != 0 {
		t.Errorf("%d cards spoiled without any fault injected", spoiled)
	}
	h.checkDrawings(nil)
	h.checkSheets()
	for _, w := range h.sys.Workers {
		hb := w.Heartbeat()
		if hb.CardsWritten == 0 || hb.PenDownMetres <= 0 {
			t.Errorf("%s heartbeat: %+v", w.Name(), hb)
		}
	}
}

// TestPipelineEmbedded: the whole system in-process on the embedded NATS, 2 simulated plotters,
// 30 cards, each written exactly once and drawn exactly as programmed.
func TestPipelineEmbedded(t *testing.T) {
	runPipeline(t, app.Config{})
}

// TestPipelineExternalNATS runs the same pipeline on the machine's NATS server, so the
// non-embedded path (and NATS 2.9 compatibility) is proven too.
func TestPipelineExternalNATS(t *testing.T) {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:4222", time.Second)
	if err != nil {
		t.Skipf("no NATS server at %s (%v); start one with JetStream to run this test", externalNATS, err)
	}
	conn.Close()
	runPipeline(t, app.Config{NATSURL: externalNATS, Queue: queue.Options{Namespace: fmt.Sprintf("e2e%d", time.Now().UnixNano())}})
}

// TestConnectionLostMidCard: the first plotter's cable is pulled in the middle of a card. That
// card is spoiled, its job queued again and written by the other plotter; nothing is lost or
// written twice.
func TestConnectionLostMidCard(t *testing.T) {
	h := start(t, app.Config{SimPlotters: 2, SimFaults: [][]plotsim.Fault{{{Kind: plotsim.FaultDisconnect, Line: 300}}}})
	h.run()
	ids := make([]string, 6)
	for i := range ids {
		ids[i] = h.submit(i)
	}
	cards := h.waitAll(ids, patience)
	if spoiled := h.checkWrittenOnce(cards); spoiled != 1 {
		t.Errorf("%d cards spoiled, want exactly the 1 whose cable was pulled", spoiled)
	}
	h.checkDrawings(map[int]bool{0: true})
	if hb := h.sys.Workers[0].Heartbeat(); hb.State != queue.StateError {
		t.Errorf("the unplugged robot reports %q, want %q", hb.State, queue.StateError)
	}
}

// TestFaultBeforeThePenReleasesTheBlank: the controller raises an alarm on the card's first
// G-code line, before the pen ever went down. The blank is not spoiled: the job goes back to the
// queue and the same card is written on the next attempt (issue 16: such cards used to be
// counted as partly written).
func TestFaultBeforeThePenReleasesTheBlank(t *testing.T) {
	h := start(t, app.Config{SimPlotters: 1, SimFaults: [][]plotsim.Fault{{{Kind: plotsim.FaultAlarm, Line: 1, Code: 2}}}})
	h.run()
	id := h.submit(0)
	cards := h.waitAll([]string{id}, 2*time.Minute)
	if spoiled := h.checkWrittenOnce(cards); spoiled != 0 {
		t.Errorf("%d cards spoiled by a fault that came before the pen touched the card", spoiled)
	}
	events, _ := h.sys.Store.Events(context.Background(), store.AnyAccount, id)
	var trail []string
	for _, e := range events {
		trail = append(trail, string(e.To)+"("+e.Cause+")")
	}
	want := "accepted(intake) queued(intake) plotting(worker.claim) queued(worker.released) plotting(worker.claim) written(worker.written)"
	if got := strings.Join(trail, " "); got != want {
		t.Errorf("history:\n got %s\nwant %s", got, want)
	}
}

// TestWorkerCrashMidCard: a worker process claims a job and dies mid-card (no ack, no lease
// renewal). The queue's ack wait is an hour, as if its redelivery were lost (finding 1: after a
// kill -9 of serve with embedded JetStream, a card stayed plotting forever): the lease reconciler
// alone marks the abandoned card spoiled and queues a fresh attempt at the head of the lane, which
// is written. The card is written exactly once.
func TestWorkerCrashMidCard(t *testing.T) {
	h := start(t, app.Config{SimPlotters: 1, Queue: queue.Options{AckWait: time.Hour}, ReconcileEvery: 200 * time.Millisecond})
	id := h.submit(0)
	ctx := context.Background()
	if _, err := h.sys.Queue.NewRelay(h.sys.Store).Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// The doomed worker: takes the job, starts the card, then its process is gone.
	c, err := h.sys.Queue.Consumer(ctx, "a6-white")
	if err != nil {
		t.Fatal(err)
	}
	nctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	d, err := c.Next(nctx)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Claim(ctx, h.sys.Store, d.Job, d.Redelivered(), store.JobOptions{Worker: "doomed", MaxAttempts: 3, Lease: time.Second}); err != nil {
		t.Fatal(err)
	}
	h.run()
	cards := h.waitAll([]string{id}, patience)
	if spoiled := h.checkWrittenOnce(cards); spoiled != 1 {
		t.Errorf("%d spoiled events, want 1 for the abandoned card", spoiled)
	}
	events, _ := h.sys.Store.Events(ctx, store.AnyAccount, id)
	var trail []string
	for _, e := range events {
		trail = append(trail, string(e.To)+"("+e.Cause+")")
	}
	want := "accepted(intake) queued(intake) plotting(worker.claim) spoiled(lease.expired) queued(lease.expired) plotting(worker.claim) written(worker.written)"
	if got := strings.Join(trail, " "); got != want {
		t.Errorf("history:\n got %s\nwant %s", got, want)
	}
	if cards[id].Attempts != 2 {
		t.Errorf("attempts %d, want 2", cards[id].Attempts)
	}
	h.checkDrawings(nil)
}

// TestOperatorConfirmsBlankCard: a robot without a feeder holds its job until an operator confirms
// a blank card over NATS; then it writes the card. A confirmation while no card is awaited is
// refused with a plain reason.
//
// While it waits, its heartbeat keeps coming (finding 4: it showed offline after 30 s).
func TestOperatorConfirmsBlankCard(t *testing.T) {
	h := start(t, app.Config{SimPlotters: 1, SimManualFeed: true, WorkerHeartbeat: 200 * time.Millisecond})
	h.run()
	ctx := context.Background()
	w := h.sys.Workers[0]
	// The robot takes commands once it has published its first heartbeat.
	for deadline := time.Now().Add(patience); ; time.Sleep(20 * time.Millisecond) {
		if _, err := h.sys.Queue.Heartbeat(ctx, w.Name()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the robot published no heartbeat within %v", patience)
		}
	}
	if err := worker.Send(ctx, h.sys.Queue, w.Name(), worker.CmdCardLoaded); err == nil || !strings.Contains(err.Error(), "not waiting for a card") {
		t.Errorf("confirming with no job: %v", err)
	}
	id := h.submit(1)
	deadline := time.Now().Add(patience)
	for w.Heartbeat().State != queue.StateWaiting {
		if time.Now().After(deadline) {
			t.Fatalf("robot never waited for a card; state %q", w.Heartbeat().State)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Heartbeats go out from their own goroutine: wait for the waiting state to be published, then
	// for a later heartbeat still waiting.
	var first queue.Heartbeat
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		hb, err := h.sys.Queue.Heartbeat(ctx, w.Name())
		if err == nil && hb.State == queue.StateWaiting && hb.CardID == id {
			if first.UpdatedAt.IsZero() {
				first = hb
			} else if hb.UpdatedAt.After(first.UpdatedAt) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("published heartbeat %+v (%v), want waiting-for-card with %s, refreshed while waiting", hb, err, id)
		}
	}
	if c, _ := h.sys.Store.GetCard(ctx, store.AnyAccount, id); c.Status != store.StatusPlotting {
		t.Errorf("card is %s while its robot waits for a blank card, want plotting", c.Status)
	}
	if err := worker.Send(ctx, h.sys.Queue, w.Name(), worker.CmdCardLoaded); err != nil {
		t.Fatal(err)
	}
	cards := h.waitAll([]string{id}, patience)
	h.checkWrittenOnce(cards)
	if err := worker.Send(ctx, h.sys.Queue, "no-such-robot", worker.CmdPause); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Errorf("command to a missing robot: %v", err)
	}
}

// TestWorkerWithoutDatabase: a robot on another machine reaches cards only through NATS (the card
// service that serve runs); its cards are written exactly once, like those of local robots.
func TestWorkerWithoutDatabase(t *testing.T) {
	h := start(t, app.Config{})
	h.run()
	p, err := profile.Lookup("grbl-servo")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := plotsim.ForProfile(p, plotsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := plotsim.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	w, err := worker.New(worker.Config{
		Name: "remote-1", Profile: p, Lanes: []string{"a6-white"}, AutoFeed: true,
		Store: h.sys.Queue.RemoteCards("remote-1", 5*time.Second), Queue: h.sys.Queue,
		OpenPort:  func(context.Context) (serialstream.Port, error) { return serialstream.Open(sim.Path(), p.Baud) },
		OnWritten: h.log.record, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	ids := []string{h.submit(0), h.submit(1), h.submit(2)}
	cards := h.waitAll(ids, patience)
	if spoiled := h.checkWrittenOnce(cards); spoiled != 0 {
		t.Errorf("%d cards spoiled", spoiled)
	}
	if got := len(h.log.cards["remote-1"]); got != 3 {
		t.Errorf("the remote robot wrote %d cards, want 3", got)
	}
}

// TestRobotNeedsSetupBeforeAnyJob: a robot whose controller is a stock GRBL board (homing off,
// $30=1000) takes no job: it reports "needs a human: setup" naming the setting and the value to
// set, and the card stays queued with no blank touched. Once the settings are fixed at the
// machine and the operator asks for a new check, the card is written.
func TestRobotNeedsSetupBeforeAnyJob(t *testing.T) {
	h := start(t, app.Config{})
	h.run()
	base, err := profile.Lookup("grbl-servo")
	if err != nil {
		t.Fatal(err)
	}
	p := base.Clone()
	p.Controller.WorkOffset, p.Controller.HasWorkOffset = geom.Point{X: -300, Y: -210}, true
	cfg, err := plotsim.ForProfile(p, plotsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := plotsim.Start(plotsim.StockGRBL(cfg, 300, 210))
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	w, err := worker.New(worker.Config{
		Name: "stock-1", Profile: p, Lanes: []string{"a6-white"}, AutoFeed: true, Store: h.sys.Store, Queue: h.sys.Queue,
		OpenPort:  func(context.Context) (serialstream.Port, error) { return serialstream.Open(sim.Path(), p.Baud) },
		OnWritten: h.log.record, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	id := h.submit(0)
	deadline := time.Now().Add(time.Minute)
	for w.Heartbeat().State != queue.StateSetup && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	hb := w.Heartbeat()
	if hb.State != queue.StateSetup || !strings.Contains(hb.Error, `$22 (homing) is 0 but the profile grbl-servo needs homing: set $22=1`) {
		t.Fatalf("heartbeat %s %q, want needs-setup naming $22", hb.State, hb.Error)
	}
	time.Sleep(time.Second) // a robot that wrongly pulled jobs would have claimed the card by now
	if c, err := h.sys.Store.GetCard(context.Background(), store.AnyAccount, id); err != nil || c.Status == store.StatusPlotting || c.Status == store.StatusSpoiled {
		t.Fatalf("card %v while the robot needs setup: %v", c.Status, err)
	}
	if len(sim.Strokes()) != 0 || sim.Stats().Pos != (geom.Point{}) {
		t.Fatal("the robot moved while it needed setup")
	}
	for _, set := range []string{"$22=1", "$30=255"} {
		if err := sim.SetSetting(set); err != nil {
			t.Fatal(err)
		}
	}
	if err := worker.Send(context.Background(), h.sys.Queue, "stock-1", worker.CmdCheckSetup); err != nil {
		t.Fatal(err)
	}
	cards := h.waitAll([]string{id}, time.Minute)
	if spoiled := h.checkWrittenOnce(cards); spoiled != 0 {
		t.Errorf("%d cards spoiled", spoiled)
	}
	if len(sim.Strokes()) == 0 {
		t.Error("the stock board drew nothing")
	}
}
