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

	"github.com/quillpost/quillpost/internal/calendar"
	"github.com/quillpost/quillpost/internal/clock"
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
	// Clock gives scheduling and caps their time; nil is the wall clock (tests move a
	// clock.Manual).
	Clock clock.Clock
	// Transit plans occasion cards (as the occasion scheduler does); nil is
	// calendar.DefaultTransit.
	Transit *calendar.TransitTable
	// PublicURL is the address the API is reached at from outside (https://cards.example.org,
	// perhaps with a path a proxy strips), as serve --public-url sets it. When set, a HubSpot v3
	// signature is checked over this URL and not over the Host header, which a proxy may rewrite.
	// It must be an absolute http(s) URL without query; CheckPublicURL says what is wrong with one.
	PublicURL string
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
	clock   clock.Clock
	transit *calendar.TransitTable
	// publicURL is Config.PublicURL without its trailing slash; "" trusts the Host header.
	publicURL string

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
	sender                    // the handler authenticates the caller itself (a trigger's signature or key)
)

// New returns a Server; Handler gives its routes.
func New(cfg Config) *Server {
	s := &Server{store: cfg.Store, log: cfg.Logger, maxBody: cfg.MaxBodyBytes, maxCSV: cfg.MaxCSVBytes,
		kick: cfg.OnAccepted, replay: cfg.OnReplay, allowPrivateWebhooks: cfg.AllowPrivateWebhooks, clock: clock.Or(cfg.Clock), transit: cfg.Transit,
		publicURL: strings.TrimRight(cfg.PublicURL, "/")}
	if s.transit == nil {
		s.transit = calendar.DefaultTransit()
	}
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
		case rt.pattern == "POST /v1/campaigns/{id}/recipients" || rt.pattern == "POST /v1/occasions/recipients":
			h = requireContentType(h, "application/json", "text/csv", "application/csv")
		case strings.HasPrefix(rt.pattern, "POST "), strings.HasPrefix(rt.pattern, "PUT "):
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
		{"GET /v1/campaigns", accountKey, s.listCampaigns},
		{"GET /v1/campaigns/{id}", accountKey, s.getCampaign},
		{"POST /v1/campaigns/{id}/activate", accountKey, s.campaignOpen(s.activateCampaign, true)},
		{"POST /v1/campaigns/{id}/recipients", accountKey, s.campaignOpen(s.addRecipients, false)},
		{"POST /v1/campaigns/{id}/pause", accountKey, s.setCampaignState(campaignPaused)},
		{"POST /v1/campaigns/{id}/resume", accountKey, s.setCampaignState(campaignActive)},
		{"POST /v1/campaigns/{id}/cancel", accountKey, s.setCampaignState(campaignCancelled)},
		{"POST /v1/campaigns/{id}/preview", accountKey, s.previewCampaign},
		{"GET /v1/campaigns/{id}/labels.pdf", accountKey, s.campaignLabels},

		{"POST /v1/occasions/recipients", accountKey, s.importOccasionRecipients},
		{"GET /v1/occasions/recipients", accountKey, s.listOccasionRecipients},
		{"GET /v1/occasions/recipients/{id}", accountKey, s.getOccasionRecipient},
		{"PUT /v1/occasions/recipients/{id}", accountKey, s.updateOccasionRecipient},
		{"DELETE /v1/occasions/recipients/{id}", accountKey, s.deleteOccasionRecipient},
		{"POST /v1/occasions/rules", accountKey, s.createOccasionRule},
		{"GET /v1/occasions/rules", accountKey, s.listOccasionRules},
		{"GET /v1/occasions/rules/{id}", accountKey, s.getOccasionRule},
		{"GET /v1/occasions/rules/{id}/upcoming", accountKey, s.upcomingOccasions},
		{"POST /v1/occasions/rules/{id}/pause", accountKey, s.setOccasionRuleState(store.RulePaused)},
		{"POST /v1/occasions/rules/{id}/resume", accountKey, s.setOccasionRuleState(store.RuleActive)},
		{"POST /v1/occasions/rules/{id}/cancel", accountKey, s.setOccasionRuleState(store.RuleCancelled)},

		{"POST /v1/triggers", accountKey, s.createTrigger},
		{"GET /v1/triggers", accountKey, s.listTriggers},
		{"GET /v1/triggers/settings", accountKey, s.getTriggerSettings},
		{"PUT /v1/triggers/settings", accountKey, s.putTriggerSettings},
		{"GET /v1/triggers/events", accountKey, s.listAllTriggerEvents},
		{"GET /v1/triggers/{id}", accountKey, s.getTrigger},
		{"POST /v1/triggers/{id}/pause", accountKey, s.setTriggerState(store.RulePaused)},
		{"POST /v1/triggers/{id}/resume", accountKey, s.setTriggerState(store.RuleActive)},
		{"POST /v1/triggers/{id}/cancel", accountKey, s.setTriggerState(store.RuleCancelled)},
		{"POST /v1/triggers/{id}/rotate_secret", accountKey, s.rotateTriggerSecret},
		{"POST /v1/triggers/{id}/test", accountKey, s.testTrigger},
		{"GET /v1/triggers/{id}/events", accountKey, s.listTriggerEvents},
		{"POST /v1/triggers/{id}/events", sender, s.triggerEvent},

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
		{"POST /v1/operator/cards/{id}/approve", operatorKey, s.operatorApprove},
		{"POST /v1/operator/reproof", operatorKey, s.operatorReproof},
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
