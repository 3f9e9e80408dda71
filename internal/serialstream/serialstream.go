// Package serialstream drives a plotter's controller over a serial port: it wakes and recognises
// the controller, streams a G-code program with the protocol its firmware wants (GRBL character
// counting, Marlin numbered and checksummed lines with resends, or Klipper's send-and-wait), and
// handles what goes wrong on real links: lost acknowledgements, firmware errors and alarms,
// resets, dead cables and disconnects. A failed job stops the machine, lifts the pen and says
// which line failed; a job that was cut short is never resumed (ErrInterrupted).
package serialstream

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.bug.st/serial"
)

// Port is what the sender needs of a serial port. Close must interrupt a pending Read.
type Port interface{ io.ReadWriteCloser }

// Open opens a serial device at baud, 8 data bits, no parity, one stop bit, raw, without
// hardware flow control.
func Open(path string, baud int) (Port, error) {
	if baud <= 0 {
		return nil, fmt.Errorf("open %s: baud rate %d is not positive", path, baud)
	}
	p, err := serial.Open(path, &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, fmt.Errorf("open %s at %d baud: %w", path, baud, err)
	}
	return p, nil
}

// Dialects and protocols, named as firmware profiles name them.
const (
	DialectGRBL    = "grbl"
	DialectFluidNC = "fluidnc"
	DialectMarlin  = "marlin"
	DialectKlipper = "klipper"

	ProtocolCharCount    = "char-count"
	ProtocolLineChecksum = "line-checksum"
	ProtocolSendWait     = "send-wait"
)

// minStatusInterval keeps status polling at 5 reports a second at most: some controllers stall
// their serial handling when polled harder.
const minStatusInterval = 200 * time.Millisecond

// Config says how to talk to one controller. Only Dialect is required.
type Config struct {
	Dialect  string // DialectGRBL, DialectFluidNC, DialectMarlin or DialectKlipper
	Protocol string // "" picks the dialect's own: char-count, line-checksum, send-wait

	// RXBuffer is the receive buffer to assume when the controller does not report its own
	// (GRBL reports it in Bf:); default 128.
	RXBuffer int
	// QueueDepth is how many lines may be in flight with line-checksum (Marlin BUFSIZE); default 4.
	QueueDepth int
	// PenUp are the commands that lift the pen just clear of the card (between strokes).
	PenUp []string
	// PenRest are the commands that park the pen at its rest position (a servo's rest angle, a
	// high Z), where a profile names one. A failure or an abort leaves the pen there, as the end
	// of a card does: a servo held at the travel angle would keep straining. Without them the pen
	// is lifted with PenUp.
	PenRest []string
	// PenDown are the commands that lower it. The sender watches for them to tell whether a
	// failed job left a mark on the card (Error.Marked); without them any started job counts as
	// marked.
	PenDown []string
	// Baud is the link's rate, for the utilisation figure only (the port is opened by Open).
	Baud int
	// Home runs $H when GRBL comes up in alarm; otherwise it is unlocked with $X.
	Home bool
	// RapidRate (mm/min) and Accel (mm/s²) let the progress watchdog know how long the moves in
	// flight should take; without them it assumes a slow machine (500 mm/min, no acceleration term).
	RapidRate, Accel float64

	WakeTimeout time.Duration // to recognise the controller (default 5 s)
	AckTimeout  time.Duration // silence before a missing ok is presumed lost, without status reports (default 5 s)
	LinkTimeout time.Duration // silence from a GRBL polled for status before the link is dead (default 3 s)
	IdleGrace   time.Duration // how long GRBL must sit idle and empty before unacknowledged lines count as done (default 500 ms)
	// ProgressGrace is added to the time the moves in the controller should take before a job
	// that gets no acknowledgement, while the controller still answers, fails (default 10 s).
	ProgressGrace  time.Duration
	StatusInterval time.Duration // GRBL status polling period (default and minimum 200 ms)
	StopTimeout    time.Duration // for stopping and lifting the pen after a failure (default 15 s)
	HomeTimeout    time.Duration // for $H (default 60 s)

	Logger *slog.Logger
}

