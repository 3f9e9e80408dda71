package queue_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/store"
)

// syncBuffer is a log destination tests read while the code under test writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// startCluster starts n clustered NATS servers with JetStream in this process, on loopback, and
// returns their client URLs joined by commas.
func startCluster(t *testing.T, n int) string {
	t.Helper()
	ports := freePorts(t, 2*n)
	var routes []string
	for i := range n {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", ports[n+i]))
	}
	var urls []string
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1), JetStream: true, StoreDir: t.TempDir(),
			Host: "127.0.0.1", Port: ports[i], NoLog: true, NoSigs: true,
			Cluster: server.ClusterOpts{Name: "qp", Host: "127.0.0.1", Port: ports[n+i]},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		}
		srv, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		go srv.Start()
		t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
		if !srv.ReadyForConnections(time.Minute) {
			t.Fatalf("cluster node %d did not start", i+1)
		}
		urls = append(urls, srv.ClientURL())
	}
	return strings.Join(urls, ",")
}

// TestReplicasSetByDeployment (issue 13 finding 6): only the deployment sets replicas, for the
// streams and the buckets alike; a worker binding (without --replicas) lowers nothing; serve
// restarted without --replicas keeps them; more replicas than servers is a clear error.
func TestReplicasSetByDeployment(t *testing.T) {
	e, err := queue.StartEmbedded(t.TempDir(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown()
	if _, err := e.Queue(context.Background(), queue.Options{Replicas: 3}); !errors.Is(err, queue.ErrReplicas) ||
		!strings.Contains(err.Error(), "--replicas 3 needs at least 3 NATS servers") {
		t.Errorf("R3 on a single server: %v, want a clear ErrReplicas", err)
	}

	if testing.Short() {
		t.Skip("the 3-node cluster part is not short")
	}
	url := startCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	serve, err := queue.Connect(ctx, queue.Dial{URL: url}, queue.Options{Manage: true, Replicas: 3})
	if err != nil {
		t.Fatalf("serve --replicas 3 on 3 nodes: %v", err)
	}
	defer serve.Close()
	want := map[string]int{"quillpost_CARDS": 3, "quillpost_EVENTS": 3, "KV_quillpost_workers": 3, "KV_quillpost_robots": 3}
	check := func(when string) {
		t.Helper()
		got, err := serve.StreamReplicas(ctx)
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s has %d replicas, want %d", when, k, got[k], v)
			}
		}
	}
	check("after serve")
	worker, err := queue.Connect(ctx, queue.Dial{URL: url}, queue.Options{AckWait: 5 * time.Second})
	if err != nil {
		t.Fatalf("worker: %v", err)
	}
	if _, err := worker.Consumer(ctx, "a6-white"); err != nil {
		t.Fatalf("worker consumer: %v", err)
	}
	worker.Close()
	check("after a worker without --replicas")
	again, err := queue.Connect(ctx, queue.Dial{URL: url}, queue.Options{Manage: true})
	if err != nil {
		t.Fatalf("serve restarted: %v", err)
	}
	again.Close()
	check("after serve restarted without --replicas")
	if _, err := queue.Connect(ctx, queue.Dial{URL: url}, queue.Options{Manage: true, Replicas: 5}); !errors.Is(err, queue.ErrReplicas) {
		t.Errorf("R5 on 3 nodes: %v, want ErrReplicas", err)
	}
	check("after a refused R5")
}

