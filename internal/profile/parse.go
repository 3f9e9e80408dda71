package profile

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/quillpost/quillpost/internal/geom"
)

// Defaults for the optional fields.
const (
	DefaultMinGap    = 0.2  // mm; AxiDraw draws across gaps this small instead of lifting
	DefaultTolerance = 0.05 // mm; well under a fine pen's line width
	DefaultPrecision = 3    // decimals: a micrometre, finer than any hobby stepper
	// DefaultSettleSeconds is the settle time of a pen move whose profile does not give one: long
	// enough for a servo-driven pen to stop bouncing, so a profile that leaves it out writes
	// slowly rather than blotting.
	DefaultSettleSeconds = 0.1
)

// fileProfile mirrors the TOML file; README.md in firmware-profiles documents every key.
type fileProfile struct {
	Name              string   `toml:"name"`
	Title             string   `toml:"title"`
	Dialect           string   `toml:"dialect"`
	Baud              int      `toml:"baud"`
	DrawFeed          float64  `toml:"draw_feed"`
	TravelFeed        float64  `toml:"travel_feed"`
	Accel             float64  `toml:"accel"`
	JunctionDeviation float64  `toml:"junction_deviation"`
	MinGap            float64  `toml:"min_gap"`
	Tolerance         float64  `toml:"tolerance"`
	Arcs              bool     `toml:"arcs"`
	Precision         int      `toml:"precision"`
	Start             []string `toml:"start"`
	End               []string `toml:"end"`
	Homing            string   `toml:"homing"`
	Controller        struct {
		WorkOffsetX float64 `toml:"work_offset_x"`
		WorkOffsetY float64 `toml:"work_offset_y"`
		SpindleMin  float64 `toml:"spindle_min"`
		SpindleMax  float64 `toml:"spindle_max"`
		LaserMode   bool    `toml:"laser_mode"`
	} `toml:"controller"`
	Protocol struct {
		Kind       string `toml:"kind"`
		RXBuffer   int    `toml:"rx_buffer"`
		QueueDepth int    `toml:"queue_depth"`
	} `toml:"protocol"`
	WorkArea struct {
		MinX float64 `toml:"min_x"`
		MinY float64 `toml:"min_y"`
		MaxX float64 `toml:"max_x"`
		MaxY float64 `toml:"max_y"`
	} `toml:"work_area"`
	Card struct {
		OffsetX  float64 `toml:"offset_x"`
		OffsetY  float64 `toml:"offset_y"`
		Rotation int     `toml:"rotation"`
		FlipX    bool    `toml:"flip_x"`
		FlipY    bool    `toml:"flip_y"`
	} `toml:"card"`
	Pen struct {
		Actuator string  `toml:"actuator"`
		Up       filePen `toml:"up"`
		Down     filePen `toml:"down"`
		Rest     filePen `toml:"rest"`
	} `toml:"pen"`
}

type filePen struct {
	Commands      []string `toml:"commands"`
	SettleSeconds float64  `toml:"settle_seconds"`
	Position      float64  `toml:"position"`
	Speed         float64  `toml:"speed"`
}

// required lists the keys a profile must spell out: every one of them moves the machine, and a
// silent zero would be a wrong default rather than a safe one.
var required = []string{
	"name", "title", "dialect", "baud",
	"draw_feed", "travel_feed", "accel", "junction_deviation",
	"start", "end",
	"protocol.kind",
	"work_area.min_x", "work_area.min_y", "work_area.max_x", "work_area.max_y",
	"card.offset_x", "card.offset_y", "card.rotation", "card.flip_x", "card.flip_y",
	"pen.actuator",
	"pen.up.commands", "pen.up.position", "pen.up.speed",
	"pen.down.commands", "pen.down.position", "pen.down.speed",
}

