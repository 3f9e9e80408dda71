package serialstream

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/quillpost/quillpost/internal/fwcheck"
	"github.com/quillpost/quillpost/internal/profile"
)

// Handshake reads the controller's settings and compares them with the profile before any job:
// GRBL and FluidNC answer $$, $# and $I; Marlin M503 and M115; Klipper SET_VELOCITY_LIMIT and
// M115. Where the profile names a work offset, G54 is set to it (G10 L2 P1, which GRBL keeps in
// EEPROM); with homing = "optional" a controller that has homing enabled is homed. When settings
// disagree it returns a *fwcheck.Error naming each one and the value to set; nothing has moved
// and no pen has been lowered.
func (c *Controller) Handshake(ctx context.Context, p *profile.Profile) (fwcheck.Settings, error) {
	release, err := c.claim()
	if err != nil {
		return fwcheck.Settings{}, err
	}
	defer release()
	if err := c.checkLink(ctx); err != nil {
		return fwcheck.Settings{}, err
	}
	s := fwcheck.Settings{Dialect: c.cfg.Dialect}
	ask := func(cmd string, parse func(*fwcheck.Settings, []string) error) error {
		lines, err := c.query(ctx, cmd, c.cfg.AckTimeout)
		if err != nil {
			return fmt.Errorf("reading the controller's settings with %s: %w", cmd, err)
		}
		if err := parse(&s, lines); err != nil {
			return fmt.Errorf("the controller's answer to %s: %w", cmd, err)
		}
		return nil
	}
	switch {
	case c.cfg.grbl():
		for _, q := range []struct {
			cmd   string
			parse func(*fwcheck.Settings, []string) error
		}{{"$$", fwcheck.ParseGRBLSettings}, {"$I", fwcheck.ParseGRBLInfo}, {"$#", fwcheck.ParseGRBLOffsets}} {
			if err := ask(q.cmd, q.parse); err != nil {
				return s, err
			}
		}
		if w := p.Controller; w.HasWorkOffset && (!s.HasWorkOffset || math.Abs(s.WorkOffset.X-w.WorkOffset.X) > 1e-3 || math.Abs(s.WorkOffset.Y-w.WorkOffset.Y) > 1e-3) {
			line := "G10 L2 P1 X" + strconv.FormatFloat(w.WorkOffset.X, 'f', 3, 64) + " Y" + strconv.FormatFloat(w.WorkOffset.Y, 'f', 3, 64)
			c.log.Info("setting the work offset from the profile", "line", line, "was", s.WorkOffset)
			if err := c.command(ctx, line, c.cfg.AckTimeout); err != nil {
				return s, fmt.Errorf("setting the work offset with %s: %w", line, err)
			}
			if err := ask("$#", fwcheck.ParseGRBLOffsets); err != nil {
				return s, err
			}
		}
	case c.cfg.Dialect == DialectMarlin:
		if err := ask("M503", fwcheck.ParseMarlinSettings); err != nil {
			return s, err
		}
		if err := ask("M115", fwcheck.ParseMarlinCaps); err != nil {
			return s, err
		}
	default:
		if err := ask("SET_VELOCITY_LIMIT", fwcheck.ParseKlipperLimits); err != nil {
			return s, err
		}
		if err := ask("M115", fwcheck.ParseMarlinCaps); err != nil {
			return s, err
		}
	}
	if ms := fwcheck.Check(p, s); len(ms) > 0 {
		return s, &fwcheck.Error{Profile: p.Name, Mismatches: ms}
	}
	if v, ok := s.Get("$22"); ok && v != 0 && p.Homing == profile.HomingOptional {
		if err := c.command(ctx, "$H", c.cfg.HomeTimeout); err != nil {
			return s, fmt.Errorf("homing at setup: %w", err)
		}
	}
	return s, nil
}

// SetOrigin makes the pen's present position work zero in X and Y: the operator's "set origin
// here" for a machine without homing switches (G10 L20 P1 X0 Y0 on GRBL and FluidNC, which
// persists; G92 X0 Y0 on Marlin and Klipper, until the next reset).
func (c *Controller) SetOrigin(ctx context.Context) error {
	release, err := c.claim()
	if err != nil {
		return err
	}
	defer release()
	if err := c.checkLink(ctx); err != nil {
		return err
	}
	line := "G92 X0 Y0"
	if c.cfg.grbl() {
		line = "G10 L20 P1 X0 Y0"
	}
	if err := c.command(ctx, line, c.cfg.AckTimeout); err != nil {
		return fmt.Errorf("setting the origin with %s: %w", line, err)
	}
	return nil
}

// claim takes the controller for a setup exchange, as Stream takes it for a job.
func (c *Controller) claim() (func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctl != nil || c.setup {
		return nil, &Error{Kind: ErrBusy}
	}
	c.setup = true
	return func() {
		c.mu.Lock()
		c.setup = false
		c.mu.Unlock()
	}, nil
}

// query sends one command and returns what the controller printed before its ok; status reports
// and Marlin's busy lines are left out.
func (c *Controller) query(ctx context.Context, line string, timeout time.Duration) ([]string, error) {
	if err := c.write([]byte(line + "\n")); err != nil {
		return nil, err
	}
	var out []string
	err := c.await(ctx, timeout, func(r Reply) (bool, error) {
		switch r.Kind {
		case ReplyOK:
			return true, nil
		case ReplyError, ReplyAlarm, ReplyMarlinError, ReplyKlipperError, ReplyUnknownCommand:
			return false, fmt.Errorf("%s answered %q", line, r.Text)
		case ReplyStatus, ReplyBusy:
			return false, nil
		}
		out = append(out, r.Text)
		return false, nil
	})
	if errors.Is(err, ErrTimeout) {
		return out, fmt.Errorf("no ok within %v: %w", timeout, err)
	}
	return out, err
}
