// Package sheets prints the addresses of written cards as PDF label sheets (Avery Zweckform and
// Avery layouts, kept as data in layouts.json) or straight onto C6 and DL envelopes, in the order
// the cards were written, so that an operator can stick label after label on envelope after
// envelope. Each label carries the recipient's address, a sequence number, the order id and a QR
// code identifying the card; a manifest page at the end lists the labels in order.
//
// A plotter worker keeps an open sheet with a Builder and flushes it to PDF bytes when it is full,
// on demand or at the end of a shift; an HTTP handler or the CLI renders a list with Render.
// Output is deterministic: the same labels and options give the same bytes.
package sheets

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quillpost/quillpost/internal/address"
)

// Label is one written card's address label.
type Label struct {
	Seq     int             `json:"seq"`               // position in writing order, from 1; 0 means "next"
	OrderID string          `json:"order_id"`          // printed, and the barcode when CardID is empty
	CardID  string          `json:"card_id,omitempty"` // the barcode: identifies the physical card
	To      address.Address `json:"to"`
}

// Payload is what the label's QR code holds: the card id, or the order id and sequence number.
func (l Label) Payload() string {
	if l.CardID != "" {
		return l.CardID
	}
	return fmt.Sprintf("%s/%d", l.OrderID, l.Seq)
}

// Sort is the order labels are printed in.
type Sort int

const (
	SortWritten Sort = iota // the order the cards were written in (the order given)
	SortPostal              // by country, postal code, city and name, for bulk-mail discounts
)

// ParseSort reads "written" (or "" or "robot") and "postal".
func ParseSort(s string) (Sort, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "written", "robot":
		return SortWritten, nil
	case "postal":
		return SortPostal, nil
	}
	return 0, fmt.Errorf("sort %q is neither written nor postal", s)
}

func (s Sort) String() string {
	if s == SortPostal {
		return "postal"
	}
	return "written"
}

// Options control a document.
type Options struct {
	Sender        string    // return address, printed small where the layout has room; "" for none
	SenderCountry string    // ISO code the mail is posted in: decides the country lines
	Sort          Sort      // SortWritten unless bulk mail wants SortPostal
	Title         string    // document title and manifest heading
	NoManifest    bool      // leave out the manifest pages (they waste label stock if printed on it)
	Outlines      bool      // draw each label's outline, for test prints on plain paper
	Created       time.Time // creation date stored in the PDF; zero stores 1970-01-01 for reproducible bytes
	// Progress, when set, hears how far Plan and Render have got with thousands of labels: step is
	// "laying out" or "drawing", done of total labels. It is called on the caller's goroutine.
	Progress func(step string, done, total int)
}

// progress reports to opts.Progress, if set.
func (o Options) progress(step string, done, total int) {
	if o.Progress != nil {
		o.Progress(step, done, total)
	}
}

// Limits on what a label carries, so that the numbers and the barcode always fit.
const (
	MaxIDLength     = 32 // order and card ids, printable ASCII
	MaxSenderLength = 80
)

// LabelError says why a label cannot be printed.
type LabelError struct {
	Index    int                  // position in the list given, from 0
	Seq      int                  // its sequence number
	OrderID  string               // its order
	Problems []address.FieldError // what is wrong with the address, if that is the reason
	Err      error                // any other reason
}

func (e *LabelError) Error() string {
	var why []string
	for _, p := range e.Problems {
		why = append(why, p.Field+": "+p.Reason)
	}
	if e.Err != nil {
		why = append(why, e.Err.Error())
	}
	return fmt.Sprintf("label %d (order %s): %s", e.Seq, e.OrderID, strings.Join(why, "; "))
}

func (e *LabelError) Unwrap() error { return e.Err }

// ErrEmpty is returned when there are no labels to print.
var ErrEmpty = errors.New("there are no labels to print")

// Placement is where and how one label was laid out.
type Placement struct {
	Label   Label      `json:"label"`           // as printed, Seq filled in
	Page    int        `json:"page"`            // page of the PDF, from 1
	Row     int        `json:"row"`             // on the sheet, from 1
	Col     int        `json:"col"`             // on the sheet, from 1
	Cell    Box        `json:"cell"`            // the label (for envelopes, the page)
	Lines   []TextLine `json:"lines"`           // the address
	Sender  *TextLine  `json:"sender,omitzero"` // the return address, where there was room
	Mark    []TextLine `json:"mark"`            // sequence number and ids
	QR      Box        `json:"qr"`              // the barcode's square, quiet zone excluded
	Payload string     `json:"payload"`         // what the barcode holds
}

// Result describes a rendered document.
type Result struct {
	Placements []Placement // in printing order
	LabelPages int         // pages of labels (or envelopes)
	Pages      int         // all pages, manifest included
	Bytes      int         // size of the PDF
}

