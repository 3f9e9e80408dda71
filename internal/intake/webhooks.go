package intake

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/webhook"
)

// maxWebhooks bounds an account's endpoints (each event is sent to every one).
const maxWebhooks = 20

type webhookResponse struct {
	ID         string    `json:"id"`
	Object     string    `json:"object"` // "webhook"
	URL        string    `json:"url"`
	EventTypes []string  `json:"event_types"`
	Secret     string    `json:"secret,omitempty"` // only in the answer to its creation
	Test       bool      `json:"test"`
	CreatedAt  time.Time `json:"created_at"`
}

func newWebhookResponse(w *store.Webhook, withSecret bool) webhookResponse {
	r := webhookResponse{ID: w.ID, Object: "webhook", URL: w.URL, EventTypes: w.EventTypes, Test: w.Test, CreatedAt: w.CreatedAt}
	if withSecret {
		r.Secret = w.Secret
	}
	return r
}

// createWebhook is POST /v1/webhooks {url, event_types} → the endpoint with its signing secret,
// shown this once.
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if s.hooks == nil {
		writeError(w, unsupported())
		return
	}
	body, aerr := s.readBody(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var req struct {
		URL        string   `json:"url"`
		EventTypes []string `json:"event_types"`
	}
	if aerr := decodeJSON(body, &req); aerr != nil {
		writeError(w, aerr)
		return
	}
	if err := webhook.CheckURL(r.Context(), req.URL, s.allowPrivateWebhooks, nil); err != nil {
		code := "url_invalid"
		if errors.Is(err, webhook.ErrForbiddenTarget) {
			code = "url_forbidden"
		}
		writeError(w, invalid("url", code, sentence(err.Error())))
		return
	}
	if len(req.EventTypes) == 0 {
		req.EventTypes = []string{"*"}
	}
	for _, t := range req.EventTypes {
		if !webhook.ValidEventType(t) {
			writeError(w, invalid("event_types", "event_type_invalid",
				fmt.Sprintf("There is no event type %q; the types are %s, or \"*\" for all.", t, strings.Join(webhook.EventTypes(), ", "))))
			return
		}
	}
	existing, err := s.hooks.ListWebhooks(r.Context(), p.Account.ID)
	if err != nil {
		s.log.Error("list webhooks", "err", err)
		writeError(w, internalError())
		return
	}
	if len(existing) >= maxWebhooks {
		writeError(w, &apiError{Status: http.StatusConflict, Type: "conflict", Code: "too_many_webhooks",
			Message: fmt.Sprintf("An account can have at most %d webhooks; delete one first.", maxWebhooks)})
		return
	}
	var b [24]byte
	rand.Read(b[:])
	hook, err := s.hooks.CreateWebhook(r.Context(), store.NewWebhook{AccountID: p.Account.ID, URL: req.URL,
		EventTypes: req.EventTypes, Secret: "whsec_" + hex.EncodeToString(b[:]), Test: testOnly(p)})
	if err != nil {
		s.log.Error("create webhook", "err", err)
		writeError(w, internalError())
		return
	}
	writeJSON(w, http.StatusCreated, newWebhookResponse(hook, true))
}

