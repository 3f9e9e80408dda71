package fontgen

import (
	"github.com/quillpost/quillpost/internal/geom"
)

// hookCs redraws the start of a cursive c (and ç) so that a join cannot turn it into an e.
// The sources begin a c at the tip of its top hook, on the right; a connector coming from the
// previous letter, low on the left, must then cross the c's back to get there, and the loop it
// closes is an e's eye. A writer instead runs up along the back to the top, turns the little
// hook and comes back over it: the stroke now starts on the back just past the top, traces the
// hook out and back, and the connector arrives along the back without crossing it.
func (b *builder) hookCs() {
	if !b.spec.Cursive {
		return
	}
	for _, r := range []rune{'c', 'ç'} {
		g := b.glyphs[r]
		if g == nil || len(g.paths) == 0 || g.late[0] {
			continue
		}
		if p, ok := hookedStart(g.paths[0]); ok {
			g.paths[0] = p
		}
	}
}

// hookedStart returns p with the part from its start over its topmost vertex to the vertex
// after that prepended in reverse, when p starts with straight segments that rise to a top
// left of the start (the hook). Curved starts are left alone.
func hookedStart(p geom.Path) (geom.Path, bool) {
	top, topY := -1, p.Start.Y
	for i, sg := range p.Segs {
		if sg.Kind != geom.Line || i > 4 {
			break
		}
		if sg.P[0].Y < topY {
			top, topY = i, sg.P[0].Y
		}
	}
	if top < 0 || top+1 >= len(p.Segs) || p.Segs[top+1].Kind != geom.Line {
		return p, false
	}
	if p.Segs[top].P[0].X >= p.Start.X {
		return p, false // the top is not left of the start: no hook to retrace
	}
	lead := geom.Path{Start: p.Start, Segs: p.Segs[:top+2]}
	back := reversePath(lead)
	segs := make([]geom.Seg, 0, len(back.Segs)+len(p.Segs))
	segs = append(segs, back.Segs...)
	segs = append(segs, p.Segs...)
	return geom.Path{Start: back.Start, Segs: segs}, true
}

// liftBeforeLowX makes a cursive x that begins with its cross stroke at the foot (Hershey
// Script's) a letter the pen lifts before: a connector would run down into the foot of the
// cross stroke and, with the hump written next, close an α. Written on its own the x reads.
func (b *builder) liftBeforeLowX() {
	if !b.spec.Cursive {
		return
	}
	if g := b.glyphs['x']; g != nil && g.joins && g.entry.Y > -0.25*b.xh {
		g.joins, g.lift = false, true
	}
}
