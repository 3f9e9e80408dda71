// Package app assembles a running quillpost from its parts: the store, the queue (embedded NATS or
// an external cluster), the outbox relay, the dead-job watcher, the HTTP API and, on request,
// simulated plotters each driven by a real worker over a pseudo-terminal. `quillpost serve` and
// the end-to-end tests start the system through it, so the tests exercise what users run.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/quillpost/quillpost/internal/calendar"
	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/faces"
	"github.com/quillpost/quillpost/internal/intake"
	"github.com/quillpost/quillpost/internal/metrics"
	"github.com/quillpost/quillpost/internal/plan"
	"github.com/quillpost/quillpost/internal/plotsim"
	"github.com/quillpost/quillpost/internal/profile"
	"github.com/quillpost/quillpost/internal/program"
	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/reproof"
	"github.com/quillpost/quillpost/internal/serialstream"
	"github.com/quillpost/quillpost/internal/sheets"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/web"
	"github.com/quillpost/quillpost/internal/webhook"
	"github.com/quillpost/quillpost/internal/worker"
)

// Config describes one quillpost process.
type Config struct {
	DataDir string // SQLite database, embedded NATS storage and address sheets
	// DatabaseURL selects PostgreSQL (postgres://…) instead of SQLite in DataDir.
	DatabaseURL string
	Addr        string // HTTP listen address, e.g. "127.0.0.1:8080"; "" serves no HTTP (tests use Handler)

	NATSURL    string // an external NATS (cluster); "" starts the embedded server
	NATSListen string // with the embedded server: also listen here for workers in other processes
	// NATS holds the credentials and TLS settings for an external NATS (its URL is NATSURL).
	NATS queue.Dial
	// Queue: this process is the deployment (Manage is implied): it sets up the streams and
	// buckets of Queue.Namespace with Queue.Replicas.
	Queue queue.Options

	SimPlotters int     // simulated plotters to start, each with a real worker
	SimSpeed    float64 // simulated time factor: 0 instant, 1 real time, N N× faster
	SimStock    string  // the stock loaded in the simulated plotters (default a6-white)
	SimProfile  string  // firmware profile of the simulated plotters (default grbl-servo)
	// SimFaults[i] are injected into simulated plotter i (tests and demos of fault handling).
	SimFaults [][]plotsim.Fault
	// SimKeepStrokes is how many of its latest strokes each simulated plotter keeps in memory for
	// Sim.Strokes (default 5000, a few cards: a long-running serve stays at constant memory); -1
	// keeps all (tests comparing whole drawings).
	SimKeepStrokes int
	// SimManualFeed makes the simulated robots wait for an operator to confirm each blank card, as
	// real robots without a feeder do.
	SimManualFeed bool
	// SimTakesLive lets the simulated robots stand in for real ones and write live cards too (the
	// end-to-end tests). Otherwise a simulated robot takes only test cards: a live card must reach
	// paper.
	SimTakesLive bool
	// SheetLayout is the label layout of the simulated plotters' address sheets (default
	// zweckform-3475); the PDFs go to DataDir/sheets.
	SheetLayout string
	// PenWornMetres is how far a pen writes before the operator dashboard asks for a fresh one
	// (default 150 m).
	PenWornMetres float64
	// SenderCountry is the ISO code of the country the mail is posted in (default DE): labels of
	// domestic mail leave the country line out. The robots' sheets and the dashboard use it alike.
	SenderCountry string
	// WorkerLease is how long a simulated robot's claim holds without renewal (default
	// store.DefaultLease); WorkerHeartbeat how often its heartbeat goes out when nothing changes
	// (default 10 s).
	WorkerLease, WorkerHeartbeat time.Duration
	// ReconcileEvery is how often this process looks for plotting cards whose lease ran out and
	// requeues them (default 5 s; also once at start). Every serve process does it; it is safe
	// to run in several at once. MaxAttempts is what the reconciler passes as JobOptions (default 3,
	// as workers).
	ReconcileEvery time.Duration
	MaxAttempts    int
	// OnWritten is passed to every simulated plotter's worker.
	OnWritten func(ctx context.Context, worker string, card *store.Card, prog *program.Program)

	// WebAccount is the account the order page at / orders for (default "web", created on start);
	// WebStocks are the card stocks it offers (default: SimStock).
	WebAccount string
	WebStocks  []string
	// WebPrices is the order page's price table (zero: the built-in one); WebTestOrders makes the
	// order page order test cards, with a banner saying so.
	WebPrices     web.PriceTable
	WebTestOrders bool

	// Webhooks tunes webhook delivery (retries, backoff); zero values take the defaults.
	Webhooks webhook.Options
	// Transit is the postal transit table occasion cards are planned with (serve --transit);
	// nil takes calendar.DefaultTransit.
	Transit *calendar.TransitTable

	// MetricsTokenFile holds the bearer token /metrics asks of Prometheus. "" keeps it in
	// DataDir/metrics-token, made on the first start; a named file must exist.
	MetricsTokenFile string

	// PublicURL is the address the API is reached at from outside (serve --public-url;
	// intake.Config.PublicURL): HubSpot signatures are checked over it. "" trusts the Host header.
	PublicURL string

	// APIRateLimit is each API key's sustained requests per second (intake.Config.RateLimit: 0
	// means the default, negative none, as in the load benchmarks).
	APIRateLimit float64

	Logger *slog.Logger
}

