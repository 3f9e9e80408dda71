package gcode

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/profile"
)

func TestGridFormat(t *testing.T) {
	g := newGrid(3)
	cases := map[int64]string{
		0: "0", 1: "0.001", -1: "-0.001", 10: "0.01", 1500: "1.5", -1500: "-1.5", 300000: "300",
		123456: "123.456", -280000: "-280", 1001: "1.001", 100: "0.1",
	}
	for n, want := range cases {
		if got := g.format(n); got != want {
			t.Errorf("format(%d) = %q, want %q", n, got, want)
		}
	}
	g6 := newGrid(6)
	if got := g6.format(-1234567); got != "-1.234567" {
		t.Errorf("precision 6: %q", got)
	}
	for _, c := range []struct {
		v    float64
		want int64
	}{{0.0005, 1}, {-0.0005, -1}, {12.3454999, 12345}, {299.9996, 300000}, {-0.0004, 0}} {
		if got, _ := g.snap(c.v); got != c.want {
			t.Errorf("snap(%v) = %d, want %d", c.v, got, c.want)
		}
	}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e300} {
		if _, ok := g.snap(v); ok {
			t.Errorf("snap(%v) accepted", v)
		}
	}
	for v, want := range map[float64]string{3000: "3000", 0.189: "0.189", 1500.5: "1500.5", math.Copysign(0, -1): "0", -0.0001: "0", 0.1 + 0.2: "0.3"} {
		if got := formatNumber(v, 3); got != want {
			t.Errorf("formatNumber(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestBounds: a stroke that leaves the work area by 1 mm on any side is an error naming the
// stroke, the point and the bound, and no program comes back; a point exactly on the bound is
// fine.
func TestBounds(t *testing.T) {
	for _, p := range profile.All() {
		w := p.WorkArea
		mid := geom.Point{X: (w.Min.X + w.Max.X) / 2, Y: (w.Min.Y + w.Max.Y) / 2}
		good := geom.Stroke{p.ToCard(mid), p.ToCard(mid.Add(geom.Point{X: 1, Y: 1}))}
		for _, c := range []struct {
			bound string
			at    geom.Point
			limit float64
		}{
			{"min_x", geom.Point{X: w.Min.X - 1, Y: mid.Y}, w.Min.X},
			{"max_x", geom.Point{X: w.Max.X + 1, Y: mid.Y}, w.Max.X},
			{"min_y", geom.Point{X: mid.X, Y: w.Min.Y - 1}, w.Min.Y},
			{"max_y", geom.Point{X: mid.X, Y: w.Max.Y + 1}, w.Max.Y},
		} {
			bad := geom.Stroke{p.ToCard(mid), p.ToCard(c.at), p.ToCard(mid)}
			prog, err := Emit([]geom.Stroke{good, bad}, p, Options{})
			var be *BoundsError
			if !errors.As(err, &be) {
				t.Fatalf("%s %s: err = %v, want a *BoundsError", p.Name, c.bound, err)
			}
			if prog != nil {
				t.Fatalf("%s %s: a partial program came back with the error", p.Name, c.bound)
			}
			if be.Stroke != 1 || be.Point != 1 || be.Bound != c.bound || be.Limit != c.limit || be.Profile != p.Name {
				t.Errorf("%s: %+v, want stroke 1 point 1 bound %s limit %g", p.Name, be, c.bound, c.limit)
			}
			if !strings.Contains(err.Error(), "stroke 1 point 1") || !strings.Contains(err.Error(), c.bound) {
				t.Errorf("%s: error text %q", p.Name, err)
			}
			// Exactly on the bound is inside.
			edge := c.at
			switch c.bound {
			case "min_x", "max_x":
				edge.X = c.limit
			default:
				edge.Y = c.limit
			}
			if _, err := Emit([]geom.Stroke{{p.ToCard(mid), p.ToCard(edge)}}, p, Options{}); err != nil {
				t.Errorf("%s: a point on the %s bound was refused: %v", p.Name, c.bound, err)
			}
		}
		// Rounding must not smuggle a point out: 0.0006 mm past the bound rounds to 0.001 past it.
		past := geom.Point{X: w.Max.X + 0.0006, Y: mid.Y}
		if _, err := Emit([]geom.Stroke{{p.ToCard(past)}}, p, Options{}); err == nil {
			t.Errorf("%s: a point that rounds to beyond max_x was accepted", p.Name)
		}
	}
	p, _ := profile.Lookup("grbl-servo")
	for _, v := range []float64{math.NaN(), math.Inf(1)} {
		if _, err := Emit([]geom.Stroke{{{X: 1, Y: 1}, {X: v, Y: 2}}}, p, Options{}); err == nil ||
			!strings.Contains(err.Error(), "stroke 0 point 1") {
			t.Errorf("coordinate %v: err = %v", v, err)
		}
	}
	if _, err := Emit(nil, nil, Options{}); err == nil {
		t.Error("Emit without a profile succeeded")
	}
	broken := p.Clone()
	broken.DrawFeed = -1
	if _, err := Emit(nil, broken, Options{}); err == nil || !strings.Contains(err.Error(), "draw_feed: must be positive") {
		t.Errorf("Emit with a broken profile: %v", err)
	}
}

// TestCommentInjection: user text reaches the program only as one sanitised comment line, and
// the program is otherwise the same as with no title at all.
func TestCommentInjection(t *testing.T) {
	titles := []string{
		"x)\nM3 S1000\n(",
		"; \r G0 X-999",
		"Hello!~? \x18\x85 world",
		"(M5) ; G1 X0 Y0 F99999",
		"%\n$H\n$X",
		"Order *12 N5 G92",
		"Zoë Müller-Łukasz Straße",
		"\u202eevil\u2028M3 S1000",
		strings.Repeat("long title ", 40),
		"{title} {{.Title}} ${x}",
	}
	rng := rand.New(rand.NewPCG(7, 7))
	strokes := randomStrokes(rng, 8)
	for _, p := range profile.All() {
		plain, err := Emit(strokes, p, Options{Arcs: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, title := range titles {
			prog, err := Emit(strokes, p, Options{Arcs: true, Title: title})
			if err != nil {
				t.Fatal(err)
			}
			if len(prog.Lines) != len(plain.Lines)+1 {
				t.Fatalf("%s %q: %d lines, want %d", p.Name, title, len(prog.Lines), len(plain.Lines)+1)
			}
			var rest []string
			comments := 0
			for _, l := range prog.Lines {
				if strings.HasPrefix(l, "; title: ") {
					comments++
					blk, err := ParseLine(l)
					if err != nil || len(blk.Words) != 0 {
						t.Errorf("%s %q: title line %q parses to %v, %v", p.Name, title, l, blk.Words, err)
					}
					if len(l) > len("; title: ")+MaxTitle {
						t.Errorf("%s: title line is %d bytes", p.Name, len(l))
					}
					continue
				}
				rest = append(rest, l)
			}
			if comments != 1 {
				t.Fatalf("%s %q: %d title lines", p.Name, title, comments)
			}
			if strings.Join(rest, "\n") != strings.Join(plain.Lines, "\n") {
				t.Fatalf("%s %q: the title changed the program beyond its comment", p.Name, title)
			}
			for _, c := range prog.Bytes() {
				if c != '\n' && (c < 0x20 || c > 0x7e || c == '!' || c == '~' || c == '?') {
					t.Fatalf("%s %q: program holds byte %q", p.Name, title, c)
				}
			}
		}
	}
	if got := SanitizeTitle("x)\nM3 S1000\n("); got != "x M3 S1000" {
		t.Errorf("SanitizeTitle = %q", got)
	}
	if got := SanitizeTitle("Zoë Müller-Łukasz Straße"); got != "Zoe Muller-Lukasz Strasse" {
		t.Errorf("SanitizeTitle = %q", got)
	}
	if got := SanitizeTitle("; \r G0 X-999"); got != "G0 X-999" {
		t.Errorf("SanitizeTitle = %q", got)
	}
	if got := SanitizeTitle("!!!"); got != "" {
		t.Errorf("SanitizeTitle(!!!) = %q", got)
	}
}

// TestProgramShape checks what every program must be, on every profile: each line parses (or
// is GRBL's $H) and fits the controller's buffers, F appears only when the feed changes, every
// drawing move runs at the draw feed and every travel at the travel feed, and emission is
// deterministic.
func TestProgramShape(t *testing.T) {
	for _, p := range profile.All() {
		for seed := range uint64(10) {
			rng := rand.New(rand.NewPCG(seed, 9))
			strokes := randomStrokes(rng, 20)
			prog, err := Emit(strokes, p, Options{Arcs: true, Title: "shape"})
			if err != nil {
				t.Fatal(err)
			}
			again, _ := Emit(strokes, p, Options{Arcs: true, Title: "shape"})
			if !bytes.Equal(prog.Bytes(), again.Bytes()) {
				t.Fatalf("%s: two emissions differ", p.Name)
			}
			feed := math.NaN()
			for i, l := range prog.Lines {
				if len(l) > 80 {
					t.Errorf("%s line %d is %d bytes: %q", p.Name, i+1, len(l), l)
				}
				if p.Protocol.Kind == profile.ProtocolCharCount && len(Strip(l))+1 > p.Protocol.RXBuffer {
					t.Errorf("%s line %d does not fit the receive buffer", p.Name, i+1)
				}
				if l == "$H" {
					continue
				}
				blk, err := ParseLine(l)
				if err != nil {
					t.Fatalf("%s line %d %q: %v", p.Name, i+1, l, err)
				}
				// Pen commands, start and end are the profile's own lines, copied verbatim.
				isPen := slices.Contains(p.PenUp.Commands, l) || slices.Contains(p.PenDown.Commands, l) ||
					slices.Contains(p.Start, l) || slices.Contains(p.End, l)
				if f, ok := blk.Get('F'); ok {
					if f == feed && !isPen {
						t.Errorf("%s line %d %q: F repeats the modal feed", p.Name, i+1, l)
					}
					feed = f
				}
				switch {
				case isPen:
				case blk.Has('G', 1) || blk.Has('G', 2) || blk.Has('G', 3):
					if feed != p.DrawFeed {
						t.Errorf("%s line %d %q draws at F%g", p.Name, i+1, l, feed)
					}
				case blk.Has('G', 0) && p.RapidUsesFeed() && blk.Count('Z') == 0:
					if feed != p.TravelFeed {
						t.Errorf("%s line %d %q travels at F%g", p.Name, i+1, l, feed)
					}
				case blk.Has('G', 0) && !p.RapidUsesFeed():
					if _, ok := blk.Get('F'); ok {
						t.Errorf("%s line %d %q: GRBL's G0 ignores F", p.Name, i+1, l)
					}
				}
			}
			st := prog.Stats()
			if st.Lines != len(prog.Lines) || st.Bytes != len(prog.Bytes()) || st.PenLifts != prog.PenLifts || st.Arcs != prog.Arcs {
				t.Errorf("%s: Stats %+v disagree with the program", p.Name, st)
			}
		}
	}
}

func TestPenDwells(t *testing.T) {
	stroke := []geom.Stroke{{{X: 10, Y: 10}, {X: 20, Y: 10}}}
	cases := map[string][][]string{
		// Servo: travel time plus settle, GRBL in seconds, Marlin in milliseconds (rounded up).
		// grbl-servo lifts only to its travel angle between strokes (S79, 7.74° from S90), swings
		// there from rest (M5, 55.76°) after the start, and parks at rest at the end.
		"grbl-servo":   {{"G17", "M3 S79", "G4 P0.17"}, {"M3 S90", "G4 P0.1"}, {"M3 S79", "G4 P0.05", "M5", "G0 X0 Y200"}},
		"marlin-servo": {{"M400", "M280 P0 S50", "G4 P234"}, {"M400", "M280 P0 S90", "G4 P184"}},
		// Z axis: the planner waits for the move; only the settle is dwelt.
		"grbl-z":  {{"G1 Z0 F600", "G4 P0.05"}, {"G0 Z1", "G0 Z10"}},
		"klipper": {{"G1 Z0 F1200", "G4 P50"}, {"G1 Z2 F1200", "G1 Z10 F1200"}},
		"fluidnc": {{"G1 Z0 F3000", "G4 P0.08"}, {"G0 Z5", "G4 P0.05"}},
	}
	for name, want := range cases {
		p, _ := profile.Lookup(name)
		prog, err := Emit(stroke, p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(prog.Lines, "\n")
		for _, w := range want {
			if !strings.Contains(text, strings.Join(w, "\n")) {
				t.Errorf("%s: program lacks %q:\n%s", name, w, text)
			}
		}
	}
}

func TestEmptyAndDegenerateStrokes(t *testing.T) {
	p, _ := profile.Lookup("grbl-servo")
	prog, err := Emit([]geom.Stroke{{}, {{X: 5, Y: 5}}, {{X: 6, Y: 6}, {X: 6.0001, Y: 6}}}, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if prog.PenLifts != 2 {
		t.Errorf("PenLifts = %d, want 2 (the empty stroke draws nothing)", prog.PenLifts)
	}
	got, err := Read(prog.Lines, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got[0]) != 1 || len(got[1]) != 1 {
		t.Errorf("read %v, want two dots", got)
	}
}

func TestArcsNeedProfileAndOption(t *testing.T) {
	strokes := []geom.Stroke{goldenStrokes()[2]} // a circle of 48 points
	p := mustProfile(t, "grbl-servo").Clone()
	p.Tolerance = 0.05 // the circle bulges 0.013 mm past its chords: an arc needs a tolerance above that
	on, _ := Emit(strokes, p, Options{Arcs: true})
	off, _ := Emit(strokes, p, Options{Arcs: false})
	q := p.Clone()
	q.Arcs = false
	refused, _ := Emit(strokes, q, Options{Arcs: true})
	if on.Arcs == 0 || off.Arcs != 0 || refused.Arcs != 0 {
		t.Errorf("arcs: option and profile on %d, option off %d, profile off %d", on.Arcs, off.Arcs, refused.Arcs)
	}
}
