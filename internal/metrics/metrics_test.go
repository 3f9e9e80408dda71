package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/metrics"
	"github.com/quillpost/quillpost/internal/store"
)

// history is an in-memory EventReader: one card and its events.
type history struct{ events []store.Event }

func (h history) GetCard(_ context.Context, _, id string) (*store.Card, error) {
	return &store.Card{ID: id, Stock: "a6-white"}, nil
}

func (h history) Events(context.Context, string, string) ([]store.Event, error) { return h.events, nil }

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	const token = "qp_metrics_test-token-0123456789"
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	m.Handler(token).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape with the token: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

func TestCountEvents(t *testing.T) {
	m := metrics.New(metrics.Sources{})
	t0 := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	ev := []store.Event{
		{CardID: "c1", Seq: 1, To: store.StatusAccepted, Attempt: 0, CreatedAt: t0},
		{CardID: "c1", Seq: 2, To: store.StatusQueued, Attempt: 1, CreatedAt: t0},
		{CardID: "c1", Seq: 3, To: store.StatusPlotting, Attempt: 1, Cause: "worker.claim", Detail: "r1", CreatedAt: t0.Add(time.Second)},
		{CardID: "c1", Seq: 4, To: store.StatusSpoiled, Attempt: 1, Cause: "worker.fault", Detail: "r1: serial link lost", CreatedAt: t0.Add(5 * time.Second)},
		{CardID: "c1", Seq: 5, From: store.StatusSpoiled, To: store.StatusQueued, Attempt: 2, CreatedAt: t0.Add(5 * time.Second)},
		{CardID: "c1", Seq: 6, To: store.StatusPlotting, Attempt: 2, Cause: "worker.claim", Detail: "r2", CreatedAt: t0.Add(10 * time.Second)},
		{CardID: "c1", Seq: 7, To: store.StatusWritten, Attempt: 2, Cause: "worker.written", Detail: "r2", CreatedAt: t0.Add(52 * time.Second)},
	}
	for _, e := range ev {
		m.Count(context.Background(), e, history{ev})
	}
	m.Rejected("web", "text_too_long")
	out := scrape(t, m)
	for _, want := range []string{
		`quillpost_orders_accepted_total{lane="a6-white"} 1`,
		`quillpost_cards_written_total{worker="r2"} 1`,
		`quillpost_cards_spoiled_total{cause="worker.fault"} 1`,
		`quillpost_serial_errors_total{worker="r1"} 1`,
		`quillpost_plot_duration_seconds_sum 42`,
		`quillpost_plot_duration_seconds_count 1`,
		`quillpost_orders_rejected_total{reason="text_too_long",source="web"} 1`,
		`quillpost_metrics_events_total 7`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s", want)
		}
	}
}

func TestCountAPIRejections(t *testing.T) {
	m := metrics.New(metrics.Sources{})
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("X-Answer") {
		case "422":
			w.WriteHeader(422)
			io.WriteString(w, `{"error":{"code":"address_invalid","message":"…"}}`)
		case "401":
			w.WriteHeader(401)
			io.WriteString(w, `{"error":{"code":"invalid_api_key"}}`)
		default:
			w.WriteHeader(201)
			io.WriteString(w, `{"id":"crd_1"}`)
		}
	})
	h := m.CountAPIRejections(api)
	for _, a := range []string{"422", "422", "401", "201"} {
		req := httptest.NewRequest("POST", "/v1/cards", strings.NewReader("{}"))
		req.Header.Set("X-Answer", a)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != map[string]int{"422": 422, "401": 401, "201": 201}[a] {
			t.Errorf("the wrapper changed the answer: %d", rec.Code)
		}
	}
	out := scrape(t, m)
	if !strings.Contains(out, `quillpost_orders_rejected_total{reason="address_invalid",source="api"} 2`) {
		t.Errorf("rejections not counted:\n%s", out)
	}
	if strings.Contains(out, "invalid_api_key") {
		t.Errorf("an authentication failure was counted as a rejected order")
	}
}

func BenchmarkCount(b *testing.B) {
	m := metrics.New(metrics.Sources{})
	e := store.Event{CardID: "c1", To: store.StatusSpoiled, Cause: "worker.fault", Detail: "r1: link lost"}
	for b.Loop() {
		m.Count(context.Background(), e, nil)
	}
}
