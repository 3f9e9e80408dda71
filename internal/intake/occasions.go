package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/quillpost/quillpost/internal/address"
	"github.com/quillpost/quillpost/internal/calendar"
	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/store"
)

// Occasions: an account keeps people with dates (birthday, customer since, any named date) and
// rules "for occasion X, write template T so that it arrives N days before"; the occasion
// scheduler (occasionscheduler.go) queues each card on its writing day, once per year.

// maxOccasionName bounds an occasion's name ("birthday", "customer_since", "name_day").
const maxOccasionName = 40

// occasionRecipientResponse is a recipient as the API shows it.
type occasionRecipientResponse struct {
	ID        string            `json:"id"`
	Object    string            `json:"object"`
	Key       string            `json:"key"`
	Test      bool              `json:"test"`
	To        json.RawMessage   `json:"to"`
	Variables map[string]string `json:"variables"`
	Metadata  map[string]string `json:"metadata"`
	Email     string            `json:"email,omitempty"`
	Dates     map[string]string `json:"dates"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

func newOccasionRecipientResponse(r *store.OccasionRecipient) occasionRecipientResponse {
	out := occasionRecipientResponse{ID: r.ID, Object: "occasion_recipient", Key: r.Key, Test: r.Test, To: r.To,
		Variables: r.Variables, Metadata: r.Metadata, Email: r.Email, Dates: r.Dates, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	for _, m := range []*map[string]string{&out.Variables, &out.Metadata, &out.Dates} {
		if *m == nil {
			*m = map[string]string{}
		}
	}
	return out
}

func (s *Server) occasionStore(w http.ResponseWriter) (store.OccasionStore, bool) {
	os, ok := s.store.(store.OccasionStore)
	if !ok {
		writeError(w, unsupported())
	}
	return os, ok
}

// checkPerson turns a parsed row into a recipient, or the row's problems: key, label font,
// merge values, metadata and every date.
func checkPerson(p *store.Principal, pr personRow) (store.OccasionRecipient, []rowProblem) {
	var probs []rowProblem
	prob := func(field, code, reason string) {
		probs = append(probs, rowProblem{Row: pr.row, Field: field, Code: code, Reason: reason})
	}
	key := pr.key
	if key == "" && pr.email != "" {
		key = "email:" + normEmail(pr.email)
	}
	switch {
	case key == "":
		prob("key", "key_missing", "The key (your own id of this person) is missing; give a key or an email.")
	case len(key) > 200:
		prob("key", "key_invalid", "The key is longer than 200 characters.")
	}
	if aerr := checkLabelFont("to", pr.to); aerr != nil {
		for _, p := range aerr.Problems {
			prob(p.Field, aerr.Code, sentence(p.Reason))
		}
	}
	for k, v := range pr.vars {
		if _, bad := badValueRune(v); bad || len(v) > maxVarValue || !validVarName(normVarName(k)) {
			prob(k, "variable_invalid", fmt.Sprintf("The value of %s must be one line of text of at most %d bytes, under a name of letters, digits and _.", k, maxVarValue))
		}
	}
	if aerr := checkMetadata(pr.metadata); aerr != nil {
		prob(aerr.Field, "metadata_invalid", aerr.Message)
	}
	dates := map[string]string{}
	for name, raw := range pr.dates {
		if !validVarName(name) || len(name) > maxOccasionName {
			prob(raw.field, "date_name_invalid", fmt.Sprintf("%q is not an occasion name (letters, digits and _, up to %d characters).", name, maxOccasionName))
			continue
		}
		d, err := calendar.ParseDate(raw.value)
		if err != nil {
			prob(raw.field, "date_invalid", sentence(err.Error()))
			continue
		}
		dates[name] = d.String()
	}
	if len(probs) > 0 {
		sortProblems(probs)
		return store.OccasionRecipient{}, probs
	}
	to := address.Normalize(pr.to)
	vars := map[string]string{}
	for k, v := range pr.vars {
		vars[normVarName(k)] = cleanValue(v)
	}
	return store.OccasionRecipient{AccountID: p.Account.ID, Test: testOnly(p), Key: key, To: jsonObject(to),
		Variables: vars, Metadata: pr.metadata, Email: pr.email, Dates: dates}, nil
}

// importOccasionRecipients is POST /v1/occasions/recipients with a JSON array or CSV: people are
// added, or updated where their key is known. Bad rows are listed with row, field and reason, as
// for campaign recipients; the good ones are stored in one transaction.
func (s *Server) importOccasionRecipients(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	os, ok := s.occasionStore(w)
	if !ok {
		return
	}
	body, aerr := readLimited(w, r, s.maxCSV)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	process := func() (int, any) {
		ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		rows, problems, aerr := readPeople(ctype, body)
		if aerr != nil {
			return aerr.Status, errorBody(aerr)
		}
		var good []store.OccasionRecipient
		var goodRows []int
		seen := map[string]int{}
		for _, pr := range rows {
			rec, probs := checkPerson(p, pr)
			if len(probs) > 0 {
				problems = append(problems, probs...)
				continue
			}
			if first, dup := seen[rec.Key]; dup {
				problems = append(problems, rowProblem{Row: pr.row, Field: "key", Code: "key_duplicate",
					Reason: fmt.Sprintf("The key %q is already used by row %d of this upload.", rec.Key, first)})
				continue
			}
			seen[rec.Key] = pr.row
			good = append(good, rec)
			goodRows = append(goodRows, pr.row)
		}
		sortProblems(problems)
		if len(good) == 0 {
			e := invalid("", "recipients_invalid", "No recipient could be accepted; every row has a problem (see problems).")
			for _, pr := range problems {
				e.Problems = append(e.Problems, fieldProblem{Row: pr.Row, Field: pr.Field, Reason: pr.Reason})
			}
			if len(problems) == 0 {
				e.Message = "The upload holds no recipients."
			}
			return e.Status, errorBody(e)
		}
		stored, err := os.PutOccasionRecipients(r.Context(), good)
		if err != nil {
			s.log.Error("put occasion recipients", "account", p.Account.ID, "err", err)
			return http.StatusInternalServerError, nil
		}
		type rowID struct {
			Row int    `json:"row"`
			ID  string `json:"id"`
			Key string `json:"key"`
		}
		out := struct {
			Object     string       `json:"object"`
			Accepted   int          `json:"accepted"`
			Rejected   int          `json:"rejected"`
			Recipients []rowID      `json:"recipients"`
			Errors     []rowProblem `json:"errors"`
		}{Object: "occasion_recipient_batch", Accepted: len(stored), Rejected: countRows(problems), Recipients: []rowID{}, Errors: problems}
		if out.Errors == nil {
			out.Errors = []rowProblem{}
		}
		for i, st := range stored {
			out.Recipients = append(out.Recipients, rowID{Row: goodRows[i], ID: st.ID, Key: st.Key})
		}
		s.log.Info("occasion recipients stored", "account", p.Account.ID, "accepted", out.Accepted, "rejected", out.Rejected)
		return http.StatusCreated, out
	}
	// Without an Idempotency-Key it is still safe: storing by key is idempotent by itself, so the
	// same upload again changes nothing.
	s.answerOnce(w, r, p, body, process)
}

// occasionRecipientOr404 reads the caller's recipient named in the path.
func (s *Server) occasionRecipientOr404(w http.ResponseWriter, r *http.Request, os store.OccasionStore) (*store.OccasionRecipient, bool) {
	return ownedOr404(s, w, r, os.GetOccasionRecipient, func(rec *store.OccasionRecipient) bool { return rec.Test }, "recipient_not_found", "occasion recipient")
}

func (s *Server) getOccasionRecipient(w http.ResponseWriter, r *http.Request) {
	os, ok := s.occasionStore(w)
	if !ok {
		return
	}
	if rec, ok := s.occasionRecipientOr404(w, r, os); ok {
		writeJSON(w, http.StatusOK, newOccasionRecipientResponse(rec))
	}
}

// updateOccasionRecipient is PUT /v1/occasions/recipients/{id}: the address, variables, metadata,
// email and dates are replaced by the body's (the key stays).
func (s *Server) updateOccasionRecipient(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	os, ok := s.occasionStore(w)
	if !ok {
		return
	}
	rec, ok := s.occasionRecipientOr404(w, r, os)
	if !ok {
		return
	}
	body, aerr := s.readBody(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var req personJSON
	if aerr := decodeJSON(body, &req); aerr != nil {
		writeError(w, aerr)
		return
	}
	if req.Key != "" && req.Key != rec.Key {
		writeError(w, invalid("key", "key_immutable", "The key of a recipient cannot change; import the person under the new key and delete this one."))
		return
	}
	if req.To == nil {
		writeError(w, invalid("to", "address_missing", "The recipient address (to) is missing."))
		return
	}
	if aerr := checkAddress("to", *req.To); aerr != nil {
		writeError(w, aerr)
		return
	}
	pr := personRow{row: 1, key: rec.Key, to: *req.To, vars: req.Variables, metadata: req.Metadata, email: req.Email, dates: map[string]rawDate{}}
	for name, v := range req.Dates {
		pr.dates[normVarName(name)] = rawDate{"dates." + name, v}
	}
	next, probs := checkPerson(p, pr)
	if len(probs) > 0 {
		e := invalid(probs[0].Field, probs[0].Code, probs[0].Reason)
		for _, pb := range probs {
			e.Problems = append(e.Problems, fieldProblem{Field: pb.Field, Reason: pb.Reason})
		}
		writeError(w, e)
		return
	}
	next.Test = rec.Test
	stored, err := os.PutOccasionRecipients(r.Context(), []store.OccasionRecipient{next})
	if err != nil {
		s.log.Error("update occasion recipient", "id", rec.ID, "err", err)
		writeError(w, internalError())
		return
	}
	writeJSON(w, http.StatusOK, newOccasionRecipientResponse(stored[0]))
}

// deleteOccasionRecipient is DELETE /v1/occasions/recipients/{id}: the person is removed and gets
// no card any more; their occasion cards not yet being written are cancelled.
func (s *Server) deleteOccasionRecipient(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	os, ok := s.occasionStore(w)
	if !ok {
		return
	}
	rec, ok := s.occasionRecipientOr404(w, r, os)
	if !ok {
		return
	}
	if _, err := os.DeleteOccasionRecipients(r.Context(), p.Account.ID, rec.ID); err != nil {
		s.log.Error("delete occasion recipient", "id", rec.ID, "err", err)
		writeError(w, internalError())
		return
	}
	cancelled, _, err := s.cancelUnwritten(r.Context(), p.Account.ID, map[string]string{metaOccasionRecipient: rec.ID}, "occasion.recipient_deleted")
	if err != nil {
		s.log.Error("cancel occasion cards", "recipient", rec.ID, "err", err)
		writeError(w, internalError())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": rec.ID, "object": "occasion_recipient", "deleted": true, "cards_cancelled": cancelled})
}

// listOccasionRecipients is GET /v1/occasions/recipients?limit=&after=.
func (s *Server) listOccasionRecipients(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	os, ok := s.occasionStore(w)
	if !ok {
		return
	}
	limit, aerr := parseLimit(r.URL.Query())
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	f := store.OccasionFilter{After: r.URL.Query().Get("after"), Limit: limit}
	if testOnly(p) {
		f.Test = new(true)
	}
	recs, next, err := os.ListOccasionRecipients(r.Context(), p.Account.ID, f)
	if err != nil {
		s.log.Error("list occasion recipients", "err", err)
		writeError(w, internalError())
		return
	}
	out := struct {
		Object string                      `json:"object"`
		Data   []occasionRecipientResponse `json:"data"`
		Next   string                      `json:"next,omitempty"`
	}{Object: "list", Data: []occasionRecipientResponse{}, Next: next}
	for _, rec := range recs {
		out.Data = append(out.Data, newOccasionRecipientResponse(rec))
	}
	writeJSON(w, http.StatusOK, out)
}

// Metadata keys every occasion card carries, so that a CRM (and cancellation) finds them.
const (
	metaOccasionRule      = "occasion_rule"
	metaOccasionRecipient = "occasion_recipient"
	metaOccasion          = "occasion"
	metaOccasionDate      = "occasion_date"
)

// occasionRuleRequest is the body of POST /v1/occasions/rules.
type occasionRuleRequest struct {
	Name              string            `json:"name"`
	Occasion          string            `json:"occasion"`
	DaysBefore        *int              `json:"days_before"`
	Template          string            `json:"template"`
	RequiredVariables []string          `json:"required_variables"`
	Font              string            `json:"font"`
	Hand              string            `json:"hand"`
	Stock             string            `json:"stock"`
	Align             string            `json:"align"`
	From              *address.Address  `json:"from"`
	Metadata          map[string]string `json:"metadata"`
	// SenderCountry and SenderRegion choose the holiday calendar (default: the from address's
	// country, else DE, and no region: federal holidays only).
	SenderCountry string `json:"sender_country"`
	SenderRegion  string `json:"sender_region"`
}

// occasionSpec is a rule's spec as stored: the campaign's card spec and the sender's calendar.
type occasionSpec struct {
	campaignSpec
	SenderCountry string `json:"sender_country"`
	SenderRegion  string `json:"sender_region,omitempty"`
}

type occasionRuleResponse struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	Name              string            `json:"name"`
	Occasion          string            `json:"occasion"`
	DaysBefore        int               `json:"days_before"`
	State             string            `json:"state"`
	Test              bool              `json:"test"`
	Template          string            `json:"template"`
	RequiredVariables []string          `json:"required_variables"`
	Font              string            `json:"font"`
	Hand              string            `json:"hand"`
	Stock             string            `json:"stock"`
	From              *address.Address  `json:"from,omitempty"`
	Metadata          map[string]string `json:"metadata"`
	SenderCountry     string            `json:"sender_country"`
	SenderRegion      string            `json:"sender_region,omitempty"`
	CreatedAt         time.Time         `json:"created_at"`
	UpdatedAt         time.Time         `json:"updated_at"`
}

func newOccasionRuleResponse(r *store.OccasionRule) (occasionRuleResponse, error) {
	var spec occasionSpec
	if err := json.Unmarshal(r.Spec, &spec); err != nil {
		return occasionRuleResponse{}, fmt.Errorf("occasion rule %s spec: %w", r.ID, err)
	}
	out := occasionRuleResponse{ID: r.ID, Object: "occasion_rule", Name: r.Name, Occasion: r.Occasion, DaysBefore: r.DaysBefore,
		State: r.State, Test: r.Test, Template: spec.Template, RequiredVariables: spec.RequiredVariables, Font: spec.Font,
		Hand: spec.Hand, Stock: spec.Stock, From: spec.From, Metadata: spec.Metadata, SenderCountry: spec.SenderCountry,
		SenderRegion: spec.SenderRegion, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if out.RequiredVariables == nil {
		out.RequiredVariables = []string{}
	}
	if out.Metadata == nil {
		out.Metadata = map[string]string{}
	}
	return out, nil
}

// checkOccasionRule validates a rule as a campaign is validated (template, face, stock, sender)
// and adds the occasion, the lead time and the sender's calendar.
func checkOccasionRule(req *occasionRuleRequest, find cardspec.FaceFinder) (occasionSpec, int, *apiError) {
	occ := normVarName(req.Occasion)
	if !validVarName(occ) || len(occ) > maxOccasionName {
		return occasionSpec{}, 0, invalid("occasion", "occasion_invalid",
			fmt.Sprintf("The occasion must be a name of letters, digits and _ (up to %d characters), such as birthday or customer_since.", maxOccasionName))
	}
	req.Occasion = occ
	if req.DaysBefore == nil || *req.DaysBefore < 0 || *req.DaysBefore > 60 {
		return occasionSpec{}, 0, invalid("days_before", "days_before_invalid", "Give days_before: how many days before the date the card should arrive, from 0 to 60.")
	}
	for k := range req.Metadata {
		if strings.HasPrefix(k, "occasion") {
			return occasionSpec{}, 0, invalid("metadata."+k, "metadata_invalid", "Metadata keys starting with occasion are set by quillpost on every occasion card.")
		}
	}
	cs, aerr := checkCampaign(&campaignRequest{Name: req.Name, Template: req.Template, RequiredVariables: req.RequiredVariables,
		Font: req.Font, Hand: req.Hand, Stock: req.Stock, Align: req.Align, From: req.From, Metadata: req.Metadata}, find)
	if aerr != nil {
		if aerr.Field == "name" {
			aerr.Message = "The rule needs a name of 1 to 200 characters."
		}
		return occasionSpec{}, 0, aerr
	}
	spec := occasionSpec{campaignSpec: cs, SenderCountry: strings.ToUpper(strings.TrimSpace(req.SenderCountry)),
		SenderRegion: strings.ToUpper(strings.TrimSpace(req.SenderRegion))}
	if spec.SenderCountry == "" && cs.From != nil {
		spec.SenderCountry = cs.From.Country
	}
	if spec.SenderCountry == "" {
		spec.SenderCountry = "DE"
	}
	if _, err := calendar.New(spec.SenderCountry, spec.SenderRegion); err != nil {
		field := "sender_country"
		if spec.SenderRegion != "" && strings.Contains(err.Error(), "region") {
			field = "sender_region"
		}
		return occasionSpec{}, 0, invalid(field, field+"_invalid", sentence(err.Error()))
	}
	return spec, *req.DaysBefore, nil
}

// createOccasionRule is POST /v1/occasions/rules.
func (s *Server) createOccasionRule(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	os, ok := s.occasionStore(w)
	if !ok {
		return
	}
	body, aerr := s.readBody(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	s.idempotent(w, r, p, body, func() (int, any) {
		var req occasionRuleRequest
		if aerr := decodeJSON(body, &req); aerr != nil {
			return aerr.Status, errorBody(aerr)
		}
		spec, days, aerr := checkOccasionRule(&req, s.findFace(r.Context(), p))
		if aerr != nil {
			return aerr.Status, errorBody(aerr)
		}
		spec.Test = testOnly(p)
		rule, err := os.CreateOccasionRule(r.Context(), store.OccasionRule{AccountID: p.Account.ID, Test: spec.Test, Name: req.Name,
			Occasion: req.Occasion, DaysBefore: days, State: store.RuleActive, Spec: jsonObject(spec)})
		if err != nil {
			s.log.Error("create occasion rule", "account", p.Account.ID, "err", err)
			return http.StatusInternalServerError, nil
		}
		out, err := newOccasionRuleResponse(rule)
		if err != nil {
			return http.StatusInternalServerError, nil
		}
		return http.StatusCreated, out
	})
}

func (s *Server) occasionRuleOr404(w http.ResponseWriter, r *http.Request, os store.OccasionStore) (*store.OccasionRule, bool) {
	return ownedOr404(s, w, r, os.GetOccasionRule, func(rule *store.OccasionRule) bool { return rule.Test }, "rule_not_found", "occasion rule")
}

func (s *Server) writeOccasionRule(w http.ResponseWriter, status int, rule *store.OccasionRule, extra map[string]any) {
	out, err := newOccasionRuleResponse(rule)
	if err != nil {
		s.log.Error("occasion rule response", "err", err)
		writeError(w, internalError())
		return
	}
	if extra == nil {
		writeJSON(w, status, out)
		return
	}
	b, _ := json.Marshal(out)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for k, v := range extra {
		m[k] = v
	}
	writeJSON(w, status, m)
}

func (s *Server) getOccasionRule(w http.ResponseWriter, r *http.Request) {
	os, ok := s.occasionStore(w)
	if !ok {
		return
	}
	if rule, ok := s.occasionRuleOr404(w, r, os); ok {
		s.writeOccasionRule(w, http.StatusOK, rule, nil)
	}
}

// listOccasionRules is GET /v1/occasions/rules?state=&limit=&after=.
func (s *Server) listOccasionRules(w http.ResponseWriter, r *http.Request) {
	if os, ok := s.occasionStore(w); ok {
		listRules(s, w, r, os.ListOccasionRules, newOccasionRuleResponse, "occasion rule")
	}
}

// setOccasionRuleState is POST /v1/occasions/rules/{id}/pause|resume|cancel. Pausing stops new
// cards (those already queued are written); cancelling also cancels every card of the rule not
// yet being written, each with its event and webhook, and cannot be undone.
func (s *Server) setOccasionRuleState(to string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		os, ok := s.occasionStore(w)
		if !ok {
			return
		}
		rule, ok := s.occasionRuleOr404(w, r, os)
		if !ok {
			return
		}
		rule, n, busy, ok := setRuleState(s, w, r, occasionRuleKind, to, rule, os.UpdateOccasionRule)
		if !ok {
			return
		}
		var extra map[string]any
		if to == store.RuleCancelled {
			extra = map[string]any{"cards_cancelled": n, "cards_being_written": busy}
		}
		s.writeOccasionRule(w, http.StatusOK, rule, extra)
	}
}

var occasionRuleKind = ruleKind[store.OccasionRule]{
	name: "occasion rule",
	meta: metaOccasionRule,
	conflict: &apiError{Status: http.StatusConflict, Type: "conflict", Code: "rule_cancelled",
		Message: "The rule was cancelled; a cancelled rule cannot be paused or resumed. Create a new rule."},
	state: func(r *store.OccasionRule) *string { return &r.State },
	id:    func(r *store.OccasionRule) string { return r.ID },
}

// cancelUnwritten cancels the account's cards with the given metadata that no robot has started:
// each through Transition, so each gets its event and webhook. Cards being written are counted
// as busy and left to finish.
func (s *Server) cancelUnwritten(ctx context.Context, accountID string, meta map[string]string, cause string) (cancelled, busy int, err error) {
	return s.cancelCards(ctx, accountID, store.CardFilter{Metadata: meta}, cause)
}

// cancelCards is cancelUnwritten for any card filter.
func (s *Server) cancelCards(ctx context.Context, accountID string, f store.CardFilter, cause string) (cancelled, busy int, err error) {
	f.Statuses = []store.Status{store.StatusAccepted, store.StatusQueued, store.StatusPlotting, store.StatusSpoiled, store.StatusFailed}
	f.Limit = 1000
	var ids []*store.Card
	for {
		page, err := s.store.ListCards(ctx, accountID, f)
		if err != nil {
			return 0, 0, err
		}
		ids = append(ids, page.Cards...)
		if page.Next == "" {
			break
		}
		f.After = page.Next
	}
	for _, c := range ids {
		if c.Status == store.StatusPlotting {
			busy++
			continue
		}
		_, err := s.store.Transition(ctx, store.Change{CardID: c.ID, AccountID: accountID, From: c.Status, To: store.StatusCancelled, Cause: cause})
		switch {
		case errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrInvalidTransition):
			busy++ // a robot took it meanwhile
		case err != nil:
			return cancelled, busy, fmt.Errorf("cancel card %s: %w", c.ID, err)
		default:
			cancelled++
		}
	}
	return cancelled, busy, nil
}

// eraseOccasionRecipients removes the caller's occasion recipients whose email (normalised) or
// metadata matches an erasure request; it returns how many.
func (s *Server) eraseOccasionRecipients(ctx context.Context, p *store.Principal, email string, match map[string]string) (int, error) {
	os, ok := s.store.(store.OccasionStore)
	if !ok {
		return 0, nil
	}
	f := store.OccasionFilter{Limit: 1000}
	if testOnly(p) {
		f.Test = new(true)
	}
	var ids []string
	for {
		recs, next, err := os.ListOccasionRecipients(ctx, p.Account.ID, f)
		if err != nil {
			return 0, err
		}
		for _, rec := range recs {
			hit := email == "" || normEmail(rec.Email) == email
			for k, v := range match {
				hit = hit && rec.Metadata[k] == v
			}
			if hit {
				ids = append(ids, rec.ID)
			}
		}
		if next == "" {
			break
		}
		f.After = next
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return os.DeleteOccasionRecipients(ctx, p.Account.ID, ids...)
}
