package serialstream

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quillpost/quillpost/internal/gcode"
)

type control int

const (
	ctlPause control = iota
	ctlResume
	ctlAbort
)

// Progress is reported while a job streams.
type Progress struct {
	Acked, Total           int // program lines acknowledged, and in all
	Percent                float64
	BytesAcked, BytesTotal int64
	Elapsed, ETA           time.Duration
	State                  string     // the controller's state from its last status report (GRBL)
	MPos                   [3]float64 // machine position from its last status report (GRBL)
	Paused                 bool
}

// Summary describes a finished job.
type Summary struct {
	Protocol string
	Lines    int   // program lines streamed (blank and comment-only lines are not sent)
	Bytes    int64 // bytes of G-code written, resent lines included
	// Duration runs from the start of Stream until the controller was seen idle with every line
	// acknowledged; StreamDuration from the first byte written to the last acknowledgement.
	Duration, StreamDuration time.Duration
	// Utilisation is Bytes over what the link could carry in StreamDuration at Config.Baud
	// (10 bits a byte); 0 when the baud rate is unknown.
	Utilisation float64
	Recoveries  int // acknowledgements presumed lost and recovered by the watchdog
	Resends     int // lines the controller asked for again (Marlin)
	RXBuffer    int // receive buffer used for flow control, bytes
	// PenDown: a pen-down command ran, so the card carries a mark (see Error.Marked on failure).
	PenDown bool
}

// jobLine is one line of the program that is actually sent.
type jobLine struct {
	src       int    // 1-based line in the program, 0 for the sender's own lines
	text      string // as written in the program
	data      string // what is sent, without framing and newline
	sys       bool   // a GRBL $ command: sent alone, with the machine idle
	dwell     float64
	synthetic bool
	penDown   bool // one of the pen-down commands: once it has run, the card carries a mark
}

// flight is a line sent and not yet acknowledged: its index, its bytes, and when it was sent.
type flight struct {
	idx, n int
	sent   time.Time
}

type streamer struct {
	c        *Controller
	cfg      *Config
	lines    []jobLine
	total    int
	prefix   []int64 // bytes (stripped, with newline) before each line
	next     int
	inflight []flight
	inBytes  int
	budget   int
	resendAt int
	paused   bool
	started  bool
	ctl      chan control
	progress func(Progress)

	// marked: a pen-down command has run (acknowledged, or presumed run by the watchdog), so
	// the card may carry a mark. Without known pen-down commands every started job counts.
	marked, knowsPen bool

	secsPrefix []float64 // estimated machine seconds of the lines before each line
	pauseEnded time.Time // when the operator's last pause ended
	lastState  string    // the last GRBL state reported to the log

	sentBytes                             int64
	start, firstSend, lastAck, lastWrite  time.Time
	idleSince, lastRecovery, lastProgress time.Time
	recoveries, resends                   int
}

// prepare strips the program to what is sent and checks that every line can be sent.
func (c *Controller) prepare(program []string) ([]jobLine, error) {
	var lines []jobLine
	// The pen-down commands that are not also pen-up commands (Marlin's M400 is both) tell a
	// lowering pen.
	downs := map[string]bool{}
	for _, l := range c.cfg.PenDown {
		downs[gcode.Strip(l)] = true
	}
	for _, l := range append(slices.Clone(c.cfg.PenUp), c.cfg.PenRest...) {
		delete(downs, gcode.Strip(l))
	}
	delete(downs, "")
	for i, raw := range program {
		d := gcode.Strip(raw)
		if d == "" {
			continue
		}
		l := jobLine{src: i + 1, text: raw, data: d}
		bad := func(why string) error {
			return &Error{Kind: ErrProgram, Line: l.src, Text: raw, Err: errors.New(why)}
		}
		for j := 0; j < len(d); j++ {
			ch := d[j]
			if ch < 0x20 || ch >= 0x7f {
				return nil, bad("it holds a control or non-ASCII byte")
			}
			if c.cfg.grbl() && (ch == '?' || ch == '!' || ch == '~') {
				return nil, bad(fmt.Sprintf("it holds %q, which GRBL takes for a real-time command", ch))
			}
			if c.cfg.Protocol == ProtocolLineChecksum && ch == '*' {
				return nil, bad("it holds '*', which would break Marlin's checksum")
			}
		}
		if c.cfg.Protocol == ProtocolCharCount && len(d)+1 > c.info.RXBuffer {
			return nil, bad(fmt.Sprintf("%d bytes do not fit the controller's %d-byte receive buffer", len(d)+1, c.info.RXBuffer))
		}
		l.sys = c.cfg.grbl() && d[0] == '$'
		l.penDown = downs[d]
		if b, err := gcode.ParseLine(d); err == nil && b.Has('G', 4) {
			if p, ok := b.Get('P'); ok {
				l.dwell = p
			}
		}
		lines = append(lines, l)
	}
	return lines, nil
}

