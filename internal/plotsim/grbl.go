package plotsim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// deliver hands one byte that has crossed the wire to the controller.
func (s *Sim) deliver(c byte) {
	if s.stalled || s.dead {
		return
	}
	if s.marlin() {
		s.marlinByte(c)
		return
	}
	s.grblByte(c)
}

// grblByte is GRBL's serial interrupt: real-time commands act at once, anywhere in the stream;
// other bytes go to the line reader, or wait in the receive buffer while the parser is blocked.
func (s *Sim) grblByte(c byte) {
	switch c {
	case '?':
		s.stats.StatusQueries++
		s.emit(s.statusReport())
		return
	case '!':
		if s.alarm == 0 && !s.sleeping && !s.homing {
			s.ex.hold = true
		}
		return
	case '~':
		if s.alarm == 0 {
			s.ex.hold, s.door = false, false
		}
		return
	case 0x18:
		s.grblReset()
		return
	}
	if c >= 0x80 {
		return // extended real-time commands (overrides, door, jog cancel): accepted, not modelled
	}
	if s.grblBlocked() {
		if len(s.rx) >= s.cfg.RXBuffer {
			s.overflow()
			return
		}
		s.rx = append(s.rx, c)
		return
	}
	s.grblLineByte(c)
}

// grblBlocked: the main loop is stuck in the planner (or in the alarm loop) and reads no bytes.
func (s *Sim) grblBlocked() bool { return s.critical || len(s.pending) > 0 || s.waitSeq }

func (s *Sim) grblLineByte(c byte) {
	if c != '\n' && c != '\r' {
		if len(s.lineBuf) >= 1024 {
			s.lineOvf = true
			return
		}
		s.lineBuf = append(s.lineBuf, c)
		return
	}
	raw := append([]byte(nil), s.lineBuf...)
	s.lineBuf = s.lineBuf[:0]
	ovf := s.lineOvf
	s.lineOvf = false
	line, seq, faults, ok := s.lineDone(raw)
	if !ok {
		return
	}
	s.grblLine(line, seq, faults, ovf)
}

// grblLineMax is GRBL's LINE_BUFFER_SIZE: longer lines are refused with error:11.
const grblLineMax = 80

func (s *Sim) grblLine(line string, seq int64, faults []Fault, ovf bool) {
	if s.badSeq[seq] {
		delete(s.badSeq, seq)
		s.answerErr(11)
		return
	}
	for _, f := range faults {
		switch f.Kind {
		case FaultStall:
			s.stalled = true
			return
		case FaultError:
			s.answerErr(cmp(f.Code, 20))
			return
		case FaultAlarm:
			s.grblAlarm(cmp(f.Code, 1))
			return
		case FaultLoseOK:
			s.noOK = true
		case FaultDisconnect:
			s.dropAt = true
		case FaultHold:
			s.holdNow(f.Code == 1)
		}
	}
	st := stripLine(line)
	switch {
	case st == "":
		s.answerOK()
		return
	case ovf || len(st) > grblLineMax:
		s.answerErr(11)
		return
	case st[0] == '$':
		s.grblSystem(string(toUpper([]byte(st))))
		return
	case s.alarm != 0 || s.sleeping:
		s.answerErr(9)
		return
	}
	out, err := s.in.interpret(line)
	if err != nil {
		s.answerErr(err.code)
		return
	}
	if out.alarm != 0 {
		s.grblAlarm(out.alarm)
		return
	}
	if !s.check {
		s.pending = out.blocks
	}
	s.okDue = true
	s.grblFeed()
}

