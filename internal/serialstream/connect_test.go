package serialstream_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/plotsim"
	"github.com/quillpost/quillpost/internal/serialstream"
)

// A port where nothing answers, or something else answers, fails within the wake timeout.
func TestConnectFailsWithoutController(t *testing.T) {
	t.Parallel()
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	path := slave.Name()
	slave.Close()
	grbl := startSim(t, plotsim.Config{})
	for _, tc := range []struct {
		name, path, dialect string
	}{
		{"silent grbl", path, "grbl"},
		{"silent marlin", path, "marlin"},
		{"grbl spoken to as marlin", grbl.Path(), "marlin"},
	} {
		port, err := serialstream.Open(tc.path, 115200)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = serialstream.Connect(context.Background(), port, serialstream.Config{Dialect: tc.dialect, WakeTimeout: 700 * time.Millisecond})
		if !errors.Is(err, serialstream.ErrNoController) || errors.Is(err, serialstream.ErrInterrupted) {
			t.Errorf("%s: err %v, want ErrNoController", tc.name, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: gave up after %v", tc.name, d)
		}
		t.Logf("%s: %v", tc.name, err)
	}
	if _, err := serialstream.Open("/dev/does-not-exist", 115200); err == nil {
		t.Error("opened a port that does not exist")
	}
}

// GRBL that comes up in alarm is homed ($H) when the config says so, and unlocked ($X) otherwise.
func TestConnectClearsAlarm(t *testing.T) {
	t.Parallel()
	for _, home := range []bool{false, true} {
		sim := startSim(t, plotsim.Config{Area: geom.Rect{Min: geom.Point{X: -100, Y: -100}, Max: geom.Point{X: 100, Y: 100}}})
		raw, err := serialstream.Open(sim.Path(), 115200)
		if err != nil {
			t.Fatal(err)
		}
		raw.Write([]byte("G0 X50 Y50\nG0 X500\n")) // soft limit: ALARM:2
		buf := make([]byte, 256)
		var got []byte
		for !bytes.Contains(got, []byte("ALARM:2")) {
			n, err := raw.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, buf[:n]...)
		}
		raw.Close()
		c := connect(t, sim, serialstream.Config{Dialect: "grbl", Home: home})
		st := sim.Stats()
		if c.Info().State != "Idle" || st.State != "Idle" {
			t.Errorf("home=%v: controller %s, simulator %s, want both idle", home, c.Info().State, st.State)
		}
		if want := (geom.Point{X: 50, Y: 50}); home {
			if st.Pos != (geom.Point{}) {
				t.Errorf("homed to %v, want machine zero", st.Pos)
			}
		} else if st.Pos != want {
			t.Errorf("unlocked at %v, want %v where the alarm left it", st.Pos, want)
		}
	}
}
