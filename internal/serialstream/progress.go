package serialstream

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/quillpost/quillpost/internal/gcode"
)

// lineTimes estimates how long each line keeps the machine busy, in seconds: its move at its
// feed (G0 at Config.RapidRate) with one acceleration and one deceleration, plus any dwell. It is
// an upper bound for the progress watchdog, not a plot-time estimate: arcs count their whole
// circle, and every move starts and ends at rest.
func (c *Controller) lineTimes(lines []jobLine) []float64 {
	out := make([]float64, len(lines))
	var pos [3]float64
	feed, motion := 0.0, 0.0
	rapid := c.cfg.RapidRate
	if rapid <= 0 {
		rapid = 500 // an unknown rapid rate: assume a slow machine, so the bound stays generous
	}
	for i, l := range lines {
		b, err := gcode.ParseLine(l.data)
		if err != nil || l.sys {
			continue
		}
		for _, m := range []float64{0, 1, 2, 3} {
			if b.Has('G', m) {
				motion = m
			}
		}
		if f, ok := b.Get('F'); ok && f > 0 {
			feed = f
		}
		t := l.dwell
		if c.cfg.Dialect == DialectMarlin || c.cfg.Dialect == DialectKlipper {
			t = l.dwell / 1000 // G4 P counts milliseconds there
		}
		var next [3]float64
		moved := false
		for a, letter := range []byte{'X', 'Y', 'Z'} {
			next[a] = pos[a]
			if v, ok := b.Get(letter); ok {
				next[a], moved = v, true
			}
		}
		if moved && !b.Has('G', 4) && !b.Has('G', 10) && !b.Has('G', 92) && !b.Has('G', 28) {
			d := math.Sqrt((next[0]-pos[0])*(next[0]-pos[0]) + (next[1]-pos[1])*(next[1]-pos[1]) + (next[2]-pos[2])*(next[2]-pos[2]))
			if motion == 2 || motion == 3 {
				iv, _ := b.Get('I')
				jv, _ := b.Get('J')
				d = math.Max(d, 2*math.Pi*math.Hypot(iv, jv))
			}
			v := feed
			if motion == 0 || v <= 0 {
				v = rapid
			}
			v = math.Min(v, math.Max(rapid, feed)) / 60
			t += d / v
			if c.cfg.Accel > 0 {
				t += v / c.cfg.Accel
			}
			pos = next
		}
		out[i] = t
	}
	return out
}

// stateMeaning says in words what a GRBL state means for a job that stopped moving.
func stateMeaning(state string) string {
	name, _, _ := strings.Cut(state, ":")
	switch name {
	case "Hold":
		return "it is in a feed hold (its hold button, or a pause): press cycle start to resume"
	case "Door":
		return "its safety door is open: close it and press cycle start"
	case "Alarm":
		return "it is in alarm"
	case "Run", "Jog":
		return "it says it is running, but its planner takes no more lines"
	case "":
		return "it reports no state"
	}
	return "it reports " + state
}

// progressBound is how long the controller may go without acknowledging a line before the job
// is presumed stuck: the moves that may still be queued ahead of the oldest unacknowledged line
// (the last planner-full of acknowledged lines and the lines in flight), with room to spare, plus
// Config.ProgressGrace. A GRBL $ command in flight (homing) gets HomeTimeout instead.
func (s *streamer) progressBound() time.Duration {
	first := s.next - len(s.inflight) // the oldest line not yet acknowledged
	for _, f := range s.inflight {
		if s.lines[f.idx].sys {
			return s.cfg.HomeTimeout
		}
	}
	depth := 32 // Klipper's look-ahead; Marlin's BUFSIZE lines plus its 16-block planner
	if s.cfg.grbl() {
		depth = max(s.c.info.Blocks, 15) + 1
	} else if s.cfg.Protocol == ProtocolLineChecksum {
		depth = s.cfg.QueueDepth + 16
	}
	lo := max(0, first-depth)
	hi := min(len(s.lines), max(s.next, first+1))
	secs := s.secsPrefix[hi] - s.secsPrefix[lo]
	return time.Duration(1.5*secs*float64(time.Second)) + s.cfg.ProgressGrace
}

// checkProgress fails a job whose controller still answers but has stopped acknowledging lines
// (a feed hold from the machine, an open door, a stuck planner) for longer than the moves
// could take. A pause the operator asked for is never timed.
func (s *streamer) checkProgress(now time.Time) error {
	if s.paused || !s.started {
		return nil
	}
	waiting := len(s.inflight) > 0 || s.next >= len(s.lines) || s.lines[s.next].sys
	if !waiting {
		return nil
	}
	since := latest(s.lastAck, s.firstSend)
	if s.pauseEnded.After(since) {
		since = s.pauseEnded
	}
	if len(s.inflight) > 0 {
		since = latest(since, s.inflight[0].sent)
	}
	stuck, bound := now.Sub(since), s.progressBound()
	if stuck <= bound {
		return nil
	}
	state := s.c.status.State
	return fmt.Errorf("the controller still answers but has acknowledged nothing for %v, while the moves it holds should take at most %v; %s",
		stuck.Round(100*time.Millisecond), bound.Round(100*time.Millisecond), stateMeaning(state))
}