func cmp(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// grblFeed moves the current line's blocks into the planner as room appears and answers the
// line once they are all in (GRBL answers when a line is planned, not when it is executed).
func (s *Sim) grblFeed() bool {
	progress := false
	for len(s.pending) > 0 && len(s.ex.planner) < s.cfg.Planner-1 {
		s.ex.planner = append(s.ex.planner, s.pending[0])
		s.clock.add(s.pending[0])
		s.pending = s.pending[1:]
		progress = true
	}
	if len(s.pending) > 0 {
		return progress
	}
	if s.waitSeq {
		if len(s.ex.planner) > 0 {
			return progress
		}
		s.waitSeq = false
		if s.homing {
			s.homing, s.alarm = false, 0
		}
	}
	if s.okDue {
		s.okDue = false
		s.answerOK()
		progress = true
	}
	return progress
}

func (s *Sim) grblWork() bool {
	progress := s.grblFeed()
	for !s.grblBlocked() && len(s.rx) > 0 && !s.stalled && !s.dead {
		c := s.rx[0]
		s.rx = s.rx[1:]
		s.grblLineByte(c)
		progress = true
	}
	return progress
}

func (s *Sim) answerOK() {
	s.stats.OKs++
	if s.noOK {
		s.noOK = false
		s.log.Info("ok lost on purpose (fault)")
	} else {
		s.emit("ok")
	}
	if s.dropAt {
		s.dead = true
	}
}

func (s *Sim) answerErr(code int) {
	s.stats.Errors++
	s.noOK = false
	s.emit("error:" + strconv.Itoa(code))
	if s.dropAt {
		s.dead = true
	}
}

// spindleStop is what a reset or an alarm does to the spindle output, and so to a pen on it.
func (s *Sim) spindleStop() {
	m5 := gcodeM5()
	down := s.in.penFunc(m5, s.ex.pos[2], s.ex.pen)
	s.ex.setPen(down)
	s.in.pen = down
	s.in.m.spindle = 5
}

// holdNow is a feed hold from the machine's side: its hold button, or its safety door opening.
func (s *Sim) holdNow(door bool) {
	if s.alarm == 0 && !s.sleeping && !s.homing {
		s.ex.hold, s.door = true, door
		s.log.Info("feed hold (fault)", "door", door)
	}
}

// grblAlarm raises a critical alarm: motion is killed, and nothing but a soft reset is heard.
func (s *Sim) grblAlarm(code int) {
	s.ex.interrupt()
	s.ex.hold = false
	s.in.pos = s.ex.pos
	s.spindleStop()
	s.pending, s.okDue, s.waitSeq, s.homing, s.noOK = nil, false, false, false, false
	s.alarm, s.critical = code, true
	s.stats.Alarms++
	s.log.Warn("alarm", "code", code)
	s.emit(fmt.Sprintf("ALARM:%d", code), "[MSG:Reset to continue]")
	if s.dropAt {
		s.dead = true
	}
}

// grblReset is Ctrl-X: stop, flush every buffer, reset the parser, print the banner. A reset
// while moving loses position, so GRBL comes back in ALARM:3 and wants $X or $H.
func (s *Sim) grblReset() {
	moving := s.ex.interrupt() || s.homing
	s.in.pos = s.ex.pos
	s.spindleStop()
	s.rx, s.lineBuf, s.lineOvf = s.rx[:0], s.lineBuf[:0], false
	s.pending, s.okDue, s.waitSeq, s.noOK, s.homing = nil, false, false, false, false
	s.ex.hold, s.door, s.check, s.sleeping, s.critical = false, false, false, false, false
	wcs := s.in.m.wcs
	s.in.m = defaultModal()
	s.in.m.wcs = wcs
	s.stats.Resets++
	if moving && s.alarm == 0 {
		s.alarm = 3
		s.stats.Alarms++
		s.emit("ALARM:3")
	}
	s.emit("", s.banner())
	if s.alarm != 0 {
		s.emit("[MSG:'$H'|'$X' to unlock]")
	}
}

func (s *Sim) statusReport() string {
	p := s.ex.position()
	speed := 0.0
	if s.in.m.spindle != 5 {
		speed = s.in.m.speed
	}
	return fmt.Sprintf("<%s|MPos:%.3f,%.3f,%.3f|Bf:%d,%d|FS:%.0f,%.0f>", s.stateName(), p[0], p[1], p[2],
		max(0, s.cfg.Planner-1-len(s.ex.planner)), s.cfg.RXBuffer-len(s.rx), s.ex.feed(), speed)
}

// settings is what $$ prints, in order.
func (s *Sim) settings() [][2]string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	// Homing goes to the corner nearest machine zero; a bit of $23 is set where that is the
	// axis's low end, so the travel is 0..$13x rather than GRBL's usual -$13x..0.
	dirs := 0
	if s.in.area.Min.X >= 0 {
		dirs |= 1
	}
	if s.in.area.Min.Y >= 0 {
		dirs |= 2
	}
	return [][2]string{
		{"0", "10"}, {"1", "25"}, {"2", "0"}, {"3", "0"}, {"4", "0"}, {"5", "0"}, {"6", "0"},
		{"10", "1"}, {"11", f(s.gs.junction)}, {"12", "0.002"}, {"13", b(s.gs.inch)}, {"20", b(s.in.softLim)}, {"21", "0"},
		{"22", b(s.homingOn)}, {"23", strconv.Itoa(dirs)}, {"24", "25.000"}, {"25", "500.000"}, {"26", "250"}, {"27", "1.000"},
		{"30", f(s.gs.spindleMax)}, {"31", f(s.gs.spindleMin)}, {"32", b(s.gs.laser)},
		{"100", "80.000"}, {"101", "80.000"}, {"102", "80.000"},
		{"110", f(s.in.maxRate)}, {"111", f(s.in.maxRate)}, {"112", f(zRate(s.in))},
		{"120", f(s.in.accel)}, {"121", f(s.in.accel)}, {"122", f(s.in.accel)},
		{"130", f(s.in.area.W())}, {"131", f(s.in.area.H())}, {"132", f(s.in.zmax - s.in.zmin)},
	}
}