func (s *Server) webhookOr404(w http.ResponseWriter, r *http.Request, p *store.Principal) (*store.Webhook, bool) {
	if s.hooks == nil {
		writeError(w, unsupported())
		return nil, false
	}
	id := r.PathValue("id")
	hook, err := s.hooks.GetWebhook(r.Context(), p.Account.ID, id)
	if err == nil && hook.Test != testOnly(p) {
		// Test and live endpoints are separate worlds: each key sees the endpoints of its mode.
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "not_found", Code: "webhook_not_found",
			Message: fmt.Sprintf("There is no webhook %q.", id)})
		return nil, false
	}
	if err != nil {
		s.log.Error("get webhook", "webhook", id, "err", err)
		writeError(w, internalError())
		return nil, false
	}
	return hook, true
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if s.hooks == nil {
		writeError(w, unsupported())
		return
	}
	hooks, err := s.hooks.ListWebhooks(r.Context(), p.Account.ID)
	if err != nil {
		s.log.Error("list webhooks", "err", err)
		writeError(w, internalError())
		return
	}
	out := struct {
		Object string            `json:"object"`
		Data   []webhookResponse `json:"data"`
	}{Object: "list", Data: []webhookResponse{}}
	for _, h := range hooks {
		if h.Test == testOnly(p) {
			out.Data = append(out.Data, newWebhookResponse(h, false))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) {
	hook, ok := s.webhookOr404(w, r, principalFrom(r.Context()))
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, newWebhookResponse(hook, false))
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	hook, ok := s.webhookOr404(w, r, p)
	if !ok {
		return
	}
	if err := s.hooks.DeleteWebhook(r.Context(), p.Account.ID, hook.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("delete webhook", "webhook", hook.ID, "err", err)
		writeError(w, internalError())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": hook.ID, "object": "webhook", "deleted": true})
}

type deliveryResponse struct {
	*store.Delivery
	Object   string                  `json:"object"` // "webhook_delivery"
	Attempts []store.DeliveryAttempt `json:"attempt_log,omitempty"`
}

// listDeliveries is GET /v1/webhooks/{id}/deliveries?status=failed: the delivery log, newest first.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	hook, ok := s.webhookOr404(w, r, p)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := store.DeliveryFilter{Status: store.DeliveryStatus(q.Get("status")), After: q.Get("after")}
	switch f.Status {
	case "", store.DeliveryPending, store.DeliverySucceeded, store.DeliveryFailed:
	default:
		writeError(w, &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "filter_invalid", Field: "status",
			Message: "The status must be pending, succeeded or failed."})
		return
	}
	limit, aerr := parseLimit(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	f.Limit = limit
	ds, next, err := s.hooks.ListDeliveries(r.Context(), p.Account.ID, hook.ID, f)
	if errors.Is(err, store.ErrInvalid) {
		writeError(w, &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "filter_invalid", Field: "after",
			Message: "The cursor is not a delivery id."})
		return
	}
	if err != nil {
		s.log.Error("list deliveries", "webhook", hook.ID, "err", err)
		writeError(w, internalError())
		return
	}
	out := struct {
		Object string             `json:"object"`
		Data   []deliveryResponse `json:"data"`
		Next   string             `json:"next,omitempty"`
	}{Object: "list", Data: []deliveryResponse{}, Next: next}
	for _, d := range ds {
		out.Data = append(out.Data, deliveryResponse{Delivery: d, Object: "webhook_delivery"})
	}
	writeJSON(w, http.StatusOK, out)
}

// getDelivery is GET /v1/webhooks/{id}/deliveries/{delivery}: one delivery with its attempt log.
func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	hook, ok := s.webhookOr404(w, r, p)
	if !ok {
		return
	}
	id := r.PathValue("delivery")
	d, err := s.hooks.GetDelivery(r.Context(), p.Account.ID, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.WebhookID != hook.ID) {
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "not_found", Code: "delivery_not_found",
			Message: fmt.Sprintf("There is no delivery %q of this webhook.", id)})
		return
	}
	var log []store.DeliveryAttempt
	if err == nil {
		log, err = s.hooks.DeliveryAttempts(r.Context(), p.Account.ID, id)
	}
	if err != nil {
		s.log.Error("get delivery", "delivery", id, "err", err)
		writeError(w, internalError())
		return
	}
	writeJSON(w, http.StatusOK, deliveryResponse{Delivery: d, Object: "webhook_delivery", Attempts: log})
}

// replayDeliveries is POST /v1/webhooks/{id}/replay {"delivery_ids": [...]}: failed deliveries
// (the ones named, or all failed ones) are sent again, with the same event id.
func (s *Server) replayDeliveries(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	hook, ok := s.webhookOr404(w, r, p)
	if !ok {
		return
	}
	body, aerr := s.readBody(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var req struct {
		DeliveryIDs []string `json:"delivery_ids"`
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if aerr := decodeJSON(body, &req); aerr != nil {
			writeError(w, aerr)
			return
		}
	}
	for _, id := range req.DeliveryIDs {
		if !store.ValidID(store.PrefixDelivery, id) {
			writeError(w, invalid("delivery_ids", "delivery_id_invalid", fmt.Sprintf("%q is not a delivery id (dlv_…).", id)))
			return
		}
	}
	if len(req.DeliveryIDs) > 1000 {
		writeError(w, invalid("delivery_ids", "too_many_ids", "Replay at most 1000 deliveries by id at once (or none to replay all failed)."))
		return
	}
	n, err := s.hooks.ReplayDeliveries(r.Context(), p.Account.ID, hook.ID, req.DeliveryIDs)
	if err != nil {
		s.log.Error("replay deliveries", "webhook", hook.ID, "err", err)
		writeError(w, internalError())
		return
	}
	s.replay()
	writeJSON(w, http.StatusOK, map[string]any{"object": "replay", "webhook_id": hook.ID, "replayed": n})
}
