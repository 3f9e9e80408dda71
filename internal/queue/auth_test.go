package queue_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/store"
)

// robotConn connects with a robot's credentials file, collecting the server's async errors.
func robotConn(t *testing.T, url, creds, robot string) (*nats.Conn, chan error) {
	t.Helper()
	errs := make(chan error, 64)
	opt, err := nats.NkeyOptionFromSeed(creds)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(url, opt, nats.CustomInboxPrefix(queue.NamesFor("").InboxPrefix(robot)),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
	if err != nil {
		t.Fatalf("robot %s connects: %v", robot, err)
	}
	t.Cleanup(nc.Close)
	return nc, errs
}

// violation waits for the server to refuse what the robot just tried.
func violation(t *testing.T, errs chan error, what, subject string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case err := <-errs:
			if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), subject) {
				return
			}
		case <-deadline:
			t.Errorf("%s (%s): no permissions violation", what, subject)
			return
		}
	}
}

// TestNATSAuth (issue 14 finding 1): the embedded NATS admits no client without credentials; a
// robot's credentials let it do its work and nothing else: no other lane, no other robot's
// subjects, no events, no publishing jobs, and the card service tells it only about jobs it
// was given.
func TestNATSAuth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	e, err := queue.StartEmbedded(dir, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown()
	url := e.ClientURL()
	if fi, err := os.Stat(e.ServeCreds()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("serve's seed file: %v %v, want mode 0600", fi.Mode(), err)
	}

	if _, err := nats.Connect(url); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("a client without credentials: %v, want an authorization violation", err)
	}
	if _, err := nats.Connect(url, nats.UserInfo("quillpost", "quillpost")); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("a client with a guessed password: %v, want an authorization violation", err)
	}

	serve, err := e.Queue(ctx, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer serve.Close()
	s := openStore(t)
	go serve.ServeCards(ctx, s)

	seed, err := queue.RegisterRobot(e.Dir(), queue.Robot{Name: "robot-1", Namespace: "quillpost", Lanes: []string{"a6-white"}})
	if err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(t.TempDir(), "robot-1.creds")
	if err := os.WriteFile(creds, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(e.Dir(), "robots.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("robots.json: %v, want mode 0600", err)
	}
	if _, err := queue.RegisterRobot(e.Dir(), queue.Robot{Name: "robot-2", Namespace: "quillpost", Lanes: []string{"a5-cream"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.ReloadRobots(); err != nil {
		t.Fatal(err)
	}

	// The robot works as a worker does: binds, claims its name, heartbeats, pulls its lane and
	// reads and changes the card of the job it was given.
	w, err := queue.Connect(ctx, queue.Dial{URL: url, Creds: creds, InboxPrefix: queue.NamesFor("").InboxPrefix("robot-1")},
		queue.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("robot connects with its credentials: %v", err)
	}
	defer w.Close()
	claim, err := w.ClaimRobot(ctx, "robot-1")
	if err != nil {
		t.Fatalf("robot claims its name: %v", err)
	}
	defer claim.Release()
	if err := w.PutHeartbeat(ctx, queue.Heartbeat{Worker: "robot-1", Lane: "a6-white", State: queue.StateIdle}); err != nil {
		t.Errorf("robot heartbeat: %v", err)
	}
	mine, other := newCards(t, s, 1, false)[0], newCards(t, s, 1, false)[0]
	flush(t, serve.NewRelay(s))
	remote := w.RemoteCards("robot-1", 10*time.Second)
	d := next(t, consumer(t, w, "a6-white"), 30*time.Second)
	if d.Job.CardID != mine.ID {
		t.Fatalf("got job %s, want %s", d.Job.CardID, mine.ID)
	}
	if c, err := store.Claim(ctx, remote, d.Job, d.Redelivered(), store.JobOptions{Worker: "robot-1"}); err != nil || c.Status != store.StatusPlotting {
		t.Fatalf("robot claims the card of its job: %+v %v", c, err)
	}
	// The card of a job it was not given (still queued): neither read nor changed.
	if _, err := remote.GetCard(ctx, store.AnyAccount, other.ID); !errors.Is(err, queue.ErrForbidden) {
		t.Errorf("robot reads a card it was not given: %v, want ErrForbidden", err)
	}
	if _, err := remote.Transition(ctx, store.Change{CardID: other.ID, From: store.StatusQueued, To: store.StatusPlotting, Attempt: 1, Cause: "x"}); !errors.Is(err, queue.ErrForbidden) {
		t.Errorf("robot changes a card it was not given: %v, want ErrForbidden", err)
	}
	// Nor the face of a card it was not given; the card it was given is in a built-in face.
	faces := remote.(store.CardFaceReader)
	if _, err := faces.CardFace(ctx, store.AnyAccount, other.ID); !errors.Is(err, queue.ErrForbidden) {
		t.Errorf("robot reads the face of a card it was not given: %v, want ErrForbidden", err)
	}
	if _, err := faces.CardFace(ctx, store.AnyAccount, mine.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("robot reads an account's face for a card in %s: %v, want ErrNotFound", mine.Font, err)
	}
	if c, _ := s.GetCard(ctx, store.AnyAccount, other.ID); c.Status != store.StatusQueued {
		t.Errorf("the other card is %s", c.Status)
	}
	if err := d.Ack(ctx); err != nil {
		t.Fatal(err)
	}

	// Below the queue's API, straight NATS with the robot's credentials.
	nc, errs := robotConn(t, url, creds, "robot-1")
	for _, p := range []struct{ what, subject string }{
		{"ask the card service as another robot", "quillpost.rpc.cards.robot-2.get"},
		{"publish a job", "quillpost.cards.a6-white"},
		{"publish an event", "quillpost.events.x.y.written"},
		{"pull another lane", "$JS.API.CONSUMER.MSG.NEXT.quillpost_CARDS.worker-a5-cream"},
		{"pull the test lane", "$JS.API.CONSUMER.MSG.NEXT.quillpost_CARDS.worker-test-a6-white"},
		{"read a stored job", "$JS.API.STREAM.MSG.GET.quillpost_CARDS"},
		{"read the deployment's signing key", "$JS.API.DIRECT.GET.KV_quillpost_config.$KV.quillpost_config.job-token-key"},
		{"write another robot's heartbeat", "$KV.quillpost_workers.robot-2"},
		{"delete a stream", "$JS.API.STREAM.DELETE.quillpost_CARDS"},
		{"command another robot", "quillpost.control.robot-2"},
	} {
		if err := nc.Publish(p.subject, []byte("{}")); err != nil {
			t.Fatal(err)
		}
		violation(t, errs, p.what, p.subject)
	}
	for _, p := range []struct{ what, subject string }{
		{"listen to another robot's commands", "quillpost.control.robot-2"},
		{"listen to the events", "quillpost.events.>"},
		{"listen to the card service", "quillpost.rpc.cards.*.get"},
		{"listen to other clients' replies", "_INBOX.>"},
		{"listen to another robot's replies", "_QP_INBOX.quillpost.robot-2.>"},
	} {
		if _, err := nc.SubscribeSync(p.subject); err != nil {
			t.Fatal(err)
		}
		violation(t, errs, p.what, p.subject)
	}

	// Registering the robot again replaces its key: the old credentials stop working.
	if _, err := queue.RegisterRobot(e.Dir(), queue.Robot{Name: "robot-1", Namespace: "quillpost", Lanes: []string{"a6-white"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.ReloadRobots(); err != nil {
		t.Fatal(err)
	}
	opt, err := nats.NkeyOptionFromSeed(creds)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nats.Connect(url, opt); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("replaced credentials: %v, want an authorization violation", err)
	}
}
