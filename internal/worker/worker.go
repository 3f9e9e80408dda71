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
	// OnWritten, if set, is called after a card was recorded as written (address sheets, tests).
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

	loaded chan struct{} // an operator confirmed a blank card

	sheet *openSheet

	mu       sync.Mutex
	hb       queue.Heartbeat
	ctrl     *serialstream.Controller
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
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	p := cfg.Profile
	sc := cfg.Stream
	sc.Dialect, sc.Protocol = p.Dialect, p.Protocol.Kind
	sc.RXBuffer, sc.QueueDepth, sc.Baud = p.Protocol.RXBuffer, p.Protocol.QueueDepth, p.Baud
	sc.PenUp = p.PenUp.Commands
	if sc.Logger == nil {
		sc.Logger = cfg.Logger
	}
	cfg.Stream = sc
	w := &Worker{
		cfg: cfg, log: cfg.Logger.With("worker", cfg.Name),
		loaded: make(chan struct{}, 1),
	}
	if cfg.Sheet != nil {
		sh, err := newOpenSheet(cfg.Name, *cfg.Sheet)
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
	consumers := make([]*queue.Consumer, 0, len(w.cfg.Lanes))
	for _, lane := range w.cfg.Lanes {
		c, err := w.cfg.Queue.Consumer(ctx, lane)
		if err != nil {
			return fmt.Errorf("worker %s: %w", w.cfg.Name, err)
		}
		consumers = append(consumers, c)
	}
	defer w.shutdown()
	w.beat(ctx, func(h *queue.Heartbeat) { h.State = queue.StateIdle })
	backoff := time.Second
	lane, streak := 0, 0
	for ctx.Err() == nil {
		if err := w.ensureController(ctx); err != nil {
			if ctx.Err() != nil {
				break
			}
			w.log.Warn("robot not reachable", "err", err, "retry_in", backoff)
			w.beat(ctx, func(h *queue.Heartbeat) { h.State, h.Error = queue.StateError, "robot not reachable: "+err.Error() })
			sleep(ctx, backoff)
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = time.Second
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
			w.beat(ctx, nil) // keep the heartbeat fresh while idle
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
	w.beat(ctx, func(h *queue.Heartbeat) { h.State, h.Error = queue.StateIdle, "" })
	return nil
}

// dropController closes a link that failed, so the next job reconnects.
func (w *Worker) dropController() {
	w.mu.Lock()
	c := w.ctrl
	w.ctrl = nil
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
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	w.beat(ctx, func(h *queue.Heartbeat) { h.State, h.CardID, h.Progress = queue.StateOffline, "", 0 })
}

// beat updates the heartbeat with fn and publishes it. Progress updates are published at most
// once a second; state changes at once.
func (w *Worker) beat(ctx context.Context, fn func(*queue.Heartbeat)) {
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
	w.hb.UpdatedAt = now.UTC()
	h := w.hb
	w.mu.Unlock()
	if err := w.cfg.Queue.PutHeartbeat(ctx, h); err != nil && ctx.Err() == nil {
		w.log.Warn("heartbeat not published", "err", err)
	}
}

// Heartbeat returns the worker's current state as last published.
func (w *Worker) Heartbeat() queue.Heartbeat {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hb
}