// TestWorkerNeverChangesSettings: a worker binds to the deployment's consumer and streams, even
// with other options, and leaves their settings alone.
func TestWorkerNeverChangesSettings(t *testing.T) {
	ctx := context.Background()
	e, err := queue.StartEmbedded(t.TempDir(), "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown()
	serve, err := e.Queue(ctx, queue.Options{AckWait: 7 * time.Second, MaxDeliver: 3, EventsMaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer serve.Close()
	if _, err := serve.Consumer(ctx, "a6-white"); err != nil {
		t.Fatal(err)
	}
	w, err := queue.Connect(ctx, queue.Dial{URL: e.ClientURL(), Creds: e.ServeCreds()}, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Consumer(ctx, "a6-white"); err != nil {
		t.Fatal(err)
	}
	c, err := serve.JetStream().Consumer(ctx, "quillpost_CARDS", "worker-a6-white")
	if err != nil {
		t.Fatal(err)
	}
	if cfg := c.CachedInfo().Config; cfg.AckWait != 7*time.Second || cfg.MaxDeliver != 3 {
		t.Errorf("consumer after a worker bound: ack wait %s, max deliver %d; want 7s, 3", cfg.AckWait, cfg.MaxDeliver)
	}
	s, err := serve.JetStream().Stream(ctx, "quillpost_EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	if s.CachedInfo().Config.MaxAge != time.Hour {
		t.Errorf("events max age %s after a worker bound, want 1h", s.CachedInfo().Config.MaxAge)
	}
}

// TestNamespacesShareOneServer (issue 13 finding 7): two installations on one NATS server, each
// with its own database, relay and workers: each works only its own cards, and none is lost or
// acknowledged by the other as stale.
func TestNamespacesShareOneServer(t *testing.T) {
	ctx := context.Background()
	e, err := queue.StartEmbedded(t.TempDir(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown()
	type install struct {
		q     *queue.Queue
		s     store.Store
		cards []string
		got   []string
	}
	var ins []*install
	for _, ns := range []string{"shop-a", "shop-b"} {
		q, err := e.Queue(ctx, queue.Options{Namespace: ns})
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		in := &install{q: q, s: openStore(t)}
		for _, c := range newCards(t, in.s, 5, false) {
			in.cards = append(in.cards, c.ID)
		}
		flush(t, q.NewRelay(in.s))
		ins = append(ins, in)
	}
	// Each installation's worker works its lane dry, claiming through its own database: a job of
	// the other installation would be "no such card", dropped as stale and lost.
	for _, in := range ins {
		c := consumer(t, in.q, "a6-white")
		for {
			d := nextOrNil(t, c, time.Second)
			if d == nil {
				break
			}
			if _, err := store.Claim(ctx, in.s, d.Job, d.Redelivered(), store.JobOptions{Worker: "w"}); err != nil {
				t.Errorf("%s: claim %s: %v", in.q.Names().Namespace, d.Job.CardID, err)
			}
			if err := d.Ack(ctx); err != nil {
				t.Fatal(err)
			}
			in.got = append(in.got, d.Job.CardID)
		}
	}
	for _, in := range ins {
		slices.Sort(in.cards)
		slices.Sort(in.got)
		if !slices.Equal(in.cards, in.got) {
			t.Errorf("%s worked %v, want its own %v", in.q.Names().Namespace, in.got, in.cards)
		}
	}
}

func nextOrNil(t *testing.T, c *queue.Consumer, d time.Duration) *queue.Delivery {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	dl, err := c.Next(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return dl
}

// TestRobotIdentity (issue 13 finding 7): a robot name is held by one process per namespace; a
// second is refused with a clear error while the first lives, and gets in once it stopped.
func TestRobotIdentity(t *testing.T) {
	ctx := context.Background()
	e, err := queue.StartEmbedded(t.TempDir(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown()
	open := func(ns string) *queue.Queue {
		q, err := e.Queue(ctx, queue.Options{Namespace: ns, RobotLease: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(q.Close)
		return q
	}
	a, b, other := open("qp"), open("qp"), open("other")
	first, err := a.ClaimRobot(ctx, "sim-1")
	if err != nil {
		t.Fatal(err)
	}
	// Renewals keep the claim beyond its lease.
	time.Sleep(3 * time.Second)
	_, err = b.ClaimRobot(ctx, "sim-1")
	if !errors.Is(err, queue.ErrRobotTaken) || !strings.Contains(err.Error(), "robot sim-1 is already running in namespace qp (process ") {
		t.Fatalf("second sim-1: %v, want ErrRobotTaken naming the holder", err)
	}
	o, err := other.ClaimRobot(ctx, "sim-1")
	if err != nil {
		t.Fatalf("sim-1 of another installation: %v", err)
	}
	o.Release()
	first.Release()
	second, err := b.ClaimRobot(ctx, "sim-1")
	if err != nil {
		t.Fatalf("after the first stopped: %v", err)
	}
	defer second.Release()
	select {
	case <-second.Lost():
		t.Error("claim lost")
	default:
	}
}

// TestRobotIdentityExpires: a robot that died without releasing its name (kill -9) frees it
// when its lease runs out, and the dead holder, if it comes back, learns it lost the name.
func TestRobotIdentityExpires(t *testing.T) {
	ctx := context.Background()
	e, err := queue.StartEmbedded(t.TempDir(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown()
	o := queue.Options{RobotLease: 2 * time.Second}
	a, err := e.Queue(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Queue(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	dead, err := a.ClaimRobot(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	a.Close() // the holder's connection is gone: it can no longer renew
	var c *queue.RobotClaim
	waitFor(t, "the dead holder's lease to expire", time.Minute, func() bool {
		c, err = b.ClaimRobot(ctx, "r1")
		return err == nil
	})
	defer c.Release()
	dead.Release()
}

// TestConnectWaits (issue 13 findings 10 and 11): a worker started before NATS, and before serve
// set up its streams, waits and says what for; a lost connection is logged, and so is its return.
func TestConnectWaits(t *testing.T) {
	dir := t.TempDir()
	port := freePorts(t, 1)[0]
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))

	// The embedded server made its identity once; it is started and stopped to get the file.
	e, err := queue.StartEmbedded(dir, listen, nil)
	if err != nil {
		t.Fatal(err)
	}
	creds := e.ServeCreds()
	e.Shutdown()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	type result struct {
		q   *queue.Queue
		err error
	}
	done := make(chan result, 1)
	go func() {
		q, err := queue.Connect(ctx, queue.Dial{URL: "nats://" + listen, Creds: creds}, queue.Options{Logger: log})
		if err == nil {
			_, err = q.Consumer(ctx, "a6-white")
		}
		done <- result{q, err}
	}()
	waitFor(t, "the worker to say it waits for NATS", time.Minute, func() bool {
		return strings.Contains(logs.String(), "waiting for NATS") && strings.Contains(logs.String(), "connecting to NATS at nats://"+listen)
	})
	// NATS is up, but serve has not set up the namespace yet.
	e, err = queue.StartEmbedded(dir, listen, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { e.Shutdown() }()
	waitFor(t, "the worker to say it waits for serve's streams", time.Minute, func() bool {
		return strings.Contains(logs.String(), "binding to the streams and buckets of namespace quillpost")
	})
	serve, err := e.Queue(ctx, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer serve.Close()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		t.Fatal("the worker never connected")
	}
	if r.err != nil {
		t.Fatalf("worker: %v", r.err)
	}
	defer r.q.Close()

	// Restart NATS under the connected worker.
	serve.Close()
	e.Shutdown()
	waitFor(t, "a logged disconnect", time.Minute, func() bool { return strings.Contains(logs.String(), "NATS disconnected") })
	e, err = queue.StartEmbedded(dir, listen, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a logged reconnect", time.Minute, func() bool { return strings.Contains(logs.String(), "NATS reconnected") })
	if err := r.q.PutHeartbeat(ctx, queue.Heartbeat{Worker: "w1", Lane: "a6-white", State: queue.StateIdle}); err != nil {
		t.Errorf("heartbeat after the reconnect: %v", err)
	}
}

// TestUpgradeMovesLegacyJobs: jobs queued by a version without namespaces (stream CARDS,
// subjects cards.<lane>) are moved into the namespaced stream on the first start, not stranded.
func TestUpgradeMovesLegacyJobs(t *testing.T) {
	ctx := context.Background()
	e, err := queue.StartEmbedded(t.TempDir(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown()
	nc, err := e.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "CARDS", Subjects: []string{"cards.*"},
		Retention: jetstream.WorkQueuePolicy}); err != nil {
		t.Fatal(err)
	}
	s := openStore(t)
	cards := newCards(t, s, 3, false)
	for _, c := range cards {
		if _, err := js.Publish(ctx, "cards.a6-white", []byte(fmt.Sprintf(`{"card_id":%q,"attempt":1}`, c.ID))); err != nil {
			t.Fatal(err)
		}
	}
	q, err := e.Queue(ctx, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if _, err := js.Stream(ctx, "CARDS"); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("old stream after the upgrade: %v", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go q.ServeCards(sctx, s)
	remote := q.RemoteCards("r1", 10*time.Second)
	c := consumer(t, q, "a6-white")
	for _, want := range cards {
		d := next(t, c, 10*time.Second)
		if d.Job.CardID != want.ID {
			t.Errorf("moved job %s, want %s", d.Job.CardID, want.ID)
		}
		// A moved job is signed, so a robot without the database can still work it.
		var err error
		waitFor(t, "the card service", time.Minute, func() bool {
			_, err = remote.GetCard(ctx, store.AnyAccount, d.Job.CardID)
			return !errors.Is(err, nats.ErrNoResponders)
		})
		if err != nil {
			t.Errorf("robot reads the card of a moved job: %v", err)
		}
		d.Ack(ctx)
	}
}

// TestExternalFleet runs the worker's side (binding, creating a lane's consumer, claiming its
// name) against the NATS 2.9 server of the machine, when there is one.
func TestExternalFleet(t *testing.T) {
	if !externalReachable() {
		t.Skip("no NATS at " + externalURL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := "qf" + store.NewID("x")[len("x_")+10:]
	serve, err := queue.Connect(ctx, queue.Dial{URL: externalURL}, queue.Options{Namespace: ns, Manage: true, RobotLease: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer serve.Close()
	defer serve.Teardown(context.Background())
	w, err := queue.Connect(ctx, queue.Dial{URL: externalURL}, queue.Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	s := openStore(t)
	card := newCards(t, s, 1, false)[0]
	flush(t, serve.NewRelay(s))
	if d := next(t, consumer(t, w, "a6-white"), 30*time.Second); d.Job.CardID != card.ID {
		t.Errorf("worker got %s, want %s", d.Job.CardID, card.ID)
	}
	c, err := w.ClaimRobot(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second) // beyond the lease: renewals keep it
	if _, err := serve.ClaimRobot(ctx, "r1"); !errors.Is(err, queue.ErrRobotTaken) {
		t.Errorf("second r1: %v, want ErrRobotTaken", err)
	}
	c.Release()
	c2, err := serve.ClaimRobot(ctx, "r1")
	if err != nil {
		t.Fatalf("r1 after release: %v", err)
	}
	c2.Release()
}
