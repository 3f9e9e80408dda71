// Package fwcheck reads what a plotter's controller says about its own settings (GRBL's $$, $#
// and $I, Marlin's M503 and M115, Klipper's SET_VELOCITY_LIMIT) and compares them with a
// firmware profile, naming each setting that disagrees and the value to set. It computes only:
// the serial sender asks the questions and hands the answers in.
package fwcheck

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/quillpost/quillpost/internal/geom"
)

// Settings is what a controller reported. Values maps a setting, spelt as its firmware spells
// it ("$22", "M203 X", "max_accel"), to its value.
type Settings struct {
	Dialect  string
	Firmware string // GRBL's [VER:] version, Marlin's or Klipper's FIRMWARE_NAME
	Values   map[string]float64
	// WorkOffset is GRBL's G54 offset from $#.
	WorkOffset    geom.Point
	HasWorkOffset bool
	// Caps are Marlin's M115 capabilities ("ARCS" → true).
	Caps map[string]bool
	// RXBuffer and Blocks come from GRBL's [OPT:] line; 0 when not reported.
	RXBuffer, Blocks int
}

// Get returns a setting's value and whether the controller reported it.
func (s Settings) Get(key string) (float64, bool) {
	v, ok := s.Values[key]
	return v, ok
}

func (s *Settings) put(key string, v float64) {
	if s.Values == nil {
		s.Values = map[string]float64{}
	}
	s.Values[key] = v
}

func number(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

// ParseGRBLSettings reads the lines GRBL prints for $$: "$22=1" (GRBL 1.1) or "$22 = 1 (homing
// cycle, bool)" (0.9 and some forks). FluidNC's named settings ("$Homing/Cycle0=XY") and other
// lines are skipped. A numbered setting whose value is not a number is an error.
func ParseGRBLSettings(s *Settings, lines []string) error {
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "$") {
			continue
		}
		k, v, ok := strings.Cut(l[1:], "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		n, err := strconv.Atoi(k)
		if err != nil || n < 0 || n > 65535 || strings.HasPrefix(k, "+") {
			continue // a named FluidNC setting
		}
		if i := strings.IndexByte(v, '('); i >= 0 {
			v = v[:i]
		}
		val, err := number(v)
		if err != nil {
			return fmt.Errorf("setting $%d: %w", n, err)
		}
		s.put("$"+strconv.Itoa(n), val)
	}
	return nil
}

// ParseGRBLInfo reads $I: "[VER:1.1h.20190825:]" and "[OPT:V,15,128]" (options, planner
// blocks, receive buffer bytes).
func ParseGRBLInfo(s *Settings, lines []string) error {
	for _, l := range lines {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "[VER:") && strings.HasSuffix(l, "]"):
			body := l[len("[VER:") : len(l)-1]
			ver, _, _ := strings.Cut(body, ":")
			s.Firmware = strings.TrimSpace(ver)
		case strings.HasPrefix(l, "[OPT:") && strings.HasSuffix(l, "]"):
			parts := strings.Split(l[len("[OPT:"):len(l)-1], ",")
			if len(parts) >= 3 {
				b, err1 := strconv.Atoi(strings.TrimSpace(parts[1]))
				rx, err2 := strconv.Atoi(strings.TrimSpace(parts[2]))
				if err1 != nil || err2 != nil || b < 0 || rx < 0 {
					return fmt.Errorf("build options %q: blocks and buffer must be whole numbers", l)
				}
				s.Blocks, s.RXBuffer = b, rx
			}
		}
	}
	return nil
}

// ParseGRBLOffsets reads the G54 line of $#: "[G54:-300.000,-210.000,0.000]".
func ParseGRBLOffsets(s *Settings, lines []string) error {
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "[G54:") || !strings.HasSuffix(l, "]") {
			continue
		}
		parts := strings.Split(l[len("[G54:"):len(l)-1], ",")
		if len(parts) < 2 {
			return fmt.Errorf("work offset %q: want x,y[,z]", l)
		}
		x, err := number(parts[0])
		if err != nil {
			return fmt.Errorf("work offset %q: %w", l, err)
		}
		y, err := number(parts[1])
		if err != nil {
			return fmt.Errorf("work offset %q: %w", l, err)
		}
		s.WorkOffset, s.HasWorkOffset = geom.Point{X: x, Y: y}, true
	}
	return nil
}

// ParseMarlinSettings reads M503: lines such as "echo:  M203 X500.00 Y500.00 Z5.00 E25.00",
// each word after the command stored as "M203 X". Comment lines ("echo:; Max feedrates…") and
// trailing comments are skipped; a word that is not a letter and a number is an error.
func ParseMarlinSettings(s *Settings, lines []string) error {
	for _, l := range lines {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "echo:"))
		if i := strings.IndexByte(l, ';'); i >= 0 {
			l = l[:i]
		}
		f := strings.Fields(l)
		if len(f) < 2 || len(f[0]) < 2 || f[0][0] != 'M' {
			continue
		}
		if _, err := strconv.Atoi(f[0][1:]); err != nil {
			continue
		}
		switch f[0] {
		case "M92", "M201", "M203", "M204", "M205", "M206", "M211":
		default:
			continue // heaters, PID, leveling: nothing a plotter profile says
		}
		for _, w := range f[1:] {
			if len(w) < 2 || w[0] < 'A' || w[0] > 'Z' {
				return fmt.Errorf("%s: %q is not a letter and a number", f[0], w)
			}
			v, err := number(w[1:])
			if err != nil {
				return fmt.Errorf("%s %c: %w", f[0], w[0], err)
			}
			s.put(f[0]+" "+w[:1], v)
		}
	}
	return nil
}

// ParseMarlinCaps reads M115: "FIRMWARE_NAME:Marlin 2.1.2.1 (Github) SOURCE_CODE_URL:…" and
// "Cap:ARCS:1" lines. Klipper answers M115 with "FIRMWARE_NAME:Klipper FIRMWARE_VERSION:v0.12…".
func ParseMarlinCaps(s *Settings, lines []string) error {
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if i := strings.Index(l, "FIRMWARE_NAME:"); i >= 0 {
			name := l[i+len("FIRMWARE_NAME:"):]
			for _, stop := range []string{" SOURCE_CODE_URL:", " PROTOCOL_VERSION:", " MACHINE_TYPE:", " FIRMWARE_VERSION:"} {
				if j := strings.Index(name, stop); j >= 0 {
					name = name[:j]
				}
			}
			s.Firmware = strings.TrimSpace(name)
			continue
		}
		if rest, ok := strings.CutPrefix(l, "Cap:"); ok {
			k, v, ok := strings.Cut(rest, ":")
			if !ok || k == "" {
				return fmt.Errorf("capability %q: want Cap:NAME:0 or 1", l)
			}
			if s.Caps == nil {
				s.Caps = map[string]bool{}
			}
			s.Caps[k] = strings.TrimSpace(v) == "1"
		}
	}
	return nil
}

// ParseKlipperLimits reads SET_VELOCITY_LIMIT without parameters: "// max_velocity: 300.000000",
// "// max_accel: 3000.000000", "// square_corner_velocity: 5.000000" (Klipper's host prefixes
// informational lines with "// ").
func ParseKlipperLimits(s *Settings, lines []string) error {
	for _, l := range lines {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "//"))
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		switch k {
		case "max_velocity", "max_accel", "square_corner_velocity", "minimum_cruise_ratio", "max_accel_to_decel":
		default:
			continue
		}
		val, err := number(v)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		s.put(k, val)
	}
	return nil
}
