package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrRobotTaken: another running process holds the robot's identity.
var ErrRobotTaken = errors.New("robot identity taken")

// RobotClaim is a robot's identity held by this process: its key in the robots bucket, which
// expires RobotLease after the process stops renewing it.
type RobotClaim struct {
	q      *Queue
	name   string
	cancel context.CancelFunc
	done   chan struct{}
	lost   chan struct{}
	once   sync.Once
}

type robotHolder struct {
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
}

// ClaimRobot makes this process the one running robot name in the namespace. While another
// process holds the name, it fails with ErrRobotTaken and a message saying so. The claim is
// renewed every third of RobotLease until Release; if it cannot be renewed before it expires and
// another process takes the name, Lost is closed and the robot must stop.
func (q *Queue) ClaimRobot(ctx context.Context, name string) (*RobotClaim, error) {
	if err := validWorkerName(name); err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	val, err := json.Marshal(robotHolder{Host: host, PID: os.Getpid(), Started: time.Now().UTC()})
	if err != nil {
		return nil, err
	}
	rev, err := q.robots.Create(ctx, name, val)
	if errors.Is(err, jetstream.ErrKeyExists) {
		// A claim left by a process on this host that no longer runs (kill -9, power cut) is
		// taken over at once: waiting for its lease would keep a restarted robot from its work.
		rev, err = q.takeOverDead(ctx, name, host, val)
	}
	if errors.Is(err, jetstream.ErrKeyExists) {
		return nil, fmt.Errorf("%w: robot %s is already running in namespace %s (%s); stop it or choose another --name (a stopped robot's claim expires %s after it stopped)",
			ErrRobotTaken, name, q.names.Namespace, q.holder(ctx, name), q.o.RobotLease)
	}
	if err != nil {
		return nil, fmt.Errorf("claim robot %s: %w", name, err)
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c := &RobotClaim{q: q, name: name, cancel: cancel, done: make(chan struct{}), lost: make(chan struct{})}
	go c.renew(rctx, val, rev)
	return c, nil
}

// takeOverDead replaces name's claim when its holder is a process of this host that has ended;
// otherwise it answers jetstream.ErrKeyExists. The update is conditional on the revision read,
// so two restarted processes cannot both take it.
func (q *Queue) takeOverDead(ctx context.Context, name, host string, val []byte) (uint64, error) {
	e, err := q.robots.Get(ctx, name)
	if err != nil {
		return 0, jetstream.ErrKeyExists
	}
	var h robotHolder
	if json.Unmarshal(e.Value(), &h) != nil || h.Host != host || h.PID <= 0 || h.PID == os.Getpid() || processRuns(h.PID) {
		return 0, jetstream.ErrKeyExists
	}
	rev, err := q.robots.Update(ctx, name, val, e.Revision())
	if err != nil {
		return 0, jetstream.ErrKeyExists
	}
	q.log.Info("took over the robot's identity from an ended process", "robot", name, "pid", h.PID)
	return rev, nil
}

// processRuns reports whether a process of this host runs; where that cannot be told, it says
// yes, so a claim is never taken from a live robot.
func processRuns(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return !(errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH))
}

func (q *Queue) holder(ctx context.Context, name string) string {
	e, err := q.robots.Get(ctx, name)
	if err != nil {
		return "holder unknown"
	}
	var h robotHolder
	if json.Unmarshal(e.Value(), &h) != nil {
		return "holder unknown"
	}
	return fmt.Sprintf("process %d on %s since %s", h.PID, h.Host, h.Started.Format(time.RFC3339))
}

func (c *RobotClaim) renew(ctx context.Context, val []byte, rev uint64) {
	defer close(c.done)
	t := time.NewTicker(c.q.o.RobotLease / 3)
	defer t.Stop()
	log := c.q.log.With("robot", c.name)
	for {
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			// Let a restarted robot in at once, but only if the key is still ours.
			if err := c.q.robots.Delete(dctx, c.name, jetstream.LastRevision(rev)); err != nil {
				log.Debug("releasing the robot identity failed; it expires by itself", "err", err)
			}
			return
		case <-t.C:
		}
		uctx, cancel := context.WithTimeout(ctx, c.q.o.RobotLease/3)
		r, err := c.q.robots.Update(uctx, c.name, val, rev)
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
			// The key expired during an outage (or was deleted): take it again if nobody else did.
			r, err = c.q.robots.Create(uctx, c.name, val)
			if errors.Is(err, jetstream.ErrKeyExists) {
				cancel()
				log.Error("robot identity taken by another process while this one could not renew it; stopping the robot")
				c.once.Do(func() { close(c.lost) })
				return
			}
		}
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("renewing the robot identity failed; retrying", "err", err)
			}
			continue
		}
		rev = r
	}
}

// Lost is closed when another process took the robot's identity: this robot must stop.
func (c *RobotClaim) Lost() <-chan struct{} { return c.lost }

// Release gives the identity up (a restarted robot may claim it at once).
func (c *RobotClaim) Release() {
	c.cancel()
	<-c.done
}