// System is a started quillpost.
type System struct {
	cfg      Config
	log      *slog.Logger
	Store    store.Store
	Queue    *queue.Queue
	embedded *queue.Embedded
	relay    *queue.Relay
	api      *intake.Server
	mux      *http.ServeMux
	Sims     []*plotsim.Sim
	Workers  []*worker.Worker
	claims   []*queue.RobotClaim

	listener net.Listener

	web          *web.Server
	metrics      *metrics.Metrics
	metricsToken string
}

// MetricsTokenFile is the file in the data directory that holds the scrape token of /metrics,
// unless Config.MetricsTokenFile names another.
const MetricsTokenFile = "metrics-token"

// MetricsToken is the bearer token /metrics asks for.
func (s *System) MetricsToken() string { return s.metricsToken }

// Start opens the store and the queue and prepares the workers; Run starts them working.
func Start(ctx context.Context, cfg Config) (_ *System, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SimStock == "" {
		cfg.SimStock = "a6-white"
	}
	if cfg.SheetLayout == "" {
		cfg.SheetLayout = "zweckform-3475"
	}
	if cfg.SenderCountry == "" {
		cfg.SenderCountry = "DE"
	}
	if cfg.SimProfile == "" {
		cfg.SimProfile = "grbl-servo"
	}
	if cfg.Queue.Logger == nil {
		cfg.Queue.Logger = cfg.Logger
	}
	if cfg.ReconcileEvery <= 0 {
		cfg.ReconcileEvery = 5 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 3
	}
	// Owner only: the database, the queue's files and the label sheets hold people's addresses.
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	s := &System{cfg: cfg, log: cfg.Logger}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	st, err := OpenStore(ctx, cfg.DataDir, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	s.Store = st
	cfg.Queue.Manage = true
	if cfg.NATSURL == "" {
		s.embedded, err = queue.StartEmbedded(filepath.Join(cfg.DataDir, "nats"), cfg.NATSListen, s.log)
		if err != nil {
			return nil, err
		}
		s.Queue, err = s.embedded.Queue(ctx, cfg.Queue)
		if u := s.embedded.ClientURL(); u != "" {
			s.log.Info("embedded NATS listening; robots need credentials from 'quillpost keys worker'", "url", u)
		}
	} else {
		d := cfg.NATS
		d.URL = cfg.NATSURL
		s.Queue, err = queue.Connect(ctx, d, cfg.Queue)
	}
	if err != nil {
		return nil, err
	}
	s.relay = s.Queue.NewRelay(s.Store)
	s.api = intake.New(intake.Config{Store: s.Store, Logger: s.log, OnAccepted: s.relay.Kick, RateLimit: cfg.APIRateLimit, AllowPrivateWebhooks: cfg.Webhooks.AllowPrivate,
		Transit: cfg.Transit, PublicURL: cfg.PublicURL})
	s.mux = http.NewServeMux()
	s.metrics = metrics.New(metrics.Sources{Queue: s.Queue})
	// Before the first order can be taken: the counters see only events published after this.
	if err := s.metrics.Attach(ctx, s.Queue); err != nil {
		s.log.Error("metrics counters not attached; retrying in the background", "err", err)
	}
	s.mux.Handle("/v1/", s.metrics.CountAPIRejections(s.api.Handler()))
	webStocks := cfg.WebStocks
	if len(webStocks) == 0 {
		webStocks = []string{cfg.SimStock}
	}
	s.web, err = web.New(ctx, web.Config{Store: s.Store, Queue: s.Queue, Account: cfg.WebAccount, Stocks: webStocks,
		Prices: cfg.WebPrices, TestOrders: cfg.WebTestOrders, OnAccepted: s.relay.Kick, Rejections: s.metrics, Logger: s.log,
		LabelLayout: cfg.SheetLayout, SenderCountry: cfg.SenderCountry, PenWornMetres: cfg.PenWornMetres})
	if err != nil {
		return nil, err
	}
	s.mux.Handle("/", s.web.Handler())
	// Every port authenticates: /metrics asks for its own scrape token, which reads nothing else.
	tokenFile := cfg.MetricsTokenFile
	if tokenFile == "" {
		tokenFile = filepath.Join(cfg.DataDir, MetricsTokenFile)
	}
	if s.metricsToken, err = metrics.TokenFile(tokenFile, cfg.MetricsTokenFile == ""); err != nil {
		return nil, err
	}
	s.log.Info("Prometheus scrapes /metrics with the bearer token in the metrics token file", "file", tokenFile)
	s.mux.Handle("GET /metrics", s.metrics.Handler(s.metricsToken))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	s.mux.HandleFunc("GET /readyz", s.ready)
	if err := s.startSimulated(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// startSimulated starts the simulated plotters and their workers (not yet running).
func (s *System) startSimulated(ctx context.Context) error {
	if s.cfg.SimPlotters == 0 {
		return nil
	}
	p, err := profile.Lookup(s.cfg.SimProfile)
	if err != nil {
		return err
	}
	simCfg, err := plotsim.ForProfile(p, plotsim.Config{Speed: s.cfg.SimSpeed, Logger: s.log.With("component", "plotsim")})
	if err != nil {
		return fmt.Errorf("simulated plotter for profile %s: %w", p.Name, err)
	}
	lanes := []string{store.Lane(s.cfg.SimStock, true)}
	if s.cfg.SimTakesLive {
		lanes = append([]string{store.Lane(s.cfg.SimStock, false)}, lanes...)
	}
	keep := s.cfg.SimKeepStrokes
	switch {
	case keep == 0:
		keep = 5000
	case keep < 0:
		keep = 0 // plotsim: all
	}
	for i := range s.cfg.SimPlotters {
		cfg := simCfg
		cfg.Faults = faultsFor(s.cfg.SimFaults, i)
		cfg.KeepStrokes = keep
		sim, err := plotsim.Start(cfg)
		if err != nil {
			return err
		}
		s.Sims = append(s.Sims, sim)
		name := fmt.Sprintf("sim-%d", i+1)
		claim, err := s.Queue.ClaimRobot(ctx, name)
		if err != nil {
			return err
		}
		s.claims = append(s.claims, claim)
		w, err := worker.New(worker.Config{
			Name: name, Profile: p, Lanes: lanes, Simulated: true, AlsoLive: s.cfg.SimTakesLive,
			MaxAttempts: s.cfg.MaxAttempts,
			Store:       s.Store, Queue: s.Queue, AutoFeed: !s.cfg.SimManualFeed, Order: plan.OrderOptimal,
			JournalDir: filepath.Join(s.cfg.DataDir, "journal", name),
			Lease:      s.cfg.WorkerLease, HeartbeatEvery: s.cfg.WorkerHeartbeat,
			OpenPort: func(ctx context.Context) (serialstream.Port, error) {
				return serialstream.Open(sim.Path(), p.Baud)
			},
			OnWritten: s.cfg.OnWritten,
			Sheet: &worker.SheetConfig{Dir: filepath.Join(s.cfg.DataDir, "sheets"), Layout: s.cfg.SheetLayout,
				Options: sheets.Options{SenderCountry: s.cfg.SenderCountry}},
			Logger: s.log,
		})
		if err != nil {
			return err
		}
		s.Workers = append(s.Workers, w)
	}
	return nil
}

// Embedded is the embedded NATS server, or nil with an external NATS.
func (s *System) Embedded() *queue.Embedded { return s.embedded }

// Handler serves the API, health checks and (later) the web pages.
func (s *System) Handler() http.Handler { return s.mux }

func (s *System) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.Store.PendingOutbox(ctx, 1); err != nil {
		http.Error(w, "database not ready: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if !s.Queue.Conn().IsConnected() {
		http.Error(w, "NATS not connected", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ready\n"))
}

// Listen binds the HTTP address now (so the caller can print it), before Run serves it.
func (s *System) Listen() (net.Addr, error) {
	if s.cfg.Addr == "" {
		return nil, errors.New("no HTTP address configured")
	}
	l, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	s.listener = l
	return l.Addr(), nil
}

// Run works until ctx ends: the outbox relay, the dead-job watcher, the workers and the HTTP
// server (if Listen was called). Then it shuts everything down gracefully and returns.
func (s *System) Run(ctx context.Context) error {
	// One part failing stops the whole system, so that a supervisor restarts it whole.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	// Run reports the first failure; later ones are logged, never left blocking a goroutine.
	errc := make(chan error, 1)
	run := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				err = fmt.Errorf("%s: %w", name, err)
				select {
				case errc <- err:
				default:
					s.log.Error("stopped", "err", err)
				}
			}
		}()
	}
	run("outbox relay", s.relay.Run)
	// Workers in other processes read and change cards through this service (queue.RemoteCards).
	run("card service", func(ctx context.Context) error { return s.Queue.ServeCards(ctx, s.Store) })
	run("api background", func(ctx context.Context) error {
		return intake.RunBackground(ctx, s.Store, s.Queue, s.cfg.Webhooks, s.log, intake.BackgroundOptions{Transit: s.cfg.Transit, OnQueued: s.relay.Kick})
	})
	// Recovery never waits for the queue to redeliver a job: a card whose worker stopped renewing
	// its lease (crashed, unplugged, cut off) is spoiled and requeued at the head of its lane.
	run("lease reconciler", func(ctx context.Context) error {
		store.Reconciler(ctx, s.Store, s.cfg.ReconcileEvery, store.JobOptions{Worker: "reconciler", MaxAttempts: s.cfg.MaxAttempts},
			func(cs []*store.Card) {
				for _, c := range cs {
					s.log.Warn("card recovered from a lapsed lease", "card", c.ID, "now", c.Status, "attempt", c.Attempts)
				}
				s.relay.Kick()
			},
			func(err error) { s.log.Warn("lease reconciler", "err", err) })
		return nil
	})
	// After an upgrade, cards whose approved proof the new renderer no longer draws are held for
	// the new proof's approval before robots meet them (robots check it too, before any blank).
	run("re-proof", func(ctx context.Context) error {
		s.reproof(ctx)
		return nil
	})
	run("dead-job watcher", func(ctx context.Context) error {
		return s.Queue.WatchDeadJobs(ctx, func(ctx context.Context, dj queue.DeadJob) error {
			_, err := store.FailJob(ctx, s.Store, dj.Job, store.CauseMaxDeliveries,
				fmt.Sprintf("gave up after %d deliveries", dj.Deliveries))
			if errors.Is(err, store.ErrStale) {
				return nil
			}
			return err
		})
	})
	// The metrics counters and the web's live view only log their failures: the system works on
	// without them.
	run("metrics", func(ctx context.Context) error {
		if err := s.metrics.Run(ctx, s.Queue, s.Store); err != nil && ctx.Err() == nil {
			s.log.Error("metrics counters stopped", "err", err)
		}
		return nil
	})
	run("web live view", func(ctx context.Context) error {
		if err := s.web.Run(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("web live view stopped", "err", err)
		}
		return nil
	})
	for i, w := range s.Workers {
		run("worker "+w.Name(), w.Run)
		lost := s.claims[i].Lost()
		run("identity of "+w.Name(), func(ctx context.Context) error {
			select {
			case <-lost:
				return fmt.Errorf("robot %s: another process took its identity", w.Name())
			case <-ctx.Done():
				return nil
			}
		})
	}
	if s.listener != nil {
		srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
		run("http", func(ctx context.Context) error {
			go func() {
				<-ctx.Done()
				sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				srv.Shutdown(sctx)
			}()
			if err := srv.Serve(s.listener); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	var first error
	select {
	case <-ctx.Done():
	case first = <-errc:
		s.log.Error("shutting down", "err", first)
		stop()
	}
	wg.Wait()
	return first
}

// Close releases everything Start opened. Call it after Run returned.
func (s *System) Close() {
	for _, sim := range s.Sims {
		sim.Close()
	}
	for _, c := range s.claims {
		c.Release()
	}
	if s.Queue != nil {
		s.Queue.Close()
	}
	if s.embedded != nil {
		s.embedded.Shutdown()
	}
	if s.Store != nil {
		s.Store.Close()
	}
}

func faultsFor(f [][]plotsim.Fault, i int) []plotsim.Fault {
	if i < len(f) {
		return f[i]
	}
	return nil
}

// reproof re-proofs, once at start, the cards an older renderer proofed (see internal/reproof).
// A failure is logged, never fatal: each robot still checks every card's proof before its blank.
func (s *System) reproof(ctx context.Context) {
	st, ok := s.Store.(reproof.Store)
	if !ok {
		return
	}
	var src faces.Source
	if fs, ok := s.Store.(store.FaceStore); ok {
		src = fs
	}
	cache := faces.NewCache(0)
	res, err := reproof.Run(ctx, st, func(ctx context.Context, c *store.Card) cardspec.FaceFinder {
		return cache.Finder(ctx, src, c.AccountID, !c.Test)
	}, s.log)
	if err != nil {
		s.log.Error("re-proof after start failed; robots still check each card's proof before its blank", "err", err)
		return
	}
	if res.Checked > 0 {
		s.log.Info("re-proofed the cards of an older renderer", "checked", res.Checked, "unchanged", res.Unchanged, "held", res.Held, "skipped", res.Skipped)
		s.relay.Kick()
	}
}
