// Package labelsheet makes the PDF of a label sheet recorded in the store. It is the one builder
// of address sheets: a robot's worker writes its sheets with it and the operator dashboard prints
// and reprints them with it, so a sheet is the same document wherever it is printed, its labels
// in the order the cards came off the robot. A label belongs to exactly one sheet (the store
// says which), so no label is printed on two sheets; reprinting a sheet is a deliberate act.
package labelsheet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/quillpost/quillpost/internal/address"
	"github.com/quillpost/quillpost/internal/sheets"
	"github.com/quillpost/quillpost/internal/store"
)

// Printer draws sheets on one label layout with one set of options (sender line, the country
// the mail is posted in). Every process printing an installation's sheets is configured alike.
type Printer struct {
	layout sheets.Layout
	opts   sheets.Options
}

// New returns a printer for the named layout (sheets.Layouts). opts.Sort, Title and Created are
// set per sheet and ignored here.
func New(layout string, opts sheets.Options) (*Printer, error) {
	l, err := sheets.LookupLayout(layout)
	if err != nil {
		return nil, fmt.Errorf("address sheets: %w", err)
	}
	opts.Sort, opts.Title, opts.Created = sheets.SortWritten, "", time.Time{}
	return &Printer{layout: l, opts: opts}, nil
}

// Layout is the printer's label layout.
func (p *Printer) Layout() sheets.Layout { return p.layout }

// Options are the printer's options (what the worker's open sheet checks labels against).
func (p *Printer) Options() sheets.Options { return p.opts }

// Doc is a rendered sheet.
type Doc struct {
	Name    string
	PDF     []byte
	Result  *sheets.Result
	Skipped []*sheets.LabelError // labels left out: an erased card, an address the font cannot print
}

// Name is the name a new sheet gets: the robot, the time it was closed and its first card, so
// that names sort by time and never repeat.
func Name(robot string, at time.Time, firstCard string) string {
	return fmt.Sprintf("%s-%s-%s", robot, at.UTC().Format("20060102-150405"), firstCard)
}

// Render draws the labels of the named sheet, in the order given (writing order), numbered from
// 1 by their place on the sheet. The document depends on the name and the labels alone: the
// same sheet gives the same bytes. A label that cannot be printed costs only itself (Skipped);
// with none left it returns sheets.ErrEmpty.
func (p *Printer) Render(name string, labels []store.Label) (*Doc, error) {
	var ls []sheets.Label
	var skipped []*sheets.LabelError
	var last time.Time
	for i, rec := range labels {
		var to address.Address
		if err := json.Unmarshal(rec.To, &to); err != nil {
			skipped = append(skipped, &sheets.LabelError{Index: i, Seq: i + 1, OrderID: rec.CardID,
				Err: fmt.Errorf("the recipient address cannot be read: %w", err)})
			continue
		}
		ls = append(ls, sheets.Label{Seq: i + 1, OrderID: rec.CardID, CardID: rec.CardID, To: to})
		if rec.WrittenAt.After(last) {
			last = rec.WrittenAt
		}
	}
	opts := p.opts
	opts.Title = sheets.SafeTitle("Address labels " + name)
	opts.Created = last
	ok, rejected := sheets.Printable(ls, opts)
	skipped = append(skipped, rejected...)
	if len(ok) == 0 {
		return &Doc{Name: name, Skipped: skipped}, sheets.ErrEmpty
	}
	var buf bytes.Buffer
	res, err := sheets.Render(&buf, p.layout, ok, opts)
	if err != nil {
		return nil, fmt.Errorf("address sheet %s: %w", name, err)
	}
	return &Doc{Name: name, PDF: buf.Bytes(), Result: res, Skipped: skipped}, nil
}

// Sheet reads the named sheet's labels from the store and draws them (see Render).
func (p *Printer) Sheet(ctx context.Context, ls store.LabelStore, name string) (*Doc, error) {
	labels, err := ls.SheetLabels(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("address sheet %s: %w", name, err)
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("address sheet %s: %w", name, store.ErrNotFound)
	}
	return p.Render(name, labels)
}

// ErrNoOpenLabels says a robot has no labels waiting for a sheet.
var ErrNoOpenLabels = errors.New("no labels wait for a sheet")

// CloseOpen puts every open label of the robot on a new sheet and returns its name; the caller
// then prints it (Sheet) and records it printed. A robot that is writing meanwhile finds its
// open labels gone and starts its next sheet after them.
func CloseOpen(ctx context.Context, ls store.LabelStore, robot string, now time.Time) (string, error) {
	for range 3 { // a label the robot put on its own sheet meanwhile: read again
		open, err := ls.OpenLabels(ctx, robot, 100000)
		if err != nil {
			return "", fmt.Errorf("open labels of %s: %w", robot, err)
		}
		if len(open) == 0 {
			return "", fmt.Errorf("robot %s: %w", robot, ErrNoOpenLabels)
		}
		ids := make([]string, len(open))
		for i, l := range open {
			ids[i] = l.CardID
		}
		name := Name(robot, now, ids[0])
		err = ls.AssignSheet(ctx, robot, name, ids)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return "", err
		}
		return name, nil
	}
	return "", fmt.Errorf("open labels of %s kept changing: %w", robot, store.ErrConflict)
}
