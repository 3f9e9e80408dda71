package plotsim

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/quillpost/quillpost/internal/gcode"
)

// marlinCmd is a command in Marlin's queue (BUFSIZE entries, the executing one included).
type marlinCmd struct {
	text string
	noOK bool      // fault: never answer it
	drop bool      // fault: disconnect once it is answered
	fail FaultKind // fault: halt when it executes (FaultError, FaultAlarm)
}

// marlinByte is Marlin's serial reader: bytes are read into commands while the command queue has
// room and wait in the receive buffer while it is full. The emergency parser sees every byte.
func (s *Sim) marlinByte(c byte) {
	s.emergencyScan(c)
	if len(s.queue) >= s.cfg.QueueDepth && !s.halted {
		if len(s.rx) >= s.cfg.RXBuffer {
			s.overflow()
			return
		}
		s.rx = append(s.rx, c)
		return
	}
	s.marlinLineByte(c)
}

// emergencyScan is Marlin's EMERGENCY_PARSER: M112 and M410 act the moment they arrive, even
// while the command queue is full.
func (s *Sim) emergencyScan(c byte) {
	if c != '\n' && c != '\r' {
		if len(s.emergLine) < 64 {
			s.emergLine = append(s.emergLine, c)
		}
		return
	}
	nl := parseNumbered(string(toUpper(s.emergLine)))
	s.emergLine = s.emergLine[:0]
	switch strings.TrimSpace(nl.body) {
	case "M112":
		if !s.halted {
			s.marlinHalt("Printer halted. kill() called!")
		}
	case "M410":
		s.ex.interrupt()
		s.in.pos = s.ex.pos
		s.pending = nil
	}
}

func (s *Sim) marlinLineByte(c byte) {
	if c != '\n' && c != '\r' {
		if len(s.lineBuf) < 1024 {
			s.lineBuf = append(s.lineBuf, c)
		}
		return
	}
	raw := append([]byte(nil), s.lineBuf...)
	s.lineBuf = s.lineBuf[:0]
	if strings.TrimSpace(string(raw)) == "" {
		return // Marlin ignores empty lines: no ok
	}
	line, _, faults, ok := s.lineDone(raw)
	if !ok {
		return
	}
	s.marlinLine(line, faults)
}

// numbered is a Marlin line taken apart: "N12 G1 X1*34".
type numbered struct {
	n     int
	hasN  bool
	body  string // the command, without number and checksum
	cs    int
	hasCS bool
	sum   int // XOR of the bytes before '*'
}

// parseNumbered splits a line into line number, command and checksum, as Marlin reads them.
func parseNumbered(line string) numbered {
	var nl numbered
	line = strings.TrimLeft(line, " \t")
	rest := line
	if star := strings.IndexByte(line, '*'); star >= 0 {
		nl.hasCS = true
		for i := 0; i < star; i++ {
			nl.sum ^= int(line[i])
		}
		j := star + 1
		for j < len(line) && line[j] >= '0' && line[j] <= '9' {
			j++
		}
		nl.cs, _ = strconv.Atoi(line[star+1 : min(j, star+10)])
		rest = line[:star]
	}
	if len(rest) > 0 && (rest[0] == 'N' || rest[0] == 'n') {
		nl.hasN = true
		j := 1
		if j < len(rest) && rest[j] == '-' {
			j++
		}
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		nl.n, _ = strconv.Atoi(rest[1:min(j, 11)])
		rest = rest[j:]
	}
	nl.body = strings.TrimSpace(rest)
	return nl
}

// Checksum is Marlin's line checksum: the XOR of every byte before the '*'.
func Checksum(s string) int {
	c := 0
	for i := 0; i < len(s); i++ {
		c ^= int(s[i])
	}
	return c
}

