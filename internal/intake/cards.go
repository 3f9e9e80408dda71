package intake

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/quillpost/quillpost/internal/address"
	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/hand"
	"github.com/quillpost/quillpost/internal/sheets"
	"github.com/quillpost/quillpost/internal/store"
)

// cardRequest is the body of POST /v1/cards.
type cardRequest struct {
	Message string `json:"message"`
	// Template with Variables is the alternative to Message: {{name}} and {{name|default}} fields
	// are filled from Variables (as data, never as template code).
	Template         string            `json:"template"`
	Variables        map[string]string `json:"variables"`
	Font             string            `json:"font"`
	Hand             string            `json:"hand"`
	Stock            string            `json:"stock"`
	Align            string            `json:"align"`
	Seed             *uint64           `json:"seed"`
	To               *address.Address  `json:"to"`
	From             *address.Address  `json:"from"`
	Metadata         map[string]string `json:"metadata"`
	ApprovalRequired bool              `json:"approval_required"`
	SendDate         *string           `json:"send_date"` // RFC 3339 or a plain date
	// SendAsEntered posts the recipient address as given even though it fails validation; the
	// override and the problems it overrode are recorded in the card's acceptance event.
	SendAsEntered bool `json:"send_as_entered"`
}

// maxSeed keeps seeds exact in JavaScript clients (2^53).
const maxSeed = 1 << 53

// Limits on metadata, which carries the CRM's own ids.
const (
	maxMetadataKeys  = 20
	maxMetadataKey   = 40
	maxMetadataValue = 500
)

