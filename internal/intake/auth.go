package intake

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/quillpost/quillpost/internal/store"
)

type principalKey struct{}

// authed resolves the bearer key before h runs; h finds the caller with principalFrom.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || secret == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="quillpost"`)
			writeError(w, &apiError{Status: http.StatusUnauthorized, Type: "authentication", Code: "missing_api_key",
				Message: "The request has no API key; send it as 'Authorization: Bearer qp_live_…'."})
			return
		}
		p, err := s.store.Authenticate(r.Context(), strings.TrimSpace(secret))
		if errors.Is(err, store.ErrUnauthorized) {
			writeError(w, &apiError{Status: http.StatusUnauthorized, Type: "authentication", Code: "invalid_api_key",
				Message: "The API key is not valid or has been revoked."})
			return
		}
		if err != nil {
			s.log.Error("authenticate", "err", err)
			writeError(w, internalError())
			return
		}
		if p.Key.Kind == store.KeyOperator {
			writeError(w, &apiError{Status: http.StatusForbidden, Type: "authentication", Code: "operator_key",
				Message: "Operator keys cannot order cards; use a live or test key of the account."})
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

func principalFrom(ctx context.Context) *store.Principal {
	p, _ := ctx.Value(principalKey{}).(*store.Principal)
	return p
}
