package intake

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"

	"github.com/quillpost/quillpost/internal/address"
	"github.com/quillpost/quillpost/internal/calendar"
	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/store"
)

// upcomingCard is one planned occasion card as GET /v1/occasions/rules/{id}/upcoming shows it.
type upcomingCard struct {
	RecipientID  string `json:"recipient_id"`
	Key          string `json:"key"`
	OccasionDate string `json:"occasion_date"`
	WriteOn      string `json:"write_on"`
	PostOn       string `json:"post_on"`
	ArriveBy     string `json:"arrive_by"`
	// Status: "sent" (CardID), "planned", "missed" (its posting day passed while the rule could
	// not act: before the rule or the person existed, or paused) or "unwritable" (Reason).
	Status string `json:"status"`
	CardID string `json:"card_id,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// upcomingOccasions is GET /v1/occasions/rules/{id}/upcoming?days=N (default 60, at most 400):
// the rule's cards whose writing day lies in the next N days or already passed for a date still
// to come, with their writing, posting and arrival days — and, for a card that cannot be made
// (a variable missing, a character the face lacks), why, before its day comes.
func (s *Server) upcomingOccasions(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	os, ok := s.occasionStore(w)
	if !ok {
		return
	}
	rule, ok := s.occasionRuleOr404(w, r, os)
	if !ok {
		return
	}
	days := 60
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 400 {
			writeError(w, &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "days_invalid", Field: "days",
				Message: "The days must be a whole number from 1 to 400."})
			return
		}
		days = n
	}
	var spec occasionSpec
	if err := json.Unmarshal(rule.Spec, &spec); err != nil {
		writeError(w, internalError())
		return
	}
	cal, err := calendar.New(spec.SenderCountry, spec.SenderRegion)
	if err != nil {
		writeError(w, internalError())
		return
	}
	tpl, err := parseTemplate(spec.Template)
	if err != nil {
		writeError(w, internalError())
		return
	}
	transit := s.transit
	today := calendar.DateOf(s.clock.Now().UTC())
	until := today.AddDays(days)
	years := []int{today.Year, today.Year + 1, today.Year + 2}
	sends := map[int]map[string]store.OccasionSend{}
	for _, y := range years {
		if sends[y], err = os.OccasionSends(r.Context(), rule.ID, y); err != nil {
			writeError(w, internalError())
			return
		}
	}
	out := []upcomingCard{}
	f := store.OccasionFilter{Test: &rule.Test, Limit: 1000}
	for {
		recs, next, err := os.ListOccasionRecipients(r.Context(), p.Account.ID, f)
		if err != nil {
			s.log.Error("upcoming occasions", "rule", rule.ID, "err", err)
			writeError(w, internalError())
			return
		}
		for _, rec := range recs {
			date, err := calendar.ParseDate(rec.Dates[rule.Occasion])
			if err != nil {
				continue
			}
			var to address.Address
			_ = json.Unmarshal(rec.To, &to)
			for _, y := range years {
				if date.Year != 0 && y <= date.Year {
					continue
				}
				occ, plan := planOccasion(cal, transit, rule, &spec, date, to.Country, y)
				if occ.Before(today) || plan.WriteOn.After(until) {
					continue
				}
				u := upcomingCard{RecipientID: rec.ID, Key: rec.Key, OccasionDate: occ.String(), WriteOn: plan.WriteOn.String(),
					PostOn: plan.PostOn.String(), ArriveBy: plan.ArriveBy.String(), Status: "planned"}
				switch sent, done := sends[y][rec.ID]; {
				case done:
					u.Status, u.CardID = "sent", sent.CardID
				case today.After(plan.PostOn):
					u.Status = "missed"
				default:
					if why := occasionProblem(tpl, &spec, rec, date, occ); why != "" {
						u.Status, u.Reason = "unwritable", why
					}
				}
				out = append(out, u)
			}
		}
		if next == "" {
			break
		}
		f.After = next
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].WriteOn != out[j].WriteOn {
			return out[i].WriteOn < out[j].WriteOn
		}
		return out[i].RecipientID < out[j].RecipientID
	})
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "rule_id": rule.ID, "from": today.String(), "until": until.String(), "data": out})
}

// occasionProblem says why a person's card could not be made, or "": the merge and the face, as
// the scheduler will meet them.
func occasionProblem(tpl *template, spec *occasionSpec, rec *store.OccasionRecipient, date, occ calendar.Date) string {
	vars := map[string]string{}
	if date.Year != 0 {
		vars["years"] = strconv.Itoa(occ.Year - date.Year)
	}
	for k, v := range rec.Variables {
		vars[k] = v
	}
	msg, me := tpl.merge(vars, spec.RequiredVariables)
	if me != nil {
		return me.Reason
	}
	cs := cardspec.Spec{Message: msg, Font: spec.Font, Hand: spec.Hand, Stock: spec.Stock, Align: spec.Align, Seed: 1}.WithDefaults()
	if _, err := cardspec.Render(cs); err != nil {
		return renderError(err).Message
	}
	return ""
}
