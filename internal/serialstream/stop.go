package serialstream

import (
	"context"
	"fmt"
	"time"
)

// stop brings the machine to a standstill and lifts the pen, as far as the link allows, within
// Config.StopTimeout even when the job's context is already cancelled. owed is the number of oks
// the controller still owes for lines in flight; haltedNow says the firmware has halted (Marlin
// kill) and needs M999 before it listens. It reports whether the pen-up commands were
// acknowledged.
func (c *Controller) stop(parent context.Context, owed int, haltedNow bool) (bool, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), c.cfg.StopTimeout)
	defer cancel()
	if c.cfg.grbl() {
		return c.stopGRBL(ctx)
	}
	return c.stopLineFirmware(ctx, owed, haltedNow)
}

// stopGRBL: feed hold (the machine decelerates and keeps its position), then a soft reset, which
// throws away the lines still in GRBL's buffers; then unlock, pen up, and wait until idle.
func (c *Controller) stopGRBL(ctx context.Context) (bool, error) {
	if err := c.write([]byte{'!'}); err != nil {
		return false, err
	}
	holdUntil := time.Now().Add(time.Second)
	for time.Now().Before(holdUntil) {
		st, err := c.syncStatus(ctx, time.Until(holdUntil))
		if err != nil {
			break
		}
		if st.State == "Idle" || st.State == "Alarm" || st.State == "Sleep" || (st.State == "Hold" && st.SubState == 0) {
			break
		}
	}
	if err := c.write([]byte{0x18}); err != nil {
		return false, err
	}
	err := c.await(ctx, c.cfg.WakeTimeout, func(r Reply) (bool, error) { return r.Kind == ReplyBanner, nil })
	if err != nil {
		return false, fmt.Errorf("no banner after the soft reset: %w", err)
	}
	st, err := c.syncStatus(ctx, c.cfg.AckTimeout)
	if err != nil {
		return false, err
	}
	if st.State == "Alarm" {
		if err := c.command(ctx, "$X", c.cfg.AckTimeout); err != nil {
			return false, fmt.Errorf("unlocking after the reset: %w", err)
		}
	}
	for _, l := range c.cfg.liftCommands() {
		if err := c.command(ctx, l, c.cfg.AckTimeout); err != nil {
			return false, fmt.Errorf("lifting the pen: %w", err)
		}
	}
	for {
		st, err := c.syncStatus(ctx, c.cfg.AckTimeout)
		if err != nil {
			return false, fmt.Errorf("waiting for the pen to lift: %w", err)
		}
		if st.State == "Idle" {
			return len(c.cfg.liftCommands()) > 0, nil
		}
	}
}

// stopLineFirmware: Marlin quick-stops (M410, heard at once by its emergency parser) or is
// revived from a halt with M999; Klipper has no stop short of a firmware shutdown, and after one
// it hears nothing until FIRMWARE_RESTART, which an operator should decide. Then the pen-up
// commands go out, and the sender counts oks until the ones for them have arrived.
func (c *Controller) stopLineFirmware(ctx context.Context, owed int, haltedNow bool) (bool, error) {
	if c.cfg.Dialect == DialectKlipper && haltedNow {
		return false, fmt.Errorf("klipper has shut down; it needs FIRMWARE_RESTART before the pen can be lifted")
	}
	if c.cfg.Dialect == DialectMarlin {
		if haltedNow {
			if err := c.command(ctx, "M999", c.cfg.AckTimeout); err != nil {
				return false, fmt.Errorf("reviving the halted firmware with M999: %w", err)
			}
		} else {
			if err := c.write([]byte("M410\n")); err != nil {
				return false, err
			}
			owed++
		}
	}
	if len(c.cfg.liftCommands()) == 0 {
		return false, nil
	}
	// M400 answers once the moves before it are done: the pen is up when its ok arrives.
	lift := append(append([]string(nil), c.cfg.liftCommands()...), "M400")
	for _, l := range lift {
		if err := c.write([]byte(l + "\n")); err != nil {
			return false, err
		}
	}
	want := owed + len(lift)
	got := 0
	err := c.await(ctx, c.cfg.AckTimeout*time.Duration(want+1), func(r Reply) (bool, error) {
		switch r.Kind {
		case ReplyOK:
			got++
		case ReplyKlipperError, ReplyUnknownCommand:
			return false, fmt.Errorf("the controller refused a pen-up command: %s", r.Text)
		case ReplyMarlinError:
			if !resendable(r.Text) {
				return false, fmt.Errorf("the controller refused a pen-up command: %s", r.Text)
			}
		}
		return got >= want, nil
	})
	if err != nil {
		return false, fmt.Errorf("lifting the pen: %w", err)
	}
	return true, nil
}
