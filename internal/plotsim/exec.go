package plotsim

import (
	"math"

	"github.com/quillpost/quillpost/internal/geom"
)

// executor runs planned blocks in simulated time and records what the pen draws.
type executor struct {
	planner []block
	into    float64 // simulated seconds spent on planner[0]
	pos     vec3
	pen     bool
	hold    bool // feed hold: motion frozen, the planner still fills
	strokes []geom.Stroke
	stroke  geom.Stroke // the stroke being drawn, nil while the pen is up
	// keep bounds strokes to the last keep finished ones (0: all); record receives each finished
	// stroke, so a long run streams its drawing out instead of holding it.
	keep   int
	record func(geom.Stroke)
	drawn  int // strokes finished so far
}

// advance spends dt simulated seconds (+Inf: everything) on the planner and reports whether any
// block finished. A pause block (M0) puts the executor into hold.
func (e *executor) advance(dt float64) bool {
	done := false
	for len(e.planner) > 0 && !e.hold {
		b := &e.planner[0]
		left := b.dur - e.into
		if dt < left {
			e.into += dt
			return done
		}
		dt -= left
		e.finish(*b)
		e.planner = e.planner[1:]
		e.into = 0
		done = true
	}
	return done
}

func (e *executor) finish(b block) {
	switch b.kind {
	case blockMove:
		e.moveTo(b.to, b.lift)
	case blockPen:
		e.setPen(b.pen)
	case blockPause:
		e.hold = true
	}
}

func (e *executor) moveTo(p vec3, lift bool) {
	e.pos = p
	if e.pen && !lift {
		q := geom.Point{X: p[0], Y: p[1]}
		if n := len(e.stroke); n == 0 || e.stroke[n-1] != q {
			e.stroke = append(e.stroke, q)
		}
	}
}

func (e *executor) setPen(down bool) {
	if down == e.pen {
		return
	}
	e.pen = down
	if down {
		e.stroke = geom.Stroke{{X: e.pos[0], Y: e.pos[1]}}
		return
	}
	e.finishStroke()
}

// finishStroke files the stroke in progress: to the recorder, and to the kept strokes, dropping
// the oldest beyond keep (in halves, so each stroke is copied at most once on average).
func (e *executor) finishStroke() {
	st := e.stroke
	e.stroke = nil
	e.drawn++
	if e.record != nil {
		e.record(st)
	}
	e.strokes = append(e.strokes, st)
	if e.keep > 0 && len(e.strokes) >= 2*e.keep {
		n := copy(e.strokes, e.strokes[len(e.strokes)-e.keep:])
		clear(e.strokes[n:])
		e.strokes = e.strokes[:n]
	}
}

// position is where the tool is now, between the ends of the block it is executing.
func (e *executor) position() vec3 {
	if len(e.planner) > 0 && e.planner[0].kind == blockMove && e.planner[0].dur > 0 && e.into > 0 {
		b := e.planner[0]
		return b.from.lerp(b.to, math.Min(1, e.into/b.dur))
	}
	return e.pos
}

// feed is the programmed feed of the move being executed, for the FS: field.
func (e *executor) feed() float64 {
	if len(e.planner) > 0 && !e.hold && e.planner[0].kind == blockMove {
		return e.planner[0].feed
	}
	return 0
}

// interrupt kills motion where it is (reset, alarm, quick stop) and empties the planner. It
// reports whether the machine was moving.
func (e *executor) interrupt() bool {
	moving := len(e.planner) > 0
	if moving && e.planner[0].kind == blockMove {
		e.moveTo(e.position(), e.planner[0].lift)
	}
	e.planner, e.into = nil, 0
	return moving
}

// recording returns the kept strokes, the one in progress included, as copies.
func (e *executor) recording() []geom.Stroke {
	kept := e.strokes
	if e.keep > 0 && len(kept) > e.keep {
		kept = kept[len(kept)-e.keep:]
	}
	out := make([]geom.Stroke, 0, len(kept)+1)
	for _, s := range kept {
		out = append(out, append(geom.Stroke(nil), s...))
	}
	if e.stroke != nil {
		out = append(out, append(geom.Stroke(nil), e.stroke...))
	}
	return out
}
