package web

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quillpost/quillpost/internal/address"
	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/faces"
	"github.com/quillpost/quillpost/internal/preview"
	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/reproof"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/worker"
)

// opCookie holds the operator's session token: 256 random bits, of which the database keeps only
// the SHA-256. The key itself never leaves the login form. A session ends after sessionTTL, at
// logout, and at once when its key is revoked (every request reads the key's state).
const opCookie = "qp_op"

// sessionTTL is how long an operator session lasts; then the operator signs in again.
const sessionTTL = 12 * time.Hour

// flashCookie carries a one-time message across the redirect after a button press.
const flashCookie = "qp_flash"

// sessionCookie returns the session token the browser sent, or "".
func sessionCookie(r *http.Request) string {
	c, err := r.Cookie(opCookie)
	if err != nil || !strings.HasPrefix(c.Value, "qps_") || len(c.Value) > 100 {
		return ""
	}
	return c.Value
}

// setSessionCookie sets (or with token "" clears) the session cookie: HttpOnly, SameSite=Strict,
// and Secure unless the page is served over plain HTTP to this very machine (local development).
func setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	c := &http.Cookie{Name: opCookie, Value: token, Path: "/", MaxAge: int(sessionTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r) || !loopbackHost(r)}
	if token == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// loopbackHost reports whether the request was addressed to this machine by a loopback name.
func loopbackHost(r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

type operatorCtx struct{}

// operatorFrom returns the authenticated operator (set by the operator middleware).
func operatorFrom(ctx context.Context) *store.Principal {
	p, _ := ctx.Value(operatorCtx{}).(*store.Principal)
	return p
}

// authOperator resolves the session cookie to an operator principal, or nil.
func (s *Server) authOperator(r *http.Request) *store.Principal {
	token := sessionCookie(r)
	if token == "" || s.sessions == nil {
		return nil
	}
	p, err := s.sessions.SessionPrincipal(r.Context(), store.HashKey(token), s.cfg.Now())
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
			if subtle.ConstantTimeCompare([]byte(tok), []byte(operatorCSRF(sessionCookie(r)))) != 1 {
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
		if sessionCookie(r) != "" { // expired, logged out or revoked: forget it
			setSessionCookie(w, r, "")
		}
		s.render(w, r, http.StatusOK, "login.html", page{Page: "login", Title: tr(lang, "op.login"), CSRF: s.csrfToken(w, r)})
		return
	}
	d, err := s.dashboard(r.Context(), lang)
	if err != nil {
		s.log.Error("dashboard", "err", err)
	}
	if q := strings.TrimSpace(r.URL.Query().Get("q")); q != "" && len(q) <= 200 {
		d.Query, d.Searched = q, true
		d.Found = s.search(r.Context(), lang, q)
	}
	if c, err := r.Cookie(flashCookie); err == nil {
		if b, err := base64.RawURLEncoding.DecodeString(c.Value); err == nil {
			d.Flash = string(b)
			d.FlashErr = strings.HasPrefix(d.Flash, "!")
			d.Flash = strings.TrimPrefix(d.Flash, "!")
			d.Flash, d.FlashRaw, _ = strings.Cut(d.Flash, "\x00")
		}
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/operator", MaxAge: -1})
	}
	s.render(w, r, http.StatusOK, "operator.html", page{Page: "operator", Title: tr(lang, "op.title"), Data: d})
}

// operatorLogin checks an operator key and starts a session. Failed attempts are throttled per
// client and for all clients together; a throttled client is refused before its key is checked.
func (s *Server) operatorLogin(w http.ResponseWriter, r *http.Request) {
	lang := language(w, r)
	client := clientOf(r)
	if s.loginFails.blocked(client) || s.loginFailsAll.blocked("") {
		s.log.Warn("operator login throttled", "client", client)
		w.Header().Set("Retry-After", "30")
		s.render(w, r, http.StatusTooManyRequests, "login.html", page{Page: "login", Title: tr(lang, "op.login"), Data: tr(lang, "op.throttled")})
		return
	}
	key := strings.TrimSpace(r.PostFormValue("key"))
	fail := func() {
		s.loginFails.allow(client)
		s.loginFailsAll.allow("")
		s.render(w, r, http.StatusUnauthorized, "login.html", page{Page: "login", Title: tr(lang, "op.login"), Data: tr(lang, "op.badkey")})
	}
	if !checkCSRF(r, r.PostFormValue("csrf")) {
		fail()
		return
	}
	p, err := s.cfg.Store.Authenticate(r.Context(), key)
	if err != nil || p.Key.Kind != store.KeyOperator || s.sessions == nil {
		s.log.Warn("operator login refused", "client", client)
		fail()
		return
	}
	token, hash, err := store.NewSessionToken()
	if err == nil {
		err = s.sessions.CreateSession(r.Context(), hash, p.Key.ID, s.cfg.Now().Add(sessionTTL))
	}
	if err != nil {
		s.log.Error("operator session", "err", err)
		http.Error(w, "The sign-in could not be completed; try again.", http.StatusInternalServerError)
		return
	}
	setSessionCookie(w, r, token)
	s.log.Info("operator signed in", "key", p.Key.Hint, "client", client)
	http.Redirect(w, r, "/operator", http.StatusSeeOther)
}

// operatorLogout ends the session in the database (a copied cookie dies with it) and in the browser.
func (s *Server) operatorLogout(w http.ResponseWriter, r *http.Request) {
	token := sessionCookie(r)
	if token != "" && subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(operatorCSRF(token))) == 1 {
		if s.sessions != nil {
			if err := s.sessions.DeleteSession(r.Context(), store.HashKey(token)); err != nil {
				s.log.Error("operator logout", "err", err)
			}
		}
		setSessionCookie(w, r, "")
	}
	http.Redirect(w, r, "/operator", http.StatusSeeOther)
}

