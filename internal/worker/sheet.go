package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/quillpost/quillpost/internal/address"
	"github.com/quillpost/quillpost/internal/fsutil"
	"github.com/quillpost/quillpost/internal/sheets"
	"github.com/quillpost/quillpost/internal/store"
)

// SheetConfig makes a worker keep an open address sheet: each written card's recipient label is
// added in the order the cards come off the robot, and a PDF is written to Dir when the sheet's
// pages are full, when an operator asks (CmdFlushSheet), and when the worker stops (end of shift).
type SheetConfig struct {
	Dir     string         // where the PDFs go: <worker>-<time>.pdf
	Layout  string         // label layout name, e.g. "zweckform-3475" (sheets.Layouts)
	Options sheets.Options // sender line, sender country; Sort is ignored (always writing order)
}

// openSheet is a worker's sheet in progress. With a store.LabelStore (the worker has the
// database) the labels' truth is the store: each was recorded with its card, a sheet is named in
// the store before its PDF is written and marked printed after, and recover rebuilds both the
// sheets a crash interrupted and the open sheet. Without one (a worker reaching cards over NATS)
// the open sheet lives in memory.
type openSheet struct {
	cfg    SheetConfig
	worker string
	b      *sheets.Builder
	labels store.LabelStore
	mu     sync.Mutex
	ready  bool // recover ran: before it, the store's open labels are not yet in b
	now    func() time.Time
}

func newOpenSheet(worker string, cfg SheetConfig, labels store.LabelStore) (*openSheet, error) {
	if err := os.MkdirAll(cfg.Dir, fsutil.PrivateDir); err != nil {
		return nil, fmt.Errorf("worker %s: address sheets: %w", worker, err)
	}
	b, err := newBuilder(worker, cfg)
	if err != nil {
		return nil, err
	}
	return &openSheet{cfg: cfg, worker: worker, b: b, labels: labels, now: time.Now, ready: labels == nil}, nil
}

func newBuilder(worker string, cfg SheetConfig) (*sheets.Builder, error) {
	layout, err := sheets.LookupLayout(cfg.Layout)
	if err != nil {
		return nil, fmt.Errorf("worker %s: address sheets: %w", worker, err)
	}
	opts := cfg.Options
	opts.Sort = sheets.SortWritten
	opts.Title = "Address labels of " + worker
	b, err := sheets.NewBuilder(layout, opts)
	if err != nil {
		return nil, fmt.Errorf("worker %s: address sheets: %w", worker, err)
	}
	return b, nil
}

func labelFor(cardID string, toJSON []byte) (sheets.Label, error) {
	var to address.Address
	if err := json.Unmarshal(toJSON, &to); err != nil {
		return sheets.Label{}, fmt.Errorf("label for card %s: recipient address: %w", cardID, err)
	}
	return sheets.Label{OrderID: cardID, CardID: cardID, To: to}, nil
}

// add puts a written card's label on the sheet and writes the PDF when the sheet is full. A label
// that cannot be printed is logged with the card, not lost silently: the card is written, and the
// operator addresses that envelope by hand.
func (s *openSheet) add(ctx context.Context, card *store.Card) (path string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ready {
		// The card's label is in the store already: recovering loads it with the other open
		// labels (and is retried here until the store answers).
		paths, err := s.recoverLocked(ctx)
		return strings.Join(paths, ", "), err
	}
	for _, p := range s.b.Pending() {
		if p.CardID == card.ID {
			return "", nil
		}
	}
	l, err := labelFor(card.ID, card.To)
	if err != nil {
		return "", err
	}
	full, err := s.b.Add(l)
	if err != nil {
		return "", fmt.Errorf("label for card %s: %w", card.ID, err)
	}
	if !full {
		return "", nil
	}
	return s.flushLocked(ctx)
}

// flush writes the labels waiting so far as one PDF, or returns "" when there are none.
func (s *openSheet) flush(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flushLocked(ctx)
}

func (s *openSheet) flushLocked(ctx context.Context) (string, error) {
	pending := s.b.Pending()
	if len(pending) == 0 {
		return "", nil
	}
	name := fmt.Sprintf("%s-%s-%s", s.worker, s.now().UTC().Format("20060102-150405"), pending[0].CardID)
	if s.labels != nil {
		ids := make([]string, len(pending))
		for i, l := range pending {
			ids[i] = l.CardID
		}
		// Named first: if the PDF is not written, the next start writes this same sheet.
		if err := s.labels.AssignSheet(ctx, s.worker, name, ids); err != nil {
			return "", fmt.Errorf("address sheet of %s: %w", s.worker, err)
		}
	}
	pdf, _, err := s.b.Flush()
	if errors.Is(err, sheets.ErrEmpty) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("address sheet of %s: %w", s.worker, err)
	}
	return s.write(ctx, name, pdf)
}

