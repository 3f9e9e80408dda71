package serialstream

import (
	"fmt"
	"strconv"
	"strings"
)

// Status is a GRBL 1.1 real-time status report, such as
// <Run|MPos:12.000,3.500,0.000|Bf:14,120|FS:3000,90>.
type Status struct {
	State    string // Idle, Run, Hold, Jog, Alarm, Door, Check, Home or Sleep
	SubState int    // Hold:0 → 0, Door:1 → 1; -1 when the state has none
	MPos     [3]float64
	HasMPos  bool
	WPos     [3]float64
	HasWPos  bool
	WCO      [3]float64
	HasWCO   bool
	// Bf: planner blocks and receive-buffer bytes available.
	Blocks, RX int
	HasBf      bool
	Feed       float64
	Spindle    float64
	HasFS      bool
	Line       int // Ln: the line number being executed, 0 when not reported
}

var grblStates = map[string]bool{"Idle": true, "Run": true, "Hold": true, "Jog": true, "Alarm": true, "Door": true, "Check": true, "Home": true, "Sleep": true}

// ParseStatus reads a GRBL 1.1 status report. Unknown fields are skipped, as GRBL's interface
// documentation asks of senders; the state and the shape of known fields are checked.
func ParseStatus(line string) (Status, error) {
	st := Status{SubState: -1}
	line = strings.TrimSpace(line)
	if len(line) < 2 || line[0] != '<' || line[len(line)-1] != '>' {
		return st, fmt.Errorf("status report %q is not enclosed in < >", line)
	}
	fields := strings.Split(line[1:len(line)-1], "|")
	state, sub, hasSub := strings.Cut(fields[0], ":")
	if !grblStates[state] {
		return st, fmt.Errorf("status report %q: unknown state %q", line, state)
	}
	st.State = state
	if hasSub {
		n, err := strconv.Atoi(sub)
		if err != nil || n < 0 || n > 9 {
			return st, fmt.Errorf("status report %q: bad sub-state %q", line, sub)
		}
		st.SubState = n
	}
	for _, f := range fields[1:] {
		name, val, ok := strings.Cut(f, ":")
		if !ok {
			continue
		}
		var err error
		switch name {
		case "MPos":
			st.MPos, err = parseAxes(val)
			st.HasMPos = err == nil
		case "WPos":
			st.WPos, err = parseAxes(val)
			st.HasWPos = err == nil
		case "WCO":
			st.WCO, err = parseAxes(val)
			st.HasWCO = err == nil
		case "Bf":
			var v []float64
			v, err = parseNumbers(val, 2, 2)
			if err == nil {
				if v[0] < 0 || v[1] < 0 || v[0] > 1e6 || v[1] > 1e9 || v[0] != float64(int(v[0])) || v[1] != float64(int(v[1])) {
					err = fmt.Errorf("values %q are not buffer sizes", val)
				} else {
					st.Blocks, st.RX, st.HasBf = int(v[0]), int(v[1]), true
				}
			}
		case "FS", "F":
			var v []float64
			v, err = parseNumbers(val, 1, 2)
			if err == nil {
				st.Feed, st.HasFS = v[0], true
				if len(v) == 2 {
					st.Spindle = v[1]
				}
			}
		case "Ln":
			st.Line, err = strconv.Atoi(val)
		}
		if err != nil {
			return st, fmt.Errorf("status report %q: field %s: %w", line, name, err)
		}
	}
	if !st.HasMPos && st.HasWPos && st.HasWCO {
		for i := range st.MPos {
			st.MPos[i] = st.WPos[i] + st.WCO[i]
		}
		st.HasMPos = true
	}
	return st, nil
}

func parseAxes(s string) ([3]float64, error) {
	var out [3]float64
	v, err := parseNumbers(s, 3, 6)
	if err != nil {
		return out, err
	}
	copy(out[:], v)
	return out, nil
}

func parseNumbers(s string, minN, maxN int) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) < minN || len(parts) > maxN {
		return nil, fmt.Errorf("want %d to %d numbers, got %q", minN, maxN, s)
	}
	out := make([]float64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v != v || v > 1e12 || v < -1e12 {
			return nil, fmt.Errorf("%q is not a number", p)
		}
		out[i] = v
	}
	return out, nil
}

