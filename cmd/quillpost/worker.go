package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/quillpost/quillpost/internal/plan"
	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/serialstream"
	"github.com/quillpost/quillpost/internal/sheets"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/worker"
)

func init() {
	register("worker", "drive one plotter robot: take card jobs for its stock and write them", runWorker)
}

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("worker", "[flags] --port PATH --profile NAME", stdout)
	pf := fs.plotterFlags()
	stock := fs.String("stock", "a6-white", "card stock loaded in the robot; it takes only jobs for this stock")
	nf := fs.natsFlags("nats://127.0.0.1:4222", "NATS server or cluster URL (serve --nats-listen, or a cluster)")
	db := fs.storeFlags("", "SQLite data directory of 'quillpost serve' on this machine (default: reach cards through serve over NATS)",
		"PostgreSQL URL (postgres://…) to reach cards directly (default: through serve over NATS)")
	sheetsDir := fs.String("sheets", "quillpost-sheets", "directory for the robot's address sheets (PDF)")
	journalDir := fs.String("journal", "quillpost-journal", "directory where the robot keeps each card's outcome until the database has it (survives outages and crashes)")
	name := fs.String("name", "", "robot name shown to operators (default: derived from the port)")
	autoFeed := fs.Bool("auto-feed", false, "the robot has a card feeder: do not wait for an operator to confirm each blank card")
	order := fs.String("order", "optimal", "stroke order: optimal, natural (human writing order) or text")
	layout := fs.sheetLayoutFlag()
	from := fs.String("from", "DE", "ISO code of the country the mail is posted in: domestic labels leave the country line out (as serve's --from)")
	attempts := fs.Int("max-attempts", 3, "physical cards a job may spoil before it fails and waits for an operator")
	logf := fs.logFlags("log debug messages", slog.LevelInfo)
	if err := fs.parse(args, 0); err != nil {
		return err
	}
	p, err := pf.lookup()
	if err != nil {
		return err
	}
	port := pf.port
	ord, err := plan.ParseOrder(*order)
	if err != nil {
		return fs.badValue("order", err)
	}
	if err := store.ValidateStock(*stock); err != nil {
		return fs.badValue("stock", err)
	}
	if *name == "" {
		*name = robotName(*port)
	}
	log := logf.logger(stderr)
	d := nf.dial()
	d.Name = "quillpost worker " + *name
	// The robot's credentials let it read replies on its own inbox only.
	d.InboxPrefix = queue.NamesFor(*nf.namespace).InboxPrefix(*name)
	// A worker only binds to what 'quillpost serve' set up: it never changes replicas or other
	// stream settings, and it waits (saying so) until serve has started.
	q, err := queue.Connect(ctx, d, queue.Options{Namespace: *nf.namespace, Logger: log})
	if err != nil {
		return err
	}
	defer q.Close()
	claim, err := q.ClaimRobot(ctx, *name)
	if err != nil {
		return err
	}
	defer claim.Release()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-claim.Lost():
			cancel()
		case <-ctx.Done():
		}
	}()
	// Cards are read and changed through 'quillpost serve' over NATS, unless this machine is
	// given the database itself. A guessed default database would be worse than none: an empty
	// one knows no card, and every job would be dropped as stale.
	var cards store.CardStore = q.RemoteCards(*name, 0)
	if *db.data != "" || *db.db != "" {
		st, err := db.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		cards = st
	}
	w, err := worker.New(worker.Config{
		Name: *name, Profile: p, Lanes: []string{store.Lane(*stock, false)}, Store: cards, Queue: q,
		OpenPort: func(context.Context) (serialstream.Port, error) { return serialstream.Open(*port, p.Baud) },
		AutoFeed: *autoFeed, MaxAttempts: *attempts, Order: ord, Logger: log,
		Sheet: &worker.SheetConfig{Dir: *sheetsDir, Layout: *layout, Options: sheets.Options{SenderCountry: strings.ToUpper(*from)}}, JournalDir: *journalDir,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "robot %s on %s (%s) takes %s cards from %s\n", *name, *port, p.Name, *stock, *nf.url)
	err = w.Run(ctx)
	select {
	case <-claim.Lost():
		return fmt.Errorf("robot %s stopped: another process took its identity", *name)
	default:
	}
	return err
}

// robotName turns a device path into a worker name: /dev/ttyUSB0 → robot-ttyUSB0.
func robotName(port string) string {
	base := filepath.Base(port)
	var b strings.Builder
	for _, r := range base {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		h, _ := os.Hostname()
		return "robot-" + h
	}
	return "robot-" + b.String()
}
