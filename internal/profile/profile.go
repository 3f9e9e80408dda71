// Package profile loads and validates firmware profiles: everything quillpost must know about one
// kind of plotter robot to write safe G-code for it. A profile names the firmware dialect and its
// serial protocol, the machine's hard bounds, where and how the card lies on the bed, how the pen
// goes up and down, feeds and accelerations, and the start and end sequences. Profiles are data
// (the TOML files in firmware-profiles/), checked on load with errors that name file, field and
// reason, because a wrong number in one of them can drive a pen into the frame.
package profile

import (
	"fmt"
	"math"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/quillpost/quillpost/internal/geom"

	firmwareprofiles "github.com/quillpost/quillpost/firmware-profiles"
)

// Dialects, protocols and pen actuators a profile may name.
const (
	DialectGRBL    = "grbl"
	DialectMarlin  = "marlin"
	DialectFluidNC = "fluidnc"
	DialectKlipper = "klipper"

	// ProtocolCharCount is GRBL's character counting: the sender keeps at most RXBuffer bytes
	// unacknowledged in the controller's serial receive buffer.
	ProtocolCharCount = "char-count"
	// ProtocolLineChecksum is Marlin's numbered lines with checksums, "ok" per line and "Resend:
	// N" on a corrupted line; at most QueueDepth lines are in flight.
	ProtocolLineChecksum = "line-checksum"
	// ProtocolSendWait sends one line and waits for its "ok" before the next.
	ProtocolSendWait = "send-wait"

	// ActuatorServo is a hobby servo that swings the pen; the firmware does not wait for it, so
	// the program dwells for the servo's travel and settle time.
	ActuatorServo = "servo"
	// ActuatorZ is a Z axis (a stepper, or FluidNC's RC-servo axis) that the motion planner drives.
	ActuatorZ = "z"
)

// Profile is one validated firmware profile. Coordinates are machine millimetres unless a field
// says otherwise.
type Profile struct {
	Name    string // the file name without .toml
	Title   string // one line for people
	Dialect string // DialectGRBL, DialectMarlin, DialectFluidNC or DialectKlipper
	Baud    int

	Protocol Protocol
	WorkArea geom.Rect // hard bounds in machine mm; no coordinate may leave it
	Card     Placement

	Actuator       string // ActuatorServo or ActuatorZ
	PenUp, PenDown PenMove
	// PenRest is where the pen parks before the first stroke and after the last (a servo's rest
	// angle, a high Z), when the profile names one; between strokes the pen only goes to PenUp,
	// just clear of the card, which makes every lift shorter. Without it (no Commands) the pen
	// rests at PenUp.
	PenRest PenMove

	DrawFeed, TravelFeed     float64 // mm/min; TravelFeed is the speed of G0 (GRBL's max rate)
	Accel, JunctionDeviation float64 // mm/s², mm

	MinGap    float64 // pen-up gaps shorter than this are drawn across (mm)
	Tolerance float64 // simplification and arc-fitting tolerance (mm)
	Arcs      bool    // the firmware executes G2/G3 and may be sent them
	Precision int     // decimals of every emitted coordinate

	Start, End []string // G-code lines sent before the first and after the last stroke

	// Homing is HomingRequired (start homes, the controller must have homing enabled),
	// HomingOptional (start does not home; the robot is homed at setup when the controller has
	// homing enabled, otherwise an operator sets the origin) or HomingNone (an operator sets the
	// origin at setup: "set origin here").
	Homing     string
	Controller Controller
}

// Homing modes.
const (
	HomingRequired = "required"
	HomingOptional = "optional"
	HomingNone     = "none"
)

// Controller is what the controller's own settings must say for the profile's programs to run as
// planned. The firmware handshake reads the settings and refuses jobs while they disagree with
// these values or with the profile's feeds, acceleration, junction deviation and work area.
type Controller struct {
	// WorkOffset is the machine position of work zero (G54), for GRBL and FluidNC machines whose
	// homing leaves the work area at negative machine coordinates: the handshake sets G54 to it
	// (G10 L2 P1), so the profile's work area and card stay in positive work coordinates.
	WorkOffset    geom.Point
	HasWorkOffset bool
	// SpindleMin and SpindleMax are GRBL's $31 and $30: the S range a servo's angle is mapped
	// from. Zero SpindleMax: not checked.
	SpindleMin, SpindleMax float64
	// LaserMode is GRBL's $32. It must be off for a pen on the spindle output, or M3/M5 would not
	// wait for the moves before them.
	LaserMode bool
}

