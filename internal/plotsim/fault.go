package plotsim

import (
	"fmt"
	"strconv"
	"strings"
)

// FaultKind names one kind of trouble the simulator can cause on purpose.
type FaultKind string

// The faults a real link or controller produces, and that a sender must survive.
const (
	// FaultError answers the line with error:<Code> (GRBL, default 20) instead of executing it;
	// Marlin halts with an Error: line, as after kill(), when the line comes to execute; Klipper
	// refuses it with a "!!" line and carries on.
	FaultError FaultKind = "error"
	// FaultDrop loses one byte of the line (Offset; -1 is its newline, which merges two lines).
	FaultDrop FaultKind = "drop"
	// FaultCorrupt flips one bit of one byte of the line (Offset).
	FaultCorrupt FaultKind = "corrupt"
	// FaultLoseOK executes the line but never sends its ok, as cheap CH340 USB bridges do.
	FaultLoseOK FaultKind = "lose-ok"
	// FaultDisconnect closes the pseudo-terminal once the line has been answered: a pulled cable.
	FaultDisconnect FaultKind = "disconnect"
	// FaultAlarm raises ALARM:<Code> (GRBL, default 1: hard limit) when the line arrives, killing
	// motion; Marlin reports a thermal runaway and halts; Klipper shuts down (only M999 revives
	// the simulator, as FIRMWARE_RESTART would the real thing).
	FaultAlarm FaultKind = "alarm"
	// FaultStall stops answering anything, from the line on; bytes are still read and dropped.
	FaultStall FaultKind = "stall"
	// FaultHold puts GRBL into a feed hold when the line arrives, as the machine's hold button
	// does (Code 1: its safety door opens instead). Motion freezes, the planner fills and the oks
	// stop, while status reports still come (Hold:0, Door:0) until a cycle start (~).
	FaultHold FaultKind = "hold"
)

var faultKinds = []FaultKind{FaultError, FaultDrop, FaultCorrupt, FaultLoseOK, FaultDisconnect, FaultAlarm, FaultStall, FaultHold}

// Fault is one injected fault. Line counts the G-code lines the controller receives, from 1: the
// Marlin line number when the line carries one, otherwise the count of non-empty lines that are
// neither GRBL $ commands nor host housekeeping (M105, M110, M114, M115, M999). A sender that
// skips blank and comment-only lines therefore sees line N of its stripped program. Each fault
// fires once.
type Fault struct {
	Kind FaultKind
	Line int
	// Offset picks the byte of the line for FaultDrop and FaultCorrupt, from 0; negative counts
	// from the end, -1 being the newline.
	Offset int
	// Code is the error or alarm number for FaultError and FaultAlarm; 0 takes the default.
	Code int
}

// String returns the fault in the form ParseFault reads.
func (f Fault) String() string {
	s := fmt.Sprintf("%s@%d", f.Kind, f.Line)
	switch f.Kind {
	case FaultDrop, FaultCorrupt:
		if f.Offset != 0 {
			s += ":" + strconv.Itoa(f.Offset)
		}
	case FaultError, FaultAlarm, FaultHold:
		if f.Code != 0 {
			s += ":" + strconv.Itoa(f.Code)
		}
	}
	return s
}

// ParseFault reads one fault written kind@line[:n], where n is the byte offset for drop and
// corrupt and the error or alarm code for error and alarm: "error@12:33", "drop@40:-1".
func ParseFault(s string) (Fault, error) {
	kind, rest, ok := strings.Cut(strings.TrimSpace(s), "@")
	if !ok {
		return Fault{}, fmt.Errorf("fault %q: want kind@line, such as error@12 (kinds: %s)", s, kindList())
	}
	f := Fault{Kind: FaultKind(strings.ToLower(kind))}
	known := false
	for _, k := range faultKinds {
		known = known || k == f.Kind
	}
	if !known {
		return Fault{}, fmt.Errorf("fault %q: unknown kind %q (kinds: %s)", s, kind, kindList())
	}
	line, extra, hasExtra := strings.Cut(rest, ":")
	n, err := strconv.Atoi(line)
	if err != nil || n < 1 {
		return Fault{}, fmt.Errorf("fault %q: the line must be a whole number from 1, got %q", s, line)
	}
	f.Line = n
	if hasExtra {
		v, err := strconv.Atoi(extra)
		if err != nil {
			return Fault{}, fmt.Errorf("fault %q: %q is not a whole number", s, extra)
		}
		switch f.Kind {
		case FaultDrop, FaultCorrupt:
			f.Offset = v
		case FaultHold:
			if v != 1 {
				return Fault{}, fmt.Errorf("fault %q: hold takes :1 (the safety door) or nothing", s)
			}
			f.Code = v
		case FaultError, FaultAlarm:
			if v < 1 || v > 255 {
				return Fault{}, fmt.Errorf("fault %q: code %d is outside 1..255", s, v)
			}
			f.Code = v
		default:
			return Fault{}, fmt.Errorf("fault %q: %s takes no :%s", s, f.Kind, extra)
		}
	}
	return f, nil
}

// ParseFaults reads a comma-separated list of faults; an empty string is no fault.
func ParseFaults(s string) ([]Fault, error) {
	var out []Fault
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		f, err := ParseFault(part)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func kindList() string {
	names := make([]string, len(faultKinds))
	for i, k := range faultKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}
