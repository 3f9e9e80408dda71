// Package web serves quillpost's two pages for people: the customer's order form with a live card
// preview and an order status page (at /), and the operator's dashboard of robots, queues and
// failed jobs (at /operator). Pages are rendered on the server with html/template; the little
// JavaScript there is (preview while typing, live updates over server-sent events) is embedded
// static files, so there is no build step.
//
// Customers on the order page are not API clients: their orders are made server-side for the
// installation's own account (Config.Account, "web" by default, created on start) through the same
// renderer and address rules as the API, and each order's status page is reached by its
// unguessable card id. Operators log in with an operator key (qp_op_…).
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/quillpost/quillpost/internal/faces"
	"github.com/quillpost/quillpost/internal/labelsheet"
	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/sheets"
	"github.com/quillpost/quillpost/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Rejections is told about orders the order page refused (the metrics counter).
type Rejections interface {
	Rejected(source, reason string)
}

// Config wires a Server.
type Config struct {
	Store store.Store
	Queue *queue.Queue // heartbeats, robot commands, queue depths, live events
	// Account is the name of the account the order page orders for; created if missing.
	// Default "web".
	Account string
	// Stocks are the card stocks the order page offers ("a6-white"); default a6-white.
	Stocks []string
	// Prices is the order page's price table (default: prices.json, built in).
	Prices PriceTable
	// TestOrders makes the order page order test cards (written by simulated robots only, never
	// posted) and says so in a banner on every customer page.
	TestOrders bool
	// PenWornMetres is how far a pen writes before the dashboard asks for a fresh one
	// (default 150 m).
	PenWornMetres float64
	// LabelLayout is the label sheet the operator's address-sheet PDF uses (default zweckform-3475).
	LabelLayout string
	// SenderCountry decides how addresses are printed on labels (default DE).
	SenderCountry string
	// StaleAfter is how old a robot's heartbeat may be before it shows as offline (default 30 s).
	StaleAfter time.Duration
	// OnAccepted is called after the order page stored a card or an operator queued one again
	// (it wakes the outbox relay).
	OnAccepted func()
	Rejections Rejections
	Logger     *slog.Logger
	Now        func() time.Time
}

// Server is the web UI.
type Server struct {
	cfg     Config
	log     *slog.Logger
	account *store.Account
	pages   map[string]*template.Template
	mux     *http.ServeMux
	hub     *hub
	printer *labelsheet.Printer // the address sheets, drawn as the robots draw them

	sessions      store.SessionStore // nil when the store keeps no sessions: nobody can sign in
	loginFails    *clientLimiter     // failed operator sign-ins per client
	loginFailsAll *clientLimiter     // failed operator sign-ins of all clients together
	orders        *clientLimiter     // orders placed on the order page per client
	previews      *clientLimiter     // live previews rendered per client
	thumbs        thumbCache         // robots' cards as small SVGs
	faceStore     store.FaceStore    // nil when the store keeps no faces
	faceCache     *faces.Cache       // the accounts' own faces, for drawing their cards
}

// New prepares the pages and makes sure the web account exists.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Queue == nil {
		return nil, errors.New("web: store and queue are required")
	}
	if cfg.Account == "" {
		cfg.Account = "web"
	}
	if len(cfg.Stocks) == 0 {
		cfg.Stocks = []string{"a6-white"}
	}
	if len(cfg.Prices.NetCents) == 0 {
		cfg.Prices = DefaultPrices()
	}
	if cfg.PenWornMetres <= 0 {
		cfg.PenWornMetres = 150
	}
	if cfg.LabelLayout == "" {
		cfg.LabelLayout = "zweckform-3475"
	}
	if cfg.SenderCountry == "" {
		cfg.SenderCountry = "DE"
	}
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = 30 * time.Second
	}
	if cfg.OnAccepted == nil {
		cfg.OnAccepted = func() {}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Logger.With("component", "web"),
		loginFails:    newClientLimiter(loginFailEvery, loginFailBurst),
		loginFailsAll: newClientLimiter(loginFailGlobalEvery, loginFailGlobalBurst),
		orders:        newClientLimiter(orderEvery, orderBurst),
		previews:      newClientLimiter(previewEvery, previewBurst), faceCache: faces.NewCache(0)}
	s.faceStore, _ = cfg.Store.(store.FaceStore)
	s.sessions, _ = cfg.Store.(store.SessionStore)
	printer, err := labelsheet.New(cfg.LabelLayout, sheets.Options{SenderCountry: cfg.SenderCountry})
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s.printer = printer
	acc, err := cfg.Store.AccountByName(ctx, cfg.Account)
	if errors.Is(err, store.ErrNotFound) {
		acc, err = cfg.Store.CreateAccount(ctx, cfg.Account)
		if errors.Is(err, store.ErrDuplicate) { // another process created it just now
			acc, err = cfg.Store.AccountByName(ctx, cfg.Account)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("web: account %q: %w", cfg.Account, err)
	}
	s.account = acc
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.hub = newHub(cfg.Queue, cfg.Now, s.log)
	s.routes()
	return s, nil
}

// Handler serves the pages: /, /orders/…, /operator…, /static/….
func (s *Server) Handler() http.Handler { return s.mux }

// Run keeps the live view (robot heartbeats, today's card events) that the dashboard and the
// order status pages stream from, until ctx ends. Pages work without it, refreshing more slowly.
func (s *Server) Run(ctx context.Context) error { return s.hub.run(ctx) }

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET /static/", cacheStatic(http.StripPrefix("/static/", http.FileServerFS(static))))
	m.HandleFunc("GET /{$}", s.orderForm)
	m.HandleFunc("POST /orders", s.orderPost)
	m.HandleFunc("POST /orders/preview", s.previewPost)
	m.HandleFunc("POST /orders/address", s.addressCheck)
	m.HandleFunc("GET /orders/{id}", s.orderStatus)
	m.HandleFunc("GET /orders/{id}/events", s.orderEvents)
	m.HandleFunc("GET /capture", s.capturePage)
	m.HandleFunc("GET /capture/plan.json", s.capturePlanJSON)
	m.HandleFunc("GET /triggers/console", s.triggerConsole)
	m.HandleFunc("GET /operator", s.operatorPage)
	m.HandleFunc("POST /operator/login", s.operatorLogin)
	m.HandleFunc("POST /operator/logout", s.operatorLogout)
	m.HandleFunc("GET /operator/stream", s.operator(s.operatorStream))
	m.HandleFunc("POST /operator/robots/{name}/{cmd}", s.operator(s.robotCommand))
	m.HandleFunc("POST /operator/cards/{id}/{action}", s.operator(s.cardAction))
	m.HandleFunc("GET /operator/cards/{id}/thumb.svg", s.operator(s.cardThumb))
	m.HandleFunc("POST /operator/labels/{robot}/close", s.operator(s.closeOpenLabels))
	m.HandleFunc("POST /operator/sheets/{name}/print", s.operator(s.sheetPrint))
	m.HandleFunc("POST /operator/sheets/{name}/posted", s.operator(s.sheetPosted))
	m.HandleFunc("POST /operator/posted", s.operator(s.cardsPosted))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusNotFound, "notfound.html", s.base(r, "notfound"))
	})
	s.mux = m
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		h.ServeHTTP(w, r)
	})
}

// securityHeaders are sent with every page: no framing (clickjacking of operator buttons), no
// sniffing, scripts and styles only from this origin.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// secure reports whether the request came over TLS (directly or through a proxy that says so),
// deciding the cookies' Secure flag.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