// Stream sends program (G-code lines as written: comments and blank lines are stripped here) and
// returns once every line is acknowledged and the controller is idle with its buffers empty (GRBL
// reports Idle; Marlin and Klipper answer a final M400). On a firmware error or alarm it stops
// the machine at once (GRBL: feed hold, soft reset, unlock), lifts the pen and reports the failed
// line in an *Error. Cancelling ctx aborts the job the same way. progress, when not nil, is called
// on Stream's goroutine at most ten times a second and once at the end. The Summary is filled in
// on failure too, up to where the job got.
func (c *Controller) Stream(ctx context.Context, program []string, progress func(Progress)) (Summary, error) {
	lines, err := c.prepare(program)
	if err != nil {
		return Summary{}, err
	}
	c.mu.Lock()
	if c.ctl != nil || c.setup {
		c.mu.Unlock()
		return Summary{}, &Error{Kind: ErrBusy}
	}
	ctl := make(chan control, 16)
	c.ctl = ctl
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.ctl = nil
		c.mu.Unlock()
	}()
	s := &streamer{c: c, cfg: &c.cfg, lines: lines, total: len(lines), ctl: ctl, progress: progress, resendAt: -1, start: time.Now(),
		knowsPen: len(c.cfg.PenDown) > 0}
	if !c.cfg.grbl() {
		// Marlin and Klipper answer M400 once every move has finished: the end of the job.
		s.lines = append(s.lines, jobLine{text: "M400", data: "M400", synthetic: true})
	}
	s.prefix = make([]int64, len(s.lines)+1)
	for i, l := range s.lines {
		s.prefix[i+1] = s.prefix[i] + int64(len(l.data)+1)
	}
	s.secsPrefix = make([]float64, len(s.lines)+1)
	for i, t := range c.lineTimes(s.lines) {
		s.secsPrefix[i+1] = s.secsPrefix[i] + t
	}
	// Character counting keeps the bytes in flight within GRBL's receive buffer. Marlin moves a
	// line out of its receive buffer into the command queue as soon as the queue has room, and
	// answers it only once it has run; with at most QueueDepth (BUFSIZE) lines unanswered they
	// all fit the queue, so its receive buffer never fills and bytes need no counting.
	s.budget = 1 << 30
	if c.cfg.Protocol == ProtocolCharCount {
		s.budget = c.info.RXBuffer
	}
	return s.run(ctx)
}

func (s *streamer) run(ctx context.Context) (Summary, error) {
	c := s.c
	if err := c.checkLink(ctx); err != nil {
		return Summary{}, err
	}
	if c.cfg.Protocol == ProtocolLineChecksum {
		// Number this job's lines from 1. Nothing has been drawn yet, so nothing needs stopping.
		if err := c.command(ctx, "M110 N0", c.cfg.AckTimeout); err != nil {
			kind := ErrTimeout
			switch {
			case errors.Is(err, ErrDisconnected):
				kind = ErrDisconnected
			case ctx.Err() != nil:
				kind = ErrAborted
			case err != ErrTimeout:
				kind = ErrFirmware
			}
			return Summary{}, &Error{Kind: kind, Reply: "M110 N0", Err: err}
		}
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := s.fill(); err != nil {
			return s.summary(), s.fail(ctx, ErrDisconnected, Reply{}, err)
		}
		if s.finished() {
			s.report(true)
			return s.summary(), nil
		}
		select {
		case l, ok := <-c.replies:
			if !ok {
				return s.summary(), s.fail(ctx, ErrDisconnected, Reply{}, c.readCause())
			}
			if err := s.handle(ctx, c.note(l)); err != nil {
				return s.summary(), err
			}
		case <-tick.C:
			if err := s.housekeeping(ctx); err != nil {
				return s.summary(), err
			}
		case req := <-s.ctl:
			if err := s.control(ctx, req); err != nil {
				return s.summary(), err
			}
		case <-ctx.Done():
			return s.summary(), s.fail(ctx, ErrAborted, Reply{}, context.Cause(ctx))
		}
	}
}

