package intake

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/quillpost/quillpost/internal/address"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/trigger"
)

// Inbound triggers: POST /v1/triggers/{id}/events takes a CRM's or shop's own JSON, maps it by
// path expressions to a card and orders that card through the same validation as POST /v1/cards.
// The sender proves itself with an HMAC of the body under the trigger's secret (Shopify, HubSpot
// v3 or "sha256=" hex) or with an API key of the account; its event id makes the call idempotent;
// caps and the account's approval hold guard against a misconfigured sender; every call is listed
// with its outcome.

// triggerRequest is the body of POST /v1/triggers.
type triggerRequest struct {
	Name     string            `json:"name"`
	Mapping  trigger.Mapping   `json:"mapping"`
	Template string            `json:"template"`
	Font     string            `json:"font"`
	Hand     string            `json:"hand"`
	Stock    string            `json:"stock"`
	Align    string            `json:"align"`
	From     *address.Address  `json:"from"`
	Metadata map[string]string `json:"metadata"`
	// Secret is the sender's signing key where the sender sets it (Shopify's app secret,
	// HubSpot's client secret); quillpost makes one when it is absent.
	Secret     string `json:"secret"`
	DailyCap   int    `json:"daily_cap"`
	MonthlyCap int    `json:"monthly_cap"`
}

// triggerSpec is what the store keeps as a trigger's spec.
type triggerSpec struct {
	campaignSpec
	Mapping trigger.Mapping `json:"mapping"`
}