// flash sets the message the dashboard shows once after the redirect; errors start with "!".
// A machine's own words (a robot's refusal) follow after a NUL and are shown as such.
func flash(w http.ResponseWriter, r *http.Request, msg string, isErr bool) {
	if isErr {
		msg = "!" + msg
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(msg)),
		Path: "/operator", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r)})
	http.Redirect(w, r, "/operator", http.StatusSeeOther)
}

// commands are the robot buttons, in the order the dashboard shows them.
var commands = []worker.Command{worker.CmdCardLoaded, worker.CmdPause, worker.CmdResume, worker.CmdAbort, worker.CmdAbortKeep,
	worker.CmdPenChanged, worker.CmdCheckSetup, worker.CmdSetOrigin}

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
		flash(w, r, tr(lang, "op.refused")+"\x00"+sentence(err.Error()), true)
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
	case "approve":
		act = func(ctx context.Context, _ store.CardStore, id, _ string) (*store.Card, error) {
			return s.approveNewProof(ctx, id, "operator.approve:"+op.Account.Name)
		}
	default:
		http.Error(w, "unknown action", http.StatusNotFound)
		return
	}
	if _, err := act(r.Context(), s.cfg.Store, id, "operator "+op.Key.Hint); err != nil {
		var te *store.TransitionError
		if errors.As(err, &te) {
			flash(w, r, tr(lang, "op.failed.action")+"\x00"+sentence(te.Error()), true)
			return
		}
		if ue := (*reproof.UnwritableError)(nil); errors.As(err, &ue) {
			flash(w, r, tr(lang, "op.failed.action")+"\x00"+sentence(ue.Error()), true)
			return
		}
		s.log.Warn("card action failed", "card", id, "action", action, "err", err)
		flash(w, r, tr(lang, "op.failed.action")+"\x00"+sentence(err.Error()), true)
		return
	}
	s.log.Info("card action", "card", id, "action", action, "operator", op.Key.Hint)
	switch action {
	case "retry":
		s.cfg.OnAccepted()
		flash(w, r, tr(lang, "op.retried", id), false)
		return
	case "approve":
		s.cfg.OnAccepted()
		flash(w, r, tr(lang, "op.approved", id), false)
		return
	}
	flash(w, r, tr(lang, "op.cancelled", id), false)
}

