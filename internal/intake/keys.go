package intake

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/quillpost/quillpost/internal/store"
)

// keyResponse is an API key as listed: never its secret, which is not stored.
type keyResponse struct {
	store.APIKey
	Object  string `json:"object"` // "api_key"
	Current bool   `json:"current,omitempty"`
}

// mayManage reports whether the caller may see and revoke the key: a test key its account's test
// keys, a live key its account's live and test keys; operator keys are managed on the command line.
func mayManage(p *store.Principal, k store.APIKey) bool {
	switch k.Kind {
	case store.KeyTest:
		return true
	case store.KeyLive:
		return !testOnly(p)
	}
	return false
}

// listKeys is GET /v1/keys: the account's keys the caller may manage, revoked ones included.
func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	admin, ok := s.store.(store.KeyAdmin)
	if !ok {
		writeError(w, unsupported())
		return
	}
	keys, err := admin.ListKeys(r.Context(), p.Account.ID)
	if err != nil {
		s.log.Error("list keys", "account", p.Account.ID, "err", err)
		writeError(w, internalError())
		return
	}
	out := struct {
		Object string        `json:"object"`
		Data   []keyResponse `json:"data"`
	}{Object: "list", Data: []keyResponse{}}
	for _, k := range keys {
		if mayManage(p, k) {
			out.Data = append(out.Data, keyResponse{APIKey: k, Object: "api_key", Current: k.ID == p.Key.ID})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// revokeKey is DELETE /v1/keys/{id}: the key stops working with the next request (keys are not
// cached), also in other API processes. Revoking a revoked key answers it again.
func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	admin, ok := s.store.(store.KeyAdmin)
	if !ok {
		writeError(w, unsupported())
		return
	}
	id := r.PathValue("id")
	k, err := admin.GetKey(r.Context(), p.Account.ID, id)
	if err == nil && !mayManage(p, *k) {
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "not_found", Code: "key_not_found",
			Message: fmt.Sprintf("There is no key %q that this key may revoke.", id)})
		return
	}
	if err == nil {
		err = s.store.RevokeKey(r.Context(), p.Account.ID, id)
	}
	if err == nil {
		k, err = admin.GetKey(r.Context(), p.Account.ID, id)
	}
	if err != nil {
		s.log.Error("revoke key", "key", id, "err", err)
		writeError(w, internalError())
		return
	}
	s.log.Info("api key revoked", "key", k.ID, "account", p.Account.ID, "by", p.Key.ID)
	writeJSON(w, http.StatusOK, keyResponse{APIKey: *k, Object: "api_key"})
}
