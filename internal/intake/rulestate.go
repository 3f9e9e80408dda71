package intake

import (
	"context"
	"errors"
	"net/http"

	"github.com/quillpost/quillpost/internal/store"
)

var errRuleCancelled = errors.New("rule cancelled")

// ruleKind is what pausing, resuming and cancelling need to know of a rule that writes cards on
// its own (an occasion rule, a trigger): both keep their state in the same three values, tag their
// cards with their id under one metadata key, and can never leave the cancelled state.
type ruleKind[T any] struct {
	name     string    // in log lines: "occasion rule"
	meta     string    // the metadata key naming the rule on its cards; also the cancel cause's prefix
	conflict *apiError // the answer to pausing or resuming a cancelled rule
	state    func(*T) *string
	id       func(*T) string
}

// setRuleState moves rule to state to through update, which runs the change in the store's
// transaction so that a concurrent cancel is not undone. Cancelling also cancels every card of the
// rule not yet being written (cancelled), counting those a robot is writing (busy). On failure it
// has written the error response and ok is false.
func setRuleState[T any](s *Server, w http.ResponseWriter, r *http.Request, k ruleKind[T], to string, rule *T,
	update func(ctx context.Context, accountID, id string, fn func(*T) error) (*T, error)) (updated *T, cancelled, busy int, ok bool) {
	p := principalFrom(r.Context())
	rule, err := update(r.Context(), p.Account.ID, k.id(rule), func(ru *T) error {
		if *k.state(ru) == store.RuleCancelled && to != store.RuleCancelled {
			return errRuleCancelled
		}
		*k.state(ru) = to
		return nil
	})
	if errors.Is(err, errRuleCancelled) {
		writeError(w, k.conflict)
		return nil, 0, 0, false
	}
	if err != nil {
		s.log.Error(k.name+" state", "id", r.PathValue("id"), "err", err)
		writeError(w, internalError())
		return nil, 0, 0, false
	}
	if to == store.RuleCancelled {
		cancelled, busy, err = s.cancelUnwritten(r.Context(), p.Account.ID, map[string]string{k.meta: k.id(rule)}, k.meta+".cancel")
		if err != nil {
			s.log.Error("cancel "+k.name+" cards", "id", k.id(rule), "err", err)
			writeError(w, internalError())
			return nil, 0, 0, false
		}
	}
	return rule, cancelled, busy, true
}

// listRules answers a listing of rules through list: filtered by the state in the query, a test
// key seeing only test rules, paged by id. noun names the rule in log lines ("occasion rule").
func listRules[T, R any](s *Server, w http.ResponseWriter, r *http.Request,
	list func(ctx context.Context, accountID string, f store.OccasionFilter) ([]*T, string, error),
	respond func(*T) (R, error), noun string) {
	p := principalFrom(r.Context())
	q := r.URL.Query()
	limit, aerr := parseLimit(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	f := store.OccasionFilter{State: q.Get("state"), After: q.Get("after"), Limit: limit}
	if f.State != "" && f.State != store.RuleActive && f.State != store.RulePaused && f.State != store.RuleCancelled {
		writeError(w, &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "filter_invalid", Field: "state",
			Message: "The state must be active, paused or cancelled."})
		return
	}
	if testOnly(p) {
		f.Test = new(true)
	}
	rules, next, err := list(r.Context(), p.Account.ID, f)
	if err != nil {
		s.log.Error("list "+noun+"s", "err", err)
		writeError(w, internalError())
		return
	}
	out := struct {
		Object string `json:"object"`
		Data   []R    `json:"data"`
		Next   string `json:"next,omitempty"`
	}{Object: "list", Data: []R{}, Next: next}
	for _, rule := range rules {
		o, err := respond(rule)
		if err != nil {
			s.log.Error(noun+" response", "err", err)
			writeError(w, internalError())
			return
		}
		out.Data = append(out.Data, o)
	}
	writeJSON(w, http.StatusOK, out)
}
