package plotsim

import "math"

// clock times the blocks the controller plans the way GRBL 1.1's planner runs them, whatever
// the simulation speed: every straight block has a trapezoidal speed profile at the acceleration
// limit; the speed through the junction of two blocks is capped by junction deviation
// (v² = a·δ·sin(θ/2)/(1−sin(θ/2)) for the angle θ between the reversed first direction and the
// second, and by both blocks' nominal speeds); each block's exit speed is planned with the
// blocks the planner holds behind it (Planner−1 of them: it must be able to stop at the end of
// what it holds), so a full planner is assumed, as character counting keeps it. Pen blocks
// (GRBL's spindle sync, Marlin's M400) and dwells stop the machine; dwells take the rounded
// time the dialect runs them (GRBL: 50 ms steps).
type clock struct {
	window          int
	accel, junction float64
	queue           []timedMove // moves planned, not yet timed
	exit2           float64     // squared speed at the end of the last timed move
	total           float64     // seconds of everything timed
}

type timedMove struct {
	l, v float64 // length, nominal speed (mm/s)
	u    vec3    // unit direction
}

func (k *clock) add(b block) {
	switch b.kind {
	case blockMove:
		l := b.from.dist(b.to)
		if l <= 0 {
			return // GRBL drops zero-length blocks
		}
		var u vec3
		for i := range u {
			u[i] = (b.to[i] - b.from[i]) / l
		}
		k.queue = append(k.queue, timedMove{l: l, v: b.feed / 60, u: u})
		if len(k.queue) > k.window {
			k.timeFirst()
		}
	case blockPen:
		if b.sync {
			k.flush()
		}
	default:
		k.flush()
		k.total += b.dur
	}
}

// flush times every queued move, the last one ending at rest.
func (k *clock) flush() {
	for len(k.queue) > 0 {
		k.timeFirst()
	}
	k.exit2 = 0
}

// elapsed is the total with the queued moves timed as if the program ended there.
func (k *clock) elapsed() float64 {
	c := *k
	c.queue = append([]timedMove(nil), k.queue...)
	c.flush()
	return c.total
}

// junction2 is the squared speed cap between move a and move b.
func (k *clock) junction2(a, b timedMove) float64 {
	cos := -(a.u[0]*b.u[0] + a.u[1]*b.u[1] + a.u[2]*b.u[2])
	vmax2 := math.Min(a.v*a.v, b.v*b.v)
	switch {
	case cos > 0.999999:
		return 0
	case cos < -0.999999:
		return vmax2
	}
	sinHalf := math.Sqrt(0.5 * (1 - cos))
	return math.Min(vmax2, k.accel*k.junction*sinHalf/(1-sinHalf))
}

// timeFirst times the oldest queued move: its entry is where the previous move ended; its exit
// is the fastest from which the planner can still stop within the moves queued behind it.
func (k *clock) timeFirst() {
	q := k.queue
	a := k.accel
	exit2 := 0.0 // at the end of the last queued move
	for j := len(q) - 1; j >= 1; j-- {
		entry := math.Min(k.junction2(q[j-1], q[j]), exit2+2*a*q[j].l)
		exit2 = entry
	}
	first := q[0]
	entry2 := math.Min(k.exit2, first.v*first.v)
	exit2 = math.Min(exit2, entry2+2*a*first.l)
	k.total += trapezoidTime(first.l, entry2, exit2, first.v, a)
	k.exit2 = exit2
	k.queue = q[1:]
}

// trapezoidTime runs a move of length l from speed² v0sq to v1sq, cruising at most at vn.
func trapezoidTime(l, v0sq, v1sq, vn, a float64) float64 {
	if a <= 0 {
		return l / vn
	}
	vn2 := vn * vn
	v0sq, v1sq = math.Min(v0sq, vn2), math.Min(v1sq, vn2)
	v0, v1 := math.Sqrt(v0sq), math.Sqrt(v1sq)
	da, dd := (vn2-v0sq)/(2*a), (vn2-v1sq)/(2*a)
	if da+dd <= l {
		return (vn-v0)/a + (vn-v1)/a + (l-da-dd)/vn
	}
	peak := math.Max(math.Sqrt((2*a*l+v0sq+v1sq)/2), math.Max(v0, v1))
	return (peak-v0)/a + (peak-v1)/a
}
