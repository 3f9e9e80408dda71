package intake

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/faces"
	"github.com/quillpost/quillpost/internal/reproof"
	"github.com/quillpost/quillpost/internal/store"
)

// A card whose approved proof an upgraded renderer no longer draws is held (accepted, approval
// required, proof_changed) with a proof.changed event. GET /v1/cards/{id}/preview shows the new
// proof; approving it (the customer's POST /v1/cards/{id}/approve, or an operator's
// POST /v1/operator/cards/{id}/approve) records its stroke hash and render version and queues
// the card. POST /v1/operator/reproof finds every such card at once after an upgrade.

// cardFaces finds the faces a stored card may be written in: its own account's, as when it was
// ordered (an operator approving it has no faces of its own).
func (s *Server) cardFaces(ctx context.Context, c *store.Card) cardspec.FaceFinder {
	var src faces.Source
	if s.faceStore != nil {
		src = s.faceStore
	}
	return s.faceCache.Finder(ctx, src, c.AccountID, !c.Test)
}

// approveNewProof renders the held card as the renderer now draws it — the proof its preview
// shows — and approves that proof.
func (s *Server) approveNewProof(w http.ResponseWriter, r *http.Request, accountID string, c *store.Card, cause string) {
	ps, ok := s.store.(store.ProofStore)
	if !ok {
		writeError(w, unsupported())
		return
	}
	id := c.ID
	c, err := reproof.Approve(r.Context(), ps, s.cardFaces(r.Context(), c), accountID, c, cause)
	if ue := (*reproof.UnwritableError)(nil); errors.As(err, &ue) {
		writeError(w, renderError(ue.Err))
		return
	}
	if errors.Is(err, store.ErrConflict) {
		writeError(w, &apiError{Status: http.StatusConflict, Type: "conflict", Code: "card_not_awaiting_approval",
			Message: "The card is not waiting for approval."})
		return
	}
	if err != nil {
		s.log.Error("approve new proof", "card", id, "err", err)
		writeError(w, internalError())
		return
	}
	s.kick()
	s.respondCard(w, r, c, http.StatusOK)
}

// operatorApprove is POST /v1/operator/cards/{id}/approve: an operator approves the new proof of
// a card held because the renderer changed (for a customer who asked the shop to).
func (s *Server) operatorApprove(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c, err := s.store.GetCard(r.Context(), store.AnyAccount, id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "not_found", Code: "card_not_found", Message: fmt.Sprintf("There is no card %q.", id)})
		return
	}
	if err != nil {
		s.log.Error("operator approve", "card", id, "err", err)
		writeError(w, internalError())
		return
	}
	if c.Status != store.StatusAccepted || !c.ProofChanged {
		writeError(w, &apiError{Status: http.StatusConflict, Type: "conflict", Code: "proof_unchanged",
			Message: fmt.Sprintf("The card is %s and not waiting for a changed proof's approval; its customer approves held cards.", c.Status)})
		return
	}
	s.approveNewProof(w, r, store.AnyAccount, c, "operator.approve:"+principalFrom(r.Context()).Account.Name)
}

// operatorReproof is POST /v1/operator/reproof: after an upgrade, every card that may still be
// written is checked against the renderer now running; the ones whose strokes changed are held
// for their new proof's approval (webhook card.accepted with cause proof.changed).
func (s *Server) operatorReproof(w http.ResponseWriter, r *http.Request) {
	ps, ok := s.store.(reproof.Store)
	if !ok {
		writeError(w, unsupported())
		return
	}
	res, err := reproof.Run(r.Context(), ps, s.cardFaces, s.log)
	if err != nil {
		s.log.Error("re-proof", "err", err)
		writeError(w, internalError())
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Object        string `json:"object"`
		RenderVersion int    `json:"render_version"`
		reproof.Result
	}{"reproof", cardspec.RenderVersion, res})
}
