// Package plotsim is a virtual pen plotter: a GRBL 1.1-like (or Marlin-like) controller served on
// a pseudo-terminal, so that the serial sender, the worker and the demo mode all exercise the real
// serial path. It has a serial receive buffer and a motion planner of real sizes, executes motion
// in simulated time, answers real-time commands, $ queries and status reports, records every
// pen-down path in machine millimetres, injects faults on demand, and fails loudly when a sender
// overflows its receive buffer.
//
// The GRBL model follows GRBL 1.1's main loop: real-time bytes (? ! ~ Ctrl-X) act the moment they
// arrive; other bytes go straight to the line reader while the parser is free and pile up in the
// receive buffer while it waits for room in the planner; a line is answered when its moves are
// planned, not when they run. Soft limits raise ALARM:2, a reset while moving ALARM:3, and an
// alarm holds until a reset and $X. The Marlin model reads lines into a BUFSIZE command queue,
// checks line numbers and checksums as it reads (Error:, Resend: N, ok), answers each command once
// it has run, executes M280 at once (ahead of the planner, as Marlin does: profiles wait with
// M400 first) and says "busy: processing" while a command waits.
package plotsim

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"sync"
	"time"

	"github.com/quillpost/quillpost/internal/geom"
)

// Dialects the simulator speaks. FluidNC is GRBL with FluidNC's banner; Klipper is the Marlin
// line engine (an ok per line) with Klipper's greeting and its "!!" errors, so that every firmware
// profile has a stand-in.
const (
	DialectGRBL    = "grbl"
	DialectFluidNC = "fluidnc"
	DialectMarlin  = "marlin"
	DialectKlipper = "klipper"
)

// ErrOverflow is recorded (see Sim.Err) when a sender writes more bytes than the controller's
// serial receive buffer holds: on a real controller those bytes are lost and the drawing is wrong.
var ErrOverflow = errors.New("serial receive buffer overflow")

// Config sets up a simulator. The zero value is a GRBL 1.1 plotter with instant motion.
type Config struct {
	Dialect string // DialectGRBL (default), DialectFluidNC, DialectMarlin or DialectKlipper

	// Speed scales simulated time: 0 executes motion instantly, 1 in real time, N N times faster.
	Speed float64
	// Baud throttles the link: each byte takes 10 bit times in both directions, as on a real
	// 8N1 UART. 0 passes bytes as fast as the pseudo-terminal does.
	Baud int

	RXBuffer   int // serial receive buffer in bytes (default 128; FluidNC and forks have more)
	Planner    int // planner blocks (default 16, of which GRBL can fill one less)
	QueueDepth int // Marlin command queue, BUFSIZE (default 4)

	Area       geom.Rect // XY travel in machine mm (default 0,0 to 300,220)
	ZMin, ZMax float64   // Z travel in machine mm (default -10 to 10 when both are 0)
	MaxRate    float64   // G0 and feed ceiling, mm/min (default 6000)
	ZMaxRate   float64   // Z's own ceiling, mm/min (GRBL $112; default MaxRate)
	Accel      float64   // mm/s² (default 1000)

	// The controller's own settings, as $$ reports them (GRBL, FluidNC). The zero value is a
	// GRBL that homes ($22=1) and has soft limits on; StockGRBL sets up a board as it ships.
	HomingOff  bool    // $22=0: $H is refused with error:5
	NoSwitches bool    // homing is on but no switch is wired: $H ends in ALARM:8
	SoftOff    bool    // $20=0: targets outside the travel are not checked
	Junction   float64 // $11, mm (default 0.01)
	SpindleMax float64 // $30 (default 1000, GRBL's default)
	SpindleMin float64 // $31
	LaserMode  bool    // $32
	ReportInch bool    // $13

	// Pen tells when the pen is down. nil takes the dialect's convention: GRBL SpindlePen,
	// Marlin ServoPen(50, 90). CommandPen builds one from a firmware profile's commands.
	Pen PenFunc

	Faults []Fault

	// BusyInterval is Marlin's host keepalive: "echo:busy: processing" while a command waits
	// (default 2 s, real time).
	BusyInterval time.Duration
	// Version is the GRBL version in the banner (default "1.1h").
	Version string
	// Record, if set, receives every stroke the pen finishes, on the simulator's goroutine (keep it
	// quick: an SVGRecorder buffers and writes). The stroke is the simulator's own: do not keep it
	// past the call without copying. With KeepStrokes this streams a long run's drawing to a file
	// at constant memory.
	Record func(geom.Stroke)
	// KeepStrokes bounds what Strokes returns to the last N finished strokes; 0 keeps every
	// stroke (tests, short sessions). Long runs (a simulated fleet in serve, a soak) set it so the
	// simulator's memory stays flat.
	KeepStrokes int
	Logger      *slog.Logger
}

