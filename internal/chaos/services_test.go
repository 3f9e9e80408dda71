//go:build chaos

package chaos

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// natsNode is one nats-server process with JetStream, kept on the same ports and store directory
// across restarts.
type natsNode struct {
	h     *harness
	name  string
	port  int // clients
	mport int // monitoring (healthz, jsz)
	args  []string
	p     *proc
}

// startNATS starts n nats-server processes with JetStream on loopback: one standalone server, or
// a cluster of n routed to each other. It waits until every node reports itself healthy.
func (h *harness) startNATS(n int) []*natsNode {
	h.t.Helper()
	bin := natsServerBin(h.t)
	nodes := make([]*natsNode, n)
	cports := make([]int, n)
	for i := range nodes {
		nodes[i] = &natsNode{h: h, name: fmt.Sprintf("n%d", i+1), port: freePort(h.t), mport: freePort(h.t)}
		cports[i] = freePort(h.t)
	}
	for i, nd := range nodes {
		nd.args = []string{"-a", "127.0.0.1", "-p", strconv.Itoa(nd.port), "-m", strconv.Itoa(nd.mport),
			"-js", "-sd", filepath.Join(h.dir, "nats-"+nd.name), "-n", nd.name}
		if n > 1 {
			var routes []string
			for j, cp := range cports {
				if j != i {
					routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", cp))
				}
			}
			nd.args = append(nd.args, "--cluster_name", "quillpost-chaos",
				"--cluster", fmt.Sprintf("nats://127.0.0.1:%d", cports[i]), "--routes", strings.Join(routes, ","))
		}
		nd.p = startProc(h.t, h.logs, "nats-"+nd.name, bin, nd.args...)
	}
	for _, nd := range nodes {
		nd.waitHealthy()
	}
	return nodes
}

// natsURL is the client URL list of the nodes, as serve and workers take it.
func natsURL(nodes []*natsNode) string {
	var us []string
	for _, nd := range nodes {
		us = append(us, fmt.Sprintf("nats://127.0.0.1:%d", nd.port))
	}
	return strings.Join(us, ",")
}

func (nd *natsNode) restart() {
	nd.h.t.Helper()
	nd.p = startProc(nd.h.t, nd.h.logs, "nats-"+nd.name, bins.nats, nd.args...)
	nd.waitHealthy()
}

// waitHealthy waits until the node's /healthz says ok (JetStream up and, in a cluster, current).
func (nd *natsNode) waitHealthy() {
	nd.h.t.Helper()
	waitFor(nd.h.t, readyTimeout, "nats-server "+nd.name+" is healthy", func() bool {
		if nd.p.exited() {
			nd.p.dumpLog(20)
			nd.h.t.Fatalf("nats-server %s exited: %v", nd.name, nd.p.err)
		}
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", nd.mport))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// jsStream is what a node's monitoring endpoint says of one stream.
type jsStream struct {
	Name    string
	Cluster struct {
		Leader   string
		Replicas []struct {
			Name    string
			Current bool
		}
	}
	Config struct {
		Replicas int `json:"num_replicas"`
	}
}

// streams asks the node's monitoring endpoint for the streams it hosts.
func (nd *natsNode) streams() ([]jsStream, error) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/jsz?streams=true&config=true", nd.mport))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var jsz struct {
		Accounts []struct {
			Streams []jsStream `json:"stream_detail"`
		} `json:"account_details"`
	}
	if err := json.Unmarshal(b, &jsz); err != nil {
		return nil, fmt.Errorf("jsz of %s: %w", nd.name, err)
	}
	var out []jsStream
	for _, a := range jsz.Accounts {
		out = append(out, a.Streams...)
	}
	return out, nil
}

// replication gives, per stream of the cluster (job streams and KV buckets alike), its replica
// count and leader, as the nodes that are up report them.
func replication(nodes []*natsNode) map[string]jsStream {
	out := map[string]jsStream{}
	for _, nd := range nodes {
		if nd.p.exited() {
			continue
		}
		ss, err := nd.streams()
		if err != nil {
			continue
		}
		for _, s := range ss {
			if _, ok := out[s.Name]; !ok || s.Cluster.Leader != "" {
				out[s.Name] = s
			}
		}
	}
	return out
}

func streamNames(m map[string]jsStream) []string {
	var out []string
	for n, s := range m {
		out = append(out, fmt.Sprintf("%s(R%d, leader %s)", n, s.Config.Replicas, s.Cluster.Leader))
	}
	sort.Strings(out)
	return out
}

// pgCluster is a private PostgreSQL cluster in a temporary directory on a random port, run with
// Debian's server binaries as an unprivileged user; the machine's shared server is never touched.
type pgCluster struct {
	h    *harness
	bin  string // directory of initdb and postgres
	dir  string
	port int
	cred *syscall.Credential
	p    *proc
}

// startPostgres initialises and starts a private cluster, or skips the test when the server
// binaries are not installed.
func (h *harness) startPostgres() *pgCluster {
	h.t.Helper()
	initdbs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(initdbs) == 0 {
		h.t.Skip("PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) are not installed")
	}
	sort.Strings(initdbs)
	pg := &pgCluster{h: h, bin: filepath.Dir(initdbs[len(initdbs)-1]), port: freePort(h.t)}
	// Not under t.TempDir(): its parents are private to root, and PostgreSQL refuses to run as root.
	dir, err := os.MkdirTemp("", "quillpost-chaos-pg-")
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { os.RemoveAll(dir) })
	pg.dir = dir
	pg.cred, _ = unprivileged(h.t, dir)
	runCmd(h.t, pg.cred, filepath.Join(pg.bin, "initdb"), "-D", filepath.Join(dir, "data"), "-U", "postgres",
		"-A", "trust", "-E", "UTF8", "--no-sync")
	pg.start()
	return pg
}

func (pg *pgCluster) start() {
	pg.h.t.Helper()
	pg.p = startProcAs(pg.h.t, pg.h.logs, pg.dir, "postgres", pg.cred, filepath.Join(pg.bin, "postgres"),
		"-D", filepath.Join(pg.dir, "data"), "-p", strconv.Itoa(pg.port), "-k", pg.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=100")
	waitFor(pg.h.t, readyTimeout, "PostgreSQL accepts connections", func() bool {
		if pg.p.exited() {
			pg.p.dumpLog(20)
			pg.h.t.Fatalf("postgres exited: %v", pg.p.err)
		}
		return listening(pg.port) && pg.p.logContains("ready to accept connections")
	})
}

// crash kills the postmaster and every backend at once (as a power cut or OOM kill would).
func (pg *pgCluster) crash() {
	pg.p.kill()
	waitFor(pg.h.t, time.Minute, "PostgreSQL's port is closed", func() bool { return !listening(pg.port) })
}

func (pg *pgCluster) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.port)
}
