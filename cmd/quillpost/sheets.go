package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/quillpost/quillpost/internal/address"
	"github.com/quillpost/quillpost/internal/sheets"
)

func init() {
	register("sheets", "print address labels or envelopes (PDF) for a CSV of addresses", runSheets)
}

func runSheets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sheets", "[flags] -o labels.pdf addresses.csv", stdout)
	fs.notes = fmt.Sprintf("The CSV has the header %s (any order; company, line2 and region may be left out;\n"+
		"order_id and card_id columns, when present, go into the label's numbers and barcode).\n"+
		"UTF-8 with or without BOM, separated by , or ;. --layouts lists the layouts.", address.CSVHeader)
	layoutName := fs.String("layout", "zweckform-3475", "label sheet or envelope layout (see --layouts)")
	listLayouts := fs.Bool("layouts", false, "list the layouts and exit")
	out := fs.String("o", "", "PDF file to write (- for standard output)")
	sortBy := fs.String("sort", "written", "label order: written (the file's order) or postal (country, postal code: bulk-mail discounts)")
	sender := fs.String("sender", "", "return address, printed small where the layout has room")
	from := fs.String("from", "DE", "ISO code of the country the mail is posted in, as serve's --from: domestic labels leave the country line out, foreign countries are named in its language (\"\": every address gets an English country line)")
	title := fs.String("title", "", "title of the PDF and its manifest")
	noManifest := fs.Bool("no-manifest", false, "leave out the manifest pages")
	outlines := fs.Bool("outlines", false, "draw label outlines, for a test print on plain paper")
	skipBad := fs.Bool("skip-bad", false, "print the good rows even when some rows are refused")
	if err := fs.parse(args, 1); err != nil {
		return err
	}

	if *listLayouts {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tPAPER\tPER PAGE\tDESCRIPTION")
		for _, l := range sheets.Layouts() {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", l.Name, l.Paper, l.PerPage(), l.Title)
		}
		return tw.Flush()
	}
	if fs.NArg() != 1 || *out == "" {
		return fs.usageErr("give one CSV file (or - for standard input) and -o for the PDF")
	}
	layout, err := sheets.LookupLayout(*layoutName)
	if err != nil {
		return fs.badValue("layout", err)
	}
	order, err := sheets.ParseSort(*sortBy)
	if err != nil {
		return fs.badValue("sort", err)
	}

	in := io.Reader(os.Stdin)
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("reading addresses: %w", err)
		}
		defer f.Close()
		in = f
	}
	recs, rowErrs := address.ReadCSV(in)
	for _, e := range rowErrs {
		fmt.Fprintln(stderr, e.Error())
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch {
	case len(rowErrs) > 0 && (!*skipBad || len(recs) == 0):
		return fmt.Errorf("%s refused, nothing written (--skip-bad prints the %s)", plural(len(rowErrs), "row"), plural(len(recs), "good one"))
	case len(recs) == 0:
		return errors.New("the file has no addresses")
	}

	labels := make([]sheets.Label, len(recs))
	for i, r := range recs {
		labels[i] = sheets.Label{Seq: i + 1, OrderID: r.Extra["order_id"], CardID: r.Extra["card_id"], To: r.Address}
		if labels[i].OrderID == "" && labels[i].CardID == "" {
			labels[i].OrderID = fmt.Sprintf("row-%d", r.Row)
		}
	}
	opts := sheets.Options{Sender: *sender, SenderCountry: *from, Sort: order, Title: *title,
		NoManifest: *noManifest, Outlines: *outlines}
	bar := newProgress(stderr, "labels")
	bar.quiet = quietProgress
	opts.Progress = bar.count
	var buf bytes.Buffer
	res, err := sheets.Render(&buf, layout, labels, opts)
	bar.done()
	if err != nil {
		var le *sheets.LabelError
		if errors.As(err, &le) {
			return fmt.Errorf("row %d: %w", recs[le.Index].Row, err)
		}
		return err
	}
	if *out == "-" {
		_, err = stdout.Write(buf.Bytes())
		return err
	}
	// Owner only: a label sheet is a list of people's addresses.
	if err := os.WriteFile(*out, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("writing the labels: %w", err)
	}
	unit := "sheet"
	if layout.Kind == sheets.KindEnvelope {
		unit = "envelope"
	}
	fmt.Fprintf(stdout, "wrote %s: %s on %s (%s, %s order), %s, %d bytes\n", *out, plural(len(labels), "label"),
		plural(res.LabelPages, unit), layout.Name, order, plural(res.Pages, "page"), res.Bytes)
	return nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
