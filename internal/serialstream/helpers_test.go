package serialstream_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/gcode"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/plotsim"
	"github.com/quillpost/quillpost/internal/plotsim/simtest"
	"github.com/quillpost/quillpost/internal/serialstream"
)

// TestMain fails the run when a simulator or sender goroutine outlives the tests.
func TestMain(m *testing.M) {
	simtest.RunCheckingLeaks(m, "quillpost/internal/plotsim", "quillpost/internal/serialstream")
}

var verbose = os.Getenv("SERIALSTREAM_LOG") != ""

func logger(t testing.TB) *slog.Logger {
	if !verbose {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
}

func startSim(t testing.TB, cfg plotsim.Config) *plotsim.Sim {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = logger(t)
	}
	sim, err := plotsim.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

// connect opens the simulator's terminal with go.bug.st/serial and wakes the controller.
func connect(t testing.TB, sim *plotsim.Sim, cfg serialstream.Config) *serialstream.Controller {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = logger(t)
	}
	if cfg.Baud == 0 {
		cfg.Baud = 115200
	}
	port, err := serialstream.Open(sim.Path(), cfg.Baud)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := serialstream.Connect(ctx, port, cfg)
	if err != nil {
		port.Close()
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// fastTimeouts keeps fault tests short: a real controller gets the defaults.
func fastTimeouts(cfg serialstream.Config) serialstream.Config {
	// Generous against a loaded machine (2 cores shared by many test runs), short against a human.
	cfg.AckTimeout = 1500 * time.Millisecond
	cfg.LinkTimeout = 2500 * time.Millisecond
	cfg.StopTimeout = 4 * time.Second
	cfg.WakeTimeout = 2 * time.Second
	cfg.IdleGrace = 300 * time.Millisecond
	return cfg
}

var area = geom.Rect{Max: geom.Point{X: 300, Y: 220}}

// card is a program of handwriting-like strokes, and the strokes it draws.
func card(seed uint64, strokes int, pen simtest.Pen, rapidFeed float64) ([]geom.Stroke, []string) {
	s := simtest.Strokes(seed, strokes, area)
	return s, simtest.Program(s, pen, 3000, rapidFeed)
}

// within runs f with a context that bounds it, and fails when f outlives the bound.
func within(t *testing.T, d time.Duration, f func(ctx context.Context)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(ctx)
	}()
	select {
	case <-done:
	case <-time.After(d + 5*time.Second):
		t.Fatalf("still running %v after its %v deadline", 5*time.Second, d)
	}
}

// srcLine is the program line (1-based) of the n-th line a sender sends.
func srcLine(prog []string, n int) int {
	for i, l := range prog {
		if gcode.Strip(l) != "" {
			n--
			if n == 0 {
				return i + 1
			}
		}
	}
	return 0
}
