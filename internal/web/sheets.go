package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/quillpost/quillpost/internal/labelsheet"
	"github.com/quillpost/quillpost/internal/sheets"
	"github.com/quillpost/quillpost/internal/store"
)

// The dashboard's address sheets are the robots' sheets, drawn by internal/labelsheet from the
// store as the robots draw them: a label is on one sheet only, a sheet is printed once, and a
// reprint is asked for on purpose.

// closeOpenLabels is POST /operator/labels/{robot}/close: the robot's labels not yet on a sheet
// become a sheet now (the robot's own next sheet starts after them), answered as its PDF.
func (s *Server) closeOpenLabels(w http.ResponseWriter, r *http.Request) {
	lang := language(w, r)
	robot := r.PathValue("robot")
	name, err := labelsheet.CloseOpen(r.Context(), s.cfg.Store, robot, s.cfg.Now())
	if errors.Is(err, labelsheet.ErrNoOpenLabels) {
		flash(w, r, tr(lang, "op.sheets.empty", robot), true)
		return
	}
	if err != nil {
		s.log.Error("close open labels", "robot", robot, "err", err)
		flash(w, r, sentence(err.Error()), true)
		return
	}
	s.log.Info("address sheet closed from the dashboard", "robot", robot, "sheet", name, "operator", operatorFrom(r.Context()).Key.Hint)
	s.printSheet(w, r, name)
}

// sheetPrint is POST /operator/sheets/{name}/print: a sheet not printed yet, or (reprint=1) one
// printed before, answered as its PDF and recorded printed.
func (s *Server) sheetPrint(w http.ResponseWriter, r *http.Request) {
	lang := language(w, r)
	name := r.PathValue("name")
	if r.PostFormValue("reprint") != "1" {
		labels, err := s.cfg.Store.SheetLabels(r.Context(), name)
		if err != nil {
			s.log.Error("sheet labels", "sheet", name, "err", err)
			flash(w, r, sentence(err.Error()), true)
			return
		}
		if len(labels) > 0 && labels[0].Printed {
			flash(w, r, tr(lang, "op.sheets.already", name), true)
			return
		}
	}
	s.printSheet(w, r, name)
}

// printSheet answers the named sheet's PDF and records it printed.
func (s *Server) printSheet(w http.ResponseWriter, r *http.Request, name string) {
	lang := language(w, r)
	doc, err := s.printer.Sheet(r.Context(), s.cfg.Store, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		flash(w, r, tr(lang, "op.sheets.notfound", name), true)
		return
	case errors.Is(err, sheets.ErrEmpty):
		flash(w, r, tr(lang, "op.sheets.nothing", name), true)
		return
	case err != nil:
		s.log.Error("address sheet", "sheet", name, "err", err)
		http.Error(w, tr(lang, "op.sheets.failed"), http.StatusInternalServerError)
		return
	}
	for _, le := range doc.Skipped {
		s.log.Warn("address label left out", "sheet", name, "card", le.OrderID, "reason", le.Error())
	}
	if err := s.cfg.Store.MarkSheetPrinted(r.Context(), name); err != nil {
		s.log.Error("mark sheet printed", "sheet", name, "err", err)
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s.pdf"`, name))
	w.Header().Set("Quillpost-Sheet", name)
	w.Header().Set("Quillpost-Skipped-Labels", fmt.Sprint(len(doc.Skipped)))
	w.Write(doc.PDF)
}

// sheetPosted is POST /operator/sheets/{name}/posted: every card on the sheet went into the mail.
func (s *Server) sheetPosted(w http.ResponseWriter, r *http.Request) {
	lang := language(w, r)
	name := r.PathValue("name")
	labels, err := s.cfg.Store.SheetLabels(r.Context(), name)
	if err != nil {
		s.log.Error("sheet labels", "sheet", name, "err", err)
		flash(w, r, sentence(err.Error()), true)
		return
	}
	if len(labels) == 0 {
		flash(w, r, tr(lang, "op.sheets.notfound", name), true)
		return
	}
	ids := make([]string, len(labels))
	for i, l := range labels {
		ids[i] = l.CardID
	}
	n, msg, ok := s.post(r, lang, ids)
	if !ok {
		flash(w, r, msg, true)
		return
	}
	flash(w, r, tr(lang, "op.sheets.posted", name, n), false)
}

// cardsPosted is POST /operator/posted: the cards whose labels were scanned (a label's barcode
// holds its card id; a scanner types it and Enter) or typed, separated by spaces or commas.
func (s *Server) cardsPosted(w http.ResponseWriter, r *http.Request) {
	lang := language(w, r)
	ids := strings.FieldsFunc(r.PostFormValue("cards"), func(c rune) bool {
		return c == ',' || c == ';' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
	})
	if len(ids) == 0 {
		flash(w, r, tr(lang, "op.post.none"), true)
		return
	}
	if len(ids) > 1000 {
		ids = ids[:1000]
	}
	n, msg, ok := s.post(r, lang, ids)
	if !ok {
		flash(w, r, msg, true)
		return
	}
	if n == 0 {
		flash(w, r, tr(lang, "op.post.already", strings.Join(ids, ", ")), false)
		return
	}
	flash(w, r, tr(lang, "op.post.done", n), false)
}

// post marks the cards posted, all or nothing (store.PostCards): one mistyped or unwritten card
// changes nothing and is named in the answer. n counts the cards changed now.
func (s *Server) post(r *http.Request, lang string, ids []string) (n int, msg string, ok bool) {
	ctx := r.Context()
	// The event detail reaches the customer (history, webhook): the operator account, never key material.
	who := "operator " + operatorFrom(ctx).Account.Name
	posted, already, err := store.PostCards(ctx, s.cfg.Store, ids, who)
	var pe *store.PostingError
	switch {
	case errors.As(err, &pe) && pe.Status == "":
		return 0, tr(lang, "op.post.notfound", pe.CardID), false
	case errors.As(err, &pe):
		return 0, tr(lang, "op.post.notwritten", pe.CardID, tr(lang, "status."+string(pe.Status))), false
	case err != nil:
		s.log.Error("posting", "err", err)
		return len(posted), sentence(err.Error()), false
	}
	s.log.Info("cards posted", "posted", len(posted), "already", len(already), "operator", who)
	s.cfg.OnAccepted() // wakes the outbox relay: the posted events reach webhooks and status pages
	return len(posted), "", true
}

// sheetView is one sheet on the dashboard.
type sheetView struct {
	store.Sheet
	Open      bool // the robot's labels not yet on a sheet
	AllSent   bool // every card on it was posted
	ShortName string
}

func sheetViews(all []store.Sheet) []sheetView {
	var out []sheetView
	for _, sh := range all {
		if sh.TestCards == sh.Labels {
			continue // test cards are written by simulated robots only: nothing to stick or post
		}
		out = append(out, sheetView{Sheet: sh, Open: sh.Name == "", AllSent: sh.Posted == sh.Labels,
			ShortName: strings.TrimPrefix(sh.Name, sh.Robot+"-")})
	}
	return out
}
