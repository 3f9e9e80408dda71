package web

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/quillpost/quillpost/internal/address"
	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/sheets"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/worker"
)

// opCookie holds the operator's key. Keeping the key itself (HttpOnly, SameSite=Strict, Secure
// over TLS) rather than a server-side session means any number of quillpost processes accept the
// login without shared session state, and revoking the key logs the operator out at once, since
// every request authenticates it against the store again.
const opCookie = "qp_op"

// flashCookie carries a one-time message across the redirect after a button press.
const flashCookie = "qp_flash"

func operatorKeyCookie(r *http.Request) string {
	c, err := r.Cookie(opCookie)
	if err != nil || !strings.HasPrefix(c.Value, "qp_op_") {
		return ""
	}
	return c.Value
}

type operatorCtx struct{}

// operatorFrom returns the authenticated operator (set by the operator middleware).
func operatorFrom(ctx context.Context) *store.Principal {
	p, _ := ctx.Value(operatorCtx{}).(*store.Principal)
	return p
}

// authOperator resolves the session cookie to an operator principal, or nil.
func (s *Server) authOperator(r *http.Request) *store.Principal {
	key := operatorKeyCookie(r)
	if key == "" {
		return nil
	}
	p, err := s.cfg.Store.Authenticate(r.Context(), key)
	if err != nil || p.Key.Kind != store.KeyOperator {
		return nil
	}
	return p
}

// operator guards operator endpoints: a valid session, and for POSTs the session's form token.
func (s *Server) operator(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.authOperator(r)
		if p == nil {
			if r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/stream") {
				http.Redirect(w, r, "/operator", http.StatusSeeOther)
				return
			}
			http.Error(w, "Sign in with an operator key first.", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			tok := r.PostFormValue("csrf")
			if subtle.ConstantTimeCompare([]byte(tok), []byte(operatorCSRF(operatorKeyCookie(r)))) != 1 {
				http.Error(w, "The form expired; reload the dashboard and try again.", http.StatusForbidden)
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), operatorCtx{}, p)))
	}
}

func (s *Server) operatorPage(w http.ResponseWriter, r *http.Request) {
	lang := language(w, r)
	p := s.authOperator(r)
	if p == nil {
		if operatorKeyCookie(r) != "" { // revoked or unknown: forget it
			http.SetCookie(w, &http.Cookie{Name: opCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r)})
		}
		s.render(w, r, http.StatusOK, "login.html", page{Page: "login", Title: tr(lang, "op.login"), CSRF: s.csrfToken(w, r)})
		return
	}
	d, err := s.dashboard(r.Context(), lang)
	if err != nil {
		s.log.Error("dashboard", "err", err)
	}
	if c, err := r.Cookie(flashCookie); err == nil {
		if b, err := base64.RawURLEncoding.DecodeString(c.Value); err == nil {
			d.Flash = string(b)
			d.FlashErr = strings.HasPrefix(d.Flash, "!")
			d.Flash = strings.TrimPrefix(d.Flash, "!")
		}
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/operator", MaxAge: -1})
	}
	s.render(w, r, http.StatusOK, "operator.html", page{Page: "operator", Title: tr(lang, "op.title"), Data: d})
}

func (s *Server) operatorLogin(w http.ResponseWriter, r *http.Request) {
	lang := language(w, r)
	key := strings.TrimSpace(r.PostFormValue("key"))
	fail := func() {
		s.render(w, r, http.StatusUnauthorized, "login.html", page{Page: "login", Title: tr(lang, "op.login"), Data: tr(lang, "op.badkey")})
	}
	if !checkCSRF(r, r.PostFormValue("csrf")) {
		fail()
		return
	}
	p, err := s.cfg.Store.Authenticate(r.Context(), key)
	if err != nil || p.Key.Kind != store.KeyOperator {
		s.log.Warn("operator login refused", "remote", r.RemoteAddr)
		fail()
		return
	}
	http.SetCookie(w, &http.Cookie{Name: opCookie, Value: key, Path: "/", MaxAge: 12 * 3600,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r)})
	s.log.Info("operator signed in", "key", p.Key.Hint)
	http.Redirect(w, r, "/operator", http.StatusSeeOther)
}

func (s *Server) operatorLogout(w http.ResponseWriter, r *http.Request) {
	key := operatorKeyCookie(r)
	if key != "" && subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(operatorCSRF(key))) == 1 {
		http.SetCookie(w, &http.Cookie{Name: opCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r)})
	}
	http.Redirect(w, r, "/operator", http.StatusSeeOther)
}

// flash sets the message the dashboard shows once after the redirect; errors start with "!".
func flash(w http.ResponseWriter, r *http.Request, msg string, isErr bool) {
	if isErr {
		msg = "!" + msg
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(msg)),
		Path: "/operator", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r)})
	http.Redirect(w, r, "/operator", http.StatusSeeOther)
}