// checkLink makes sure the controller still answers before a job's first line is sent: a link
// that sat idle may have gone stale (a controller that rebooted, a bridge that lost a byte). GRBL
// must answer a status request and report Idle; otherwise it is soft-reset and woken again (with
// $H or $X when it comes back in alarm). Marlin and Klipper must answer their greeting, or are
// greeted again until the wake timeout. Nothing has been drawn, so an error here leaves the card
// blank.
func (c *Controller) checkLink(ctx context.Context) error {
	c.drain()
	// A link heard from a moment ago, reporting Idle (back-to-back cards), needs no check: the
	// check is for links that sat idle.
	if fresh := time.Since(c.lastRxTime()) < time.Second && time.Since(c.statusAt) < time.Second; fresh && (!c.cfg.grbl() || c.status.State == "Idle") {
		return nil
	}
	c.polls = nil // reports owed from before the idle time will never come
	if !c.cfg.grbl() {
		greet := "M110 N0"
		if c.cfg.Dialect == DialectKlipper {
			greet = "M115"
		}
		if err := c.command(ctx, greet, c.cfg.AckTimeout); err == nil {
			return nil
		} else if ctx.Err() != nil {
			return &Error{Kind: ErrAborted, Err: context.Cause(ctx)}
		} else {
			c.log.Warn("controller did not answer before the job; greeting it again", "err", err)
		}
		return c.wakeLineFirmware(ctx)
	}
	st, err := c.syncStatus(ctx, c.cfg.LinkTimeout)
	if err == nil && st.State == "Idle" {
		return nil
	}
	if ctx.Err() != nil {
		return &Error{Kind: ErrAborted, Err: context.Cause(ctx)}
	}
	c.log.Warn("controller not idle before the job; resetting it", "state", st.State, "err", err)
	return c.wakeGRBL(ctx)
}

// drain drops lines left over from before the job.
func (c *Controller) drain() {
	for {
		select {
		case l, ok := <-c.replies:
			if !ok {
				return
			}
			c.note(l)
		default:
			return
		}
	}
}

// frame is what goes on the wire for line i.
func (s *streamer) frame(i int) string {
	d := s.lines[i].data
	if s.cfg.Protocol == ProtocolLineChecksum {
		d = "N" + strconv.Itoa(i+1) + " " + d
		d += "*" + strconv.Itoa(checksum(d))
	}
	return d + "\n"
}

// checksum is Marlin's: the XOR of every byte before the '*'.
func checksum(s string) int {
	c := 0
	for i := 0; i < len(s); i++ {
		c ^= int(s[i])
	}
	return c
}

// fill writes as many lines as flow control allows, in one write.
func (s *streamer) fill() error {
	if s.resendAt >= 0 {
		if len(s.inflight) > 0 {
			return nil // the lines sent after the bad one are being refused; wait for them all
		}
		s.next, s.resendAt = s.resendAt, -1
	}
	var buf []byte
	for !s.paused && s.next < len(s.lines) {
		l := s.lines[s.next]
		if n := len(s.inflight); n > 0 {
			if l.sys || s.lines[s.inflight[n-1].idx].sys || s.cfg.Protocol == ProtocolSendWait {
				break
			}
			if s.cfg.Protocol == ProtocolLineChecksum && n >= s.cfg.QueueDepth {
				break
			}
		}
		if l.sys && !s.drained() {
			break // GRBL runs $ commands only when idle
		}
		f := s.frame(s.next)
		if len(s.inflight) > 0 && s.inBytes+len(f) > s.budget {
			break
		}
		buf = append(buf, f...)
		s.inflight = append(s.inflight, flight{idx: s.next, n: len(f)})
		s.inBytes += len(f)
		s.next++
	}
	if len(buf) == 0 {
		return nil
	}
	if err := s.c.write(buf); err != nil {
		return err
	}
	now := time.Now()
	for i := len(s.inflight) - 1; i >= 0 && s.inflight[i].sent.IsZero(); i-- {
		s.inflight[i].sent = now
	}
	if !s.started {
		s.started, s.firstSend = true, now
	}
	s.lastWrite = now
	s.sentBytes += int64(len(buf))
	return nil
}

