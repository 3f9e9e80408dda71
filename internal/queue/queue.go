// Package queue carries quillpost's messages over NATS JetStream: the CARDS work queue (one subject
// and one durable pull consumer per card stock lane), the EVENTS stream of card status changes, the
// outbox relay that publishes what the store committed, and the "workers" key-value bucket of
// plotter heartbeats. It also starts an embedded NATS server for the one-machine mode.
//
// Only JetStream features of NATS 2.9 are used (streams, pull consumers, KV, advisories), so an
// external 2.9 server or cluster works as well as the embedded one.
//
// Jobs carry ids only ({"card_id", "attempt"}); the store is the truth. The store numbers every
// entry of a card into "queued" as a new attempt and puts that job on its outbox; the Relay
// publishes it with Nats-Msg-Id "<card id>/<attempt>". A worker (see Example_worker) claims the
// card with store.Claim, keeps the delivery alive while writing, records written or spoiled, and
// acknowledges. A spoiled card's next attempt is a new job, so a job message is delivered more
// than once only when its worker died or Nak-ed it; after MaxDeliver deliveries JetStream gives up
// and WatchDeadJobs (or the worker, on Delivery.LastDelivery) fails the card.
package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Options configure a Queue. The zero value is the production default.
type Options struct {
	// Namespace, if set, prefixes every stream, bucket and subject ("ns_CARDS", "ns.cards.<lane>"),
	// so tests and several installations can share one NATS server without colliding. Letters,
	// digits, '-' and '_' only.
	Namespace string
	// Replicas for the streams and the bucket: 1 (default) on one server, 3 on a cluster.
	Replicas int
	// AckWait is how long a worker may hold a job without acknowledging it or signalling progress
	// before JetStream gives it to another worker. Default 60 s; Delivery.KeepAlive signals progress
	// at a third of it.
	AckWait time.Duration
	// MaxDeliver is how often a job is delivered before JetStream gives up on it (then the card is
	// failed; see WatchDeadJobs and Delivery.LastDelivery). Default 5.
	MaxDeliver int
	// DuplicateWindow is how long JetStream remembers message ids to drop duplicate publishes.
	// Default 2 minutes.
	DuplicateWindow time.Duration
	// EventsMaxAge is how long the EVENTS stream keeps events. Default 7 days.
	EventsMaxAge time.Duration
	// Logger receives the queue's logs; nil means slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	for i := 0; i < len(o.Namespace); i++ {
		c := o.Namespace[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return o, fmt.Errorf("queue namespace %q may use only letters, digits, '-' and '_'", o.Namespace)
		}
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.AckWait <= 0 {
		o.AckWait = 60 * time.Second
	}
	if o.MaxDeliver <= 0 {
		o.MaxDeliver = 5
	}
	if o.DuplicateWindow <= 0 {
		o.DuplicateWindow = 2 * time.Minute
	}
	if o.EventsMaxAge <= 0 {
		o.EventsMaxAge = 7 * 24 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}

// Names are the JetStream names a Queue uses (after its Namespace).
type Names struct {
	CardsStream   string // "CARDS": work-queue retention
	CardsSubject  string // "cards": jobs go to "cards.<lane>"
	EventsStream  string // "EVENTS": limits retention
	EventsSubject string // "events": events go to "events.<account>.<card>.<status>"
	WorkersBucket string // "workers": heartbeats, key = worker name
}

func namesFor(ns string) Names {
	if ns == "" {
		return Names{"CARDS", "cards", "EVENTS", "events", "workers"}
	}
	return Names{ns + "_CARDS", ns + ".cards", ns + "_EVENTS", ns + ".events", ns + "_workers"}
}

// JobSubject is the subject of a lane's jobs.
func (n Names) JobSubject(lane string) string { return n.CardsSubject + "." + lane }

// RetrySubject is the subject of a lane's requeued jobs (every attempt after the first: a spoiled
// card, a lapsed lease, an operator's retry). Workers take them before the lane's other jobs, so a
// card that was already under a pen goes to the head of its lane, not to the back. NATS 2.9 has one
// filter subject per consumer, so each lane has a second consumer for them.
func (n Names) RetrySubject(lane string) string { return n.CardsSubject + "." + lane + ".retry" }

// ConsumerName is the durable pull consumer of a lane.
func ConsumerName(lane string) string { return "worker-" + lane }

// RetryConsumerName is the durable pull consumer of a lane's requeued jobs.
func RetryConsumerName(lane string) string { return "retry-" + lane }

// Queue is a connection to JetStream with quillpost's streams and bucket in place.
type Queue struct {
	nc       *nats.Conn
	js       jetstream.JetStream
	o        Options
	names    Names
	ownsConn bool
	kv       jetstream.KeyValue
	log      *slog.Logger
}

// Connect dials a NATS server (a URL or a comma-separated list for a cluster) and sets up the
// streams and bucket. Close closes the connection.
func Connect(ctx context.Context, url string, o Options) (*Queue, error) {
	nc, err := nats.Connect(url, nats.Name("quillpost"), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second))
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	q, err := New(ctx, nc, o)
	if err != nil {
		nc.Close()
		return nil, err
	}
	q.ownsConn = true
	return q, nil
}

