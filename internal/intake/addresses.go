package intake

import (
	"net/http"

	"github.com/quillpost/quillpost/internal/address"
)

// verifyAddress is POST /v1/address_verifications {address, sender_country}: deliverable,
// missing_info or undeliverable, with the reasons and, when deliverable, the lines as printed.
func (s *Server) verifyAddress(w http.ResponseWriter, r *http.Request) {
	body, aerr := s.readBody(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var req struct {
		Address       *address.Address `json:"address"`
		SenderCountry string           `json:"sender_country"`
	}
	if aerr := decodeJSON(body, &req); aerr != nil {
		writeError(w, aerr)
		return
	}
	if req.Address == nil {
		writeError(w, invalid("address", "address_missing", "The address to verify is missing."))
		return
	}
	if req.SenderCountry == "" {
		req.SenderCountry = "DE"
	}
	v := address.Verify(*req.Address, req.SenderCountry)
	type problem struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	}
	out := struct {
		Object     string          `json:"object"`
		Status     address.Status  `json:"status"`
		Problems   []problem       `json:"problems"`
		Normalized address.Address `json:"normalized"`
		Lines      []string        `json:"lines"`
	}{Object: "address_verification", Status: v.Status, Problems: []problem{}, Normalized: v.Normalized, Lines: v.Lines}
	for _, p := range v.Problems {
		out.Problems = append(out.Problems, problem{Field: "address." + p.Field, Reason: p.Reason})
	}
	if out.Lines == nil {
		out.Lines = []string{}
	}
	writeJSON(w, http.StatusOK, out)
}