// WithDefaults returns the configuration with its defaults filled in, as Start would use it (the
// work area of a recording made before Start, for example).
func (c Config) WithDefaults() (Config, error) {
	err := c.setDefaults()
	return c, err
}

func (c *Config) setDefaults() error {
	switch c.Dialect {
	case "":
		c.Dialect = DialectGRBL
	case DialectGRBL, DialectFluidNC, DialectMarlin, DialectKlipper:
	default:
		return fmt.Errorf("unknown dialect %q: the simulator speaks grbl, fluidnc, marlin and klipper", c.Dialect)
	}
	if c.KeepStrokes < 0 {
		return fmt.Errorf("keep strokes %d: want 0 (all) or a positive count", c.KeepStrokes)
	}
	if c.Speed < 0 || math.IsNaN(c.Speed) || math.IsInf(c.Speed, 0) {
		return fmt.Errorf("speed %g: want 0 (instant) or a positive factor", c.Speed)
	}
	if c.Baud < 0 {
		return fmt.Errorf("baud %d is negative", c.Baud)
	}
	if c.RXBuffer == 0 {
		c.RXBuffer = 128
	}
	if c.RXBuffer < 16 || c.RXBuffer > 1<<20 {
		return fmt.Errorf("receive buffer of %d bytes: want 16 to 1048576", c.RXBuffer)
	}
	if c.Planner == 0 {
		c.Planner = 16
	}
	if c.Planner < 2 {
		return fmt.Errorf("planner of %d blocks: want at least 2", c.Planner)
	}
	if c.QueueDepth == 0 {
		c.QueueDepth = 4
	}
	if c.QueueDepth < 1 {
		return fmt.Errorf("command queue of %d: want at least 1", c.QueueDepth)
	}
	if c.Area == (geom.Rect{}) {
		c.Area = geom.Rect{Max: geom.Point{X: 300, Y: 220}}
	}
	if c.Area.Empty() || c.Area.W() <= 0 || c.Area.H() <= 0 {
		return fmt.Errorf("work area %v is empty", c.Area)
	}
	if c.ZMin == 0 && c.ZMax == 0 {
		c.ZMin, c.ZMax = -10, 10
	}
	if c.ZMaxRate < 0 {
		return fmt.Errorf("z max rate %g: want positive, or 0 for the XY rate", c.ZMaxRate)
	}
	if c.ZMin > c.ZMax {
		return fmt.Errorf("the Z travel %g to %g is upside down", c.ZMin, c.ZMax)
	}
	if c.MaxRate == 0 {
		c.MaxRate = 6000
	}
	if c.Accel == 0 {
		c.Accel = 1000
	}
	if c.MaxRate < 0 || c.Accel < 0 {
		return fmt.Errorf("max rate and acceleration must be positive")
	}
	if c.Pen == nil {
		if c.Dialect == DialectMarlin || c.Dialect == DialectKlipper {
			c.Pen = ServoPen(50, 90)
		} else {
			c.Pen = SpindlePen()
		}
	}
	if c.BusyInterval == 0 {
		c.BusyInterval = 2 * time.Second
	}
	if c.Junction == 0 {
		c.Junction = 0.01
	}
	if c.SpindleMax == 0 {
		c.SpindleMax = 1000
	}
	if c.Junction < 0 || c.SpindleMin < 0 || c.SpindleMax <= c.SpindleMin {
		return fmt.Errorf("junction deviation %g, spindle range %g to %g: want positive, ascending values", c.Junction, c.SpindleMin, c.SpindleMax)
	}
	if c.Version == "" {
		c.Version = "1.1h"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

// grblSettings are the $ settings a sender may change ($11, $13, $30-$32); Config holds their
// values at power-on.
type grblSettings struct {
	junction, spindleMax, spindleMin float64
	laser, inch                      bool
}

// Stats are the simulator's counters.
type Stats struct {
	BytesIn, BytesOut int64
	Lines             int // lines of G-code and commands completed by the line reader
	OKs, Errors       int
	Alarms, Resets    int
	Resends           int // Marlin resend requests
	StatusQueries     int // GRBL '?' real-time status requests
	Overflows         int // bytes lost to receive buffer overflow
	FaultsFired       []Fault
	State             string     // GRBL state name, or Idle/Busy/Halted for Marlin
	Pos               geom.Point // machine XY
	Z                 float64
	PenDown           bool
	Stalled           bool
	Disconnected      bool
	// MachineSeconds is the firmware's own clock: how long the moves, pen moves and dwells
	// planned so far take as the firmware's planner runs them (see clock), whatever Speed is.
	MachineSeconds float64
	Strokes        int // strokes finished so far (KeepStrokes does not limit this count)
}

// Sim is a running virtual plotter. Its methods are safe for concurrent use.
type Sim struct {
	cfg    Config
	log    *slog.Logger
	master *os.File
	slave  *os.File
	path   string

	inCh      chan []byte // chunks read from the master
	outCh     chan outMsg // replies for the writer
	quit      chan struct{}
	done      chan struct{}
	closing   sync.Once
	slaveOnce sync.Once
	wg        sync.WaitGroup

	mu sync.Mutex // guards the device state below; the device goroutine holds it while it works
	device
}

// device is the controller's state, owned by the device goroutine.
type device struct {
	byteTime time.Duration
	inBuf    []byte      // throttled link: bytes on the wire, not yet delivered
	inDue    []time.Time // when each of them arrives
	inBusy   time.Time   // when the wire is free again
	outbox   []byte

	ex      executor
	in      interp
	lastT   time.Time
	lineBuf []byte
	lineOvf bool           // the line under assembly passed the line buffer size
	rx      []byte         // bytes waiting while the parser is blocked
	lineSeq int64          // lines completed so far
	badSeq  map[int64]bool // lines (by lineSeq) that lost a byte to an overflow: answered error:11
	pending []block        // blocks of the current line not yet in the planner
	okDue   bool           // the current line is answered once pending is planned
	waitSeq bool           // the current line waits for an empty planner (sync, homing)
	noOK    bool           // the current line's ok is lost (fault)
	dropAt  bool           // disconnect once the current line is answered

	gcodeLines int    // G-code lines counted for faults (see Fault.Line)
	fired      []bool // parallel to Config.Faults: each fires once

	// GRBL
	alarm    int
	critical bool
	homing   bool
	check    bool
	sleeping bool
	homingOn bool // $22
	clock    clock
	gs       grblSettings
	door     bool // the feed hold came from the safety door: reported as Door:0

	// Marlin
	queue      []marlinCmd
	okSuffix   string // appended to the running command's ok (M105 temperatures)
	lastN      int    // the last line number accepted
	halted     bool   // after kill(): only M999 is heard
	running    bool   // queue[0] is executing
	lastBusy   time.Time
	emergLine  []byte // the line the emergency parser is reading
	marlinWait bool   // queue[0] is answered only once the planner is empty

	stalled bool
	dead    bool
	stats   Stats
	errs    []error
}

// Start opens a pseudo-terminal and runs a simulated controller on it until Close.
func Start(cfg Config) (*Sim, error) {
	s, err := newSim(cfg)
	if err != nil {
		return nil, err
	}
	master, slave, err := openPTY()
	if err != nil {
		return nil, fmt.Errorf("plotsim: %w", err)
	}
	s.master, s.slave, s.path = master, slave, slave.Name()
	s.log = s.log.With("sim", s.path)
	s.wg.Add(3)
	go s.readLoop()
	go s.writeLoop()
	go s.deviceLoop()
	s.log.Info("virtual plotter ready", "dialect", s.cfg.Dialect, "rx_buffer", s.cfg.RXBuffer, "speed", s.cfg.Speed, "baud", s.cfg.Baud)
	return s, nil
}

// newSim builds the controller without a terminal or goroutines (tests drive it directly).
func newSim(cfg Config) (*Sim, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, fmt.Errorf("plotsim: %w", err)
	}
	for _, f := range cfg.Faults {
		if f.Line < 1 {
			return nil, fmt.Errorf("plotsim: fault %v: lines count from 1", f)
		}
	}
	s := &Sim{
		cfg: cfg, log: cfg.Logger,
		inCh: make(chan []byte, 64), outCh: make(chan outMsg, 1024), quit: make(chan struct{}), done: make(chan struct{}),
	}
	s.device.in = interp{
		marlin: cfg.Dialect == DialectMarlin || cfg.Dialect == DialectKlipper, klipper: cfg.Dialect == DialectKlipper, m: defaultModal(), penFunc: cfg.Pen, area: cfg.Area,
		zmin: cfg.ZMin, zmax: cfg.ZMax, maxRate: cfg.MaxRate, zRate: cfg.ZMaxRate, accel: cfg.Accel, arcTol: 0.002, softLim: !cfg.SoftOff,
	}
	if cfg.Baud > 0 {
		s.byteTime = time.Second * 10 / time.Duration(cfg.Baud)
	}
	s.ex.keep, s.ex.record = cfg.KeepStrokes, cfg.Record
	s.fired = make([]bool, len(cfg.Faults))
	s.homingOn = !cfg.HomingOff
	if cfg.Dialect == DialectGRBL {
		s.in.dwellStep = 0.05
	}
	s.clock = clock{window: cfg.Planner - 1, accel: cfg.Accel, junction: cfg.Junction}
	s.gs = grblSettings{junction: cfg.Junction, spindleMax: cfg.SpindleMax, spindleMin: cfg.SpindleMin, laser: cfg.LaserMode, inch: cfg.ReportInch}
	s.badSeq = map[int64]bool{}
	s.lastT = time.Now()
	switch {
	case s.klipper():
		s.emit("// Klipper state: Ready")
	case s.marlin():
		s.emit("start", "echo:Marlin 2.1.2.1", "echo:quillpost plotsim, pen plotter")
	default:
		s.emit("", s.banner())
	}
	return s, nil
}

// Path is the device path a sender opens, such as /dev/pts/3.
func (s *Sim) Path() string { return s.path }

// Config returns the configuration in force, defaults filled in.
func (s *Sim) Config() Config { return s.cfg }

// Done is closed when the simulator stops: Close, or an injected disconnect.
func (s *Sim) Done() <-chan struct{} { return s.done }

// Close stops the simulator and closes the pseudo-terminal. The recording stays readable; a
// stroke still being drawn is handed to Config.Record, so a streamed recording is complete.
func (s *Sim) Close() error {
	s.closing.Do(func() { close(s.quit) })
	<-s.done
	s.wg.Wait()
	s.slaveOnce.Do(func() {
		s.slave.Close()
		s.mu.Lock()
		if s.ex.stroke != nil {
			s.ex.finishStroke()
		}
		s.mu.Unlock()
	})
	return nil
}

// Strokes returns every pen-down path drawn so far, in machine mm.
func (s *Sim) Strokes() []geom.Stroke {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ex.recording()
}

// Hold presses the machine's feed-hold button (door: its safety door opens instead), as an
// operator or a door switch would between or during jobs. A cycle start (~) or a reset ends it.
func (s *Sim) Hold(door bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holdNow(door)
}

// SetSetting changes a GRBL setting as someone at the machine would, on its own console
// ("$22=1"), while a sender holds the serial port.
func (s *Sim) SetSetting(cmd string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.setSetting(cmd) {
		return fmt.Errorf("plotsim: %q is not a setting it knows", cmd)
	}
	return nil
}

// PenDown reports whether the pen is on the paper now.
func (s *Sim) PenDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ex.pen
}

