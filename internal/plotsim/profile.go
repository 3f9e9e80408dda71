package plotsim

import (
	"fmt"

	"github.com/quillpost/quillpost/internal/gcode"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/profile"
)

// ForProfile sets cfg up as the machine a firmware profile describes, its controller configured
// the way the profile expects: dialect, buffers, travel, rates, acceleration, junction deviation,
// spindle range and homing. A profile with a work offset gets its travel in machine coordinates
// (the work area shifted by the offset), as stock GRBL's negative machine space.
func ForProfile(p *profile.Profile, cfg Config) (Config, error) {
	pen, err := CommandPen(p.PenDown.Commands, p.PenUp.Commands)
	if err != nil {
		return cfg, fmt.Errorf("profile %s: %w", p.Name, err)
	}
	if p.HasRest() && p.Actuator != profile.ActuatorZ {
		// A servo's rest commands (M5) lift the pen too: a stopped job parks it there. A Z pen
		// needs nothing more: its rest height is above the pen-up height, which lifts it.
		rest, err := CommandPen(p.PenDown.Commands, p.PenRest.Commands)
		if err != nil {
			return cfg, fmt.Errorf("profile %s: pen.rest: %w", p.Name, err)
		}
		travel := pen
		pen = func(b gcode.Block, z float64, down bool) bool { return rest(b, z, travel(b, z, down)) }
	}
	cfg.Dialect = p.Dialect
	cfg.Area, cfg.Pen, cfg.RXBuffer = p.WorkArea, pen, p.Protocol.RXBuffer
	if c := p.Controller; c.HasWorkOffset {
		off := c.WorkOffset
		cfg.Area = geom.Rect{Min: p.WorkArea.Min.Add(off), Max: p.WorkArea.Max.Add(off)}
	}
	if p.Protocol.QueueDepth > 0 {
		cfg.QueueDepth = p.Protocol.QueueDepth
	}
	cfg.MaxRate, cfg.Accel, cfg.Junction = p.TravelFeed, p.Accel, p.JunctionDeviation
	if p.Actuator == profile.ActuatorZ && !p.RapidUsesFeed() {
		// The pen-up G0 runs at Z's own maximum rate ($112), which the profile's pen speed names.
		cfg.ZMaxRate = p.PenUp.Speed * 60
	}
	if c := p.Controller; c.SpindleMax != 0 {
		cfg.SpindleMin, cfg.SpindleMax = c.SpindleMin, c.SpindleMax
	}
	cfg.LaserMode = p.Controller.LaserMode
	if p.Homing == profile.HomingNone {
		// No switches: GRBL will not enable soft limits without homing ($20=1 needs $22=1).
		cfg.HomingOff, cfg.SoftOff = true, true
	}
	return cfg, nil
}

// StockGRBL turns cfg into a GRBL 1.1 board as it ships, the way issue reports found it: homing
// off ($22=0), soft limits on, the default spindle range ($30=1000), and the travel at negative
// machine coordinates (homing goes to the far corner, machine zero), width by height mm.
func StockGRBL(cfg Config, width, height float64) Config {
	cfg.Dialect = DialectGRBL
	cfg.Area = geom.Rect{Min: geom.Point{X: -width, Y: -height}}
	cfg.HomingOff, cfg.SoftOff = true, false
	cfg.SpindleMin, cfg.SpindleMax, cfg.LaserMode = 0, 1000, false
	return cfg
}