// drained: GRBL has acknowledged everything and reported idle, with empty buffers, in answer to
// a poll sent after the last acknowledgement and the last write.
func (s *streamer) drained() bool {
	c := s.c
	return len(s.inflight) == 0 && c.status.State == "Idle" && c.statusAt.After(s.lastAck) &&
		c.statusAt.After(s.lastWrite) && s.buffersEmpty(c.status)
}

func (s *streamer) buffersEmpty(st Status) bool {
	if !st.HasBf {
		return true
	}
	info := s.c.info
	return (!info.RXReported || st.RX >= info.RXBuffer) && st.Blocks >= info.Blocks
}

func (s *streamer) finished() bool {
	if s.next < len(s.lines) || len(s.inflight) > 0 || s.resendAt >= 0 {
		return false
	}
	if s.cfg.grbl() {
		return s.drained()
	}
	return true
}

func (s *streamer) handle(ctx context.Context, r Reply) error {
	c := s.c
	switch r.Kind {
	case ReplyOK:
		if len(s.inflight) == 0 {
			c.log.Warn("ok without a line in flight (a late ok after a watchdog recovery?)")
			return nil
		}
		s.done(s.inflight[0])
		s.inBytes -= s.inflight[0].n
		s.inflight = s.inflight[1:]
		s.lastAck, s.idleSince = time.Now(), time.Time{}
		s.report(false)
	case ReplyError:
		return s.fail(ctx, ErrFirmware, r, nil)
	case ReplyAlarm:
		return s.fail(ctx, ErrAlarm, r, nil)
	case ReplyKlipperError, ReplyUnknownCommand:
		return s.fail(ctx, ErrFirmware, r, nil)
	case ReplyMarlinError:
		if !resendable(r.Text) {
			return s.fail(ctx, ErrFirmware, r, nil)
		}
		c.log.Info("controller refused a corrupted line", "reply", r.Text)
	case ReplyResend:
		idx := r.Line - 1
		if s.cfg.Protocol != ProtocolLineChecksum || idx < 0 || idx > s.next {
			return s.fail(ctx, ErrFirmware, r, fmt.Errorf("resend of line %d, which was never sent", r.Line))
		}
		if s.resendAt < 0 || idx < s.resendAt {
			s.resendAt = idx
			s.resends++
			c.log.Info("resending", "from", r.Line)
		}
	case ReplyBanner, ReplyStart:
		return s.fail(ctx, ErrReset, r, nil)
	case ReplyStatus:
		s.watchdog()
		if st := c.status.State; st != s.lastState {
			name, _, _ := strings.Cut(st, ":")
			if name == "Hold" || name == "Door" || name == "Alarm" || name == "Sleep" {
				c.log.Warn("controller state", "state", st, "meaning", stateMeaning(st))
			}
			s.lastState = st
			s.report(true)
		}
	case ReplyMessage, ReplyEcho, ReplyBusy:
		c.log.Debug("controller says", "line", r.Text)
	default:
		c.log.Debug("unrecognised line", "line", r.Text)
	}
	return nil
}

