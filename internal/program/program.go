// Package program turns a written card into one robot's program: it plans the card's strokes for
// the robot's firmware profile (order, simplification, gap bridging) and emits the G-code, with
// the figures a sender and an operator want (plot-time estimate, pen-up travel, lifts).
package program

import (
	"fmt"

	"github.com/quillpost/quillpost/internal/gcode"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/hand"
	"github.com/quillpost/quillpost/internal/plan"
	"github.com/quillpost/quillpost/internal/profile"
)

// Program is a card compiled for one profile.
type Program struct {
	// Strokes are the planned pen-down paths in card millimetres, in the order they are drawn.
	Strokes []geom.Stroke
	GCode   *gcode.Program
	Stats   plan.Stats // of Strokes, measured from Start
	// PlotSeconds is the motion model's estimate for the program as the firmware runs it (moves
	// at the feeds the G-code gives them, corners, pen lifts and the dwells as written).
	PlotSeconds float64
}

// Start is where the pen is when a card begins, in card coordinates: the machine's origin, where
// homing and the previous card's end sequence leave it.
func Start(p *profile.Profile) geom.Point { return p.ToCard(geom.Point{}) }

// Motion is the profile's motion model for plan.Estimate.
func Motion(p *profile.Profile) plan.Motion {
	// The firmware's own pen times: GRBL rounds each dwell up to 50 ms, a Z pen is a planned move.
	up, down := p.PenCycleSeconds()
	blocks := 16
	if p.Dialect == profile.DialectGRBL {
		blocks = 14 // GRBL 1.1 on an ATmega328: 16 blocks, one executing, one kept empty
	}
	travelIn, travelOut, drawIn, drawOut := p.PenCorners()
	return plan.Motion{
		DrawFeed: p.DrawFeed, TravelFeed: p.TravelFeed, Accel: p.Accel,
		JunctionDeviation: p.JunctionDeviation, PenUpSeconds: up, PenDownSeconds: down,
		StartSeconds: p.FirstLiftCycleSeconds(), PlannerBlocks: blocks,
		TravelEntry: travelIn, TravelExit: travelOut, DrawEntry: drawIn, DrawExit: drawOut,
	}
}

// Build plans and emits a card. title becomes one sanitised comment line in the program (the
// card id, never the customer's text).
func Build(c *hand.Card, p *profile.Profile, order plan.Order, title string) (*Program, error) {
	start := Start(p)
	strokes := plan.Optimize(c.Strokes, start, plan.Options{
		Order: order, Tolerance: p.Tolerance, MinGap: p.MinGap, Word: c.Word, Late: c.Late,
	})
	g, err := gcode.Emit(strokes, p, gcode.Options{Title: title, Arcs: p.Arcs, Ink: true})
	if err != nil {
		return nil, fmt.Errorf("emit %s for profile %s: %w", title, p.Name, err)
	}
	// The estimate runs on the program as the firmware will see it, read back from the G-code:
	// simplified, gaps bridged, on the machine grid, and arcs split into chords as GRBL splits
	// them ($12 = 0.002 mm), whose gentle corners the machine takes at speed.
	// The varying ink lives in the program too: each move's F word is its block's nominal
	// speed, as the firmware plans it (a short move that never reaches the draw feed loses
	// nothing to a lower one), and each landing dwells as long as its own G4 says.
	drawn, err := gcode.ReadDrawn(g.Lines, p)
	if err != nil {
		return nil, fmt.Errorf("read back %s for profile %s: %w", title, p.Name, err)
	}
	return &Program{
		Strokes:     strokes,
		GCode:       g,
		Stats:       plan.Measure(strokes, start),
		PlotSeconds: plan.EstimateProgram(drawn.Strokes, start, Motion(p), Timing(p, drawn)).Total(),
	}, nil
}

// Timing is what a read-back program tells the motion model beyond its paths: the drawing
// feeds, and each stroke's pen-down time with the dwell the program gives that landing (as the
// firmware rounds it) in place of the profile's.
func Timing(p *profile.Profile, d gcode.Drawn) plan.Program {
	_, cycle := p.PenCycleSeconds()
	_, dwell := p.PenDwellSeconds()
	fixed := cycle - p.FirmwareDwell(dwell)
	down := make([]float64, len(d.Dwells))
	for i, s := range d.Dwells {
		down[i] = fixed + p.FirmwareDwell(s)
	}
	return plan.Program{Feeds: d.Feeds, PenDown: down}
}