func (s *Sim) marlinLine(line string, faults []Fault) {
	if i := strings.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return
	}
	upper := string(toUpper([]byte(line)))
	nl := parseNumbered(upper)
	if s.halted {
		if containsWord(nl.body, "M999") {
			s.halted = false
			s.lastN = 0
			s.stats.OKs++
			s.emit("ok")
		}
		return
	}
	cmd := marlinCmd{}
	for _, f := range faults {
		switch f.Kind {
		case FaultStall:
			s.stalled = true
			return
		case FaultError, FaultAlarm:
			cmd.fail = f.Kind
		case FaultLoseOK:
			cmd.noOK = true
		case FaultDisconnect:
			cmd.drop = true
		}
	}
	m110 := containsWord(nl.body, "M110")
	switch {
	case nl.hasN && !nl.hasCS:
		s.resend("No Checksum with line number")
		return
	case !nl.hasN && nl.hasCS:
		s.resend("No Line Number with checksum")
		return
	case nl.hasCS && nl.sum != nl.cs:
		s.resend("checksum mismatch")
		return
	case nl.hasN && nl.n != s.lastN+1 && !m110:
		s.resend("Line Number is not Last Line Number+1")
		return
	}
	if nl.hasN {
		s.lastN = nl.n
	}
	if m110 {
		if b, err := gcode.ParseLine(nl.body); err == nil {
			if n, ok := b.Get('N'); ok {
				s.lastN = int(n)
			}
		}
	}
	cmd.text = nl.body
	s.queue = append(s.queue, cmd)
}

// resend is Marlin's flush_and_request_resend: the error, the line it wants again, and an ok.
func (s *Sim) resend(why string) {
	s.stats.Resends++
	s.stats.Errors++
	s.emit(fmt.Sprintf("Error:%s, Last Line: %d", why, s.lastN), fmt.Sprintf("Resend: %d", s.lastN+1), "ok")
}

// marlinHalt is kill(): motion stops, the queue is dropped, and only M999 is heard. The servo
// holds its angle, so a lowered pen stays on the card until the host lifts it.
func (s *Sim) marlinHalt(msg string) {
	s.ex.interrupt()
	s.in.pos = s.ex.pos
	s.pending, s.queue, s.running, s.rx, s.marlinWait = nil, nil, false, s.rx[:0], false
	s.halted = true
	s.stats.Alarms++
	s.log.Warn("halted", "why", msg)
	if s.klipper() {
		s.emit("!! " + msg)
		return
	}
	s.emit("Error:" + msg)
}

// marlinWork executes queued commands in order; each is answered once its moves are planned
// (and, for M400, G4 and the spindle commands, once the planner is empty).
func (s *Sim) marlinWork(now time.Time) bool {
	progress := false
	for len(s.queue) > 0 && !s.halted && !s.stalled && !s.dead {
		if !s.running {
			s.startCommand(now)
			progress = true
			if s.halted {
				return true
			}
		}
		for len(s.pending) > 0 && len(s.ex.planner) < s.cfg.Planner-1 {
			s.ex.planner = append(s.ex.planner, s.pending[0])
			s.clock.add(s.pending[0])
			s.pending = s.pending[1:]
			progress = true
		}
		if len(s.pending) > 0 || (s.marlinWait && len(s.ex.planner) > 0) {
			break
		}
		cmd := s.queue[0]
		s.queue = s.queue[1:]
		s.running, s.marlinWait = false, false
		s.stats.OKs++
		if cmd.noOK {
			s.log.Info("ok lost on purpose (fault)")
		} else {
			s.emit("ok" + s.okSuffix)
		}
		s.okSuffix = ""
		if cmd.drop {
			s.dead = true
			return true
		}
		progress = true
		s.marlinDrain()
	}
	if s.marlinDrain() {
		progress = true
	}
	return progress
}

// marlinDrain reads waiting bytes into the command queue while it has room.
func (s *Sim) marlinDrain() bool {
	moved := false
	for len(s.rx) > 0 && len(s.queue) < s.cfg.QueueDepth && !s.stalled && !s.dead {
		c := s.rx[0]
		s.rx = s.rx[1:]
		s.marlinLineByte(c)
		moved = true
	}
	return moved
}

