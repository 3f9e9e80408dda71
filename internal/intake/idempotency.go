package intake

import (
	"bytes"
	"io"
	"net/http"
)

// recordedPOSTs are the POST operations whose answers are recorded under their Idempotency-Key
// by honourIdempotency. POST /v1/cards, /v1/campaigns and recipient uploads keep their own
// records; the previews change nothing and answer images, so a repeat simply renders again.
var recordedPOSTs = map[string]bool{
	"POST /v1/cards/{id}/approve":          true,
	"POST /v1/campaigns/{id}/activate":     true,
	"POST /v1/address_verifications":       true,
	"POST /v1/webhooks":                    true,
	"POST /v1/webhooks/{id}/replay":        true,
	"POST /v1/occasions/rules/{id}/cancel": true,
	"POST /v1/triggers/{id}/cancel":        true,
	"POST /v1/triggers/{id}/rotate_secret": true,
	"POST /v1/operator/cards/{id}/retry":   true,
}

// recorder keeps what a handler answers, to be stored and then sent.
type recorder struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (rc *recorder) Header() http.Header { return rc.h }
func (rc *recorder) WriteHeader(code int) {
	if rc.status == 0 {
		rc.status = code
	}
}
func (rc *recorder) Write(b []byte) (int, error) {
	if rc.status == 0 {
		rc.status = http.StatusOK
	}
	return rc.body.Write(b)
}

// honourIdempotency makes a POST with an Idempotency-Key happen once: a retry with the same key
// and body gets the first answer again (Idempotent-Replayed: true), the same key with another
// body is refused, and a server error is not recorded so that the retry runs afresh. Without the
// header the request runs as it is. It runs after authentication, inside the account's scope.
func (s *Server) honourIdempotency(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Idempotency-Key") == "" {
			h(w, r)
			return
		}
		body, aerr := s.readBody(w, r)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		p := principalFrom(r.Context())
		s.idempotent(w, r, p, body, func() (int, any) {
			rc := &recorder{h: http.Header{}}
			r2 := r.Clone(r.Context())
			r2.Body = io.NopCloser(bytes.NewReader(body))
			h(rc, r2)
			for k, vs := range rc.h {
				if k != "Content-Type" && k != "Content-Length" {
					w.Header()[k] = vs
				}
			}
			return rc.status, rawJSON(bytes.TrimSuffix(rc.body.Bytes(), []byte("\n")))
		})
	}
}

// rawJSON is an answer already encoded; idempotent stores and sends it as is.
type rawJSON []byte

func (j rawJSON) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}
