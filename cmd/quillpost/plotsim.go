package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/quillpost/quillpost/internal/plotsim"
	"github.com/quillpost/quillpost/internal/profile"
)

func init() {
	register("plotsim", "run a virtual plotter on a pseudo-terminal and record what it draws", runPlotsim)
}

// faultFlags collects --fault, which may be repeated or hold a comma-separated list.
type faultFlags []plotsim.Fault

func (f *faultFlags) String() string {
	parts := make([]string, len(*f))
	for i, x := range *f {
		parts[i] = x.String()
	}
	return strings.Join(parts, ",")
}

func (f *faultFlags) Set(s string) error {
	fs, err := plotsim.ParseFaults(s)
	if err != nil {
		return err
	}
	*f = append(*f, fs...)
	return nil
}

func runPlotsim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plotsim", "[flags]", stdout)
	fs.notes = "Runs a virtual GRBL or Marlin plotter and prints its device path as the first line;\nstop it with Ctrl-C to write the recording."
	dialect := fs.String("dialect", "", "controller dialect: grbl, fluidnc, marlin or klipper (default grbl, or the profile's)")
	speed := fs.Float64("speed", 1, "simulated time: 0 instant, 1 real time, N times faster")
	rx := fs.Int("rx-buffer", 0, "serial receive buffer in bytes (default 128, or the profile's)")
	baud := fs.Int("baud", 0, "throttle the link to this baud rate, 10 bits a byte (0: as fast as the terminal)")
	record := fs.String("record", "", "write the pen-down paths as SVG (machine mm) to this file on exit")
	prof := fs.String("profile", "", "set the plotter up like this firmware profile: dialect, work area, pen, buffers, feeds")
	logf := fs.logFlags("log what the plotter does to stderr", slog.LevelWarn)
	stock := fs.Bool("stock-grbl", false, "set the controller up as GRBL 1.1 ships: homing off ($22=0), soft limits on, $30=1000,\nits travel at negative machine coordinates (the work area's size)")
	noSwitches := fs.Bool("no-switches", false, "homing is on but no limit switch is wired: $H ends in ALARM:8")
	var faults faultFlags
	fs.Var(&faults, "fault", "inject faults, kind@line[:n], repeatable or comma-separated;\nkinds: error, drop, corrupt, lose-ok, disconnect, alarm, stall, hold (hold@N:1 opens the door)")
	if err := fs.parse(args, 0); err != nil {
		return err
	}
	cfg := plotsim.Config{Speed: *speed, Baud: *baud, Faults: faults}
	if *prof != "" {
		p, err := fs.lookupProfile(*prof)
		if err != nil {
			return err
		}
		if cfg, err = plotsimConfig(p, cfg); err != nil {
			return err
		}
	}
	if *dialect != "" {
		cfg.Dialect = *dialect
	}
	if *stock {
		w, h := 300.0, 220.0
		if cfg.Area.W() > 0 {
			w, h = cfg.Area.W(), cfg.Area.H()
		}
		cfg = plotsim.StockGRBL(cfg, w, h)
	}
	cfg.NoSwitches = *noSwitches
	if *rx != 0 {
		cfg.RXBuffer = *rx
	}
	cfg.Logger = logf.logger(stderr)
	// The recording streams to its file as the pen draws, so an hour of plotting costs no memory;
	// the file is opened now, to fail before the plotting rather than after.
	var (
		recFile *os.File
		rec     *plotsim.SVGRecorder
	)
	if *record != "" {
		full, err := cfg.WithDefaults()
		if err != nil {
			return err
		}
		if recFile, err = os.Create(*record); err != nil {
			return fmt.Errorf("cannot write the recording: %w", err)
		}
		defer recFile.Close()
		if rec, err = plotsim.NewSVGRecorder(recFile, full.Area, 0.4); err != nil {
			return err
		}
		cfg.Record, cfg.KeepStrokes = rec.Stroke, 1
	}
	sim, err := plotsim.Start(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, sim.Path())
	if f, ok := stdout.(interface{ Sync() error }); ok {
		f.Sync()
	}
	c := sim.Config()
	fmt.Fprintf(stderr, "virtual %s plotter on %s (rx buffer %d bytes, speed %g, work area %g×%g mm); Ctrl-C stops it\n",
		c.Dialect, sim.Path(), c.RXBuffer, c.Speed, c.Area.W(), c.Area.H())
	select {
	case <-ctx.Done():
	case <-sim.Done():
		fmt.Fprintln(stderr, "the plotter disconnected (injected fault)")
	}
	sim.Close()
	st := sim.Stats()
	fmt.Fprintf(stderr, "received %d lines (%d bytes); answered %d ok, %d errors; %d alarms, %d resets, %d resends; drew %d strokes\n",
		st.Lines, st.BytesIn, st.OKs, st.Errors, st.Alarms, st.Resets, st.Resends, st.Strokes)
	if err := sim.Err(); err != nil {
		fmt.Fprintf(stderr, "PROTOCOL VIOLATION: %v\n", err)
	}
	if rec != nil {
		werr := rec.Close()
		if cerr := recFile.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("writing the recording to %s: %w", *record, werr)
		}
		fmt.Fprintf(stderr, "recording written to %s\n", *record)
	}
	return nil
}

// plotsimConfig sets a virtual plotter up like the machine a firmware profile describes.
func plotsimConfig(p *profile.Profile, cfg plotsim.Config) (plotsim.Config, error) {
	return plotsim.ForProfile(p, cfg)
}
