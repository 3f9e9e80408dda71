// Package queue carries quillpost's messages over NATS JetStream: the CARDS work queue (one subject
// and one durable pull consumer per card stock lane), the EVENTS stream of card status changes, the
// outbox relay that publishes what the store committed, the heartbeat and robot-identity buckets,
// and the card service for robots without the database. It also starts an embedded NATS server
// that admits only known NKeys.
//
// Only JetStream features of NATS 2.9 are used (streams, pull consumers, KV, advisories), so an
// external 2.9 server or cluster works as well as the embedded one.
//
// Jobs carry ids only ({"card_id", "attempt"}); the store is the truth. The store numbers every
// entry of a card into "queued" as a new attempt and puts that job on its outbox; the Relay
// publishes it with Nats-Msg-Id "<card id>/<attempt>" and a job token (JobTokenHeader). A worker
// (see Example_worker) claims the card with store.Claim, keeps the delivery alive while writing,
// records written or spoiled, and acknowledges. A spoiled card's next attempt is a new job, so a
// job message is delivered more than once only when its worker died or Nak-ed it; after
// MaxDeliver deliveries JetStream gives up and WatchDeadJobs (or the worker, on
// Delivery.LastDelivery) fails the card.
//
// Every name starts with the namespace <ns> (default "quillpost"). Who may do what (serve has
// every right; a robot R of lanes L has RobotPermissions):
//
//	<ns>_CARDS, <ns>.cards.<lane>         serve publishes jobs (relay); robots of lane pull and ack
//	  consumer worker-<lane>              serve creates/updates; a robot of the lane only creates it if absent
//	<ns>_EVENTS, <ns>.events.>            serve only
//	KV <ns>_workers (heartbeats)          robot R writes key R; serve reads all
//	KV <ns>_robots (identity leases)      robot R creates/renews/reads/deletes key R; serve all
//	KV <ns>_config (job-signing key)      serve only
//	<ns>.rpc.cards.<R>.get|transition     robot R asks; serve answers only with a job's token
//	<ns>.control.<R>                      serve asks (operator commands); robot R answers
//	_QP_INBOX.<ns>.<R>.>                  robot R's replies
//	$JS.EVENT.ADVISORY...MAX_DELIVERIES   serve only (dead jobs)
package queue

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DefaultNamespace prefixes every name when Options.Namespace is empty.
const DefaultNamespace = "quillpost"

// Options configure a Queue. The zero value binds a worker to a deployment's streams.
type Options struct {
	// Namespace prefixes every stream, bucket and subject ("quillpost_CARDS",
	// "quillpost.cards.<lane>"), so several installations share one NATS cluster without touching
	// each other's jobs. Letters, digits, '-' and '_' only; default "quillpost".
	Namespace string
	// Manage makes this process the deployment (quillpost serve): it creates and updates the
	// streams and buckets. Without it (workers) the queue only binds to what the deployment set
	// up, waiting for it if needed, and never changes a stream's settings.
	Manage bool
	// Replicas for the streams and buckets (with Manage): 0 keeps what the deployment has (1 for
	// a new stream); more than the cluster has servers is an error.
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
	// RobotLease is how long a robot's identity stays claimed after its process stopped renewing
	// it (see ClaimRobot). Default 15 s. The deployment sets it; a worker takes the deployment's.
	RobotLease time.Duration
	// Logger receives the queue's logs; nil means slog.Default().
	Logger *slog.Logger
}