type triggerResponse struct {
	ID         string            `json:"id"`
	Object     string            `json:"object"`
	Name       string            `json:"name"`
	State      string            `json:"state"`
	Test       bool              `json:"test"`
	URL        string            `json:"url"`
	Secret     string            `json:"secret,omitempty"` // at creation and rotation only
	Mapping    trigger.Mapping   `json:"mapping"`
	Template   string            `json:"template"`
	Font       string            `json:"font"`
	Hand       string            `json:"hand"`
	Stock      string            `json:"stock"`
	From       *address.Address  `json:"from,omitempty"`
	Metadata   map[string]string `json:"metadata"`
	DailyCap   int               `json:"daily_cap"`
	MonthlyCap int               `json:"monthly_cap"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
	// After cancel: cards cancelled, and those a robot is writing (left to finish).
	CardsCancelled    *int `json:"cards_cancelled,omitempty"`
	CardsBeingWritten *int `json:"cards_being_written,omitempty"`
}

func newTriggerResponse(t *store.Trigger) (triggerResponse, error) {
	var spec triggerSpec
	if err := json.Unmarshal(t.Spec, &spec); err != nil {
		return triggerResponse{}, fmt.Errorf("trigger %s spec: %w", t.ID, err)
	}
	out := triggerResponse{ID: t.ID, Object: "trigger", Name: t.Name, State: t.State, Test: t.Test, URL: "/v1/triggers/" + t.ID + "/events",
		Mapping: spec.Mapping, Template: spec.Template, Font: spec.Font, Hand: spec.Hand, Stock: spec.Stock, From: spec.From,
		Metadata: spec.Metadata, DailyCap: t.DailyCap, MonthlyCap: t.MonthlyCap, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	if out.Metadata == nil {
		out.Metadata = map[string]string{}
	}
	return out, nil
}

func (s *Server) triggerStore(w http.ResponseWriter) (store.TriggerStore, bool) {
	ts, ok := s.store.(store.TriggerStore)
	if !ok {
		writeError(w, unsupported())
	}
	return ts, ok
}

// maxCap bounds a cap: a cap is a guard, not a quota to sell.
const maxCap = 1_000_000

func checkCaps(daily, monthly int) *apiError {
	if daily < 0 || daily > maxCap {
		return invalid("daily_cap", "cap_invalid", fmt.Sprintf("The daily_cap must be from 0 (none) to %d.", maxCap))
	}
	if monthly < 0 || monthly > maxCap {
		return invalid("monthly_cap", "cap_invalid", fmt.Sprintf("The monthly_cap must be from 0 (none) to %d.", maxCap))
	}
	return nil
}

// createTrigger is POST /v1/triggers.
func (s *Server) createTrigger(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	ts, ok := s.triggerStore(w)
	if !ok {
		return
	}
	body, aerr := s.readBody(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	s.idempotent(w, r, p, body, func() (int, any) {
		var req triggerRequest
		if aerr := decodeJSON(body, &req); aerr != nil {
			return aerr.Status, errorBody(aerr)
		}
		if _, err := req.Mapping.Compile(); err != nil {
			field, _, _ := strings.Cut(err.Error(), ":")
			e := invalid(field, "mapping_invalid", sentence(err.Error()))
			return e.Status, errorBody(e)
		}
		cs, aerr := checkCampaign(&campaignRequest{Name: req.Name, Template: req.Template, Font: req.Font, Hand: req.Hand,
			Stock: req.Stock, Align: req.Align, From: req.From, Metadata: req.Metadata}, s.findFace(r.Context(), p))
		if aerr != nil {
			if aerr.Field == "name" {
				aerr.Message = "The trigger needs a name of 1 to 200 characters."
			}
			return aerr.Status, errorBody(aerr)
		}
		if aerr := checkCaps(req.DailyCap, req.MonthlyCap); aerr != nil {
			return aerr.Status, errorBody(aerr)
		}
		secret, aerr := triggerSecret(req.Secret)
		if aerr != nil {
			return aerr.Status, errorBody(aerr)
		}
		cs.Test = testOnly(p)
		spec := triggerSpec{campaignSpec: cs, Mapping: req.Mapping}
		t, err := ts.CreateTrigger(r.Context(), store.Trigger{AccountID: p.Account.ID, Test: cs.Test, Name: req.Name, State: store.RuleActive,
			Secret: secret, Spec: jsonObject(spec), DailyCap: req.DailyCap, MonthlyCap: req.MonthlyCap})
		if err != nil {
			s.log.Error("create trigger", "account", p.Account.ID, "err", err)
			return http.StatusInternalServerError, nil
		}
		out, err := newTriggerResponse(t)
		if err != nil {
			return http.StatusInternalServerError, nil
		}
		out.Secret = secret
		return http.StatusCreated, out
	})
}

// triggerSecret is the secret a trigger gets: the one given (the sender's own signing key), or a
// new random one when none is given.
func triggerSecret(given string) (string, *apiError) {
	if given == "" {
		var b [24]byte
		rand.Read(b[:])
		return "qpts_" + base64.RawURLEncoding.EncodeToString(b[:]), nil
	}
	if len(given) < 16 || len(given) > 200 {
		return "", invalid("secret", "secret_invalid", "The secret must be 16 to 200 characters long, so that signatures cannot be guessed.")
	}
	return given, nil
}

// rotateTriggerSecret is POST /v1/triggers/{id}/rotate_secret: the trigger gets a new secret
// (the one in the body, as a sender that sets its own key needs, or a new random one), answered
// this once. The old secret stops working at once, without a grace period: a secret is rotated
// mostly because it leaked, and a grace period would keep the leaked one working. Senders retry
// the calls refused while they are switched over. Recorded under its Idempotency-Key, so that a
// retried rotation answers the same secret instead of rotating again.
func (s *Server) rotateTriggerSecret(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	ts, ok := s.triggerStore(w)
	if !ok {
		return
	}
	t, ok := s.triggerOr404(w, r, ts)
	if !ok {
		return
	}
	body, aerr := s.readBody(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var req struct {
		Secret string `json:"secret"`
	}
	if len(body) > 0 {
		if aerr := decodeJSON(body, &req); aerr != nil {
			writeError(w, aerr)
			return
		}
	}
	secret, aerr := triggerSecret(req.Secret)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	t, err := ts.UpdateTrigger(r.Context(), p.Account.ID, t.ID, func(t *store.Trigger) error {
		if t.State == store.RuleCancelled {
			return errRuleCancelled
		}
		t.Secret = secret
		return nil
	})
	if errors.Is(err, errRuleCancelled) {
		writeError(w, &apiError{Status: http.StatusConflict, Type: "conflict", Code: "trigger_cancelled",
			Message: "The trigger was cancelled; it takes no calls, so its secret is not rotated."})
		return
	}
	if err != nil {
		s.log.Error("rotate trigger secret", "id", r.PathValue("id"), "err", err)
		writeError(w, internalError())
		return
	}
	out, err := newTriggerResponse(t)
	if err != nil {
		writeError(w, internalError())
		return
	}
	out.Secret = secret
	s.log.Info("trigger secret rotated", "account", p.Account.ID, "trigger", t.ID)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) triggerOr404(w http.ResponseWriter, r *http.Request, ts store.TriggerStore) (*store.Trigger, bool) {
	return ownedOr404(s, w, r, ts.GetTrigger, func(t *store.Trigger) bool { return t.Test }, "trigger_not_found", "trigger")
}

func (s *Server) getTrigger(w http.ResponseWriter, r *http.Request) {
	ts, ok := s.triggerStore(w)
	if !ok {
		return
	}
	t, ok := s.triggerOr404(w, r, ts)
	if !ok {
		return
	}
	out, err := newTriggerResponse(t)
	if err != nil {
		writeError(w, internalError())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// listTriggers is GET /v1/triggers?state=&limit=&after=.
func (s *Server) listTriggers(w http.ResponseWriter, r *http.Request) {
	if ts, ok := s.triggerStore(w); ok {
		listRules(s, w, r, ts.ListTriggers, newTriggerResponse, "trigger")
	}
}

// setTriggerState is POST /v1/triggers/{id}/pause|resume|cancel. A paused trigger refuses calls
// (listed as paused) until resumed; cancelling also cancels every card of the trigger not yet being
// written, each with its event and webhook, and cannot be undone.
func (s *Server) setTriggerState(to string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ts, ok := s.triggerStore(w)
		if !ok {
			return
		}
		t, ok := s.triggerOr404(w, r, ts)
		if !ok {
			return
		}
		t, n, busy, ok := setRuleState(s, w, r, triggerKind, to, t, ts.UpdateTrigger)
		if !ok {
			return
		}
		out, err := newTriggerResponse(t)
		if err != nil {
			writeError(w, internalError())
			return
		}
		if to == store.RuleCancelled {
			out.CardsCancelled, out.CardsBeingWritten = &n, &busy
		}
		writeJSON(w, http.StatusOK, out)
	}
}

var triggerKind = ruleKind[store.Trigger]{
	name: "trigger",
	meta: metaTrigger,
	conflict: &apiError{Status: http.StatusConflict, Type: "conflict", Code: "trigger_cancelled",
		Message: "The trigger was cancelled; a cancelled trigger cannot be paused or resumed. Create a new trigger."},
	state: func(t *store.Trigger) *string { return &t.State },
	id:    func(t *store.Trigger) string { return t.ID },
}

// Metadata keys of every triggered card.
const (
	metaTrigger      = "trigger"
	metaTriggerEvent = "trigger_event"
)

type triggerEventResponse struct {
	ID        string        `json:"id"`
	Object    string        `json:"object"`
	TriggerID string        `json:"trigger_id"`
	EventID   string        `json:"event_id"`
	Outcome   string        `json:"outcome"`
	Reason    string        `json:"reason,omitempty"`
	Field     string        `json:"field,omitempty"`
	CardID    string        `json:"card_id,omitempty"`
	CreatedAt time.Time     `json:"created_at"`
	Card      *cardResponse `json:"card,omitempty"`
}

func newTriggerEventResponse(e *store.TriggerEvent) triggerEventResponse {
	return triggerEventResponse{ID: e.ID, Object: "trigger_event", TriggerID: e.TriggerID, EventID: e.EventID, Outcome: e.Outcome,
		Reason: e.Reason, Field: e.Field, CardID: e.CardID, CreatedAt: e.CreatedAt}
}

// listTriggerEvents is GET /v1/triggers/{id}/events: every call, newest first, with what became
// of it and why.
func (s *Server) listTriggerEvents(w http.ResponseWriter, r *http.Request) {
	ts, ok := s.triggerStore(w)
	if !ok {
		return
	}
	t, ok := s.triggerOr404(w, r, ts)
	if !ok {
		return
	}
	s.writeTriggerEvents(w, r, ts, t.ID)
}

// listAllTriggerEvents is GET /v1/triggers/events: the calls of all the account's triggers (a
// test key: of its test triggers), newest first.
func (s *Server) listAllTriggerEvents(w http.ResponseWriter, r *http.Request) {
	if ts, ok := s.triggerStore(w); ok {
		s.writeTriggerEvents(w, r, ts, "")
	}
}

func (s *Server) writeTriggerEvents(w http.ResponseWriter, r *http.Request, ts store.TriggerStore, triggerID string) {
	p := principalFrom(r.Context())
	limit, aerr := parseLimit(r.URL.Query())
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if limit == 0 {
		limit = 100
	}
	out := struct {
		Object string                 `json:"object"`
		Data   []triggerEventResponse `json:"data"`
		Next   string                 `json:"next,omitempty"`
	}{Object: "list", Data: []triggerEventResponse{}}
	f := store.OccasionFilter{After: r.URL.Query().Get("after"), Limit: limit}
	testTrigger := map[string]bool{}
	for len(out.Data) < limit {
		evs, next, err := ts.ListTriggerEvents(r.Context(), p.Account.ID, triggerID, f)
		if err != nil {
			s.log.Error("list trigger events", "trigger", triggerID, "err", err)
			writeError(w, internalError())
			return
		}
		for _, e := range evs {
			test, seen := testTrigger[e.TriggerID]
			if !seen {
				t, err := ts.GetTrigger(r.Context(), p.Account.ID, e.TriggerID)
				if err != nil {
					writeError(w, internalError())
					return
				}
				test, testTrigger[e.TriggerID] = t.Test, t.Test
			}
			if !inScope(p, test) {
				continue
			}
			out.Data = append(out.Data, newTriggerEventResponse(e))
			out.Next = e.ID
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

// getTriggerSettings and putTriggerSettings are GET and PUT /v1/triggers/settings: the account's
// approval hold and caps over all its triggers.
func (s *Server) getTriggerSettings(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	ts, ok := s.triggerStore(w)
	if !ok {
		return
	}
	set, err := ts.GetTriggerSettings(r.Context(), p.Account.ID)
	if err != nil {
		s.log.Error("trigger settings", "err", err)
		writeError(w, internalError())
		return
	}
	writeJSON(w, http.StatusOK, settingsResponse(set))
}

func settingsResponse(set store.TriggerSettings) map[string]any {
	return map[string]any{"object": "trigger_settings", "hold_for_approval": set.HoldForApproval, "daily_cap": set.DailyCap, "monthly_cap": set.MonthlyCap}
}

func (s *Server) putTriggerSettings(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	ts, ok := s.triggerStore(w)
	if !ok {
		return
	}
	if testOnly(p) {
		// The settings guard live cards too: a test key may not lift them.
		writeError(w, &apiError{Status: http.StatusForbidden, Type: "authentication", Code: "live_key_required",
			Message: "Trigger settings guard live cards; change them with a live key."})
		return
	}
	body, aerr := s.readBody(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var req struct {
		HoldForApproval *bool `json:"hold_for_approval"`
		DailyCap        *int  `json:"daily_cap"`
		MonthlyCap      *int  `json:"monthly_cap"`
	}
	if aerr := decodeJSON(body, &req); aerr != nil {
		writeError(w, aerr)
		return
	}
	set, err := ts.GetTriggerSettings(r.Context(), p.Account.ID)
	if err != nil {
		writeError(w, internalError())
		return
	}
	if req.HoldForApproval != nil {
		set.HoldForApproval = *req.HoldForApproval
	}
	if req.DailyCap != nil {
		set.DailyCap = *req.DailyCap
	}
	if req.MonthlyCap != nil {
		set.MonthlyCap = *req.MonthlyCap
	}
	if aerr := checkCaps(set.DailyCap, set.MonthlyCap); aerr != nil {
		writeError(w, aerr)
		return
	}
	if err := ts.PutTriggerSettings(r.Context(), set); err != nil {
		s.log.Error("put trigger settings", "err", err)
		writeError(w, internalError())
		return
	}
	writeJSON(w, http.StatusOK, settingsResponse(set))
}

// mappedCard is a payload mapped and validated as a card order. eventID is set even when the
// rest of the payload is refused, if the mapping's event id could be read.
type mappedCard struct {
	result  *trigger.Result
	nc      store.NewCard
	eventID string
}

// mapPayload maps a payload through the trigger and validates the card exactly as POST /v1/cards
// does. A problem names the payload path where the mapping knows it (shipping_address.zip),
// otherwise the card field.
func (s *Server) mapPayload(ctx context.Context, t *store.Trigger, body []byte) (*mappedCard, *apiError) {
	var spec triggerSpec
	if err := json.Unmarshal(t.Spec, &spec); err != nil {
		return nil, internalError()
	}
	doc, err := trigger.Decode(body)
	if err != nil {
		return &mappedCard{}, &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "body_invalid", Message: sentence(err.Error())}
	}
	c, err := spec.Mapping.Compile()
	if err != nil {
		return nil, internalError()
	}
	mc := &mappedCard{}
	mc.eventID, _ = c.EventID(doc)
	res, err := c.Apply(doc)
	var me *trigger.MissingError
	if errors.As(err, &me) {
		e := invalid(me.Path, "payload_field_missing", me.Reason)
		e.Problems = []fieldProblem{{Field: me.Path, Reason: "needed for " + me.Target, Target: me.Target}}
		return mc, e
	}
	if err != nil {
		return nil, internalError()
	}
	mc.result = res
	meta := map[string]string{}
	for k, v := range spec.Metadata {
		meta[k] = v
	}
	for k, v := range res.Metadata {
		meta[k] = v
	}
	if res.Email != "" {
		meta["email"] = res.Email
	}
	meta[metaTrigger] = t.ID
	req := cardRequest{Template: spec.Template, Variables: res.Variables, Font: spec.Font, Hand: spec.Hand, Stock: spec.Stock,
		Align: spec.Align, To: &res.To, From: spec.From, Metadata: meta}
	cardBody, _ := json.Marshal(req)
	kind := store.KeyLive
	if t.Test {
		kind = store.KeyTest
	}
	p := &store.Principal{Account: store.Account{ID: t.AccountID}, Key: store.APIKey{Kind: kind}}
	nc, aerr := s.validateCard(ctx, p, cardBody)
	if aerr != nil {
		return mc, payloadError(aerr, res.Sources)
	}
	mc.nc = nc
	return mc, nil
}

// payloadError names the sender's own field for a card field at fault (to.postal_code came from
// shipping_address.zip), keeping the card field in the message.
func payloadError(aerr *apiError, sources map[string][]string) *apiError {
	rename := func(field string) string {
		if src := sources[field]; len(src) > 0 {
			return strings.Join(src, "+")
		}
		if name, ok := strings.CutPrefix(field, "variables."); ok {
			if src := sources["variables."+name]; len(src) > 0 {
				return strings.Join(src, "+")
			}
		}
		return field
	}
	if aerr.Field != "" && rename(aerr.Field) != aerr.Field {
		aerr.Message = fmt.Sprintf("%s (%s, from the payload's %s)", strings.TrimSuffix(aerr.Message, "."), aerr.Field, rename(aerr.Field))
		aerr.Field = rename(aerr.Field)
	}
	for i := range aerr.Problems {
		aerr.Problems[i].Field = rename(aerr.Problems[i].Field)
	}
	return aerr
}

// triggerEvent is POST /v1/triggers/{id}/events, called by the sender.
func (s *Server) triggerEvent(w http.ResponseWriter, r *http.Request) {
	ts, ok := s.triggerStore(w)
	if !ok {
		return
	}
	notFound := &apiError{Status: http.StatusNotFound, Type: "not_found", Code: "trigger_not_found",
		Message: fmt.Sprintf("There is no trigger %q.", r.PathValue("id"))}
	t, err := ts.GetTrigger(r.Context(), store.AnyAccount, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, notFound)
		return
	}
	if err != nil {
		s.log.Error("trigger event: get trigger", "err", err)
		writeError(w, internalError())
		return
	}
	body, aerr := s.readBody(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if aerr := s.authenticateSender(w, r, t, body); aerr != nil {
		if aerr.Status == http.StatusNotFound {
			aerr = notFound
		}
		writeError(w, aerr)
		return
	}
	record := func(ev store.TriggerEvent) (*store.TriggerEvent, error) {
		ev.TriggerID, ev.AccountID = t.ID, t.AccountID
		return ts.BeginTriggerEvent(r.Context(), ev, s.triggerCaps(r.Context(), ts, t))
	}
	eventID := r.Header.Get("X-Shopify-Event-Id")
	if eventID == "" {
		eventID = r.Header.Get("X-Shopify-Webhook-Id")
	}
	if eventID == "" {
		eventID = r.Header.Get("Idempotency-Key")
	}
	if t.State != store.RuleActive {
		if eventID == "" {
			eventID = trigger.BodyEventID(body)
		}
		if _, err := record(store.TriggerEvent{EventID: eventID, Outcome: store.TriggerPaused, Reason: "the trigger is " + t.State}); err != nil {
			s.log.Error("trigger event: record", "trigger", t.ID, "err", err)
		}
		writeError(w, &apiError{Status: http.StatusConflict, Type: "conflict", Code: "trigger_" + t.State,
			Message: fmt.Sprintf("The trigger is %s; it makes no cards.", t.State)})
		return
	}
	mc, aerr := s.mapPayload(r.Context(), t, body)
	if mc != nil && mc.eventID != "" {
		eventID = mc.eventID
	}
	if eventID == "" {
		eventID = trigger.BodyEventID(body)
	}
	if len(eventID) > 200 {
		eventID = trigger.BodyEventID([]byte(eventID))
	}
	if aerr != nil {
		if aerr.Status < 500 {
			if _, err := record(store.TriggerEvent{EventID: eventID, Outcome: store.TriggerRefused, Reason: refusalReason(aerr), Field: aerr.Field}); err != nil {
				s.log.Error("trigger event: record", "trigger", t.ID, "err", err)
			}
		}
		writeError(w, aerr)
		return
	}
	ev, err := record(store.TriggerEvent{EventID: eventID, Outcome: store.TriggerAdmitted})
	if errors.Is(err, store.ErrDuplicate) && ev != nil {
		w.Header().Set("Idempotent-Replayed", "true")
		s.answerTriggerEvent(w, r, ev, http.StatusOK)
		return
	}
	if err != nil {
		s.log.Error("trigger event: record", "trigger", t.ID, "err", err)
		writeError(w, internalError())
		return
	}
	if ev.Outcome == store.TriggerCapped {
		w.Header().Set("Retry-After", "3600")
		writeError(w, &apiError{Status: http.StatusTooManyRequests, Type: "rate_limit", Code: "trigger_capped", Message: sentence(ev.Reason)})
		return
	}
	set, err := ts.GetTriggerSettings(r.Context(), t.AccountID)
	if err != nil {
		s.failTriggerEvent(w, r, ts, ev, err)
		return
	}
	nc := mc.nc
	nc.ApprovalRequired = set.HoldForApproval
	nc.Metadata[metaTriggerEvent] = eventID
	// The key carries the event id's digest, not the id: a mapping may build the id of personal
	// values, and the key outlives an erasure of the card.
	key := "trigger/" + t.ID + "/" + store.TriggerEventDigest(t.ID, eventID)
	nc.IdempotencyKey, nc.RequestHash = key, key
	c, err := s.store.CreateCard(r.Context(), nc)
	if errors.Is(err, store.ErrDuplicate) && c != nil {
		err = nil // made before a crash between card and record: the record catches up
	}
	if err != nil {
		s.failTriggerEvent(w, r, ts, ev, err)
		return
	}
	outcome, status := store.TriggerQueued, http.StatusCreated
	if c.ApprovalRequired {
		outcome, status = store.TriggerHeld, http.StatusAccepted
	}
	reason := ""
	if outcome == store.TriggerHeld {
		reason = "the account holds triggered cards for approval (POST /v1/cards/" + c.ID + "/approve)"
	}
	if err := ts.FinishTriggerEvent(r.Context(), ev.ID, outcome, reason, c.ID); err != nil {
		s.log.Error("trigger event: finish", "trigger", t.ID, "event", ev.ID, "err", err)
	}
	ev.Outcome, ev.Reason, ev.CardID = outcome, reason, c.ID
	s.kick()
	s.log.Info("trigger card", "trigger", t.ID, "event", eventID, "card", c.ID, "outcome", outcome)
	s.answerTriggerEvent(w, r, ev, status)
}

// refusalReason is what the list of calls keeps of a refused payload: the error's code and the
// payload fields at fault, never the message, which quotes the sender's values ("postal code
// Q7X9 is not …"): those are a person's data, and an erasure by email cannot find them in a
// sentence. The sender had the full message in its answer.
func refusalReason(aerr *apiError) string {
	var fields []string
	for _, f := range append([]string{aerr.Field}, problemFields(aerr.Problems)...) {
		if f != "" && !slices.Contains(fields, f) {
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 {
		return "the payload was refused: " + aerr.Code
	}
	return "the payload was refused: " + aerr.Code + " (" + strings.Join(fields, ", ") + ")"
}

func problemFields(ps []fieldProblem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Field
	}
	return out
}

func (s *Server) failTriggerEvent(w http.ResponseWriter, r *http.Request, ts store.TriggerStore, ev *store.TriggerEvent, err error) {
	s.log.Error("trigger event", "trigger", ev.TriggerID, "event", ev.EventID, "err", err)
	if ferr := ts.FinishTriggerEvent(r.Context(), ev.ID, store.TriggerFailed, "the card could not be stored; the sender's retry is processed afresh", ""); ferr != nil {
		s.log.Error("trigger event: finish", "event", ev.ID, "err", ferr)
	}
	writeError(w, internalError())
}

func (s *Server) answerTriggerEvent(w http.ResponseWriter, r *http.Request, ev *store.TriggerEvent, status int) {
	out := newTriggerEventResponse(ev)
	if ev.CardID != "" {
		if c, err := s.store.GetCard(r.Context(), ev.AccountID, ev.CardID); err == nil {
			cr := newCardResponse(c, nil)
			out.Card = &cr
		}
	}
	writeJSON(w, status, out)
}

// triggerCaps reads the caps that apply to a trigger, with the day and month in UTC.
func (s *Server) triggerCaps(ctx context.Context, ts store.TriggerStore, t *store.Trigger) store.TriggerCaps {
	now := s.clock.Now().UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	caps := store.TriggerCaps{TriggerDaily: t.DailyCap, TriggerMonthly: t.MonthlyCap, DayStart: day, MonthStart: day.AddDate(0, 0, 1-day.Day())}
	set, err := ts.GetTriggerSettings(ctx, t.AccountID)
	if err != nil {
		set = store.DefaultTriggerSettings(t.AccountID) // the stricter default stands in
	}
	caps.AccountDaily, caps.AccountMonthly = set.DailyCap, set.MonthlyCap
	return caps
}

// authenticateSender admits a call signed with the trigger's secret in one of the senders'
// formats, or made with an API key of the trigger's account in scope for it. Failures say what
// was expected, never what the signature should have been.
func (s *Server) authenticateSender(w http.ResponseWriter, r *http.Request, t *store.Trigger, body []byte) *apiError {
	bad := func(msg string) *apiError {
		return &apiError{Status: http.StatusUnauthorized, Type: "authentication", Code: "signature_invalid", Message: msg}
	}
	if wait, ok := s.limits.allow("trigger:" + t.ID); !ok {
		w.Header().Set("Retry-After", wait)
		return &apiError{Status: http.StatusTooManyRequests, Type: "rate_limit", Code: "rate_limited",
			Message: "Too many calls of this trigger; retry after " + wait + " s."}
	}
	switch {
	case r.Header.Get(trigger.ShopifyHeader) != "":
		if !trigger.VerifyShopify(t.Secret, body, r.Header.Get(trigger.ShopifyHeader)) {
			return bad("The " + trigger.ShopifyHeader + " signature does not match the trigger's secret.")
		}
		return nil
	case r.Header.Get(trigger.HubSpotHeader) != "":
		if err := trigger.VerifyHubSpot(t.Secret, r.Method, s.requestURIs(r), body, r.Header.Get(trigger.HubSpotTimestampHeader),
			r.Header.Get(trigger.HubSpotHeader), s.clock.Now()); err != nil {
			return bad(sentence(err.Error()))
		}
		return nil
	case r.Header.Get(trigger.GenericHeader) != "" || r.Header.Get(trigger.GenericHeaderAlt) != "":
		h := r.Header.Get(trigger.GenericHeader)
		if h == "" {
			h = r.Header.Get(trigger.GenericHeaderAlt)
		}
		if !trigger.VerifyGeneric(t.Secret, body, h) {
			return bad("The sha256= signature does not match the trigger's secret.")
		}
		return nil
	}
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || secret == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="quillpost"`)
		return &apiError{Status: http.StatusUnauthorized, Type: "authentication", Code: "missing_api_key",
			Message: "Sign the body with the trigger's secret (" + trigger.ShopifyHeader + ", " + trigger.HubSpotHeader + " or " +
				trigger.GenericHeader + ": sha256=…) or send an API key of the account as 'Authorization: Bearer qp_live_…'."}
	}
	p, err := s.store.Authenticate(r.Context(), strings.TrimSpace(secret))
	if errors.Is(err, store.ErrUnauthorized) {
		return &apiError{Status: http.StatusUnauthorized, Type: "authentication", Code: "invalid_api_key", Message: "The API key is not valid or has been revoked."}
	}
	if err != nil {
		s.log.Error("trigger event: authenticate", "err", err)
		return internalError()
	}
	if p.Account.ID != t.AccountID || p.Key.Kind == store.KeyOperator || !inScope(p, t.Test) {
		return &apiError{Status: http.StatusNotFound} // another account's trigger does not exist for this key
	}
	return nil
}

