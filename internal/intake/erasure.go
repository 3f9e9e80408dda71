package intake

import (
	"context"
	"net/http"
	"strings"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/quillpost/quillpost/internal/store"
)

// eraseRecipients is DELETE /v1/recipients?email=…|metadata.KEY=VALUE (GDPR erasure): the names,
// addresses, messages and metadata of the account's matching cards are wiped; the cards stay as
// anonymous counts (status, stock, dates). Cards not yet written are cancelled, since they can no
// longer be written; cards being written right now are reported as skipped (retry once written).
// An email is matched, normalised, against the "email" metadata that campaign uploads and cards
// carry. What is erased where is listed in the README ("Erasure").
func (s *Server) eraseRecipients(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	q := r.URL.Query()
	email := normEmail(q.Get("email"))
	match := map[string]string{}
	for k, vs := range q {
		if name, ok := strings.CutPrefix(k, "metadata."); ok && name != "" && len(vs) > 0 && vs[0] != "" {
			match[name] = vs[0]
		}
	}
	if len(match) == 0 && email == "" {
		writeError(w, &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "erasure_filter_missing",
			Message: "Name whose data to erase: ?email=… or ?metadata.KEY=VALUE."})
		return
	}
	if s.ops == nil {
		writeError(w, unsupported())
		return
	}
	// An email is compared in its normalised form (Unicode NFKC, case-folded), so "Anna@Example.org"
	// and "anna@example.org" are the same person; that cannot be asked of SQL, so the account's
	// cards are read page by page and compared here.
	var ids []string
	f := store.CardFilter{Metadata: match, Limit: 1000}
	if testOnly(p) {
		f.Test = new(true) // a test key erases test cards only
	}
	for {
		page, err := s.store.ListCards(r.Context(), p.Account.ID, f)
		if err != nil {
			s.log.Error("erasure: list cards", "err", err)
			writeError(w, internalError())
			return
		}
		for _, c := range page.Cards {
			if email == "" || normEmail(c.Metadata["email"]) == email {
				ids = append(ids, c.ID)
			}
		}
		if page.Next == "" {
			break
		}
		f.After = page.Next
	}
	// The person leaves the occasion lists first, so that no scheduler makes a new card of them
	// between the cards' erasure and their own.
	people, err := s.eraseOccasionRecipients(r.Context(), p, email, match)
	if err != nil {
		s.log.Error("erasure: occasion recipients", "account", p.Account.ID, "err", err)
		writeError(w, internalError())
		return
	}
	events, err := s.eraseTriggerEventIDs(r.Context(), p, email)
	if err != nil {
		s.log.Error("erasure: trigger events", "account", p.Account.ID, "err", err)
		writeError(w, internalError())
		return
	}
	res, err := s.ops.EraseCards(r.Context(), p.Account.ID, ids, "api.erasure")
	if err != nil {
		s.log.Error("erasure", "account", p.Account.ID, "err", err)
		writeError(w, internalError())
		return
	}
	s.log.Info("recipient data erased", "account", p.Account.ID, "cards", res.Erased, "cancelled", res.Cancelled, "skipped", res.Skipped,
		"trigger_events", events)
	writeJSON(w, http.StatusOK, map[string]any{"object": "erasure", "matched": len(ids), "erased": res.Erased,
		"cancelled": res.Cancelled, "skipped_in_progress": res.Skipped, "occasion_recipients_removed": people})
}

// eraseTriggerEventIDs finds the account's trigger calls whose event id holds the email (a mapping
// may build event ids of it, "{{email}}-{{id}}") and keeps their ids only as digests. The events of
// erased cards are digested with the cards (EraseCards), refused and capped calls only here: they
// have no card. A test key reaches the events of test triggers only.
func (s *Server) eraseTriggerEventIDs(ctx context.Context, p *store.Principal, email string) (int, error) {
	ts, ok := s.store.(store.TriggerStore)
	if !ok || email == "" {
		return 0, nil
	}
	var ids []string
	testTrigger := map[string]bool{}
	f := store.OccasionFilter{Limit: 1000}
	for {
		evs, next, err := ts.ListTriggerEvents(ctx, p.Account.ID, "", f)
		if err != nil {
			return 0, err
		}
		for _, e := range evs {
			if !strings.Contains(normEmail(e.EventID), email) {
				continue
			}
			test, seen := testTrigger[e.TriggerID]
			if !seen {
				t, err := ts.GetTrigger(ctx, p.Account.ID, e.TriggerID)
				if err != nil {
					return 0, err
				}
				test, testTrigger[e.TriggerID] = t.Test, t.Test
			}
			if inScope(p, test) {
				ids = append(ids, e.ID)
			}
		}
		if next == "" {
			break
		}
		f.After = next
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ts.DigestTriggerEvents(ctx, p.Account.ID, ids)
}

// normEmail is the form emails are compared in: compatibility-normalised (full-width letters,
// ligatures), case-folded the Unicode way (ß and ss, K and the Kelvin sign alike), trimmed.
// "" stays "". A Caser keeps state, so each call makes its own.
func normEmail(e string) string {
	e = norm.NFKC.String(strings.TrimSpace(e))
	return norm.NFKC.String(cases.Fold().String(e))
}
