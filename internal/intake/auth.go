package intake

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/quillpost/quillpost/internal/store"
)

type principalKey struct{}

// authed resolves the bearer key of an account (live or test) and applies its rate limit before h
// runs; h finds the caller with principalFrom.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.authenticate(w, r)
		if !ok {
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

// operator admits operator keys only.
func (s *Server) operator(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		if p.Key.Kind != store.KeyOperator {
			writeError(w, &apiError{Status: http.StatusForbidden, Type: "authentication", Code: "operator_only",
				Message: "This endpoint is for operators; use an operator key (qp_op_…)."})
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

// authenticate answers 401 or 429 itself and reports whether the request may go on.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*store.Principal, bool) {
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || secret == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="quillpost"`)
		writeError(w, &apiError{Status: http.StatusUnauthorized, Type: "authentication", Code: "missing_api_key",
			Message: "The request has no API key; send it as 'Authorization: Bearer qp_live_…'."})
		return nil, false
	}
	// Every request asks the database: no cache may outlive a revocation.
	p, err := s.store.Authenticate(r.Context(), strings.TrimSpace(secret))
	if errors.Is(err, store.ErrUnauthorized) {
		writeError(w, &apiError{Status: http.StatusUnauthorized, Type: "authentication", Code: "invalid_api_key",
			Message: "The API key is not valid or has been revoked."})
		return nil, false
	}
	if err != nil {
		s.log.Error("authenticate", "err", err)
		writeError(w, internalError())
		return nil, false
	}
	if wait, ok := s.limits.allow(p.Key.ID); !ok {
		w.Header().Set("Retry-After", wait)
		writeError(w, &apiError{Status: http.StatusTooManyRequests, Type: "rate_limit", Code: "rate_limited",
			Message: "Too many requests with this API key; retry after " + wait + " s."})
		return nil, false
	}
	return p, true
}

func principalFrom(ctx context.Context) *store.Principal {
	p, _ := ctx.Value(principalKey{}).(*store.Principal)
	return p
}

// testOnly reports whether the caller holds a test key: such a key sees and changes test objects
// only (cards, campaigns, webhooks, keys), so that a key handed to a developer or left in a test
// suite can never approve, cancel, erase or redirect anything live.
func testOnly(p *store.Principal) bool { return p.Key.Kind == store.KeyTest }

// inScope reports whether the caller may see an object with the given test flag.
func inScope(p *store.Principal, test bool) bool { return test || !testOnly(p) }
