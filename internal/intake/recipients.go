package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/quillpost/quillpost/internal/address"
	"github.com/quillpost/quillpost/internal/store"
)

// A recipients upload is read, validated, rendered and stored in batches of recipientBatch rows,
// each batch in its own transaction, so that a 100,000-row file never lies parsed in memory as a
// whole and its cards appear in the campaign's counts (GET /v1/campaigns/{id}) as they are stored.
// While one batch is being stored the next is rendered.
//
// Every card of an upload carries an idempotency key made of the upload's own key and its row
// (uploadCardKey): when an upload fails part way (a server error, the client gone), the client's
// retry with the same Idempotency-Key finds the batches already stored and stores only the rest,
// so no recipient is written twice.

// recipientBatch is the bound on rows held parsed and rendered at once by an upload: about three
// batches (one being read and rendered, one waiting, one being stored).
const recipientBatch = 1000

// addRecipients is POST /v1/campaigns/{id}/recipients with a JSON array or a text/csv body. Every
// row is validated and rendered; the good rows become cards, the others are listed with row,
// field and reason.
func (s *Server) addRecipients(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	c, spec, ok := s.campaignOr404(w, r, p)
	if !ok {
		return
	}
	// The body is held (at most maxCSV bytes) for the Idempotency-Key's request hash; rows are
	// parsed from it batch by batch.
	body, aerr := s.readBodyLimit(w, r, s.maxCSV)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	s.idempotent(w, r, p, body, func() (int, any) {
		return s.processRecipients(r, p, c, spec, body)
	})
}

// rowSource yields an upload's rows one by one: a recipient, or the problems of a row that is
// not one. ok is false at the end.
type rowSource func() (rc recipient, problems []rowProblem, ok bool)

// uploadCardKey is the idempotency key of the card made from an upload's row.
func uploadCardKey(campaignID, uploadKey string, row int) string {
	return "recipients:" + campaignID + ":" + strconv.Itoa(row) + ":" + uploadKey
}

func (s *Server) processRecipients(r *http.Request, p *store.Principal, c *store.Campaign, spec *campaignSpec, body []byte) (int, any) {
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var next rowSource
	switch ctype {
	case "text/csv", "application/csv":
		cr, herr := address.NewCSVReader(bytes.NewReader(body))
		if herr != nil {
			e := invalid(herr.Field, "csv_header_invalid", sentence(herr.Reason))
			e.Row = 1
			return e.Status, errorBody(e)
		}
		next = csvRows(cr)
	case "application/json":
		var aerr *apiError
		if next, aerr = jsonRows(body); aerr != nil {
			return aerr.Status, errorBody(aerr)
		}
	default:
		e := &apiError{Status: http.StatusUnsupportedMediaType, Type: "invalid_request", Code: "content_type_unsupported",
			Message: "Send recipients as application/json (an array) or text/csv."}
		return e.Status, errorBody(e)
	}

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	type built struct {
		cards    []builtCard
		problems []rowProblem
	}
	// Rendering runs ahead of storing by at most one batch (the channel's capacity).
	batches := make(chan built, 1)
	go func() {
		defer close(batches)
		for ctx.Err() == nil {
			var rows []recipient
			var problems []rowProblem
			more := true
			for len(rows) < recipientBatch && more {
				var rc recipient
				var probs []rowProblem
				rc, probs, more = next()
				problems = append(problems, probs...)
				if more && probs == nil {
					rows = append(rows, rc)
				}
			}
			cards, probs := s.buildRows(ctx, p, c, spec, rows)
			select {
			case batches <- built{cards, append(problems, probs...)}:
			case <-ctx.Done():
				return
			}
			if !more {
				return
			}
		}
	}()

	out := recipientsResponse{Object: "recipient_batch", CampaignID: c.ID, Cards: []rowCard{}, Errors: []rowProblem{}}
	uploadKey := r.Header.Get("Idempotency-Key")
	held := false
	var ncs []store.NewCard
	for b := range batches {
		out.Errors = append(out.Errors, b.problems...)
		if len(b.cards) == 0 {
			continue
		}
		ncs = ncs[:0]
		for _, bc := range b.cards {
			nc := bc.nc
			nc.IdempotencyKey = uploadCardKey(c.ID, uploadKey, bc.row)
			ncs = append(ncs, nc)
		}
		held = held || ncs[0].ApprovalRequired
		stored, err := s.store.CreateCardsOnce(ctx, ncs)
		if err != nil {
			cancel()
			for range batches { // let the renderer end
			}
			s.log.Error("create campaign cards", "campaign", c.ID, "stored", len(out.Cards), "err", err)
			return http.StatusInternalServerError, nil
		}
		for i, sc := range stored {
			out.Cards = append(out.Cards, rowCard{Row: b.cards[i].row, ID: sc.ID})
		}
		s.kick()
	}
	if err := ctx.Err(); err != nil {
		// The renderer stopped early: the client is gone. What was stored stays; a retry with the
		// same Idempotency-Key completes the upload.
		s.log.Warn("recipients upload stopped", "campaign", c.ID, "stored", len(out.Cards), "err", err)
		return http.StatusInternalServerError, nil
	}
	sortProblems(out.Errors)
	out.Rejected = countRows(out.Errors)
	out.Accepted = len(out.Cards)
	if out.Accepted == 0 {
		e := invalid("", "recipients_invalid", "No recipient could be accepted; every row has a problem (see problems).")
		for _, pr := range out.Errors {
			e.Problems = append(e.Problems, fieldProblem{Row: pr.Row, Field: pr.Field, Reason: pr.Reason})
		}
		if len(out.Errors) == 0 {
			e.Message = "The upload holds no recipients."
		}
		return e.Status, errorBody(e)
	}
	if held && s.ops != nil {
		// Activated while this upload was stored: release what was stored held.
		if now, err := s.store.GetCampaign(r.Context(), p.Account.ID, c.ID); err == nil && now.State == campaignActive {
			if _, err := s.ops.ReleaseCampaign(r.Context(), p.Account.ID, c.ID, "campaign.activate"); err != nil {
				s.log.Error("release campaign", "campaign", c.ID, "err", err)
			}
			s.kick()
		}
	}
	s.log.Info("recipients accepted", "campaign", c.ID, "accepted", out.Accepted, "rejected", out.Rejected)
	return http.StatusCreated, out
}

