package queue

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestRobotClaimOfEndedProcessTakenOver: after kill -9 of serve, its restart found its own
// simulated robots' names still claimed by the dead process and exited. A claim whose holder is an
// ended process of this host is taken over; a live holder's claim is not.
func TestRobotClaimOfEndedProcessTakenOver(t *testing.T) {
	ctx := context.Background()
	e, err := StartEmbedded(t.TempDir(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown()
	q, err := e.Queue(ctx, Options{Namespace: "qp", RobotLease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ended := exec.Command("true")
	if err := ended.Run(); err != nil {
		t.Skip("cannot run a short-lived process here:", err)
	}
	host, _ := os.Hostname()
	put := func(name string, pid int) {
		val, _ := json.Marshal(robotHolder{Host: host, PID: pid, Started: time.Now().UTC()})
		if _, err := q.robots.Put(ctx, name, val); err != nil {
			t.Fatal(err)
		}
	}
	put("sim-1", ended.Process.Pid)
	c, err := q.ClaimRobot(ctx, "sim-1")
	if err != nil {
		t.Fatalf("claim left by an ended process: %v", err)
	}
	c.Release()
	put("sim-2", os.Getppid()) // the process that runs this test: alive
	if _, err := q.ClaimRobot(ctx, "sim-2"); !errors.Is(err, ErrRobotTaken) {
		t.Fatalf("claim of a live process: %v, want ErrRobotTaken", err)
	}
}