// CheckLabel reports whether a label can be printed: its ids are short printable ASCII, its
// address is valid and the label font has every character of it. opts gives the sender country
// that decides the printed lines. The error is a *LabelError.
func CheckLabel(l Label, opts Options) error {
	lerr := func(err error, problems []address.FieldError) error {
		return &LabelError{Seq: l.Seq, OrderID: l.OrderID, Problems: problems, Err: err}
	}
	if l.OrderID == "" && l.CardID == "" {
		return lerr(errors.New("it has neither an order id nor a card id, so nothing identifies the card"), nil)
	}
	for _, id := range []struct{ name, v string }{{"order id", l.OrderID}, {"card id", l.CardID}} {
		if len(id.v) > MaxIDLength {
			return lerr(fmt.Errorf("the %s has %d characters; at most %d fit", id.name, len(id.v), MaxIDLength), nil)
		}
		for _, c := range id.v {
			if c < '!' || c > '~' {
				return lerr(fmt.Errorf("the %s %q may only use printable ASCII without spaces", id.name, id.v), nil)
			}
		}
	}
	if l.Seq < 0 {
		return lerr(fmt.Errorf("sequence number %d is negative", l.Seq), nil)
	}
	if problems := address.Validate(l.To); problems != nil {
		return lerr(nil, problems)
	}
	lines := address.Format(l.To, opts.SenderCountry)
	if bad := unprintable(strings.Join(lines, " ")); len(bad) > 0 {
		return lerr(fmt.Errorf("the label font cannot print %s", describeRunes(bad)), nil)
	}
	return nil
}

func checkOptions(opts Options) error {
	if n := utf8.RuneCountInString(opts.Sender); n > MaxSenderLength {
		return fmt.Errorf("the sender line has %d characters; at most %d fit", n, MaxSenderLength)
	}
	for _, c := range opts.Sender {
		if c < ' ' || c == 0x7f {
			return fmt.Errorf("the sender line contains the control character %U", c)
		}
	}
	if bad := unprintable(opts.Sender + opts.Title); len(bad) > 0 {
		return fmt.Errorf("the label font cannot print %s in the sender line or title", describeRunes(bad))
	}
	return nil
}

func describeRunes(rs []rune) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%q (%U)", r, r))
	}
	return strings.Join(parts, ", ")
}

// prepare checks the labels, numbers them and puts them in printing order; index[i] is where
// the i-th label to print was in the list given.
func prepare(labels []Label, opts Options) (out []Label, index []int, err error) {
	if len(labels) == 0 {
		return nil, nil, ErrEmpty
	}
	if err := checkOptions(opts); err != nil {
		return nil, nil, err
	}
	out = make([]Label, len(labels))
	index = make([]int, len(labels))
	seen := map[int]int{}
	for i, l := range labels {
		if l.Seq == 0 {
			l.Seq = i + 1
		}
		if err := CheckLabel(l, opts); err != nil {
			var le *LabelError
			if errors.As(err, &le) {
				le.Index = i
			}
			return nil, nil, err
		}
		if j, dup := seen[l.Seq]; dup {
			return nil, nil, &LabelError{Index: i, Seq: l.Seq, OrderID: l.OrderID,
				Err: fmt.Errorf("sequence number %d is used twice (entries %d and %d); operators match cards by it", l.Seq, j+1, i+1)}
		}
		seen[l.Seq] = i
		l.To = address.Normalize(l.To)
		out[i], index[i] = l, i
	}
	if opts.Sort == SortPostal {
		order := make([]int, len(out))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(i, j int) int {
			a, b := out[i].To, out[j].To
			return cmp.Or(
				strings.Compare(a.Country, b.Country),
				strings.Compare(a.PostalCode, b.PostalCode),
				strings.Compare(strings.ToLower(a.City), strings.ToLower(b.City)),
				strings.Compare(a.Name, b.Name),
			)
		})
		sorted := make([]Label, len(out))
		for k, i := range order {
			sorted[k] = out[i]
		}
		out, index = sorted, order
	}
	return out, index, nil
}

// Plan lays the labels out without drawing them: the page, cell, text lines and barcode of each,
// in printing order. Render draws exactly this plan. Errors are *LabelError whose Index is the
// label's position in the list given.
func Plan(layout Layout, labels []Label, opts Options) ([]Placement, error) {
	ls, index, err := prepare(labels, opts)
	if err != nil {
		return nil, err
	}
	m := sharedMeasurer()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Placement, len(ls))
	for i, l := range ls {
		p, err := placeLabel(m, layout, l, i, opts)
		if err != nil {
			return nil, &LabelError{Index: index[i], Seq: l.Seq, OrderID: l.OrderID, Err: err}
		}
		out[i] = p
		opts.progress("laying out", i+1, len(ls))
	}
	return out, nil
}

// CheckFit reports whether the label can be printed on the layout: CheckLabel's checks, and that
// its address fits the label without going below the layout's smallest type. Intake should ask
// this for the layouts in use before a card is written, since a label is printed only afterwards.
func CheckFit(layout Layout, l Label, opts Options) error {
	_, err := Plan(layout, []Label{l}, opts)
	return err
}

// Render writes the PDF of the labels to w: the label pages, then (unless opts.NoManifest) the
// manifest. Nothing is written when it fails, so an HTTP handler can still answer with an error.
func Render(w io.Writer, layout Layout, labels []Label, opts Options) (*Result, error) {
	placements, err := Plan(layout, labels, opts)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	res, err := draw(&buf, layout, placements, opts)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("writing the label PDF: %w", err)
	}
	return res, nil
}