// cardResponse is a card as the API shows it.
type cardResponse struct {
	ID               string            `json:"id"`
	Object           string            `json:"object"`
	Status           store.Status      `json:"status"`
	Test             bool              `json:"test"`
	Seed             uint64            `json:"seed"`
	Message          string            `json:"message"`
	Font             string            `json:"font"`
	Hand             string            `json:"hand"`
	Stock            string            `json:"stock"`
	Format           string            `json:"format"`
	StrokeHash       string            `json:"stroke_hash"`
	To               json.RawMessage   `json:"to"`
	From             json.RawMessage   `json:"from,omitempty"`
	Metadata         map[string]string `json:"metadata"`
	CampaignID       string            `json:"campaign_id,omitempty"`
	Attempts         int               `json:"attempts"`
	ApprovalRequired bool              `json:"approval_required"`
	// ProofChanged: the renderer was upgraded and no longer draws the approved proof; the card
	// waits for approval of the new one (its preview).
	ProofChanged  bool            `json:"proof_changed"`
	RenderVersion int             `json:"render_version"`
	SendDate      *time.Time      `json:"send_date,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
	Events        []eventResponse `json:"events,omitempty"`
}

type eventResponse struct {
	ID        string       `json:"id"`
	From      store.Status `json:"from"`
	To        store.Status `json:"to"`
	Cause     string       `json:"cause"`
	Detail    string       `json:"detail,omitempty"`
	Attempt   int          `json:"attempt"`
	CreatedAt time.Time    `json:"created_at"`
}

func newCardResponse(c *store.Card, events []store.Event) cardResponse {
	r := cardResponse{
		ID: c.ID, Object: "card", Status: c.Status, Test: c.Test, Seed: c.Seed, Message: c.Message,
		Font: c.Font, Hand: c.Hand, Stock: c.Stock, Format: c.Format, StrokeHash: c.StrokeHash,
		To: c.To, Metadata: c.Metadata, CampaignID: c.CampaignID, Attempts: c.Attempts,
		ApprovalRequired: c.ApprovalRequired, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		ProofChanged: c.ProofChanged, RenderVersion: c.RenderVersion,
	}
	if len(c.From) > 0 && string(c.From) != "null" {
		r.From = c.From
	}
	if r.Metadata == nil {
		r.Metadata = map[string]string{}
	}
	if !c.SendDate.IsZero() {
		t := c.SendDate
		r.SendDate = &t
	}
	for _, e := range events {
		r.Events = append(r.Events, eventResponse{ID: e.ID, From: e.From, To: e.To, Cause: e.Cause,
			Detail: e.Detail, Attempt: e.Attempt, CreatedAt: e.CreatedAt})
	}
	return r
}

// createCard accepts a card in one database transaction. Its idempotency is kept by the card
// itself (a unique key per account, with the request's hash), not by a separate record: a retry
// finds the card and is answered from it, and a concurrent duplicate loses the insert and is
// answered the same way. A rejected request is not recorded: the same body is rejected again.
func (s *Server) createCard(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	body, aerr := s.readBody(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	key, hash, aerr := idempotencyOf(r, body)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	nc, aerr := s.validateCard(r.Context(), p, body)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	nc.IdempotencyKey, nc.RequestHash = key, hash
	c, err := s.store.CreateCard(r.Context(), nc)
	replay := errors.Is(err, store.ErrDuplicate) && c != nil
	if replay && c.RequestHash != hash {
		writeError(w, errKeyReuse)
		return
	}
	if err != nil && !replay {
		s.log.Error("create card", "account", p.Account.ID, "err", err)
		writeError(w, internalError())
		return
	}
	events, err := s.store.Events(r.Context(), p.Account.ID, c.ID)
	if err != nil {
		s.log.Error("card events", "card", c.ID, "err", err)
		writeError(w, internalError())
		return
	}
	if replay {
		w.Header().Set("Idempotent-Replayed", "true")
	} else {
		s.kick()
		s.log.Info("card accepted", "card", c.ID, "account", p.Account.ID, "status", c.Status, "test", c.Test)
	}
	writeJSON(w, http.StatusCreated, newCardResponse(c, events))
}

var errKeyReuse = &apiError{Status: http.StatusUnprocessableEntity, Type: "invalid_request", Code: "idempotency_key_reuse",
	Message: "This Idempotency-Key was already used with a different request; use a new key for a new request."}

// idempotencyOf reads the request's Idempotency-Key and hashes the request it guards.
func idempotencyOf(r *http.Request, body []byte) (key, hash string, aerr *apiError) {
	key = r.Header.Get("Idempotency-Key")
	if key == "" {
		return "", "", &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "idempotency_key_missing",
			Message: "The Idempotency-Key header is required, so that a retried request is never carried out twice."}
	}
	if len(key) > 255 {
		return "", "", &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "idempotency_key_invalid",
			Message: "The Idempotency-Key header is longer than 255 characters."}
	}
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
	return key, hex.EncodeToString(sum[:]), nil
}

// readBody reads a bounded request body.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	return readLimited(w, r, s.maxBody)
}

func readLimited(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &apiError{Status: http.StatusRequestEntityTooLarge, Type: "invalid_request", Code: "body_too_large",
			Message: fmt.Sprintf("The request body is larger than %d bytes.", limit)}
	}
	if err != nil {
		return nil, &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "body_unreadable",
			Message: "The request body could not be read."}
	}
	return body, nil
}

// answerOnce answers process's result, recorded under the request's Idempotency-Key when it has
// one (see idempotent); without the header it just runs. A server error answers the generic 500.
func (s *Server) answerOnce(w http.ResponseWriter, r *http.Request, p *store.Principal, body []byte, process func() (int, any)) {
	if r.Header.Get("Idempotency-Key") == "" {
		status, v := process()
		if status >= 500 {
			writeError(w, internalError())
			return
		}
		writeJSON(w, status, v)
		return
	}
	s.idempotent(w, r, p, body, process)
}

// idempotent runs process once per (account, Idempotency-Key): a replay with the same body gets
// the recorded response, the same key with another body is refused. Server errors are not
// recorded, so that the client's retry is processed afresh.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, p *store.Principal, body []byte, process func() (int, any)) {
	key, hash, aerr := idempotencyOf(r, body)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	rec, fresh, err := s.store.BeginIdempotent(r.Context(), p.Account.ID, key, hash, idempotencyStaleAfter)
	if err != nil {
		s.log.Error("begin idempotent", "account", p.Account.ID, "err", err)
		writeError(w, internalError())
		return
	}
	if !fresh {
		switch {
		case rec.RequestHash != hash:
			writeError(w, errKeyReuse)
		case rec.Done():
			w.Header().Set("Idempotent-Replayed", "true")
			writeRaw(w, rec.StatusCode, bytes.TrimSuffix(rec.Body, []byte("\n")))
		default:
			writeError(w, &apiError{Status: http.StatusConflict, Type: "conflict", Code: "request_in_progress",
				Message: "A request with this Idempotency-Key is still being processed; retry in a moment."})
		}
		return
	}
	status, v := process()
	if status >= 500 {
		// Also when the client is gone (its context cancelled): the key must be free for its retry.
		if err := s.store.AbandonIdempotent(context.WithoutCancel(r.Context()), p.Account.ID, key); err != nil {
			s.log.Error("abandon idempotent", "account", p.Account.ID, "err", err)
		}
		writeError(w, internalError())
		return
	}
	out, err := json.Marshal(v)
	if err != nil {
		writeError(w, internalError())
		return
	}
	// Recorded even when the client left meanwhile: its retry must get this answer.
	if err := s.store.FinishIdempotent(context.WithoutCancel(r.Context()), p.Account.ID, key, status, out); err != nil {
		s.log.Error("finish idempotent", "account", p.Account.ID, "err", err)
	}
	writeRaw(w, status, out)
}

// decodeJSON decodes one JSON value strictly (unknown fields are errors).
func decodeJSON(body []byte, v any) *apiError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "body_invalid",
			Message: "The request body holds more than one JSON value."}
	}
	return nil
}

// messageOf returns the card's text: the message, or the template merged with the variables.
func messageOf(req *cardRequest) (string, *apiError) {
	if req.Template != "" {
		if req.Message != "" {
			return "", invalid("template", "template_and_message", "Send either a message or a template with variables, not both.")
		}
		t, err := parseTemplate(req.Template)
		if err != nil {
			return "", invalid("template", "template_invalid", err.Error())
		}
		msg, fe := t.merge(req.Variables, nil)
		if fe != nil {
			return "", invalid("variables."+fe.Field, fe.code(), fe.Reason)
		}
		return msg, nil
	}
	if len(req.Variables) > 0 {
		return "", invalid("variables", "variables_without_template", "Variables are only used with a template.")
	}
	return req.Message, nil
}

// newSeed draws a seed below 2^53.
func newSeed() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) % maxSeed
}

// validateCard checks an order completely — JSON, names, text, addresses — and renders its proof.
func (s *Server) validateCard(ctx context.Context, p *store.Principal, body []byte) (store.NewCard, *apiError) {
	var req cardRequest
	if aerr := decodeJSON(body, &req); aerr != nil {
		return store.NewCard{}, aerr
	}
	msg, aerr := messageOf(&req)
	if aerr != nil {
		return store.NewCard{}, aerr
	}
	if strings.TrimSpace(msg) == "" {
		return store.NewCard{}, invalid("message", "message_missing", "The message is empty; write the text the card should carry.")
	}
	if req.To == nil {
		return store.NewCard{}, invalid("to", "address_missing", "The recipient address (to) is missing.")
	}
	// The label font is checked before anything else: "send as entered" cannot override it,
	// because a label that cannot be printed cannot be posted at all.
	if aerr := checkLabelFont("to", *req.To); aerr != nil {
		return store.NewCard{}, aerr
	}
	note := ""
	if aerr := checkAddress("to", *req.To); aerr != nil {
		if !req.SendAsEntered || !postableAsEntered(*req.To) {
			return store.NewCard{}, aerr
		}
		var reasons []string
		for _, pr := range aerr.Problems {
			reasons = append(reasons, pr.Field+": "+pr.Reason)
		}
		note = "address sent as entered (send_as_entered) despite: " + strings.Join(reasons, "; ")
	}
	if req.From != nil {
		if aerr := checkAddress("from", *req.From); aerr != nil {
			return store.NewCard{}, aerr
		}
	}
	if aerr := checkMetadata(req.Metadata); aerr != nil {
		return store.NewCard{}, aerr
	}
	var seed uint64
	if req.Seed != nil {
		if *req.Seed >= maxSeed {
			return store.NewCard{}, invalid("seed", "seed_invalid", "The seed must be below 2^53, so that every client reads it exactly.")
		}
		seed = *req.Seed
	} else {
		seed = newSeed()
	}
	spec := cardspec.Spec{Message: msg, Font: req.Font, Hand: req.Hand, Stock: req.Stock, Align: req.Align, Seed: seed}.WithDefaults()
	card, spec, err := cardspec.SummaryWith(spec, s.findFace(ctx, p))
	if err != nil {
		return store.NewCard{}, renderError(err)
	}
	if aerr := checkStock(spec.Stock); aerr != nil {
		return store.NewCard{}, aerr
	}
	to := *req.To
	if note == "" {
		to = address.Normalize(to)
	}
	toJSON, _ := json.Marshal(to)
	var from json.RawMessage
	if req.From != nil {
		from, _ = json.Marshal(address.Normalize(*req.From))
	}
	nc := store.NewCard{
		AccountID: p.Account.ID, Test: p.Key.Kind == store.KeyTest,
		Message: msg, Font: spec.Font, Hand: spec.Hand, Stock: spec.Stock, Format: card.Format.Name, Align: spec.Align,
		Seed: seed, StrokeHash: card.Hash, RenderVersion: cardspec.RenderVersion, To: toJSON, From: from, Metadata: req.Metadata,
		ApprovalRequired: req.ApprovalRequired, Note: note,
	}
	sd, aerr := parseSendDate(req.SendDate, time.Now())
	if aerr != nil {
		return store.NewCard{}, aerr
	}
	if sd != nil {
		nc.SendDate = *sd
	}
	return nc, nil
}

// postableAsEntered is the floor below which even "send as entered" is refused: someone to
// write to and at least one line of where.
func postableAsEntered(a address.Address) bool {
	if strings.TrimSpace(a.Name) == "" && strings.TrimSpace(a.Company) == "" {
		return false
	}
	for _, l := range a.Lines {
		if strings.TrimSpace(l) != "" {
			return true
		}
	}
	return strings.TrimSpace(a.City) != ""
}

// checkStock refuses stock names the queue cannot carry (they become subject tokens).
func checkStock(stock string) *apiError {
	if err := store.ValidateStock(stock); err != nil {
		return invalid("stock", "stock_invalid", "The card stock name may use only a-z, 0-9, '-' and '_', up to 48 characters.")
	}
	return nil
}

func invalid(field, code, msg string) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Type: "invalid_request", Code: code, Message: msg, Field: field}
}

func jsonError(err error) *apiError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "body_invalid",
			Message: fmt.Sprintf("The request body is not valid JSON (at byte %d).", syn.Offset)}
	case errors.As(err, &typ):
		return &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "field_type", Field: typ.Field,
			Message: fmt.Sprintf("The field %s must be a %s.", typ.Field, typ.Type)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "unknown_field", Field: name,
			Message: fmt.Sprintf("The field %q is not part of this request.", name)}
	case errors.Is(err, io.EOF):
		return &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "body_missing", Message: "The request body is empty."}
	}
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "body_invalid", Message: "The request body is not valid JSON."}
}

// checkLabelFont refuses an address with a character the label font cannot print, naming the
// field and the character.
func checkLabelFont(prefix string, a address.Address) *apiError {
	problems := sheets.UnprintableFields(address.Normalize(a))
	if len(problems) == 0 {
		return nil
	}
	e := invalid(prefix+"."+problems[0].Field, "address_unprintable", prefix+"."+problems[0].Field+": "+problems[0].Reason+".")
	for _, p := range problems {
		e.Problems = append(e.Problems, fieldProblem{Field: prefix + "." + p.Field, Reason: p.Reason})
	}
	return e
}

// checkAddress reports every problem of an address at once, the first as the error's field:
// the postal rules, then the label font.
func checkAddress(prefix string, a address.Address) *apiError {
	problems := address.Validate(a)
	if len(problems) == 0 {
		return checkLabelFont(prefix, a)
	}
	if len(problems) == 0 {
		return nil
	}
	e := invalid(prefix+"."+problems[0].Field, "address_invalid", problems[0].Reason)
	for _, p := range problems {
		e.Problems = append(e.Problems, fieldProblem{Field: prefix + "." + p.Field, Reason: p.Reason})
	}
	return e
}

func checkMetadata(m map[string]string) *apiError {
	if len(m) > maxMetadataKeys {
		return invalid("metadata", "metadata_invalid", fmt.Sprintf("Metadata holds at most %d keys; this has %d.", maxMetadataKeys, len(m)))
	}
	for k, v := range m {
		if k == "" || len(k) > maxMetadataKey {
			return invalid("metadata", "metadata_invalid", fmt.Sprintf("Metadata keys must be 1 to %d characters long.", maxMetadataKey))
		}
		if len(v) > maxMetadataValue {
			return invalid("metadata."+k, "metadata_invalid", fmt.Sprintf("Metadata values are at most %d characters long.", maxMetadataValue))
		}
	}
	return nil
}

// renderError turns a proof that cannot be written into an answer naming the field.
func renderError(err error) *apiError {
	var fe *cardspec.FieldError
	if !errors.As(err, &fe) {
		return internalError()
	}
	code := fe.Field + "_invalid"
	var ie *hand.InputError
	var fit *hand.FitError
	switch {
	case errors.As(err, &ie):
		code = "text_unwritable"
	case errors.As(err, &fit):
		code = "text_too_long"
	}
	msg := fe.Reason
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
		if !strings.HasSuffix(msg, ".") {
			msg += "."
		}
	}
	return invalid(fe.Field, code, msg)
}

func (s *Server) getCard(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	c, ok := s.cardOr404(w, r, p)
	if !ok {
		return
	}
	id := c.ID
	events, err := s.store.Events(r.Context(), p.Account.ID, id)
	if err != nil {
		s.log.Error("card events", "card", id, "err", err)
		writeError(w, internalError())
		return
	}
	writeJSON(w, http.StatusOK, newCardResponse(c, events))
}

func (s *Server) listCards(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	q := r.URL.Query()
	f := store.CardFilter{CampaignID: q.Get("campaign"), After: q.Get("after")}
	if testOnly(p) {
		f.Test = new(true)
	}
	f.Statuses = parseStatuses(q)
	limit, aerr := parseLimit(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	f.Limit = limit
	for k, vs := range q {
		if name, ok := strings.CutPrefix(k, "metadata."); ok && len(vs) > 0 {
			if f.Metadata == nil {
				f.Metadata = map[string]string{}
			}
			f.Metadata[name] = vs[0]
		}
	}
	page, err := s.store.ListCards(r.Context(), p.Account.ID, f)
	if errors.Is(err, store.ErrInvalid) {
		writeError(w, &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "filter_invalid", Message: "The list filter is not valid: " + err.Error() + "."})
		return
	}
	if err != nil {
		s.log.Error("list cards", "err", err)
		writeError(w, internalError())
		return
	}
	out := struct {
		Object string         `json:"object"`
		Data   []cardResponse `json:"data"`
		Next   string         `json:"next,omitempty"`
	}{Object: "list", Data: []cardResponse{}, Next: page.Next}
	for _, c := range page.Cards {
		out.Data = append(out.Data, newCardResponse(c, nil))
	}
	writeJSON(w, http.StatusOK, out)
}

// parseStatuses reads the status filter: status=a,b and repeated status parameters. An unknown or
// empty status is passed on for the store to refuse.
func parseStatuses(q url.Values) []store.Status {
	var out []store.Status
	for _, st := range q["status"] {
		for _, one := range strings.Split(st, ",") {
			out = append(out, store.Status(one))
		}
	}
	return out
}

// parseLimit reads a list's page size: 0 (the store's default) when absent, else 1 to 1000.
func parseLimit(q url.Values) (int, *apiError) {
	l := q.Get("limit")
	if l == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || n > 1000 {
		return 0, &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "limit_invalid", Field: "limit",
			Message: "The limit must be a whole number from 1 to 1000."}
	}
	return n, nil
}
