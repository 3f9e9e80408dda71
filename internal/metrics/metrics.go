// Package metrics exports quillpost's Prometheus metrics: orders accepted and rejected, cards
// written, spoiled and failed, plot durations, serial errors, queue depth per lane and robot states.
//
// Nothing is counted twice when several quillpost processes run (the fleet mode), because every
// number has exactly one process that owns it:
//
//   - Card counters (accepted, written, spoiled, failed, serial errors, plot duration) come from
//     the EVENTS stream through one durable JetStream consumer shared by all processes ("metrics").
//     JetStream hands each event to exactly one of them, which counts it and acknowledges it, so
//     sum() over the processes is the fleet's total. An event published while no process ran is
//     still pending on the durable consumer and is counted when one starts.
//   - Rejections never become events (intake refuses them at the door without storing anything),
//     so they are counted by the process that answered the request: again one count per request.
//   - Queue depth and robot states are gauges read from JetStream at scrape time. They describe
//     shared state, so every process reports the same value: aggregate them with max(), not sum().
package metrics

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/quillpost/quillpost/internal/queue"
)

// Sources are the shared state the gauges read at scrape time; nil fields leave their gauges out.
type Sources struct {
	Queue *queue.Queue
	// StaleAfter is how old a heartbeat may be before its robot counts as offline (default 30 s).
	StaleAfter time.Duration
}

// Metrics holds the registry and the counters. Its methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry
	src Sources

	ordersAccepted *prometheus.CounterVec
	ordersRejected *prometheus.CounterVec
	cardsWritten   *prometheus.CounterVec
	cardsSpoiled   *prometheus.CounterVec
	cardsFailed    *prometheus.CounterVec
	serialErrors   *prometheus.CounterVec
	plotSeconds    prometheus.Histogram
	eventsCounted  prometheus.Counter

	mu   sync.Mutex
	cons jetstream.Consumer // the events consumer, once attached
}

// New registers quillpost's metrics, the Go runtime's and the process's in a fresh registry.
func New(src Sources) *Metrics {
	if src.StaleAfter <= 0 {
		src.StaleAfter = 30 * time.Second
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		src: src,
		ordersAccepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quillpost_orders_accepted_total",
			Help: "Cards accepted at intake (API, batches and the order page), by lane.",
		}, []string{"lane"}),
		ordersRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quillpost_orders_rejected_total",
			Help: "Orders refused at the door, by source (api, web) and reason code (text_too_long, text_unwritable, address_invalid, ...). Counted by the process that answered.",
		}, []string{"source", "reason"}),
		cardsWritten: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quillpost_cards_written_total",
			Help: "Cards a robot finished writing, by robot.",
		}, []string{"worker"}),
		cardsSpoiled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quillpost_cards_spoiled_total",
			Help: "Physical cards spoiled by a fault or a lost robot, by cause (worker.fault, worker.lost, queue.max_deliveries).",
		}, []string{"cause"}),
		cardsFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quillpost_cards_failed_total",
			Help: "Cards given up on, waiting for an operator, by cause.",
		}, []string{"cause"}),
		serialErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quillpost_serial_errors_total",
			Help: "Faults on a robot's serial link or firmware that spoiled a card, by robot.",
		}, []string{"worker"}),
		plotSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "quillpost_plot_duration_seconds",
			Help:    "Time from a robot claiming a card to the card being written (includes waiting for a blank card).",
			Buckets: []float64{1, 5, 15, 30, 60, 90, 120, 180, 300, 600, 1200},
		}),
		eventsCounted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quillpost_metrics_events_total",
			Help: "Card events this process took from the shared metrics consumer.",
		}),
	}
	m.reg.MustRegister(m.ordersAccepted, m.ordersRejected, m.cardsWritten, m.cardsSpoiled, m.cardsFailed,
		m.serialErrors, m.plotSeconds, m.eventsCounted,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if src.Queue != nil {
		m.reg.MustRegister(&stateCollector{m: m})
	}
	return m
}

// Registry is the registry the metrics live in (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// openHandler serves the metrics in the Prometheus text format to anyone; Handler guards it.
func (m *Metrics) openHandler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Rejected counts an order refused at the door by this process. source is "api" or "web"; reason
// is the API's error code.
func (m *Metrics) Rejected(source, reason string) {
	if reason == "" {
		reason = "other"
	}
	m.ordersRejected.WithLabelValues(source, reason).Inc()
}

// stateCollector reads queue depths and heartbeats when Prometheus scrapes.
type stateCollector struct{ m *Metrics }

var (
	depthDesc = prometheus.NewDesc("quillpost_queue_depth",
		"Jobs in a lane's queue: pending (not yet taken) and in_flight (held by a robot). Shared state: aggregate with max().",
		[]string{"lane", "kind"}, nil)
	workersDesc = prometheus.NewDesc("quillpost_workers",
		"Robots by state (idle, waiting-for-card, plotting, paused, error, needs-setup, offline). Shared state: aggregate with max().",
		[]string{"state"}, nil)
	workerStateDesc = prometheus.NewDesc("quillpost_worker_state",
		"1 for each robot's current state. Shared state: aggregate with max().",
		[]string{"worker", "state"}, nil)
	penDesc = prometheus.NewDesc("quillpost_worker_pen_down_metres",
		"Pen-down distance since the robot's last pen change.",
		[]string{"worker"}, nil)
	progressDesc = prometheus.NewDesc("quillpost_worker_progress_percent",
		"Progress of the card a robot is writing.",
		[]string{"worker"}, nil)
)

// states lists every robot state, so that a state with no robot reports 0 rather than vanishing.
var states = []queue.WorkerState{queue.StateIdle, queue.StateWaiting, queue.StatePlotting,
	queue.StatePaused, queue.StateError, queue.StateSetup, queue.StateOffline}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- depthDesc
	ch <- workersDesc
	ch <- workerStateDesc
	ch <- penDesc
	ch <- progressDesc
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	q := c.m.src.Queue
	if depths, err := q.Depths(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(depthDesc, err)
	} else {
		for _, d := range depths {
			ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(d.Pending), d.Lane, "pending")
			ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(d.InFlight), d.Lane, "in_flight")
		}
	}
	hbs, err := q.Heartbeats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(workersDesc, err)
		return
	}
	count := map[queue.WorkerState]int{}
	now := time.Now()
	for _, h := range hbs {
		st := EffectiveState(h, now, c.m.src.StaleAfter)
		count[st]++
		for _, s := range states {
			v := 0.0
			if s == st {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(workerStateDesc, prometheus.GaugeValue, v, h.Worker, string(s))
		}
		ch <- prometheus.MustNewConstMetric(penDesc, prometheus.GaugeValue, h.PenDownMetres, h.Worker)
		ch <- prometheus.MustNewConstMetric(progressDesc, prometheus.GaugeValue, h.Progress, h.Worker)
	}
	for _, s := range states {
		ch <- prometheus.MustNewConstMetric(workersDesc, prometheus.GaugeValue, float64(count[s]), string(s))
	}
}

// EffectiveState is a heartbeat's state, or offline when the robot stopped reporting.
func EffectiveState(h queue.Heartbeat, now time.Time, staleAfter time.Duration) queue.WorkerState {
	if h.State != queue.StateOffline && h.Stale(now, staleAfter) {
		return queue.StateOffline
	}
	return h.State
}
