package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	fs := newFlags("render", "[flags] --text FILE|- [-o card.svg|card.png|card.gcode] [--stats]", stdout)
	fs.notes = "A batch: quillpost render [flags] -o DIR --ext svg|png|gcode TEXT... writes DIR/NAME.EXT for each\n" +
		"text file NAME.txt, card i with seed --seed+i; --stats prints one JSON line per card, and a\n" +
		"progress bar shows on a terminal."
	textPath := fs.String("text", "", "file with the card's text, or - for standard input (one card)")
	card := fs.String("card", "a6", "card format: "+formatNames())
	face := fs.String("font", "allure", "font face (see 'quillpost fonts')")
	fontFile := fs.String("font-file", "", "a quillpost-font/1 face file to write in instead of --font, e.g. an account's own handwriting from GET /v1/faces/NAME/font.json")
	handName := fs.String("hand", "neat", "hand (see 'quillpost hands')")
	handJSON := fs.String("hand-json", "", `JSON object overriding hand parameters, e.g. '{"slant_deg":5}'`)
	seed := fs.Uint64("seed", 1, "variation seed: the same seed writes the same strokes")
	align := fs.String("align", "left", "left or center")
	out := fs.String("o", "", "output file: .svg, .png, or .gcode with --profile (nothing is written without it); a directory for a batch")
	ext := fs.String("ext", "svg", "file type of a batch's cards: svg, png, or gcode with --profile")
	stats := fs.Bool("stats", false, "print JSON statistics (glyphs, strokes, pen_down_mm, bbox; with --profile also the plot figures) to stdout")
	profName := fs.String("profile", "", "robot firmware profile (see 'quillpost profiles'): plan the strokes and emit G-code")
	orderName := fs.String("order", "optimal", "stroke order with --profile: optimal, natural (human writing order) or text")
	pen := fs.Float64("pen", preview.DefaultPenWidth, "pen width in mm for the preview")
	dpi := fs.Float64("dpi", 300, "PNG resolution in dots per inch")
	if err := fs.parse(args, -1); err != nil {
		return err
	}
	batch := fs.Args()
	switch {
	case *textPath == "" && len(batch) == 0:
		return fs.usageErr("--text is required: a file with the card's text, or - for standard input (or text files for a batch)")
	case *textPath != "" && len(batch) > 0:
		return fs.usageErr("give --text for one card or text files for a batch, not both")
	case *out == "" && !*stats:
		return fs.usageErr("nothing to do: give -o out.svg|out.png and/or --stats")
	}

	var r renderer
	var err error
	if r.format, err = hand.LookupFormat(*card); err != nil {
		return fs.badValue("card", err)
	}
	if r.face, err = font.Lookup(*face); err != nil {
		return fs.badValue("font", err)
	}
	if *fontFile != "" {
		if r.face, err = readFontFile(*fontFile); err != nil {
			return err
		}
	}
	if r.hand, err = hand.LookupHand(*handName); err != nil {
		return fs.badValue("hand", err)
	}
	if *handJSON != "" {
		dec := json.NewDecoder(strings.NewReader(*handJSON))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r.hand); err != nil {
			return fs.badValue("hand-json", err)
		}
	}
	if r.align, err = hand.ParseAlign(*align); err != nil {
		return fs.badValue("align", err)
	}
	if *profName != "" {
		if r.profile, err = fs.lookupProfile(*profName); err != nil {
			return err
		}
		if r.order, err = plan.ParseOrder(*orderName); err != nil {
			return fs.badValue("order", err)
		}
	}
	r.pen, r.dpi = *pen, *dpi
	if len(batch) == 0 {
		st, err := r.render(*textPath, *seed, *out)
		if err != nil {
			return err
		}
		if *stats {
			return writeJSON(stdout, st)
		}
		return nil
	}

	// A batch.
	switch *ext = strings.TrimPrefix(strings.ToLower(*ext), "."); *ext {
	case "svg", "png", "gcode":
	default:
		return fs.usageErr("--ext: %q is not svg, png or gcode", *ext)
	}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return fmt.Errorf("making the output directory: %w", err)
		}
	}
	bar := newProgress(stderr, "cards")
	bar.quiet = quietProgress
	defer bar.done()
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for i, text := range batch {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("stopped after %s: %w", plural(i, "card"), err)
		}
		file := ""
		if *out != "" {
			file = filepath.Join(*out, strings.TrimSuffix(filepath.Base(text), filepath.Ext(text))+"."+*ext)
		}
		st, err := r.render(text, *seed+uint64(i), file)
		if err != nil {
			return fmt.Errorf("%s: %w", text, err)
		}
		if *stats {
			st.Text, st.Seed, st.Output = text, *seed+uint64(i), file
			if err := enc.Encode(st); err != nil {
				return err
			}
		}
		bar.count("", i+1, len(batch))
	}
	return nil
}

// renderer writes cards with the settings of the command line.
type renderer struct {
	format  hand.Format
	face    *font.Face
	hand    hand.Hand
	align   hand.Align
	profile *profile.Profile // nil: no G-code
	order   plan.Order
	pen     float64
	dpi     float64
}

// render writes the text in textPath ("-": standard input) on a card with seed, to out
// (.svg, .png or .gcode; "" writes nothing), and returns the card's figures.
func (r *renderer) render(textPath string, seed uint64, out string) (*renderStats, error) {
	text, err := readRenderText(textPath)
	if err != nil {
		return nil, err
	}
	c, err := hand.Render(hand.Request{Text: text, Face: r.face, Format: r.format, Hand: r.hand, Seed: seed, Align: r.align})
	if err != nil {
		return nil, err
	}
	st := &renderStats{Stats: preview.StatsOf(c)}
	var prog *program.Program
	if r.profile != nil {
		if prog, st.plotStats, err = plotFigures(c, r.profile, r.order); err != nil {
			return nil, err
		}
	}
	switch {
	case out == "":
	case strings.EqualFold(filepath.Ext(out), ".gcode"):
		if prog == nil {
			return nil, errors.New("--profile is needed for G-code, which is made for one robot (see quillpost profiles)")
		}
		if err := os.WriteFile(out, prog.GCode.Bytes(), 0o644); err != nil {
			return nil, fmt.Errorf("writing %s: %w", out, err)
		}
	default:
		if err := writeRenderOutput(out, c, r.pen, r.dpi); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// renderStats is what --stats prints: the card's figures, and with --profile the robot's.
type renderStats struct {
	Text   string `json:"text,omitempty"`   // in a batch: the text file
	Seed   uint64 `json:"seed,omitempty"`   // in a batch: the card's seed
	Output string `json:"output,omitempty"` // in a batch: the file written
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
