package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/calendar"
	"github.com/quillpost/quillpost/internal/intake"
	"github.com/quillpost/quillpost/internal/plotsim"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/web"
)

func init() {
	register("serve", "run quillpost: API, queue, database and (optionally) simulated plotters", runServe)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "[flags]", stdout)
	db := fs.storeFlags("quillpost-data", "directory for the SQLite database, embedded NATS data and address sheets",
		"PostgreSQL URL (postgres://…) instead of SQLite in --data")
	addr := fs.String("addr", "127.0.0.1:8080", "HTTP listen address")
	nf := fs.natsFlags("", "external NATS server or cluster URL; empty runs NATS embedded")
	natsListen := fs.String("nats-listen", "", "with embedded NATS: also listen here (host:port) for workers in other processes")
	replicas := fs.Int("replicas", 0, "JetStream replicas for streams and buckets (3 on a cluster); 0 keeps the current setting (1 for new streams)")
	sims := fs.Int("sim-plotters", 0, "simulated plotters to run, each with a real worker over a pseudo-terminal")
	simSpeed := fs.Float64("sim-speed", 20, "simulated plotters run this many times faster than real time (0: instantly)")
	simStock := fs.String("sim-stock", "a6-white", "card stock loaded in the simulated plotters")
	simProfile := fs.String("sim-profile", "grbl-servo", "firmware profile of the simulated plotters")
	simLive := fs.Bool("sim-live", false, "simulated plotters also write live cards (a demo without real robots; live cards they take never reach paper)")
	simFaults := fs.String("sim-faults", "", "faults to inject into the first simulated plotter, e.g. disconnect@400,error@90")
	layout := fs.sheetLayoutFlag()
	logf := fs.logFlags("log debug messages", slog.LevelInfo)
	prices := fs.String("prices", "", "price table of the order page, a JSON file like internal/web/prices.json (default: the built-in one)")
	webTest := fs.Bool("web-test", false, "the order page orders test cards (written by simulated plotters only, never posted), with a banner saying so")
	from := fs.String("from", "DE", "ISO code of the country the mail is posted in: domestic labels leave the country line out")
	metricsToken := fs.String("metrics-token-file", "", "file holding the bearer token Prometheus sends to /metrics (default: --data/metrics-token, made on the first start)")
	allowPrivateHooks := fs.Bool("allow-private-webhooks", false, "let webhooks reach loopback, private and reserved addresses (local development only)")
	transit := fs.String("transit", "", "JSON file of postal transit times for occasion cards (the form of internal/calendar/transit.json); default the built-in table")
	penWear := fs.Float64("pen-wear-m", 150, "metres a pen writes before the operator dashboard asks for a fresh one")
	publicURL := fs.String("public-url", "", "the address the API is reached at from outside, e.g. https://cards.example.org behind a proxy: HubSpot signatures are checked over it instead of the Host header")
	if err := fs.parse(args, 0); err != nil {
		return err
	}
	if *publicURL != "" {
		if err := intake.CheckPublicURL(*publicURL); err != nil {
			return fs.badValue("public-url", err)
		}
	}
	if !(*penWear > 0) || math.IsInf(*penWear, 0) {
		return fs.badValue("pen-wear-m", fmt.Errorf("%q must be a distance in metres above 0", strconv.FormatFloat(*penWear, 'g', -1, 64)))
	}
	log := logf.logger(stderr)
	cfg := app.Config{
		DataDir: *db.data, DatabaseURL: *db.db, Addr: *addr, NATSURL: *nf.url, NATSListen: *natsListen,
		SimPlotters: *sims, SimSpeed: *simSpeed, SimStock: *simStock, SimProfile: *simProfile,
		SheetLayout: *layout, SenderCountry: strings.ToUpper(*from), Logger: log, SimTakesLive: *simLive,
	}
	cfg.Queue.Replicas, cfg.Queue.Namespace = *replicas, *nf.namespace
	cfg.NATS = nf.dial()
	cfg.Webhooks.AllowPrivate = *allowPrivateHooks
	cfg.WebTestOrders = *webTest
	cfg.PenWornMetres = *penWear
	if *prices != "" {
		p, err := web.LoadPrices(*prices)
		if err != nil {
			return fs.badValue("prices", err)
		}
		cfg.WebPrices = p
	}
	cfg.MetricsTokenFile = *metricsToken
	cfg.PublicURL = *publicURL
	if *transit != "" {
		f, err := os.Open(*transit)
		if err != nil {
			return fmt.Errorf("--transit: %w", err)
		}
		cfg.Transit, err = calendar.ReadTransit(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("--transit %s: %w", *transit, err)
		}
	}
	if *simFaults != "" {
		f, err := plotsim.ParseFaults(*simFaults)
		if err != nil {
			return fs.badValue("sim-faults", err)
		}
		cfg.SimFaults = [][]plotsim.Fault{f}
	}
	sys, err := app.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer sys.Close()
	bound, err := sys.Listen()
	if err != nil {
		return err
	}
	key, err := demoKey(ctx, sys.Store, *db.data)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "quillpost is running at http://%s (data in %s, %d simulated plotters)\n", bound, *db.data, *sims)
	if key != "" {
		fmt.Fprintf(stdout, "demo API key (test cards, simulated plotters only): %s\n", key)
	}
	fmt.Fprintln(stdout, "press Ctrl-C to stop")
	err = sys.Run(ctx)
	log.Info("stopped")
	return err
}

// demoKey gives a fresh installation an account to try the API with: on the first start it creates
// the account "demo" with a test key and keeps the key in the data directory, readable only by the
// owner, so every later start can show it again (the database keeps only its hash).
func demoKey(ctx context.Context, st store.Store, dataDir string) (string, error) {
	path := filepath.Join(dataDir, "demo-key.txt")
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	acc, err := st.CreateAccount(ctx, "demo")
	if errors.Is(err, store.ErrDuplicate) {
		return "", nil // the demo account exists but its key file was removed: nothing to show
	}
	if err != nil {
		return "", fmt.Errorf("demo account: %w", err)
	}
	secret, _, err := st.CreateKey(ctx, acc.ID, store.KeyTest)
	if err != nil {
		return "", fmt.Errorf("demo key: %w", err)
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("demo key: %w", err)
	}
	return secret, nil
}