func (s *Sim) startCommand(now time.Time) {
	cmd := s.queue[0]
	s.running = true
	s.lastBusy = now
	switch {
	case cmd.fail == FaultError && s.klipper():
		// Klipper refuses the command and carries on: "!! message", then its ok.
		s.stats.Errors++
		s.emit("!! Move out of range: injected fault")
		return
	case cmd.fail == FaultError:
		s.marlinHalt("Printer halted. kill() called!")
		return
	case cmd.fail == FaultAlarm && s.klipper():
		s.marlinHalt("MCU 'mcu' shutdown: Timer too close")
		return
	case cmd.fail == FaultAlarm:
		s.emit("Error:Thermal Runaway, system stopped! Heater_ID: E0")
		s.marlinHalt("Printer halted. kill() called!")
		return
	}
	if cmd.text == "M999" || cmd.text == "M410" || cmd.text == "M108" {
		return
	}
	if r := s.settingsReport(cmd.text); r != nil {
		s.emit(r...)
		return
	}
	out, err := s.in.interpret(cmd.text)
	switch {
	case err != nil:
		s.emit("echo:" + err.msg)
	case out.halt != "":
		s.marlinHalt(out.halt)
	case out.unknown != "":
		s.emit(fmt.Sprintf("echo:Unknown command: %q", cmd.text))
	default:
		s.emit(out.reply...)
		if out.penNow != nil {
			s.ex.setPen(*out.penNow)
		}
		s.pending = out.blocks
		s.marlinWait = out.sync
		s.okSuffix = out.okSuffix
	}
}

// marlinKeepalive is Marlin's host keepalive while a command waits for the planner.
func (s *Sim) marlinKeepalive(now time.Time) {
	if s.running && !s.halted && now.Sub(s.lastBusy) >= s.cfg.BusyInterval {
		s.lastBusy = now
		s.emit("echo:busy: processing")
	}
}

// stripLine is what a controller keeps of a line: no comments, no white space.
func stripLine(line string) string { return gcode.Strip(line) }

func toUpper(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// containsWord reports whether an upper-case line holds the command word w (M110, not M1100).
func containsWord(line, w string) bool {
	for i := 0; ; {
		j := strings.Index(line[i:], w)
		if j < 0 {
			return false
		}
		end := i + j + len(w)
		before := i + j
		if (end == len(line) || line[end] < '0' || line[end] > '9') && (before == 0 || line[before-1] < '0' || line[before-1] > '9') {
			return true
		}
		i = end
	}
}

func gcodeM5() gcode.Block { return gcode.Block{Words: []gcode.Word{{Letter: 'M', Value: 5}}} }

// settingsReport answers the settings queries a sender's handshake makes: Marlin's M503 and
// Klipper's SET_VELOCITY_LIMIT without parameters. nil: not such a query.
func (s *Sim) settingsReport(text string) []string {
	f := strings.Fields(text)
	if len(f) != 1 {
		return nil
	}
	rate, accel, jd := s.in.maxRate/60, s.in.accel, s.gs.junction
	switch {
	case s.klipper() && f[0] == "SET_VELOCITY_LIMIT":
		scv := math.Sqrt(jd * accel / (math.Sqrt2 - 1))
		return []string{fmt.Sprintf("// max_velocity: %.6f", rate), fmt.Sprintf("// max_accel: %.6f", accel),
			"// minimum_cruise_ratio: 0.500000", fmt.Sprintf("// square_corner_velocity: %.6f", scv)}
	case !s.klipper() && f[0] == "M503":
		return []string{
			"echo:; Linear Units:", "echo:  G21 ; (mm)",
			"echo:; Max feedrates (units/s):", fmt.Sprintf("echo:  M203 X%.2f Y%.2f Z%.2f", rate, rate, rate),
			"echo:; Max Acceleration (units/s2):", fmt.Sprintf("echo:  M201 X%.2f Y%.2f Z%.2f", accel, accel, accel),
			"echo:; Acceleration (units/s2) (P<print-accel> R<retract-accel> T<travel-accel>):", fmt.Sprintf("echo:  M204 P%.2f R%.2f T%.2f", accel, accel, accel),
			"echo:; Advanced (B<min_segment_time_us> S<min_feedrate> T<min_travel_feedrate> J<junc_dev>):", fmt.Sprintf("echo:  M205 B20000.00 S0.00 T0.00 J%.3f", jd),
		}
	}
	return nil
}
