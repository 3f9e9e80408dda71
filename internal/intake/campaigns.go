package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/quillpost/quillpost/internal/address"
	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/hand"
	"github.com/quillpost/quillpost/internal/store"
)

// Campaign states. A draft holds its cards (free proofs of every row); activation sends them.
const (
	campaignDraft  = "draft"
	campaignActive = "active"
)

// campaignRequest is the body of POST /v1/campaigns.
type campaignRequest struct {
	Name              string            `json:"name"`
	Template          string            `json:"template"`
	RequiredVariables []string          `json:"required_variables"`
	Font              string            `json:"font"`
	Hand              string            `json:"hand"`
	Stock             string            `json:"stock"`
	Align             string            `json:"align"`
	From              *address.Address  `json:"from"`
	SendDate          *string           `json:"send_date"` // RFC 3339 or a plain date
	Metadata          map[string]string `json:"metadata"`
}

// campaignSpec is what the store keeps as the campaign's opaque spec.
type campaignSpec struct {
	Template          string            `json:"template"`
	RequiredVariables []string          `json:"required_variables"`
	Font              string            `json:"font"`
	Hand              string            `json:"hand"`
	Stock             string            `json:"stock"`
	Align             string            `json:"align,omitempty"`
	From              *address.Address  `json:"from,omitempty"`
	SendDate          *time.Time        `json:"send_date,omitempty"`
	Metadata          map[string]string `json:"metadata,omitempty"`
	Test              bool              `json:"test"`
}

type campaignResponse struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	Name              string            `json:"name"`
	State             string            `json:"state"`
	Test              bool              `json:"test"`
	Template          string            `json:"template"`
	Variables         []string          `json:"variables"`
	RequiredVariables []string          `json:"required_variables"`
	Font              string            `json:"font"`
	Hand              string            `json:"hand"`
	Stock             string            `json:"stock"`
	From              *address.Address  `json:"from,omitempty"`
	SendDate          *time.Time        `json:"send_date,omitempty"`
	Metadata          map[string]string `json:"metadata"`
	Recipients        int               `json:"recipients"`
	Counts            map[string]int    `json:"counts"`
	CreatedAt         time.Time         `json:"created_at"`
	UpdatedAt         time.Time         `json:"updated_at"`
}