// ValidateNamespace checks a namespace: it becomes part of stream, bucket and subject names.
func ValidateNamespace(ns string) error {
	if len(ns) > 32 {
		return fmt.Errorf("queue namespace %q is longer than 32 characters", ns)
	}
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("queue namespace %q may use only letters, digits, '-' and '_'", ns)
		}
	}
	return nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if err := ValidateNamespace(o.Namespace); err != nil {
		return o, err
	}
	if o.Replicas < 0 {
		return o, fmt.Errorf("replicas must be 1 or more, got %d", o.Replicas)
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
	if o.RobotLease <= 0 {
		o.RobotLease = 15 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}

// Names are the JetStream names a Queue uses, all after its Namespace.
type Names struct {
	Namespace     string
	CardsStream   string // "<ns>_CARDS": work-queue retention
	CardsSubject  string // "<ns>.cards": jobs go to "<ns>.cards.<lane>"
	EventsStream  string // "<ns>_EVENTS": limits retention
	EventsSubject string // "<ns>.events": events go to "<ns>.events.<account>.<card>.<status>"
	WorkersBucket string // "<ns>_workers": heartbeats, key = worker name
	RobotsBucket  string // "<ns>_robots": robot identities held by running workers (ClaimRobot)
	ConfigBucket  string // "<ns>_config": the deployment's job-signing key; workers may not read it
}

// NamesFor returns the names of a namespace ("" is DefaultNamespace).
func NamesFor(ns string) Names {
	if ns == "" {
		ns = DefaultNamespace
	}
	return Names{ns, ns + "_CARDS", ns + ".cards", ns + "_EVENTS", ns + ".events", ns + "_workers", ns + "_robots", ns + "_config"}
}

// JobSubject is the subject of a lane's jobs.
func (n Names) JobSubject(lane string) string { return n.CardsSubject + "." + lane }

// RetrySubject is the subject of a lane's requeued jobs (every attempt after the first: a spoiled
// card, a lapsed lease, an operator's retry). Workers take them before the lane's other jobs, so a
// card that was already under a pen goes to the head of its lane, not to the back. NATS 2.9 has one
// filter subject per consumer, so each lane has a second consumer for them.
func (n Names) RetrySubject(lane string) string { return n.CardsSubject + "." + lane + ".retry" }

// RPCSubject is the subject a robot sends a card request to: the robot's name is part of it, and
// its credentials allow it no other, so the card service knows who asks.
func (n Names) RPCSubject(robot, method string) string {
	return n.Namespace + ".rpc.cards." + robot + "." + method
}

// ControlSubject is the subject a robot takes operator commands on.
func (n Names) ControlSubject(robot string) string { return n.Namespace + ".control." + robot }

// InboxPrefix is the reply-subject prefix of a robot's connection, so its credentials can allow
// it to read replies meant for it and nothing else.
func (n Names) InboxPrefix(robot string) string { return "_QP_INBOX." + n.Namespace + "." + robot }

// ConsumerName is the durable pull consumer of a lane (inside the namespace's CARDS stream).
func ConsumerName(lane string) string { return "worker-" + lane }

// RetryConsumerName is the durable pull consumer of a lane's requeued jobs.
func RetryConsumerName(lane string) string { return "retry-" + lane }

// Queue is a connection to JetStream with quillpost's streams and buckets in place.
type Queue struct {
	nc       *nats.Conn
	js       jetstream.JetStream
	o        Options
	names    Names
	ownsConn bool
	kv       jetstream.KeyValue
	robots   jetstream.KeyValue
	jobKey   []byte // signs jobs (Manage only)
	tokens   tokenBook
	log      *slog.Logger
}

// Connect dials a NATS server (see Dial), waiting with backoff until it answers or ctx ends, and
// sets up or binds the streams and buckets. Close closes the connection.
func Connect(ctx context.Context, d Dial, o Options) (*Queue, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	nc, err := d.connect(ctx, o.Logger)
	if err != nil {
		return nil, err
	}
	q, err := New(ctx, nc, o)
	if err != nil {
		nc.Close()
		return nil, err
	}
	q.ownsConn = true
	return q, nil
}

// New sets up (Options.Manage) or binds the streams and buckets on an existing connection (which
// stays the caller's to close). Transient trouble (NATS or JetStream not ready, a deployment
// that has not set up its streams yet) is retried with backoff until ctx ends.
func New(ctx context.Context, nc *nats.Conn, o Options) (*Queue, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	q := &Queue{nc: nc, js: js, o: o, names: NamesFor(o.Namespace), log: o.Logger}
	what := "binding to the streams and buckets of namespace " + o.Namespace
	if o.Manage {
		what = "setting up the streams and buckets of namespace " + o.Namespace
	}
	if err := retry(ctx, q.log, what, q.setup); err != nil {
		return nil, err
	}
	return q, nil
}

func (q *Queue) setup(ctx context.Context) error {
	if !q.o.Manage {
		return q.bind(ctx)
	}
	cards, err := q.ensureStream(ctx, jetstream.StreamConfig{
		Name:        q.names.CardsStream,
		Description: "quillpost card jobs: one subject per card stock lane, removed when acknowledged",
		Subjects:    []string{q.names.CardsSubject + ".*", q.names.CardsSubject + ".*.retry"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Duplicates:  q.o.DuplicateWindow,
		Discard:     jetstream.DiscardOld,
	})
	if err != nil {
		return err
	}
	if _, err := q.ensureStream(ctx, jetstream.StreamConfig{
		Name:        q.names.EventsStream,
		Description: "quillpost card status changes",
		Subjects:    []string{q.names.EventsSubject + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Duplicates:  q.o.DuplicateWindow,
		MaxAge:      q.o.EventsMaxAge,
	}); err != nil {
		return err
	}
	// Buckets get the replicas the CARDS stream has, so they survive the same node losses.
	r := cards.Config.Replicas
	if q.kv, err = q.ensureBucket(ctx, jetstream.KeyValueConfig{Bucket: q.names.WorkersBucket,
		Description: "quillpost plotter worker heartbeats", History: 1, Storage: jetstream.FileStorage, Replicas: r}); err != nil {
		return err
	}
	if q.robots, err = q.ensureBucket(ctx, jetstream.KeyValueConfig{Bucket: q.names.RobotsBucket,
		Description: "quillpost robot identities held by running workers", History: 1,
		Storage: jetstream.FileStorage, Replicas: r, TTL: q.o.RobotLease}); err != nil {
		return err
	}
	cfg, err := q.ensureBucket(ctx, jetstream.KeyValueConfig{Bucket: q.names.ConfigBucket,
		Description: "quillpost deployment settings", History: 1, Storage: jetstream.FileStorage, Replicas: r})
	if err != nil {
		return err
	}
	if q.jobKey, err = loadJobKey(ctx, cfg); err != nil {
		return err
	}
	return q.moveLegacyJobs(ctx)
}

// loadJobKey reads the deployment's job-signing key, creating it on the first start. Every serve
// process of a namespace shares it, so any of them can check a robot's job token.
func loadJobKey(ctx context.Context, kv jetstream.KeyValue) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if _, err := kv.Create(ctx, "job-token-key", key); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return nil, fmt.Errorf("job signing key: %w", err)
	}
	e, err := kv.Get(ctx, "job-token-key")
	if err != nil {
		return nil, fmt.Errorf("job signing key: %w", err)
	}
	if len(e.Value()) < 32 {
		return nil, errors.New("job signing key in the config bucket is too short")
	}
	return e.Value(), nil
}

// bind finds the buckets a worker uses; a missing one means the deployment has not started yet.
func (q *Queue) bind(ctx context.Context) error {
	var err error
	if q.kv, err = q.js.KeyValue(ctx, q.names.WorkersBucket); err != nil {
		return fmt.Errorf("bucket %s: %w", q.names.WorkersBucket, err)
	}
	if q.robots, err = q.js.KeyValue(ctx, q.names.RobotsBucket); err != nil {
		return fmt.Errorf("bucket %s: %w", q.names.RobotsBucket, err)
	}
	// The deployment chose the robots' lease; renewing on another schedule would let it lapse.
	st, err := q.robots.Status(ctx)
	if err != nil {
		return fmt.Errorf("bucket %s: %w", q.names.RobotsBucket, err)
	}
	if st.TTL() > 0 {
		q.o.RobotLease = st.TTL()
	}
	return nil
}

// replicasFor is the replica count a stream gets: the one asked for, else the one it has.
func (q *Queue) replicasFor(ctx context.Context, stream string) (int, error) {
	if q.o.Replicas > 0 {
		return q.o.Replicas, nil
	}
	s, err := q.js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return 1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", stream, err)
	}
	return s.CachedInfo().Config.Replicas, nil
}