// commands are the robot buttons, in the order the dashboard shows them.
var commands = []worker.Command{worker.CmdCardLoaded, worker.CmdPause, worker.CmdResume, worker.CmdAbort, worker.CmdPenChanged}

func (s *Server) robotCommand(w http.ResponseWriter, r *http.Request) {
	lang := language(w, r)
	name, cmd := r.PathValue("name"), worker.Command(r.PathValue("cmd"))
	if !slices.Contains(commands, cmd) {
		http.Error(w, "unknown command", http.StatusNotFound)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 8*time.Second)
	defer cancel()
	err := worker.Send(ctx, s.cfg.Queue, name, cmd)
	op := operatorFrom(r.Context())
	if err != nil {
		s.log.Warn("robot command refused", "robot", name, "command", cmd, "operator", op.Key.Hint, "err", err)
		flash(w, r, sentence(err.Error()), true)
		return
	}
	s.log.Info("robot command", "robot", name, "command", cmd, "operator", op.Key.Hint)
	flash(w, r, tr(lang, "op.cmd.ok", name, tr(lang, "op.cmd."+string(cmd))), false)
}

func (s *Server) cardAction(w http.ResponseWriter, r *http.Request) {
	lang := language(w, r)
	id, action := r.PathValue("id"), r.PathValue("action")
	op := operatorFrom(r.Context())
	var act func(context.Context, store.CardStore, string, string) (*store.Card, error)
	switch action {
	case "retry":
		act = store.OperatorRetry
	case "cancel":
		act = store.OperatorCancel
	default:
		http.Error(w, "unknown action", http.StatusNotFound)
		return
	}
	if _, err := act(r.Context(), s.cfg.Store, id, "operator "+op.Key.Hint); err != nil {
		var te *store.TransitionError
		if errors.As(err, &te) {
			flash(w, r, sentence(te.Error()), true)
			return
		}
		s.log.Warn("card action failed", "card", id, "action", action, "err", err)
		flash(w, r, sentence(err.Error()), true)
		return
	}
	s.log.Info("card action", "card", id, "action", action, "operator", op.Key.Hint)
	if action == "retry" {
		s.cfg.OnAccepted()
		flash(w, r, tr(lang, "op.retried", id), false)
		return
	}
	flash(w, r, tr(lang, "op.cancelled", id), false)
}

// robotView is one robot on the dashboard.
type robotView struct {
	queue.Heartbeat
	State      queue.WorkerState // offline when the heartbeat is stale
	NeedsHuman bool
	Today      int
	ETA        time.Duration // 0 when unknown
	Commands   []worker.Command
}

type failedView struct {
	Card   *store.Card
	Reason string
	At     time.Time
}

// dashboardView is the operator page's data.
type dashboardView struct {
	Now        time.Time
	CSRF       string
	Attention  []robotView
	Others     []robotView
	Depths     []queue.Depth
	PerHour    int
	TodayTotal int
	Failed     []failedView
	Spoiled    []spoiledCard
	Unposted   int
	Flash      string
	FlashErr   bool
	Problems   []string // parts of the dashboard that could not be read
}

// statePriority orders robots: the ones needing a human first, the most urgent first.
var statePriority = map[queue.WorkerState]int{
	queue.StateError: 0, queue.StateWaiting: 1, queue.StatePaused: 2, queue.StateOffline: 3,
	queue.StatePlotting: 4, queue.StateIdle: 5,
}

