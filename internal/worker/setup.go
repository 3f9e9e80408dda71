package worker

import (
	"context"
	"errors"
	"time"

	"github.com/quillpost/quillpost/internal/fwcheck"
	"github.com/quillpost/quillpost/internal/profile"
	"github.com/quillpost/quillpost/internal/queue"
)

// ensureSetup runs the firmware handshake once per connection, before the robot takes any job:
// while the controller's settings disagree with the profile the robot shows "needs a human:
// setup", pulls no job and touches no blank. On success the profile the robot plans with takes
// the controller's own rates, acceleration and junction deviation, so the time model is the
// firmware's.
func (w *Worker) ensureSetup(ctx context.Context) error {
	w.mu.Lock()
	ok, ctrl := w.setupOK, w.ctrl
	w.mu.Unlock()
	if ok || ctrl == nil {
		return nil
	}
	hctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	s, err := ctrl.Handshake(hctx, w.cfg.Profile)
	var fe *fwcheck.Error
	switch {
	case errors.As(err, &fe):
		w.log.Warn("robot needs setup", "err", err)
		w.beat(func(h *queue.Heartbeat) { h.State, h.Error = queue.StateSetup, err.Error() })
		return err
	case err != nil:
		w.dropController() // a controller that cannot answer its settings is in doubt
		w.beat(func(h *queue.Heartbeat) { h.State, h.Error = queue.StateError, "firmware handshake: "+err.Error() })
		return err
	}
	p := fedProfile(w.cfg.Profile, s)
	w.mu.Lock()
	w.setupOK, w.prof = true, p
	w.mu.Unlock()
	w.log.Info("firmware handshake passed", "firmware", s.Firmware, "accel", p.Accel, "travel_feed", p.TravelFeed, "junction_deviation", p.JunctionDeviation)
	w.beat(func(h *queue.Heartbeat) { h.State, h.Error = queue.StateIdle, "" })
	return nil
}

// fedProfile is the profile with the controller's own values for what the time model uses. The
// handshake has already refused values that differ beyond rounding.
func fedProfile(p *profile.Profile, s fwcheck.Settings) *profile.Profile {
	q := p.Clone()
	get := func(keys ...string) (float64, bool) {
		m, any := 0.0, false
		for _, k := range keys {
			if v, ok := s.Get(k); ok && v > 0 && (!any || v < m) {
				m, any = v, true
			}
		}
		return m, any
	}
	switch p.Dialect {
	case profile.DialectGRBL, profile.DialectFluidNC:
		if v, ok := get("$110", "$111"); ok {
			q.TravelFeed = v
		}
		if v, ok := get("$120", "$121"); ok {
			q.Accel = v
		}
		if v, ok := get("$11"); ok {
			q.JunctionDeviation = v
		}
	case profile.DialectMarlin:
		if v, ok := get("M204 P"); ok {
			q.Accel = v
		}
		if v, ok := get("M205 J"); ok {
			q.JunctionDeviation = v
		}
	case profile.DialectKlipper:
		if v, ok := get("max_accel"); ok {
			q.Accel = v
		}
	}
	if q.Validate() != nil {
		return p // never plan with values the profile's own checks would refuse
	}
	return q
}

// profile is the profile the robot plans with: the file's, fed with the controller's settings
// once the handshake passed.
func (w *Worker) profile() *profile.Profile {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.prof != nil {
		return w.prof
	}
	return w.cfg.Profile
}

// recheckSetup makes the robot run the handshake again now (the operator changed a setting).
func (w *Worker) recheckSetup() {
	w.mu.Lock()
	w.setupOK = false
	w.mu.Unlock()
	select {
	case w.recheck <- struct{}{}:
	default:
	}
}
