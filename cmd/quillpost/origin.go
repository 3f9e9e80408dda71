package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

func init() {
	register("origin", "set the pen's present position as work zero (robots without homing switches)", runOrigin)
}

// runOrigin is the operator's "set origin here" at robot setup: jog the pen to the work area's
// corner (work zero) with the machine's own controls, then run this.
func runOrigin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("origin", "--port PATH --profile NAME", stdout)
	fs.notes = "Makes the pen's present position work zero (G10 L20 P1 X0 Y0 on GRBL and FluidNC, G92 X0 Y0\non Marlin and Klipper), then checks the controller's settings against the profile."
	pf := fs.plotterFlags()
	logf := fs.logFlags("log the serial conversation to stderr", slog.LevelWarn)
	if err := fs.parse(args, 0); err != nil {
		return err
	}
	p, err := pf.lookup()
	if err != nil {
		return err
	}
	c, err := connect(ctx, *pf.port, controllerConfig(p, logf.logger(stderr)))
	if err != nil {
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
