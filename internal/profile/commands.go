package profile

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/quillpost/quillpost/internal/gcode/syntax"
)

// Profile command lines are copied into every program verbatim, so they are held to a short
// list of commands per dialect with known parameters. Anything else (coordinate-system changes,
// relative moves, inches, macros, comments that GRBL would scan for realtime characters) is
// refused on load rather than discovered at the machine.

// commonCommands maps each command every dialect accepts to its allowed parameter letters.
var commonCommands = map[string]string{
	"G0": "XYZF", "G1": "XYZF", "G4": "P", "G17": "", "G21": "", "G90": "", "G94": "",
}

var dialectCommands = map[string]map[string]string{
	DialectGRBL:    {"M3": "S", "M5": ""},
	DialectFluidNC: {"M3": "S", "M5": ""},
	DialectMarlin:  {"G28": "XYZ", "M280": "PS", "M400": "", "M84": "", "M18": "", "M17": ""},
	DialectKlipper: {"G28": "XYZ", "M400": "", "M84": "", "M18": ""},
}

const maxCommandLen = 64

// command is one validated profile line.
type command struct {
	blk  syntax.Block
	code string // "G1", "M280", "$H"
}

func allowedCommands(dialect string) string {
	var names []string
	for c := range commonCommands {
		names = append(names, c)
	}
	for c := range dialectCommands[dialect] {
		names = append(names, c)
	}
	if dialect == DialectGRBL || dialect == DialectFluidNC {
		names = append(names, "$H")
	}
	slices.Sort(names)
	return strings.Join(names, " ")
}

// parseCommand checks one line against the dialect's allowed commands. Its errors are reasons
// without a field; the caller adds file, field and line.
func parseCommand(dialect, line string) (command, error) {
	if line == "" {
		return command{}, fmt.Errorf("is empty")
	}
	if len(line) > maxCommandLen {
		return command{}, fmt.Errorf("is longer than %d characters", maxCommandLen)
	}
	if line == "$H" {
		if dialect == DialectGRBL || dialect == DialectFluidNC {
			return command{code: "$H"}, nil
		}
		return command{}, fmt.Errorf("$H is GRBL's homing command; %s homes with G28", dialect)
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == ' ' || c == '.' || c == '-' || c == '+') {
			return command{}, fmt.Errorf("character %q is not allowed: profile commands are plain G-code (letters, digits, spaces, '.', '-', '+') without comments", c)
		}
	}
	blk, err := syntax.Parse(line)
	if err != nil {
		return command{}, err
	}
	if blk.Count('G')+blk.Count('M') != 1 {
		return command{}, fmt.Errorf("must hold exactly one G or M command")
	}
	var code string
	for _, w := range blk.Words {
		if w.Letter == 'G' || w.Letter == 'M' {
			if w.Value != math.Trunc(w.Value) || w.Value < 0 || w.Value > 999 {
				return command{}, fmt.Errorf("%c%g is not a command quillpost sends", w.Letter, w.Value)
			}
			code = fmt.Sprintf("%c%d", w.Letter, int(w.Value))
		}
	}
	params, ok := commonCommands[code]
	if !ok {
		params, ok = dialectCommands[dialect][code]
	}
	if !ok {
		return command{}, fmt.Errorf("%s is not a command quillpost sends to %s (allowed: %s)", code, dialect, allowedCommands(dialect))
	}
	for _, w := range blk.Words {
		if w.Letter == 'G' || w.Letter == 'M' {
			continue
		}
		if !strings.ContainsRune(params, rune(w.Letter)) {
			return command{}, fmt.Errorf("%c is not a parameter of %s", w.Letter, code)
		}
		if blk.Count(w.Letter) > 1 {
			return command{}, fmt.Errorf("%c appears twice", w.Letter)
		}
	}
	if f, ok := blk.Get('F'); ok && (f <= 0 || f > maxFeed) {
		return command{}, fmt.Errorf("feed F%g must be between 0 and %d mm/min", f, maxFeed)
	}
	switch code {
	case "G4":
		limit := 10.0
		if dialect == DialectMarlin || dialect == DialectKlipper {
			limit = 10000 // P counts milliseconds there
		}
		if v, ok := blk.Get('P'); !ok || v < 0 || v > limit {
			return command{}, fmt.Errorf("G4 needs P between 0 and %g", limit)
		}
	case "M3":
		if v, ok := blk.Get('S'); !ok || v < 0 || v > 100000 {
			return command{}, fmt.Errorf("M3 needs S between 0 and 100000")
		}
	case "M280":
		if v, ok := blk.Get('P'); !ok || v != math.Trunc(v) || v < 0 || v > 15 {
			return command{}, fmt.Errorf("M280 needs a servo index P between 0 and 15")
		}
		if v, ok := blk.Get('S'); !ok || v < 0 || v > 180 {
			return command{}, fmt.Errorf("M280 needs an angle S between 0 and 180")
		}
	case "G28":
		for _, w := range blk.Words {
			if w.Letter != 'G' && w.Value != 0 {
				return command{}, fmt.Errorf("G28 axis letters are flags; write %c0", w.Letter)
			}
		}
	}
	return command{blk: blk, code: code}, nil
}

