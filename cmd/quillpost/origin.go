package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/quillpost/quillpost/internal/profile"
	"github.com/quillpost/quillpost/internal/serialstream"
)

func init() {
	register("origin", "set the pen's present position as work zero (robots without homing switches)", runOrigin)
}

// runOrigin is the operator's "set origin here" at robot setup: jog the pen to the work area's
// corner (work zero) with the machine's own controls, then run this.
func runOrigin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("origin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.String("port", "", "serial port of the plotter, such as /dev/ttyUSB0")
	profName := fs.String("profile", "", "firmware profile of the plotter")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: quillpost origin --port PATH --profile NAME\n\nMakes the pen's present position work zero (G10 L20 P1 X0 Y0 on GRBL and FluidNC, G92 X0 Y0\non Marlin and Klipper), then checks the controller's settings against the profile.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *port == "" || *profName == "" || fs.NArg() != 0 {
		fs.Usage()
		return errors.New("need --port and --profile")
	}
	p, err := profile.Lookup(*profName)
	if err != nil {
		return err
	}
	sp, err := serialstream.Open(*port, p.Baud)
	if err != nil {
		return err
	}
	c, err := serialstream.Connect(ctx, sp, serialstream.Config{
		Dialect: p.Dialect, Protocol: p.Protocol.Kind, RXBuffer: p.Protocol.RXBuffer, QueueDepth: p.Protocol.QueueDepth,
		PenUp: p.PenUp.Commands, PenDown: p.PenDown.Commands, Baud: p.Baud,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		sp.Close()
		return err
	}
	defer c.Close()
	if err := c.SetOrigin(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "origin set at the pen's present position")
	if _, err := c.Handshake(ctx, p); err != nil {
		return fmt.Errorf("the origin is set, but the robot is not ready: %w", err)
	}
	fmt.Fprintf(stdout, "the controller's settings match the profile %s\n", p.Name)
	return nil
}
