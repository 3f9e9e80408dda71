package metrics

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// CountAPIRejections wraps the /v1 API so that orders it refuses (POST /v1/cards answered 4xx)
// are counted under source "api" with the error code of the answer as the reason. The API itself
// stays unaware of metrics.
func (m *Metrics) CountAPIRejections(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/cards" {
			api.ServeHTTP(w, r)
			return
		}
		rec := &recorder{ResponseWriter: w}
		api.ServeHTTP(rec, r)
		// 401/403 are authentication failures and 409 an idempotent request in progress: not
		// orders that were judged and refused.
		switch rec.status {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
			var body struct {
				Error struct {
					Code string `json:"code"`
				} `json:"error"`
			}
			_ = json.Unmarshal(rec.head.Bytes(), &body)
			if body.Error.Code == "idempotency_key_reuse" || body.Error.Code == "idempotency_key_missing" {
				return
			}
			m.Rejected("api", body.Error.Code)
		}
	})
}

// recorder notes the status and keeps the start of an error body.
type recorder struct {
	http.ResponseWriter
	status int
	head   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.status >= 400 && r.head.Len() < 4096 {
		r.head.Write(b[:min(len(b), 4096-r.head.Len())])
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