// Parse decodes and validates one profile. name is the file name ("grbl-servo.toml"); the
// profile's name key must match it. Unknown keys are errors, so a typo cannot silently fall back
// to a default.
func Parse(name string, data []byte) (*Profile, error) {
	file := path.Base(name)
	if !strings.HasSuffix(file, ".toml") {
		file += ".toml"
	}
	var f fileProfile
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", file, describeTOMLError(err))
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("%s: %s: unknown field", file, und[0])
	}
	for _, key := range required {
		if !md.IsDefined(strings.Split(key, ".")...) {
			return nil, fmt.Errorf("%s: %s: missing", file, key)
		}
	}
	p := &Profile{
		Name:    f.Name,
		Title:   f.Title,
		Dialect: f.Dialect,
		Baud:    f.Baud,
		Protocol: Protocol{
			Kind:       f.Protocol.Kind,
			RXBuffer:   f.Protocol.RXBuffer,
			QueueDepth: f.Protocol.QueueDepth,
		},
		WorkArea: geom.Rect{
			Min: geom.Point{X: f.WorkArea.MinX, Y: f.WorkArea.MinY},
			Max: geom.Point{X: f.WorkArea.MaxX, Y: f.WorkArea.MaxY},
		},
		Card: Placement{
			Offset:   geom.Point{X: f.Card.OffsetX, Y: f.Card.OffsetY},
			Rotation: f.Card.Rotation,
			FlipX:    f.Card.FlipX,
			FlipY:    f.Card.FlipY,
		},
		Actuator:          f.Pen.Actuator,
		PenUp:             PenMove(f.Pen.Up),
		PenDown:           PenMove(f.Pen.Down),
		DrawFeed:          f.DrawFeed,
		TravelFeed:        f.TravelFeed,
		Accel:             f.Accel,
		JunctionDeviation: f.JunctionDeviation,
		MinGap:            DefaultMinGap,
		Tolerance:         DefaultTolerance,
		Arcs:              f.Arcs,
		Precision:         DefaultPrecision,
		Start:             f.Start,
		End:               f.End,
	}
	for _, side := range []struct {
		key string
		m   *PenMove
	}{{"up", &p.PenUp}, {"down", &p.PenDown}} {
		if !md.IsDefined("pen", side.key, "settle_seconds") {
			side.m.SettleSeconds = DefaultSettleSeconds
		}
	}
	if md.IsDefined("pen", "rest") {
		for _, key := range []string{"commands", "position"} {
			if !md.IsDefined("pen", "rest", key) {
				return nil, fmt.Errorf("%s: pen.rest.%s: missing", file, key)
			}
		}
		if md.IsDefined("pen", "rest", "settle_seconds") || md.IsDefined("pen", "rest", "speed") {
			return nil, fmt.Errorf("%s: pen.rest: give only commands and position; the pen leaves its rest at pen.up.speed and settles for pen.up.settle_seconds", file)
		}
		p.PenRest = PenMove{Commands: f.Pen.Rest.Commands, Position: f.Pen.Rest.Position}
		if len(p.PenRest.Commands) == 0 {
			return nil, fmt.Errorf("%s: pen.rest.commands: must hold 1 to %d lines, got 0", file, maxPenLines)
		}
	}
	p.Homing = f.Homing
	if !md.IsDefined("homing") {
		p.Homing = HomingNone
		if homes(p.Start) {
			p.Homing = HomingRequired
		}
	}
	c := f.Controller
	p.Controller = Controller{SpindleMin: c.SpindleMin, SpindleMax: c.SpindleMax, LaserMode: c.LaserMode,
		WorkOffset: geom.Point{X: c.WorkOffsetX, Y: c.WorkOffsetY}}
	hasX, hasY := md.IsDefined("controller", "work_offset_x"), md.IsDefined("controller", "work_offset_y")
	if hasX != hasY {
		return nil, fmt.Errorf("%s: controller.work_offset_%s: missing (work_offset_x and work_offset_y go together)", file, map[bool]string{true: "y", false: "x"}[hasX])
	}
	p.Controller.HasWorkOffset = hasX
	if md.IsDefined("min_gap") {
		p.MinGap = f.MinGap
	}
	if md.IsDefined("tolerance") {
		p.Tolerance = f.Tolerance
	}
	if md.IsDefined("precision") {
		p.Precision = f.Precision
	}
	if stem := strings.TrimSuffix(file, ".toml"); p.Name != stem {
		return nil, fmt.Errorf("%s: name: must be %q to match the file name, got %q", file, stem, p.Name)
	}
	if err := p.validate(file); err != nil {
		return nil, err
	}
	return p, nil
}

// describeTOMLError turns the decoder's message into "line N: key: reason".
func describeTOMLError(err error) string {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		if pe.LastKey != "" {
			return fmt.Sprintf("line %d: %s: %s", pe.Position.Line, pe.LastKey, pe.Message)
		}
		return fmt.Sprintf("line %d: %s", pe.Position.Line, pe.Message)
	}
	return strings.TrimPrefix(err.Error(), "toml: ")
}
