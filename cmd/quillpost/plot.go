package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/quillpost/quillpost/internal/serialstream"
)

func init() {
	register("plot", "stream a G-code file to a plotter over a serial port", runPlot)
}

func runPlot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plot", "[flags] --port PATH --profile NAME card.gcode", stdout)
	fs.notes = "Streams a G-code program (- for standard input) with a progress bar and prints a summary.\nCtrl-C stops the plotter and lifts the pen."
	pf := fs.plotterFlags()
	baud := fs.Int("baud", 0, "baud rate (default: the profile's)")
	protocol := fs.String("protocol", "", "streaming protocol: char-count, line-checksum or send-wait (default: the profile's)")
	home := fs.Bool("home", false, "home with $H when GRBL comes up in alarm, instead of unlocking with $X")
	logf := fs.logFlags("log the serial conversation to stderr", slog.LevelWarn)
	noCheck := fs.Bool("no-check", false, "skip the firmware handshake (comparing the controller's settings with the profile)")
	if err := fs.parse(args, 1); err != nil {
		return err
	}
	p, err := pf.lookup()
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fs.usageErr("give the G-code file to plot (- for standard input)")
	}
	port := pf.port
	file := fs.Arg(0)
	lines, err := readProgram(file)
	if err != nil {
		return err
	}
	if *baud == 0 {
		*baud = p.Baud
	}
	if *protocol == "" {
		*protocol = p.Protocol.Kind
	}
	cfg := controllerConfig(p, logf.logger(stderr))
	cfg.Protocol, cfg.Baud, cfg.Home = *protocol, *baud, *home
	c, err := connect(ctx, *port, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	info := c.Info()
	rxFrom := "profile"
	if info.RXReported {
		rxFrom = "reported by the controller"
	}
	fmt.Fprintf(stderr, "connected to %s on %s: %s; %s, receive buffer %d bytes (%s)\n",
		p.Dialect, *port, info.Banner, info.Protocol, info.RXBuffer, rxFrom)
	if !*noCheck {
		if _, err := c.Handshake(ctx, p); err != nil {
			fmt.Fprintln(stderr, "nothing was drawn: the card is still blank")
			return err
		}
	}
	bar := newProgress(stderr, "lines")
	sum, err := c.Stream(ctx, lines, func(p serialstream.Progress) { bar.show(p.Percent, plotStatus(p)) })
	bar.done()
	if err != nil {
		fmt.Fprintf(stderr, "stopped after %d lines, %d bytes, %v\n", sum.Lines, sum.Bytes, sum.Duration.Round(time.Second))
		switch {
		case serialstream.Marked(err):
			fmt.Fprintln(stderr, "the card was partly written: replace it before plotting again")
		case errors.Is(err, serialstream.ErrInterrupted):
			fmt.Fprintln(stderr, "nothing was drawn: the card is still blank")
		}
		return err
	}
	fmt.Fprintf(stdout, "plotted %s on %s\n", file, *port)
	fmt.Fprintf(stdout, "  lines      %d\n", sum.Lines)
	fmt.Fprintf(stdout, "  bytes      %d\n", sum.Bytes)
	fmt.Fprintf(stdout, "  duration   %v (streaming %v)\n", sum.Duration.Round(100*time.Millisecond), sum.StreamDuration.Round(100*time.Millisecond))
	if sum.Utilisation > 0 {
		fmt.Fprintf(stdout, "  link       %.0f%% of %d baud (%s)\n", 100*sum.Utilisation, *baud, sum.Protocol)
	}
	fmt.Fprintf(stdout, "  watchdog   %d lost acknowledgements recovered\n", sum.Recoveries)
	if sum.Resends > 0 || info.Protocol == serialstream.ProtocolLineChecksum {
		fmt.Fprintf(stdout, "  resends    %d\n", sum.Resends)
	}
	return nil
}

// readProgram reads a G-code file ("-" is standard input) into lines.
func readProgram(path string) ([]string, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("cannot read the program: %w", err)
		}
		defer f.Close()
		r = f
	}
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the program %s: %w", path, err)
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("the program %s is empty", path)
	}
	return lines, nil
}

// plotStatus is the text after the progress bar: lines, time left and the controller's state.
func plotStatus(p serialstream.Progress) string {
	eta := "--"
	switch {
	case p.ETA > 0:
		eta = p.ETA.String()
	case p.Acked > 0 && p.Acked < p.Total:
		eta = "<1s"
	}
	state := p.State
	if p.Paused {
		state = "paused"
	}
	return strings.TrimSpace(fmt.Sprintf("%d/%d lines  ETA %s  %s", p.Acked, p.Total, eta, state))
}
