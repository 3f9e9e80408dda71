package profile

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Limits outside which a value is a typo rather than a machine.
const (
	maxFeed      = 100000 // mm/min
	maxAccel     = 100000 // mm/s²
	maxArea      = 10000  // mm; no desk plotter is 10 m wide
	minArea      = 10     // mm
	maxSettle    = 5      // s
	maxPenSpeed  = 100000 // degrees/s or mm/s
	maxZPosition = 500    // mm
	maxPenLines  = 8
	maxSeqLines  = 32
)

var standardBauds = []int{9600, 19200, 38400, 57600, 115200, 230400, 250000, 460800, 500000, 921600, 1000000, 2000000}

// fieldError builds the "file: field: reason" errors every validation failure uses.
type fieldError struct{ file string }

func (f fieldError) err(field, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %s", f.file, field, fmt.Sprintf(format, args...))
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// positive checks 0 < v <= max.
func (f fieldError) positive(field string, v, max float64) error {
	if !finite(v) || v <= 0 {
		return f.err(field, "must be positive, got %g", v)
	}
	if v > max {
		return f.err(field, "must be at most %g, got %g", max, v)
	}
	return nil
}

// within checks lo <= v <= hi.
func (f fieldError) within(field string, v, lo, hi float64) error {
	if !finite(v) || v < lo || v > hi {
		return f.err(field, "must be between %g and %g, got %g", lo, hi, v)
	}
	return nil
}

func validName(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validate checks every field; file labels the errors.
func (p *Profile) validate(file string) error {
	f := fieldError{file}
	if !validName(p.Name) {
		return f.err("name", "must be 1 to 40 lower-case letters, digits and dashes, got %q", p.Name)
	}
	if p.Title == "" || len(p.Title) > 100 {
		return f.err("title", "must be 1 to 100 characters, got %d", len(p.Title))
	}
	for _, r := range p.Title {
		if r < 0x20 || r == 0x7f {
			return f.err("title", "must be one line of printable text")
		}
	}
	switch p.Dialect {
	case DialectGRBL, DialectMarlin, DialectFluidNC, DialectKlipper:
	default:
		return f.err("dialect", "must be grbl, marlin, fluidnc or klipper, got %q", p.Dialect)
	}
	if !slices.Contains(standardBauds, p.Baud) {
		return f.err("baud", "must be a standard rate such as 115200 or 250000, got %d", p.Baud)
	}
	if err := p.validateProtocol(f); err != nil {
		return err
	}
	if err := p.validateGeometry(f); err != nil {
		return err
	}
	if err := f.positive("draw_feed", p.DrawFeed, maxFeed); err != nil {
		return err
	}
	if err := f.positive("travel_feed", p.TravelFeed, maxFeed); err != nil {
		return err
	}
	if err := f.positive("accel", p.Accel, maxAccel); err != nil {
		return err
	}
	if err := f.positive("junction_deviation", p.JunctionDeviation, 1); err != nil {
		return err
	}
	if err := f.within("min_gap", p.MinGap, 0, 5); err != nil {
		return err
	}
	if err := f.within("tolerance", p.Tolerance, 0.001, 0.5); err != nil {
		return err
	}
	if p.Precision < 2 || p.Precision > 6 {
		return f.err("precision", "must be between 2 and 6 decimals, got %d", p.Precision)
	}
	// Rounding to the emitted grid must not eat the tolerance the planner relies on.
	if grid := math.Pow(10, -float64(p.Precision)); grid > p.Tolerance/4 {
		return f.err("precision", "%d decimals round by up to %g mm, too coarse for tolerance %g", p.Precision, grid/2, p.Tolerance)
	}
	if err := p.validatePen(f); err != nil {
		return err
	}
	return p.validateController(f)
}

// homes says whether a sequence runs a homing cycle.
func homes(seq []string) bool {
	for _, l := range seq {
		if w := strings.Fields(strings.ToUpper(l)); len(w) > 0 && (w[0] == "$H" || w[0] == "G28") {
			return true
		}
	}
	return false
}

func (p *Profile) validateController(f fieldError) error {
	switch p.Homing {
	case HomingRequired:
		if !homes(p.Start) {
			return f.err("homing", "required, but start has no homing line ($H or G28); add one or set homing = \"none\"")
		}
	case HomingOptional, HomingNone:
		if homes(p.Start) {
			return f.err("homing", "%s, but start homes; remove the homing line from start or set homing = \"required\"", p.Homing)
		}
	default:
		return f.err("homing", "must be required, optional or none, got %q", p.Homing)
	}
	c := p.Controller
	grbl := p.Dialect == DialectGRBL || p.Dialect == DialectFluidNC
	if c.HasWorkOffset {
		if !grbl {
			return f.err("controller.work_offset_x", "only GRBL and FluidNC machines set work offsets (G54); %s is %s", p.Name, p.Dialect)
		}
		if err := f.within("controller.work_offset_x", c.WorkOffset.X, -maxArea, maxArea); err != nil {
			return err
		}
		if err := f.within("controller.work_offset_y", c.WorkOffset.Y, -maxArea, maxArea); err != nil {
			return err
		}
	}
	if c.SpindleMax != 0 || c.SpindleMin != 0 || c.LaserMode {
		if !grbl {
			return f.err("controller.spindle_max", "spindle settings are GRBL's and FluidNC's; %s is %s", p.Name, p.Dialect)
		}
	}
	if err := f.within("controller.spindle_min", c.SpindleMin, 0, 100000); err != nil {
		return err
	}
	if c.SpindleMax != 0 || c.SpindleMin != 0 {
		if err := f.within("controller.spindle_max", c.SpindleMax, c.SpindleMin+1, 100000); err != nil {
			return err
		}
	}
	if c.LaserMode && p.Actuator == ActuatorServo {
		return f.err("controller.laser_mode", "must be false for a pen on the spindle output: in laser mode M3/M5 do not wait for the moves before them")
	}
	return nil
}

func (p *Profile) validateProtocol(f fieldError) error {
	pr := p.Protocol
	allowed := map[string][]string{
		DialectGRBL:    {ProtocolCharCount, ProtocolSendWait},
		DialectFluidNC: {ProtocolCharCount, ProtocolSendWait},
		DialectMarlin:  {ProtocolLineChecksum, ProtocolSendWait},
		DialectKlipper: {ProtocolSendWait},
	}[p.Dialect]
	if !slices.Contains(allowed, pr.Kind) {
		return f.err("protocol.kind", "%s speaks %v, got %q", p.Dialect, allowed, pr.Kind)
	}
	switch pr.Kind {
	case ProtocolCharCount:
		if pr.RXBuffer < 96 || pr.RXBuffer > 65536 {
			return f.err("protocol.rx_buffer", "char-count needs the controller's serial receive buffer in bytes (GRBL: 128), between 96 and 65536, got %d", pr.RXBuffer)
		}
	case ProtocolLineChecksum:
		if pr.QueueDepth < 1 || pr.QueueDepth > 64 {
			return f.err("protocol.queue_depth", "line-checksum needs the controller's command queue depth (Marlin BUFSIZE: 4), between 1 and 64, got %d", pr.QueueDepth)
		}
	}
	if pr.Kind != ProtocolCharCount && pr.RXBuffer != 0 {
		return f.err("protocol.rx_buffer", "only char-count uses it, got %d with %s", pr.RXBuffer, pr.Kind)
	}
	if pr.Kind != ProtocolLineChecksum && pr.QueueDepth != 0 {
		return f.err("protocol.queue_depth", "only line-checksum uses it, got %d with %s", pr.QueueDepth, pr.Kind)
	}
	return nil
}

func (p *Profile) validateGeometry(f fieldError) error {
	w := p.WorkArea
	for _, c := range []struct {
		field string
		v     float64
	}{{"work_area.min_x", w.Min.X}, {"work_area.min_y", w.Min.Y}, {"work_area.max_x", w.Max.X}, {"work_area.max_y", w.Max.Y}} {
		if err := f.within(c.field, c.v, -maxArea, maxArea); err != nil {
			return err
		}
	}
	if w.W() < minArea {
		return f.err("work_area.max_x", "must exceed min_x %g by at least %d mm, got %g", w.Min.X, minArea, w.Max.X)
	}
	if w.H() < minArea {
		return f.err("work_area.max_y", "must exceed min_y %g by at least %d mm, got %g", w.Min.Y, minArea, w.Max.Y)
	}
	switch p.Card.Rotation {
	case 0, 90, 180, 270:
	default:
		return f.err("card.rotation", "must be 0, 90, 180 or 270, got %d", p.Card.Rotation)
	}
	if !finite(p.Card.Offset.X) || p.Card.Offset.X < w.Min.X || p.Card.Offset.X > w.Max.X {
		return f.err("card.offset_x", "the card's corner must lie in the work area (%g to %g), got %g", w.Min.X, w.Max.X, p.Card.Offset.X)
	}
	if !finite(p.Card.Offset.Y) || p.Card.Offset.Y < w.Min.Y || p.Card.Offset.Y > w.Max.Y {
		return f.err("card.offset_y", "the card's corner must lie in the work area (%g to %g), got %g", w.Min.Y, w.Max.Y, p.Card.Offset.Y)
	}
	return nil
}

func (p *Profile) validatePen(f fieldError) error {
	switch p.Actuator {
	case ActuatorServo:
		if p.Dialect == DialectKlipper {
			return f.err("pen.actuator", "klipper profiles lift the pen on Z: Klipper's SET_SERVO is not plain G-code")
		}
	case ActuatorZ:
	default:
		return f.err("pen.actuator", "must be servo or z, got %q", p.Actuator)
	}
	for _, side := range []struct {
		name string
		m    PenMove
	}{{"pen.up", p.PenUp}, {"pen.down", p.PenDown}} {
		if err := f.within(side.name+".settle_seconds", side.m.SettleSeconds, 0, maxSettle); err != nil {
			return err
		}
		if err := f.positive(side.name+".speed", side.m.Speed, maxPenSpeed); err != nil {
			return err
		}
		if p.Actuator == ActuatorServo {
			if err := f.within(side.name+".position", side.m.Position, 0, 180); err != nil {
				return err
			}
		} else if err := f.within(side.name+".position", side.m.Position, -maxZPosition, maxZPosition); err != nil {
			return err
		}
	}
	if p.PenUp.Position == p.PenDown.Position {
		return f.err("pen.up.position", "must differ from pen.down.position %g", p.PenDown.Position)
	}
	if p.Actuator == ActuatorZ && p.PenUp.Position < p.PenDown.Position {
		return f.err("pen.up.position", "Z up must be above Z down (%g), got %g", p.PenDown.Position, p.PenUp.Position)
	}
	if p.HasRest() {
		if err := p.validateRest(f); err != nil {
			return err
		}
	}
	upOnly, downOnly, err := p.validatePenCommands(f)
	if err != nil {
		return err
	}
	if err := p.validateSequence(f, "start", p.Start, downOnly, upOnly, true); err != nil {
		return err
	}
	return p.validateSequence(f, "end", p.End, downOnly, upOnly, false)
}

// validateRest checks that the rest position lies beyond pen.up, seen from the card: the pen
// must never pass through the card on its way from rest to its travel height.
func (p *Profile) validateRest(f fieldError) error {
	r, up, down := p.PenRest.Position, p.PenUp.Position, p.PenDown.Position
	if p.Actuator == ActuatorServo {
		if err := f.within("pen.rest.position", r, 0, 180); err != nil {
			return err
		}
	} else if err := f.within("pen.rest.position", r, -maxZPosition, maxZPosition); err != nil {
		return err
	}
	if (up > down && r < up) || (up < down && r > up) {
		return f.err("pen.rest.position", "must lie at or beyond pen.up.position %g, away from pen.down.position %g, got %g", up, down, r)
	}
	return nil
}