// Stats returns a snapshot of the counters and the machine state.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.FaultsFired = append([]Fault(nil), s.stats.FaultsFired...)
	st.State = s.stateName()
	p := s.ex.position()
	st.Pos, st.Z = geom.Point{X: p[0], Y: p[1]}, p[2]
	st.PenDown = s.ex.pen
	st.Stalled, st.Disconnected = s.stalled, s.dead
	st.MachineSeconds = s.clock.elapsed()
	st.Strokes = s.ex.drawn
	return st
}

// Err returns the protocol violations the simulator saw, such as receive buffer overflows
// (errors.Is(err, ErrOverflow)), or nil.
func (s *Sim) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.errs...)
}

// marlin says the line engine runs (Marlin, Klipper); otherwise GRBL's (GRBL, FluidNC).
func (s *Sim) marlin() bool {
	return s.cfg.Dialect == DialectMarlin || s.cfg.Dialect == DialectKlipper
}

func (s *Sim) klipper() bool { return s.cfg.Dialect == DialectKlipper }

func (s *Sim) banner() string {
	if s.cfg.Dialect == DialectFluidNC {
		return "Grbl 3.7 [FluidNC v3.7.8 (quillpost plotsim) '$' for help]"
	}
	return "Grbl " + s.cfg.Version + " ['$' for help]"
}

