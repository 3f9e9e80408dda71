package queue

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// Embedded is a NATS server with JetStream running inside this process: the one-machine mode needs
// no NATS installation. It admits only NKeys it knows: serve's own (full rights, used by Connect
// and Queue) and the robots registered with RegisterRobot (least privilege). Clients in the
// process connect in-process, without a socket.
type Embedded struct {
	srv    *server.Server
	listen bool
	dir    string
	opts   server.Options // as started, for reloading the robots
	serve  nkeys.KeyPair
	log    *slog.Logger

	stop chan struct{}
	done sync.WaitGroup

	mu       sync.Mutex // serialises reloads
	robotsAt time.Time  // modification time of robots.json last loaded
}

// robotsPoll is how often the server looks for robots added by 'quillpost keys worker'.
const robotsPoll = 2 * time.Second

// StartEmbedded starts a NATS server with JetStream storing in dir. With listen empty the server
// opens no port (in-process clients only); otherwise listen is "host:port" ("127.0.0.1:0" picks a
// free port; see ClientURL), for workers in other processes. log may be nil.
func StartEmbedded(dir, listen string, log *slog.Logger) (*Embedded, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	kp, err := serveKey(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	e := &Embedded{dir: dir, serve: kp, log: log, stop: make(chan struct{}), listen: listen != ""}
	opts := server.Options{
		ServerName: "quillpost",
		JetStream:  true,
		StoreDir:   dir,
		NoSigs:     true,
		NoLog:      true,
		DontListen: listen == "",
		// The HTTP monitor and cluster ports stay closed.
	}
	if listen != "" {
		host, port, err := net.SplitHostPort(listen)
		if err != nil {
			return nil, fmt.Errorf("embedded NATS: listen address %q: %w", listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return nil, fmt.Errorf("embedded NATS: listen address %q: bad port", listen)
		}
		if p == 0 {
			p = server.RANDOM_PORT
		}
		opts.Host, opts.Port = host, p
	}
	e.opts = opts
	users, at, err := e.users()
	if err != nil {
		return nil, err
	}
	opts.Nkeys, e.robotsAt = users, at
	srv, err := server.NewServer(&opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("embedded NATS did not start within 30 s (data directory %s)", dir)
	}
	e.srv = srv
	e.done.Add(1)
	go e.watchRobots()
	return e, nil
}

// users lists the NKeys the server admits, with their rights.
func (e *Embedded) users() ([]*server.NkeyUser, time.Time, error) {
	pub, err := e.serve.PublicKey()
	if err != nil {
		return nil, time.Time{}, err
	}
	var at time.Time
	if fi, err := os.Stat(filepath.Join(e.dir, robotsFile)); err == nil {
		at = fi.ModTime()
	}
	robots, err := ReadRobots(e.dir)
	if err != nil {
		return nil, time.Time{}, err
	}
	users := []*server.NkeyUser{{Nkey: pub}} // no Permissions: everything
	for _, r := range robots {
		users = append(users, &server.NkeyUser{Nkey: r.PublicKey, Permissions: RobotPermissions(r.Namespace, r.Name, r.Lanes)})
	}
	return users, at, nil
}

// watchRobots reloads the server's users when robots.json changes.
func (e *Embedded) watchRobots() {
	defer e.done.Done()
	t := time.NewTicker(robotsPoll)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
		}
		fi, err := os.Stat(filepath.Join(e.dir, robotsFile))
		e.mu.Lock()
		same := err != nil || fi.ModTime().Equal(e.robotsAt)
		e.mu.Unlock()
		if same {
			continue
		}
		if err := e.ReloadRobots(); err != nil {
			e.log.Error("embedded NATS: robot credentials not reloaded", "err", err)
		}
	}
}

// ReloadRobots makes the server admit exactly the robots now in robots.json (a replaced key is
// refused from now on; connections already open keep their old rights until they reconnect).
func (e *Embedded) ReloadRobots() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	users, at, err := e.users()
	if err != nil {
		return err
	}
	opts := e.opts
	opts.Nkeys = users
	if err := e.srv.ReloadOptions(&opts); err != nil {
		return fmt.Errorf("embedded NATS: reload robot credentials: %w", err)
	}
	e.robotsAt = at
	e.log.Info("embedded NATS: robot credentials loaded", "robots", len(users)-1)
	return nil
}

// Server returns the running server.
func (e *Embedded) Server() *server.Server { return e.srv }

// Dir is the server's directory, where RegisterRobot records robots.
func (e *Embedded) Dir() string { return e.dir }

// ClientURL is the URL other processes connect to, or "" when the server does not listen.
func (e *Embedded) ClientURL() string {
	if !e.listen {
		return ""
	}
	return e.srv.ClientURL()
}

// ServeAuth is the NATS option that signs in with serve's own identity (every right).
func (e *Embedded) ServeAuth() nats.Option {
	pub, _ := e.serve.PublicKey()
	return nats.Nkey(pub, func(nonce []byte) ([]byte, error) { return e.serve.Sign(nonce) })
}

// Connect opens an in-process client connection with serve's identity.
func (e *Embedded) Connect(opts ...nats.Option) (*nats.Conn, error) {
	opts = append(append([]nats.Option{nats.Name("quillpost"), nats.InProcessServer(e.srv), e.ServeAuth()}, eventLogging(e.log)...), opts...)
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to embedded NATS: %w", err)
	}
	return nc, nil
}

// Queue connects in-process and sets up a Queue (Options.Manage is implied: whoever runs the
// embedded server is the deployment); its Close closes that connection.
func (e *Embedded) Queue(ctx context.Context, o Options) (*Queue, error) {
	nc, err := e.Connect()
	if err != nil {
		return nil, err
	}
	o.Manage = true
	q, err := New(ctx, nc, o)
	if err != nil {
		nc.Close()
		return nil, err
	}
	q.ownsConn = true
	return q, nil
}

// Shutdown stops the server and waits until it is down; JetStream data stays in the directory.
func (e *Embedded) Shutdown() {
	close(e.stop)
	e.done.Wait()
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}

// ServeCreds is the file holding serve's own NKey seed (every right), for Dial.Creds.
func (e *Embedded) ServeCreds() string { return filepath.Join(e.dir, serveSeedFile) }
