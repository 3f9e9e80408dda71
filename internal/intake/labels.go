package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/quillpost/quillpost/internal/address"
	"github.com/quillpost/quillpost/internal/sheets"
	"github.com/quillpost/quillpost/internal/store"
)

// campaignLabels is GET /v1/campaigns/{id}/labels.pdf?layout=…[&sort=postal][&status=…]: the
// address labels of the campaign's cards in the order they were created (the order the robots
// take them), or sorted by country and postal code for bulk mail. By default every card that is or
// will be written is included; status=written,posted narrows it.
func (s *Server) campaignLabels(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	c, spec, ok := s.campaignOr404(w, r, p)
	if !ok {
		return
	}
	q := r.URL.Query()
	layoutName := q.Get("layout")
	if layoutName == "" {
		layoutName = "zweckform-3475"
	}
	layout, err := sheets.LookupLayout(layoutName)
	if err != nil {
		writeError(w, &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "layout_invalid", Field: "layout", Message: sentence(err.Error())})
		return
	}
	sortBy, err := sheets.ParseSort(q.Get("sort"))
	if err != nil {
		writeError(w, &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "sort_invalid", Field: "sort", Message: sentence(err.Error())})
		return
	}
	statuses := []store.Status{store.StatusAccepted, store.StatusQueued, store.StatusPlotting, store.StatusWritten, store.StatusPosted, store.StatusSpoiled}
	if v := q.Get("status"); v != "" {
		statuses = nil
		for _, one := range strings.Split(v, ",") {
			st := store.Status(strings.TrimSpace(one))
			if !st.Valid() {
				writeError(w, &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: "filter_invalid", Field: "status",
					Message: fmt.Sprintf("There is no card status %q.", one)})
				return
			}
			statuses = append(statuses, st)
		}
	}
	var cards []*store.Card
	f := store.CardFilter{CampaignID: c.ID, Statuses: statuses, Limit: 1000}
	for {
		page, err := s.store.ListCards(r.Context(), p.Account.ID, f)
		if err != nil {
			s.log.Error("labels: list cards", "campaign", c.ID, "err", err)
			writeError(w, internalError())
			return
		}
		cards = append(cards, page.Cards...)
		if page.Next == "" {
			break
		}
		f.After = page.Next
	}
	slices.Reverse(cards) // oldest first: the order the cards were queued in
	opts := sheets.Options{Sort: sortBy, Title: sheets.SafeTitle(c.Name), SenderCountry: "DE"}
	if spec.From != nil {
		opts.SenderCountry = spec.From.Country
		opts.Sender = sheets.SafeTitle(senderLine(*spec.From))
	}
	var labels []sheets.Label
	skipped := 0
	for _, card := range cards {
		var to address.Address
		if card.Message == "" || json.Unmarshal(card.To, &to) != nil {
			skipped++ // erased
			continue
		}
		l := sheets.Label{Seq: len(labels) + 1, OrderID: card.ID, CardID: card.ID, To: to}
		if oid := card.Metadata["order_id"]; oid != "" {
			l.OrderID = oid
		}
		if sheets.CheckLabel(l, opts) != nil {
			if l.OrderID != card.ID {
				l.OrderID = card.ID // the customer's order id may not be printable: the card id is
			}
			if sheets.CheckLabel(l, opts) != nil {
				skipped++ // sent as entered: the address cannot be printed by the rules
				continue
			}
		}
		labels = append(labels, l)
	}
	if len(labels) == 0 {
		writeError(w, &apiError{Status: http.StatusConflict, Type: "conflict", Code: "no_labels",
			Message: "The campaign has no cards with printable addresses in the statuses asked for."})
		return
	}
	var buf bytes.Buffer
	res, err := sheets.Render(&buf, layout, labels, opts)
	if err != nil {
		var le *sheets.LabelError
		if errors.As(err, &le) {
			writeError(w, &apiError{Status: http.StatusUnprocessableEntity, Type: "invalid_request", Code: "label_invalid",
				Message: sentence(le.Error())})
			return
		}
		s.log.Error("labels: render", "campaign", c.ID, "err", err)
		writeError(w, internalError())
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-labels.pdf"`, c.ID))
	w.Header().Set("Quillpost-Labels", strconv.Itoa(len(res.Placements)))
	w.Header().Set("Quillpost-Skipped-Labels", strconv.Itoa(skipped))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

// senderLine is the return address on one short line: "Papierladen, Marktplatz 1, 80331 München".
func senderLine(a address.Address) string {
	parts := []string{}
	for _, p := range []string{a.Company, a.Name} {
		if strings.TrimSpace(p) != "" {
			parts = append(parts, strings.TrimSpace(p))
			break
		}
	}
	if len(a.Lines) > 0 && strings.TrimSpace(a.Lines[0]) != "" {
		parts = append(parts, strings.TrimSpace(a.Lines[0]))
	}
	parts = append(parts, strings.TrimSpace(a.PostalCode+" "+a.City))
	line := strings.Join(parts, ", ")
	if r := []rune(line); len(r) > sheets.MaxSenderLength {
		line = string(r[:sheets.MaxSenderLength])
	}
	return line
}
