package plotsim_test

import (
	"bufio"
	"context"
	"strings"
	"testing"
	"time"

	"go.bug.st/serial"

	"github.com/quillpost/quillpost/internal/plotsim"
	"github.com/quillpost/quillpost/internal/plotsim/simtest"
)

// TestMain fails the run when a simulator or sender goroutine outlives the tests.
func TestMain(m *testing.M) { simtest.RunCheckingLeaks(m, "quillpost/internal/plotsim") }

// client is a bare serial terminal on a simulator: it writes what it is told and collects lines.
type client struct {
	t     *testing.T
	port  serial.Port
	lines chan string
}

func startSim(t *testing.T, cfg plotsim.Config) *plotsim.Sim {
	t.Helper()
	sim, err := plotsim.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

func dial(t *testing.T, sim *plotsim.Sim) *client {
	t.Helper()
	port, err := serial.Open(sim.Path(), &serial.Mode{BaudRate: 115200})
	if err != nil {
		t.Fatalf("open %s: %v", sim.Path(), err)
	}
	c := &client{t: t, port: port, lines: make(chan string, 4096)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(c.lines)
		sc := bufio.NewScanner(port)
		for sc.Scan() {
			c.lines <- strings.TrimRight(sc.Text(), "\r")
		}
	}()
	t.Cleanup(func() {
		port.Close()
		<-done
	})
	return c
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := c.port.Write([]byte(s)); err != nil {
		c.t.Fatalf("write %q: %v", s, err)
	}
}

// expect reads lines until one satisfies match, failing after 5 s; it returns the lines read.
func (c *client) expect(what string, match func(string) bool) []string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var seen []string
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("link closed waiting for %s; saw %q", what, seen)
			}
			seen = append(seen, l)
			if match(l) {
				return seen
			}
		case <-ctx.Done():
			c.t.Fatalf("no %s within 5 s; saw %q", what, seen)
		}
	}
}

func (c *client) expectLine(want string) []string {
	c.t.Helper()
	return c.expect(want, func(l string) bool { return l == want })
}

func (c *client) expectPrefix(p string) string {
	c.t.Helper()
	seen := c.expect(p+"…", func(l string) bool { return strings.HasPrefix(l, p) })
	return seen[len(seen)-1]
}

// reset sends Ctrl-X and waits for the banner, dropping whatever came before.
func (c *client) reset() {
	c.t.Helper()
	c.send("\x18")
	c.expectPrefix("Grbl ")
}

// roundTrip sends one line and returns the lines up to and including its ok or error.
func (c *client) roundTrip(line string) []string {
	c.t.Helper()
	c.send(line + "\n")
	return c.expect("answer to "+line, func(l string) bool { return l == "ok" || strings.HasPrefix(l, "error:") })
}

func last(ls []string) string { return ls[len(ls)-1] }
