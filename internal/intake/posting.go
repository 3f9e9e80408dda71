package intake

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/quillpost/quillpost/internal/store"
)

// maxPostingCards bounds one posting request (a few label sheets' worth).
const maxPostingCards = 1000

type postingRequest struct {
	CardIDs []string `json:"card_ids"`
	Sheet   string   `json:"sheet"`
}

type postingResponse struct {
	Object        string   `json:"object"`
	Sheet         string   `json:"sheet,omitempty"`
	Posted        []string `json:"posted"`
	AlreadyPosted []string `json:"already_posted"`
}

// operatorPosting is POST /v1/operator/postings: the operator put these cards into the mail,
// named one by one (scanned from their labels) or as a whole label sheet. All or nothing: if one
// card cannot be posted (it is not written) nothing changes and the answer names it. Posting a
// card again is harmless: it is listed under already_posted.
func (s *Server) operatorPosting(w http.ResponseWriter, r *http.Request) {
	body, aerr := s.readBody(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var req postingRequest
	if aerr := decodeJSON(body, &req); aerr != nil {
		writeError(w, aerr)
		return
	}
	switch {
	case len(req.CardIDs) == 0 && req.Sheet == "":
		writeError(w, invalid("card_ids", "posting_empty", "Name the posted cards in card_ids, or their label sheet in sheet."))
		return
	case len(req.CardIDs) > 0 && req.Sheet != "":
		writeError(w, invalid("sheet", "posting_ambiguous", "Give either card_ids or sheet, not both."))
		return
	case len(req.CardIDs) > maxPostingCards:
		writeError(w, invalid("card_ids", "posting_too_large", fmt.Sprintf("card_ids has %d cards; at most %d fit in one request.", len(req.CardIDs), maxPostingCards)))
		return
	}
	ctx := r.Context()
	ids := req.CardIDs
	if req.Sheet != "" {
		labels, err := s.store.SheetLabels(ctx, req.Sheet)
		if err != nil {
			s.log.Error("posting: sheet labels", "sheet", req.Sheet, "err", err)
			writeError(w, internalError())
			return
		}
		if len(labels) == 0 {
			writeError(w, &apiError{Status: http.StatusNotFound, Type: "not_found", Code: "sheet_not_found", Field: "sheet",
				Message: fmt.Sprintf("There is no label sheet %q.", req.Sheet)})
			return
		}
		for _, l := range labels {
			ids = append(ids, l.CardID)
		}
	}
	// The event detail reaches the customer (history, webhook): the operator account, never key material.
	who := "operator " + principalFrom(ctx).Account.Name
	posted, already, err := store.PostCards(ctx, s.store, ids, who)
	var pe *store.PostingError
	switch {
	case errors.As(err, &pe):
		field := fmt.Sprintf("card_ids[%d]", pe.Index)
		if req.Sheet != "" {
			field = "sheet"
		}
		if pe.Status == "" {
			writeError(w, &apiError{Status: http.StatusNotFound, Type: "not_found", Code: "card_not_found", Field: field,
				Message: fmt.Sprintf("There is no card %q; nothing was marked posted.", pe.CardID)})
			return
		}
		writeError(w, &apiError{Status: http.StatusConflict, Type: "conflict", Code: "card_not_postable", Field: field,
			Message: fmt.Sprintf("Card %s cannot be posted: it is %s, and only written cards can be posted. Nothing was marked posted.", pe.CardID, pe.Status)})
		return
	case err != nil:
		s.log.Error("posting", "err", err)
		writeError(w, internalError())
		return
	}
	out := postingResponse{Object: "posting", Sheet: req.Sheet, Posted: append([]string{}, posted...), AlreadyPosted: append([]string{}, already...)}
	s.log.Info("cards posted", "posted", len(out.Posted), "already", len(out.AlreadyPosted), "sheet", req.Sheet, "operator", who)
	s.kick() // the outbox relay publishes the posted events (webhooks, status pages)
	writeJSON(w, http.StatusOK, out)
}

type sheetResponse struct {
	Object    string    `json:"object"`
	Name      string    `json:"name,omitempty"`
	Robot     string    `json:"robot"`
	Open      bool      `json:"open"`
	Labels    int       `json:"labels"`
	Posted    int       `json:"posted"`
	Printed   bool      `json:"printed"`
	TestCards int       `json:"test_cards"`
	FirstAt   time.Time `json:"first_written_at"`
	LastAt    time.Time `json:"last_written_at"`
}

// operatorSheets is GET /v1/operator/sheets: each robot's labels not yet on a sheet, then the
// newest label sheets with how many of their cards were posted; a sheet's name is what
// POST /v1/operator/postings takes (and the robot's PDF file is called).
func (s *Server) operatorSheets(w http.ResponseWriter, r *http.Request) {
	limit := 20
	if r.URL.Query().Get("limit") != "" {
		n, aerr := parseLimit(r.URL.Query())
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		limit = n
	}
	all, err := s.store.Sheets(r.Context(), limit)
	if err != nil {
		s.log.Error("operator sheets", "err", err)
		writeError(w, internalError())
		return
	}
	out := struct {
		Object string          `json:"object"`
		Data   []sheetResponse `json:"data"`
	}{Object: "list", Data: []sheetResponse{}}
	for _, sh := range all {
		out.Data = append(out.Data, sheetResponse{Object: "label_sheet", Name: sh.Name, Robot: sh.Robot, Open: sh.Name == "",
			Labels: sh.Labels, Posted: sh.Posted, Printed: sh.Printed, TestCards: sh.TestCards, FirstAt: sh.FirstAt.UTC(), LastAt: sh.LastAt.UTC()})
	}
	writeJSON(w, http.StatusOK, out)
}
