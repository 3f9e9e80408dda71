package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/profile"
	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/serialstream"
	"github.com/quillpost/quillpost/internal/store"
)

// The flags that several commands share are declared here once, so that the same flag has the
// same name, default and meaning in serve, worker, keys, plot and the rest.

// storeFlags are --data and --db: the SQLite data directory or a PostgreSQL URL.
type storeFlags struct{ data, db *string }

func (f *cmdFlags) storeFlags(dataDefault, dataUsage, dbUsage string) storeFlags {
	return storeFlags{
		data: f.String("data", dataDefault, dataUsage),
		db:   f.String("db", "", dbUsage),
	}
}

// open opens the database: PostgreSQL with --db, otherwise SQLite in --data.
func (s storeFlags) open(ctx context.Context) (store.Store, error) {
	return app.OpenStore(ctx, *s.data, *s.db)
}

// keysStoreFlags are the database flags of the keys commands, which change the database serve uses.
func (f *cmdFlags) keysStoreFlags() storeFlags {
	return f.storeFlags("quillpost-data", "data directory of 'quillpost serve' (holding quillpost.db)",
		"PostgreSQL URL (postgres://…) of 'quillpost serve --db', instead of SQLite in --data")
}

// natsFlags are the NATS connection flags of serve and worker.
type natsFlags struct {
	url, creds, ca, cert, key, namespace *string
}

func (f *cmdFlags) natsFlags(defaultURL, urlUsage string) natsFlags {
	return natsFlags{
		url:       f.String("nats", defaultURL, urlUsage),
		creds:     f.String("nats-creds", "", "NATS credentials file: from 'quillpost keys worker' (embedded NATS) or a .creds file of an external cluster"),
		ca:        f.String("nats-tls-ca", "", "PEM file of the CAs that sign the NATS servers' certificates (external clusters with TLS)"),
		cert:      f.String("nats-tls-cert", "", "client certificate (PEM) for NATS clusters that ask for one"),
		key:       f.String("nats-tls-key", "", "key of --nats-tls-cert"),
		namespace: f.namespaceFlag(),
	}
}

func (f *cmdFlags) namespaceFlag() *string {
	return f.String("namespace", queue.DefaultNamespace, "prefix of every NATS subject, stream and bucket: installations sharing a NATS cluster need different ones")
}

func (n natsFlags) dial() queue.Dial {
	return queue.Dial{URL: *n.url, Creds: *n.creds, TLSCA: *n.ca, TLSCert: *n.cert, TLSKey: *n.key}
}

// plotterFlags are --port and --profile of the commands that talk to a robot.
type plotterFlags struct {
	fs            *cmdFlags
	port, profile *string
}

func (f *cmdFlags) plotterFlags() plotterFlags {
	return plotterFlags{
		fs:      f,
		port:    f.String("port", "", "serial port of the robot, such as /dev/ttyUSB0 (see 'quillpost ports'); required"),
		profile: f.String("profile", "", "firmware profile of the robot (see 'quillpost profiles'); required"),
	}
}

// lookup checks that both flags were given and returns the profile.
func (p plotterFlags) lookup() (*profile.Profile, error) {
	if *p.port == "" || *p.profile == "" {
		return nil, p.fs.usageErr("need --port and --profile")
	}
	return p.fs.lookupProfile(*p.profile)
}

// lookupProfile finds the profile named by --profile; an unknown name is a usage error.
func (f *cmdFlags) lookupProfile(name string) (*profile.Profile, error) {
	p, err := profile.Lookup(name)
	if err != nil {
		return nil, f.badValue("profile", err)
	}
	return p, nil
}

// controllerConfig is how serialstream talks to a robot of profile p; callers adjust the rest.
func controllerConfig(p *profile.Profile, log *slog.Logger) serialstream.Config {
	return serialstream.Config{
		Dialect: p.Dialect, Protocol: p.Protocol.Kind, RXBuffer: p.Protocol.RXBuffer, QueueDepth: p.Protocol.QueueDepth,
		PenUp: p.PenUp.Commands, PenDown: p.PenDown.Commands, PenRest: p.PenRest.Commands, Baud: p.Baud,
		RapidRate: p.TravelFeed, Accel: p.Accel, Logger: log,
	}
}

// connect opens the serial port and connects to the controller on it.
func connect(ctx context.Context, port string, cfg serialstream.Config) (*serialstream.Controller, error) {
	sp, err := serialstream.Open(port, cfg.Baud)
	if err != nil {
		return nil, err
	}
	c, err := serialstream.Connect(ctx, sp, cfg)
	if err != nil {
		sp.Close()
		return nil, err
	}
	return c, nil
}

// logFlags is -v: debug messages on stderr, or only those at quiet and above.
type logFlags struct {
	verbose *bool
	quiet   slog.Level
}

func (f *cmdFlags) logFlags(usage string, quiet slog.Level) logFlags {
	return logFlags{verbose: f.Bool("v", false, usage), quiet: quiet}
}

func (l logFlags) logger(w io.Writer) *slog.Logger {
	level := l.quiet
	if *l.verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// jsonFlag is --json of the listing commands.
func (f *cmdFlags) jsonFlag(usage string) *bool { return f.Bool("json", false, usage) }

// writeJSON prints v indented, for people and scripts alike.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// sheetLayoutFlag is the label layout of the address sheets that robots print as they write.
func (f *cmdFlags) sheetLayoutFlag() *string {
	return f.String("sheet-layout", "zweckform-3475", "label layout of the address sheets (see 'quillpost sheets --layouts')")
}
