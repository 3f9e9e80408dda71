package intake

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/quillpost/quillpost/internal/store"
)

// Campaigns a CRM can manage: list them, pause, resume and cancel. The states join draft and
// active (campaigns.go): a paused campaign takes no recipients and its cards waiting for a send
// date stay waiting (the send-date scheduler skips them); cards already queued are written.
// Cancelling cancels every card not yet being written, each with its event and webhook.
const (
	campaignPaused    = "paused"
	campaignCancelled = "cancelled"
)

var campaignStates = map[string]bool{campaignDraft: true, campaignActive: true, campaignPaused: true, campaignCancelled: true}

// listCampaigns is GET /v1/campaigns?state=&limit=&after=, newest first.
func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	cl, ok := s.store.(store.CampaignLister)
	if !ok {
		writeError(w, unsupported())
		return
	}
	q := r.URL.Query()
	limit, aerr := parseLimit(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if limit == 0 {
		limit = 50
	}
	f := store.CampaignFilter{State: q.Get("state"), After: q.Get("after"), Limit: limit}
	if f.State != "" && !campaignStates[f.State] {
		writeError(w, &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "filter_invalid", Field: "state",
			Message: "The state must be draft, active, paused or cancelled."})
		return
	}
	out := struct {
		Object string             `json:"object"`
		Data   []campaignResponse `json:"data"`
		Next   string             `json:"next,omitempty"`
	}{Object: "list", Data: []campaignResponse{}}
	// A test key sees test campaigns only; the flag lives in the spec, so pages are filled here.
	for len(out.Data) < limit {
		page, next, err := cl.ListCampaigns(r.Context(), p.Account.ID, f)
		if err != nil {
			s.log.Error("list campaigns", "err", err)
			writeError(w, internalError())
			return
		}
		for _, c := range page {
			cr, err := s.campaignResponse(r.Context(), c)
			if err != nil {
				s.log.Error("campaign response", "campaign", c.ID, "err", err)
				writeError(w, internalError())
				return
			}
			if !inScope(p, cr.Test) {
				continue
			}
			out.Data = append(out.Data, cr)
			out.Next = c.ID
			if len(out.Data) == limit {
				break
			}
		}
		if next == "" {
			if len(out.Data) < limit {
				out.Next = ""
			}
			break
		}
		f.After = next
	}
	writeJSON(w, http.StatusOK, out)
}

var errCampaignCancelled = errors.New("campaign cancelled")

// setCampaignState is POST /v1/campaigns/{id}/pause|resume|cancel.
func (s *Server) setCampaignState(to string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := principalFrom(r.Context())
		c, _, ok := s.campaignOr404(w, r, p)
		if !ok {
			return
		}
		if s.ops == nil {
			writeError(w, unsupported())
			return
		}
		c, err := s.store.UpdateCampaign(r.Context(), p.Account.ID, c.ID, func(c *store.Campaign) error {
			switch {
			case c.State == campaignCancelled && to != campaignCancelled:
				return errCampaignCancelled
			case (to == campaignActive || to == campaignPaused) && c.State == campaignDraft:
				return errCampaignDraft // a draft sends nothing yet: activating it is the way on
			}
			c.State = to
			return nil
		})
		switch {
		case errors.Is(err, errCampaignCancelled):
			writeError(w, &apiError{Status: http.StatusConflict, Type: "conflict", Code: "campaign_cancelled",
				Message: "The campaign was cancelled; a cancelled campaign cannot be paused, resumed or activated."})
			return
		case errors.Is(err, errCampaignDraft):
			writeError(w, &apiError{Status: http.StatusConflict, Type: "conflict", Code: "campaign_draft",
				Message: "The campaign is a draft; activate it (POST /v1/campaigns/{id}/activate) to send its cards."})
			return
		case err != nil:
			s.log.Error("campaign state", "campaign", r.PathValue("id"), "err", err)
			writeError(w, internalError())
			return
		}
		extra := map[string]int{}
		switch to {
		case campaignActive:
			// Cards held while paused (uploaded before activation) are released as activation does.
			if _, err := s.ops.ReleaseCampaign(r.Context(), p.Account.ID, c.ID, "campaign.resume"); err != nil {
				s.log.Error("resume campaign", "campaign", c.ID, "err", err)
				writeError(w, internalError())
				return
			}
			if _, err := QueueDue(r.Context(), s.store, s.clock.Now()); err != nil {
				s.log.Warn("resume campaign: queue due cards", "campaign", c.ID, "err", err)
			}
			s.kick()
		case campaignCancelled:
			n, busy, err := s.cancelCards(r.Context(), p.Account.ID, store.CardFilter{CampaignID: c.ID}, "campaign.cancel")
			if err != nil {
				s.log.Error("cancel campaign cards", "campaign", c.ID, "err", err)
				writeError(w, internalError())
				return
			}
			extra["cards_cancelled"], extra["cards_being_written"] = n, busy
		}
		out, err := s.campaignResponse(r.Context(), c)
		if err != nil {
			writeError(w, internalError())
			return
		}
		if len(extra) == 0 {
			writeJSON(w, http.StatusOK, out)
			return
		}
		writeJSON(w, http.StatusOK, struct {
			campaignResponse
			CardsCancelled    int `json:"cards_cancelled"`
			CardsBeingWritten int `json:"cards_being_written"`
		}{out, extra["cards_cancelled"], extra["cards_being_written"]})
	}
}

var errCampaignDraft = errors.New("campaign draft")

// campaignOpen guards the campaign routes that add or send cards: a paused campaign takes no
// recipients, and a cancelled one neither recipients nor activation.
func (s *Server) campaignOpen(h http.HandlerFunc, activation bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := principalFrom(r.Context())
		c, err := s.store.GetCampaign(r.Context(), p.Account.ID, r.PathValue("id"))
		if err == nil && (c.State == campaignCancelled || (c.State == campaignPaused && !activation)) {
			writeError(w, &apiError{Status: http.StatusConflict, Type: "conflict", Code: "campaign_" + c.State,
				Message: fmt.Sprintf("The campaign is %s; it takes no recipients%s.", c.State, map[bool]string{true: " and cannot be activated", false: " until resumed"}[c.State == campaignCancelled])})
			return
		}
		h(w, r) // not found and errors are answered by h itself
	}
}
