package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

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
	opts := sheets.Options{Sort: sortBy, Title: sheets.SafeTitle(c.Name), SenderCountry: "DE"}
	if spec.From != nil {
		opts.SenderCountry = spec.From.Country
		opts.Sender = sheets.SafeTitle(senderLine(*spec.From))
	}
	// The cards are read a page at a time and only their labels kept (a few hundred bytes each,
	// at most labelsMaxLabels of them).
	var labels []sheets.Label
	skipped := 0
	f := store.CardFilter{CampaignID: c.ID, Statuses: statuses, Limit: 1000}
	for {
		page, err := s.store.ListCards(r.Context(), p.Account.ID, f)
		if err != nil {
			s.log.Error("labels: list cards", "campaign", c.ID, "err", err)
			writeError(w, internalError())
			return
		}
		for _, card := range page.Cards {
			l, ok := cardLabel(card, opts)
			if !ok {
				skipped++
				continue
			}
			labels = append(labels, l)
		}
		if len(labels) > labelsMaxLabels {
			writeError(w, &apiError{Status: http.StatusUnprocessableEntity, Type: "invalid_request", Code: "too_many_labels",
				Message: fmt.Sprintf("The campaign has more than %d labels for one document; ask for fewer with status=….", labelsMaxLabels)})
			return
		}
		if page.Next == "" {
			break
		}
		f.After = page.Next
	}
	slices.Reverse(labels) // oldest first: the order the cards were queued in
	for i := range labels {
		labels[i].Seq = i + 1
	}
	if len(labels) == 0 {
		writeError(w, &apiError{Status: http.StatusConflict, Type: "conflict", Code: "no_labels",
			Message: "The campaign has no cards with printable addresses in the statuses asked for."})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), labelsTimeBudget)
	defer cancel()
	rw := &startOnWrite{w: w, start: func() {
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-labels.pdf"`, c.ID))
		w.Header().Set("Quillpost-Labels", strconv.Itoa(len(labels)))
		w.Header().Set("Quillpost-Skipped-Labels", strconv.Itoa(skipped))
		w.WriteHeader(http.StatusOK)
	}}
	res, err := sheets.Stream(ctx, rw, layout, labels, opts, sheets.StreamLimits{MaxLabels: labelsMaxLabels, MaxBytes: labelsMaxBytes})
	switch {
	case err == nil:
		s.log.Info("labels sent", "campaign", c.ID, "labels", res.Labels, "pages", res.Pages, "bytes", res.Bytes)
	case rw.started:
		// Part of the document is out: abort the response so that the client sees a failed
		// download, never a truncated PDF with status 200.
		s.log.Warn("labels: stopped mid-document", "campaign", c.ID, "bytes", rw.n, "err", err)
		panic(http.ErrAbortHandler)
	default:
		var le *sheets.LabelError
		if errors.As(err, &le) {
			writeError(w, &apiError{Status: http.StatusUnprocessableEntity, Type: "invalid_request", Code: "label_invalid",
				Message: sentence(le.Error())})
			return
		}
		if ctx.Err() != nil {
			s.log.Warn("labels: stopped before the first page", "campaign", c.ID, "err", err)
			return
		}
		s.log.Error("labels: render", "campaign", c.ID, "err", err)
		writeError(w, internalError())
	}
}

// The bounds of one labels document: labels in it, bytes of PDF (100,000 labels are about 90 MB)
// and the time it may take before it is cut off (the client sees a failed download).
const (
	labelsMaxLabels  = 100_000
	labelsMaxBytes   = 256 << 20
	labelsTimeBudget = 5 * time.Minute
)

// cardLabel is the card's address label, or false for a card whose data was erased or whose
// address cannot be printed by the rules (it was sent as entered).
func cardLabel(card *store.Card, opts sheets.Options) (sheets.Label, bool) {
	var to address.Address
	if card.Message == "" || json.Unmarshal(card.To, &to) != nil {
		return sheets.Label{}, false // erased
	}
	l := sheets.Label{Seq: 1, OrderID: card.ID, CardID: card.ID, To: to}
	if oid := card.Metadata["order_id"]; oid != "" {
		l.OrderID = oid
	}
	if sheets.CheckLabel(l, opts) != nil {
		if l.OrderID != card.ID {
			l.OrderID = card.ID // the customer's order id may not be printable: the card id is
		}
		if sheets.CheckLabel(l, opts) != nil {
			return sheets.Label{}, false
		}
	}
	return l, true
}

// startOnWrite sends the response's headers at the first byte of the body, so that an error
// found before then can still be answered as an error.
type startOnWrite struct {
	w       http.ResponseWriter
	start   func()
	started bool
	n       int64
}

func (s *startOnWrite) Write(b []byte) (int, error) {
	if !s.started {
		s.started = true
		s.start()
	}
	n, err := s.w.Write(b)
	s.n += int64(n)
	return n, err
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