func (c *Config) setDefaults() error {
	switch c.Dialect {
	case DialectGRBL, DialectFluidNC:
		if c.Protocol == "" {
			c.Protocol = ProtocolCharCount
		}
	case DialectMarlin:
		if c.Protocol == "" {
			c.Protocol = ProtocolLineChecksum
		}
	case DialectKlipper:
		if c.Protocol == "" {
			c.Protocol = ProtocolSendWait
		}
	default:
		return fmt.Errorf("unknown dialect %q: want grbl, fluidnc, marlin or klipper", c.Dialect)
	}
	ok := map[string][]string{
		DialectGRBL: {ProtocolCharCount, ProtocolSendWait}, DialectFluidNC: {ProtocolCharCount, ProtocolSendWait},
		DialectMarlin: {ProtocolLineChecksum, ProtocolSendWait}, DialectKlipper: {ProtocolSendWait},
	}[c.Dialect]
	valid := false
	for _, p := range ok {
		valid = valid || p == c.Protocol
	}
	if !valid {
		return fmt.Errorf("%s does not speak the %q protocol (it speaks %s)", c.Dialect, c.Protocol, strings.Join(ok, ", "))
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.RXBuffer <= 0 {
		c.RXBuffer = 128
	}
	if c.QueueDepth <= 0 {
		c.QueueDepth = 4
	}
	def(&c.WakeTimeout, 5*time.Second)
	def(&c.AckTimeout, 5*time.Second)
	def(&c.LinkTimeout, 3*time.Second)
	def(&c.IdleGrace, 500*time.Millisecond)
	def(&c.ProgressGrace, 10*time.Second)
	def(&c.StatusInterval, minStatusInterval)
	c.StatusInterval = max(c.StatusInterval, minStatusInterval)
	def(&c.StopTimeout, 15*time.Second)
	def(&c.HomeTimeout, 60*time.Second)
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

func (c *Config) grbl() bool { return c.Dialect == DialectGRBL || c.Dialect == DialectFluidNC }

// Info is what the sender learnt about the controller while waking it.
type Info struct {
	Dialect  string
	Protocol string
	Banner   string // GRBL's banner, or Marlin's FIRMWARE_NAME line
	RXBuffer int    // receive buffer in use for flow control, bytes
	// RXReported says RXBuffer came from the controller (GRBL Bf:) rather than the Config.
	RXReported bool
	Blocks     int // planner blocks free when idle (GRBL Bf:), 0 when unknown
	State      string
}

// Controller is a recognised controller on an open port. Stream runs one job at a time; Pause,
// Resume and Abort may be called from any goroutine while it runs.
type Controller struct {
	cfg  Config
	port Port
	log  *slog.Logger
	info Info

	replies  chan string
	quit     chan struct{} // closed by Close: the reader stops delivering
	readDone chan struct{}
	readErr  error
	lastRx   atomic.Int64 // unix nanoseconds of the last byte received

	wmu      sync.Mutex // one writer at a time: a real-time byte never lands inside a line
	polls    []time.Time
	lastPoll time.Time
	status   Status
	statusAt time.Time // when the poll behind the latest status report was sent

	mu      sync.Mutex
	ctl     chan control // the running job's control channel, nil when idle
	setup   bool         // a handshake or SetOrigin has the controller (Pause and Abort do not apply)
	closeMu sync.Once
}

// Connect wakes the controller on port and recognises it: GRBL answers a soft reset with its
// banner, Marlin and Klipper answer M110/M115 with ok. The Controller owns port from then on.
func Connect(ctx context.Context, port Port, cfg Config) (*Controller, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, &Error{Kind: ErrNoController, Err: err}
	}
	if r, ok := port.(interface{ ResetInputBuffer() error }); ok {
		_ = r.ResetInputBuffer() // stale boot messages would be taken for answers
	}
	c := &Controller{
		cfg: cfg, port: port, log: cfg.Logger, replies: make(chan string, 1024), quit: make(chan struct{}), readDone: make(chan struct{}),
		info: Info{Dialect: cfg.Dialect, Protocol: cfg.Protocol, RXBuffer: cfg.RXBuffer},
	}
	c.lastRx.Store(time.Now().UnixNano())
	go c.readLoop()
	var err error
	if cfg.grbl() {
		err = c.wakeGRBL(ctx)
	} else {
		err = c.wakeLineFirmware(ctx)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	c.log.Info("controller ready", "dialect", c.info.Dialect, "protocol", c.info.Protocol, "banner", c.info.Banner,
		"rx_buffer", c.info.RXBuffer, "rx_reported", c.info.RXReported)
	return c, nil
}

// Info describes the controller.
func (c *Controller) Info() Info { return c.info }

// Close closes the port. A running Stream fails with ErrDisconnected.
func (c *Controller) Close() error {
	var err error
	c.closeMu.Do(func() {
		close(c.quit)
		err = c.port.Close()
		<-c.readDone
	})
	return err
}

// readLoop splits what the controller sends into lines.
func (c *Controller) readLoop() {
	defer close(c.readDone)
	defer close(c.replies)
	r := bufio.NewReaderSize(timeStamper{c}, 4096)
	for {
		line, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			line = append([]byte(nil), line...) // an overlong line: take it in pieces
			err = nil
		}
		if t := strings.TrimRight(string(line), "\r\n"); strings.TrimSpace(t) != "" {
			select {
			case c.replies <- t:
			case <-c.quit:
				c.readErr = io.ErrClosedPipe
				return
			}
		}
		if err != nil {
			c.readErr = err
			return
		}
	}
}

// timeStamper notes when bytes arrive, whether or not they complete a line.
type timeStamper struct{ c *Controller }

func (t timeStamper) Read(p []byte) (int, error) {
	for {
		n, err := t.c.port.Read(p)
		if n > 0 {
			t.c.lastRx.Store(time.Now().UnixNano())
		}
		if n == 0 && err == nil {
			continue // go.bug.st/serial returns 0, nil on a read timeout
		}
		return n, err
	}
}

func (c *Controller) lastRxTime() time.Time { return time.Unix(0, c.lastRx.Load()) }

// statusSilence is how long a status report has been owed without a byte arriving: it counts
// from the first poll sent after the last byte received, never from before, so a link that sat
// idle (nothing asked, nothing owed) is not taken for a dead one.
func (c *Controller) statusSilence(now time.Time) time.Duration {
	rx := c.lastRxTime()
	for _, p := range c.polls {
		if p.After(rx) {
			return now.Sub(p)
		}
	}
	return 0
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (c *Controller) write(p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.port.Write(p)
	return err
}

// poll asks GRBL for a status report unless one was asked for within the status interval.
func (c *Controller) poll(force bool) error {
	now := time.Now()
	if !force && now.Sub(c.lastPoll) < c.cfg.StatusInterval {
		return nil
	}
	if now.Sub(c.lastPoll) < minStatusInterval {
		return nil
	}
	if err := c.write([]byte{'?'}); err != nil {
		return err
	}
	c.lastPoll = now
	c.polls = append(c.polls, now)
	// Unanswered polls are kept long enough to time a dead link (64 × 200 ms > any LinkTimeout
	// in use), while a lost report or two cannot grow the list without bound.
	if len(c.polls) > 64 {
		c.polls = c.polls[1:]
	}
	return nil
}

// recv waits for the next line until deadline, keeping the status bookkeeping.
func (c *Controller) recv(ctx context.Context, deadline time.Time) (Reply, error) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case l, ok := <-c.replies:
		if !ok {
			return Reply{}, c.linkErr()
		}
		return c.note(l), nil
	case <-timer.C:
		return Reply{}, ErrTimeout
	case <-ctx.Done():
		return Reply{}, ctx.Err()
	}
}

