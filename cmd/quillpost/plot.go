package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/quillpost/quillpost/internal/profile"
	"github.com/quillpost/quillpost/internal/serialstream"
)

func init() {
	register("plot", "stream a G-code file to a plotter over a serial port", runPlot)
}

func runPlot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.String("port", "", "serial port of the plotter, such as /dev/ttyUSB0 (see quillpost ports)")
	profName := fs.String("profile", "", "firmware profile of the plotter (see quillpost profiles)")
	baud := fs.Int("baud", 0, "baud rate (default: the profile's)")
	protocol := fs.String("protocol", "", "streaming protocol: char-count, line-checksum or send-wait (default: the profile's)")
	home := fs.Bool("home", false, "home with $H when GRBL comes up in alarm, instead of unlocking with $X")
	verbose := fs.Bool("v", false, "log the serial conversation to stderr")
	noCheck := fs.Bool("no-check", false, "skip the firmware handshake (comparing the controller's settings with the profile)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: quillpost plot --port PATH --profile NAME [flags] card.gcode\n\nStreams a G-code program to a plotter, with a progress bar, and prints a summary.\nCtrl-C stops the plotter and lifts the pen.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *port == "" || *profName == "" || fs.NArg() != 1 {
		fs.Usage()
		return errors.New("need --port, --profile and one G-code file")
	}
	p, err := profile.Lookup(*profName)
	if err != nil {
		return err
	}
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
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	cfg := serialstream.Config{
		Dialect: p.Dialect, Protocol: *protocol, RXBuffer: p.Protocol.RXBuffer, QueueDepth: p.Protocol.QueueDepth,
		PenUp: p.PenUp.Commands, PenDown: p.PenDown.Commands, PenRest: p.PenRest.Commands, Baud: *baud, Home: *home,
		RapidRate: p.TravelFeed, Accel: p.Accel,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	}
	sp, err := serialstream.Open(*port, *baud)
	if err != nil {
		return err
	}
	c, err := serialstream.Connect(ctx, sp, cfg)
	if err != nil {
		sp.Close()
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
	bar := newProgressBar(stderr)
	sum, err := c.Stream(ctx, lines, bar.update)
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

// progressBar draws the job's progress on stderr: a bar redrawn in place on a terminal, a line
// every 10 % otherwise (a log file should not fill with carriage returns).
type progressBar struct {
	w         io.Writer
	tty       bool
	lastTenth int
	drawn     bool
}

func newProgressBar(w io.Writer) *progressBar {
	b := &progressBar{w: w, lastTenth: -1}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			b.tty = true
		}
	}
	return b
}

func (b *progressBar) update(p serialstream.Progress) {
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
	if !b.tty {
		if t := int(p.Percent / 10); t != b.lastTenth {
			b.lastTenth = t
			fmt.Fprintf(b.w, "%5.1f%%  %d/%d lines  ETA %s\n", p.Percent, p.Acked, p.Total, eta)
		}
		return
	}
	const width = 30
	full := int(p.Percent / 100 * width)
	fmt.Fprintf(b.w, "\r[%s%s] %5.1f%%  %d/%d lines  ETA %-8s %-6s", strings.Repeat("#", full), strings.Repeat(".", width-full),
		p.Percent, p.Acked, p.Total, eta, state)
	b.drawn = true
}

func (b *progressBar) done() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}
