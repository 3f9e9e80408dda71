package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/hand"
	"github.com/quillpost/quillpost/internal/plan"
	"github.com/quillpost/quillpost/internal/preview"
	"github.com/quillpost/quillpost/internal/profile"
	"github.com/quillpost/quillpost/internal/program"
)

func init() {
	register("render", "write a text on a card: SVG or PNG preview, G-code for a robot, --stats JSON", runRender)
}

// renderStdin is where --text - reads from; a variable so tests can feed it.
var renderStdin io.Reader = os.Stdin

func runRender(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	textPath := fs.String("text", "", "file with the card's text, or - for standard input (required)")
	card := fs.String("card", "a6", "card format: "+formatNames())
	face := fs.String("font", "allure", "font face (see quillpost fonts)")
	fontFile := fs.String("font-file", "", "a quillpost-font/1 face file to write in instead of --font, e.g. an account's own handwriting from GET /v1/faces/NAME/font.json")
	handName := fs.String("hand", "neat", "hand (see quillpost hands)")
	handJSON := fs.String("hand-json", "", `JSON object overriding hand parameters, e.g. '{"slant_deg":5}'`)
	seed := fs.Uint64("seed", 1, "variation seed: the same seed writes the same strokes")
	align := fs.String("align", "left", "left or center")
	out := fs.String("o", "", "output file: .svg, .png, or .gcode with --profile (nothing is written without it)")
	stats := fs.Bool("stats", false, "print JSON statistics (glyphs, strokes, pen_down_mm, bbox; with --profile also the plot figures) to stdout")
	profName := fs.String("profile", "", "robot firmware profile (see quillpost profiles): plan the strokes and emit G-code")
	orderName := fs.String("order", "optimal", "stroke order with --profile: optimal, natural (human writing order) or text")
	pen := fs.Float64("pen", preview.DefaultPenWidth, "pen width in mm for the preview")
	dpi := fs.Float64("dpi", 300, "PNG resolution in dots per inch")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: quillpost render --text FILE|- [--card a6] [--font NAME|--font-file FILE.json] [--hand neat] [--seed N] [--align left|center] [--profile NAME [--order optimal|natural|text]] [-o out.svg|out.png|out.gcode] [--stats]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (the text comes from --text)", fs.Arg(0))
	}
	if *textPath == "" {
		return errors.New("--text is required: a file with the card's text, or - for standard input")
	}
	if *out == "" && !*stats {
		return errors.New("nothing to do: give -o out.svg|out.png and/or --stats")
	}

	text, err := readRenderText(*textPath)
	if err != nil {
		return err
	}
	format, err := hand.LookupFormat(*card)
	if err != nil {
		return err
	}
	f, err := font.Lookup(*face)
	if *fontFile != "" {
		f, err = readFontFile(*fontFile)
	}
	if err != nil {
		return err
	}
	h, err := hand.LookupHand(*handName)
	if err != nil {
		return err
	}
	if *handJSON != "" {
		dec := json.NewDecoder(strings.NewReader(*handJSON))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&h); err != nil {
			return fmt.Errorf("--hand-json: %w", err)
		}
	}
	al, err := hand.ParseAlign(*align)
	if err != nil {
		return err
	}

	c, err := hand.Render(hand.Request{Text: text, Face: f, Format: format, Hand: h, Seed: *seed, Align: al})
	if err != nil {
		return err
	}

	st := renderStats{Stats: preview.StatsOf(c)}
	var prog *program.Program
	if *profName != "" {
		p, err := profile.Lookup(*profName)
		if err != nil {
			return err
		}
		order, err := plan.ParseOrder(*orderName)
		if err != nil {
			return err
		}
		if prog, st.plotStats, err = plotFigures(c, p, order); err != nil {
			return err
		}
	}
	if *out != "" {
		if strings.EqualFold(filepath.Ext(*out), ".gcode") {
			if prog == nil {
				return errors.New("--profile is needed for G-code, which is made for one robot (see quillpost profiles)")
			}
			if err := os.WriteFile(*out, prog.GCode.Bytes(), 0o644); err != nil {
				return fmt.Errorf("writing %s: %w", *out, err)
			}
		} else if err := writeRenderOutput(*out, c, *pen, *dpi); err != nil {
			return err
		}
	}
	if *stats {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(st); err != nil {
			return err
		}
	}
	return nil
}

// renderStats is what --stats prints: the card's figures, and with --profile the robot's.
type renderStats struct {
	preview.Stats
	*plotStats
}

// plotStats compares the chosen stroke order with the plain text order on the same robot.
type plotStats struct {
	Profile           string  `json:"profile"`
	Order             string  `json:"order"`
	PenUpLowerBoundMM float64 `json:"pen_up_lower_bound_mm"`
	orderStats
	TextOrder orderStats `json:"text_order"`
}

type orderStats struct {
	PenLifts    int     `json:"pen_lifts"`
	PenUpMM     float64 `json:"pen_up_mm"`
	GCodeLines  int     `json:"gcode_lines"`
	GCodeBytes  int     `json:"gcode_bytes"`
	PlotSeconds float64 `json:"plot_seconds"`
}

// plotFigures compiles the card for p in the chosen order, and in text order for comparison.
func plotFigures(c *hand.Card, p *profile.Profile, order plan.Order) (*program.Program, *plotStats, error) {
	prog, err := program.Build(c, p, order, "quillpost render")
	if err != nil {
		return nil, nil, err
	}
	text, err := program.Build(c, p, plan.OrderText, "quillpost render")
	if err != nil {
		return nil, nil, err
	}
	return prog, &plotStats{
		Profile: p.Name, Order: order.String(),
		PenUpLowerBoundMM: round2(plan.PenUpLowerBound(c.Strokes)),
		orderStats:        figuresOf(prog),
		TextOrder:         figuresOf(text),
	}, nil
}

func figuresOf(p *program.Program) orderStats {
	gs := p.GCode.Stats()
	return orderStats{
		PenLifts: gs.PenLifts, PenUpMM: round2(p.Stats.PenUpMM), GCodeLines: gs.Lines, GCodeBytes: gs.Bytes,
		PlotSeconds: round2(p.PlotSeconds),
	}
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// readRenderText reads the card's text from a file or standard input, refusing what no card holds.
func readRenderText(path string) (string, error) {
	var r io.Reader = renderStdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("reading the text: %w", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, hand.MaxTextBytes+1))
	if err != nil {
		return "", fmt.Errorf("reading the text: %w", err)
	}
	if len(data) > hand.MaxTextBytes {
		return "", fmt.Errorf("the text is longer than %d bytes; no card holds that much", hand.MaxTextBytes)
	}
	return string(data), nil
}

// writeRenderOutput writes the card in the format the file name's extension asks for. The file
// is written only once the whole image exists, so a failure leaves no half-written file.
func writeRenderOutput(path string, c *hand.Card, pen, dpi float64) error {
	var buf bytes.Buffer
	var err error
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".svg":
		err = preview.SVG(&buf, c.Format, c.Strokes, pen)
	case ".png":
		err = preview.PNG(&buf, c.Format, c.Strokes, pen, dpi)
	default:
		return fmt.Errorf("output %q: unknown file type %q; use .svg or .png", path, ext)
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func formatNames() string {
	var names []string
	for _, f := range hand.Formats() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}
