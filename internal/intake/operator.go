package intake

import (
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

// operatorRetry is POST /v1/operator/cards/{id}/retry: a failed card gets a fresh attempt.
func (s *Server) operatorRetry(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c, err := s.store.Transition(r.Context(), store.Change{CardID: id, AccountID: store.AnyAccount, From: store.StatusFailed,
		To: store.StatusQueued, Cause: "operator.retry", Detail: principalFrom(r.Context()).Account.Name})
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "not_found", Code: "card_not_found", Message: fmt.Sprintf("There is no card %q.", id)})
		return
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrInvalidTransition):
		writeError(w, &apiError{Status: http.StatusConflict, Type: "conflict", Code: "card_not_failed", Message: "Only a failed card can be retried."})
		return
	case err != nil:
		s.log.Error("operator retry", "card", id, "err", err)
		writeError(w, internalError())
		return
	}
	s.kick()
	s.respondCard(w, r, c, http.StatusOK)
}
