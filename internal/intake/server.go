// Package intake is quillpost's HTTP API for shops and CRMs: it authenticates API keys, validates
// every order at the door (text fits, glyphs exist, address postable), renders the proof and
// stores the accepted card, whose job the outbox then hands to the queue.
package intake

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/quillpost/quillpost/internal/store"
)

// Config wires a Server.
type Config struct {
	Store  store.Store
	Logger *slog.Logger
	// MaxBodyBytes limits a request body; 0 means 1 MiB.
	MaxBodyBytes int64
	// OnAccepted, if set, is called after cards were stored (to wake the outbox relay at once).
	OnAccepted func()
}

// Server serves the /v1 API.
type Server struct {
	store   store.Store
	log     *slog.Logger
	maxBody int64
	mux     *http.ServeMux
	kick    func()
}

// New returns a Server; Handler gives its routes.
func New(cfg Config) *Server {
	s := &Server{store: cfg.Store, log: cfg.Logger, maxBody: cfg.MaxBodyBytes, kick: cfg.OnAccepted}
	if s.kick == nil {
		s.kick = func() {}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.maxBody <= 0 {
		s.maxBody = 1 << 20
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v1/cards", s.authed(s.createCard))
	s.mux.HandleFunc("GET /v1/cards", s.authed(s.listCards))
	s.mux.HandleFunc("GET /v1/cards/{id}", s.authed(s.getCard))
	s.mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "invalid_request", Code: "not_found",
			Message: "There is no such endpoint: " + r.Method + " " + r.URL.Path + "."})
	})
	return s
}

// Handler returns the API's routes, all under /v1.
func (s *Server) Handler() http.Handler { return s.mux }

// idempotencyStaleAfter is how long a request that claimed a key may stay unfinished before a
// retry with the same key and body takes it over (its process crashed).
const idempotencyStaleAfter = 2 * time.Minute