// emit queues reply lines with the dialect's line ending. A stalled device says nothing.
func (s *Sim) emit(lines ...string) {
	if s.stalled || s.dead {
		return
	}
	eol := "\r\n"
	if s.marlin() {
		eol = "\n"
	}
	for _, l := range lines {
		s.outbox = append(s.outbox, l...)
		s.outbox = append(s.outbox, eol...)
	}
}

// pollGuard bounds every wait on the master, so a readiness notification the poller never gets
// costs a moment, not the link: the next Read or Write tries the descriptor again anyway.
const pollGuard = 250 * time.Millisecond

func (s *Sim) readLoop() {
	defer s.wg.Done()
	defer close(s.inCh)
	buf := make([]byte, 4096)
	for {
		_ = s.master.SetReadDeadline(time.Now().Add(pollGuard))
		n, err := s.master.Read(buf)
		if n > 0 {
			select {
			case s.inCh <- append([]byte(nil), buf[:n]...):
			case <-s.quit:
				return
			}
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			select {
			case <-s.quit:
				return
			default:
				continue
			}
		}
		if err != nil {
			return
		}
	}
}

// writeAll writes data to the master, retrying after a guarded wait.
func (s *Sim) writeAll(data []byte) error {
	for len(data) > 0 {
		_ = s.master.SetWriteDeadline(time.Now().Add(pollGuard))
		n, err := s.master.Write(data)
		data = data[n:]
		if errors.Is(err, os.ErrDeadlineExceeded) {
			select {
			case <-s.quit:
				return err
			default:
				continue
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// outMsg is a reply and the moment the controller produced it.
type outMsg struct {
	data []byte
	at   time.Time
}

// writeLoop writes replies to the master. On a throttled link each reply takes its bytes' time
// on the wire, starting when it was produced or when the wire came free; a writer that woke late
// writes at once, so timer granularity does not slow the link down.
func (s *Sim) writeLoop() {
	defer s.wg.Done()
	var free time.Time
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var m outMsg
		select {
		case m = <-s.outCh:
		case <-s.quit:
			return
		}
		if s.byteTime > 0 {
			if free.Before(m.at) {
				free = m.at
			}
			free = free.Add(time.Duration(len(m.data)) * s.byteTime)
			if d := time.Until(free); d > 0 {
				timer.Reset(d)
				select {
				case <-timer.C:
				case <-s.quit:
					return
				}
			}
		}
		if err := s.writeAll(m.data); err != nil {
			return
		}
	}
}

func (s *Sim) deviceLoop() {
	defer s.wg.Done()
	// A disconnect closes only the master: the sender sees the link die. The slave stays open
	// until Close, so the pseudo-terminal's number is not given to another program meanwhile and
	// the dead device cannot be opened again, as an unplugged USB device cannot.
	defer func() {
		s.master.Close()
		close(s.done)
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		now := time.Now()
		s.step(now)
		wake := s.nextWake(now)
		out := s.outbox
		s.outbox = nil
		s.stats.BytesOut += int64(len(out))
		dead := s.dead
		s.mu.Unlock()
		if len(out) > 0 {
			select {
			case s.outCh <- outMsg{out, now}:
			case <-s.quit:
				return
			}
		}
		if dead {
			s.log.Warn("disconnecting on purpose (fault)")
			return
		}
		if wake.IsZero() {
			wake = now.Add(time.Hour)
		}
		timer.Reset(time.Until(wake))
		select {
		case chunk, ok := <-s.inCh:
			if !ok {
				return
			}
			s.mu.Lock()
			s.receive(chunk, time.Now())
			s.mu.Unlock()
		case <-timer.C:
		case <-s.quit:
			return
		}
	}
}

// receive puts bytes on the (possibly throttled) wire.
func (s *Sim) receive(chunk []byte, now time.Time) {
	s.stats.BytesIn += int64(len(chunk))
	if s.byteTime == 0 {
		s.deliverAll(chunk, now)
		return
	}
	t := s.inBusy
	if t.Before(now) {
		t = now
	}
	for _, c := range chunk {
		t = t.Add(s.byteTime)
		s.inBuf = append(s.inBuf, c)
		s.inDue = append(s.inDue, t)
	}
	s.inBusy = t
}

// step brings the device up to now: bytes that have arrived, motion, the parser.
func (s *Sim) step(now time.Time) {
	n := 0
	for n < len(s.inBuf) && !s.inDue[n].After(now) {
		n++
	}
	if n > 0 {
		s.deliverAll(s.inBuf[:n], now)
		s.inBuf = append(s.inBuf[:0], s.inBuf[n:]...)
		s.inDue = append(s.inDue[:0], s.inDue[n:]...)
	}
	s.advance(now)
	if s.marlin() {
		s.marlinKeepalive(now)
	}
}

// deliverAll hands over bytes that arrived together, bringing motion up to date after each
// line: in instant mode a line's moves are done before the next line is read, as they would be
// on a machine fed at a real baud rate.
func (s *Sim) deliverAll(data []byte, now time.Time) {
	s.advance(now)
	for _, c := range data {
		s.deliver(c)
		if c == '\n' || c == '\r' {
			s.advance(now)
		}
	}
}

// advance runs motion up to now and lets the parser continue if room was made.
func (s *Sim) advance(now time.Time) {
	dt := now.Sub(s.lastT).Seconds() * s.cfg.Speed
	if s.cfg.Speed == 0 {
		dt = math.Inf(1)
	}
	s.lastT = now
	if s.dead || s.halted {
		return
	}
	for {
		s.ex.advance(dt)
		if s.cfg.Speed != 0 {
			dt = 0 // blocks planned from here on start now
		}
		if !s.work(now) {
			return
		}
	}
}

// work moves parsed blocks into the planner and reads further lines; it reports progress.
func (s *Sim) work(now time.Time) bool {
	if s.marlin() {
		return s.marlinWork(now)
	}
	return s.grblWork()
}

// nextWake is when the device next has something to do on its own.
func (s *Sim) nextWake(now time.Time) time.Time {
	var wake time.Time
	earliest := func(t time.Time) {
		if !t.IsZero() && (wake.IsZero() || t.Before(wake)) {
			wake = t
		}
	}
	for i, c := range s.inBuf {
		if c == '\n' || c == '\r' || c == '?' || c == '!' || c == '~' || c == 0x18 || i == len(s.inBuf)-1 {
			earliest(s.inDue[i])
			break
		}
	}
	if len(s.ex.planner) > 0 && !s.ex.hold && !s.halted && s.cfg.Speed > 0 {
		left := (s.ex.planner[0].dur - s.ex.into) / s.cfg.Speed
		earliest(now.Add(time.Duration(left*float64(time.Second)) + 50*time.Microsecond))
	}
	if s.marlin() && s.running && !s.stalled {
		earliest(s.lastBusy.Add(s.cfg.BusyInterval))
	}
	return wake
}

// lineDone is called with each completed raw line (without its newline). It applies byte faults
// and returns the line to process, or ok=false when the line is not complete after all (its
// newline was dropped or corrupted).
func (s *Sim) lineDone(raw []byte) (line string, seq int64, faults []Fault, ok bool) {
	num := s.faultLine(raw)
	if num > 0 {
		for i, f := range s.cfg.Faults {
			if s.fired[i] || f.Line != num {
				continue
			}
			switch f.Kind {
			case FaultDrop, FaultCorrupt:
				s.fire(i)
				idx := f.Offset
				if idx < 0 {
					idx += len(raw) + 1
				}
				idx = max(0, min(idx, len(raw)))
				if idx == len(raw) {
					// The newline itself: the line runs on into the next one.
					s.lineBuf = append(s.lineBuf[:0], raw...)
					if f.Kind == FaultCorrupt {
						s.lineBuf = append(s.lineBuf, '\n'^0x02)
					}
					return "", 0, nil, false
				}
				if f.Kind == FaultDrop {
					raw = append(raw[:idx:idx], raw[idx+1:]...)
				} else {
					raw = append([]byte(nil), raw...)
					raw[idx] ^= 0x02
				}
			default:
				s.fire(i)
				faults = append(faults, f)
			}
		}
	}
	s.lineSeq++
	s.stats.Lines++
	return string(raw), s.lineSeq, faults, true
}

// faultLine is the number a fault's Line refers to, or 0 for lines that do not count.
func (s *Sim) faultLine(raw []byte) int {
	st := []byte(stripLine(string(raw)))
	if len(st) == 0 || st[0] == '$' {
		return 0
	}
	upper := string(toUpper(st))
	if s.marlin() {
		if nl := parseNumbered(upper); nl.hasN && !containsWord(nl.body, "M110") {
			return nl.n
		}
	}
	for _, hk := range []string{"M105", "M110", "M114", "M115", "M999"} {
		if containsWord(upper, hk) {
			return 0
		}
	}
	s.gcodeLines++
	return s.gcodeLines
}

func (s *Sim) fire(i int) {
	s.fired[i] = true
	s.stats.FaultsFired = append(s.stats.FaultsFired, s.cfg.Faults[i])
	s.log.Info("injecting fault", "fault", s.cfg.Faults[i].String())
}

// overflow records a byte lost to a full receive buffer, loudly.
func (s *Sim) overflow() {
	s.stats.Overflows++
	if s.stats.Overflows == 1 || s.stats.Overflows%100 == 0 {
		err := fmt.Errorf("%w: a byte arrived with all %d bytes of the receive buffer in use (%d lost so far)", ErrOverflow, s.cfg.RXBuffer, s.stats.Overflows)
		if s.stats.Overflows == 1 {
			s.errs = append(s.errs, err)
		}
		s.log.Error("sender overflowed the receive buffer", "rx_buffer", s.cfg.RXBuffer, "lost", s.stats.Overflows)
		s.emit("[MSG:RX buffer overflow]")
	}
	// The line the byte belonged to is answered with an error instead of being run mangled.
	nl := int64(0)
	for _, c := range s.rx {
		if c == '\n' {
			nl++
		}
	}
	s.badSeq[s.lineSeq+1+nl] = true
}

// stateName is the state a status report shows.
func (s *Sim) stateName() string {
	if s.marlin() {
		switch {
		case s.halted:
			return "Halted"
		case s.running || len(s.ex.planner) > 0:
			return "Busy"
		}
		return "Idle"
	}
	switch {
	case s.alarm != 0:
		return "Alarm"
	case s.sleeping:
		return "Sleep"
	case s.homing:
		return "Home"
	case s.ex.hold && s.door:
		return "Door:0"
	case s.ex.hold:
		return "Hold:0"
	case s.check:
		return "Check"
	case len(s.ex.planner) > 0 || len(s.pending) > 0 || s.waitSeq:
		return "Run"
	}
	return "Idle"
}