// ReplyKind classifies a line a controller sends.
type ReplyKind int

// The kinds of reply line.
const (
	ReplyOther          ReplyKind = iota // anything else: logged
	ReplyOK                              // ok (Marlin may add " T:…" or " N12 P15 B3")
	ReplyError                           // GRBL error:N
	ReplyAlarm                           // GRBL ALARM:N
	ReplyStatus                          // GRBL <…> status report
	ReplyBanner                          // GRBL "Grbl 1.1h ['$' for help]" (or FluidNC's): the controller restarted
	ReplyMessage                         // GRBL [MSG:…], [GC:…] and other bracketed feedback
	ReplyResend                          // Marlin "Resend: N" or "rs N"
	ReplyMarlinError                     // Marlin "Error:…"
	ReplyBusy                            // Marlin "echo:busy: …": alive, still working
	ReplyStart                           // Marlin "start": the controller restarted
	ReplyEcho                            // Marlin echo:… and Klipper // … information
	ReplyKlipperError                    // Klipper "!! …"
	ReplyUnknownCommand                  // Marlin echo:Unknown command: …
)

// Reply is one classified line.
type Reply struct {
	Kind   ReplyKind
	Code   int    // GRBL error or alarm number
	Line   int    // the line number a resend request asks for
	Text   string // the line, trimmed
	Status Status // for ReplyStatus
}

// ParseReply classifies one line from a GRBL, FluidNC, Marlin or Klipper controller.
func ParseReply(line string) Reply {
	t := strings.TrimSpace(line)
	r := Reply{Kind: ReplyOther, Text: t}
	lower := strings.ToLower(t)
	switch {
	case lower == "ok" || strings.HasPrefix(lower, "ok "):
		r.Kind = ReplyOK
	case strings.HasPrefix(lower, "error:") && isDigits(t[6:]):
		r.Kind, r.Code = ReplyError, atoi(t[6:])
	case strings.HasPrefix(t, "ALARM:") && isDigits(t[6:]):
		r.Kind, r.Code = ReplyAlarm, atoi(t[6:])
	case strings.HasPrefix(t, "<") && strings.HasSuffix(t, ">"):
		st, err := ParseStatus(t)
		if err == nil {
			r.Kind, r.Status = ReplyStatus, st
		}
	case strings.HasPrefix(t, "Grbl ") || strings.HasPrefix(t, "GrblHAL "):
		r.Kind = ReplyBanner
	case strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]"):
		r.Kind = ReplyMessage
	case strings.HasPrefix(lower, "resend:") || strings.HasPrefix(lower, "rs "):
		_, num, _ := strings.Cut(t, ":")
		if strings.HasPrefix(lower, "rs ") {
			num = t[3:]
		}
		num = strings.TrimSpace(num)
		if isDigits(num) {
			r.Kind, r.Line = ReplyResend, atoi(num)
		}
	case strings.HasPrefix(lower, "error:"):
		r.Kind = ReplyMarlinError
	case strings.HasPrefix(lower, "echo:busy"):
		r.Kind = ReplyBusy
	case strings.HasPrefix(lower, "echo:unknown command"):
		r.Kind = ReplyUnknownCommand
	case lower == "start":
		r.Kind = ReplyStart
	case strings.HasPrefix(lower, "echo:") || strings.HasPrefix(t, "//"):
		r.Kind = ReplyEcho
	case strings.HasPrefix(t, "!!"):
		r.Kind = ReplyKlipperError
	}
	return r
}

func isDigits(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// resendable are the Marlin errors that come with a resend request and are not fatal.
func resendable(text string) bool {
	l := strings.ToLower(text)
	for _, s := range []string{"checksum", "line number", "linenumber", "expected line", "no line number", "format error"} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// halted reports whether an error means the firmware has stopped: Marlin after kill() or Stop()
// (it needs M999), Klipper after a shutdown (it needs FIRMWARE_RESTART).
func halted(text string) bool {
	l := strings.ToLower(text)
	for _, s := range []string{"halted", "kill()", "stopped", "m999", "shutdown"} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}
