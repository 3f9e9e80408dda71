package intake

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/quillpost/quillpost/internal/store"
)

// operatorCards is GET /v1/operator/cards?status=failed: cards of every account, for the people
// running the robots (failed cards waiting for them, what is plotting now).
func (s *Server) operatorCards(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.CardFilter{After: q.Get("after"), CampaignID: q.Get("campaign")}
	f.Statuses = parseStatuses(q)
	limit, aerr := parseLimit(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	f.Limit = limit
	page, err := s.store.ListCards(r.Context(), store.AnyAccount, f)
	if errors.Is(err, store.ErrInvalid) {
		writeError(w, &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "filter_invalid", Message: "The list filter is not valid: " + err.Error() + "."})
		return
	}
	if err != nil {
		s.log.Error("operator list cards", "err", err)
		writeError(w, internalError())
		return
	}
	type opCard struct {
		cardResponse
		AccountID string `json:"account_id"`
	}
	out := struct {
		Object string   `json:"object"`
		Data   []opCard `json:"data"`
		Next   string   `json:"next,omitempty"`
	}{Object: "list", Data: []opCard{}, Next: page.Next}
	for _, c := range page.Cards {
		out.Data = append(out.Data, opCard{newCardResponse(c, nil), c.AccountID})
	}
	writeJSON(w, http.StatusOK, out)
}

// operatorRetry is POST /v1/operator/cards/{id}/retry: a fresh attempt for a card that is failed,
// spoiled, queued (its job may be lost) or plotting (stuck: its blank is spoiled).
func (s *Server) operatorRetry(w http.ResponseWriter, r *http.Request) {
	s.operatorAction(w, r, store.OperatorRetry, "card_not_retryable", "The card cannot be retried: it is %s.")
}

// operatorCancel is POST /v1/operator/cards/{id}/cancel: cancels a card in any status that is not
// final, also while it is being written (its blank is spoiled, its robot stops).
func (s *Server) operatorCancel(w http.ResponseWriter, r *http.Request) {
	s.operatorAction(w, r, store.OperatorCancel, "card_not_cancellable", "The card cannot be cancelled: it is %s.")
}

func (s *Server) operatorAction(w http.ResponseWriter, r *http.Request,
	act func(context.Context, store.CardStore, string, string) (*store.Card, error), code, refused string) {
	id := r.PathValue("id")
	c, err := act(r.Context(), s.store, id, principalFrom(r.Context()).Account.Name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "not_found", Code: "card_not_found", Message: fmt.Sprintf("There is no card %q.", id)})
		return
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrInvalidTransition):
		status := "changing right now; try again"
		if cur, gerr := s.store.GetCard(r.Context(), store.AnyAccount, id); gerr == nil && errors.Is(err, store.ErrInvalidTransition) {
			status = string(cur.Status)
		}
		writeError(w, &apiError{Status: http.StatusConflict, Type: "conflict", Code: code, Message: fmt.Sprintf(refused, status)})
		return
	case err != nil:
		s.log.Error("operator action", "card", id, "err", err)
		writeError(w, internalError())
		return
	}
	s.kick()
	s.respondCard(w, r, c, http.StatusOK)
}
