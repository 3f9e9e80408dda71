package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/quillpost/quillpost/internal/profile"
)

func init() {
	register("profiles", "list the firmware profiles (dialect, protocol, work area)", runProfiles)
}

// profileJSON is the --json view of a profile: the figures an operator or a script picks a
// robot by.
type profileJSON struct {
	Name       string       `json:"name"`
	Title      string       `json:"title"`
	Dialect    string       `json:"dialect"`
	Baud       int          `json:"baud"`
	Protocol   string       `json:"protocol"`
	RXBuffer   int          `json:"rx_buffer,omitempty"`
	QueueDepth int          `json:"queue_depth,omitempty"`
	Pen        string       `json:"pen"`
	WorkArea   workAreaJSON `json:"work_area_mm"`
	Rotation   int          `json:"card_rotation"`
	DrawFeed   float64      `json:"draw_feed_mm_min"`
	TravelFeed float64      `json:"travel_feed_mm_min"`
	Accel      float64      `json:"accel_mm_s2"`
	PenUpS     float64      `json:"pen_up_seconds"`
	PenDownS   float64      `json:"pen_down_seconds"`
	Arcs       bool         `json:"arcs"`
}

type workAreaJSON struct {
	MinX float64 `json:"min_x"`
	MinY float64 `json:"min_y"`
	MaxX float64 `json:"max_x"`
	MaxY float64 `json:"max_y"`
}

func runProfiles(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("profiles", "[flags]", stdout)
	asJSON := fs.jsonFlag("print JSON instead of a table")
	if err := fs.parse(args, 0); err != nil {
		return err
	}
	all := profile.All()
	if *asJSON {
		out := make([]profileJSON, len(all))
		for i, p := range all {
			up, down := p.PenLiftSeconds()
			w := p.WorkArea
			out[i] = profileJSON{
				Name: p.Name, Title: p.Title, Dialect: p.Dialect, Baud: p.Baud,
				Protocol: p.Protocol.Kind, RXBuffer: p.Protocol.RXBuffer, QueueDepth: p.Protocol.QueueDepth,
				Pen: p.Actuator, WorkArea: workAreaJSON{w.Min.X, w.Min.Y, w.Max.X, w.Max.Y}, Rotation: p.Card.Rotation,
				DrawFeed: p.DrawFeed, TravelFeed: p.TravelFeed, Accel: p.Accel,
				PenUpS: up, PenDownS: down, Arcs: p.Arcs,
			}
		}
		return writeJSON(stdout, out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDIALECT\tPROTOCOL\tPEN\tWORK AREA (mm)\tTITLE")
	for _, p := range all {
		proto := p.Protocol.Kind
		switch {
		case p.Protocol.RXBuffer > 0:
			proto += fmt.Sprintf(" (%d B)", p.Protocol.RXBuffer)
		case p.Protocol.QueueDepth > 0:
			proto += fmt.Sprintf(" (%d lines)", p.Protocol.QueueDepth)
		}
		w := p.WorkArea
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\tX %g..%g  Y %g..%g\t%s\n", p.Name, p.Dialect, proto, p.Actuator,
			w.Min.X, w.Max.X, w.Min.Y, w.Max.Y, p.Title)
	}
	return tw.Flush()
}
