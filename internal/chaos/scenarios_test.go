//go:build chaos

package chaos

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKillServeTwice: serve (API, embedded NATS, SQLite, two simulated robots) is killed with
// SIGKILL twice mid-campaign and restarted on the same data directory each time.
func TestKillServeTwice(t *testing.T) {
	h := newHarness(t)
	h.createKeys()
	h.startServe("--sim-plotters", "2", "--sim-speed", simSpeed)
	h.campaign(h.test, 30)
	for _, n := range []int{4, 14} {
		h.waitWriting(n)
		h.killServe()
		h.restartServe()
	}
	h.verdict("kill -9 serve twice", h.settle())
}

// TestKillWorkerMidCard: two robots, each a `quillpost worker` process driving a virtual plotter
// process over a pseudo-terminal, against serve's NATS (--nats-listen). One worker is killed with
// SIGKILL while it writes a card, then restarted on the same robot.
func TestKillWorkerMidCard(t *testing.T) {
	h := newHarness(t)
	h.createKeys()
	natsPort := freePort(t)
	nats := fmt.Sprintf("nats://127.0.0.1:%d", natsPort)
	h.startServe("--nats-listen", fmt.Sprintf("127.0.0.1:%d", natsPort))
	robots, creds := map[string]string{}, map[string]string{}
	for _, name := range []string{"robot-a", "robot-b"} {
		_, dev := h.startPlotsim("plotsim-" + name)
		robots[name], creds[name] = dev, h.robotCreds(name)
		h.startWorker(name, dev, nats, creds[name], filepath.Join(h.dir, "sheets-"+name))
	}
	h.campaign(h.key, 24)
	h.waitWriting(3)
	id := h.waitPlottingOn("robot-a")
	t.Logf("robot-a is writing %s", id)
	victim := h.robots[0]
	h.fault("kill -9 worker robot-a", robotNamed("robot-a"))
	victim.kill()
	h.robots = h.robots[1:]
	h.startWorker("robot-a", robots["robot-a"], nats, creds["robot-a"], filepath.Join(h.dir, "sheets-robot-a"))
	h.verdict("kill -9 worker mid-card", h.settle())
}

// TestNATSOutage: an external nats-server (JetStream, one node) is stopped for 20 s and started
// again on the same store, while serve (one simulated robot) and a worker process (another robot)
// are writing a campaign. Neither robot is hit: a NATS outage must not spoil a card a robot can
// finish.
func TestNATSOutage(t *testing.T) {
	h := newHarness(t)
	h.createKeys()
	nodes := h.startNATS(1)
	url := natsURL(nodes)
	h.startServe("--nats", url, "--sim-plotters", "1", "--sim-speed", simSpeed)
	_, dev := h.startPlotsim("plotsim-robot-x")
	h.startWorker("robot-x", dev, url, "", filepath.Join(h.dir, "sheets-robot-x"))
	h.campaign(h.test, 15) // for the simulated robot
	h.campaign(h.key, 15)  // for the real one
	h.waitWriting(4)
	h.fault("NATS stopped for 20 s", nil)
	// A graceful stop (JetStream flushes its store first), which may take a while under load.
	nodes[0].p.stop(3 * time.Minute)
	time.Sleep(20 * time.Second) // the outage itself, not a wait for a condition
	// The outage ends as the server starts again; restart then waits until it is healthy.
	h.clear()
	nodes[0].restart()
	h.verdict("NATS outage 20 s", h.settle())
}

// TestNATSClusterNodeLost: a 3-node NATS cluster (three nats-server processes, JetStream), serve
// with --replicas 3 and two simulated robots, plus a worker process; the node leading the CARDS
// stream is killed mid-campaign and stays down. Replication must stay at 3 throughout (a worker
// must not lower it) and the fleet must write on.
func TestNATSClusterNodeLost(t *testing.T) {
	h := newHarness(t)
	h.createKeys()
	nodes := h.startNATS(3)
	url := natsURL(nodes)
	h.startServe("--nats", url, "--replicas", "3", "--sim-plotters", "2", "--sim-speed", simSpeed)
	_, dev := h.startPlotsim("plotsim-robot-y")
	h.startWorker("robot-y", dev, url, "", filepath.Join(h.dir, "sheets-robot-y"))
	h.campaign(h.test, 20) // for the two simulated robots
	h.campaign(h.key, 10)  // for the real one
	h.waitWriting(4)
	checkReplicas(t, nodes, "before the node was killed")
	victim := nodes[0]
	if s, ok := findStream(replication(nodes), "CARDS"); ok && s.Cluster.Leader != "" {
		for _, nd := range nodes {
			if nd.name == s.Cluster.Leader {
				victim = nd
			}
		}
	}
	h.fault("kill -9 NATS node "+victim.name+" (CARDS leader)", nil)
	victim.p.kill()
	cs := h.settle()
	checkReplicas(t, nodes, "after the node was killed")
	h.verdict("NATS cluster, one node killed", cs)
}

// findStream finds the stream whose name ends in suffix (installations may prefix their names).
func findStream(m map[string]jsStream, suffix string) (jsStream, bool) {
	for n, s := range m {
		if strings.HasSuffix(n, suffix) {
			return s, true
		}
	}
	return jsStream{}, false
}

// checkReplicas asserts that quillpost's job and event streams and its KV buckets are replicated
// three times, as serve was told (finding 6: a worker reset them to one).
func checkReplicas(t *testing.T, nodes []*natsNode, when string) {
	t.Helper()
	m := replication(nodes)
	if len(m) == 0 {
		t.Errorf("%s: no node reports any stream", when)
		return
	}
	for n, s := range m {
		if s.Config.Replicas != 3 {
			t.Errorf("%s: stream %s has %d replicas, serve was started with --replicas 3 (all: %v)", when, n, s.Config.Replicas, streamNames(m))
		}
	}
}

// TestPostgresRestart: serve on a private PostgreSQL cluster with two simulated robots; the
// database crashes (every PostgreSQL process killed) mid-campaign and starts again 10 s later. A robot that
// can finish its card must not lose it to the database's absence.
func TestPostgresRestart(t *testing.T) {
	h := newHarness(t)
	pg := h.startPostgres()
	h.startServe("--db", pg.url(), "--sim-plotters", "2", "--sim-speed", simSpeed)
	h.operatorKeyIn(pg.url())
	h.campaign(h.test, 30)
	h.waitWriting(4)
	h.fault("PostgreSQL killed, restarted after 10 s", nil)
	pg.crash()
	// Down for longer than a card takes, so that robots finish cards while it is away.
	time.Sleep(10 * time.Second) // the outage itself, not a wait for a condition
	// The outage ends as the database starts again; start then waits until it takes connections.
	h.clear()
	pg.start()
	h.verdict("PostgreSQL restart", h.settle())
}

// TestIdleRobots: two simulated robots write a few cards, then sit idle for a minute (far longer
// than the serial link's status-silence timeout) before the next campaign arrives. Idleness is
// not a fault of any card: no blank may be spoiled.
func TestIdleRobots(t *testing.T) {
	h := newHarness(t)
	h.createKeys()
	h.startServe("--sim-plotters", "2", "--sim-speed", simSpeed)
	h.campaign(h.test, 4)
	h.settle()
	time.Sleep(time.Minute) // the robots' idle time is the scenario, not a wait for a condition
	h.fault("robots idle for 60 s", nil)
	h.campaign(h.test, 16)
	h.verdict("robots idle 60 s", h.settle())
}
