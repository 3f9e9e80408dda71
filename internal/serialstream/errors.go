package serialstream

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels for the ways a job or a connection fails; test them with errors.Is. Every error that
// ends a job after its first line was sent also wraps ErrInterrupted.
var (
	// ErrInterrupted: the job began and did not finish, so the card carries a partial drawing. A
	// sender never resumes such a job; the worker spoils the card and plots the job again.
	ErrInterrupted = errors.New("job interrupted")
	// ErrDisconnected: the serial link went away (cable pulled, controller powered off).
	ErrDisconnected = errors.New("serial link lost")
	// ErrTimeout: the controller stopped answering.
	ErrTimeout = errors.New("controller stopped answering")
	// ErrStalled: the controller still answers status requests but stopped acknowledging lines
	// for longer than the moves it holds could take (a feed hold, an open door, a stuck planner).
	ErrStalled = errors.New("controller stopped making progress")
	// ErrFirmware: the controller refused a line (GRBL error:N, Marlin Error:, Klipper !!).
	ErrFirmware = errors.New("controller refused a line")
	// ErrAlarm: the controller raised an alarm (GRBL ALARM:N) and stopped.
	ErrAlarm = errors.New("controller alarm")
	// ErrReset: the controller restarted by itself in the middle of a job.
	ErrReset = errors.New("controller restarted")
	// ErrAborted: the job was aborted (Abort, or the context was cancelled).
	ErrAborted = errors.New("job aborted")
	// ErrNoController: nothing recognisable answered when the sender woke the port.
	ErrNoController = errors.New("no controller answered")
	// ErrProgram: the program cannot be streamed as it is (a line too long for the buffer, a
	// real-time character in a line).
	ErrProgram = errors.New("program cannot be streamed")
	// ErrBusy: a job is already streaming on this controller.
	ErrBusy = errors.New("a job is already streaming")
	// ErrIdle: Pause, Resume or Abort was called while no job was streaming.
	ErrIdle = errors.New("no job is streaming")
)

// Error is a failed connection or job, with the line that failed where there is one.
type Error struct {
	Kind    error  // one of the sentinels above
	Line    int    // 1-based line of the program that failed, 0 when none
	Text    string // that line as written in the program
	Code    int    // GRBL error or alarm number, 0 when none
	Reply   string // what the controller said
	Started bool   // program lines had been sent: the job cannot be resumed
	// Marked: a pen-down command ran (or may have run) before the job stopped, so the card may
	// carry a mark and is spoiled. A started job that never lowered the pen leaves the card blank.
	Marked bool
	// PenLifted reports whether the pen-up commands were acknowledged after the failure. A
	// stalled or disconnected controller cannot lift its pen.
	PenLifted bool
	Err       error // the cause underneath (an I/O error, the context's error, trouble while stopping)
}

// Error is a plain sentence for the operator.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.Error())
	if e.Line > 0 {
		fmt.Fprintf(&b, " at line %d (%s)", e.Line, strings.TrimSpace(e.Text))
	}
	if e.Reply != "" {
		fmt.Fprintf(&b, ": %s", e.Reply)
		if d := describe(e.Kind, e.Code); d != "" {
			fmt.Fprintf(&b, " (%s)", d)
		}
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Started && !e.Marked {
		b.WriteString("; the pen never touched the card")
	} else if e.Started {
		if e.PenLifted {
			b.WriteString("; the job is interrupted and the pen was lifted")
		} else {
			b.WriteString("; the job is interrupted and the pen may still be down")
		}
	}
	return b.String()
}

// Unwrap exposes the kind, ErrInterrupted for a started job, and the cause.
func (e *Error) Unwrap() []error {
	errs := []error{e.Kind}
	if e.Started && e.Kind != ErrInterrupted {
		errs = append(errs, ErrInterrupted)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Marked says whether err ended a job after the pen may have touched the card. Errors from
// before the first pen-down (a refused setup, a dead link, a program that cannot be sent) leave
// the card blank and return false.
func Marked(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Marked
}

func describe(kind error, code int) string {
	switch kind {
	case ErrFirmware:
		return grblErrors[code]
	case ErrAlarm:
		return grblAlarms[code]
	}
	return ""
}

// grblErrors are GRBL 1.1's error codes, as its documentation words them.
var grblErrors = map[int]string{
	1:  "G-code words consist of a letter and a value; letter was not found",
	2:  "missing the expected G-code word value or numeric value format is not valid",
	3:  "GRBL '$' system command was not recognized or supported",
	4:  "negative value received for an expected positive value",
	5:  "homing cycle failure; homing is not enabled via settings",
	6:  "minimum step pulse time must be greater than 3 µs",
	7:  "an EEPROM read failed; auto-restoring affected EEPROM to default values",
	8:  "GRBL '$' command cannot be used unless GRBL is IDLE",
	9:  "G-code commands are locked out during alarm or jog state",
	10: "soft limits cannot be enabled without homing also enabled",
	11: "max characters per line exceeded; received command line was not executed",
	12: "GRBL '$' setting value causes the step rate to exceed the maximum supported",
	13: "safety door detected as opened and door state initiated",
	14: "build info or startup line exceeded EEPROM line length limit",
	15: "jog target exceeds machine travel; jog command has been ignored",
	16: "jog command has no '=' or contains prohibited G-code",
	17: "laser mode requires PWM output",
	20: "unsupported or invalid G-code command found in block",
	21: "more than one G-code command from the same modal group found in block",
	22: "feed rate has not yet been set or is undefined",
	23: "G-code command in block requires an integer value",
	24: "more than one G-code command that requires axis words found in block",
	25: "repeated G-code word found in block",
	26: "no axis words found in block for G-code command or current modal state which requires them",
	27: "line number value is invalid",
	28: "G-code command is missing a required value word",
	29: "G59.x work coordinate systems are not supported",
	30: "G53 only allowed with G0 and G1 motion modes",
	31: "axis words found in block when no command or current modal state uses them",
	32: "G2 and G3 arcs require at least one in-plane axis word",
	33: "motion command target is invalid",
	34: "arc radius value is invalid",
	35: "G2 and G3 arcs require at least one in-plane offset word",
	36: "unused value words found in block",
	37: "G43.1 dynamic tool length offset is not assigned to configured tool length axis",
	38: "tool number greater than max supported value",
}

// grblAlarms are GRBL 1.1's alarm codes.
var grblAlarms = map[int]string{
	1:  "hard limit triggered; machine position is likely lost, re-homing is highly recommended",
	2:  "soft limit: G-code motion target exceeds machine travel; machine position retained",
	3:  "reset while in motion; machine position is likely lost, re-homing is highly recommended",
	4:  "probe fail: the probe is not in the expected initial state",
	5:  "probe fail: the probe did not contact the workpiece",
	6:  "homing fail: reset during active homing cycle",
	7:  "homing fail: safety door was opened during active homing cycle",
	8:  "homing fail: cycle failed to clear limit switch when pulling off",
	9:  "homing fail: could not find limit switch within search distance",
	10: "homing fail: second dual axis limit switch failed to trigger",
}
