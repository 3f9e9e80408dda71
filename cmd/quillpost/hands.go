package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/quillpost/quillpost/internal/hand"
)

func init() {
	register("hands", "list the handwriting styles (--json for all their parameters)", runHands)
}

func runHands(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("hands", "[flags]", stdout)
	asJSON := fs.jsonFlag("print every hand with all its parameters as a JSON array")
	if err := fs.parse(args, 0); err != nil {
		return err
	}
	hs := hand.Hands()
	if *asJSON {
		return writeJSON(stdout, hs)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tX-HEIGHT\tSLANT\tDESCRIPTION")
	for _, h := range hs {
		fmt.Fprintf(tw, "%s\t%.1f–%.1f mm\t%+.0f°\t%s\n", h.Name, h.MinXHeight, h.MaxXHeight, h.Slant, h.Title)
	}
	return tw.Flush()
}