// watchdog recovers lost acknowledgements on GRBL: the controller has sat idle with empty
// buffers, in reports asked for after the last write, while lines are still unacknowledged. An ok
// always precedes the report that follows it on the wire, so those lines were all executed and
// their oks lost (a cheap USB bridge dropped them). A dwell in flight extends the wait, since
// GRBL reports Idle while it dwells.
func (s *streamer) watchdog() {
	c := s.c
	st := c.status
	if len(s.inflight) == 0 || st.State != "Idle" || !c.statusAt.After(s.lastWrite) || !c.statusAt.After(s.lastAck) || !s.buffersEmpty(st) {
		s.idleSince = time.Time{}
		return
	}
	now := time.Now()
	if s.idleSince.IsZero() {
		s.idleSince = now
	}
	grace := s.cfg.IdleGrace
	if !st.HasBf {
		grace = s.cfg.AckTimeout
	}
	for _, f := range s.inflight {
		grace = max(grace, s.cfg.IdleGrace+time.Duration(s.lines[f.idx].dwell*float64(time.Second)))
	}
	if now.Sub(s.idleSince) < grace {
		return
	}
	n := len(s.inflight)
	c.log.Warn("acknowledgements lost: controller idle with empty buffers", "lines", n, "first", s.lines[s.inflight[0].idx].src)
	s.recoveries += n
	for _, f := range s.inflight {
		s.done(f)
	}
	s.inflight, s.inBytes, s.idleSince = nil, 0, time.Time{}
	s.lastAck = now
}

func (s *streamer) housekeeping(ctx context.Context) error {
	c := s.c
	now := time.Now()
	if s.cfg.grbl() {
		if err := c.poll(false); err != nil {
			return s.fail(ctx, ErrDisconnected, Reply{}, err)
		}
		if silent := c.statusSilence(now); silent > s.cfg.LinkTimeout {
			return s.fail(ctx, ErrTimeout, Reply{}, fmt.Errorf("no reply to status requests for %v", silent.Round(time.Millisecond)))
		}
	} else if len(s.inflight) > 0 {
		// Silence counts from when an answer became owed: the oldest line in flight was sent
		// after any idle time before the job, which is no sign of a dead link.
		silent := now.Sub(latest(c.lastRxTime(), s.inflight[0].sent))
		if silent > s.cfg.AckTimeout && now.Sub(s.lastRecovery) > s.cfg.AckTimeout {
			if !s.lastRecovery.IsZero() && now.Add(-silent).Before(s.lastRecovery) {
				return s.fail(ctx, ErrTimeout, Reply{}, fmt.Errorf("nothing heard for %v", silent.Round(time.Millisecond)))
			}
			// No status reports to ask: presume the oldest ok lost, as OctoPrint does, and carry on.
			// If the controller is dead, the next silence ends the job.
			c.log.Warn("acknowledgement presumed lost after silence", "line", s.lines[s.inflight[0].idx].src, "silence", silent)
			s.done(s.inflight[0])
			s.inBytes -= s.inflight[0].n
			s.inflight = s.inflight[1:]
			s.recoveries++
			s.lastRecovery, s.lastAck = now, now
		}
	}
	if err := s.checkProgress(now); err != nil {
		return s.fail(ctx, ErrStalled, Reply{}, err)
	}
	s.report(false)
	return nil
}

// control carries out Pause, Resume and Abort.
func (s *streamer) control(ctx context.Context, req control) error {
	c := s.c
	switch req {
	case ctlPause:
		if s.paused {
			return nil
		}
		s.paused = true
		c.log.Info("pausing")
		if s.cfg.grbl() {
			if err := c.write([]byte{'!'}); err != nil {
				return s.fail(ctx, ErrDisconnected, Reply{}, err)
			}
		}
	case ctlResume:
		if !s.paused {
			return nil
		}
		s.paused = false
		s.pauseEnded = time.Now()
		c.log.Info("resuming")
		if s.cfg.grbl() {
			if err := c.write([]byte{'~'}); err != nil {
				return s.fail(ctx, ErrDisconnected, Reply{}, err)
			}
		}
	case ctlAbort:
		return s.fail(ctx, ErrAborted, Reply{}, nil)
	}
	s.report(true)
	return nil
}

// done notes a line the controller has run.
func (s *streamer) done(f flight) {
	if s.lines[f.idx].penDown {
		s.marked = true
	}
}

// penWasDown says whether the card may carry a mark: a pen-down command ran, or was in flight
// when the job failed in a way that may have let it run. After an alarm GRBL runs nothing more,
// and a halted Marlin or Klipper nothing either.
func (s *streamer) penWasDown(kind error, halted bool) bool {
	if !s.knowsPen {
		return s.started
	}
	if s.marked || kind == ErrAlarm || halted {
		return s.marked
	}
	for _, f := range s.inflight {
		if s.lines[f.idx].penDown {
			return true
		}
	}
	return false
}

