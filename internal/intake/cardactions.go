package intake

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/quillpost/quillpost/internal/store"
)

// approveCard is POST /v1/cards/{id}/approve: a card ordered with approval_required is queued
// (or, with a future send date, waits for that date).
func (s *Server) approveCard(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	c, ok := s.cardOr404(w, r, p)
	if !ok {
		return
	}
	if c.CampaignID != "" {
		if cmp, err := s.store.GetCampaign(r.Context(), p.Account.ID, c.CampaignID); err == nil && cmp.State == campaignDraft {
			writeError(w, &apiError{Status: http.StatusConflict, Type: "conflict", Code: "campaign_draft",
				Message: "The card belongs to a draft campaign; activate the campaign to send its cards."})
			return
		}
	}
	if s.ops == nil {
		writeError(w, unsupported())
		return
	}
	if c.ProofChanged && c.Status == store.StatusAccepted {
		s.approveNewProof(w, r, p.Account.ID, c, "api.approve")
		return
	}
	c, err := s.ops.ApproveCard(r.Context(), p.Account.ID, c.ID, "api.approve")
	if errors.Is(err, store.ErrConflict) {
		writeError(w, &apiError{Status: http.StatusConflict, Type: "conflict", Code: "card_not_awaiting_approval",
			Message: "The card is not waiting for approval."})
		return
	}
	if err != nil {
		s.log.Error("approve card", "card", r.PathValue("id"), "err", err)
		writeError(w, internalError())
		return
	}
	s.kick()
	s.respondCard(w, r, c, http.StatusOK)
}

// cancelCard is DELETE /v1/cards/{id}: cancels a card until its robot starts writing it.
// Cancelling a cancelled card answers it again.
func (s *Server) cancelCard(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	c, ok := s.cardOr404(w, r, p)
	if !ok {
		return
	}
	if c.Status != store.StatusCancelled {
		var err error
		c, err = s.store.Transition(r.Context(), store.Change{CardID: c.ID, AccountID: p.Account.ID, From: c.Status,
			To: store.StatusCancelled, Cause: "api.cancel"})
		if errors.Is(err, store.ErrInvalidTransition) || errors.Is(err, store.ErrConflict) {
			cur, _ := s.store.GetCard(r.Context(), p.Account.ID, r.PathValue("id"))
			status := "being written"
			if cur != nil {
				status = string(cur.Status)
			}
			writeError(w, &apiError{Status: http.StatusConflict, Type: "conflict", Code: "card_not_cancellable",
				Message: fmt.Sprintf("The card can no longer be cancelled: it is %s.", status)})
			return
		}
		if err != nil {
			s.log.Error("cancel card", "card", r.PathValue("id"), "err", err)
			writeError(w, internalError())
			return
		}
	}
	s.respondCard(w, r, c, http.StatusOK)
}

// respondCard answers with the card and its history.
func (s *Server) respondCard(w http.ResponseWriter, r *http.Request, c *store.Card, status int) {
	events, err := s.store.Events(r.Context(), c.AccountID, c.ID)
	if err != nil {
		s.log.Error("card events", "card", c.ID, "err", err)
		writeError(w, internalError())
		return
	}
	writeJSON(w, status, newCardResponse(c, events))
}

func unsupported() *apiError {
	return &apiError{Status: http.StatusNotImplemented, Type: "api_error", Code: "not_supported",
		Message: "This database does not support the operation."}
}