// grblSystem runs a $ command (upper case, stripped).
func (s *Sim) grblSystem(cmd string) {
	idle := len(s.ex.planner) == 0 && !s.ex.hold
	switch {
	case cmd == "$":
		s.emit("[HLP:$$ $# $G $I $N $x=val $Nx=line $J=line $SLP $C $X $H ~ ! ? ctrl-x]")
	case cmd == "$$":
		for _, kv := range s.settings() {
			s.emit("$" + kv[0] + "=" + kv[1])
		}
	case cmd == "$G":
		m := s.in.m
		dist, units := "G90", "G21"
		if m.relative {
			dist = "G91"
		}
		if m.inches {
			units = "G20"
		}
		s.emit(fmt.Sprintf("[GC:G%g G54 G17 %s %s G94 M%g M9 T0 F%g S%g]", m.motion, units, dist, m.spindle, m.feed, m.speed))
	case cmd == "$X":
		if s.alarm != 0 {
			s.alarm = 0
			s.emit("[MSG:Caution: Unlocked]")
		}
	case cmd == "$C":
		if !idle || s.alarm != 0 {
			s.answerErr(8)
			return
		}
		s.check = !s.check
		if s.check {
			s.emit("[MSG:Enabled]")
		} else {
			// Leaving check mode resets, as GRBL does, so the parser forgets the checked program.
			s.emit("[MSG:Disabled]")
			s.grblReset()
		}
	case strings.HasPrefix(cmd, "$J="):
		s.jog(cmd[3:])
		return
	case !idle:
		s.answerErr(8)
		return
	case cmd == "$#":
		w := s.in.m.wcs
		g := s.in.m.g92
		s.emit(fmt.Sprintf("[G54:%.3f,%.3f,%.3f]", w[0], w[1], w[2]))
		for _, n := range []string{"G55", "G56", "G57", "G58", "G59", "G28", "G30"} {
			s.emit("[" + n + ":0.000,0.000,0.000]")
		}
		s.emit(fmt.Sprintf("[G92:%.3f,%.3f,%.3f]", g[0], g[1], g[2]), "[TLO:0.000]", "[PRB:0.000,0.000,0.000:0]")
	case cmd == "$I":
		s.emit("[VER:"+s.cfg.Version+".20190825:quillpost plotsim]", fmt.Sprintf("[OPT:V,%d,%d]", s.cfg.Planner-1, s.cfg.RXBuffer))
	case cmd == "$N":
		s.emit("$N0=", "$N1=")
	case cmd == "$H" && !s.homingOn:
		s.answerErr(5)
		return
	case cmd == "$H" && s.cfg.NoSwitches:
		s.grblAlarm(8)
		return
	case cmd == "$H":
		h := s.in.home()
		s.pending = []block{s.in.move(h, s.in.maxRate, true)}
		s.homing, s.waitSeq, s.okDue = true, true, true
		s.ex.hold = false
		s.grblFeed()
		return
	case cmd == "$SLP":
		s.spindleStop()
		s.sleeping = true
		s.emit("[MSG:Sleeping]")
	case strings.HasPrefix(cmd, "$RST="):
	default:
		if !s.setSetting(cmd) {
			s.answerErr(3)
			return
		}
	}
	s.answerOK()
}

// setSetting stores $n=v for the settings the simulator models and accepts the others.
func (s *Sim) setSetting(cmd string) bool {
	k, v, ok := strings.Cut(cmd[1:], "=")
	if !ok {
		return false
	}
	n, err := strconv.Atoi(k)
	if err != nil {
		return false
	}
	known := slices.ContainsFunc(s.settings(), func(kv [2]string) bool { return kv[0] == k })
	if !known {
		return false
	}
	val, err := strconv.ParseFloat(v, 64)
	if err != nil || val < 0 {
		return false
	}
	switch n {
	case 20:
		s.in.softLim = val != 0
	case 22:
		s.homingOn = val != 0
	case 11:
		s.gs.junction = val
	case 13:
		s.gs.inch = val != 0
	case 30:
		s.gs.spindleMax = val
	case 31:
		s.gs.spindleMin = val
	case 32:
		s.gs.laser = val != 0
	case 110, 111:
		if val > 0 {
			s.in.maxRate = val
		}
	case 120, 121:
		if val > 0 {
			s.in.accel = val
		}
	case 130:
		if val > 0 {
			s.in.area.Max.X = s.in.area.Min.X + val
		}
	case 131:
		if val > 0 {
			s.in.area.Max.Y = s.in.area.Min.Y + val
		}
	}
	return true
}

// jog runs $J=: a move that leaves the parser's modal state alone and is refused (error:15),
// not alarmed, when it would leave the travel.
func (s *Sim) jog(words string) {
	if s.alarm != 0 {
		s.answerErr(9)
		return
	}
	if !strings.Contains(words, "F") {
		s.answerErr(22)
		return
	}
	saved, pos, pen := s.in.m, s.in.pos, s.in.pen
	out, err := s.in.interpret("G1" + words)
	s.in.m = saved
	switch {
	case err != nil:
		s.in.pos, s.in.pen = pos, pen
		s.answerErr(err.code)
	case out.alarm != 0:
		s.in.pos, s.in.pen = pos, pen
		s.answerErr(15)
	default:
		s.pending = out.blocks
		s.okDue = true
		s.grblFeed()
	}
}

func zRate(in interp) float64 {
	if in.zRate > 0 {
		return in.zRate
	}
	return in.maxRate
}
