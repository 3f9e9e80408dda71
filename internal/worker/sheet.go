package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/quillpost/quillpost/internal/address"
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

// openSheet is a worker's sheet in progress.
type openSheet struct {
	cfg    SheetConfig
	worker string
	b      *sheets.Builder
	mu     sync.Mutex
	seq    int
	now    func() time.Time
}

func newOpenSheet(worker string, cfg SheetConfig) (*openSheet, error) {
	layout, err := sheets.LookupLayout(cfg.Layout)
	if err != nil {
		return nil, fmt.Errorf("worker %s: address sheets: %w", worker, err)
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("worker %s: address sheets: %w", worker, err)
	}
	opts := cfg.Options
	opts.Sort = sheets.SortWritten
	opts.Title = "Address labels of " + worker
	b, err := sheets.NewBuilder(layout, opts)
	if err != nil {
		return nil, fmt.Errorf("worker %s: address sheets: %w", worker, err)
	}
	return &openSheet{cfg: cfg, worker: worker, b: b, now: time.Now}, nil
}

// add puts a written card's label on the sheet and writes the PDF when the sheet is full. A label
// that cannot be printed is logged with the card, not lost silently: the card is written, and the
// operator addresses that envelope by hand.
func (s *openSheet) add(card *store.Card) (path string, err error) {
	var to address.Address
	if err := json.Unmarshal(card.To, &to); err != nil {
		return "", fmt.Errorf("label for card %s: recipient address: %w", card.ID, err)
	}
	full, err := s.b.Add(sheets.Label{OrderID: card.ID, CardID: card.ID, To: to})
	if err != nil {
		return "", fmt.Errorf("label for card %s: %w", card.ID, err)
	}
	if !full {
		return "", nil
	}
	return s.flush()
}

// flush writes the labels waiting so far as one PDF, or returns "" when there are none.
func (s *openSheet) flush() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pdf, _, err := s.b.Flush()
	if errors.Is(err, sheets.ErrEmpty) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("address sheet of %s: %w", s.worker, err)
	}
	s.seq++
	name := fmt.Sprintf("%s-%s-%02d.pdf", s.worker, s.now().UTC().Format("20060102-150405"), s.seq)
	path := filepath.Join(s.cfg.Dir, name)
	if err := os.WriteFile(path+".tmp", pdf, 0o640); err != nil {
		return "", fmt.Errorf("address sheet of %s: %w", s.worker, err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return "", fmt.Errorf("address sheet of %s: %w", s.worker, err)
	}
	return path, nil
}

// sheetAdd records a written card on the worker's open sheet, if it keeps one.
func (w *Worker) sheetAdd(ctx context.Context, card *store.Card) {
	if w.sheet == nil {
		return
	}
	path, err := w.sheet.add(card)
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
	path, err := w.sheet.flush()
	if err == nil && path != "" {
		w.log.Info("address sheet ready to print", "path", path)
	}
	return path, err
}
