package queue

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Embedded is a NATS server with JetStream running inside this process: the one-machine mode needs
// no NATS installation. Clients in the process connect in-process, without a socket.
type Embedded struct {
	srv    *server.Server
	listen bool
}

// StartEmbedded starts a NATS server with JetStream storing in dir. With listen empty the server
// opens no port (in-process clients only); otherwise listen is "host:port" ("127.0.0.1:0" picks a
// free port; see ClientURL), for workers in other processes.
func StartEmbedded(dir, listen string) (*Embedded, error) {
	opts := &server.Options{
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
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("embedded NATS did not start within 30 s (data directory %s)", dir)
	}
	return &Embedded{srv: srv, listen: listen != ""}, nil
}

// Server returns the running server.
func (e *Embedded) Server() *server.Server { return e.srv }

// ClientURL is the URL other processes connect to, or "" when the server does not listen.
func (e *Embedded) ClientURL() string {
	if !e.listen {
		return ""
	}
	return e.srv.ClientURL()
}

// Connect opens an in-process client connection.
func (e *Embedded) Connect(opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.Name("quillpost"), nats.InProcessServer(e.srv)}, opts...)
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to embedded NATS: %w", err)
	}
	return nc, nil
}

// Queue connects in-process and sets up a Queue; its Close closes that connection.
func (e *Embedded) Queue(ctx context.Context, o Options) (*Queue, error) {
	nc, err := e.Connect()
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

// Shutdown stops the server and waits until it is down; JetStream data stays in the directory.
func (e *Embedded) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}
