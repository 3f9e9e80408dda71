package intake

import (
	"errors"
	"fmt"
	"net/http"

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
	// Check every card first, so that a mistyped or unwritten card changes nothing.
	seen := map[string]bool{}
	var todo []string
	out := postingResponse{Object: "posting", Sheet: req.Sheet, Posted: []string{}, AlreadyPosted: []string{}}
	for i, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		field := fmt.Sprintf("card_ids[%d]", i)
		if req.Sheet != "" {
			field = "sheet"
		}
		c, err := s.store.GetCard(ctx, store.AnyAccount, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			writeError(w, &apiError{Status: http.StatusNotFound, Type: "not_found", Code: "card_not_found", Field: field,
				Message: fmt.Sprintf("There is no card %q; nothing was marked posted.", id)})
			return
		case err != nil:
			s.log.Error("posting: read card", "card", id, "err", err)
			writeError(w, internalError())
			return
		}
		switch c.Status {
		case store.StatusPosted:
			out.AlreadyPosted = append(out.AlreadyPosted, id)
		case store.StatusWritten:
			todo = append(todo, id)
		default:
			writeError(w, &apiError{Status: http.StatusConflict, Type: "conflict", Code: "card_not_postable", Field: field,
				Message: fmt.Sprintf("Card %s cannot be posted: it is %s, and only written cards can be posted. Nothing was marked posted.", id, c.Status)})
			return
		}
	}
	who := "operator " + principalFrom(ctx).Key.Hint
	for _, id := range todo {
		_, changed, err := store.OperatorPost(ctx, s.store, id, who)
		if err != nil {
			s.log.Error("posting", "card", id, "err", err)
			writeError(w, internalError())
			return
		}
		if changed {
			out.Posted = append(out.Posted, id)
		} else {
			out.AlreadyPosted = append(out.AlreadyPosted, id)
		}
	}
	s.log.Info("cards posted", "posted", len(out.Posted), "already", len(out.AlreadyPosted), "sheet", req.Sheet, "operator", who)
	s.kick() // the outbox relay publishes the posted events (webhooks, status pages)
	writeJSON(w, http.StatusOK, out)
}
