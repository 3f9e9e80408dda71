// Package worker runs one plotter robot: it pulls card jobs from its lanes, renders each card again
// from its order (checking the stroke hash taken at intake, so the proof is what gets written),
// compiles it for the robot's profile, waits for a blank card, streams the program over serial,
// and records the outcome — written, or spoiled and queued again — before acknowledging the job.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quillpost/quillpost/internal/plan"
	"github.com/quillpost/quillpost/internal/profile"
	"github.com/quillpost/quillpost/internal/program"
	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/serialstream"
	"github.com/quillpost/quillpost/internal/store"
)

// Config sets up a Worker.
type Config struct {
	// Name identifies the robot in heartbeats, events and control subjects: letters, digits, '-', '_'.
	Name    string
	Profile *profile.Profile
	// Lanes are the queue lanes the robot takes jobs from: its loaded stock ("a6-white"), or for a
	// simulated robot the test lane ("test-a6-white"). A real robot never takes a test lane.
	Lanes []string
	// Simulated marks a simulated robot: it writes only test cards, and a real robot (the
	// default) only live ones; a card of the other kind fails with the reason. AlsoLive lets a
	// simulated robot stand in for a real one (end-to-end tests).
	Simulated, AlsoLive bool
	// Store reads and changes cards: the database itself, or queue.RemoteCards for a worker on a
	// machine without database access (served by 'quillpost serve').
	Store store.CardStore
	Queue *queue.Queue
	// OpenPort opens the robot's serial link; it is called again after the link was lost.
	OpenPort func(ctx context.Context) (serialstream.Port, error)
	// AutoFeed skips waiting for an operator to confirm a blank card (robots with a card feeder,
	// and simulated robots).
	AutoFeed bool
	// MaxAttempts is how many physical cards a job may spoil before the card fails (default 3).
	MaxAttempts int
	Order       plan.Order
	// ShutdownGrace is how long a card being written may take to finish after shutdown was asked
	// for, before it is aborted and spoiled (default 5 minutes).
	ShutdownGrace time.Duration
	// Sheet, if set, makes the worker keep an open address sheet of the cards it wrote.
	Sheet *SheetConfig
	// JournalDir keeps the outcomes of cards (written, spoiled) on this machine's disk until the
	// store has recorded them, so that an outage or a crash of the worker never loses one. ""
	// keeps them in memory only: they survive outages, not a crash of the worker.
	JournalDir string
	// Lease is how long a claim holds without renewal (default store.DefaultLease); the worker
	// renews it five times per Lease while it holds the card.
	Lease time.Duration
	// HeartbeatEvery is how often the heartbeat is published even when nothing changed (default
	// 10 s), so that a robot waiting for a blank card or writing a long card never looks offline.
	HeartbeatEvery time.Duration
	// OnWritten, if set, is called after a card was recorded as written (address sheets, tests).
	// prog is nil for a card recorded from the journal after a restart.
	OnWritten func(ctx context.Context, worker string, card *store.Card, prog *program.Program)
	// Stream adjusts the serial sender's settings (timeouts); Dialect, protocol, buffers, baud and
	// pen-up commands come from the profile.
	Stream serialstream.Config
	Logger *slog.Logger
}

// Worker drives one robot. Run it once; control it with the methods below or over NATS.
type Worker struct {
	cfg Config
	log *slog.Logger

	loaded  chan struct{} // an operator confirmed a blank card
	recheck chan struct{} // an operator asked for the firmware handshake again
	// keepBlank is set by an operator's abort that keeps the blank (abort-keep): the aborted
	// attempt goes back to the queue without spoiling the card under the pen.
	keepBlank atomic.Bool

	sheet   *openSheet
	journal *journal
	beatCh  chan struct{} // a heartbeat is waiting to be published (capacity 1: coalesces)

	mu       sync.Mutex
	hb       queue.Heartbeat
	ctrl     *serialstream.Controller
	setupOK  bool             // the firmware handshake passed on this connection
	prof     *profile.Profile // the profile fed with the controller's settings
	lastBeat time.Time
}