// New sets up the streams and bucket on an existing connection (which stays the caller's to close).
// Setting up is idempotent, so every process may do it at start.
func New(ctx context.Context, nc *nats.Conn, o Options) (*Queue, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	q := &Queue{nc: nc, js: js, o: o, names: namesFor(o.Namespace), log: o.Logger}
	if err := q.setup(ctx); err != nil {
		return nil, err
	}
	return q, nil
}

func (q *Queue) setup(ctx context.Context) error {
	_, err := q.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        q.names.CardsStream,
		Description: "quillpost card jobs: one subject per card stock lane, removed when acknowledged",
		Subjects:    []string{q.names.CardsSubject + ".*", q.names.CardsSubject + ".*.retry"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    q.o.Replicas,
		Duplicates:  q.o.DuplicateWindow,
		Discard:     jetstream.DiscardOld,
	})
	if err != nil {
		return fmt.Errorf("set up stream %s: %w", q.names.CardsStream, err)
	}
	_, err = q.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        q.names.EventsStream,
		Description: "quillpost card status changes",
		Subjects:    []string{q.names.EventsSubject + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    q.o.Replicas,
		Duplicates:  q.o.DuplicateWindow,
		MaxAge:      q.o.EventsMaxAge,
	})
	if err != nil {
		return fmt.Errorf("set up stream %s: %w", q.names.EventsStream, err)
	}
	kv, err := q.js.KeyValue(ctx, q.names.WorkersBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = q.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      q.names.WorkersBucket,
			Description: "quillpost plotter worker heartbeats",
			History:     1,
			Storage:     jetstream.FileStorage,
			Replicas:    q.o.Replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) { // another process was quicker
			kv, err = q.js.KeyValue(ctx, q.names.WorkersBucket)
		}
	}
	if err != nil {
		return fmt.Errorf("set up bucket %s: %w", q.names.WorkersBucket, err)
	}
	q.kv = kv
	return nil
}

// Names returns the stream, subject and bucket names in use.
func (q *Queue) Names() Names { return q.names }

// Options returns the options in effect (defaults filled in).
func (q *Queue) Options() Options { return q.o }

// Conn returns the NATS connection.
func (q *Queue) Conn() *nats.Conn { return q.nc }

// JetStream returns the JetStream context, for consumers of EVENTS that this package does not wrap.
func (q *Queue) JetStream() jetstream.JetStream { return q.js }

// Close closes the connection if Connect or Embedded.Queue opened it, after flushing what was
// written to it.
func (q *Queue) Close() {
	if q.ownsConn {
		_ = q.nc.FlushTimeout(2 * time.Second)
		q.nc.Close()
	}
}

// Teardown deletes the streams and the bucket with everything in them. For tests and for removing
// a namespace; never called by the system itself.
func (q *Queue) Teardown(ctx context.Context) error {
	var errs []error
	for _, name := range []string{q.names.CardsStream, q.names.EventsStream} {
		if err := q.js.DeleteStream(ctx, name); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			errs = append(errs, err)
		}
	}
	if err := q.js.DeleteKeyValue(ctx, q.names.WorkersBucket); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
