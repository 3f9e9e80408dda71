package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/quillpost/quillpost/internal/address"
	"github.com/quillpost/quillpost/internal/fsutil"
	"github.com/quillpost/quillpost/internal/labelsheet"
	"github.com/quillpost/quillpost/internal/sheets"
	"github.com/quillpost/quillpost/internal/store"
)

// SheetConfig makes a worker keep an open address sheet: each written card's recipient label is
// added in the order the cards come off the robot, and a PDF is written to Dir when the sheet's
// pages are full, when an operator asks (CmdFlushSheet), and when the worker stops (end of shift).
// The PDF is drawn by internal/labelsheet, as the operator dashboard draws it: give both the same
// Layout and Options (sender line, sender country) and a sheet is the same document on either.
type SheetConfig struct {
	Dir     string         // where the PDFs go: <sheet name>.pdf
	Layout  string         // label layout name, e.g. "zweckform-3475" (sheets.Layouts)
	Options sheets.Options // sender line, sender country; Sort, Title and Created are per sheet
}

// openSheet is a worker's sheet in progress. With a store.LabelStore (the worker has the
// database, or reaches it through serve) the labels' truth is the store: each was recorded with
// its card, a sheet is named in the store before its PDF is written and marked printed after, the
// PDF is drawn from the store's record of the sheet, and recover rebuilds both the sheets a crash
// interrupted and the open sheet. Without one the open sheet lives in memory.
type openSheet struct {
	cfg     SheetConfig
	worker  string
	printer *labelsheet.Printer
	b       *sheets.Builder // checks each label fits and says when the pages are full
	recs    []store.Label   // the labels waiting, in writing order (as in b)
	labels  store.LabelStore
	log     *slog.Logger
	mu      sync.Mutex
	ready   bool // recover ran: before it, the store's open labels are not yet in b
	now     func() time.Time
}

func newOpenSheet(worker string, cfg SheetConfig, labels store.LabelStore) (*openSheet, error) {
	if err := os.MkdirAll(cfg.Dir, fsutil.PrivateDir); err != nil {
		return nil, fmt.Errorf("worker %s: address sheets: %w", worker, err)
	}
	p, err := labelsheet.New(cfg.Layout, cfg.Options)
	if err != nil {
		return nil, fmt.Errorf("worker %s: %w", worker, err)
	}
	s := &openSheet{cfg: cfg, worker: worker, printer: p, labels: labels, now: time.Now, ready: labels == nil, log: slog.Default()}
	if err := s.resetLocked(); err != nil {
		return nil, err
	}
	return s, nil
}

// resetLocked empties the open sheet.
func (s *openSheet) resetLocked() error {
	b, err := sheets.NewBuilder(s.printer.Layout(), s.printer.Options())
	if err != nil {
		return fmt.Errorf("worker %s: address sheets: %w", s.worker, err)
	}
	s.b, s.recs = b, nil
	return nil
}

// addLocked puts a label on the open sheet if it can be printed there.
func (s *openSheet) addLocked(rec store.Label) (full bool, err error) {
	var to address.Address
	if err := json.Unmarshal(rec.To, &to); err != nil {
		return false, fmt.Errorf("label for card %s: recipient address: %w", rec.CardID, err)
	}
	full, err = s.b.Add(sheets.Label{OrderID: rec.CardID, CardID: rec.CardID, To: to})
	if err != nil {
		return false, fmt.Errorf("label for card %s: %w", rec.CardID, err)
	}
	s.recs = append(s.recs, rec)
	return full, nil
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
	for _, p := range s.recs {
		if p.CardID == card.ID {
			return "", nil
		}
	}
	full, err := s.addLocked(store.Label{CardID: card.ID, Robot: s.worker, Attempt: card.Attempts, WrittenAt: card.UpdatedAt, To: card.To})
	if err != nil || !full {
		return "", err
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
	if len(s.recs) == 0 {
		return "", nil
	}
	if s.labels == nil {
		name := labelsheet.Name(s.worker, s.now(), s.recs[0].CardID)
		doc, err := s.printer.Render(name, s.recs)
		if err != nil && !errors.Is(err, sheets.ErrEmpty) {
			return "", fmt.Errorf("address sheet of %s: %w", s.worker, err)
		}
		if err := s.resetLocked(); err != nil {
			return "", err
		}
		return s.write(ctx, doc)
	}
	for range 3 {
		ids := make([]string, len(s.recs))
		for i, l := range s.recs {
			ids[i] = l.CardID
		}
		name := labelsheet.Name(s.worker, s.now(), ids[0])
		// Named first: if the PDF is not written, the next start writes this same sheet.
		err := s.labels.AssignSheet(ctx, s.worker, name, ids)
		if errors.Is(err, store.ErrConflict) {
			// An operator closed some of these labels on a sheet from the dashboard: they are
			// printed there. Start again from the labels the store still has open.
			if err := s.reloadOpenLocked(ctx); err != nil {
				return "", err
			}
			if len(s.recs) == 0 {
				return "", nil
			}
			continue
		}
		if err != nil {
			return "", fmt.Errorf("address sheet of %s: %w", s.worker, err)
		}
		if err := s.resetLocked(); err != nil {
			return "", err
		}
		return s.print(ctx, name)
	}
	return "", fmt.Errorf("address sheet of %s: the open labels kept changing: %w", s.worker, store.ErrConflict)
}

// print draws a named sheet from the store and writes it.
func (s *openSheet) print(ctx context.Context, name string) (string, error) {
	doc, err := s.printer.Sheet(ctx, s.labels, name)
	if err != nil && !errors.Is(err, sheets.ErrEmpty) {
		return "", err
	}
	return s.write(ctx, doc)
}

// write puts a sheet's PDF in place and records it printed. A sheet whose every label was left
// out (erased meanwhile) has no PDF and is recorded printed: there is nothing left to print.
func (s *openSheet) write(ctx context.Context, doc *labelsheet.Doc) (string, error) {
	for _, le := range doc.Skipped {
		s.log.Warn("address label left out; address this envelope by hand", "worker", s.worker, "sheet", doc.Name, "card", le.OrderID, "reason", le.Error())
	}
	var path string
	if len(doc.PDF) > 0 {
		path = filepath.Join(s.cfg.Dir, doc.Name+".pdf")
		// Owner only, as the directory: a sheet is a list of people's addresses.
		if err := fsutil.WriteFileAtomic(path, doc.PDF); err != nil {
			return "", fmt.Errorf("address sheet of %s: %w", s.worker, err)
		}
	}
	if s.labels != nil {
		if err := s.labels.MarkSheetPrinted(ctx, doc.Name); err != nil {
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
		path, err := s.print(ctx, name)
		if err != nil {
			return paths, err
		}
		if path != "" {
			paths = append(paths, path)
		}
	}
	if err := s.reloadOpenLocked(ctx); err != nil {
		return paths, err
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

// reloadOpenLocked makes the open sheet the store's open labels of the robot, in writing order.
func (s *openSheet) reloadOpenLocked(ctx context.Context) error {
	open, err := s.labels.OpenLabels(ctx, s.worker, 100000)
	if err != nil {
		return fmt.Errorf("address sheets of %s: %w", s.worker, err)
	}
	if err := s.resetLocked(); err != nil {
		return err
	}
	for _, rec := range open {
		if _, err := s.addLocked(rec); err != nil {
			// Recorded written but not printable here (erased meanwhile): it stays open in the
			// store and is left out when its sheet is drawn.
			s.log.Warn("address label left out; address this envelope by hand", "worker", s.worker, "card", rec.CardID, "err", err)
		}
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
