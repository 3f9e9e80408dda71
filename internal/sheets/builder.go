package sheets

import (
	"bytes"
	"fmt"
	"sync"
)

// Builder is a worker's open sheet: cards are added as they are written, and Flush turns the
// labels added so far into a PDF, in the order they were added. A worker flushes when Add reports
// the sheet full, when an operator asks, and at the end of a shift. It is safe for concurrent use.
type Builder struct {
	layout Layout
	opts   Options

	mu      sync.Mutex
	pending []Label
	next    int              // the sequence number the next label without one gets
	keep    func(Label) bool // nil keeps every label
}

// SetKeep sets the test every waiting label must pass at Flush: a worker passes one that reads
// the card again, so that a person whose data was erased after the card was written is not
// printed on the sheet flushed later. A label that fails it is dropped for good.
func (b *Builder) SetKeep(keep func(Label) bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.keep = keep
}

// NewBuilder starts an empty sheet. Labels keep the order they are added in: a sort option is
// refused, because the operator sticks the labels on in the order the cards came off the robot.
func NewBuilder(layout Layout, opts Options) (*Builder, error) {
	if opts.Sort != SortWritten {
		return nil, fmt.Errorf("an open sheet keeps the order cards are written in; sort %s is only for whole lists", opts.Sort)
	}
	if err := layout.check(); err != nil {
		return nil, fmt.Errorf("layout %s: %w", layout.Name, err)
	}
	if err := checkOptions(opts); err != nil {
		return nil, err
	}
	return &Builder{layout: layout, opts: opts, next: 1}, nil
}

// Add appends a written card's label. A label without a sequence number gets the next one (they
// run on across flushes, so a shift's labels are numbered 1, 2, 3, ... however many sheets it
// fills). It refuses a label that could not be printed or does not fit, so that Flush cannot
// fail on it later; full reports that the labels added since the last flush fill whole pages.
func (b *Builder) Add(l Label) (full bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l.Seq == 0 {
		l.Seq = b.next
	}
	for _, p := range b.pending {
		if p.Seq == l.Seq {
			return false, &LabelError{Index: len(b.pending), Seq: l.Seq, OrderID: l.OrderID,
				Err: fmt.Errorf("sequence number %d is already on this sheet (order %s)", l.Seq, p.OrderID)}
		}
	}
	if _, err := Plan(b.layout, []Label{l}, b.opts); err != nil {
		if le, ok := err.(*LabelError); ok {
			le.Index = len(b.pending)
		}
		return false, err
	}
	b.pending = append(b.pending, l)
	b.next = max(b.next, l.Seq+1)
	return len(b.pending)%b.layout.PerPage() == 0, nil
}

// Len is the number of labels waiting for the next flush.
func (b *Builder) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending)
}

// Capacity is the number of labels on one page of the layout.
func (b *Builder) Capacity() int { return b.layout.PerPage() }

// Full reports whether the waiting labels fill at least one page.
func (b *Builder) Full() bool { return b.Len() >= b.Capacity() }

// Pending returns a copy of the labels waiting for the next flush, in order.
func (b *Builder) Pending() []Label {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Label(nil), b.pending...)
}

// Flush renders the waiting labels as one PDF, in the order they were added, and empties the
// sheet. With nothing waiting it returns ErrEmpty. If rendering fails the labels stay, so nothing
// is lost.
func (b *Builder) Flush() ([]byte, *Result, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.keep != nil {
		kept := b.pending[:0]
		for _, l := range b.pending {
			if b.keep(l) {
				kept = append(kept, l)
			}
		}
		clear(b.pending[len(kept):])
		b.pending = kept
	}
	if len(b.pending) == 0 {
		return nil, nil, ErrEmpty
	}
	var buf bytes.Buffer
	res, err := Render(&buf, b.layout, b.pending, b.opts)
	if err != nil {
		return nil, nil, err
	}
	b.pending = nil
	return buf.Bytes(), res, nil
}
