package intake

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/hand"
	"github.com/quillpost/quillpost/internal/preview"
	"github.com/quillpost/quillpost/internal/store"
)

// previewResponse is the JSON proof: the exact strokes the robot will draw, as SVG, with what the
// layout did to fit them.
type previewResponse struct {
	Object     string   `json:"object"` // "preview"
	SVG        string   `json:"svg"`
	Format     string   `json:"format"`
	Lines      int      `json:"lines"`
	Glyphs     int      `json:"glyphs"`
	XHeightMM  float64  `json:"x_height_mm"`
	StrokeHash string   `json:"stroke_hash"`
	Seed       uint64   `json:"seed"`
	Message    string   `json:"message"`
	Warnings   []string `json:"warnings"`
}

// previewCard is POST /v1/cards/preview: a dry run of POST /v1/cards with no side effects and no
// idempotency key. Text and name errors are answered like an order's; address problems are only
// warnings, since a proof is wanted while the order is still being typed.
func (s *Server) previewCard(w http.ResponseWriter, r *http.Request) {
	body, aerr := s.readBody(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var req cardRequest
	if aerr := decodeJSON(body, &req); aerr != nil {
		writeError(w, aerr)
		return
	}
	msg, aerr := messageOf(&req)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if strings.TrimSpace(msg) == "" {
		writeError(w, invalid("message", "message_missing", "The message is empty; write the text the card should carry."))
		return
	}
	seed := uint64(0)
	if req.Seed != nil {
		if *req.Seed >= maxSeed {
			writeError(w, invalid("seed", "seed_invalid", "The seed must be below 2^53, so that every client reads it exactly."))
			return
		}
		seed = *req.Seed
	} else {
		seed = newSeed()
	}
	var warnings []string
	for name, a := range map[string]bool{"to": req.To != nil, "from": req.From != nil} {
		if !a {
			continue
		}
		addr := req.To
		if name == "from" {
			addr = req.From
		}
		if aerr := checkAddress(name, *addr); aerr != nil {
			for _, p := range aerr.Problems {
				warnings = append(warnings, p.Field+": "+p.Reason)
			}
		}
	}
	spec := cardspec.Spec{Message: msg, Font: req.Font, Hand: req.Hand, Stock: req.Stock, Align: req.Align, Seed: seed}.WithDefaults()
	s.writeProof(w, r, spec, warnings)
}

// previewStoredCard is GET /v1/cards/{id}/preview: the proof of a stored card (any campaign row).
func (s *Server) previewStoredCard(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	c, ok := s.cardOr404(w, r, p)
	if !ok {
		return
	}
	if c.Message == "" {
		writeError(w, &apiError{Status: http.StatusGone, Type: "invalid_request", Code: "card_erased",
			Message: "The card's message was erased at the recipient's request; there is nothing to show."})
		return
	}
	s.writeProof(w, r, cardspec.FromCard(c), nil)
}

// writeProof renders the spec and answers as JSON, SVG or PNG, following the Accept header.
func (s *Server) writeProof(w http.ResponseWriter, r *http.Request, spec cardspec.Spec, warnings []string) {
	// Checked whatever the answer's type: a bad parameter is refused, never ignored.
	dpi, aerr := queryNumber(r.URL.Query(), "dpi", 150, 36, 600)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	card, _, err := cardspec.RenderWith(spec, s.findFace(r.Context(), principalFrom(r.Context())))
	if err != nil {
		writeError(w, renderError(err))
		return
	}
	if h, err := hand.LookupHand(spec.Hand); err == nil && card.XHeight < h.MaxXHeight-0.05 {
		warnings = append(warnings, fmt.Sprintf("The text is written at an x-height of %.1f mm, smaller than the hand's usual %.1f mm, so that it fits the card.", card.XHeight, h.MaxXHeight))
		if card.XHeight <= h.MinXHeight+0.05 {
			warnings = append(warnings, "The text is at the smallest size the hand writes: any more text will not fit.")
		}
	}
	if warnings == nil {
		warnings = []string{}
	}
	accept := r.Header.Get("Accept")
	switch {
	case strings.Contains(accept, "image/png"):
		var buf bytes.Buffer
		if err := preview.PNG(&buf, card.Format, card.Strokes, preview.DefaultPenWidth, dpi); err != nil {
			s.log.Error("preview png", "err", err)
			writeError(w, internalError())
			return
		}
		s.writeImage(w, "image/png", card, buf.Bytes())
	case strings.Contains(accept, "image/svg+xml"):
		var buf bytes.Buffer
		if err := preview.SVG(&buf, card.Format, card.Strokes, preview.DefaultPenWidth); err != nil {
			s.log.Error("preview svg", "err", err)
			writeError(w, internalError())
			return
		}
		s.writeImage(w, "image/svg+xml", card, buf.Bytes())
	default:
		var buf bytes.Buffer
		if err := preview.SVG(&buf, card.Format, card.Strokes, preview.DefaultPenWidth); err != nil {
			s.log.Error("preview svg", "err", err)
			writeError(w, internalError())
			return
		}
		writeJSON(w, http.StatusOK, previewResponse{Object: "preview", SVG: buf.String(), Format: card.Format.Name,
			Lines: card.Lines, Glyphs: card.Glyphs, XHeightMM: round3(card.XHeight), StrokeHash: card.Hash(),
			Seed: spec.Seed, Message: spec.Message, Warnings: warnings})
	}
}

func (s *Server) writeImage(w http.ResponseWriter, ctype string, card *hand.Card, body []byte) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Quillpost-Stroke-Hash", card.Hash())
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

// cardOr404 reads the account's card named in the path, answering 404 itself. A test key is
// answered 404 for a live card, as if it did not exist.
func (s *Server) cardOr404(w http.ResponseWriter, r *http.Request, p *store.Principal) (*store.Card, bool) {
	id := r.PathValue("id")
	c, err := s.store.GetCard(r.Context(), p.Account.ID, id)
	if err == nil && !inScope(p, c.Test) {
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "not_found", Code: "card_not_found",
			Message: fmt.Sprintf("There is no card %q.", id)})
		return nil, false
	}
	if err != nil {
		s.log.Error("get card", "card", id, "err", err)
		writeError(w, internalError())
		return nil, false
	}
	return c, true
}