func (s *Server) dashboard(ctx context.Context, lang string) (*dashboardView, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	now := s.cfg.Now()
	d := &dashboardView{Now: now}
	snap := s.hub.snapshot()
	beats := snap.Beats
	if !s.hub.live() { // no live view in this process: read the bucket now
		if hb, err := s.cfg.Queue.Heartbeats(ctx); err == nil {
			beats = hb
		} else {
			d.Problems = append(d.Problems, err.Error())
		}
	}
	var robots []robotView
	for _, b := range beats {
		rv := robotView{Heartbeat: b, State: b.State, Today: snap.Today[b.Worker]}
		if b.State != queue.StateOffline && b.Stale(now, s.cfg.StaleAfter) {
			rv.State = queue.StateOffline
		}
		switch rv.State {
		case queue.StateError, queue.StateWaiting, queue.StatePaused:
			rv.NeedsHuman = true
		}
		if start, ok := snap.PlotStart[b.Worker]; ok && rv.State == queue.StatePlotting && b.Progress >= 2 && b.Progress < 100 {
			elapsed := now.Sub(start)
			rv.ETA = time.Duration(float64(elapsed) * (100 - b.Progress) / b.Progress)
		}
		switch rv.State {
		case queue.StateWaiting:
			rv.Commands = []worker.Command{worker.CmdCardLoaded, worker.CmdPenChanged}
		case queue.StatePlotting:
			rv.Commands = []worker.Command{worker.CmdPause, worker.CmdAbort}
		case queue.StatePaused:
			rv.Commands = []worker.Command{worker.CmdResume, worker.CmdAbort}
		case queue.StateIdle, queue.StateError:
			rv.Commands = []worker.Command{worker.CmdPenChanged}
		}
		robots = append(robots, rv)
	}
	slices.SortStableFunc(robots, func(a, b robotView) int {
		if pa, pb := statePriority[a.State], statePriority[b.State]; pa != pb {
			return pa - pb
		}
		return strings.Compare(a.Worker, b.Worker)
	})
	for _, rv := range robots {
		if rv.NeedsHuman {
			d.Attention = append(d.Attention, rv)
		} else {
			d.Others = append(d.Others, rv)
		}
	}
	d.PerHour, d.TodayTotal, d.Spoiled = snap.PerHour, snap.TodayTotal, snap.Spoiled
	if len(d.Spoiled) > 10 {
		d.Spoiled = d.Spoiled[:10]
	}
	var errs []error
	if depths, err := s.cfg.Queue.Depths(ctx); err == nil {
		d.Depths = depths
	} else {
		errs = append(errs, err)
	}
	failed, err := s.cfg.Store.ListCards(ctx, store.AnyAccount, store.CardFilter{Statuses: []store.Status{store.StatusFailed}, Limit: 20})
	if err == nil {
		for _, c := range failed.Cards {
			fv := failedView{Card: c, At: c.UpdatedAt}
			if ev, err := s.cfg.Store.Events(ctx, store.AnyAccount, c.ID); err == nil {
				for _, e := range ev {
					if e.To == store.StatusFailed {
						fv.Reason, fv.At = e.Detail, e.CreatedAt
					}
				}
			}
			d.Failed = append(d.Failed, fv)
		}
	} else {
		errs = append(errs, err)
	}
	if written, err := s.cfg.Store.ListCards(ctx, store.AnyAccount, store.CardFilter{Statuses: []store.Status{store.StatusWritten}, Test: new(false), Limit: 1000}); err == nil {
		d.Unposted = len(written.Cards)
	} else {
		errs = append(errs, err)
	}
	for _, e := range errs {
		d.Problems = append(d.Problems, e.Error())
	}
	return d, errors.Join(errs...)
}

// operatorStream sends the dashboard's live part as an HTML fragment whenever something changes
// (a heartbeat, a card event), at most twice a second, and every few seconds regardless so that
// ETAs and staleness move on.
func (s *Server) operatorStream(w http.ResponseWriter, r *http.Request) {
	lang := language(w, r)
	send, ok := startSSE(w)
	if !ok {
		return
	}
	csrf := operatorCSRF(operatorKeyCookie(r))
	last := ""
	checked := time.Now()
	for {
		changed := s.hub.wait()
		if time.Since(checked) > time.Minute { // a revoked key ends the stream
			if s.authOperator(r) == nil {
				send("signedout", "")
				return
			}
			checked = time.Now()
		}
		d, err := s.dashboard(r.Context(), lang)
		if err != nil && r.Context().Err() != nil {
			return
		}
		d.CSRF = csrf
		html, err := s.renderFragment("operator.html", "live", page{Lang: lang, CSRF: csrf, Data: d})
		if err != nil {
			s.log.Error("dashboard fragment", "err", err)
			return
		}
		if html != last {
			if send("dashboard", html) != nil {
				return
			}
			last = html
		}
		if !s.pause(r, changed, 400*time.Millisecond, 5*time.Second) {
			return
		}
	}
}

// labelsPDF prints the address labels of every written card that waits to be posted, in the
// order the cards were written (oldest first), on the configured label sheet.
func (s *Server) labelsPDF(w http.ResponseWriter, r *http.Request) {
	layout, err := sheets.LookupLayout(s.cfg.LabelLayout)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	page, err := s.cfg.Store.ListCards(r.Context(), store.AnyAccount, store.CardFilter{Statuses: []store.Status{store.StatusWritten}, Test: new(false), Limit: 1000})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var labels []sheets.Label
	for i := len(page.Cards) - 1; i >= 0; i-- {
		c := page.Cards[i]
		var to address.Address
		if json.Unmarshal(c.To, &to) != nil {
			continue
		}
		labels = append(labels, sheets.Label{OrderID: c.ID, CardID: c.ID, To: to})
	}
	if len(labels) == 0 {
		flash(w, r, tr(language(w, r), "op.sheets.none"), false)
		return
	}
	now := s.cfg.Now()
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="labels-%s.pdf"`, now.Format("20060102-1504")))
	if _, err := sheets.Render(w, layout, labels, sheets.Options{SenderCountry: s.cfg.SenderCountry,
		Title: "quillpost address labels " + now.Format("2006-01-02 15:04"), Created: now}); err != nil {
		s.log.Error("address labels", "err", err)
	}
}