// validatePenCommands checks the pen moves and returns the canonical lines found only in the up
// (or rest) and only in the down commands: those are what a reader recognises the pen's state by.
func (p *Profile) validatePenCommands(f fieldError) (upOnly, downOnly map[string]bool, err error) {
	up, err := p.penLines(f, "pen.up", p.PenUp)
	if err != nil {
		return nil, nil, err
	}
	down, err := p.penLines(f, "pen.down", p.PenDown)
	if err != nil {
		return nil, nil, err
	}
	upOnly, downOnly = map[string]bool{}, map[string]bool{}
	for k := range up {
		if !down[k] {
			upOnly[k] = true
		}
	}
	for k := range down {
		if !up[k] {
			downOnly[k] = true
		}
	}
	if len(upOnly) == 0 || len(downOnly) == 0 {
		return nil, nil, f.err("pen.down.commands", "must differ from pen.up.commands by at least one line each way, or nobody can tell the pen's state from the program")
	}
	if p.HasRest() {
		if _, err := p.penLines(f, "pen.rest", p.PenRest); err != nil {
			return nil, nil, err
		}
		restOnly := 0
		for _, line := range p.PenRest.Commands {
			c, _ := parseCommand(p.Dialect, line) // penLines parsed it
			k := c.blk.Canonical()
			if downOnly[k] {
				return nil, nil, f.err("pen.rest.commands", "%q lowers the pen", line)
			}
			if !down[k] {
				upOnly[k] = true
				restOnly++
			}
		}
		if restOnly == 0 {
			return nil, nil, f.err("pen.rest.commands", "must differ from pen.down.commands by at least one line, or nobody can tell the pen's state from the program")
		}
	}
	return upOnly, downOnly, nil
}

// penLines checks one pen move's commands and returns their canonical lines.
func (p *Profile) penLines(f fieldError, name string, m PenMove) (map[string]bool, error) {
	field := name + ".commands"
	if n := len(m.Commands); n == 0 || n > maxPenLines {
		return nil, f.err(field, "must hold 1 to %d lines, got %d", maxPenLines, n)
	}
	set := map[string]bool{}
	zMoves, servoCmd, sawM400 := 0, false, false
	for j, line := range m.Commands {
		c, err := parseCommand(p.Dialect, line)
		if err != nil {
			return nil, f.err(field, "line %d %q: %v", j+1, line, err)
		}
		if c.blk.Count('X')+c.blk.Count('Y') > 0 {
			return nil, f.err(field, "line %d %q: pen commands may not move X or Y", j+1, line)
		}
		z, hasZ := c.blk.Get('Z')
		switch p.Actuator {
		case ActuatorServo:
			if hasZ {
				return nil, f.err(field, "line %d %q: Z moves do not belong to a servo pen", j+1, line)
			}
			switch c.code {
			case "M3", "M5":
				servoCmd = true
			case "M400":
				sawM400 = true
			case "M280":
				servoCmd = true
				if !sawM400 {
					return nil, f.err(field, "line %d %q: Marlin runs M280 as soon as it reads it, while earlier moves still run; put M400 before it", j+1, line)
				}
				if s, _ := c.blk.Get('S'); s != m.Position {
					return nil, f.err(name+".position", "must equal the angle S%g of %q, got %g", s, line, m.Position)
				}
			}
		case ActuatorZ:
			if !hasZ {
				break
			}
			zMoves++
			if z != m.Position {
				return nil, f.err(name+".position", "must equal the Z%g of %q, got %g", z, line, m.Position)
			}
			if c.code == "G1" {
				feed, ok := c.blk.Get('F')
				if !ok {
					return nil, f.err(field, "line %d %q: a G1 pen move needs its own F, or it runs at whatever feed came before", j+1, line)
				}
				if math.Abs(m.Speed-feed/60) > 0.01*m.Speed {
					return nil, f.err(name+".speed", "must match F%g of %q (%g mm/s), got %g", feed, line, feed/60, m.Speed)
				}
			}
		}
		set[c.blk.Canonical()] = true
	}
	if p.Actuator == ActuatorServo && !servoCmd {
		want := "M3 S<n> or M5"
		if p.Dialect == DialectMarlin {
			want = "M280 P<servo> S<angle>"
		}
		return nil, f.err(field, "needs a servo command (%s)", want)
	}
	if p.Actuator == ActuatorZ && zMoves != 1 {
		return nil, f.err(field, "needs exactly one Z move to %s.position, got %d", name, zMoves)
	}
	return set, nil
}