// note classifies a line and files status reports against the poll that asked for them.
func (c *Controller) note(l string) Reply {
	r := ParseReply(l)
	switch r.Kind {
	case ReplyStatus:
		c.status = r.Status
		if len(c.polls) > 0 {
			c.statusAt, c.polls = c.polls[0], c.polls[1:]
		} else {
			c.statusAt = time.Now()
		}
	case ReplyBanner:
		c.polls = nil // a reset drops pending polls
	}
	c.log.Debug("rx", "line", l)
	return r
}

// readCause is why the reader stopped: the port's error, or nil at a plain end of file.
func (c *Controller) readCause() error {
	<-c.readDone
	if c.readErr == io.EOF {
		return nil
	}
	return c.readErr
}

func (c *Controller) linkErr() error {
	if cause := c.readCause(); cause != nil {
		return fmt.Errorf("%w: %v", ErrDisconnected, cause)
	}
	return ErrDisconnected
}

// await reads lines until done says stop, or the timeout passes.
func (c *Controller) await(ctx context.Context, timeout time.Duration, done func(Reply) (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		r, err := c.recv(ctx, deadline)
		if err != nil {
			return err
		}
		ok, err := done(r)
		if ok || err != nil {
			return err
		}
	}
}

// wakeGRBL soft-resets GRBL until it prints its banner, syncs on a status report, learns the
// receive buffer from Bf: and clears an alarm with $X (or homes with $H when Config.Home).
func (c *Controller) wakeGRBL(ctx context.Context) error {
	deadline := time.Now().Add(c.cfg.WakeTimeout)
	for {
		if err := c.write([]byte{0x18}); err != nil {
			return &Error{Kind: ErrNoController, Err: err}
		}
		wait := min(1500*time.Millisecond, time.Until(deadline))
		err := c.await(ctx, wait, func(r Reply) (bool, error) {
			if r.Kind == ReplyBanner {
				c.info.Banner = r.Text
				return true, nil
			}
			return false, nil
		})
		if err == nil {
			break
		}
		if err == ErrTimeout && time.Now().After(deadline) {
			return &Error{Kind: ErrNoController, Err: fmt.Errorf("no GRBL banner within %v (is it a GRBL controller, at the right baud rate?)", c.cfg.WakeTimeout)}
		}
		if err != ErrTimeout {
			return &Error{Kind: ErrNoController, Err: err}
		}
	}
	st, err := c.syncStatus(ctx, time.Until(deadline)+time.Second)
	if err != nil {
		return &Error{Kind: ErrNoController, Err: fmt.Errorf("no status report after the banner: %w", err)}
	}
	if st.HasBf && st.State == "Idle" && st.RX > 0 {
		c.info.RXBuffer, c.info.RXReported, c.info.Blocks = st.RX, true, st.Blocks
	}
	if st.State == "Alarm" {
		cmd, timeout := "$X", c.cfg.AckTimeout
		if c.cfg.Home {
			cmd, timeout = "$H", c.cfg.HomeTimeout
		}
		c.log.Warn("controller is in alarm", "action", cmd)
		if err := c.command(ctx, cmd, timeout); err != nil {
			return &Error{Kind: ErrAlarm, Reply: "the controller came up in alarm", Err: err}
		}
		if st, err = c.syncStatus(ctx, c.cfg.AckTimeout); err != nil {
			return &Error{Kind: ErrNoController, Err: err}
		}
		if st.HasBf && st.State == "Idle" && st.RX > 0 {
			c.info.RXBuffer, c.info.RXReported, c.info.Blocks = st.RX, true, st.Blocks
		}
	}
	c.info.State = st.State
	return nil
}

