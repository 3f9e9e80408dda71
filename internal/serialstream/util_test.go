package serialstream_test

import (
	"context"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/plotsim"
	"github.com/quillpost/quillpost/internal/plotsim/simtest"
	"github.com/quillpost/quillpost/internal/serialstream"
)

// On a link throttled to 115200 baud with instant motion, only the protocol limits the rate:
// character counting keeps GRBL's receive buffer full, send-and-wait idles the link for every
// round trip. How much of the link each uses depends on how promptly a busy machine wakes the
// sender, so the figures are measured by BenchmarkLinkUtilisation (cardtest), not asserted here;
// this test checks what holds on any machine: both protocols deliver every byte without
// overflowing the receive buffer, and the simulator never carries more than the link can.
func TestLinkUtilisation(t *testing.T) {
	_, prog := card(8, 25, simtest.SpindlePen, 0) // about 600 short lines, 1.2 s of link time
	run := func(proto string) serialstream.Summary {
		sim := startSim(t, plotsim.Config{Baud: 115200})
		c := connect(t, sim, serialstream.Config{Dialect: "grbl", Protocol: proto, Baud: 115200})
		var sum serialstream.Summary
		within(t, 5*time.Minute, func(ctx context.Context) {
			var err error
			if sum, err = c.Stream(ctx, prog, nil); err != nil {
				t.Fatal(err)
			}
		})
		if err := sim.Err(); err != nil {
			t.Fatal(err)
		}
		if st := sim.Stats(); st.Overflows != 0 || st.Errors != 0 {
			t.Errorf("%s: %d bytes overflowed the receive buffer, %d errors", proto, st.Overflows, st.Errors)
		}
		t.Logf("%s: %d bytes in %v: %.1f%% of the link", proto, sum.Bytes, sum.StreamDuration.Round(time.Millisecond), 100*sum.Utilisation)
		return sum
	}
	cc := run("char-count")
	sw := run("send-wait")
	if cc.Bytes != sw.Bytes || cc.Lines != sw.Lines {
		t.Errorf("character counting sent %d lines, %d bytes; send-and-wait %d lines, %d bytes", cc.Lines, cc.Bytes, sw.Lines, sw.Bytes)
	}
	for _, s := range []serialstream.Summary{cc, sw} {
		if s.Utilisation <= 0 || s.Utilisation > 1.02 {
			t.Errorf("%s used %.1f%% of the link: the simulator does not throttle to the baud rate", s.Protocol, 100*s.Utilisation)
		}
	}
}