// JetStream API error codes for "insufficient resources" and "no suitable peers for placement"
// (a cluster with fewer servers than replicas) and "replicas > 1 not supported in non-clustered
// mode".
const (
	errCodeInsufficientResources jetstream.ErrorCode = 10023
	errCodeNoSuitablePeers       jetstream.ErrorCode = 10005
	errCodeReplicasNotSupported  jetstream.ErrorCode = 10074
)

func tooManyReplicas(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode {
	case errCodeInsufficientResources, errCodeNoSuitablePeers, errCodeReplicasNotSupported:
		return true
	}
	return false
}

// ErrReplicas is returned when more replicas were asked for than the NATS servers can hold.
var ErrReplicas = errors.New("more replicas than NATS servers")

func (q *Queue) replicasError(name string, want int) error {
	servers := "this NATS server runs alone (no cluster)"
	if c := q.nc.ConnectedClusterName(); c != "" {
		servers = fmt.Sprintf("cluster %s has fewer servers with JetStream", c)
	}
	return fmt.Errorf("%s: %w: --replicas %d needs at least %d NATS servers with JetStream, but %s", name, ErrReplicas, want, want, servers)
}

func (q *Queue) ensureStream(ctx context.Context, cfg jetstream.StreamConfig) (*jetstream.StreamInfo, error) {
	r, err := q.replicasFor(ctx, cfg.Name)
	if err != nil {
		return nil, err
	}
	cfg.Replicas = r
	s, err := q.js.CreateOrUpdateStream(ctx, cfg)
	if tooManyReplicas(err) {
		return nil, q.replicasError("stream "+cfg.Name, r)
	}
	if err != nil {
		return nil, fmt.Errorf("set up stream %s: %w", cfg.Name, err)
	}
	info := s.CachedInfo()
	// A single server quietly lowers the replicas to 1 instead of refusing.
	if info.Config.Replicas != r {
		return nil, q.replicasError("stream "+cfg.Name, r)
	}
	return info, nil
}

