package intake

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/quillpost/quillpost/internal/store"
)

// ownedOr404 reads the caller's object named in the path through get, answering 404 itself, also
// for a live object asked for with a test key, which must not learn that it exists. code is the
// answer's error code; noun names the object in the answer and the log ("occasion rule").
func ownedOr404[T any](s *Server, w http.ResponseWriter, r *http.Request, get func(ctx context.Context, accountID, id string) (*T, error),
	test func(*T) bool, code, noun string) (*T, bool) {
	p := principalFrom(r.Context())
	id := r.PathValue("id")
	v, err := get(r.Context(), p.Account.ID, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !inScope(p, test(v))) {
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "not_found", Code: code,
			Message: fmt.Sprintf("There is no %s %q.", noun, id)})
		return nil, false
	}
	if err != nil {
		s.log.Error("get "+noun, "id", id, "err", err)
		writeError(w, internalError())
		return nil, false
	}
	return v, true
}