// Protocol says how a sender streams lines to the controller.
type Protocol struct {
	Kind       string // ProtocolCharCount, ProtocolLineChecksum or ProtocolSendWait
	RXBuffer   int    // bytes of serial receive buffer (char-count only)
	QueueDepth int    // lines in flight (line-checksum only)
}

// Placement says where and how the card lies on the bed. A card point (x right, y down, mm from
// the card's top-left corner) is rotated as the table below says, each machine axis is negated
// when its flip is set, and Offset is added:
//
//	Rotation   card +x goes to   card +y goes to
//	0          machine +X        machine +Y
//	90         machine +Y        machine -X
//	180        machine -X        machine -Y
//	270        machine -Y        machine +X
//
// So Offset is the machine position of the card's top-left corner. A bed whose Y axis points
// away from the operator, with the card lying the right way up, is Rotation 0 with FlipY.
type Placement struct {
	Offset       geom.Point
	Rotation     int // degrees: 0, 90, 180 or 270
	FlipX, FlipY bool
}

// PenMove is one pen transition (up or down).
type PenMove struct {
	Commands      []string // G-code lines, validated; never user text
	SettleSeconds float64  // time for the pen to stop bouncing after it arrives
	Position      float64  // where the actuator goes: servo degrees, or Z in mm
	Speed         float64  // how fast it gets there: degrees/s for a servo, mm/s for Z
}

// ToMachine maps a card point to machine coordinates. It only negates, swaps and adds, so the
// result is exact and the same on every platform (no fused multiply-add can creep in).
func (p *Profile) ToMachine(c geom.Point) geom.Point {
	var u geom.Point
	switch p.Card.Rotation {
	case 90:
		u = geom.Point{X: -c.Y, Y: c.X}
	case 180:
		u = geom.Point{X: -c.X, Y: -c.Y}
	case 270:
		u = geom.Point{X: c.Y, Y: -c.X}
	default:
		u = c
	}
	if p.Card.FlipX {
		u.X = -u.X
	}
	if p.Card.FlipY {
		u.Y = -u.Y
	}
	return geom.Point{X: p.Card.Offset.X + u.X, Y: p.Card.Offset.Y + u.Y}
}

// ToCard is the inverse of ToMachine.
func (p *Profile) ToCard(m geom.Point) geom.Point {
	u := geom.Point{X: m.X - p.Card.Offset.X, Y: m.Y - p.Card.Offset.Y}
	if p.Card.FlipX {
		u.X = -u.X
	}
	if p.Card.FlipY {
		u.Y = -u.Y
	}
	switch p.Card.Rotation {
	case 90:
		return geom.Point{X: u.Y, Y: -u.X}
	case 180:
		return geom.Point{X: -u.X, Y: -u.Y}
	case 270:
		return geom.Point{X: -u.Y, Y: u.X}
	}
	return u
}

// PenLiftSeconds returns how long raising and lowering the pen take, all in: the actuator's
// travel between the two positions at its speed, plus the settle time. A servo that swings
// further takes longer, which a plot-time estimate must know.
func (p *Profile) PenLiftSeconds() (up, down float64) {
	travel := math.Abs(p.PenUp.Position - p.PenDown.Position)
	return p.PenUp.SettleSeconds + travel/p.PenUp.Speed, p.PenDown.SettleSeconds + travel/p.PenDown.Speed
}

// HasRest reports whether the profile parks the pen higher than PenUp at the card's start and end.
func (p *Profile) HasRest() bool { return len(p.PenRest.Commands) > 0 }

// FirstLiftSeconds returns how long the first pen-up of a card takes, settle included: from the
// rest position (where the start sequence leaves the pen) to PenUp. Without a rest position the
// pen's state after the start sequence is not known, so it is a full lift from PenDown.
func (p *Profile) FirstLiftSeconds() float64 {
	if !p.HasRest() {
		up, _ := p.PenLiftSeconds()
		return up
	}
	return p.PenUp.SettleSeconds + math.Abs(p.PenRest.Position-p.PenUp.Position)/p.PenUp.Speed
}