func (q *Queue) ensureBucket(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := q.js.CreateOrUpdateKeyValue(ctx, cfg)
	if tooManyReplicas(err) {
		return nil, q.replicasError("bucket "+cfg.Bucket, cfg.Replicas)
	}
	if err != nil {
		return nil, fmt.Errorf("set up bucket %s: %w", cfg.Bucket, err)
	}
	s, err := q.js.Stream(ctx, "KV_"+cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("set up bucket %s: %w", cfg.Bucket, err)
	}
	if s.CachedInfo().Config.Replicas != cfg.Replicas {
		return nil, q.replicasError("bucket "+cfg.Bucket, cfg.Replicas)
	}
	return kv, nil
}

// StreamReplicas reports the replicas the CARDS stream, the EVENTS stream and the buckets have.
func (q *Queue) StreamReplicas(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for _, name := range []string{q.names.CardsStream, q.names.EventsStream, "KV_" + q.names.WorkersBucket,
		"KV_" + q.names.RobotsBucket} {
		s, err := q.js.Stream(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("stream %s: %w", name, err)
		}
		out[name] = s.CachedInfo().Config.Replicas
	}
	return out, nil
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

// Teardown deletes the streams and the buckets with everything in them. For tests and for
// removing a namespace; never called by the system itself.
func (q *Queue) Teardown(ctx context.Context) error {
	var errs []error
	for _, name := range []string{q.names.CardsStream, q.names.EventsStream} {
		if err := q.js.DeleteStream(ctx, name); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			errs = append(errs, err)
		}
	}
	for _, b := range []string{q.names.WorkersBucket, q.names.RobotsBucket, q.names.ConfigBucket} {
		if err := q.js.DeleteKeyValue(ctx, b); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
