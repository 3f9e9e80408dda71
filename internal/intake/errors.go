package intake

import (
	"encoding/json"
	"net/http"
)

// apiError is the one error shape of the API: {"error": {type, code, message, field, row}}.
type apiError struct {
	Status  int    `json:"-"`
	Type    string `json:"type"` // invalid_request, authentication, not_found, conflict, rate_limit, api_error
	Code    string `json:"code"` // machine-readable, stable
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Row     int    `json:"row,omitempty"`
	// Problems lists further field errors of the same request (all address fields at once).
	Problems []fieldProblem `json:"problems,omitempty"`
}

type fieldProblem struct {
	Row    int    `json:"row,omitempty"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
	// Target is, for a payload field a trigger's mapping misses, the card field it was to fill:
	// the reason's value, for a page that says the reason in its own language.
	Target string `json:"target,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Status, map[string]*apiError{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"type":"api_error","code":"internal","message":"The response could not be encoded."}}`, http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, body)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
	w.Write([]byte("\n"))
}

func internalError() *apiError {
	return &apiError{Status: http.StatusInternalServerError, Type: "api_error", Code: "internal",
		Message: "Something went wrong on our side; the request was not carried out. Please try again."}
}