// syncStatus polls until a status report answers a poll sent by this call.
func (c *Controller) syncStatus(ctx context.Context, timeout time.Duration) (Status, error) {
	deadline := time.Now().Add(timeout)
	for {
		asked := time.Now()
		if asked.Sub(c.lastPoll) < minStatusInterval {
			asked = c.lastPoll.Add(minStatusInterval)
		}
		wait := time.Until(asked)
		if wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return Status{}, ctx.Err()
			}
		}
		if err := c.poll(true); err != nil {
			return Status{}, err
		}
		sent := c.lastPoll
		err := c.await(ctx, min(time.Second, max(time.Until(deadline), time.Millisecond)), func(r Reply) (bool, error) {
			return r.Kind == ReplyStatus && !c.statusAt.Before(sent), nil
		})
		if err == nil {
			return c.status, nil
		}
		if err != ErrTimeout || time.Now().After(deadline) {
			return Status{}, err
		}
	}
}

// command sends one line and waits for its ok, failing on an error reply.
func (c *Controller) command(ctx context.Context, line string, timeout time.Duration) error {
	if err := c.write([]byte(line + "\n")); err != nil {
		return err
	}
	return c.await(ctx, timeout, func(r Reply) (bool, error) {
		switch r.Kind {
		case ReplyOK:
			return true, nil
		case ReplyError, ReplyAlarm, ReplyMarlinError, ReplyKlipperError, ReplyUnknownCommand:
			if r.Kind == ReplyMarlinError && resendable(r.Text) {
				return false, nil
			}
			return false, fmt.Errorf("%s answered %q", line, r.Text)
		}
		return false, nil
	})
}

// wakeLineFirmware greets Marlin or Klipper: M110 N0 resets Marlin's line numbers (Klipper
// ignores it), M115 names the firmware. Boards that reboot when the port opens miss the first
// greetings, so they are repeated until the wake timeout.
func (c *Controller) wakeLineFirmware(ctx context.Context) error {
	deadline := time.Now().Add(c.cfg.WakeTimeout)
	greet := "M110 N0"
	if c.cfg.Dialect == DialectKlipper {
		greet = "M115"
	}
	for {
		err := c.command(ctx, greet, min(time.Second, time.Until(deadline)))
		if err == nil {
			break
		}
		if err == ErrTimeout && time.Now().After(deadline) {
			return &Error{Kind: ErrNoController, Err: fmt.Errorf("%s did not answer %s within %v (is it running, at the right baud rate?)", c.cfg.Dialect, greet, c.cfg.WakeTimeout)}
		}
		if err != ErrTimeout {
			return &Error{Kind: ErrNoController, Err: err}
		}
	}
	if err := c.write([]byte("M115\n")); err != nil {
		return &Error{Kind: ErrNoController, Err: err}
	}
	err := c.await(ctx, c.cfg.AckTimeout, func(r Reply) (bool, error) {
		if i := strings.Index(r.Text, "FIRMWARE_NAME:"); i >= 0 {
			c.info.Banner = strings.TrimSpace(r.Text[i:])
		}
		return r.Kind == ReplyOK, nil
	})
	if err != nil {
		return &Error{Kind: ErrNoController, Err: fmt.Errorf("M115 was not answered: %w", err)}
	}
	c.info.State = "Idle"
	return nil
}

// liftCommands are what a failure or an abort sends to take the pen off the card: the rest
// position where the profile has one, else the pen-up commands.
func (c Config) liftCommands() []string {
	if len(c.PenRest) > 0 {
		return c.PenRest
	}
	return c.PenUp
}