// New checks the configuration and returns a Worker.
func New(cfg Config) (*Worker, error) {
	switch {
	case cfg.Name == "":
		return nil, errors.New("worker: a name is required")
	case cfg.Profile == nil:
		return nil, errors.New("worker: a firmware profile is required")
	case len(cfg.Lanes) == 0:
		return nil, errors.New("worker: at least one lane (card stock) is required")
	case cfg.Store == nil || cfg.Queue == nil || cfg.OpenPort == nil:
		return nil, errors.New("worker: store, queue and serial port are required")
	}
	if _, ok := cfg.Store.(store.LeaseRenewer); !ok {
		// Without renewals every claim would lapse mid-card and be spoiled by the reconciler.
		return nil, fmt.Errorf("worker %s: the card store %T cannot renew leases (store.LeaseRenewer)", cfg.Name, cfg.Store)
	}
	for _, l := range cfg.Lanes {
		if err := store.ValidateLane(l); err != nil {
			return nil, fmt.Errorf("worker %s: %w", cfg.Name, err)
		}
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 3
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 5 * time.Minute
	}
	if cfg.Lease <= 0 {
		cfg.Lease = store.DefaultLease
	}
	if cfg.HeartbeatEvery <= 0 {
		cfg.HeartbeatEvery = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	p := cfg.Profile
	sc := cfg.Stream
	sc.Dialect, sc.Protocol = p.Dialect, p.Protocol.Kind
	sc.RXBuffer, sc.QueueDepth, sc.Baud = p.Protocol.RXBuffer, p.Protocol.QueueDepth, p.Baud
	sc.PenUp, sc.PenDown, sc.PenRest = p.PenUp.Commands, p.PenDown.Commands, p.PenRest.Commands
	sc.RapidRate, sc.Accel = p.TravelFeed, p.Accel
	if sc.Logger == nil {
		sc.Logger = cfg.Logger
	}
	cfg.Stream = sc
	j, err := openJournal(cfg.JournalDir)
	if err != nil {
		return nil, fmt.Errorf("worker %s: %w", cfg.Name, err)
	}
	w := &Worker{
		cfg: cfg, log: cfg.Logger.With("worker", cfg.Name),
		loaded: make(chan struct{}, 1), recheck: make(chan struct{}, 1), journal: j, beatCh: make(chan struct{}, 1),
	}
	if cfg.Sheet != nil {
		labels, _ := cfg.Store.(store.LabelStore)
		sh, err := newOpenSheet(cfg.Name, *cfg.Sheet, labels)
		if err == nil {
			sh.log = w.log
		}
		if err != nil {
			return nil, err
		}
		w.sheet = sh
	}
	w.hb = queue.Heartbeat{Worker: cfg.Name, Lane: cfg.Lanes[0], Profile: p.Name, State: queue.StateIdle}
	return w, nil
}

// Name returns the worker's name.
func (w *Worker) Name() string { return w.cfg.Name }

// Run works jobs until ctx ends. A card being written when ctx ends is finished (within
// ShutdownGrace); a job still waiting for its blank card is returned to the queue.
func (w *Worker) Run(ctx context.Context) error {
	stopControl, err := w.serveControl()
	if err != nil {
		return err
	}
	defer stopControl()
	stopBeats := w.publishBeats()
	defer stopBeats()
	// What a previous run left unrecorded comes first, then the address sheets it left open.
	if err := w.replayJournal(ctx); err != nil {
		return fmt.Errorf("worker %s: %w", w.cfg.Name, err)
	}
	if err := w.recoverSheets(ctx); err != nil {
		w.log.Error("address sheets not recovered; their labels stay recorded and are retried at the next start", "err", err)
	}
	consumers := make([]*queue.Consumer, 0, len(w.cfg.Lanes))
	for _, lane := range w.cfg.Lanes {
		c, err := w.cfg.Queue.Consumer(ctx, lane)
		if err != nil {
			return fmt.Errorf("worker %s: %w", w.cfg.Name, err)
		}
		consumers = append(consumers, c)
	}
	defer w.shutdown()
	w.beat(func(h *queue.Heartbeat) { h.State = queue.StateIdle })
	backoff := time.Second
	lane, streak := 0, 0
	for ctx.Err() == nil {
		if err := w.ensureController(ctx); err != nil {
			if ctx.Err() != nil {
				break
			}
			w.log.Warn("robot not reachable", "err", err, "retry_in", backoff)
			w.beat(func(h *queue.Heartbeat) { h.State, h.Error = queue.StateError, "robot not reachable: "+err.Error() })
			sleep(ctx, backoff)
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = time.Second
		if err := w.ensureSetup(ctx); err != nil {
			// No job is pulled until a human has set the robot up (or the link came back).
			select {
			case <-ctx.Done():
			case <-w.recheck:
			case <-time.After(setupRetry):
			}
			continue
		}
		d, err := w.next(ctx, consumers[lane%len(consumers)], len(consumers) > 1)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn("fetching a job failed", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		// Stay on a lane while it has work (a poll of an empty lane costs lanePoll), but move on
		// after a run of jobs so that no lane starves another.
		if d == nil || streak >= laneStreak {
			lane, streak = lane+1, 0
		}
		if d == nil {
			continue
		}
		streak++
		w.handle(ctx, d)
	}
	return nil
}

// lanePoll is how long the worker listens on an empty lane before looking at the next, and
// laneStreak how many jobs in a row it takes from one lane while others may be waiting.
const (
	lanePoll   = 2 * time.Second
	laneStreak = 10
)

// setupRetry is how often a robot that needs setup reads its controller's settings again, in
// case someone fixed them at the machine rather than through the dashboard.
const setupRetry = 10 * time.Second

// next returns the lane's next job, or nil when none arrived for a while.
func (w *Worker) next(ctx context.Context, c *queue.Consumer, moreLanes bool) (*queue.Delivery, error) {
	wait := 10 * time.Second
	if moreLanes {
		wait = lanePoll
	}
	pctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	d, err := c.Next(pctx)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return nil, nil
	}
	return d, err
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// ensureController (re)connects to the robot.
func (w *Worker) ensureController(ctx context.Context) error {
	w.mu.Lock()
	ok := w.ctrl != nil
	w.mu.Unlock()
	if ok {
		return nil
	}
	port, err := w.cfg.OpenPort(ctx)
	if err != nil {
		return err
	}
	ctrl, err := serialstream.Connect(ctx, port, w.cfg.Stream)
	if err != nil {
		port.Close()
		return err
	}
	w.mu.Lock()
	w.ctrl = ctrl
	w.mu.Unlock()
	w.log.Info("robot connected", "controller", ctrl.Info())
	w.beat(func(h *queue.Heartbeat) { h.State, h.Error = queue.StateIdle, "" })
	return nil
}

// dropController closes a link that failed, so the next job reconnects.
func (w *Worker) dropController() {
	w.mu.Lock()
	c := w.ctrl
	w.ctrl, w.setupOK = nil, false
	w.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

func (w *Worker) controller() *serialstream.Controller {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ctrl
}

func (w *Worker) shutdown() {
	w.dropController()
	if w.sheet != nil {
		if _, err := w.FlushSheet(); err != nil {
			w.log.Error("address sheet not written at shutdown", "err", err)
		}
	}
	w.mu.Lock()
	w.hb.State, w.hb.CardID, w.hb.Progress = queue.StateOffline, "", 0
	w.mu.Unlock()
	w.publishBeat(5 * time.Second)
}

// beat updates the heartbeat with fn and hands it to the publisher; it never waits for the
// network, so it is safe inside the robot's streaming loop. Progress updates go out at most once a
// second; state changes at once. A heartbeat not yet sent is replaced by the newer one.
func (w *Worker) beat(fn func(*queue.Heartbeat)) {
	w.mu.Lock()
	before := w.hb.State
	if fn != nil {
		fn(&w.hb)
	}
	now := time.Now()
	if w.hb.State == before && now.Sub(w.lastBeat) < time.Second && fn != nil {
		w.mu.Unlock()
		return
	}
	w.lastBeat = now
	w.mu.Unlock()
	select {
	case w.beatCh <- struct{}{}:
	default: // one is pending already; it will carry this state
	}
}

// publishBeats sends heartbeats from a goroutine of their own: each change handed over by beat,
// and the current state every HeartbeatEvery whatever the robot is doing (waiting for a blank
// card, idle, writing a long card). A publish waits at most a few seconds; during an outage the
// latest state simply goes out once NATS is back.
func (w *Worker) publishBeats() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(w.cfg.HeartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-w.beatCh:
			case <-t.C:
			}
			w.publishBeat(min(5*time.Second, max(w.cfg.HeartbeatEvery, time.Second)))
		}
	}()
	return func() { close(done); wg.Wait() }
}

func (w *Worker) publishBeat(timeout time.Duration) {
	w.mu.Lock()
	w.hb.UpdatedAt = time.Now().UTC()
	h := w.hb
	w.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := w.cfg.Queue.PutHeartbeat(ctx, h); err != nil {
		w.log.Warn("heartbeat not published", "state", h.State, "err", err)
	}
}

// Heartbeat returns the worker's current state as last published.
func (w *Worker) Heartbeat() queue.Heartbeat {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hb
}