func (s *Server) campaignResponse(ctx context.Context, c *store.Campaign) (campaignResponse, error) {
	var spec campaignSpec
	if err := json.Unmarshal(c.Spec, &spec); err != nil {
		return campaignResponse{}, fmt.Errorf("campaign %s spec: %w", c.ID, err)
	}
	out := campaignResponse{ID: c.ID, Object: "campaign", Name: c.Name, State: c.State, Test: spec.Test,
		Template: spec.Template, RequiredVariables: spec.RequiredVariables, Font: spec.Font, Hand: spec.Hand,
		Stock: spec.Stock, From: spec.From, SendDate: spec.SendDate, Metadata: spec.Metadata,
		Counts: map[string]int{}, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if out.Metadata == nil {
		out.Metadata = map[string]string{}
	}
	if out.RequiredVariables == nil {
		out.RequiredVariables = []string{}
	}
	if t, err := parseTemplate(spec.Template); err == nil {
		out.Variables, _ = t.variables()
	}
	if out.Variables == nil {
		out.Variables = []string{}
	}
	counts, err := s.store.CampaignCounts(ctx, c.AccountID, c.ID)
	if err != nil {
		return campaignResponse{}, err
	}
	for st, n := range counts {
		out.Counts[string(st)] = n
		out.Recipients += n
	}
	return out, nil
}

// createCampaign is POST /v1/campaigns. The template's literal text is checked against the face
// here, so a template that can never be written is refused before any recipient is added.
func (s *Server) createCampaign(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	body, aerr := s.readBody(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	process := func() (int, any) {
		var req campaignRequest
		if aerr := decodeJSON(body, &req); aerr != nil {
			return aerr.Status, errorBody(aerr)
		}
		spec, aerr := checkCampaign(&req, s.findFace(r.Context(), p))
		if aerr != nil {
			return aerr.Status, errorBody(aerr)
		}
		spec.Test = p.Key.Kind == store.KeyTest
		raw, _ := json.Marshal(spec)
		c, err := s.store.CreateCampaign(r.Context(), store.NewCampaign{AccountID: p.Account.ID, Name: req.Name, State: campaignDraft, Spec: raw})
		if err != nil {
			s.log.Error("create campaign", "account", p.Account.ID, "err", err)
			return http.StatusInternalServerError, nil
		}
		out, err := s.campaignResponse(r.Context(), c)
		if err != nil {
			s.log.Error("campaign response", "campaign", c.ID, "err", err)
			return http.StatusInternalServerError, nil
		}
		return http.StatusCreated, out
	}
	s.answerOnce(w, r, p, body, process)
}

func errorBody(e *apiError) map[string]*apiError { return map[string]*apiError{"error": e} }

func checkCampaign(req *campaignRequest, find cardspec.FaceFinder) (campaignSpec, *apiError) {
	if strings.TrimSpace(req.Name) == "" || len(req.Name) > 200 {
		return campaignSpec{}, invalid("name", "name_invalid", "The campaign needs a name of 1 to 200 characters.")
	}
	if strings.TrimSpace(req.Template) == "" {
		return campaignSpec{}, invalid("template", "template_missing", "The campaign needs a template: the message with merge fields such as {{first_name}}.")
	}
	t, err := parseTemplate(req.Template)
	if err != nil {
		return campaignSpec{}, invalid("template", "template_invalid", sentence(err.Error()))
	}
	var required []string
	for _, v := range req.RequiredVariables {
		n := normVarName(v)
		if !validVarName(n) {
			return campaignSpec{}, invalid("required_variables", "variable_name_invalid",
				fmt.Sprintf("%q is not a variable name (letters, digits and _, up to %d characters).", v, maxVarName))
		}
		required = append(required, n)
	}
	if aerr := checkMetadata(req.Metadata); aerr != nil {
		return campaignSpec{}, aerr
	}
	if req.From != nil {
		if aerr := checkAddress("from", *req.From); aerr != nil {
			return campaignSpec{}, aerr
		}
		n := address.Normalize(*req.From)
		req.From = &n
	}
	sendDate, aerr := parseSendDate(req.SendDate, time.Now())
	if aerr != nil {
		return campaignSpec{}, aerr
	}
	spec := campaignSpec{Template: req.Template, RequiredVariables: required, Font: req.Font, Hand: req.Hand,
		Stock: req.Stock, Align: req.Align, From: req.From, SendDate: sendDate, Metadata: req.Metadata}
	cs := cardspec.Spec{Font: spec.Font, Hand: spec.Hand, Stock: spec.Stock, Align: spec.Align}.WithDefaults()
	spec.Font, spec.Hand, spec.Stock = cs.Font, cs.Hand, cs.Stock
	if aerr := checkStock(spec.Stock); aerr != nil {
		return campaignSpec{}, aerr
	}
	// A sample row with every variable at its own name checks the names and the literal text.
	all, _ := t.variables()
	sample := map[string]string{}
	for _, n := range all {
		sample[n] = "x"
	}
	cs.Message, _ = t.merge(sample, nil)
	// The campaign keeps the face's stored name: an account's own face by its version now, so
	// that every row is written in the handwriting the campaign was checked with.
	_, checked, err := cardspec.RenderWith(cs, find)
	spec.Font = checked.Font
	if err != nil {
		var fit *hand.FitError
		if !errors.As(err, &fit) {
			aerr := renderError(err)
			if aerr.Field == "message" {
				aerr.Field = "template"
			}
			return campaignSpec{}, aerr
		}
	}
	return spec, nil
}

func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// campaignOr404 reads the account's campaign named in the path, answering 404 itself.
func (s *Server) campaignOr404(w http.ResponseWriter, r *http.Request, p *store.Principal) (*store.Campaign, *campaignSpec, bool) {
	id := r.PathValue("id")
	c, err := s.store.GetCampaign(r.Context(), p.Account.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "not_found", Code: "campaign_not_found",
			Message: fmt.Sprintf("There is no campaign %q.", id)})
		return nil, nil, false
	}
	var spec campaignSpec
	if err == nil {
		err = json.Unmarshal(c.Spec, &spec)
	}
	if err == nil && !inScope(p, spec.Test) {
		// A test key acts on test campaigns only: a live one does not exist for it.
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "not_found", Code: "campaign_not_found",
			Message: fmt.Sprintf("There is no campaign %q.", id)})
		return nil, nil, false
	}
	if err != nil {
		s.log.Error("get campaign", "campaign", id, "err", err)
		writeError(w, internalError())
		return nil, nil, false
	}
	return c, &spec, true
}