// approveNewProof approves, on the customer's behalf, the new proof of a card held since a
// renderer upgrade: the same approval as the customer's and the API operator's (reproof.Approve).
func (s *Server) approveNewProof(ctx context.Context, id, cause string) (*store.Card, error) {
	ps, ok := s.cfg.Store.(store.ProofStore)
	if !ok {
		return nil, errors.New("this store keeps no proofs")
	}
	c, err := s.cfg.Store.GetCard(ctx, store.AnyAccount, id)
	if err != nil {
		return nil, fmt.Errorf("approve %s: %w", id, err)
	}
	if c.Status != store.StatusAccepted || !c.ProofChanged {
		return nil, fmt.Errorf("card %s is %s and not waiting for a changed proof's approval: %w", id, c.Status, store.ErrConflict)
	}
	return reproof.Approve(ctx, ps, s.cardFaces(ctx, c), store.AnyAccount, c, cause)
}

// cardFaces finds the faces a stored card may be written in: its own account's, as when it was
// ordered (the operator has none of their own).
func (s *Server) cardFaces(ctx context.Context, c *store.Card) cardspec.FaceFinder {
	var src faces.Source
	if s.faceStore != nil {
		src = s.faceStore
	}
	return s.faceCache.Finder(ctx, src, c.AccountID, !c.Test)
}

// robotView is one robot on the dashboard.
type robotView struct {
	queue.Heartbeat
	State      queue.WorkerState // offline when the heartbeat is stale
	NeedsHuman bool
	Today      int
	ETA        time.Duration // 0 when unknown
	Commands   []worker.Command
	PenWorn    bool
}

// CanAbort reports whether the robot's card may be aborted (asked with a confirmation).
func (r robotView) CanAbort() bool {
	return r.State == queue.StatePlotting || r.State == queue.StatePaused
}

type failedView struct {
	Card   *store.Card
	Cause  string // the event's cause, said in the page's language
	Detail string // the worker's own words
	At     time.Time
	To     string // the recipient's name
}

// strandedLane is a lane whose cards wait while no robot that is up has its stock loaded.
type strandedLane struct {
	Lane    string
	Title   string
	Waiting int
}

// dashboardView is the operator page's data.
type spoiledView struct {
	spoiledCard
	CauseText string
}

// NeedsHuman reports whether anything waits for the operator.
func (d *dashboardView) NeedsHuman() bool {
	return len(d.Attention)+len(d.Failed)+len(d.Stranded)+len(d.PenWorn)+len(d.Reproof) > 0
}

type dashboardView struct {
	Now        time.Time
	CSRF       string
	Attention  []robotView
	Others     []robotView
	Depths     []queue.Depth
	PerHour    int
	TodayTotal int
	Failed     []failedView
	Reproof    []failedView // held since an upgrade: their new proof waits for approval
	Stranded   []strandedLane
	PenWorn    []robotView
	Spoiled    []spoiledView
	Unposted   int
	Sheets     []sheetView
	Flash      string
	FlashRaw   string // a machine's words after the flash
	FlashErr   bool
	Query      string       // the operator's search
	Found      []failedView // its results
	Searched   bool
	Problems   []string // parts of the dashboard that could not be read
}

