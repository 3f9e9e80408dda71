package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Dial says how to reach NATS: the embedded server of 'quillpost serve --nats-listen' or an
// external cluster.
type Dial struct {
	URL string // a URL, or a comma-separated list for a cluster
	// Creds is a credentials file: an NKey seed file written by 'quillpost keys worker' (for the
	// embedded server) or a NATS .creds file (JWT and seed) issued for an external cluster.
	Creds string
	// TLSCA is a PEM file of the CAs to trust; TLSCert and TLSKey a client certificate, for
	// clusters that ask for one.
	TLSCA, TLSCert, TLSKey string
	// Name is shown in the server's connection list.
	Name string
	// InboxPrefix replaces "_INBOX" for replies to this connection (see Names.InboxPrefix): a
	// robot's credentials allow it to read its own inbox only.
	InboxPrefix string
}

// Options turns the dial settings into NATS client options.
func (d Dial) options(log *slog.Logger) ([]nats.Option, error) {
	name := d.Name
	if name == "" {
		name = "quillpost"
	}
	opts := append([]nats.Option{nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second)}, eventLogging(log)...)
	if d.InboxPrefix != "" {
		opts = append(opts, nats.CustomInboxPrefix(d.InboxPrefix))
	}
	if d.Creds != "" {
		b, err := os.ReadFile(d.Creds)
		if err != nil {
			return nil, fmt.Errorf("NATS credentials: %w", err)
		}
		if bytes.Contains(b, []byte("BEGIN NATS USER JWT")) {
			opts = append(opts, nats.UserCredentials(d.Creds))
		} else {
			o, err := nats.NkeyOptionFromSeed(d.Creds)
			if err != nil {
				return nil, fmt.Errorf("NATS credentials %s: neither a .creds file nor an NKey seed: %w", d.Creds, err)
			}
			opts = append(opts, o)
		}
	}
	if d.TLSCA != "" {
		opts = append(opts, nats.RootCAs(d.TLSCA))
	}
	if d.TLSCert != "" || d.TLSKey != "" {
		if d.TLSCert == "" || d.TLSKey == "" {
			return nil, errors.New("a NATS client certificate needs both --nats-tls-cert and --nats-tls-key")
		}
		opts = append(opts, nats.ClientCert(d.TLSCert, d.TLSKey))
	}
	return opts, nil
}

// eventLogging makes a connection say when it loses NATS, gets it back, or is refused something.
func eventLogging(log *slog.Logger) []nats.Option {
	return []nats.Option{
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if err == nil || nc.IsClosed() {
				return // closed on purpose
			}
			log.Warn("NATS disconnected; reconnecting", "url", nc.ConnectedUrlRedacted(), "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("NATS reconnected", "url", nc.ConnectedUrlRedacted(), "server", nc.ConnectedServerName())
		}),
		nats.ErrorHandler(func(nc *nats.Conn, sub *nats.Subscription, err error) {
			attrs := []any{"err", err}
			if sub != nil {
				attrs = append(attrs, "subject", sub.Subject)
			}
			log.Error("NATS error", attrs...)
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			if err := nc.LastError(); err != nil {
				log.Warn("NATS connection closed", "err", err)
			}
		}),
	}
}

// connect dials until the server answers, ctx ends, or the server refuses the credentials (which
// no waiting will fix).
func (d Dial) connect(ctx context.Context, log *slog.Logger) (*nats.Conn, error) {
	opts, err := d.options(log)
	if err != nil {
		return nil, err
	}
	var nc *nats.Conn
	err = retry(ctx, log, "connecting to NATS at "+d.URL, func(context.Context) error {
		var err error
		nc, err = nats.Connect(d.URL, opts...)
		if errors.Is(err, nats.ErrAuthorization) {
			hint := "the server wants credentials: --nats-creds FILE, for a robot from 'quillpost keys worker'"
			if d.Creds != "" {
				hint = "the server does not accept " + d.Creds + " (replaced by a newer 'quillpost keys worker'?)"
			}
			return fmt.Errorf("connect to NATS at %s: %w; %s", d.URL, err, hint)
		}
		if err != nil {
			return fmt.Errorf("connect to NATS at %s: %w", d.URL, err)
		}
		return nil
	})
	return nc, err
}

// permanent marks an error that retrying cannot fix.
func permanent(err error) bool {
	var apiErr *jetstream.APIError
	switch {
	case errors.Is(err, ErrReplicas), errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired),
		errors.Is(err, nats.ErrAuthRevoked), errors.Is(err, nats.ErrPermissionViolation), errors.Is(err, ErrRobotTaken),
		errors.Is(err, os.ErrNotExist):
		return true
	case errors.As(err, &apiErr):
		// 503 is JetStream not ready (no leader yet, a stream being moved); 404 a stream or
		// bucket the deployment has not made yet. Anything else is a mistake in what we asked.
		return apiErr.Code != 503 && apiErr.Code != 404
	}
	return false
}

// retry runs f until it succeeds, fails permanently or ctx ends, waiting 0.5 s, 1 s, 2 s … 15 s
// between tries and logging what it waits for.
func retry(ctx context.Context, log *slog.Logger, what string, f func(context.Context) error) error {
	wait := 500 * time.Millisecond
	for try := 1; ; try++ {
		// One try may not hang for ever on a server that accepts and never answers.
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := f(tctx)
		cancel()
		if err == nil {
			if try > 1 {
				log.Info("NATS ready", "after", what, "tries", try)
			}
			return nil
		}
		if permanent(err) || ctx.Err() != nil {
			return err
		}
		log.Warn("waiting for NATS", "while", what, "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: gave up: %w", what, err)
		case <-time.After(wait):
		}
		wait = min(wait*2, 15*time.Second)
	}
}
