// Package intake is quillpost's HTTP API for shops and CRMs: it authenticates API keys, validates
// every order at the door (text fits, glyphs exist, address postable), renders the proof and
// stores the accepted card, whose job the outbox then hands to the queue. It also serves bulk
// campaigns with merge templates, proofs, address verification, webhook endpoints and their
// delivery log, GDPR erasure, a few operator endpoints and the OpenAPI document.
package intake

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/quillpost/quillpost/internal/faces"
	"github.com/quillpost/quillpost/internal/store"
)

// Config wires a Server.
type Config struct {
	Store  store.Store
	Logger *slog.Logger
	// MaxBodyBytes limits a JSON request body; 0 means 1 MiB.
	MaxBodyBytes int64
	// MaxCSVBytes limits a recipients upload (CSV or JSON); 0 means 16 MiB.
	MaxCSVBytes int64
	// RateLimit is each API key's sustained requests per second; 0 means 100, negative turns the
	// limit off (benchmarks). RateBurst is the bucket size; 0 means twice the rate.
	RateLimit float64
	RateBurst int
	// OnAccepted, if set, is called after cards were stored (to wake the outbox relay at once).
	OnAccepted func()
	// AllowPrivateWebhooks lets webhook URLs point at loopback, private and reserved addresses:
	// for local development only (serve --allow-private-webhooks).
	AllowPrivateWebhooks bool
	// OnReplay, if set, is called after failed webhook deliveries were made pending again (to wake
	// a dispatcher in this process at once).
	OnReplay func()
}

// Server serves the /v1 API.
type Server struct {
	store   store.Store
	hooks   store.WebhookStore // nil when the store has no webhook tables
	ops     store.CardOps      // nil when the store lacks them
	log     *slog.Logger
	maxBody int64
	maxCSV  int64
	limits  *limiter
	mux     *http.ServeMux
	kick    func()
	replay  func()

	faceStore store.FaceStore // nil when the store keeps no faces
	faceCache *faces.Cache

	allowPrivateWebhooks bool
}

// route is one operation of the API; the OpenAPI test walks this table.
type route struct {
	pattern string // "METHOD /path"
	access  access
	h       http.HandlerFunc
}

type access int

const (
	accountKey  access = iota // a live or test key of the account
	operatorKey               // an operator key
	public                    // no key (the OpenAPI document)
)

// New returns a Server; Handler gives its routes.
func New(cfg Config) *Server {
	s := &Server{store: cfg.Store, log: cfg.Logger, maxBody: cfg.MaxBodyBytes, maxCSV: cfg.MaxCSVBytes,
		kick: cfg.OnAccepted, replay: cfg.OnReplay, allowPrivateWebhooks: cfg.AllowPrivateWebhooks}
	s.hooks, _ = cfg.Store.(store.WebhookStore)
	s.ops, _ = cfg.Store.(store.CardOps)
	s.faceStore, _ = cfg.Store.(store.FaceStore)
	s.faceCache = faces.NewCache(0)
	if s.kick == nil {
		s.kick = func() {}
	}
	if s.replay == nil {
		s.replay = func() {}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.maxBody <= 0 {
		s.maxBody = 1 << 20
	}
	if s.maxCSV <= 0 {
		s.maxCSV = 16 << 20
	}
	s.limits = newLimiter(cfg.RateLimit, cfg.RateBurst)
	s.mux = http.NewServeMux()
	for _, rt := range s.routes() {
		h := rt.h
		if recordedPOSTs[rt.pattern] {
			h = s.honourIdempotency(h)
		}
		switch {
		case rt.pattern == "POST /v1/campaigns/{id}/recipients":
			h = requireContentType(h, "application/json", "text/csv", "application/csv")
		case strings.HasPrefix(rt.pattern, "POST "):
			h = requireContentType(h, "application/json")
		}
		switch rt.access {
		case accountKey:
			h = s.authed(h)
		case operatorKey:
			h = s.operator(h)
		}
		s.mux.HandleFunc(rt.pattern, h)
	}
	s.mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "invalid_request", Code: "not_found",
			Message: "There is no such endpoint: " + r.Method + " " + r.URL.Path + "."})
	})
	return s
}