// FirstLiftDwellSeconds is PenDwellSeconds for the first pen-up of a card: a servo's dwell covers
// its swing (FirstLiftSeconds), a Z axis only settles because the planner waits for the move.
func (p *Profile) FirstLiftDwellSeconds() float64 {
	if p.Actuator == ActuatorZ {
		return p.PenUp.SettleSeconds
	}
	return p.FirstLiftSeconds()
}

// PenDwellSeconds returns the dwell the program must insert after each pen command. The firmware
// does not know when a servo arrives, so a servo's dwell covers its travel and settle; a Z axis is
// moved by the motion planner, which already waits for the move, so only the settle remains.
func (p *Profile) PenDwellSeconds() (up, down float64) {
	if p.Actuator == ActuatorZ {
		return p.PenUp.SettleSeconds, p.PenDown.SettleSeconds
	}
	return p.PenLiftSeconds()
}

// DwellQuantum is the step in which the firmware runs a G4 dwell: GRBL 1.1 counts dwells in
// 50 ms steps, rounding up (G4 P0.189 runs 0.200 s); the others run them to the millisecond.
func (p *Profile) DwellQuantum() float64 {
	if p.Dialect == DialectGRBL {
		return 0.05
	}
	return 0.001
}

// FirmwareDwell is how long the firmware dwells for a dwell of secs in a program: rounded up to
// the millisecond by the emitter, then to the firmware's own step.
func (p *Profile) FirmwareDwell(secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	ms := math.Ceil(secs*1000 - 1e-9)
	q := math.Round(p.DwellQuantum() * 1000)
	return math.Ceil(ms/q-1e-9) * q / 1000
}

// PenCycleSeconds returns how long the firmware spends raising and lowering the pen, as it runs
// the program's pen commands: a servo's dwell (PenDwellSeconds) rounded as the firmware rounds
// it; for a Z axis the planned Z move (from rest to rest at accel, cruising at the pen speed)
// plus the settle dwell. This, not PenLiftSeconds, is what a plot-time estimate must add per lift.
func (p *Profile) PenCycleSeconds() (up, down float64) {
	upDwell, downDwell := p.PenDwellSeconds()
	up, down = p.FirmwareDwell(upDwell), p.FirmwareDwell(downDwell)
	if p.Actuator != ActuatorZ {
		return up, down
	}
	// A Z pen is a planned move at right angles to the moves before and after it. Without a
	// dwell in between, the planner does not stop there but takes the corner (PenCorners).
	l := math.Abs(p.PenUp.Position - p.PenDown.Position)
	travelIn, travelOut, drawIn, drawOut := p.PenCorners()
	down += zMoveTime(l, travelOut, drawIn, p.PenDown.Speed, p.Accel)
	up += zMoveTime(l, drawOut, travelIn, p.PenUp.Speed, p.Accel)
	return up, down
}

// FirstLiftCycleSeconds is PenCycleSeconds for the first pen-up of a card, which starts from
// rest (or, without one, from PenDown): a servo's dwell as the firmware rounds it; for a Z axis the
// planned Z move from a standstill (nothing moves before it) plus the settle dwell. This, not
// FirstLiftSeconds, is what a plot-time estimate must add once per card.
func (p *Profile) FirstLiftCycleSeconds() float64 {
	secs := p.FirmwareDwell(p.FirstLiftDwellSeconds())
	if p.Actuator != ActuatorZ {
		return secs
	}
	from := p.PenDown.Position
	if p.HasRest() {
		from = p.PenRest.Position
	}
	travelIn, _, _, _ := p.PenCorners()
	return secs + zMoveTime(math.Abs(from-p.PenUp.Position), 0, travelIn, p.PenUp.Speed, p.Accel)
}

