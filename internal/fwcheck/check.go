package fwcheck

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/quillpost/quillpost/internal/profile"
)

// Mismatch is one setting that disagrees with the profile, as a sentence for the operator that
// names the setting, what the controller says and what to set.
type Mismatch struct {
	Setting string // "$22", "M204 P", "max_accel", or a profile field for travel
	Reason  string
}

func (m Mismatch) String() string { return m.Reason }

// Error is the handshake's refusal: every mismatch, one sentence each.
type Error struct {
	Profile    string
	Mismatches []Mismatch
}

func (e *Error) Error() string {
	parts := make([]string, len(e.Mismatches))
	for i, m := range e.Mismatches {
		parts[i] = m.Reason
	}
	return fmt.Sprintf("the controller's settings disagree with profile %s: %s", e.Profile, strings.Join(parts, "; "))
}

// near says whether a controller's value matches the profile's within rel (relative).
func near(have, want, rel float64) bool {
	return math.Abs(have-want) <= rel*math.Max(math.Abs(want), 1e-9)
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Check compares what the controller reported with the profile. Settings the controller did not
// report are not judged (a fork may lack some), except that GRBL's $$ must at least say
// whether it homes.
func Check(p *profile.Profile, s Settings) []Mismatch {
	switch p.Dialect {
	case profile.DialectGRBL, profile.DialectFluidNC:
		return checkGRBL(p, s)
	case profile.DialectMarlin:
		return checkMarlin(p, s)
	case profile.DialectKlipper:
		return checkKlipper(p, s)
	}
	return nil
}

func checkGRBL(p *profile.Profile, s Settings) []Mismatch {
	var out []Mismatch
	add := func(key, format string, args ...any) {
		out = append(out, Mismatch{Setting: key, Reason: fmt.Sprintf(format, args...)})
	}
	homing, hasHoming := s.Get("$22")
	if p.Homing == profile.HomingRequired {
		switch {
		case !hasHoming && p.Dialect == profile.DialectGRBL:
			add("$22", "the controller did not report $22 (homing) but the profile %s needs homing: check that it is GRBL 1.1 and answers $$", p.Name)
		case hasHoming && homing == 0:
			add("$22", `$22 (homing) is 0 but the profile %s needs homing: set $22=1 or set homing = "none" in the profile`, p.Name)
		}
	}
	if v, ok := s.Get("$13"); ok && v != 0 {
		add("$13", "$13 (report inches) is %s but quillpost reads positions in millimetres: set $13=0", num(v))
	}
	for _, ax := range []struct{ key, name string }{{"$110", "X"}, {"$111", "Y"}} {
		if v, ok := s.Get(ax.key); ok && !near(v, p.TravelFeed, 0.005) {
			add(ax.key, "%s (%s max rate) is %s mm/min but the profile %s travels at %s (G0 runs at the max rate): set %s=%s or travel_feed = %s in the profile",
				ax.key, ax.name, num(v), p.Name, num(p.TravelFeed), ax.key, num(p.TravelFeed), num(v))
		}
	}
	for _, ax := range []struct{ key, name string }{{"$120", "X"}, {"$121", "Y"}} {
		if v, ok := s.Get(ax.key); ok && !near(v, p.Accel, 0.01) {
			add(ax.key, "%s (%s acceleration) is %s mm/s² but the profile %s plans with %s: set %s=%s or accel = %s in the profile",
				ax.key, ax.name, num(v), p.Name, num(p.Accel), ax.key, num(p.Accel), num(v))
		}
	}
	if v, ok := s.Get("$11"); ok && !near(v, p.JunctionDeviation, 0.01) {
		add("$11", "$11 (junction deviation) is %s mm but the profile %s plans with %s: set $11=%s or junction_deviation = %s in the profile",
			num(v), p.Name, num(p.JunctionDeviation), num(p.JunctionDeviation), num(v))
	}
	c := p.Controller
	if c.SpindleMax != 0 {
		if v, ok := s.Get("$30"); ok && !near(v, c.SpindleMax, 1e-6) {
			add("$30", "$30 (max spindle speed) is %s but the profile %s maps the pen's S values to 0..%s: set $30=%s or spindle_max = %s in the profile",
				num(v), p.Name, num(c.SpindleMax), num(c.SpindleMax), num(v))
		}
		if v, ok := s.Get("$31"); ok && !near(v, c.SpindleMin, 1e-6) {
			add("$31", "$31 (min spindle speed) is %s but the profile %s needs %s: set $31=%s", num(v), p.Name, num(c.SpindleMin), num(c.SpindleMin))
		}
	}
	if v, ok := s.Get("$32"); ok && p.Actuator == profile.ActuatorServo && (v != 0) != c.LaserMode {
		want := "0"
		if c.LaserMode {
			want = "1"
		}
		add("$32", "$32 (laser mode) is %s but the profile %s drives the pen from the spindle output and needs %s (in laser mode M3/M5 do not wait for the moves before them): set $32=%s",
			num(v), p.Name, want, want)
	}
	out = append(out, checkTravel(p, s)...)
	return out
}

// checkTravel: with soft limits on, GRBL raises ALARM:2 for any target outside its travel. After
// homing, machine zero is the homed corner; an axis homes to its high end (travel -$13x..0)
// unless its bit in $23 is set (travel 0..$13x). The profile's work area, shifted by the work
// offset, must lie inside.
func checkTravel(p *profile.Profile, s Settings) []Mismatch {
	soft, ok := s.Get("$20")
	if !ok || soft == 0 {
		return nil
	}
	dirs, _ := s.Get("$23")
	off := s.WorkOffset
	if p.Controller.HasWorkOffset {
		off = p.Controller.WorkOffset
	}
	var out []Mismatch
	for i, ax := range []struct {
		name, travelKey, offField string
		lo, hi, off               float64
	}{
		{"X", "$130", "work_offset_x", p.WorkArea.Min.X, p.WorkArea.Max.X, off.X},
		{"Y", "$131", "work_offset_y", p.WorkArea.Min.Y, p.WorkArea.Max.Y, off.Y},
	} {
		travel, ok := s.Get(ax.travelKey)
		if !ok {
			continue
		}
		tlo, thi := -travel, 0.0
		if int(dirs)&(1<<i) != 0 {
			tlo, thi = 0, travel
		}
		mlo, mhi := ax.lo+ax.off, ax.hi+ax.off
		const eps = 1e-6
		if mlo >= tlo-eps && mhi <= thi+eps {
			continue
		}
		if ax.hi-ax.lo > travel+eps {
			out = append(out, Mismatch{Setting: ax.travelKey, Reason: fmt.Sprintf(
				"%s (%s max travel) is %s mm but the profile %s's work area is %s mm wide in %s, and soft limits are on ($20=1): set %s=%s if the machine reaches that far, or shrink the work area",
				ax.travelKey, ax.name, num(travel), p.Name, num(ax.hi-ax.lo), ax.name, ax.travelKey, num(ax.hi-ax.lo))})
			continue
		}
		fix := tlo - ax.lo // puts the work area's low edge at the travel's low end
		out = append(out, Mismatch{Setting: ax.offField, Reason: fmt.Sprintf(
			"the profile %s's work area %s %s to %s lies at machine %s %s to %s, outside the controller's soft-limit travel %s %s to %s ($20=1, %s=%s, $23=%s): set %s = %s in the profile's [controller] table, or turn soft limits off with $20=0",
			p.Name, ax.name, num(ax.lo), num(ax.hi), ax.name, num(mlo), num(mhi), ax.name, num(tlo), num(thi), ax.travelKey, num(travel), num(dirs), ax.offField, num(fix))})
	}
	return out
}

func checkMarlin(p *profile.Profile, s Settings) []Mismatch {
	var out []Mismatch
	add := func(key, format string, args ...any) {
		out = append(out, Mismatch{Setting: key, Reason: fmt.Sprintf(format, args...)})
	}
	for _, ax := range []string{"X", "Y"} {
		if v, ok := s.Get("M203 " + ax); ok && v*60 < p.TravelFeed*(1-0.005) {
			add("M203 "+ax, "M203 %s (max feedrate) is %s mm/s but the profile %s travels at %s mm/min (%s mm/s): set M203 %s%s and save with M500, or travel_feed = %s in the profile",
				ax, num(v), p.Name, num(p.TravelFeed), num(p.TravelFeed/60), ax, num(p.TravelFeed/60), num(v*60))
		}
		if v, ok := s.Get("M201 " + ax); ok && v < p.Accel*(1-0.01) {
			add("M201 "+ax, "M201 %s (max acceleration) is %s mm/s² but the profile %s plans with %s: set M201 %s%s and save with M500, or accel = %s in the profile",
				ax, num(v), p.Name, num(p.Accel), ax, num(p.Accel), num(v))
		}
	}
	if v, ok := s.Get("M204 P"); ok && !near(v, p.Accel, 0.01) {
		add("M204 P", "M204 P (printing acceleration) is %s mm/s² but the profile %s plans with %s: set M204 P%s and save with M500, or accel = %s in the profile",
			num(v), p.Name, num(p.Accel), num(p.Accel), num(v))
	}
	if v, ok := s.Get("M205 J"); ok && !near(v, p.JunctionDeviation, 0.01) {
		add("M205 J", "M205 J (junction deviation) is %s mm but the profile %s plans with %s: set M205 J%s and save with M500, or junction_deviation = %s in the profile",
			num(v), p.Name, num(p.JunctionDeviation), num(p.JunctionDeviation), num(v))
	}
	if arcs, ok := s.Caps["ARCS"]; ok && p.Arcs && !arcs {
		add("Cap:ARCS", "the firmware reports Cap:ARCS:0 (built without ARC_SUPPORT) but the profile %s sends arcs: set arcs = false in the profile", p.Name)
	}
	return out
}

func checkKlipper(p *profile.Profile, s Settings) []Mismatch {
	var out []Mismatch
	add := func(key, format string, args ...any) {
		out = append(out, Mismatch{Setting: key, Reason: fmt.Sprintf(format, args...)})
	}
	if v, ok := s.Get("max_velocity"); ok && v*60 < p.TravelFeed*(1-0.005) {
		add("max_velocity", "max_velocity is %s mm/s but the profile %s travels at %s mm/min (%s mm/s): set max_velocity: %s in printer.cfg, or travel_feed = %s in the profile",
			num(v), p.Name, num(p.TravelFeed), num(p.TravelFeed/60), num(p.TravelFeed/60), num(v*60))
	}
	accel, hasAccel := s.Get("max_accel")
	if hasAccel && !near(accel, p.Accel, 0.01) {
		add("max_accel", "max_accel is %s mm/s² but the profile %s plans with %s: set max_accel: %s in printer.cfg, or accel = %s in the profile",
			num(accel), p.Name, num(p.Accel), num(p.Accel), num(accel))
	}
	if scv, ok := s.Get("square_corner_velocity"); ok && hasAccel && accel > 0 {
		jd := scv * scv * (math.Sqrt2 - 1) / accel
		if !near(jd, p.JunctionDeviation, 0.05) {
			want := math.Sqrt(p.JunctionDeviation * accel / (math.Sqrt2 - 1))
			add("square_corner_velocity", "square_corner_velocity is %s mm/s, a junction deviation of %.4f mm, but the profile %s plans with %s: set square_corner_velocity: %.2f in printer.cfg, or junction_deviation = %.4f in the profile",
				num(scv), jd, p.Name, num(p.JunctionDeviation), want, jd)
		}
	}
	return out
}
