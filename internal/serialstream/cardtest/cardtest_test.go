package cardtest

import (
	"context"
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/gcode"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/hand"
	"github.com/quillpost/quillpost/internal/plotsim"
	"github.com/quillpost/quillpost/internal/profile"
	"github.com/quillpost/quillpost/internal/serialstream"
)

// render writes text on an A6 card and emits it for profile p.
func render(t testing.TB, text, faceName string, seed uint64, p *profile.Profile, arcs bool) *gcode.Program {
	t.Helper()
	face, err := font.Lookup(faceName)
	if err != nil {
		t.Fatal(err)
	}
	format, err := hand.LookupFormat("a6")
	if err != nil {
		t.Fatal(err)
	}
	card, err := hand.Render(hand.Request{Text: text, Face: face, Format: format, Hand: hand.Hands()[0], Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	prog, err := gcode.Emit(card.Strokes, p, gcode.Options{Arcs: arcs, Title: "cardtest"})
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

// simFor configures a virtual plotter like the machine a profile describes.
func simFor(t testing.TB, p *profile.Profile, baud int) *plotsim.Sim {
	t.Helper()
	cfg, err := plotsim.ForProfile(p, plotsim.Config{Baud: baud, BusyInterval: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := plotsim.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

func senderFor(t testing.TB, sim *plotsim.Sim, p *profile.Profile, proto string) *serialstream.Controller {
	t.Helper()
	port, err := serialstream.Open(sim.Path(), p.Baud)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := serialstream.Connect(ctx, port, serialstream.Config{
		Dialect: p.Dialect, Protocol: proto, RXBuffer: p.Protocol.RXBuffer, QueueDepth: p.Protocol.QueueDepth,
		PenUp: p.PenUp.Commands, PenDown: p.PenDown.Commands, Baud: p.Baud, RapidRate: p.TravelFeed, Accel: p.Accel, AckTimeout: 3 * time.Second, LinkTimeout: 4 * time.Second,
	})
	if err != nil {
		port.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestRenderedCardsDrawAsWritten streams a rendered card through every firmware profile into a
// simulator configured like that machine, and compares what the simulator drew (mapped back to
// the card) with what the program says it draws.
func TestRenderedCardsDrawAsWritten(t *testing.T) {
	text := "Dear Oliver,\nthank you so much for your order!\nWarm wishes, Ada"
	for _, p := range profile.All() {
		for _, arcs := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/arcs=%v", p.Name, arcs), func(t *testing.T) {
				t.Parallel()
				prog := render(t, text, "allure", 7, p, arcs)
				want, err := gcode.Read(prog.Lines, p)
				if err != nil {
					t.Fatal(err)
				}
				sim := simFor(t, p, 0)
				c := senderFor(t, sim, p, "")
				ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
				defer cancel()
				sum, err := c.Stream(ctx, prog.Lines, nil)
				if err != nil {
					t.Fatal(err)
				}
				var got []geom.Stroke
				for _, s := range sim.Strokes() {
					g := make(geom.Stroke, len(s))
					for i, m := range s {
						g[i] = p.ToCard(m)
					}
					got = append(got, g)
				}
				tol := 1e-6
				if arcs {
					tol = 0.01 // the simulator segments arcs as GRBL does, the reader more finely
				}
				if d := compare(got, want, tol); d != "" {
					t.Error(d)
				}
				if err := sim.Err(); err != nil {
					t.Error(err)
				}
				t.Logf("%d lines, %d bytes, %d strokes, %v", sum.Lines, sum.Bytes, len(got), sum.Duration.Round(time.Millisecond))
			})
		}
	}
}

func compare(got, want []geom.Stroke, tol float64) string {
	if len(got) != len(want) {
		return fmt.Sprintf("drew %d strokes, the program has %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g[0].Dist(w[0]) > 1e-6 || g[len(g)-1].Dist(w[len(w)-1]) > 1e-6 {
			return fmt.Sprintf("stroke %d runs %v–%v, want %v–%v", i+1, g[0], g[len(g)-1], w[0], w[len(w)-1])
		}
		if h := math.Max(geom.Deviation(g, w, 0), geom.Deviation(w, g, 0)); h > tol {
			return fmt.Sprintf("stroke %d deviates by %.4f mm, more than %g", i+1, h, tol)
		}
	}
	return ""
}

// utilisation streams prog over a link throttled to the profile's baud rate, with instant motion
// so that only the protocol limits the rate.
func utilisation(t testing.TB, p *profile.Profile, lines []string, proto string) serialstream.Summary {
	sim := simFor(t, p, p.Baud)
	c := senderFor(t, sim, p, proto)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sum, err := c.Stream(ctx, lines, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Err(); err != nil {
		t.Fatal(err)
	}
	return sum
}

// BenchmarkLinkUtilisation compares GRBL character counting with send-and-wait on a rendered
// card's G-code (arcs off: many short G1 segments) over a link throttled to 115200 baud.
// Run it with -benchtime=1x: one card takes several seconds of link time.
func BenchmarkLinkUtilisation(b *testing.B) {
	p, err := profile.Lookup("grbl-servo")
	if err != nil {
		b.Fatal(err)
	}
	text, err := os.ReadFile("../../../testdata/texts/en-thanks.txt")
	if err != nil {
		b.Fatal(err)
	}
	prog := render(b, string(text), "allure", 1, p, false)
	for _, proto := range []string{"char-count", "send-wait"} {
		b.Run(proto, func(b *testing.B) {
			var sum serialstream.Summary
			for b.Loop() {
				sum = utilisation(b, p, prog.Lines, proto)
			}
			b.ReportMetric(100*sum.Utilisation, "util%")
			b.ReportMetric(float64(sum.Lines)/sum.StreamDuration.Seconds(), "lines/s")
			b.ReportMetric(float64(sum.Bytes), "bytes")
		})
	}
}