// statePriority orders robots: the ones needing a human first, the most urgent first.
var statePriority = map[queue.WorkerState]int{
	queue.StateError: 0, queue.StateSetup: 0, queue.StateWaiting: 1, queue.StatePaused: 2, queue.StateOffline: 3,
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
		case queue.StateError, queue.StateSetup, queue.StateWaiting, queue.StatePaused:
			rv.NeedsHuman = true
		}
		rv.PenWorn = rv.State != queue.StateOffline && b.PenDownMetres >= s.cfg.PenWornMetres
		if start, ok := snap.PlotStart[b.Worker]; ok && rv.State == queue.StatePlotting && b.Progress >= 2 && b.Progress < 100 {
			elapsed := now.Sub(start)
			rv.ETA = time.Duration(float64(elapsed) * (100 - b.Progress) / b.Progress)
		}
		switch rv.State {
		case queue.StateWaiting:
			rv.Commands = []worker.Command{worker.CmdCardLoaded, worker.CmdPenChanged}
		case queue.StatePlotting:
			rv.Commands = []worker.Command{worker.CmdPause}
		case queue.StatePaused:
			rv.Commands = []worker.Command{worker.CmdResume}
		case queue.StateIdle, queue.StateError:
			rv.Commands = []worker.Command{worker.CmdPenChanged}
		case queue.StateSetup:
			rv.Commands = []worker.Command{worker.CmdCheckSetup, worker.CmdSetOrigin}
		}
		robots = append(robots, rv)
	}
	slices.SortStableFunc(robots, func(a, b robotView) int {
		if pa, pb := statePriority[a.State], statePriority[b.State]; pa != pb {
			return pa - pb
		}
		return strings.Compare(a.Worker, b.Worker)
	})
	loaded := map[string]bool{} // lanes a robot that is up has loaded
	for _, rv := range robots {
		if rv.NeedsHuman {
			d.Attention = append(d.Attention, rv)
		} else {
			d.Others = append(d.Others, rv)
		}
		if rv.PenWorn {
			d.PenWorn = append(d.PenWorn, rv)
		}
		if rv.State != queue.StateOffline {
			loaded[strings.TrimPrefix(rv.Lane, "test-")] = true
		}
	}
	d.PerHour, d.TodayTotal = snap.PerHour, snap.TodayTotal
	for i, sp := range snap.Spoiled {
		if i == 10 {
			break
		}
		d.Spoiled = append(d.Spoiled, spoiledView{spoiledCard: sp, CauseText: causeText(lang, sp.Cause)})
	}
	var errs []error
	if depths, err := s.cfg.Queue.Depths(ctx); err == nil {
		d.Depths = depths
	} else {
		errs = append(errs, err)
	}
	// Stranded: live cards queued for a stock that no robot that is up has loaded. Read from the
	// store, since a lane nobody ever served has no consumer for the queue to count. (Test cards
	// wait for simulated robots; they strand nobody.)
	if queued, err := s.cfg.Store.ListCards(ctx, store.AnyAccount, store.CardFilter{Statuses: []store.Status{store.StatusQueued}, Test: new(false), Limit: 1000}); err == nil {
		waiting := map[string]int{}
		for _, c := range queued.Cards {
			if !loaded[c.Stock] {
				waiting[c.Stock]++
			}
		}
		for stock, n := range waiting {
			d.Stranded = append(d.Stranded, strandedLane{Lane: stock, Title: stockTitle(lang, stock), Waiting: n})
		}
		slices.SortFunc(d.Stranded, func(a, b strandedLane) int { return strings.Compare(a.Lane, b.Lane) })
	} else {
		errs = append(errs, err)
	}
	failed, err := s.cfg.Store.ListCards(ctx, store.AnyAccount, store.CardFilter{Statuses: []store.Status{store.StatusFailed}, Limit: 20})
	if err == nil {
		for _, c := range failed.Cards {
			d.Failed = append(d.Failed, s.cardView(ctx, lang, c))
		}
	} else {
		errs = append(errs, err)
	}
	if held, err := s.cfg.Store.ListCards(ctx, store.AnyAccount, store.CardFilter{Statuses: []store.Status{store.StatusAccepted}, ProofChanged: true, Limit: 20}); err == nil {
		for _, c := range held.Cards {
			d.Reproof = append(d.Reproof, s.cardView(ctx, lang, c))
		}
	} else {
		errs = append(errs, err)
	}
	if written, err := s.cfg.Store.ListCards(ctx, store.AnyAccount, store.CardFilter{Statuses: []store.Status{store.StatusWritten}, Test: new(false), Limit: 1000}); err == nil {
		d.Unposted = len(written.Cards)
	} else {
		errs = append(errs, err)
	}
	if all, err := s.cfg.Store.Sheets(ctx, 20); err == nil {
		d.Sheets = sheetViews(all)
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
	csrf := operatorCSRF(sessionCookie(r))
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

// cardView is one card in the operator's lists: why it stopped (its last failure or spoiling
// event), to whom it goes.
func (s *Server) cardView(ctx context.Context, lang string, c *store.Card) failedView {
	fv := failedView{Card: c, At: c.UpdatedAt}
	var to address.Address
	if json.Unmarshal(c.To, &to) == nil {
		fv.To = to.Name
	}
	if ev, err := s.cfg.Store.Events(ctx, store.AnyAccount, c.ID); err == nil {
		for _, e := range ev {
			if e.To == store.StatusFailed || e.To == store.StatusSpoiled || c.ProofChanged && e.Cause == store.CauseProofChanged {
				fv.Cause, fv.Detail, fv.At = causeText(lang, e.Cause), e.Detail, e.CreatedAt
			}
		}
	}
	return fv
}

// searchLimit bounds a search by recipient or order: the newest cards are read and matched here,
// which keeps the store free of a text index; a card id is found at any age.
const searchLimit = 2000

// search finds cards by card id, by an order reference in their metadata (any value), or by
// the recipient's name or city, newest first.
func (s *Server) search(ctx context.Context, lang, q string) []failedView {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil
	}
	var out []failedView
	if c, err := s.cfg.Store.GetCard(ctx, store.AnyAccount, q); err == nil {
		return []failedView{s.cardView(ctx, lang, c)}
	}
	fold := strings.ToLower(q)
	seen := 0
	after := ""
	for seen < searchLimit && len(out) < 50 {
		page, err := s.cfg.Store.ListCards(ctx, store.AnyAccount, store.CardFilter{After: after, Limit: 500})
		if err != nil {
			s.log.Warn("operator search", "err", err)
			break
		}
		for _, c := range page.Cards {
			seen++
			if cardMatches(c, fold) {
				out = append(out, s.cardView(ctx, lang, c))
			}
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	return out
}

func cardMatches(c *store.Card, fold string) bool {
	if strings.HasPrefix(strings.ToLower(c.ID), fold) {
		return true
	}
	for _, v := range c.Metadata {
		if strings.ToLower(v) == fold {
			return true
		}
	}
	var to address.Address
	if json.Unmarshal(c.To, &to) == nil {
		for _, f := range []string{to.Name, to.Company, to.City} {
			if f != "" && strings.Contains(strings.ToLower(f), fold) {
				return true
			}
		}
	}
	return false
}

// thumbs keeps the last few cards' thumbnails: the dashboard asks for a robot's card again on
// every page load, and rendering it again each time would cost a robot room full of CPU.
type thumbCache struct {
	mu    sync.Mutex
	order []string
	svg   map[string][]byte
}

func (t *thumbCache) get(id string) ([]byte, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.svg[id]
	return b, ok
}

func (t *thumbCache) put(id string, b []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.svg == nil {
		t.svg = map[string][]byte{}
	}
	if _, ok := t.svg[id]; ok {
		return
	}
	t.svg[id] = b
	t.order = append(t.order, id)
	if len(t.order) > 64 {
		delete(t.svg, t.order[0])
		t.order = t.order[1:]
	}
}

// cardThumb answers a small SVG of a card as the robot writes it: the same strokes (same text,
// hand and seed), drawn with a thicker pen so that they read at thumbnail size.
func (s *Server) cardThumb(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	b, ok := s.thumbs.get(id)
	if !ok {
		c, err := s.cfg.Store.GetCard(r.Context(), store.AnyAccount, id)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if c.Message == "" { // erased: nothing of it is shown
			http.NotFound(w, r)
			return
		}
		// With the card's own faces: a card held for a changed proof shows the new proof.
		hc, _, err := cardspec.RenderWith(cardspec.FromCard(c), s.cardFaces(r.Context(), c))
		if err != nil {
			http.Error(w, "The card cannot be drawn.", http.StatusInternalServerError)
			return
		}
		var buf bytes.Buffer
		if err := preview.SVG(&buf, hc.Format, hc.Strokes, 0.8); err != nil {
			http.Error(w, "The card cannot be drawn.", http.StatusInternalServerError)
			return
		}
		b = buf.Bytes()
		s.thumbs.put(id, b)
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Write(b)
}