func (s *Server) routes() []route {
	return []route{
		{"POST /v1/cards", accountKey, s.createCard},
		{"GET /v1/cards", accountKey, s.listCards},
		{"POST /v1/cards/preview", accountKey, s.previewCard},
		{"GET /v1/cards/{id}", accountKey, s.getCard},
		{"GET /v1/cards/{id}/preview", accountKey, s.previewStoredCard},
		{"POST /v1/cards/{id}/approve", accountKey, s.approveCard},
		{"DELETE /v1/cards/{id}", accountKey, s.cancelCard},

		{"POST /v1/campaigns", accountKey, s.createCampaign},
		{"GET /v1/campaigns/{id}", accountKey, s.getCampaign},
		{"POST /v1/campaigns/{id}/activate", accountKey, s.activateCampaign},
		{"POST /v1/campaigns/{id}/recipients", accountKey, s.addRecipients},
		{"POST /v1/campaigns/{id}/preview", accountKey, s.previewCampaign},
		{"GET /v1/campaigns/{id}/labels.pdf", accountKey, s.campaignLabels},

		{"POST /v1/address_verifications", accountKey, s.verifyAddress},
		{"DELETE /v1/recipients", accountKey, s.eraseRecipients},

		{"POST /v1/webhooks", accountKey, s.createWebhook},
		{"GET /v1/webhooks", accountKey, s.listWebhooks},
		{"GET /v1/webhooks/{id}", accountKey, s.getWebhook},
		{"DELETE /v1/webhooks/{id}", accountKey, s.deleteWebhook},
		{"GET /v1/webhooks/{id}/deliveries", accountKey, s.listDeliveries},
		{"GET /v1/webhooks/{id}/deliveries/{delivery}", accountKey, s.getDelivery},
		{"POST /v1/webhooks/{id}/replay", accountKey, s.replayDeliveries},

		{"POST /v1/faces", accountKey, s.createFace},
		{"GET /v1/faces", accountKey, s.listFaces},
		{"POST /v1/faces/preview", accountKey, s.previewFace},
		{"GET /v1/faces/{name}", accountKey, s.getFace},
		{"GET /v1/faces/{name}/font.json", accountKey, s.exportFaceJSON},
		{"GET /v1/faces/{name}/font.svg", accountKey, s.exportFaceSVG},
		{"DELETE /v1/faces/{name}", accountKey, s.deleteFace},

		{"GET /v1/keys", accountKey, s.listKeys},
		{"DELETE /v1/keys/{id}", accountKey, s.revokeKey},

		{"GET /v1/operator/cards", operatorKey, s.operatorCards},
		{"POST /v1/operator/cards/{id}/retry", operatorKey, s.operatorRetry},
		{"POST /v1/operator/cards/{id}/cancel", operatorKey, s.operatorCancel},
		{"POST /v1/operator/postings", operatorKey, s.operatorPosting},
		{"GET /v1/operator/sheets", operatorKey, s.operatorSheets},

		{"GET /v1/openapi.json", public, s.openAPI},
	}
}

// Handler returns the API's routes, all under /v1.
func (s *Server) Handler() http.Handler { return s.mux }

// idempotencyStaleAfter is how long a request that claimed a key may stay unfinished before a
// retry with the same key and body takes it over (its process crashed).
const idempotencyStaleAfter = 2 * time.Minute

// Routes lists the API's operations as "METHOD /path" (for the OpenAPI test and documentation).
func Routes() []string {
	var out []string
	for _, r := range (&Server{}).routes() {
		out = append(out, r.pattern)
	}
	return out
}