// requestURIs are the URLs the sender may have signed. With a public URL configured it is that
// URL with the request's path and query: a proxy in front may rewrite the Host header and strip a
// path prefix, so the Host the request came with is not what the sender called. Without one they
// are the Host the request came to, over https as it is served in production and over http for a
// local installation.
func (s *Server) requestURIs(r *http.Request) []string {
	if s.publicURL != "" {
		return []string{s.publicURL + r.URL.RequestURI()}
	}
	u := r.Host + r.URL.RequestURI()
	return []string{"https://" + u, "http://" + u}
}

// CheckPublicURL reports what keeps u from being a public URL of the API (Config.PublicURL):
// it must be an absolute http or https URL with a host, and without query, fragment or user.
func CheckPublicURL(u string) error {
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL: %w", u, err)
	case p.Scheme != "https" && p.Scheme != "http":
		return fmt.Errorf("%q must start with https:// (or http://)", u)
	case p.Host == "":
		return fmt.Errorf("%q names no host", u)
	case p.RawQuery != "" || p.Fragment != "" || p.User != nil || p.Opaque != "":
		return fmt.Errorf("%q must be scheme, host and at most a path, without query, fragment or user", u)
	}
	return nil
}

// testTrigger is POST /v1/triggers/{id}/test: a payload is mapped and validated as a call would
// be, without storing anything; the answer is the card that would be ordered, or the payload
// field that is missing. The web page's test console shows it with its proof.
func (s *Server) testTrigger(w http.ResponseWriter, r *http.Request) {
	ts, ok := s.triggerStore(w)
	if !ok {
		return
	}
	t, ok := s.triggerOr404(w, r, ts)
	if !ok {
		return
	}
	body, aerr := s.readBody(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	mc, aerr := s.mapPayload(r.Context(), t, body)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var to address.Address
	_ = json.Unmarshal(mc.nc.To, &to)
	writeJSON(w, http.StatusOK, map[string]any{"object": "trigger_test", "event_id": mc.result.EventID, "message": mc.nc.Message,
		"to": to, "variables": mc.result.Variables, "metadata": mc.nc.Metadata, "font": mc.nc.Font, "hand": mc.nc.Hand,
		"stock": mc.nc.Stock, "align": mc.nc.Align, "seed": mc.nc.Seed})
}