// write puts a sheet's PDF in place and records it printed.
func (s *openSheet) write(ctx context.Context, name string, pdf []byte) (string, error) {
	path := filepath.Join(s.cfg.Dir, name+".pdf")
	// Owner only, as the directory: a sheet is a list of people's addresses.
	if err := fsutil.WriteFileAtomic(path, pdf); err != nil {
		return "", fmt.Errorf("address sheet of %s: %w", s.worker, err)
	}
	if s.labels != nil {
		if err := s.labels.MarkSheetPrinted(ctx, name); err != nil {
			// The PDF is there; the next start writes the same sheet over it.
			return path, fmt.Errorf("address sheet %s written but not recorded: %w", path, err)
		}
	}
	return path, nil
}

// recover writes again the sheets that were named but not recorded printed (a crash between the
// two), then puts the robot's open labels on its open sheet, in writing order.
func (s *openSheet) recover(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.labels == nil || s.ready {
		return nil, nil
	}
	return s.recoverLocked(ctx)
}

func (s *openSheet) recoverLocked(ctx context.Context) ([]string, error) {
	names, err := s.labels.UnprintedSheets(ctx, s.worker)
	if err != nil {
		return nil, fmt.Errorf("address sheets of %s: %w", s.worker, err)
	}
	var paths []string
	for _, name := range names {
		ls, err := s.labels.SheetLabels(ctx, name)
		if err != nil {
			return paths, fmt.Errorf("address sheets of %s: %w", s.worker, err)
		}
		b, err := newBuilder(s.worker, s.cfg)
		if err != nil {
			return paths, err
		}
		for _, rec := range ls {
			if err := addRecord(b, rec); err != nil {
				return paths, err
			}
		}
		pdf, _, err := b.Flush()
		if err != nil {
			return paths, fmt.Errorf("address sheet %s: %w", name, err)
		}
		path, err := s.write(ctx, name, pdf)
		if err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	open, err := s.labels.OpenLabels(ctx, s.worker, 100000)
	if err != nil {
		return paths, fmt.Errorf("address sheets of %s: %w", s.worker, err)
	}
	for _, rec := range open {
		if err := addRecord(s.b, rec); err != nil {
			return paths, err
		}
	}
	s.ready = true
	if s.b.Full() {
		path, err := s.flushLocked(ctx)
		if path != "" {
			paths = append(paths, path)
		}
		return paths, err
	}
	return paths, nil
}

func addRecord(b *sheets.Builder, rec store.Label) error {
	l, err := labelFor(rec.CardID, rec.To)
	if err != nil {
		return err
	}
	if _, err := b.Add(l); err != nil {
		return fmt.Errorf("label for card %s: %w", rec.CardID, err)
	}
	return nil
}

// sheetAdd records a written card on the worker's open sheet, if it keeps one.
func (w *Worker) sheetAdd(ctx context.Context, card *store.Card) {
	if w.sheet == nil {
		return
	}
	path, err := w.sheet.add(ctx, card)
	if err != nil {
		w.log.Error("address label not added; address this envelope by hand", "card", card.ID, "err", err)
		return
	}
	if path != "" {
		w.log.Info("address sheet ready to print", "path", path)
	}
}

// FlushSheet writes the open address sheet now (an operator's request, or the end of a shift).
func (w *Worker) FlushSheet() (string, error) {
	if w.sheet == nil {
		return "", fmt.Errorf("robot %s keeps no address sheet", w.cfg.Name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	path, err := w.sheet.flush(ctx)
	if err == nil && path != "" {
		w.log.Info("address sheet ready to print", "path", path)
	}
	return path, err
}

// recoverSheets rebuilds the address sheets from the store's labels at start.
func (w *Worker) recoverSheets(ctx context.Context) error {
	if w.sheet == nil {
		return nil
	}
	paths, err := w.sheet.recover(ctx)
	for _, p := range paths {
		w.log.Info("address sheet ready to print (rebuilt after a restart)", "path", p)
	}
	return err
}
