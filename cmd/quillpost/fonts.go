package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/quillpost/quillpost/internal/font"
)

func init() { register("fonts", "list the handwriting faces and what they cover", runFonts) }

// fontInfo is one face in `quillpost fonts --json`.
type fontInfo struct {
	Name        string   `json:"name"`
	Title       string   `json:"title"`
	Cursive     bool     `json:"cursive"`
	Glyphs      int      `json:"glyphs"`
	Composed    int      `json:"composed"`
	License     string   `json:"license"`
	LicenseFile string   `json:"license_file"`
	Source      string   `json:"source"`
	UnitsPerEm  float64  `json:"units_per_em"`
	XHeight     float64  `json:"x_height"`
	CapHeight   float64  `json:"cap_height"`
	Covers      []string `json:"covers"`
	Runes       string   `json:"runes"`
}

func runFonts(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("fonts", "[flags]", stdout)
	asJSON := fs.jsonFlag("print a JSON array for scripts instead of a table")
	if err := fs.parse(args, 0); err != nil {
		return err
	}
	var infos []fontInfo
	for _, f := range font.Faces() {
		info := fontInfo{
			Name: f.Name, Title: f.Title, Cursive: f.Cursive, Glyphs: len(f.Runes()),
			Composed: f.ComposedCount(), License: f.License, LicenseFile: f.LicenseFile, Source: f.Source,
			UnitsPerEm: f.UnitsPerEm, XHeight: f.XHeight, CapHeight: f.CapHeight,
			Covers: []string{}, Runes: string(f.Runes()),
		}
		for _, rep := range font.Repertoires {
			if f.Covers(rep.Chars) {
				info.Covers = append(info.Covers, rep.Name)
			}
		}
		infos = append(infos, info)
	}
	if *asJSON {
		return writeJSON(stdout, infos)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTITLE\tSTYLE\tGLYPHS\tCOMPOSED\tLICENCE\tCOVERS")
	for _, in := range infos {
		style := "print"
		if in.Cursive {
			style = "cursive"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", in.Name, in.Title, style, in.Glyphs, in.Composed,
			in.License, strings.Join(in.Covers, ", "))
	}
	return tw.Flush()
}
