//go:build chaos

package chaos

import (
	"testing"
)

// TestKillServeTwice: serve (API, embedded NATS, SQLite, two simulated robots) is killed with
// SIGKILL twice mid-campaign and restarted on the same data directory each time.
func TestKillServeTwice(t *testing.T) {
	h := newHarness(t)
	h.createKeys()
	h.startServe("--sim-plotters", "2", "--sim-speed", simSpeed)
	h.campaign(30)
	for _, n := range []int{4, 14} {
		h.waitWriting(n)
		h.killServe()
		h.restartServe()
	}
	h.verdict("kill -9 serve twice", h.settle())
}