// csvRows reads the recipients of an address file: its address columns, metadata.* columns
// as the card's metadata, the others as template variables.
func csvRows(cr *address.CSVReader) rowSource {
	return func() (recipient, []rowProblem, bool) {
		rec, errs, ok := cr.Next()
		if errs != nil {
			probs := make([]rowProblem, 0, len(errs))
			for _, e := range errs {
				probs = append(probs, rowProblem{Row: e.Row, Field: e.Field, Code: "row_invalid", Reason: sentence(e.Reason)})
			}
			return recipient{}, probs, ok
		}
		if !ok {
			return recipient{}, nil, false
		}
		rc := recipient{row: rec.Row, to: rec.Address, vars: map[string]string{}}
		for k, v := range rec.Extra {
			if mk, ok := strings.CutPrefix(k, "metadata."); ok {
				if rc.metadata == nil {
					rc.metadata = map[string]string{}
				}
				rc.metadata[mk] = v
				continue
			}
			name := normVarName(k)
			rc.vars[name] = v
			if name == "email" && v != "" {
				if rc.metadata == nil {
					rc.metadata = map[string]string{}
				}
				rc.metadata["email"] = v
			}
		}
		return rc, nil, true
	}
}

// jsonRows reads a JSON array of recipients element by element. The array is checked whole
// first (decoding each element and dropping it), so that a malformed upload is refused before
// any of its batches is stored, with the error decoding it whole gives.
func jsonRows(body []byte) (rowSource, *apiError) {
	n, err := eachRecipient(body, func(int, *recipientRequest) {})
	if err != nil {
		var reqs []recipientRequest
		if aerr := decodeJSON(body, &reqs); aerr != nil {
			return nil, aerr
		}
		return nil, jsonError(err) // not reached: decoding whole fails where streaming does
	}
	if n > address.MaxCSVRows {
		e := invalid("", "too_many_recipients", fmt.Sprintf("At most %d recipients fit in one request; split the upload.", address.MaxCSVRows))
		return nil, e
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if tok, _ := dec.Token(); tok != json.Delim('[') {
		return func() (recipient, []rowProblem, bool) { return recipient{}, nil, false }, nil // null: no rows
	}
	row := 0
	return func() (recipient, []rowProblem, bool) {
		if !dec.More() {
			return recipient{}, nil, false
		}
		var rq recipientRequest
		if err := dec.Decode(&rq); err != nil {
			return recipient{}, nil, false // not reached: the array was checked
		}
		row++
		return jsonRecipient(row, rq)
	}, nil
}

// eachRecipient decodes the array's elements in turn; a body of null is an empty array.
func eachRecipient(body []byte, fn func(row int, rq *recipientRequest)) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	tok, err := dec.Token()
	if err != nil {
		return 0, err
	}
	// What follows the value is judged as decodeJSON judges it (dec.More), so that both accept
	// the same bodies.
	if tok == nil {
		if dec.More() {
			return 0, errors.New("more than one JSON value")
		}
		return 0, nil
	}
	if tok != json.Delim('[') {
		return 0, errors.New("not an array")
	}
	n := 0
	for dec.More() {
		var rq recipientRequest
		if err := dec.Decode(&rq); err != nil {
			return n, err
		}
		n++
		fn(n, &rq)
	}
	if _, err := dec.Token(); err != nil {
		return n, err
	}
	if dec.More() {
		return n, errors.New("more than one JSON value")
	}
	return n, nil
}

// jsonRecipient checks one element of a JSON upload.
func jsonRecipient(row int, rq recipientRequest) (recipient, []rowProblem, bool) {
	if rq.To == nil {
		return recipient{}, []rowProblem{{Row: row, Field: "to", Code: "address_missing", Reason: "The recipient address (to) is missing."}}, true
	}
	if aerr := checkAddress("to", *rq.To); aerr != nil {
		var probs []rowProblem
		for _, pr := range aerr.Problems {
			probs = append(probs, rowProblem{Row: row, Field: pr.Field, Code: aerr.Code, Reason: pr.Reason})
		}
		if probs == nil {
			probs = []rowProblem{{Row: row, Field: aerr.Field, Code: aerr.Code, Reason: aerr.Message}}
		}
		return recipient{}, probs, true
	}
	rc := recipient{row: row, to: *rq.To, vars: rq.Variables, metadata: rq.Metadata}
	if rq.Email != "" {
		if rc.metadata == nil {
			rc.metadata = map[string]string{}
		}
		rc.metadata["email"] = rq.Email
	}
	return rc, nil, true
}

// sortProblems orders problems by row, stably: the reader goes through the file top to bottom.
func sortProblems(ps []rowProblem) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Row < ps[j].Row })
}

func countRows(ps []rowProblem) int {
	seen := map[int]bool{}
	for _, p := range ps {
		seen[p.Row] = true
	}
	return len(seen)
}
