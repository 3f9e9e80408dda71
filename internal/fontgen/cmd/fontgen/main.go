// Command fontgen regenerates quillpost's font faces (fonts/<name>.json and their licence
// files) from the inkscape SVG fonts and the Hershey JHF data. It runs from `go generate
// ./fonts`; the sources come from Debian packages (see fonts/FORMAT.md) and are not needed to
// build quillpost, because the generated files are committed.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/fontgen"
)

func main() {
	svgDir := flag.String("svg", envOr("QUILLPOST_SVG_FONTS", "/tmp/inkscape/usr/share/inkscape/extensions/svg_fonts"),
		"directory of the inkscape SVG fonts (env QUILLPOST_SVG_FONTS)")
	hersheyDir := flag.String("hershey", envOr("QUILLPOST_HERSHEY", "/tmp/hershey/usr/share"),
		"the unpacked hershey-fonts-data's usr/share (env QUILLPOST_HERSHEY)")
	out := flag.String("out", ".", "directory to write the faces to")
	flag.Parse()
	if err := run(*svgDir, *hersheyDir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "fontgen:", err)
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func run(svgDir, hersheyDir, out string) error {
	ofl, err := os.ReadFile(filepath.Join(svgDir, "OFL.txt"))
	if err != nil {
		return fmt.Errorf("reading the OFL template (is inkscape unpacked? see fonts/FORMAT.md): %w", err)
	}
	hersheyCopyright, err := os.ReadFile(filepath.Join(hersheyDir, "doc", "hershey-fonts-data", "copyright"))
	if err != nil {
		return fmt.Errorf("reading the Hershey licence (is hershey-fonts-data unpacked?): %w", err)
	}
	for _, spec := range fontgen.Faces {
		data, err := os.ReadFile(filepath.Join(svgDir, spec.SVG))
		if err != nil {
			return err
		}
		svg, err := fontgen.ParseSVGFont(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("%s: %w", spec.SVG, err)
		}
		var jhf []fontgen.JHFGlyph
		if spec.JHF != "" {
			raw, err := os.ReadFile(filepath.Join(hersheyDir, "hershey-fonts", spec.JHF))
			if err != nil {
				return err
			}
			if jhf, err = fontgen.ParseJHF(raw); err != nil {
				return fmt.Errorf("%s: %w", spec.JHF, err)
			}
		}
		f, rep, err := fontgen.Build(spec, svg, jhf)
		if err != nil {
			return err
		}
		if len(rep.Missing) > 0 {
			return fmt.Errorf("face %s lacks required characters %q (could not compose: %s)",
				spec.Name, string(rep.Missing), strings.Join(rep.Uncomposable, "; "))
		}
		enc, err := fontgen.Encode(f)
		if err != nil {
			return err
		}
		// The written file must load; a face that fails here would panic at run time.
		if _, err := font.Parse(enc); err != nil {
			return fmt.Errorf("generated face does not parse: %w", err)
		}
		var lic string
		switch spec.License {
		case "OFL-1.1":
			lic, err = fontgen.OFLText(spec, svg, ofl)
		case "Hershey":
			lic, err = fontgen.HersheyText(spec, svg, hersheyCopyright)
		default:
			err = fmt.Errorf("face %s: unknown licence %q", spec.Name, spec.License)
		}
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, spec.Name+".json"), enc, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, f.LicenseFile), []byte(lic), 0o644); err != nil {
			return err
		}
		slog.Info("face written", "name", rep.Name, "glyphs", rep.Glyphs,
			"x_height", fmt.Sprintf("%.1f (declared %.0f)", rep.XHeight, rep.DeclaredXHeight),
			"cap_height", fmt.Sprintf("%.1f (declared %.0f)", rep.CapHeight, rep.DeclaredCapHeight),
			"composed", len(rep.Composed), "composed_runes", string(rep.Composed),
			"from_jhf", string(rep.FromJHF), "merged", rep.Merged, "joining", rep.Joining,
			"lift_after", rep.LiftAfter, "late_strokes", rep.Late,
			"duplicates", strings.TrimSpace(string(rep.Duplicates)), "bytes", len(enc))
	}
	return nil
}