func (s *streamer) acked() int { return min(s.total, s.next-len(s.inflight)) }

func (s *streamer) report(force bool) {
	if s.progress == nil {
		return
	}
	now := time.Now()
	if !force && now.Sub(s.lastProgress) < 100*time.Millisecond {
		return
	}
	s.lastProgress = now
	n := s.acked()
	p := Progress{Acked: n, Total: s.total, BytesAcked: s.prefix[n], BytesTotal: s.prefix[s.total],
		Elapsed: now.Sub(s.start), State: s.c.status.State, MPos: s.c.status.MPos, Paused: s.paused}
	if p.BytesTotal > 0 {
		p.Percent = 100 * float64(p.BytesAcked) / float64(p.BytesTotal)
	}
	if p.BytesAcked > 0 && p.BytesAcked < p.BytesTotal {
		p.ETA = time.Duration(float64(p.Elapsed) * float64(p.BytesTotal-p.BytesAcked) / float64(p.BytesAcked)).Round(time.Second)
	}
	s.progress(p)
}

func (s *streamer) summary() Summary {
	sum := Summary{Protocol: s.cfg.Protocol, Lines: s.acked(), Bytes: s.sentBytes, Duration: time.Since(s.start),
		Recoveries: s.recoveries, Resends: s.resends, RXBuffer: s.c.info.RXBuffer, PenDown: s.marked || (!s.knowsPen && s.started)}
	if s.started {
		sum.StreamDuration = s.lastAck.Sub(s.firstSend)
	}
	if s.cfg.Baud > 0 && sum.StreamDuration > 0 {
		sum.Utilisation = float64(sum.Bytes) / (sum.StreamDuration.Seconds() * float64(s.cfg.Baud) / 10)
	}
	return sum
}

// fail ends the job: it stops the machine and lifts the pen where the link allows, and describes
// what happened and where.
func (s *streamer) fail(ctx context.Context, kind error, r Reply, cause error) error {
	e := &Error{Kind: kind, Code: r.Code, Reply: r.Text, Started: s.started, Err: cause}
	if len(s.inflight) > 0 {
		if l := s.lines[s.inflight[0].idx]; !l.synthetic {
			e.Line, e.Text = l.src, l.text
		}
	}
	s.c.log.Error("job failed", "kind", kind, "line", e.Line, "text", e.Text, "reply", r.Text, "cause", cause)
	// A halted Marlin or a shut-down Klipper answers nothing more for the lines in flight, and
	// runs none of them; after any other refusal the oks for them still come.
	haltedNow := (r.Kind == ReplyMarlinError || r.Kind == ReplyKlipperError) && halted(r.Text)
	e.Marked = s.penWasDown(kind, haltedNow)
	if kind != ErrDisconnected {
		owed := len(s.inflight)
		if haltedNow {
			owed = 0
		}
		lifted, err := s.c.stop(ctx, owed, haltedNow)
		e.PenLifted = lifted
		if err != nil {
			e.Err = errors.Join(e.Err, fmt.Errorf("while stopping: %w", err))
		}
	}
	s.report(true)
	return e
}

// Pause holds the job: GRBL decelerates to a feed hold at once; Marlin and Klipper finish the
// lines already sent. It returns ErrIdle when no job is streaming.
func (c *Controller) Pause() error { return c.signal(ctlPause) }

// Resume continues a paused job (GRBL cycle start).
func (c *Controller) Resume() error { return c.signal(ctlResume) }

// Abort stops the running job as a failure would (feed hold and soft reset on GRBL, quick stop on
// Marlin), lifts the pen, and makes Stream return an error wrapping ErrAborted.
func (c *Controller) Abort() error { return c.signal(ctlAbort) }

func (c *Controller) signal(req control) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctl == nil {
		return ErrIdle
	}
	select {
	case c.ctl <- req:
		return nil
	default:
		return fmt.Errorf("job control requests are queued faster than the job can take them")
	}
}
