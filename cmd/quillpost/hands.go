package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/quillpost/quillpost/internal/hand"
)

func init() {
	register("hands", "list the handwriting styles (--json for all their parameters)", runHands)
}

func runHands(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hands", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print every hand with all its parameters as a JSON array")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	hs := hand.Hands()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(hs)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tX-HEIGHT\tSLANT\tDESCRIPTION")
	for _, h := range hs {
		fmt.Fprintf(tw, "%s\t%.1f–%.1f mm\t%+.0f°\t%s\n", h.Name, h.MinXHeight, h.MaxXHeight, h.Slant, h.Title)
	}
	return tw.Flush()
}
