package plotsim

import (
	"fmt"
	"math"
	"slices"

	"github.com/quillpost/quillpost/internal/gcode"
)

// PenFunc decides whether the pen is down after one line of G-code has executed. b is the parsed
// line, z the machine Z once its motion is done, down the state before it. A line that does not
// touch the pen returns down unchanged. The simulator draws a move only while the pen is down
// before it and stays down after its line, so a line that lifts the pen while moving draws nothing.
type PenFunc func(b gcode.Block, z float64, down bool) bool

// SpindlePen is the GRBL servo-on-spindle-PWM convention: M3 or M4 lowers the pen (unless the same
// line says S0), M5 and the program ends M2/M30 lift it.
func SpindlePen() PenFunc {
	return func(b gcode.Block, _ float64, down bool) bool {
		switch {
		case b.Has('M', 5) || b.Has('M', 2) || b.Has('M', 30):
			return false
		case b.Has('M', 3) || b.Has('M', 4):
			s, ok := b.Get('S')
			return !ok || s > 0
		}
		return down
	}
}

// ServoPen is the Marlin convention M280 P0 S<angle>: the pen is down when the angle is nearer
// downAngle than upAngle.
func ServoPen(downAngle, upAngle float64) PenFunc {
	return func(b gcode.Block, _ float64, down bool) bool {
		if !b.Has('M', 280) {
			return down
		}
		if p, ok := b.Get('P'); ok && p != 0 {
			return down
		}
		a, ok := b.Get('S')
		if !ok {
			return down
		}
		return math.Abs(a-downAngle) < math.Abs(a-upAngle)
	}
}

// ZPen is a pen on the Z axis: it touches the card when machine Z is at or below downAtOrBelow.
// Only lines that name Z move the pen, so a machine that powers up at Z=0 (where GRBL puts its
// unknown position) does not count as drawing until a program moves Z.
func ZPen(downAtOrBelow float64) PenFunc {
	return func(b gcode.Block, z float64, down bool) bool {
		if _, ok := b.Get('Z'); !ok {
			return down
		}
		return z <= downAtOrBelow
	}
}

// CommandPen recognises a firmware profile's own pen commands, word for word (so "M3S90" matches
// "M3 S90", and "Z2" matches "Z2.000"). Lines found in both lists, such as a Marlin M400 or a
// dwell, are ignored. When the commands move Z rather than switch a spindle or a servo, the pen is
// modelled by Z instead, with the threshold halfway between the down and up heights, so the
// state follows the axis wherever the line that moves it comes from.
func CommandPen(down, up []string) (PenFunc, error) {
	parse := func(lines []string) ([]gcode.Block, error) {
		var out []gcode.Block
		for _, l := range lines {
			b, err := gcode.ParseLine(l)
			if err != nil {
				return nil, fmt.Errorf("pen command %q: %w", l, err)
			}
			if len(b.Words) > 0 {
				out = append(out, b)
			}
		}
		return out, nil
	}
	d, err := parse(down)
	if err != nil {
		return nil, err
	}
	u, err := parse(up)
	if err != nil {
		return nil, err
	}
	d, u = withoutCommon(d, u), withoutCommon(u, d)
	if len(d) == 0 || len(u) == 0 {
		return nil, fmt.Errorf("pen commands: need at least one command that only lowers and one that only lifts the pen")
	}
	zd, okd := lastZ(d)
	zu, oku := lastZ(u)
	if okd && oku && zd < zu && !hasAny(d, 'M') && !hasAny(u, 'M') {
		return ZPen((zd + zu) / 2), nil
	}
	return func(b gcode.Block, _ float64, down bool) bool {
		for _, c := range d {
			if sameWords(b, c) {
				return true
			}
		}
		for _, c := range u {
			if sameWords(b, c) {
				return false
			}
		}
		return down
	}, nil
}

func withoutCommon(a, b []gcode.Block) []gcode.Block {
	var out []gcode.Block
	for _, x := range a {
		if !slices.ContainsFunc(b, func(y gcode.Block) bool { return sameWords(x, y) }) {
			out = append(out, x)
		}
	}
	return out
}

func lastZ(bs []gcode.Block) (float64, bool) {
	for i := len(bs) - 1; i >= 0; i-- {
		if z, ok := bs[i].Get('Z'); ok {
			return z, true
		}
	}
	return 0, false
}

func hasAny(bs []gcode.Block, letter byte) bool {
	for _, b := range bs {
		if _, ok := b.Get(letter); ok {
			return true
		}
	}
	return false
}

// sameWords compares two lines as sets of words, ignoring line numbers and checksums.
func sameWords(a, b gcode.Block) bool {
	key := func(bl gcode.Block) []gcode.Word {
		var ws []gcode.Word
		for _, w := range bl.Words {
			if w.Letter != 'N' && w.Letter != '*' {
				ws = append(ws, w)
			}
		}
		slices.SortFunc(ws, func(x, y gcode.Word) int {
			if x.Letter != y.Letter {
				return int(x.Letter) - int(y.Letter)
			}
			switch {
			case x.Value < y.Value:
				return -1
			case x.Value > y.Value:
				return 1
			}
			return 0
		})
		return ws
	}
	return slices.Equal(key(a), key(b))
}