// validateSequence checks the start or end lines: allowed commands, no pen-down, moves only in
// absolute millimetres and inside the work area, and (start) G21 and G90 set.
func (p *Profile) validateSequence(f fieldError, field string, lines []string, downOnly, upOnly map[string]bool, isStart bool) error {
	if len(lines) > maxSeqLines {
		return f.err(field, "must hold at most %d lines, got %d", maxSeqLines, len(lines))
	}
	// The end sequence runs after start and the last pen-up, so its state is known.
	mm, abs, penUp := !isStart, !isStart, !isStart
	w := p.WorkArea
	for i, line := range lines {
		c, err := parseCommand(p.Dialect, line)
		if err != nil {
			return f.err(field, "line %d %q: %v", i+1, line, err)
		}
		canon := c.blk.Canonical()
		if downOnly[canon] {
			return f.err(field, "line %d %q: would lower the pen", i+1, line)
		}
		if upOnly[canon] {
			penUp = true
		}
		switch c.code {
		case "G21":
			mm = true
		case "G90":
			abs = true
		case "G28":
			if p.Dialect == DialectMarlin && p.Actuator == ActuatorServo && !penUp {
				return f.err(field, "line %d %q: homes before the pen is raised; put the pen-up commands first", i+1, line)
			}
		case "G0", "G1":
			x, hx := c.blk.Get('X')
			y, hy := c.blk.Get('Y')
			z, hz := c.blk.Get('Z')
			if (hx || hy || hz) && !(mm && abs) {
				return f.err(field, "line %d %q: moves before G21 and G90 have set millimetres and absolute coordinates", i+1, line)
			}
			if hx && (x < w.Min.X || x > w.Max.X) {
				return f.err(field, "line %d %q: X%g lies outside the work area (%g to %g)", i+1, line, x, w.Min.X, w.Max.X)
			}
			if hy && (y < w.Min.Y || y > w.Max.Y) {
				return f.err(field, "line %d %q: Y%g lies outside the work area (%g to %g)", i+1, line, y, w.Min.Y, w.Max.Y)
			}
			if hz && p.Actuator == ActuatorServo {
				return f.err(field, "line %d %q: Z moves do not belong to a servo pen", i+1, line)
			}
			if hz && z < p.PenUp.Position {
				return f.err(field, "line %d %q: Z%g is below pen.up.position %g; start and end must keep the pen up", i+1, line, z, p.PenUp.Position)
			}
			if (hx || hy) && p.Dialect == DialectMarlin && p.Actuator == ActuatorServo && !penUp {
				return f.err(field, "line %d %q: moves before the pen is raised; put the pen-up commands first", i+1, line)
			}
		}
	}
	if isStart && !mm {
		return f.err(field, "must contain G21 (millimetres)")
	}
	if isStart && !abs {
		return f.err(field, "must contain G90 (absolute coordinates)")
	}
	return nil
}
