package plotsim

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// TestDisconnectKillsTheDevice: after a pulled cable the device path cannot be opened again (as an
// unplugged USB device cannot), and its pseudo-terminal is not handed to another program until the
// simulator is closed, so a sender that reconnects never reaches somebody else's plotter.
func TestDisconnectKillsTheDevice(t *testing.T) {
	s, err := Start(Config{Faults: []Fault{{Kind: FaultDisconnect, Line: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := os.OpenFile(s.Path(), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("G1 X1 F100\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the simulator did not disconnect within 10 s")
	}
	f.Close()
	if g, err := os.OpenFile(s.Path(), os.O_RDWR|syscall.O_NOCTTY, 0); err == nil {
		g.Close()
		t.Fatalf("%s opened again after the cable was pulled", s.Path())
	}
	// Pseudo-terminals take the lowest free number: a new one must not get the dead one's.
	s2, err := Start(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.Path() == s.Path() {
		t.Errorf("a new plotter got the unplugged one's device %s", s.Path())
	}
}