// getCampaign is GET /v1/campaigns/{id}: the campaign and its cards' counts by status.
func (s *Server) getCampaign(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.campaignOr404(w, r, principalFrom(r.Context()))
	if !ok {
		return
	}
	out, err := s.campaignResponse(r.Context(), c)
	if err != nil {
		s.log.Error("campaign response", "campaign", c.ID, "err", err)
		writeError(w, internalError())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// activateCampaign is POST /v1/campaigns/{id}/activate: the draft's held cards are queued (or wait
// for the send date), and recipients added later are queued at once. Activating again releases
// anything still held and changes nothing else.
func (s *Server) activateCampaign(w http.ResponseWriter, r *http.Request) {
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
		c.State = campaignActive
		return nil
	})
	if err == nil {
		_, err = s.ops.ReleaseCampaign(r.Context(), p.Account.ID, c.ID, "campaign.activate")
	}
	if err != nil {
		s.log.Error("activate campaign", "campaign", r.PathValue("id"), "err", err)
		writeError(w, internalError())
		return
	}
	s.kick()
	out, err := s.campaignResponse(r.Context(), c)
	if err != nil {
		s.log.Error("campaign response", "campaign", c.ID, "err", err)
		writeError(w, internalError())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// recipientRequest is one entry of a JSON recipients upload.
type recipientRequest struct {
	To        *address.Address  `json:"to"`
	Variables map[string]string `json:"variables"`
	Metadata  map[string]string `json:"metadata"`
	Email     string            `json:"email"`
}

// rowProblem is one rejected row of an upload.
type rowProblem struct {
	Row    int    `json:"row"`
	Field  string `json:"field,omitempty"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

type rowCard struct {
	Row int    `json:"row"`
	ID  string `json:"id"`
}

type recipientsResponse struct {
	Object     string       `json:"object"` // "recipient_batch"
	CampaignID string       `json:"campaign_id"`
	Accepted   int          `json:"accepted"`
	Rejected   int          `json:"rejected"`
	Cards      []rowCard    `json:"cards"`
	Errors     []rowProblem `json:"errors"`
}

// recipient is one row on its way to becoming a card.
type recipient struct {
	row      int
	to       address.Address
	vars     map[string]string
	metadata map[string]string
}

type builtCard struct {
	row int
	nc  store.NewCard
}

// buildRows merges and renders the rows on every core and returns the cards in row order.
func (s *Server) buildRows(ctx context.Context, p *store.Principal, c *store.Campaign, spec *campaignSpec, rows []recipient) ([]builtCard, []rowProblem) {
	t, err := parseTemplate(spec.Template)
	if err != nil {
		return nil, []rowProblem{{Row: 0, Field: "template", Code: "template_invalid", Reason: sentence(err.Error())}}
	}
	find := s.findFace(ctx, p)
	face, _, _ := find(spec.Font)
	var from json.RawMessage
	if spec.From != nil {
		from, _ = json.Marshal(spec.From)
	}
	type result struct {
		card *builtCard
		prob []rowProblem
	}
	results := make([]result, len(rows))
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(rows) {
					return
				}
				bc, prob := s.buildRow(p, c, spec, t, face, find, from, rows[i])
				results[i] = result{bc, prob}
			}
		}()
	}
	wg.Wait()
	var cards []builtCard
	var problems []rowProblem
	for _, res := range results {
		if res.card != nil {
			cards = append(cards, *res.card)
		}
		problems = append(problems, res.prob...)
	}
	return cards, problems
}

func (s *Server) buildRow(p *store.Principal, c *store.Campaign, spec *campaignSpec, t *template, face *font.Face, find cardspec.FaceFinder,
	from json.RawMessage, rc recipient) (*builtCard, []rowProblem) {
	prob := func(field, code, reason string) []rowProblem {
		return []rowProblem{{Row: rc.row, Field: field, Code: code, Reason: reason}}
	}
	meta := map[string]string{}
	for k, v := range spec.Metadata {
		meta[k] = v
	}
	for k, v := range rc.metadata {
		meta[k] = v
	}
	if aerr := checkMetadata(meta); aerr != nil {
		return nil, prob(aerr.Field, "metadata_invalid", aerr.Message)
	}
	if aerr := checkLabelFont("to", rc.to); aerr != nil {
		var out []rowProblem
		for _, pr := range aerr.Problems {
			out = append(out, rowProblem{Row: rc.row, Field: pr.Field, Code: aerr.Code, Reason: sentence(pr.Reason)})
		}
		return nil, out
	}
	msg, me := t.merge(rc.vars, spec.RequiredVariables)
	if me != nil {
		return nil, prob(me.Field, me.code(), me.Reason)
	}
	seed := newSeed()
	cs := cardspec.Spec{Message: msg, Font: spec.Font, Hand: spec.Hand, Stock: spec.Stock, Align: spec.Align, Seed: seed}.WithDefaults()
	card, cs, err := cardspec.SummaryWith(cs, find)
	if err != nil {
		aerr := renderError(err)
		field := aerr.Field
		var ie *hand.InputError
		if errors.As(err, &ie) && face != nil {
			// Name the variable whose value holds the character the face lacks.
			for name, v := range rc.vars {
				if ms := face.Missing(cleanValue(v)); len(ms) > 0 {
					return nil, prob(normVarName(name), "text_unwritable",
						fmt.Sprintf("The value of %s holds %q, which the font %s cannot write.", normVarName(name), ms[0].Rune, spec.Font))
				}
			}
		}
		return nil, prob(field, aerr.Code, aerr.Message)
	}
	to, _ := json.Marshal(address.Normalize(rc.to))
	nc := store.NewCard{
		AccountID: p.Account.ID, CampaignID: c.ID, Test: spec.Test || p.Key.Kind == store.KeyTest,
		Message: msg, Font: spec.Font, Hand: spec.Hand, Stock: spec.Stock, Format: card.Format.Name, Align: cs.Align,
		Seed: seed, StrokeHash: card.Hash, RenderVersion: cardspec.RenderVersion, To: to, From: from, Metadata: meta,
		ApprovalRequired: c.State == campaignDraft,
	}
	if spec.SendDate != nil {
		nc.SendDate = spec.SendDate.UTC()
	}
	return &builtCard{row: rc.row, nc: nc}, nil
}

// previewCampaign is POST /v1/campaigns/{id}/preview: a free proof of one row, stored or not.
func (s *Server) previewCampaign(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	_, spec, ok := s.campaignOr404(w, r, p)
	if !ok {
		return
	}
	body, aerr := s.readBody(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var req struct {
		Variables map[string]string `json:"variables"`
		Seed      *uint64           `json:"seed"`
	}
	if aerr := decodeJSON(body, &req); aerr != nil {
		writeError(w, aerr)
		return
	}
	t, err := parseTemplate(spec.Template)
	if err != nil {
		writeError(w, internalError())
		return
	}
	msg, me := t.merge(req.Variables, spec.RequiredVariables)
	if me != nil {
		writeError(w, invalid("variables."+me.Field, me.code(), me.Reason))
		return
	}
	seed := newSeed()
	if req.Seed != nil {
		if *req.Seed >= maxSeed {
			writeError(w, invalid("seed", "seed_invalid", "The seed must be below 2^53, so that every client reads it exactly."))
			return
		}
		seed = *req.Seed
	}
	s.writeProof(w, r, cardspec.Spec{Message: msg, Font: spec.Font, Hand: spec.Hand, Stock: spec.Stock, Align: spec.Align, Seed: seed}, nil)
}

// readBodyLimit reads a body of at most limit bytes.
func (s *Server) readBodyLimit(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *apiError) {
	return readLimited(w, r, limit)
}