// PenCorners returns the speeds (mm/s) at which a Z pen's planned moves join the moves around
// them, at GRBL's junction-deviation corner speed for a right angle (v² = a·δ·sin45°/(1−sin45°)),
// capped by both moves' speeds; zero where a dwell stops the machine, and for servo pens (the
// spindle or M400 waits for the moves before it). travelIn: a pen-up travel starts (after the
// lift); travelOut: it ends (into the drop); drawIn: a stroke starts; drawOut: it ends.
func (p *Profile) PenCorners() (travelIn, travelOut, drawIn, drawOut float64) {
	if p.Actuator != ActuatorZ {
		return 0, 0, 0, 0
	}
	upDwell, downDwell := p.PenDwellSeconds()
	a, vDraw, vTravel := p.Accel, p.DrawFeed/60, p.TravelFeed/60
	corner := func(v1, v2 float64) float64 {
		return math.Min(math.Sqrt(a*p.JunctionDeviation*math.Sqrt2/2/(1-math.Sqrt2/2)), math.Min(v1, v2))
	}
	travelOut = corner(vTravel, p.PenDown.Speed)
	drawOut = corner(vDraw, p.PenUp.Speed)
	if downDwell <= 0 {
		drawIn = corner(p.PenDown.Speed, vDraw)
	}
	if upDwell <= 0 {
		travelIn = corner(p.PenUp.Speed, vTravel)
	}
	return travelIn, travelOut, drawIn, drawOut
}

// zMoveTime is the time of a move of length l entering at v0, leaving at v1, cruising at most at
// v, with acceleration a.
func zMoveTime(l, v0, v1, v, a float64) float64 {
	if l <= 0 || v <= 0 {
		return 0
	}
	v0, v1 = math.Min(v0, v), math.Min(v1, v)
	da, dd := (v*v-v0*v0)/(2*a), (v*v-v1*v1)/(2*a)
	if da+dd <= l {
		return (v-v0)/a + (v-v1)/a + (l-da-dd)/v
	}
	peak := math.Max(math.Sqrt((2*a*l+v0*v0+v1*v1)/2), math.Max(v0, v1))
	return (peak-v0)/a + (peak-v1)/a
}

// RapidUsesFeed reports whether G0 moves at the modal feed rate (Marlin, Klipper) rather than at
// the machine's maximum rate (GRBL, FluidNC); travel moves must then carry their own F.
func (p *Profile) RapidUsesFeed() bool {
	return p.Dialect == DialectMarlin || p.Dialect == DialectKlipper
}

// DwellMilliseconds reports whether G4 P counts milliseconds (Marlin, Klipper) rather than
// seconds (GRBL, FluidNC).
func (p *Profile) DwellMilliseconds() bool {
	return p.Dialect == DialectMarlin || p.Dialect == DialectKlipper
}

// Clone returns a deep copy, so a caller may adjust a profile without touching the shared ones.
func (p *Profile) Clone() *Profile {
	q := *p
	q.PenUp.Commands = slices.Clone(p.PenUp.Commands)
	q.PenDown.Commands = slices.Clone(p.PenDown.Commands)
	q.PenRest.Commands = slices.Clone(p.PenRest.Commands)
	q.Start = slices.Clone(p.Start)
	q.End = slices.Clone(p.End)
	return &q
}

// Validate checks a profile built in code the way Parse checks a file; errors name the profile's
// file and the field.
func (p *Profile) Validate() error {
	label := "profile"
	if p.Name != "" {
		label = p.Name + ".toml"
	}
	return p.validate(label)
}

var embedded = sync.OnceValues(func() ([]*Profile, error) {
	entries, err := firmwareprofiles.FS.ReadDir(".")
	if err != nil {
		return nil, fmt.Errorf("read embedded firmware profiles: %w", err)
	}
	var all []*Profile
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".toml" {
			continue
		}
		data, err := firmwareprofiles.FS.ReadFile(e.Name())
		if err != nil {
			return nil, fmt.Errorf("read embedded firmware profile %s: %w", e.Name(), err)
		}
		p, err := Parse(e.Name(), data)
		if err != nil {
			return nil, err
		}
		all = append(all, p)
	}
	slices.SortFunc(all, func(a, b *Profile) int { return strings.Compare(a.Name, b.Name) })
	return all, nil
})

// All returns copies of every embedded profile, sorted by name. The embedded files are part of
// the build and tested; one that fails to load is a programming error and panics.
func All() []*Profile {
	all, err := embedded()
	if err != nil {
		panic("profile: " + err.Error())
	}
	out := make([]*Profile, len(all))
	for i, p := range all {
		out[i] = p.Clone()
	}
	return out
}

// Lookup returns a copy of the embedded profile with the given name.
func Lookup(name string) (*Profile, error) {
	all := All()
	names := make([]string, len(all))
	for i, p := range all {
		if p.Name == name {
			return p, nil
		}
		names[i] = p.Name
	}
	return nil, fmt.Errorf("unknown firmware profile %q; known profiles: %s", name, strings.Join(names, ", "))
}
