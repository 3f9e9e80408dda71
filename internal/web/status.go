package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/quillpost/quillpost/internal/address"
	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/store"
)

// timelineSteps is a card's way when all goes well; the status page shows each step.
var timelineSteps = []store.Status{store.StatusAccepted, store.StatusQueued, store.StatusPlotting, store.StatusWritten, store.StatusPosted}

type step struct {
	Status  store.Status
	Done    bool
	Current bool
	At      time.Time
}

// statusView is the order status page's data.
type statusView struct {
	Card    *store.Card
	Steps   []step
	Notes   []store.Event // spoiled, failed, cancelled: the detours
	Final   bool          // nothing will change any more
	Preview previewResult
	To      []string
	SendOn  string // the send date, as the customer reads it; "" for as soon as possible
	Price   string // with VAT; "" for test cards or stocks without a price
}

func (s *Server) statusOf(r *http.Request, lang string, withPreview bool) (*statusView, error) {
	id := r.PathValue("id")
	c, err := s.cfg.Store.GetCard(r.Context(), s.account.ID, id)
	if err != nil {
		return nil, err
	}
	events, err := s.cfg.Store.Events(r.Context(), s.account.ID, id)
	if err != nil {
		return nil, err
	}
	v := &statusView{Card: c, Final: c.Status.Terminal()}
	if !c.SendDate.IsZero() {
		v.SendOn = longDate(lang, c.SendDate.UTC().Format(time.DateOnly))
	}
	if p, ok := s.cfg.Prices.Of(c.Stock); ok && !c.Test {
		v.Price = money(lang, p.Gross, p.Currency)
	}
	cur := -1
	for i, st := range timelineSteps {
		if st == c.Status {
			cur = i
		}
	}
	if c.Status == store.StatusSpoiled {
		cur = 2
	}
	for i, st := range timelineSteps {
		sp := step{Status: st, Done: i < cur || (i == cur && (st == store.StatusWritten || st == store.StatusPosted)), Current: i == cur}
		for _, e := range events {
			if e.To == st {
				sp.At = e.CreatedAt
			}
		}
		if cur < 0 && !sp.At.IsZero() {
			sp.Done = true // a detour (failed, cancelled): the steps taken stay done
		}
		v.Steps = append(v.Steps, sp)
	}
	for _, e := range events {
		switch e.To {
		case store.StatusSpoiled, store.StatusFailed, store.StatusCancelled, store.StatusRejected:
			v.Notes = append(v.Notes, e)
		}
	}
	if withPreview {
		var to address.Address
		if json.Unmarshal(c.To, &to) == nil {
			v.To = address.Format(to, s.cfg.SenderCountry)
		}
		hc, err := cardspec.Render(cardspec.FromCard(c))
		if err == nil {
			v.Preview = previewOf(lang, hc)
		}
	}
	return v, nil
}

func (s *Server) orderStatus(w http.ResponseWriter, r *http.Request) {
	lang := language(w, r)
	v, err := s.statusOf(r, lang, true)
	if errors.Is(err, store.ErrNotFound) {
		s.render(w, r, http.StatusNotFound, "notfound.html", page{Page: "notfound", Title: tr(lang, "notfound.title"),
			Data: tr(lang, "status.notfound")})
		return
	}
	if err != nil {
		s.log.Error("order status", "card", r.PathValue("id"), "err", err)
		http.Error(w, tr(lang, "err.internal"), http.StatusInternalServerError)
		return
	}
	s.render(w, r, http.StatusOK, "status.html", page{Page: "status", Title: tr(lang, "status.title"), Test: v.Card.Test, Data: v})
}

// orderEvents streams the order's timeline as HTML fragments (server-sent events) whenever the
// card changes, until the card reaches a final status or the browser leaves.
func (s *Server) orderEvents(w http.ResponseWriter, r *http.Request) {
	lang := language(w, r)
	if _, err := s.cfg.Store.GetCard(r.Context(), s.account.ID, r.PathValue("id")); err != nil {
		http.NotFound(w, r)
		return
	}
	send, ok := startSSE(w)
	if !ok {
		return
	}
	last := ""
	for {
		changed := s.hub.wait()
		v, err := s.statusOf(r, lang, false)
		if err != nil {
			return
		}
		html, err := s.renderFragment("status.html", "timeline", page{Lang: lang, Data: v})
		if err != nil {
			s.log.Error("timeline fragment", "err", err)
			return
		}
		if html != last {
			if send("timeline", html) != nil {
				return
			}
			last = html
		}
		if v.Final {
			send("final", string(v.Card.Status))
			return
		}
		if !s.pause(r, changed, 500*time.Millisecond, 15*time.Second) {
			return
		}
	}
}

// pause waits for the hub's next change (at least min, so bursts of events cost one render) or
// for max, and reports false when the browser went away.
func (s *Server) pause(r *http.Request, changed <-chan struct{}, min, max time.Duration) bool {
	if !s.hub.live() {
		max = 2 * time.Second // no live view: poll
	}
	t := time.NewTimer(max)
	defer t.Stop()
	select {
	case <-r.Context().Done():
		return false
	case <-changed:
	case <-t.C:
		return true
	}
	select {
	case <-r.Context().Done():
		return false
	case <-time.After(min):
		return true
	}
}

// startSSE prepares a server-sent event stream; send writes one event.
func startSSE(w http.ResponseWriter) (send func(event, data string) error, ok bool) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil, false
	}
	return func(event, data string) error {
		var b strings.Builder
		b.WriteString("event: " + event + "\n")
		for _, line := range strings.Split(data, "\n") {
			b.WriteString("data: " + line + "\n")
		}
		b.WriteString("\n")
		if _, err := w.Write([]byte(b.String())); err != nil {
			return err
		}
		return rc.Flush()
	}, true
}
